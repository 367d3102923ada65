"""
Dispatch of WebSocket connections to handlers by URL path.

:func:`route` serves connections like :func:`~ws_asyncio.server.serve`, with
a werkzeug :class:`~werkzeug.routing.Map` in place of a single handler: each
rule's endpoint is a handler, and the values that a rule captures in the path
become keyword arguments of the handler. werkzeug is needed only once a
request arrives (``pip install werkzeug``).

:mod:`ws_sync.router` is the same module for threads.

"""

from __future__ import annotations

import http
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, Literal

from ws_http.http11 import Request, Response
from ws_http.routing import RouteMatch, RouteRedirect, mark_websocket_rules, match_route

from .server import Server, ServerConnection, serve


if TYPE_CHECKING:
    from ssl import SSLContext

    from werkzeug.routing import Map


__all__ = ["route", "unix_route", "Router"]


_RequestHook = Callable[
    [ServerConnection, Request], Awaitable[Response | None] | Response | None
]


class Router:
    """
    Match each request against a werkzeug URL map.

    :func:`route` makes one. Subclass it and give the subclass to
    :func:`route` as ``create_router`` to change how the host is found or
    what redirects and 404 responses look like.

    Args:
        url_map: Rules whose endpoints are connection handlers. Every rule
            is marked as a WebSocket rule.
        server_name: Host that the rules match and that redirects point to;
            the ``Host`` header of each request by default.
        url_scheme: ``ws`` or ``wss``, for redirects.

    """

    def __init__(
        self,
        url_map: Map,
        server_name: str | None = None,
        url_scheme: Literal["ws", "wss"] = "ws",
    ) -> None:
        mark_websocket_rules(url_map)
        self.url_map = url_map
        self.server_name = server_name
        self.url_scheme = url_scheme

    def route_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """
        Find the rule for the request path, as a ``process_request`` hook.

        When a rule matches, remember its handler and arguments on the
        connection, and let the handshake go on. Otherwise, answer with a
        redirect, for a path that lacks a trailing slash for instance, or a
        404.

        """
        found = match_route(
            self.url_map,
            self.get_server_name(connection, request),
            self.url_scheme,
            request.path,
        )
        if isinstance(found, RouteMatch):
            connection.handler = found.endpoint
            connection.handler_kwargs = found.arguments
            return None
        if isinstance(found, RouteRedirect):
            return self.redirect(connection, found.url)
        return self.not_found(connection)

    async def handler(self, connection: ServerConnection) -> None:
        """Run the handler that :meth:`route_request` found for the connection."""
        await connection.handler(connection, **connection.handler_kwargs)

    def get_server_name(self, connection: ServerConnection, request: Request) -> str:
        """Tell which host the request is for."""
        if self.server_name is not None:
            return self.server_name
        host: str = request.headers["Host"]
        return host

    def not_found(self, connection: ServerConnection) -> Response:
        """Build the answer to a path that no rule matches: a 404."""
        return connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found")

    def redirect(self, connection: ServerConnection, url: str) -> Response:
        """Build the answer that sends the client to ``url``: a 302."""
        response = connection.respond(http.HTTPStatus.FOUND, f"Found at {url}")
        response.headers["Location"] = url
        return response


def route(
    url_map: Map,
    *args: Any,
    server_name: str | None = None,
    ssl: SSLContext | Literal[True] | None = None,
    create_router: type[Router] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections, with a handler for each path::

        from werkzeug.routing import Map, Rule

        async def room(websocket, name):
            ...

        url_map = Map([Rule("/rooms/<name>", endpoint=room)])

        async with route(url_map, "localhost", 8765) as server:
            await server.serve_forever()

    A path that no rule matches gets a 404. A path that a rule matches after a
    redirect, such as one without its trailing slash, gets a 302, which the
    client follows. A ``process_request`` hook runs before the routing.

    It takes the arguments of :func:`~ws_asyncio.server.serve`, except
    ``handler``, and these:

    Args:
        url_map: Rules whose endpoints are connection handlers.
        server_name: Host that the rules match and that redirects point to;
            the ``Host`` header of each request by default, which a reverse
            proxy may have changed.
        ssl: TLS configuration, as for :func:`~ws_asyncio.server.serve`;
            or :obj:`True` when a reverse proxy terminates TLS, so that
            redirects point to ``wss://`` URLs.
        create_router: Subclass of :class:`Router` to use.

    """
    if create_router is None:
        create_router = Router
    router = create_router(url_map, server_name, "ws" if ssl is None else "wss")
    if ssl is not None and ssl is not True:
        kwargs["ssl"] = ssl
    kwargs["process_request"] = _then_route(kwargs.get("process_request"), router)
    return serve(router.handler, *args, **kwargs)


def unix_route(
    url_map: Map,
    path: str | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on a Unix socket, with a handler for each
    path: :func:`route` and :func:`~ws_asyncio.server.unix_serve` in one.

    Args:
        url_map: Rules whose endpoints are connection handlers.
        path: File system path of the socket.

    """
    return route(url_map, unix=True, path=path, **kwargs)


def _then_route(process_request: _RequestHook | None, router: Router) -> _RequestHook:
    """Chain the application's ``process_request``, if any, and the routing."""
    if process_request is None:
        return router.route_request

    async def process_then_route(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        response = process_request(connection, request)
        if isinstance(response, Awaitable):
            response = await response
        if response is None:
            response = router.route_request(connection, request)
        return response

    return process_then_route

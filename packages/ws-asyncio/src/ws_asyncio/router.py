"""
Routing of WebSocket connections by URL, on top of :mod:`werkzeug.routing`.

werkzeug is an optional dependency (``pip install ws-asyncio[router]``); it's
imported only when a router handles a request, so importing this module
doesn't require it.

"""

from __future__ import annotations

import http
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, Literal

from ws_http.http11 import Request, Response
from ws_http.routing import RouteRedirect, mark_websocket_rules, match_route

from .server import Server, ServerConnection, serve


if TYPE_CHECKING:
    import ssl as ssl_module

    from werkzeug.routing import Map


__all__ = ["route", "unix_route", "Router"]


class Router:
    """
    Route WebSocket connections to handlers with a werkzeug URL map.

    Each rule's endpoint is a connection handler; variables in the rule are
    passed to the handler as keyword arguments.

    Args:
        url_map: Rules mapping paths to handlers.
        server_name: Host that the rules are matched against; by default,
            the ``Host`` header of each request.
        url_scheme: ``ws`` or ``wss``, for building redirect URLs.

    """

    def __init__(
        self,
        url_map: Map,
        server_name: str | None = None,
        url_scheme: str = "ws",
    ) -> None:
        self.url_map = url_map
        self.server_name = server_name
        self.url_scheme = url_scheme
        mark_websocket_rules(self.url_map)

    def get_server_name(self, connection: ServerConnection, request: Request) -> str:
        """Host that the URL map matches against for ``request``."""
        if self.server_name is None:
            return request.headers["Host"]
        else:
            return self.server_name

    def redirect(self, connection: ServerConnection, url: str) -> Response:
        """Response redirecting the client to ``url``."""
        response = connection.respond(http.HTTPStatus.FOUND, f"Found at {url}")
        response.headers["Location"] = url
        return response

    def not_found(self, connection: ServerConnection) -> Response:
        """Response for a path that no rule matches."""
        return connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found")

    def route_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """
        Match the request path; remember the handler or answer with HTTP.

        Returns:
            :obj:`None` when a rule matches, so that the handshake goes on;
            a redirect (for example, to add a trailing slash) or a 404 otherwise.

        """
        match = match_route(
            self.url_map,
            self.get_server_name(connection, request),
            self.url_scheme,
            request.path,
        )
        if match is None:
            return self.not_found(connection)
        if isinstance(match, RouteRedirect):
            return self.redirect(connection, match.url)
        connection.handler, connection.handler_kwargs = match.endpoint, match.arguments
        return None

    async def handler(self, connection: ServerConnection) -> None:
        """Run the handler that :meth:`route_request` chose."""
        return await connection.handler(connection, **connection.handler_kwargs)


def route(
    url_map: Map,
    *args: Any,
    server_name: str | None = None,
    ssl: ssl_module.SSLContext | Literal[True] | None = None,
    create_router: type[Router] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections, choosing the handler from the request path.

    The rules of ``url_map``, a :class:`werkzeug.routing.Map`, have connection
    handlers as endpoints; the values that a rule captures in the path are
    passed to the handler as keyword arguments::

        from werkzeug.routing import Map, Rule

        async def room(websocket, name):
            ...

        url_map = Map([Rule("/rooms/<name>", endpoint=room)])

        async with route(url_map, "localhost", 8765) as server:
            await server.serve_forever()

    A path that matches no rule gets a 404; a rule that redirects, for a
    missing trailing slash for example, gets a 302 to the right URL, which the
    client follows. Rules don't need ``websocket=True``: it's set on all of
    them. werkzeug must be installed (``pip install ws-asyncio[router]``).

    It takes the arguments of :func:`~ws_asyncio.server.serve`, except
    ``handler``, and these:

    Args:
        url_map: Rules mapping paths to handlers.
        server_name: Host name that clients use, for building redirect URLs;
            defaults to the ``Host`` header of each request, which a reverse
            proxy may have changed.
        ssl: TLS context, as in :func:`~ws_asyncio.server.serve`, or
            :obj:`True` when a reverse proxy terminates TLS, so that redirects
            point to ``wss://`` URLs.
        create_router: :class:`Router` subclass to use.

    """
    url_scheme = "ws" if ssl is None else "wss"
    if ssl is not True and ssl is not None:
        kwargs["ssl"] = ssl

    if create_router is None:
        create_router = Router

    router = create_router(url_map, server_name, url_scheme)

    _process_request: (
        Callable[
            [ServerConnection, Request],
            Awaitable[Response | None] | Response | None,
        ]
        | None
    ) = kwargs.pop("process_request", None)
    if _process_request is None:
        process_request: Callable[
            [ServerConnection, Request],
            Awaitable[Response | None] | Response | None,
        ] = router.route_request
    else:

        async def process_request(
            connection: ServerConnection, request: Request
        ) -> Response | None:
            assert _process_request is not None  # help mypy
            response = _process_request(connection, request)
            if isinstance(response, Awaitable):
                response = await response
            if response is not None:
                return response
            return router.route_request(connection, request)

    return serve(router.handler, *args, process_request=process_request, **kwargs)


def unix_route(
    url_map: Map,
    path: str | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on a Unix socket, choosing the handler from the
    request path: :func:`route` and :func:`~ws_asyncio.server.unix_serve` in one.

    Args:
        url_map: Rules mapping paths to handlers.
        path: Path of the Unix socket.

    """
    return route(url_map, unix=True, path=path, **kwargs)

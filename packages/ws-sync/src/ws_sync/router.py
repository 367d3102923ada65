"""Routing of WebSocket connections by URL, with werkzeug's URL maps."""

from __future__ import annotations

import http
import ssl as ssl_module
from typing import TYPE_CHECKING, Any, Callable, Literal

from ws_http.http11 import Request, Response
from ws_http.routing import RouteRedirect, mark_websocket_rules, match_route

from .server import Server, ServerConnection, serve


if TYPE_CHECKING:
    from werkzeug.routing import Map


__all__ = ["route", "unix_route", "Router"]


class Router:
    """
    Route incoming connections to handlers, according to a werkzeug URL map.

    :func:`route` builds it; subclass it and pass ``create_router`` to
    customize redirects, 404 responses or how the server name is found.

    Args:
        url_map: werkzeug :class:`~werkzeug.routing.Map` whose rules map
            paths to connection handlers.
        server_name: Host name of the server, for building redirect URLs;
            defaults to the ``Host`` header of each request.
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
        # Rules marked as WebSocket rules match WebSocket requests only.
        mark_websocket_rules(self.url_map)

    def get_server_name(self, connection: ServerConnection, request: Request) -> str:
        """Return the host name that URLs are built against."""
        if self.server_name is None:
            host: str = request.headers["Host"]
            return host
        return self.server_name

    def redirect(self, connection: ServerConnection, url: str) -> Response:
        """Build a 302 response to ``url``."""
        response = connection.respond(http.HTTPStatus.FOUND, f"Found at {url}")
        response.headers["Location"] = url
        return response

    def not_found(self, connection: ServerConnection) -> Response:
        """Build a 404 response."""
        return connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found")

    def route_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """
        Find the handler for the request; a ``process_request`` hook.

        Returns a redirect or a 404 response when the path doesn't match a
        rule as it is; otherwise stores the handler and its arguments on the
        connection.

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

    def handler(self, connection: ServerConnection) -> None:
        """Run the handler that :meth:`route_request` selected."""
        connection.handler(connection, **connection.handler_kwargs)


def route(
    url_map: Map,
    *args: Any,
    server_name: str | None = None,
    ssl: ssl_module.SSLContext | Literal[True] | None = None,
    create_router: type[Router] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Create a WebSocket server that dispatches connections by URL.

    Each rule of ``url_map`` has a connection handler as endpoint; the
    handler receives the connection and the values of the rule's variables
    as keyword arguments::

        from werkzeug.routing import Map, Rule

        def channel(websocket, channel_id):
            ...

        url_map = Map([Rule("/channel/<uuid:channel_id>", endpoint=channel)])

        with route(url_map, "localhost", 8765) as server:
            server.serve_forever()

    Paths that match no rule get 404; paths that match after a redirect
    (e.g. a missing trailing slash) get 302. This requires werkzeug.

    Args:
        url_map: werkzeug URL map.
        server_name: Host name of the server, for redirect URLs; defaults to
            the ``Host`` header of each request.
        ssl: Configuration for enabling TLS, or :obj:`True` if TLS is
            terminated by a proxy in front of the server (redirects use
            ``wss://``).
        create_router: Factory for the :class:`Router`.

    Other arguments are those of :func:`~ws_sync.server.serve`; a
    ``process_request`` runs before routing.

    """
    url_scheme = "ws" if ssl is None else "wss"
    if ssl is not True and ssl is not None:
        kwargs["ssl"] = ssl

    if create_router is None:
        create_router = Router

    router = create_router(url_map, server_name, url_scheme)

    _process_request: Callable[[ServerConnection, Request], Response | None] | None = (
        kwargs.pop("process_request", None)
    )
    if _process_request is None:
        process_request: Callable[[ServerConnection, Request], Response | None] = (
            router.route_request
        )
    else:

        def process_request(
            connection: ServerConnection, request: Request
        ) -> Response | None:
            assert _process_request is not None  # help mypy
            response = _process_request(connection, request)
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
    Create a WebSocket server listening on a Unix socket that dispatches
    connections by URL.

    Args:
        url_map: werkzeug URL map.
        path: File system path to the Unix socket.

    Other arguments are those of :func:`route`.

    """
    return route(url_map, unix=True, path=path, **kwargs)

"""Re-export of :mod:`ws_asyncio.legacy.server`."""

from __future__ import annotations

from ws_asyncio.legacy.server import (
    HeadersLikeOrCallable as HeadersLikeOrCallable,
    HTTPResponse as HTTPResponse,
    Serve as Serve,
    WebSocketServer as WebSocketServer,
    WebSocketServerProtocol as WebSocketServerProtocol,
    broadcast as broadcast,
    remove_path_argument as remove_path_argument,
    serve as serve,
    unix_serve as unix_serve,
)


__all__ = [
    "broadcast",
    "serve",
    "unix_serve",
    "WebSocketServer",
    "WebSocketServerProtocol",
]

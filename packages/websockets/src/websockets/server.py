"""Re-export of :mod:`ws_http.server`."""

from __future__ import annotations

import typing

from ws_http.server import (
    ServerConnection as ServerConnection,
    ServerProtocol as ServerProtocol,
)

from .imports import lazy_import


__all__ = [
    "ServerProtocol",
]

if not typing.TYPE_CHECKING:
    lazy_import(
        globals(),
        deprecated_aliases={
            "WebSocketServer": "ws_asyncio.legacy.server",
            "WebSocketServerProtocol": "ws_asyncio.legacy.server",
            "broadcast": "ws_asyncio.legacy.server",
            "serve": "ws_asyncio.legacy.server:Serve",
            "unix_serve": "ws_asyncio.legacy.server",
        },
    )

"""Re-export of :mod:`ws_sync.server`."""

from __future__ import annotations

import typing

from ws_sync.server import (
    Server as Server,
    ServerConnection as ServerConnection,
    basic_auth as basic_auth,
    broadcast as broadcast,
    is_credentials as is_credentials,
    serve as serve,
    unix_serve as unix_serve,
)

from ..imports import lazy_import


__all__ = [
    "basic_auth",
    "broadcast",
    "serve",
    "Server",
    "ServerConnection",
    "unix_serve",
]

if not typing.TYPE_CHECKING:
    lazy_import(
        globals(),
        deprecated_aliases={
            "WebSocketServer": "ws_sync.server:Server",
        },
    )

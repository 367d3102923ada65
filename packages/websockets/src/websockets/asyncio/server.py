"""Re-export of :mod:`ws_asyncio.server`."""

from __future__ import annotations

from ws_asyncio.server import (
    Server as Server,
    ServerConnection as ServerConnection,
    basic_auth as basic_auth,
    broadcast as broadcast,
    is_credentials as is_credentials,
    serve as serve,
    unix_serve as unix_serve,
)


__all__ = [
    "basic_auth",
    "broadcast",
    "serve",
    "Server",
    "ServerConnection",
    "unix_serve",
]

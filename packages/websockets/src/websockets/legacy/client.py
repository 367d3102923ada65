"""Re-export of :mod:`ws_asyncio.legacy.client`."""

from __future__ import annotations

from ws_asyncio.legacy.client import (
    Connect as Connect,
    WebSocketClientProtocol as WebSocketClientProtocol,
    connect as connect,
    unix_connect as unix_connect,
)


__all__ = [
    "connect",
    "unix_connect",
    "WebSocketClientProtocol",
]

"""Re-export of :mod:`ws_asyncio.legacy.protocol`."""

from __future__ import annotations

from ws_asyncio.legacy.protocol import (
    WebSocketCommonProtocol as WebSocketCommonProtocol,
    broadcast as broadcast,
)


__all__ = [
    "WebSocketCommonProtocol",
]

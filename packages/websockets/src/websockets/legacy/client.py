"""Re-export of :mod:`ws_asyncio.legacy.client`."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.client import (
    Connect as Connect,
    WebSocketClientProtocol as WebSocketClientProtocol,
    connect as connect,
    unix_connect as unix_connect,
)


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "see the upgrade guide to the new asyncio implementation",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "connect",
    "unix_connect",
    "WebSocketClientProtocol",
]

"""Re-export of :mod:`ws_asyncio.legacy.protocol`."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.protocol import (
    WebSocketCommonProtocol as WebSocketCommonProtocol,
    broadcast as broadcast,
)


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "see the upgrade guide to the new asyncio implementation",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "WebSocketCommonProtocol",
]

"""Re-export of :mod:`ws_asyncio.legacy.exceptions`."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.exceptions import (
    AbortHandshake as AbortHandshake,
    InvalidHandshake as InvalidHandshake,
    InvalidMessage as InvalidMessage,
    InvalidStatusCode as InvalidStatusCode,
    RedirectHandshake as RedirectHandshake,
    StatusLike as StatusLike,
    WebSocketProtocolError as WebSocketProtocolError,
)


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "see the upgrade guide to the new asyncio implementation",
    DeprecationWarning,
    stacklevel=2,
)

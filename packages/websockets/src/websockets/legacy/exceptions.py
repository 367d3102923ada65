"""Re-export of :mod:`ws_asyncio.legacy.exceptions`."""

from __future__ import annotations

from ws_asyncio.legacy.exceptions import (
    AbortHandshake as AbortHandshake,
    InvalidHandshake as InvalidHandshake,
    InvalidMessage as InvalidMessage,
    InvalidStatusCode as InvalidStatusCode,
    RedirectHandshake as RedirectHandshake,
    StatusLike as StatusLike,
    WebSocketProtocolError as WebSocketProtocolError,
)

"""Re-export of :mod:`ws_asyncio.legacy.handshake`."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.handshake import (
    build_request as build_request,
    build_response as build_response,
    check_request as check_request,
    check_response as check_response,
)


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "see the upgrade guide to the new asyncio implementation",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "build_request",
    "build_response",
    "check_request",
    "check_response",
]

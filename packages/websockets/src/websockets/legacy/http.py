"""Re-export of :mod:`ws_asyncio.legacy.http`."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.http import (
    MAX_LINE_LENGTH as MAX_LINE_LENGTH,
    MAX_NUM_HEADERS as MAX_NUM_HEADERS,
    d as d,
    read_headers as read_headers,
    read_line as read_line,
    read_request as read_request,
    read_response as read_response,
)


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "see the upgrade guide to the new asyncio implementation",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "read_request",
    "read_response",
]

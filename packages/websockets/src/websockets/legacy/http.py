"""Re-export of :mod:`ws_asyncio.legacy.http`."""

from __future__ import annotations

from ws_asyncio.legacy.http import (
    MAX_LINE_LENGTH as MAX_LINE_LENGTH,
    MAX_NUM_HEADERS as MAX_NUM_HEADERS,
    d as d,
    read_headers as read_headers,
    read_line as read_line,
    read_request as read_request,
    read_response as read_response,
)


__all__ = [
    "read_request",
    "read_response",
]

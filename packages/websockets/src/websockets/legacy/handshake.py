"""Re-export of :mod:`ws_asyncio.legacy.handshake`."""

from __future__ import annotations

from ws_asyncio.legacy.handshake import (
    build_request as build_request,
    build_response as build_response,
    check_request as check_request,
    check_response as check_response,
)


__all__ = [
    "build_request",
    "build_response",
    "check_request",
    "check_response",
]

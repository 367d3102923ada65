"""Re-export of :mod:`ws_http.client`."""

from __future__ import annotations

import typing

from ws_http.client import (
    BACKOFF_FACTOR as BACKOFF_FACTOR,
    BACKOFF_INITIAL_DELAY as BACKOFF_INITIAL_DELAY,
    BACKOFF_MAX_DELAY as BACKOFF_MAX_DELAY,
    BACKOFF_MIN_DELAY as BACKOFF_MIN_DELAY,
    ClientConnection as ClientConnection,
    ClientProtocol as ClientProtocol,
    backoff as backoff,
)

from .imports import lazy_import


__all__ = [
    "ClientProtocol",
]

if not typing.TYPE_CHECKING:
    lazy_import(
        globals(),
        deprecated_aliases={
            "WebSocketClientProtocol": "ws_asyncio.legacy.client",
            "connect": "ws_asyncio.legacy.client:Connect",
            "unix_connect": "ws_asyncio.legacy.client",
        },
    )

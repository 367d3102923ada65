"""Re-export of :mod:`ws_http.uri`."""

from __future__ import annotations

from ws_http.uri import (
    DELIMS as DELIMS,
    WebSocketURI as WebSocketURI,
    parse_uri as parse_uri,
)


__all__ = [
    "parse_uri",
    "WebSocketURI",
]

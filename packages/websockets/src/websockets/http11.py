"""Re-export of :mod:`ws_http.http11`."""

from __future__ import annotations

from ws_http.http11 import (
    MAX_BODY_SIZE as MAX_BODY_SIZE,
    MAX_LINE_LENGTH as MAX_LINE_LENGTH,
    MAX_NUM_HEADERS as MAX_NUM_HEADERS,
    PYTHON_VERSION as PYTHON_VERSION,
    SERVER as SERVER,
    USER_AGENT as USER_AGENT,
    Request as Request,
    Response as Response,
    d as d,
    parse_headers as parse_headers,
    parse_line as parse_line,
    read_body as read_body,
)


__all__ = [
    "SERVER",
    "USER_AGENT",
    "Request",
    "Response",
]

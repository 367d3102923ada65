"""Exceptions that only the legacy opening handshake raises."""

from __future__ import annotations

import http

from ws_frames.exceptions import (
    InvalidHandshake,
    InvalidMessage,
    ProtocolError as WebSocketProtocolError,
)
from ws_frames.typing import StatusLike
from ws_http.datastructures import Headers, HeadersLike


__all__ = [
    "AbortHandshake",
    "InvalidHandshake",
    "InvalidMessage",
    "InvalidStatusCode",
    "RedirectHandshake",
    "StatusLike",
    "WebSocketProtocolError",
]


class InvalidStatusCode(InvalidHandshake):
    """
    Raised when a handshake response status code is invalid.

    Attributes:
        status_code: HTTP status code of the response.
        headers: HTTP headers of the response.

    """

    def __init__(self, status_code: int, headers: Headers) -> None:
        self.status_code = status_code
        self.headers = headers

    def __str__(self) -> str:
        return f"server rejected WebSocket connection: HTTP {self.status_code}"


class AbortHandshake(InvalidHandshake):
    """
    Raised to abort the handshake on purpose and return an HTTP response.

    This exception is an implementation detail; the public API is
    :meth:`~ws_asyncio.legacy.server.WebSocketServerProtocol.process_request`.

    Attributes:
        status: HTTP status code.
        headers: HTTP response headers.
        body: HTTP response body.

    """

    def __init__(
        self,
        status: StatusLike,
        headers: HeadersLike,
        body: bytes = b"",
    ) -> None:
        # Accept a plain int as well, as process_request() historically did.
        self.status = http.HTTPStatus(status)
        self.headers = Headers(headers)
        self.body = body

    def __str__(self) -> str:
        return (
            f"HTTP {self.status:d}, {len(self.headers)} headers, {len(self.body)} bytes"
        )


class RedirectHandshake(InvalidHandshake):
    """
    Raised when a handshake gets redirected.

    This exception is an implementation detail.

    """

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __str__(self) -> str:
        return f"redirect to {self.uri}"

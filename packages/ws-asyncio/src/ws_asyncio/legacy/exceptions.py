"""
Exceptions of the legacy opening handshake.

The legacy client reports a refused handshake with :exc:`InvalidStatusCode`;
the legacy server turns :exc:`AbortHandshake` into the HTTP response it
carries. The other names are the shared exceptions under their legacy names.

"""

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
    The server answered the opening handshake with a status other than 101.

    Attributes:
        status_code: The status code of the response.
        headers: The headers of the response.

    """

    def __init__(self, status_code: int, headers: Headers) -> None:
        self.status_code = status_code
        self.headers = headers

    def __str__(self) -> str:
        return "server rejected WebSocket connection: HTTP " + str(self.status_code)


class AbortHandshake(InvalidHandshake):
    """
    Stop the opening handshake and answer with this HTTP response instead.

    The legacy server raises it with what
    :meth:`~ws_asyncio.legacy.server.WebSocketServerProtocol.process_request`
    returns; raising it from that hook has the same effect.

    Attributes:
        status: The status of the response, as :class:`http.HTTPStatus`.
        headers: The headers of the response.
        body: The body of the response.

    """

    def __init__(
        self,
        status: StatusLike,
        headers: HeadersLike,
        body: bytes = b"",
    ) -> None:
        self.status = http.HTTPStatus(status)
        self.headers = Headers(headers)
        self.body = body

    def __str__(self) -> str:
        size = len(self.body)
        return f"HTTP {int(self.status)}, {len(self.headers)} headers, {size} bytes"


class RedirectHandshake(InvalidHandshake):
    """
    The server answered the opening handshake with a redirect to ``uri``.

    The legacy client catches it to connect to ``uri`` instead.

    """

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __str__(self) -> str:
        return "redirect to " + self.uri

"""
The two HTTP/1.1 messages of the opening handshake: a request and its response.

Parsing is incremental. :meth:`Request.parse` and :meth:`Response.parse` are
generator-based coroutines that pull bytes with ``read_line``,
``read_exact`` and ``read_to_eof``, usually the methods of a
:class:`ws_frames.streams.StreamReader`, and yield whenever they need more:
a message may arrive in as many pieces as the network likes.

Everything that the peer controls is bounded: the length of a line, the
number of headers and the size of a body. The limits are read from the
``WEBSOCKETS_MAX_LINE_LENGTH``, ``WEBSOCKETS_MAX_NUM_HEADERS`` and
``WEBSOCKETS_MAX_BODY_SIZE`` environment variables when this module is
imported; change :data:`MAX_LINE_LENGTH`, :data:`MAX_NUM_HEADERS` and
:data:`MAX_BODY_SIZE` to set them later.

"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Callable, Generator

from ws_frames.exceptions import (
    HeaderLineTooLong,
    RequestLineTooLong,
    SecurityError,
    StatusLineTooLong,
    TooManyHeaders,
)
from ws_frames.streams import StreamReader

from .datastructures import _COMMON_NAMES, Headers


__all__ = ["Request", "Response", "SERVER", "USER_AGENT"]


PYTHON_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"

# This implementation provides the API of websockets 17.0.1 and says so to
# peers, which sometimes adapt to the software they talk to.
_PRODUCT = f"Python/{PYTHON_VERSION} websockets/17.0.1"

USER_AGENT = os.environ.get("WEBSOCKETS_USER_AGENT", _PRODUCT)
"""Value of the ``User-Agent`` header of client requests."""

SERVER = os.environ.get("WEBSOCKETS_SERVER", _PRODUCT)
"""Value of the ``Server`` header of server responses."""

MAX_LINE_LENGTH = int(os.environ.get("WEBSOCKETS_MAX_LINE_LENGTH", "8192"))
"""Longest request line, status line or header line, CRLF included."""
# 8 KiB is what common HTTP servers accept by default.

MAX_NUM_HEADERS = int(os.environ.get("WEBSOCKETS_MAX_NUM_HEADERS", "128"))
"""Most header lines in a message; with the line limit, about 1 MiB."""

MAX_BODY_SIZE = int(os.environ.get("WEBSOCKETS_MAX_BODY_SIZE", "1_048_576"))
"""Largest body of a response, in bytes."""
# A body is only read from a server that refuses the handshake, to show its
# error message; there is no reason to accept a large one.


# The grammar of RFC 7230 section 3, over bytes.
_TCHARS = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
_TOKEN = re.compile(rb"[%s]+" % _TCHARS)
# Field content: HTAB, SP, VCHAR and obs-text. Obsolete line folding isn't
# supported: a line that starts with whitespace has an invalid name.
_FIELD_CONTENT = rb"[\t\x20-\x7e\x80-\xff]*"
_FIELD_VALUE = re.compile(_FIELD_CONTENT)
# RFC 7230 section 5.3 and RFC 3986 section 2: a request target is ASCII,
# other characters being percent-encoded. Its syntax is left to the server.
_TARGET = re.compile(rb"[\x21-\x7e]+")
_VERSION = re.compile(rb"HTTP/[0-9]\.[0-9]")
_DIGITS = re.compile(rb"[0-9]+")
_STATUS = re.compile(rb"[1-5][0-9]{2}")
_HEADER_BLOCK = re.compile(rb"(?:[%s]+:%s\r\n)*" % (_TCHARS, _FIELD_CONTENT))
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")

# What every handshake request carries, as it usually arrives, and one
# shared string for each: a server keeps the request of each connection, and
# needn't keep a copy of these per connection. See also Headers.
_SHARED = {
    text.encode(): text
    for text in [
        *_COMMON_NAMES,
        *(name.lower() for name in _COMMON_NAMES),
        "GET",
        "HTTP/1.1",
        "Upgrade",
        "websocket",
        "13",
    ]
}
_SHARED_TEXT = {text: text for text in _SHARED.values()}

ReadLine = Callable[[int, type[Exception]], Generator[None, None, bytes | bytearray]]
ReadExact = Callable[[int], Generator[None, None, bytes | bytearray]]
ReadToEOF = Callable[[int, type[Exception]], Generator[None, None, bytes | bytearray]]


def d(value: bytes | bytearray) -> str:
    """Show bytes from the peer in an error message, whatever they contain."""
    # Error messages quote what the peer sent, without choking on bad UTF-8.
    return value.decode(errors="backslashreplace")


def _text(value: bytes | bytearray) -> str:
    # RFC 7230 section 3.2.4: header fields are ISO-8859-1, byte for character.
    return value.decode("iso-8859-1")


@dataclasses.dataclass
class Request:
    """
    An HTTP request; in the opening handshake, the client's.

    Attributes:
        path: Request target: the path and the query, not decoded.
        headers: Request headers.
        method: Request method; the handshake uses ``GET``.
        protocol: HTTP version; the handshake uses ``HTTP/1.1``.

    """

    path: str
    headers: Headers
    method: str = "GET"
    protocol: str = "HTTP/1.1"
    # Set by the server protocol when it refuses the request.
    _exception: Exception | None = None

    def serialize(self) -> bytes:
        """
        Return the request as bytes to send.

        Raises:
            UnicodeEncodeError: If the request line isn't ASCII.

        """
        head = f"{self.method} {self.path} {self.protocol}\r\n"
        return head.encode("ascii") + self.headers.serialize()

    @classmethod
    def parse(
        cls,
        read_line: ReadLine,
    ) -> Generator[None, None, Request]:
        """
        Parse a request, then stop: what follows it stays in the stream.

        Any method and any ``HTTP/x.y`` version is accepted, so that the
        server can answer with the right status. A request with a body isn't:
        a handshake request has none, and neither is a request line with
        bytes other than ASCII. Header values are decoded from ISO-8859-1.

        This is a generator-based coroutine.

        Args:
            read_line: Coroutine that returns the next line, LF included.

        Raises:
            EOFError: If the stream ends before the end of the request.
            SecurityError: If the request breaks a limit.
            ValueError: If the request isn't valid HTTP/1.1, or has a body.
            NotImplementedError: If the request has a ``Transfer-Encoding``.

        """
        try:
            line = yield from parse_line(read_line, RequestLineTooLong)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP request line") from exc
        # bytes, not bytearray, to look the method and the version up in _SHARED.
        parts = bytes(line).split(b" ", 2)
        if len(parts) != 3:
            raise ValueError(f"invalid HTTP request line: {d(line)}")
        method, target, version = parts
        for part, pattern, what in [
            (method, _TOKEN, "method"),
            (target, _TARGET, "request target"),
            (version, _VERSION, "version"),
        ]:
            if pattern.fullmatch(part) is None:
                raise ValueError(f"invalid HTTP {what}: {d(part)}")

        headers = yield from parse_headers(read_line)

        # RFC 7230 section 3.3.3 decides whether a request has a body.
        if "Transfer-Encoding" in headers:
            raise NotImplementedError("transfer codings aren't supported")
        # Some clients send "Content-Length: 0", which is no body.
        if headers.get_all("Content-Length") not in ([], ["0"]):
            raise ValueError("unsupported request body")

        return cls(
            target.decode(),
            headers,
            _SHARED.get(method) or method.decode(),
            _SHARED.get(version) or version.decode(),
        )


@dataclasses.dataclass
class Response:
    """
    An HTTP response; in the opening handshake, the server's.

    Attributes:
        status_code: Status code: 101 when the server accepts the handshake.
        reason_phrase: Reason phrase.
        headers: Response headers.
        body: Response body, usually an error message.

    """

    status_code: int
    reason_phrase: str
    headers: Headers
    body: bytes | bytearray = b""
    # Set by the client protocol when it refuses the response.
    _exception: Exception | None = None

    def serialize(self) -> bytes:
        """
        Return the response as bytes to send, body included.

        Raises:
            UnicodeEncodeError: If the reason phrase isn't ISO-8859-1.

        """
        head = f"HTTP/1.1 {self.status_code} {self.reason_phrase}\r\n"
        return head.encode("iso-8859-1") + self.headers.serialize() + self.body

    @classmethod
    def parse(
        cls,
        read_line: ReadLine,
        read_exact: ReadExact,
        read_to_eof: ReadToEOF,
        proxy: bool = False,
    ) -> Generator[None, None, Response]:
        """
        Parse a response to a ``GET`` request, body included, then stop.

        The reason phrase and the header values are decoded from ISO-8859-1.

        This is a generator-based coroutine.

        Args:
            read_line: Coroutine that returns the next line, LF included.
            read_exact: Coroutine that returns the next ``n`` bytes.
            read_to_eof: Coroutine that returns everything until the end of
                the stream, up to a limit.
            proxy: Parse the answer of a proxy to ``CONNECT``: accept
                ``HTTP/1.0``, and read no body, as the tunnel starts right
                after the headers.

        Raises:
            EOFError: If the stream ends before the end of the response.
            SecurityError: If the response breaks a limit.
            ValueError: If the response isn't valid HTTP/1.1.
            NotImplementedError: If the body has a transfer coding other than
                chunked.

        """
        try:
            line = yield from parse_line(read_line, StatusLineTooLong)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP status line") from exc
        parts = line.split(b" ", 2)
        if len(parts) != 3:
            raise ValueError(f"invalid HTTP status line: {d(line)}")
        version, status, reason = parts
        # Proxies may still speak HTTP/1.0; WebSocket servers may not.
        if not (version == b"HTTP/1.1" or proxy and version == b"HTTP/1.0"):
            raise ValueError(f"unsupported protocol; expected HTTP/1.1: {d(line)}")
        if _STATUS.fullmatch(status) is None:
            expected = "integer" if _DIGITS.fullmatch(status) is None else "100–599"
            raise ValueError(
                f"invalid status code; expected {expected}; got {d(status)}"
            )
        if _FIELD_VALUE.fullmatch(reason) is None:
            raise ValueError(f"invalid HTTP reason phrase: {d(reason)}")
        status_code = int(status)

        headers = yield from parse_headers(read_line)

        body: bytes | bytearray = b""
        if not proxy:
            body = yield from _read_body(
                status_code, headers, read_line, read_exact, read_to_eof
            )

        return cls(status_code, _text(reason), headers, body)


def parse_line(
    read_line: ReadLine,
    too_long: type[Exception] = SecurityError,
) -> Generator[None, None, bytes | bytearray]:
    """
    Read one CRLF-terminated line, without its CRLF.

    Raises:
        EOFError: If the stream ends first.
        SecurityError: ``too_long`` when the line exceeds ``MAX_LINE_LENGTH``.
        ValueError: If the line ends with a bare LF.

    """
    # RFC 7230 section 3.5 lets a recipient accept a bare LF as the end of a
    # line. Refusing it is safer: intermediaries that disagree on where a
    # line ends can be fooled into seeing different messages.
    line = yield from read_line(MAX_LINE_LENGTH, too_long)
    if line[-2:] != b"\r\n":
        raise ValueError("line without CRLF")
    return line[:-2]


def parse_headers(read_line: ReadLine) -> Generator[None, None, Headers]:
    """
    Read header lines up to the empty line that ends them.

    Raises:
        EOFError: If the stream ends first.
        SecurityError: If a line is too long or there are too many headers.
        ValueError: If a header line is malformed.

    """
    # The usual case: the peer sent the whole header block at once. When it
    # is valid and within limits, one regular expression checks it all.
    reader = getattr(read_line, "__self__", None)
    if isinstance(reader, StreamReader):
        headers = _take_header_block(reader.buffer)
        if headers is not None:
            return headers

    # Otherwise, line by line, which also finds and reports any error.
    headers = Headers()
    count = 0
    while True:
        try:
            line = yield from parse_line(read_line, HeaderLineTooLong)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP headers") from exc
        if not line:
            return headers
        headers.set_insecure(*_header_field(line))
        count += 1
        if count > MAX_NUM_HEADERS:
            raise TooManyHeaders(f"expected no more than {MAX_NUM_HEADERS} headers")


def _header_field(line: bytes | bytearray) -> tuple[str, str]:
    name, colon, value = line.partition(b":")
    if not colon:
        raise ValueError(f"invalid HTTP header line: {d(line)}")
    if _TOKEN.fullmatch(name) is None:
        raise ValueError(f"invalid HTTP header name: {d(name)}")
    # RFC 7230 section 3.2.4: whitespace around the value isn't part of it.
    value = value.strip(b" \t")
    if _FIELD_VALUE.fullmatch(value) is None:
        raise ValueError(f"invalid HTTP header value: {d(value)}")
    return name.decode(), _text(value)


def _take_header_block(buffer: bytearray) -> Headers | None:
    """
    Parse and remove from ``buffer`` a complete, valid header block.

    Return :obj:`None`, leaving ``buffer`` alone, when the block is
    incomplete, invalid or over a limit, for the line by line parser to
    wait for more data or to report the error.

    """
    if buffer[:2] == b"\r\n":
        del buffer[:2]
        return Headers()
    end = buffer.find(b"\r\n\r\n") + 2  # the block keeps its last CRLF
    if end == 1:
        return None
    block = buffer[:end]
    # Decoded at once, one character per byte: a valid name is ASCII, and a
    # value is ISO-8859-1.
    lines = _text(block[:-2]).split("\r\n")
    if len(lines) > MAX_NUM_HEADERS:
        return None
    # When the whole block is short enough, so is each of its lines.
    if end > MAX_LINE_LENGTH and max(map(len, lines)) + 2 > MAX_LINE_LENGTH:
        return None
    if _HEADER_BLOCK.fullmatch(block) is None:
        return None
    del buffer[: end + 2]
    return Headers._from_valid_lines(lines, _SHARED_TEXT)


def _read_body(
    status_code: int,
    headers: Headers,
    read_line: ReadLine,
    read_exact: ReadExact,
    read_to_eof: ReadToEOF,
) -> Generator[None, None, bytes | bytearray]:
    # RFC 7230 section 3.3.3, for a response to GET: 1xx, 204 and 304 have
    # no body; then Transfer-Encoding wins over Content-Length; without
    # either, the body runs until the end of the stream.
    if status_code < 200 or status_code in (204, 304):
        return b""

    codings = headers.get_all("Transfer-Encoding")
    if codings:
        coding = ",".join(codings).strip(" \t").lower()
        if coding != "chunked":
            raise NotImplementedError(f"transfer coding {coding} isn't supported")
        return (yield from _read_chunks(read_line, read_exact))

    lengths = headers.get_all("Content-Length")
    if not lengths:
        return (yield from read_to_eof(MAX_BODY_SIZE, SecurityError))
    # RFC 7230 section 3.3.2 allows the same length more than once.
    if len(set(lengths)) > 1:
        raise ValueError(f"conflicting Content-Length headers: {lengths}")
    length = lengths[0]
    if _DECIMAL.fullmatch(length) is None:
        raise ValueError(f"invalid Content-Length header: {length}")
    # Converting a long string of digits to int takes quadratic time; 19
    # digits are already far beyond any limit.
    if len(length) > 18 or int(length) > MAX_BODY_SIZE:
        raise SecurityError(f"body too large: {length} bytes")
    return (yield from read_exact(int(length)))


def _read_chunks(
    read_line: ReadLine,
    read_exact: ReadExact,
) -> Generator[None, None, bytes]:
    # RFC 7230 section 4.1; chunk extensions and trailers are ignored.
    body = bytearray()
    while True:
        line = yield from parse_line(read_line)
        size = _chunk_size(line, len(body))
        if size == 0:
            break
        body += yield from read_exact(size)
        if (yield from read_exact(2)) != b"\r\n":
            raise ValueError("chunk without CRLF")
    yield from parse_headers(read_line)  # the trailer
    return bytes(body)


def _chunk_size(line: bytes | bytearray, received: int) -> int:
    digits = line.partition(b";")[0].rstrip(b" \t")
    if _HEX.fullmatch(digits) is None:
        raise ValueError(f"invalid chunk size: {d(digits)}")
    # As for Content-Length: 16 hex digits would already be exabytes.
    if len(digits) > 15:
        raise SecurityError(f"chunk too large: 0x{d(digits)} bytes")
    size = int(digits, 16)
    if received + size > MAX_BODY_SIZE:
        raise SecurityError(f"chunk too large: {size} bytes after {received} bytes")
    return size

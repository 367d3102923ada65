"""
HTTP/1.1 requests and responses, as far as the WebSocket opening handshake
needs them.

Parsers are generator-based coroutines reading from a buffer through
``read_line``, ``read_exact`` and ``read_to_eof``, such as the methods of
:class:`ws_frames.streams.StreamReader`: a request or response may arrive in
any number of pieces.

Security limits on the length of lines, the number of headers and the size of
bodies can be set with the ``WEBSOCKETS_MAX_LINE_LENGTH``,
``WEBSOCKETS_MAX_NUM_HEADERS`` and ``WEBSOCKETS_MAX_BODY_SIZE`` environment
variables, or by changing :data:`MAX_LINE_LENGTH`, :data:`MAX_NUM_HEADERS` and
:data:`MAX_BODY_SIZE` in this module.

"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import warnings
from collections.abc import Callable, Generator

from ws_frames.exceptions import (
    HeaderLineTooLong,
    RequestLineTooLong,
    SecurityError,
    StatusLineTooLong,
    TooManyHeaders,
)
from ws_frames.streams import StreamReader

from .datastructures import Headers


__all__ = [
    "SERVER",
    "USER_AGENT",
    "Request",
    "Response",
]


PYTHON_VERSION = "{}.{}".format(*sys.version_info)

# Peers identify this implementation by the API it provides.
WEBSOCKETS_VERSION = "17.0.0"

# User-Agent header for HTTP requests.
USER_AGENT = os.environ.get(
    "WEBSOCKETS_USER_AGENT",
    f"Python/{PYTHON_VERSION} websockets/{WEBSOCKETS_VERSION}",
)

# Server header for HTTP responses.
SERVER = os.environ.get(
    "WEBSOCKETS_SERVER",
    f"Python/{PYTHON_VERSION} websockets/{WEBSOCKETS_VERSION}",
)

# Maximum total size of headers is around 128 * 8 KiB = 1 MiB.
MAX_NUM_HEADERS = int(os.environ.get("WEBSOCKETS_MAX_NUM_HEADERS", "128"))

# Limit request line and header lines. 8KiB is the most common default
# configuration of popular HTTP servers.
MAX_LINE_LENGTH = int(os.environ.get("WEBSOCKETS_MAX_LINE_LENGTH", "8192"))

# Support for HTTP response bodies is intended to read an error message
# returned by a server. It isn't designed to perform large file transfers.
MAX_BODY_SIZE = int(os.environ.get("WEBSOCKETS_MAX_BODY_SIZE", "1_048_576"))  # 1 MiB


def d(value: bytes | bytearray) -> str:
    """
    Decode a bytestring for interpolating into an error message.

    """
    return value.decode(errors="backslashreplace")


# See https://datatracker.ietf.org/doc/html/rfc7230#appendix-B.

# Regex for validating header names.

_token_re = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")

# Regex for validating header values.

# We don't attempt to support obsolete line folding.

# Include HTAB (\x09), SP (\x20), VCHAR (\x21-\x7e), obs-text (\x80-\xff).

# The ABNF is complicated because it attempts to express that optional
# whitespace is ignored. We strip whitespace and don't revalidate that.

# See also https://www.rfc-editor.org/errata_search.php?rfc=7230&eid=4189

_value_re = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")

# RFC 7230 section 2.6: HTTP-version = HTTP-name "/" DIGIT "." DIGIT.
_version_re = re.compile(rb"HTTP/[0-9]\.[0-9]")

# RFC 7230 section 3.1.1: method = token; request-target has no whitespace.
_target_re = re.compile(rb"[\x21-\x7e\x80-\xff]+")

# RFC 7230 section 3.1.2: status-code = 3DIGIT.
_status_re = re.compile(rb"[1-5][0-9][0-9]")

_digits_re = re.compile(r"[0-9]+")

_hex_re = re.compile(rb"[0-9a-fA-F]+")

ReadLine = Callable[[int, type[Exception]], Generator[None, None, bytes | bytearray]]
ReadExact = Callable[[int], Generator[None, None, bytes | bytearray]]
ReadToEOF = Callable[[int, type[Exception]], Generator[None, None, bytes | bytearray]]


@dataclasses.dataclass
class Request:
    """
    WebSocket handshake request.

    Attributes:
        path: Request path, including optional query.
        headers: Request headers.
        method: Request method; the opening handshake requires ``GET``.
        protocol: HTTP version; the opening handshake requires ``HTTP/1.1``.

    """

    path: str
    headers: Headers
    method: str = "GET"
    protocol: str = "HTTP/1.1"
    # body isn't useful is the context of this library.

    _exception: Exception | None = None

    @property
    def exception(self) -> Exception | None:
        """Why the handshake failed; deprecated, see ``handshake_exc``."""
        # deprecated in websockets 10.3 - 2022-04-17
        warnings.warn(
            "Request.exception is deprecated; use ServerProtocol.handshake_exc instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._exception

    @classmethod
    def parse(
        cls,
        read_line: ReadLine,
    ) -> Generator[None, None, Request]:
        """
        Parse a WebSocket handshake request.

        This is a generator-based coroutine.

        The request path isn't URL-decoded or validated in any way.

        The request path and headers are expected to contain only ASCII
        characters. Other characters are represented with surrogate escapes.

        :meth:`parse` accepts any method and any HTTP/x.y version, so that the
        server can answer with the appropriate status code; it doesn't read
        a request body: a handshake request must not have one.

        Args:
            read_line: Generator-based coroutine that reads a LF-terminated
                line or raises an exception if there isn't enough data.

        Raises:
            EOFError: If the connection is closed without a full HTTP request.
            SecurityError: If the request exceeds a security limit.
            ValueError: If the request isn't well formatted.
            NotImplementedError: If the request has a ``Transfer-Encoding``.

        """
        # https://datatracker.ietf.org/doc/html/rfc6455#section-4.2.1

        # Parsing is simple because fixed values are expected for method and
        # version and because path isn't checked. Since WebSocket software tends
        # to implement HTTP/1.1 strictly, there's little need for lenient parsing.

        try:
            request_line = yield from parse_line(read_line, RequestLineTooLong)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP request line") from exc

        try:
            method, raw_path, protocol = request_line.split(b" ", 2)
        except ValueError:  # not enough values to unpack (expected 3, got 1-2)
            raise ValueError(f"invalid HTTP request line: {d(request_line)}") from None
        if _token_re.fullmatch(method) is None:
            raise ValueError(f"invalid HTTP method: {d(method)}")
        if _target_re.fullmatch(raw_path) is None:
            raise ValueError(f"invalid HTTP request target: {d(raw_path)}")
        if _version_re.fullmatch(protocol) is None:
            raise ValueError(f"invalid HTTP version: {d(protocol)}")

        headers = yield from parse_headers(read_line)

        # https://datatracker.ietf.org/doc/html/rfc7230#section-3.3.3

        if "Transfer-Encoding" in headers:
            raise NotImplementedError("transfer codings aren't supported")

        content_lengths = headers.get_all("Content-Length")
        # Some devices send a Content-Length header with a value of 0.
        if content_lengths and content_lengths != ["0"]:
            raise ValueError("unsupported request body")

        return cls(
            raw_path.decode("ascii", "surrogateescape"),
            headers,
            method.decode(),
            protocol.decode(),
        )

    def serialize(self) -> bytes:
        """
        Serialize a WebSocket handshake request.

        """
        # Since the request line and headers only contain ASCII characters,
        # we can keep this simple.
        request = f"{self.method} {self.path} {self.protocol}\r\n".encode(
            "utf-8", "surrogateescape"
        )
        request += self.headers.serialize()
        return request


@dataclasses.dataclass
class Response:
    """
    WebSocket handshake response.

    Attributes:
        status_code: Response code.
        reason_phrase: Response reason.
        headers: Response headers.
        body: Response body.

    """

    status_code: int
    reason_phrase: str
    headers: Headers
    body: bytes | bytearray = b""

    _exception: Exception | None = None

    @property
    def exception(self) -> Exception | None:
        """Why the handshake failed; deprecated, see ``handshake_exc``."""
        # deprecated in websockets 10.3 - 2022-04-17
        warnings.warn(
            "Response.exception is deprecated; "
            "use ClientProtocol.handshake_exc instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._exception

    @classmethod
    def parse(
        cls,
        read_line: ReadLine,
        read_exact: ReadExact,
        read_to_eof: ReadToEOF,
        proxy: bool = False,
    ) -> Generator[None, None, Response]:
        """
        Parse a WebSocket handshake response.

        This is a generator-based coroutine.

        The reason phrase and headers are expected to contain only ASCII
        characters. Other characters are represented with surrogate escapes.

        Args:
            read_line: Generator-based coroutine that reads a LF-terminated
                line or raises an exception if there isn't enough data.
            read_exact: Generator-based coroutine that reads the requested
                bytes or raises an exception if there isn't enough data.
            read_to_eof: Generator-based coroutine that reads until the end
                of the stream.
            proxy: Parse the response to a ``CONNECT`` request sent to a
                proxy: accept HTTP/1.0 and don't read a body.

        Raises:
            EOFError: If the connection is closed without a full HTTP response.
            SecurityError: If the response exceeds a security limit.
            ValueError: If the response isn't well formatted.
            NotImplementedError: If the body uses a transfer coding other
                than chunked.

        """
        # https://datatracker.ietf.org/doc/html/rfc7230#section-3.1.2

        try:
            status_line = yield from parse_line(read_line, StatusLineTooLong)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP status line") from exc

        try:
            protocol, raw_status_code, raw_reason = status_line.split(b" ", 2)
        except ValueError:  # not enough values to unpack (expected 3, got 1-2)
            raise ValueError(f"invalid HTTP status line: {d(status_line)}") from None
        # Some proxies still answer with HTTP/1.0.
        if protocol != b"HTTP/1.1" and not (proxy and protocol == b"HTTP/1.0"):
            raise ValueError(
                f"unsupported protocol; expected HTTP/1.1: {d(status_line)}"
            )
        if _status_re.fullmatch(raw_status_code) is None:
            raise ValueError(
                f"invalid status code; expected 100–599; got {d(raw_status_code)}"
            )
        if _value_re.fullmatch(raw_reason) is None:
            raise ValueError(f"invalid HTTP reason phrase: {d(raw_reason)}")
        status_code = int(raw_status_code)
        reason = raw_reason.decode("ascii", "surrogateescape")

        headers = yield from parse_headers(read_line)

        if proxy:
            body: bytes | bytearray = b""
        else:
            body = yield from read_body(
                status_code, headers, read_line, read_exact, read_to_eof
            )

        return cls(status_code, reason, headers, body)

    def serialize(self) -> bytes:
        """
        Serialize a WebSocket handshake response.

        """
        # Since the status line and headers only contain ASCII characters,
        # we can keep this simple.
        response = f"HTTP/1.1 {self.status_code} {self.reason_phrase}\r\n".encode(
            "utf-8", "surrogateescape"
        )
        response += self.headers.serialize()
        response += self.body
        return response


def parse_line(
    read_line: ReadLine,
    too_long_exc_type: type[Exception] = SecurityError,
) -> Generator[None, None, bytes | bytearray]:
    """
    Parse a single line.

    CRLF is stripped from the return value.

    Args:
        read_line: Generator-based coroutine that reads a LF-terminated line
            or raises an exception if there isn't enough data.
        too_long_exc_type: Exception to raise when the line is too long.

    Raises:
        EOFError: If the connection is closed without a line ending.
        SecurityError: If the line exceeds a security limit.
        ValueError: If the line ends with a bare LF.

    """
    line = yield from read_line(MAX_LINE_LENGTH, too_long_exc_type)
    # RFC 7230 section 3.5 allows accepting a bare LF; refusing it is safer
    # because some intermediaries don't.
    if not line.endswith(b"\r\n"):
        raise ValueError("line without CRLF")
    return line[:-2]


def parse_headers(
    read_line: ReadLine,
) -> Generator[None, None, Headers]:
    """
    Parse HTTP headers.

    Non-ASCII characters are represented with surrogate escapes.

    Args:
        read_line: Generator-based coroutine that reads a LF-terminated line
            or raises an exception if there isn't enough data.

    Raises:
        EOFError: If the connection is closed without complete headers.
        SecurityError: If the request exceeds a security limit.
        ValueError: If the request isn't well formatted.

    """
    # https://datatracker.ietf.org/doc/html/rfc7230#section-3.2

    # We don't attempt to support obsolete line folding.

    # Fast path: when all headers are already buffered, parse them at once.
    reader = getattr(read_line, "__self__", None)
    if isinstance(reader, StreamReader):
        headers = parse_buffered_headers(reader.buffer)
        if headers is not None:
            return headers

    headers = Headers()
    for _ in range(MAX_NUM_HEADERS + 1):
        try:
            line = yield from parse_line(read_line, HeaderLineTooLong)
        except EOFError as exc:
            raise EOFError("connection closed while reading HTTP headers") from exc
        if not line:
            return headers

        try:
            raw_name, raw_value = line.split(b":", 1)
        except ValueError:  # not enough values to unpack (expected 2, got 1)
            raise ValueError(f"invalid HTTP header line: {d(line)}") from None
        if _token_re.fullmatch(raw_name) is None:
            raise ValueError(f"invalid HTTP header name: {d(raw_name)}")
        raw_value = raw_value.strip(b" \t")
        if _value_re.fullmatch(raw_value) is None:
            raise ValueError(f"invalid HTTP header value: {d(raw_value)}")

        # Both were validated just above.
        headers.set_insecure(
            raw_name.decode("ascii"),
            raw_value.decode("ascii", "surrogateescape"),
        )

    raise TooManyHeaders("too many HTTP headers")


# A block of valid header lines, each ending with CRLF.
_header_block_re = re.compile(
    rb"(?:[-!#$%&'*+.^_`|~0-9a-zA-Z]+:[\x09\x20-\x7e\x80-\xff]*\r\n)*"
)


def parse_buffered_headers(buffer: bytearray) -> Headers | None:
    """
    Parse HTTP headers that are complete in ``buffer`` and remove them.

    This gives the same result as reading them line by line, in one pass
    over the buffer. It returns :obj:`None` without touching the buffer when
    the headers aren't complete or aren't valid, or when they break a limit:
    then parsing them line by line finds the error and reports it.

    """
    if buffer.startswith(b"\r\n"):
        del buffer[:2]
        return Headers()
    # A header line cannot be empty: the first empty line ends the headers.
    end = buffer.find(b"\r\n\r\n")
    if end == -1:
        return None
    block = buffer[: end + 2]
    count = block.count(b"\r\n")
    if count > MAX_NUM_HEADERS:
        return None
    # When the whole block fits within the limit, every line does.
    if len(block) > MAX_LINE_LENGTH and any(
        len(line) + 2 > MAX_LINE_LENGTH for line in block.split(b"\r\n")
    ):
        return None
    if _header_block_re.fullmatch(block) is None:
        return None
    del buffer[: end + 4]

    # Fill the headers directly: names and values were validated above.
    headers = Headers()
    by_name, items = headers._dict, headers._list
    for line in block[:-2].decode("ascii", "surrogateescape").split("\r\n"):
        name, value = line.split(":", 1)
        value = value.strip(" \t")
        by_name.setdefault(name.lower(), []).append(value)
        items.append((name, value))
    return headers


def read_body(
    status_code: int,
    headers: Headers,
    read_line: ReadLine,
    read_exact: ReadExact,
    read_to_eof: ReadToEOF,
) -> Generator[None, None, bytes | bytearray]:
    """
    Read the body of an HTTP response to a ``GET`` request.

    See `RFC 7230 section 3.3.3`_.

    .. _RFC 7230 section 3.3.3: https://datatracker.ietf.org/doc/html/rfc7230#section-3.3.3

    Raises:
        EOFError: If the connection is closed before the end of the body.
        SecurityError: If the body exceeds :data:`MAX_BODY_SIZE`.
        ValueError: If the framing of the body is invalid.
        NotImplementedError: If the body uses a transfer coding other than
            chunked.

    """
    # Since only GET requests are sent (no HEAD, no CONNECT), all responses
    # except 1xx, 204, and 304 include a message body.
    if 100 <= status_code < 200 or status_code == 204 or status_code == 304:
        return b""

    # A Transfer-Encoding header overrides Content-Length.
    codings = headers.get_all("Transfer-Encoding")
    if codings:
        coding = ",".join(codings).strip(" \t").lower()
        if coding != "chunked":
            raise NotImplementedError(f"transfer coding {coding} isn't supported")
        return (yield from read_chunked_body(read_line, read_exact))

    content_lengths = headers.get_all("Content-Length")
    if content_lengths:
        # Repeated identical values are allowed by RFC 7230 section 3.3.2.
        if len(set(content_lengths)) != 1:
            raise ValueError(f"conflicting Content-Length headers: {content_lengths}")
        raw_content_length = content_lengths[0]
        if _digits_re.fullmatch(raw_content_length) is None:
            raise ValueError(f"invalid Content-Length header: {raw_content_length}")
        # Don't convert huge numbers: int() is quadratic in the number of digits.
        if len(raw_content_length) > 18:
            raise SecurityError(f"body too large: {raw_content_length} bytes")
        content_length = int(raw_content_length)
        if content_length > MAX_BODY_SIZE:
            raise SecurityError(f"body too large: {content_length} bytes")
        return (yield from read_exact(content_length))

    return (yield from read_to_eof(MAX_BODY_SIZE, SecurityError))


def read_chunked_body(
    read_line: ReadLine,
    read_exact: ReadExact,
) -> Generator[None, None, bytes | bytearray]:
    """
    Read a body with the chunked transfer coding (RFC 7230 section 4.1).

    Chunk extensions and trailer fields are read and ignored.

    """
    body = bytearray()
    while True:
        chunk_size_line = yield from parse_line(read_line)
        raw_chunk_size = chunk_size_line.split(b";", 1)[0].rstrip(b" \t")
        if _hex_re.fullmatch(raw_chunk_size) is None:
            raise ValueError(f"invalid chunk size: {d(raw_chunk_size)}")
        # 15 hex digits are 1 EiB, far above any limit.
        if len(raw_chunk_size) > 15:
            raise SecurityError(f"chunk too large: 0x{d(raw_chunk_size)} bytes")
        chunk_size = int(raw_chunk_size, 16)
        if chunk_size == 0:
            break
        if len(body) + chunk_size > MAX_BODY_SIZE:
            raise SecurityError(
                f"chunk too large: {chunk_size} bytes after {len(body)} bytes"
            )
        body += yield from read_exact(chunk_size)
        if (yield from read_exact(2)) != b"\r\n":
            raise ValueError("chunk without CRLF")
    # Read the trailer.
    yield from parse_headers(read_line)
    return bytes(body)

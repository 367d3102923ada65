"""
HTTP/1.1 handshake messages for the legacy API.

The grammar of lines and headers is the one of :mod:`ws_http.http11`; this
module adds the rules of the legacy API for the first line (a ``GET`` request
in HTTP/1.1, a response in HTTP/1.1) and never reads a body.

:func:`request_parser` and :func:`response_parser` are generator-based
parsers reading lines like :meth:`ws_frames.streams.StreamReader.read_line`;
the legacy connections run them on their buffer. :func:`read_request` and
:func:`read_response` run them on an :class:`asyncio.StreamReader`.

"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Generator
from typing import TypeVar

from ws_frames.exceptions import (
    InvalidHeaderValue,
    RequestLineTooLong,
    StatusLineTooLong,
)
from ws_http.datastructures import Headers
from ws_http.http11 import (
    # The limits of the shared parsers, importable from here too.
    MAX_LINE_LENGTH as MAX_LINE_LENGTH,
    MAX_NUM_HEADERS as MAX_NUM_HEADERS,
    ReadLine,
    d as d,
    parse_headers,
    parse_line,
)


__all__ = ["read_request", "read_response"]

T = TypeVar("T")

# RFC 7230, section 3.1.2: reason-phrase = *( HTAB / SP / VCHAR / obs-text )
_reason_phrase = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")


def request_parser(read_line: ReadLine) -> Generator[None, None, tuple[str, Headers]]:
    """
    Parse a handshake request into its path and headers.

    The path is neither decoded nor checked; bytes that aren't ASCII become
    surrogate escapes, in the path as in the headers.

    Raises:
        EOFError: If the stream ends before the end of the headers.
        SecurityError: If the request exceeds a limit.
        ValueError: If it isn't a well-formed HTTP/1.1 GET request.

    """
    try:
        line = yield from parse_line(read_line, RequestLineTooLong)
    except EOFError as exc:
        raise EOFError("connection closed while reading HTTP request line") from exc
    parts = bytes(line).split(b" ", 2)
    if len(parts) != 3:
        raise ValueError(f"invalid HTTP request line: {d(line)}")
    method, target, version = parts
    if method != b"GET":
        raise ValueError(f"unsupported HTTP method: {d(method)}")
    if version != b"HTTP/1.1":
        raise ValueError(f"unsupported HTTP version: {d(version)}")
    headers = yield from parse_headers(read_line)
    _refuse_non_ascii(headers)
    return target.decode("ascii", "surrogateescape"), headers


def response_parser(
    read_line: ReadLine,
) -> Generator[None, None, tuple[int, str, Headers]]:
    """
    Parse a handshake response into its status code, reason and headers.

    Bytes that aren't ASCII become surrogate escapes.

    Raises:
        EOFError: If the stream ends before the end of the headers.
        SecurityError: If the response exceeds a limit.
        ValueError: If it isn't a well-formed HTTP/1.1 response.

    """
    try:
        line = yield from parse_line(read_line, StatusLineTooLong)
    except EOFError as exc:
        raise EOFError("connection closed while reading HTTP status line") from exc
    parts = bytes(line).split(b" ", 2)
    if len(parts) != 3:
        raise ValueError(f"invalid HTTP status line: {d(line)}")
    version, code, reason = parts
    if version != b"HTTP/1.1":
        raise ValueError(f"unsupported HTTP version: {d(version)}")
    try:
        status_code = int(code)
    except ValueError:
        raise ValueError(f"invalid HTTP status code: {d(code)}") from None
    # int() also reads signs, spaces and underscores: three digits or nothing.
    if not (len(code) == 3 and code.isdigit() and status_code >= 100):
        raise ValueError(f"unsupported HTTP status code: {d(code)}")
    if _reason_phrase.fullmatch(reason) is None:
        raise ValueError(f"invalid HTTP reason phrase: {d(reason)}")
    headers = yield from parse_headers(read_line)
    _refuse_non_ascii(headers)
    return status_code, reason.decode("ascii", "surrogateescape"), headers


def _refuse_non_ascii(headers: Headers) -> None:
    # The legacy API has always handed header values over as ASCII text;
    # rather than change what handlers see, it refuses other values.
    for name, value in headers.raw_items():
        if not value.isascii():
            raise InvalidHeaderValue(name, value)


class _Lines:
    """Serve the lines that a generator-based parser asks for from a stream."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream
        self.line = b""
        self.failure: Exception | None = None

    def read_line(
        self, limit: int, too_long: type[Exception]
    ) -> Generator[None, None, bytes]:
        # run() reads the line while this generator is suspended; errors are
        # raised here, so that the parser sees them where it reads.
        yield
        failure, self.failure = self.failure, None
        if isinstance(failure, asyncio.IncompleteReadError):
            raise EOFError("line without CRLF") from failure
        # LimitOverrunError: the stream's buffer is full without a line end.
        if failure is not None or len(self.line) > limit:
            raise too_long("line too long") from failure
        return self.line

    async def run(self, parser: Generator[None, None, T]) -> T:
        while True:
            try:
                parser.send(None)
            except StopIteration as done:
                result: T = done.value
                return result
            try:
                self.line = await self.stream.readuntil(b"\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                self.failure = exc


async def read_request(stream: asyncio.StreamReader) -> tuple[str, Headers]:
    """
    Read an HTTP/1.1 GET request and return its path and headers.

    The path isn't decoded nor checked. Bytes that aren't ASCII become
    surrogate escapes. A body, if any, stays in ``stream``.

    Raises:
        EOFError: If the stream ends before the end of the request.
        SecurityError: If the request exceeds a limit.
        ValueError: If the request is malformed.

    """
    lines = _Lines(stream)
    return await lines.run(request_parser(lines.read_line))


async def read_response(stream: asyncio.StreamReader) -> tuple[int, str, Headers]:
    """
    Read an HTTP/1.1 response and return its status code, reason and headers.

    Bytes that aren't ASCII become surrogate escapes. A body, if any, stays
    in ``stream``.

    Raises:
        EOFError: If the stream ends before the end of the response.
        SecurityError: If the response exceeds a limit.
        ValueError: If the response is malformed.

    """
    lines = _Lines(stream)
    return await lines.run(response_parser(lines.read_line))


async def read_headers(stream: asyncio.StreamReader) -> Headers:
    """
    Read header lines up to the empty line that ends them.

    Raises:
        EOFError: If the stream ends before the empty line.
        SecurityError: If there are too many headers or a line is too long.
        ValueError: If a line is malformed.

    """
    lines = _Lines(stream)
    return await lines.run(parse_headers(lines.read_line))


async def read_line(stream: asyncio.StreamReader) -> bytes:
    """
    Read a line ending with CRLF and return it without CRLF.

    Raises:
        EOFError: If the stream ends before the end of the line.
        SecurityError: If the line is too long.
        ValueError: If the line ends with a bare LF.

    """
    lines = _Lines(stream)
    return bytes(await lines.run(parse_line(lines.read_line)))

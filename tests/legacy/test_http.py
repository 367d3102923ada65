from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings, strategies as st

from ws_asyncio.legacy.http import (
    MAX_LINE_LENGTH,
    MAX_NUM_HEADERS,
    d,
    read_headers,
    read_line,
    read_request,
    read_response,
)
from ws_frames.exceptions import InvalidHeaderValue, SecurityError
from ws_http.datastructures import Headers


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    positions = sorted({cut % (len(data) + 1) for cut in cuts})
    bounds = [0, *positions, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def feed(chunks: list[bytes], *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    for chunk in chunks:
        reader.feed_data(chunk)
    if eof:
        reader.feed_eof()
    return reader


def parse_request(data: bytes, cuts: list[int] | None = None) -> tuple[str, Headers]:
    async def run() -> tuple[str, Headers]:
        return await read_request(feed(split(data, cuts or [])))

    return asyncio.run(run())


def parse_response(
    data: bytes, cuts: list[int] | None = None
) -> tuple[int, str, Headers]:
    async def run() -> tuple[int, str, Headers]:
        return await read_response(feed(split(data, cuts or [])))

    return asyncio.run(run())


REQUEST = (
    b"GET /chat?x=1 HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"X-Spaces:  \t padded \t \r\n"
    b"X-Dup: a\r\n"
    b"X-Dup: b\r\n"
    b"\r\n"
)

RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"\r\n"
)


@settings(max_examples=50, deadline=None)
@given(cuts=st.lists(st.integers(0, 10**4)))
def test_read_request_any_chunking(cuts: list[int]) -> None:
    path, headers = parse_request(REQUEST, cuts)
    assert path == "/chat?x=1"
    assert headers["Host"] == "server.example.com"
    assert headers["X-Spaces"] == "padded"
    assert headers.get_all("X-Dup") == ["a", "b"]


@settings(max_examples=50, deadline=None)
@given(cuts=st.lists(st.integers(0, 10**4)))
def test_read_response_any_chunking(cuts: list[int]) -> None:
    status_code, reason, headers = parse_response(RESPONSE, cuts)
    assert status_code == 101
    assert reason == "Switching Protocols"
    assert headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_read_request_leaves_body_in_stream() -> None:
    async def run() -> bytes:
        reader = feed([REQUEST + b"body"])
        await read_request(reader)
        return await reader.read()

    assert asyncio.run(run()) == b"body"


def test_non_ascii_path_is_surrogate_escaped() -> None:
    path, _ = parse_request(b"GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n")
    assert path == "/caf\udcc3\udca9"


def test_non_ascii_header_value_is_refused() -> None:
    with pytest.raises(InvalidHeaderValue):
        parse_request(b"GET / HTTP/1.1\r\nX: \xff\r\n\r\n")
    with pytest.raises(InvalidHeaderValue):
        parse_response(b"HTTP/1.1 101 OK\r\nX: caf\xe9\r\n\r\n")


@pytest.mark.parametrize(
    "data, error, message",
    [
        (b"", EOFError, "connection closed while reading HTTP request line"),
        (b"GET / HTTP/1.1", EOFError, "request line"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n", EOFError, "reading HTTP headers"),
        (b"GET /\r\n\r\n", ValueError, "invalid HTTP request line: GET /"),
        (b"POST / HTTP/1.1\r\n\r\n", ValueError, "unsupported HTTP method: POST"),
        (b"GET / HTTP/1.0\r\n\r\n", ValueError, "unsupported HTTP version: HTTP/1.0"),
        (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", ValueError, "invalid HTTP header line"),
        (b"GET / HTTP/1.1\r\nbad name: x\r\n\r\n", ValueError, "header name"),
        (b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", ValueError, "header value"),
        (b"GET / HTTP/1.1\n\r\n", ValueError, "line without CRLF"),
    ],
)
def test_read_request_errors(data: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_request(data)


@pytest.mark.parametrize(
    "data, error, message",
    [
        (b"", EOFError, "connection closed while reading HTTP status line"),
        (b"HTTP/1.1 200\r\n\r\n", ValueError, "invalid HTTP status line"),
        (b"HTTP/1.0 200 OK\r\n\r\n", ValueError, "unsupported HTTP version"),
        (b"HTTP/1.1 OK OK\r\n\r\n", ValueError, "invalid HTTP status code: OK"),
        (b"HTTP/1.1 99 OK\r\n\r\n", ValueError, "unsupported HTTP status code: 99"),
        (b"HTTP/1.1 +200 OK\r\n\r\n", ValueError, "unsupported HTTP status code"),
        (b"HTTP/1.1 200 O\x7fK\r\n\r\n", ValueError, "invalid HTTP reason phrase"),
    ],
)
def test_read_response_errors(
    data: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_response(data)


def test_line_too_long() -> None:
    data = b"GET /" + b"a" * MAX_LINE_LENGTH + b" HTTP/1.1\r\n\r\n"
    with pytest.raises(SecurityError, match="line too long"):
        parse_request(data)


def test_line_over_the_stream_limit() -> None:
    async def run() -> None:
        reader = asyncio.StreamReader(limit=64)
        reader.feed_data(b"GET /" + b"a" * 200)
        await read_request(reader)

    with pytest.raises(SecurityError, match="line too long"):
        asyncio.run(run())


def test_too_many_headers() -> None:
    data = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_NUM_HEADERS + 1) + b"\r\n"
    with pytest.raises(
        SecurityError, match=f"expected no more than {MAX_NUM_HEADERS} headers"
    ):
        parse_request(data)
    data = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * MAX_NUM_HEADERS + b"\r\n"
    assert len(parse_request(data)[1].get_all("X")) == MAX_NUM_HEADERS


def test_d() -> None:
    assert d(b"caf\xc3\xa9\xff") == "caf\xe9\\xff"


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_garbage_raises_only_documented_errors(data: bytes) -> None:
    for parse in (parse_request, parse_response):
        try:
            parse(data)
        except (EOFError, SecurityError, ValueError):
            pass


def test_read_headers_then_line() -> None:
    async def run() -> tuple[Headers, bytes]:
        stream = feed([b"X: 1\r\nY: 2\r\n\r\nrest\r\n"])
        return await read_headers(stream), await read_line(stream)

    headers, line = asyncio.run(run())
    assert (headers["X"], headers["Y"]) == ("1", "2")
    assert line == b"rest"

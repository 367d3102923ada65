from __future__ import annotations

import sys
from collections.abc import Callable, Generator

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import (
    HeaderLineTooLong,
    RequestLineTooLong,
    SecurityError,
    StatusLineTooLong,
    TooManyHeaders,
)
from ws_frames.streams import StreamReader
from ws_http import http11
from ws_http.datastructures import Headers
from ws_http.http11 import Request, Response, d

from .strategies import field_values, paths, reason_phrases, tokens
from .utils import NeedMoreData, drive, split


# RFC 6455 section 1.2.
HANDSHAKE_REQUEST = (
    b"GET /chat HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)

HANDSHAKE_RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"\r\n"
)


def request_parser(reader: StreamReader) -> Generator[None, None, Request]:
    return Request.parse(reader.read_line)


def response_parser(reader: StreamReader) -> Generator[None, None, Response]:
    return Response.parse(reader.read_line, reader.read_exact, reader.read_to_eof)


def proxy_response_parser(reader: StreamReader) -> Generator[None, None, Response]:
    return Response.parse(
        reader.read_line, reader.read_exact, reader.read_to_eof, proxy=True
    )


def parse_request(data: bytes, eof: bool = False) -> Request:
    return drive(request_parser, [data], eof)


def parse_response(data: bytes, eof: bool = False) -> Response:
    return drive(response_parser, [data], eof)


# Requests


def test_parse_request() -> None:
    request = parse_request(HANDSHAKE_REQUEST)
    assert request.path == "/chat"
    assert request.method == "GET"
    assert request.protocol == "HTTP/1.1"
    assert request.headers["Upgrade"] == "websocket"
    assert request.headers.get_all("sec-websocket-protocol") == ["chat, superchat"]


def test_parse_request_one_byte_at_a_time() -> None:
    chunks = [HANDSHAKE_REQUEST[i : i + 1] for i in range(len(HANDSHAKE_REQUEST))]
    assert drive(request_parser, chunks) == parse_request(HANDSHAKE_REQUEST)


def test_parse_request_needs_all_headers() -> None:
    with pytest.raises(NeedMoreData):
        parse_request(HANDSHAKE_REQUEST[:-2])


def test_parse_request_leaves_following_data() -> None:
    reader = StreamReader()
    reader.feed_data(HANDSHAKE_REQUEST + b"\x81\x00")
    with pytest.raises(StopIteration):
        next(Request.parse(reader.read_line))
    assert reader.buffer == b"\x81\x00"


def test_serialize_request() -> None:
    request = parse_request(HANDSHAKE_REQUEST)
    assert request.serialize() == HANDSHAKE_REQUEST


def test_serialize_request_with_method_and_protocol() -> None:
    request = Request("/", Headers(Host="example.com"), "POST", "HTTP/1.0")
    assert request.serialize() == b"POST / HTTP/1.0\r\nHost: example.com\r\n\r\n"


@pytest.mark.parametrize(
    "request_line, method, protocol",
    [
        (b"POST / HTTP/1.1", "POST", "HTTP/1.1"),
        (b"GET / HTTP/1.0", "GET", "HTTP/1.0"),
        (b"OPTIONS * HTTP/2.0", "OPTIONS", "HTTP/2.0"),
    ],
)
def test_parse_request_records_method_and_protocol(
    request_line: bytes, method: str, protocol: str
) -> None:
    request = parse_request(request_line + b"\r\n\r\n")
    assert (request.method, request.protocol) == (method, protocol)


def test_serialize_request_with_non_ascii_path() -> None:
    with pytest.raises(UnicodeEncodeError):
        Request("/café", Headers()).serialize()


@pytest.mark.parametrize(
    "request_line, message",
    [
        (b"GET /", "invalid HTTP request line: GET /"),
        (b"GET", "invalid HTTP request line: GET"),
        (b"G(T / HTTP/1.1", "invalid HTTP method: G(T"),
        (b" / HTTP/1.1", "invalid HTTP method: "),
        (b"GET  / HTTP/1.1", "invalid HTTP request target: "),
        (b"GET /\x00 HTTP/1.1", "invalid HTTP request target: /\x00"),
        (b"GET /caf\xc3\xa9 HTTP/1.1", "invalid HTTP request target: /café"),
        (b"GET /caf\xe9 HTTP/1.1", "invalid HTTP request target: /caf\\xe9"),
        (b"G\xc9T / HTTP/1.1", "invalid HTTP method: G\\xc9T"),
        (b"GET / HTTP/1.1 ", "invalid HTTP version: HTTP/1.1 "),
        (b"GET / HTTP/11", "invalid HTTP version: HTTP/11"),
        (b"GET / http/1.1", "invalid HTTP version: http/1.1"),
        (b"GET / \xff", "invalid HTTP version: \\xff"),
    ],
)
def test_parse_request_invalid_request_line(request_line: bytes, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_request(request_line + b"\r\n\r\n")
    assert str(raised.value) == message


def test_parse_request_empty() -> None:
    with pytest.raises(EOFError) as raised:
        parse_request(b"", eof=True)
    assert str(raised.value) == "connection closed while reading HTTP request line"


def test_parse_request_eof_in_headers() -> None:
    with pytest.raises(EOFError) as raised:
        parse_request(b"GET / HTTP/1.1\r\nHost: a\r\n", eof=True)
    assert str(raised.value) == "connection closed while reading HTTP headers"


def test_parse_request_bare_lf() -> None:
    with pytest.raises(ValueError, match="line without CRLF"):
        parse_request(b"GET / HTTP/1.1\n\n")


def test_parse_request_line_too_long() -> None:
    with pytest.raises(RequestLineTooLong):
        parse_request(b"GET /" + b"a" * 8192 + b" HTTP/1.1\r\n\r\n")


def test_parse_request_header_line_too_long() -> None:
    with pytest.raises(HeaderLineTooLong):
        parse_request(b"GET / HTTP/1.1\r\nX: " + b"a" * 8192 + b"\r\n\r\n")


def test_parse_request_too_many_headers() -> None:
    with pytest.raises(TooManyHeaders) as raised:
        parse_request(b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 129 + b"\r\n")
    assert str(raised.value) == "expected no more than 128 headers"


def test_parse_request_max_headers() -> None:
    request = parse_request(b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 128 + b"\r\n")
    assert len(request.headers.get_all("X")) == 128


def test_limits_can_be_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http11, "MAX_LINE_LENGTH", 20)
    monkeypatch.setattr(http11, "MAX_NUM_HEADERS", 1)
    parse_request(b"GET / HTTP/1.1\r\nX: a\r\n\r\n")
    with pytest.raises(RequestLineTooLong):
        parse_request(b"GET /abcdefgh HTTP/1.1\r\n\r\n")
    with pytest.raises(TooManyHeaders):
        parse_request(b"GET / HTTP/1.1\r\nX: a\r\nX: b\r\n\r\n")


def test_parse_request_transfer_encoding() -> None:
    with pytest.raises(NotImplementedError, match="transfer codings"):
        parse_request(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")


def test_parse_request_content_length_zero() -> None:
    request = parse_request(b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    assert request.headers["Content-Length"] == "0"


@pytest.mark.parametrize("value", [b"1", b"00", b"x"])
def test_parse_request_body(value: bytes) -> None:
    with pytest.raises(ValueError, match="unsupported request body"):
        parse_request(b"GET / HTTP/1.1\r\nContent-Length: " + value + b"\r\n\r\n")


# Headers


def test_parse_headers_strips_whitespace() -> None:
    request = parse_request(b"GET / HTTP/1.1\r\nX:  \t a b \t\r\nY:\r\n\r\n")
    assert request.headers["X"] == "a b"
    assert request.headers["Y"] == ""


def test_parse_headers_iso_8859_1() -> None:
    request = parse_request(b"GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n")
    assert request.headers["X"] == "café"
    assert request.headers.serialize() == b"X: caf\xe9\r\n\r\n"


def test_parse_headers_iso_8859_1_line_by_line() -> None:
    chunks = [b"GET / HTTP/1.1\r\nX: caf", b"\xe9\r\n", b"\r\n"]
    request = drive(request_parser, chunks)
    assert request.headers["X"] == "café"


def test_parse_headers_utf_8_recipe() -> None:
    # The recipe that websockets documents for peers that send UTF-8.
    request = parse_request(b"GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n")
    assert request.headers["X"].encode("iso-8859-1").decode("utf-8") == "café"


@pytest.mark.parametrize(
    "line, message",
    [
        (b"No colon", "invalid HTTP header line: No colon"),
        (b"Bad Name: x", "invalid HTTP header name: Bad Name"),
        (b": x", "invalid HTTP header name: "),
        (b" Folded: x", "invalid HTTP header name:  Folded"),
        (b"X : x", "invalid HTTP header name: X "),
        (b"X: a\x00b", "invalid HTTP header value: a\x00b"),
        (b"X: a\rb", "invalid HTTP header value: a\rb"),
    ],
)
def test_parse_headers_invalid(line: bytes, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_request(b"GET / HTTP/1.1\r\n" + line + b"\r\n\r\n")
    assert str(raised.value) == message


def test_d() -> None:
    assert d(b"caf\xc3\xa9 \xff") == "café \\xff"


# Responses


def test_parse_response() -> None:
    response = parse_response(HANDSHAKE_RESPONSE)
    assert response.status_code == 101
    assert response.reason_phrase == "Switching Protocols"
    assert response.headers["Sec-WebSocket-Protocol"] == "chat"
    assert response.body == b""


def test_parse_response_one_byte_at_a_time() -> None:
    chunks = [HANDSHAKE_RESPONSE[i : i + 1] for i in range(len(HANDSHAKE_RESPONSE))]
    assert drive(response_parser, chunks) == parse_response(HANDSHAKE_RESPONSE)


def test_serialize_response() -> None:
    assert parse_response(HANDSHAKE_RESPONSE).serialize() == HANDSHAKE_RESPONSE


def test_serialize_response_with_body() -> None:
    response = Response(404, "Not Found", Headers({"Content-Length": "2"}), b"no")
    assert response.serialize() == (
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
    )


def test_parse_response_iso_8859_1() -> None:
    response = parse_response(b"HTTP/1.1 101 Bascul\xe9\r\nX: \xe9t\xe9\r\n\r\n")
    assert response.reason_phrase == "Basculé"
    assert response.headers["X"] == "été"
    assert response.serialize() == b"HTTP/1.1 101 Bascul\xe9\r\nX: \xe9t\xe9\r\n\r\n"


def test_serialize_response_outside_iso_8859_1() -> None:
    with pytest.raises(UnicodeEncodeError):
        Response(200, "\u2192", Headers()).serialize()


def test_parse_response_empty_reason() -> None:
    response = parse_response(b"HTTP/1.1 101 \r\n\r\n")
    assert response.reason_phrase == ""


@pytest.mark.parametrize(
    "status_line, message",
    [
        (b"HTTP/1.1 101", "invalid HTTP status line: HTTP/1.1 101"),
        (
            b"HTTP/1.0 101 OK",
            "unsupported protocol; expected HTTP/1.1: HTTP/1.0 101 OK",
        ),
        (b"HTTP/2 101 OK", "unsupported protocol; expected HTTP/1.1: HTTP/2 101 OK"),
        (b"HTTP/1.1 OK OK", "invalid status code; expected integer; got OK"),
        (b"HTTP/1.1 099 OK", "invalid status code; expected 100–599; got 099"),
        (b"HTTP/1.1 600 OK", "invalid status code; expected 100–599; got 600"),
        (b"HTTP/1.1 +99 OK", "invalid status code; expected integer; got +99"),
        (b"HTTP/1.1 1x1 OK", "invalid status code; expected integer; got 1x1"),
        (b"HTTP/1.1 1010 OK", "invalid status code; expected 100–599; got 1010"),
        (b"HTTP/1.1 101 O\x00K", "invalid HTTP reason phrase: O\x00K"),
    ],
)
def test_parse_response_invalid_status_line(status_line: bytes, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_response(status_line + b"\r\n\r\n")
    assert str(raised.value) == message


def test_parse_response_empty() -> None:
    with pytest.raises(EOFError) as raised:
        parse_response(b"", eof=True)
    assert str(raised.value) == "connection closed while reading HTTP status line"


def test_parse_response_status_line_too_long() -> None:
    with pytest.raises(StatusLineTooLong):
        parse_response(b"HTTP/1.1 101 " + b"a" * 8192 + b"\r\n\r\n")


def test_parse_response_from_proxy() -> None:
    for protocol in [b"HTTP/1.0", b"HTTP/1.1"]:
        response = drive(
            proxy_response_parser,
            [protocol + b" 200 Connection established\r\nContent-Length: 5\r\n\r\n"],
        )
        assert response.status_code == 200
        # The tunnel starts right after the headers, whatever they say.
        assert response.body == b""


@pytest.mark.parametrize("status_code", [101, 103, 204, 304])
def test_parse_response_without_body(status_code: int) -> None:
    response = parse_response(
        b"HTTP/1.1 %d X\r\nContent-Length: 3\r\n\r\n" % status_code
    )
    assert response.body == b""


def test_parse_response_content_length() -> None:
    response = parse_response(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhello"
    )
    assert response.body == b"hello"


def test_parse_response_repeated_content_length() -> None:
    response = parse_response(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nno"
    )
    assert response.body == b"no"


def test_parse_response_content_length_waits_for_body() -> None:
    with pytest.raises(NeedMoreData):
        parse_response(b"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhell")


def test_parse_response_content_length_eof() -> None:
    with pytest.raises(EOFError):
        parse_response(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhell", eof=True
        )


@pytest.mark.parametrize(
    "headers, exc_type, message",
    [
        (b"Content-Length: 1\r\nContent-Length: 2", ValueError, "conflicting"),
        (b"Content-Length: -1", ValueError, "invalid Content-Length header: -1"),
        (b"Content-Length: 1_0", ValueError, "invalid Content-Length header: 1_0"),
        (b"Content-Length: ", ValueError, "invalid Content-Length header: "),
        (b"Content-Length: 1048577", SecurityError, "body too large: 1048577 bytes"),
        (b"Content-Length: " + b"9" * 19, SecurityError, "body too large"),
        (b"Transfer-Encoding: gzip", NotImplementedError, "transfer coding gzip"),
        (
            b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
            NotImplementedError,
            "transfer coding gzip,chunked",
        ),
    ],
)
def test_parse_response_invalid_body_framing(
    headers: bytes, exc_type: type[Exception], message: str
) -> None:
    with pytest.raises(exc_type, match=message):
        parse_response(b"HTTP/1.1 404 Not Found\r\n" + headers + b"\r\n\r\n")


def test_parse_response_chunked() -> None:
    response = parse_response(
        b"HTTP/1.1 404 Not Found\r\n"
        b"Transfer-Encoding: Chunked\r\n"
        b"Content-Length: 1\r\n"
        b"\r\n"
        b"5\r\nhello\r\n"
        b"1;ext=1\r\n \r\n"
        b"0006 \r\nworld!\r\n"
        b"0\r\n"
        b"Trailer: yes\r\n"
        b"\r\n"
    )
    assert response.body == b"hello world!"


@pytest.mark.parametrize(
    "chunks, exc_type, message",
    [
        (b"x\r\n", ValueError, "invalid chunk size: x"),
        (b"\r\n", ValueError, "invalid chunk size: "),
        (b"-1\r\n", ValueError, "invalid chunk size: -1"),
        (b"f" * 16 + b"\r\n", SecurityError, "chunk too large: 0xf"),
        (b"100001\r\n", SecurityError, "chunk too large: 1048577 bytes after 0 bytes"),
        (
            b"1\r\na\r\n100000\r\n",
            SecurityError,
            "chunk too large: 1048576 bytes after 1",
        ),
        (b"1\r\naXY", ValueError, "chunk without CRLF"),
        (b"1\r\na\r\n0\r\nBad Trailer\r\n\r\n", ValueError, "invalid HTTP header"),
    ],
)
def test_parse_response_invalid_chunked(
    chunks: bytes, exc_type: type[Exception], message: str
) -> None:
    with pytest.raises(exc_type, match=message):
        parse_response(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
        )


def test_parse_response_chunk_eof() -> None:
    with pytest.raises(EOFError, match="stream ends after 2 bytes, expected 3 bytes"):
        parse_response(
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
            eof=True,
        )


def test_parse_response_until_eof() -> None:
    data = b"HTTP/1.1 404 Not Found\r\n\r\nnot found"
    with pytest.raises(NeedMoreData):
        parse_response(data)
    assert parse_response(data, eof=True).body == b"not found"


def test_parse_response_until_eof_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http11, "MAX_BODY_SIZE", 4)
    with pytest.raises(SecurityError):
        parse_response(b"HTTP/1.1 404 Not Found\r\n\r\nnot found")


def test_user_agent_and_server() -> None:
    # The product token names the websockets API level implemented.
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert http11.USER_AGENT == f"Python/{python} websockets/17.0.1"
    assert http11.SERVER == f"Python/{python} websockets/17.0.1"


# Properties

header_lists = st.lists(st.tuples(tokens, field_values | st.just("")), max_size=10)


def make_headers(items: list[tuple[str, str]]) -> Headers:
    # Keep the parser's reading of the message simple: no body framing.
    return Headers(
        (name, value)
        for name, value in items
        if name.lower() not in ("content-length", "transfer-encoding")
    )


@given(
    paths,
    header_lists,
    st.lists(st.integers(min_value=0, max_value=2000), max_size=10),
)
@settings(max_examples=100, deadline=None)
def test_request_round_trip_any_chunking(
    path: str, items: list[tuple[str, str]], cuts: list[int]
) -> None:
    request = Request(path, make_headers(items))
    data = request.serialize()
    assert drive(request_parser, split(data, cuts)) == request


@given(
    st.integers(min_value=100, max_value=599),
    reason_phrases,
    header_lists,
    st.binary(max_size=100),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=10),
)
@settings(max_examples=100, deadline=None)
def test_response_round_trip_any_chunking(
    status_code: int,
    reason: str,
    items: list[tuple[str, str]],
    body: bytes,
    cuts: list[int],
) -> None:
    headers = make_headers(items)
    if 100 <= status_code < 200 or status_code in (204, 304):
        body = b""
    else:
        headers["Content-Length"] = str(len(body))
    response = Response(status_code, reason, headers, body)
    data = response.serialize()
    assert drive(response_parser, split(data, cuts)) == response


DOCUMENTED = (EOFError, SecurityError, ValueError, NotImplementedError, NeedMoreData)


@given(st.binary(max_size=300), st.booleans())
@settings(max_examples=200)
def test_request_garbage_raises_only_documented_errors(data: bytes, eof: bool) -> None:
    try:
        parse_request(data, eof)
    except DOCUMENTED:
        pass


@given(
    st.sampled_from([b"", b"GET / HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nX: y\r\n"]),
    st.binary(max_size=300),
    st.booleans(),
)
@settings(max_examples=200)
def test_request_garbage_after_prefix(prefix: bytes, data: bytes, eof: bool) -> None:
    try:
        parse_request(prefix + data, eof)
    except DOCUMENTED:
        pass


@given(
    st.sampled_from(
        [
            b"",
            b"HTTP/1.1 200 OK\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        ]
    ),
    st.binary(max_size=300),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=300)
def test_response_garbage_raises_only_documented_errors(
    prefix: bytes, data: bytes, eof: bool, proxy: bool
) -> None:
    try:
        drive(proxy_response_parser if proxy else response_parser, [prefix + data], eof)
    except DOCUMENTED:
        pass


def slow_request_parser(reader: StreamReader) -> Generator[None, None, Request]:
    # A read_line that isn't a method of StreamReader disables the fast path.
    def read_line(
        m: int, exc_type: type[Exception]
    ) -> Generator[None, None, bytearray]:
        return (yield from reader.read_line(m, exc_type))

    return Request.parse(read_line)


def outcome(
    parser: Callable[[StreamReader], Generator[None, None, Request]], data: bytes
) -> tuple[object, bytes]:
    reader = StreamReader()
    reader.feed_data(data)
    generator = parser(reader)
    try:
        next(generator)
    except StopIteration as exc:
        return exc.value.serialize(), bytes(reader.buffer)
    except Exception as exc:
        return (type(exc), str(exc)), b""
    return NeedMoreData, bytes(reader.buffer)


header_lines = st.lists(
    st.one_of(
        st.tuples(tokens, field_values).map(
            lambda h: f"{h[0]}: {h[1]}".encode("iso-8859-1")
        ),
        st.binary(max_size=20),
        st.sampled_from([b"X: a\nY: b", b" folded", b"X:\t a \t", b"X: caf\xe9"]),
    ),
    max_size=8,
)


@given(header_lines, st.binary(max_size=10))
@settings(max_examples=300, deadline=None)
def test_fast_path_matches_line_by_line_parsing(
    lines: list[bytes], trailing: bytes
) -> None:
    data = b"GET / HTTP/1.1\r\n" + b"".join(line + b"\r\n" for line in lines)
    data += b"\r\n" + trailing
    assert outcome(request_parser, data) == outcome(slow_request_parser, data)


@pytest.mark.parametrize(
    "headers",
    [
        b"X: a\r\n" * 128,
        b"X: a\r\n" * 129,
        b"X: " + b"a" * 8187 + b"\r\n",
        b"X: " + b"a" * 8188 + b"\r\n",
        b"X: " + b"a" * 5000 + b"\r\n" + b"Y: " + b"b" * 5000 + b"\r\n",
    ],
)
def test_fast_path_limits(headers: bytes) -> None:
    data = b"GET / HTTP/1.1\r\n" + headers + b"\r\n"
    assert outcome(request_parser, data) == outcome(slow_request_parser, data)

from __future__ import annotations

import logging
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import (
    HeaderLineTooLong,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidStatus,
    InvalidUpgrade,
    NegotiationError,
    SecurityError,
    StatusLineTooLong,
    TooManyHeaders,
)
from ws_frames.frames import OP_TEXT, Frame
from ws_frames.protocol import CLOSED, CONNECTING, OPEN
from ws_frames.typing import Origin, Subprotocol
from ws_http.client import (
    BACKOFF_FACTOR,
    BACKOFF_INITIAL_DELAY,
    BACKOFF_MAX_DELAY,
    BACKOFF_MIN_DELAY,
    ClientProtocol,
    backoff,
    process_exception,
)
from ws_http.datastructures import Headers
from ws_http.http11 import USER_AGENT, Request, Response
from ws_http.uri import parse_uri

from .extensions import ClientOpFactory, OpExtension


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

URI = parse_uri("ws://example.com/test")


def make_client(**kwargs: object) -> ClientProtocol:
    client = ClientProtocol(URI, **kwargs)  # type: ignore[arg-type]
    client.key = KEY
    return client


def response(*extra: bytes, status: bytes = b"101 Switching Protocols") -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: "
        + ACCEPT.encode()
        + b"\r\n"
        + b"".join(line + b"\r\n" for line in extra)
        + b"\r\n"
    )


def assert_handshake_fails(
    client: ClientProtocol, exc_type: type[Exception], message: str
) -> None:
    assert client.state is CONNECTING
    assert isinstance(client.handshake_exc, exc_type)
    assert str(client.handshake_exc) == message
    # The client closes the TCP connection and ignores what follows.
    assert client.data_to_send() == [b""]
    assert client.close_expected()
    client.events_received()
    client.receive_data(b"ignored")
    assert client.events_received() == []
    client.receive_eof()
    assert client.state is CLOSED
    assert client.data_to_send() == []


# Request


def test_connect() -> None:
    client = make_client()
    request = client.connect()
    assert isinstance(request, Request)
    assert request.path == "/test"
    assert request.serialize() == (
        b"GET /test HTTP/1.1\r\n"
        b"Host: example.com\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"\r\n"
    )


def test_connect_generates_a_random_key() -> None:
    first, second = ClientProtocol(URI), ClientProtocol(URI)
    assert first.key != second.key
    assert first.connect().headers["Sec-WebSocket-Key"] == first.key


def test_connect_with_everything() -> None:
    client = ClientProtocol(
        parse_uri("wss://user:pass@[::1]:8443/path?query"),
        origin=Origin("https://example.com"),
        extensions=[
            ClientOpFactory("x-a", [("p", None), ("q", "1")]),
            ClientOpFactory("x-b"),
        ],
        subprotocols=[Subprotocol("chat"), Subprotocol("superchat")],
    )
    request = client.connect()
    assert request.path == "/path?query"
    assert request.headers["Host"] == "[::1]:8443"
    assert request.headers["Authorization"] == "Basic dXNlcjpwYXNz"
    assert request.headers["Origin"] == "https://example.com"
    assert request.headers["Sec-WebSocket-Extensions"] == "x-a; p; q=1, x-b"
    assert request.headers["Sec-WebSocket-Protocol"] == "chat, superchat"


def test_connect_with_empty_lists() -> None:
    request = make_client(extensions=[], subprotocols=[]).connect()
    assert "Sec-WebSocket-Extensions" not in request.headers
    assert "Sec-WebSocket-Protocol" not in request.headers


def test_invalid_subprotocols() -> None:
    with pytest.raises(ValueError, match="invalid subprotocol: a b"):
        ClientProtocol(URI, subprotocols=[Subprotocol("a b")])
    with pytest.raises(TypeError):
        ClientProtocol(URI, subprotocols="chat")  # type: ignore[arg-type]


def test_send_request() -> None:
    client = make_client()
    request = client.connect()
    request.headers["User-Agent"] = USER_AGENT
    client.send_request(request)
    assert client.data_to_send() == [request.serialize()]
    assert client.state is CONNECTING


# Response


def test_receive_response() -> None:
    client = make_client()
    client.receive_data(response())
    [event] = client.events_received()
    assert isinstance(event, Response)
    assert event.status_code == 101
    assert client.state is OPEN
    assert client.handshake_exc is None
    assert client.extensions == []
    assert client.subprotocol is None
    assert client.data_to_send() == []


def test_receive_response_one_byte_at_a_time() -> None:
    client = make_client()
    data = response()
    for i in range(len(data) - 1):
        client.receive_data(data[i : i + 1])
        assert client.events_received() == []
        assert client.state is CONNECTING
    client.receive_data(data[-1:])
    assert [type(event) for event in client.events_received()] == [Response]
    assert client.state is OPEN


def test_receive_response_and_frames() -> None:
    client = make_client()
    client.receive_data(response() + b"\x81\x05hello\x81\x05world")
    events = client.events_received()
    assert isinstance(events[0], Response)
    assert events[1:] == [Frame(OP_TEXT, b"hello"), Frame(OP_TEXT, b"world")]


def test_send_frames_after_handshake() -> None:
    client = make_client()
    client.receive_data(response())
    client.send_text(b"hi")
    [data] = client.data_to_send()
    assert data[:2] == b"\x81\x82"  # masked


def test_upgrade_and_connection_are_case_insensitive() -> None:
    client = make_client()
    client.receive_data(
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: WebSocket\r\n"
        b"Connection: keep-alive, UPGRADE\r\n"
        b"Sec-WebSocket-Accept: " + ACCEPT.encode() + b"\r\n"
        b"\r\n"
    )
    assert client.state is OPEN


def test_receive_rejection_with_body() -> None:
    client = make_client()
    client.receive_data(
        b"HTTP/1.1 404 Not Found\r\n"
        b"Content-Type: text/plain\r\n"
        b"Content-Length: 9\r\n"
        b"\r\n"
        b"not found"
    )
    [event] = client.events_received()
    assert isinstance(event, Response)
    assert event.body == b"not found"
    assert isinstance(client.handshake_exc, InvalidStatus)
    assert client.handshake_exc.response is event
    assert_handshake_fails(
        client, InvalidStatus, "server rejected WebSocket connection: HTTP 404"
    )


def test_receive_rejection_body_until_eof() -> None:
    client = make_client()
    client.receive_data(b"HTTP/1.1 503 Service Unavailable\r\n\r\nbusy")
    assert client.events_received() == []
    client.receive_eof()
    [event] = client.events_received()
    assert isinstance(event, Response)
    assert event.body == b"busy"
    assert isinstance(client.handshake_exc, InvalidStatus)
    assert client.data_to_send() == [b""]
    assert client.state is CLOSED


def test_response_is_iso_8859_1() -> None:
    client = make_client()
    client.receive_data(response(b"X-Name: caf\xe9", status=b"101 Bascul\xe9"))
    [event] = client.events_received()
    assert isinstance(event, Response)
    assert event.reason_phrase == "Basculé"
    assert event.headers["X-Name"] == "café"
    assert client.state is OPEN


@pytest.mark.parametrize(
    "data, cause_type",
    [
        (b"HTTP/1.0 101 Switching Protocols\r\n\r\n", ValueError),
        (b"SSH-2.0-OpenSSH\r\n", ValueError),
        (b"HTTP/1.1 1O1 OK\r\n\r\n", ValueError),
    ],
)
def test_receive_invalid_response(data: bytes, cause_type: type[Exception]) -> None:
    client = make_client()
    client.receive_data(data)
    assert client.events_received() == []
    assert isinstance(client.handshake_exc, InvalidMessage)
    assert isinstance(client.handshake_exc.__cause__, cause_type)
    assert_handshake_fails(
        client, InvalidMessage, "did not receive a valid HTTP response"
    )


@pytest.mark.parametrize(
    "data, exc_type, message",
    [
        (
            b"HTTP/1.1 101 " + b"a" * 9000 + b"\r\n",
            StatusLineTooLong,
            "read 9015 bytes, expected no more than 8192 bytes",
        ),
        (
            b"HTTP/1.1 101 OK\r\nX: " + b"a" * 9000 + b"\r\n",
            HeaderLineTooLong,
            "read 9005 bytes, expected no more than 8192 bytes",
        ),
        (
            b"HTTP/1.1 101 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n",
            TooManyHeaders,
            "expected no more than 128 headers",
        ),
        (
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 2000000\r\n\r\n",
            SecurityError,
            "body too large: 2000000 bytes",
        ),
    ],
)
def test_receive_response_over_limit(
    data: bytes, exc_type: type[Exception], message: str
) -> None:
    client = make_client()
    client.receive_data(data)
    assert client.events_received() == []
    # The broken limit is the reason, not the cause of an InvalidMessage.
    assert type(client.handshake_exc) is exc_type
    assert str(client.handshake_exc) == message
    assert client.data_to_send() == [b""]


def test_receive_eof_before_response() -> None:
    client = make_client()
    client.receive_data(b"HTTP/1.1 101 Switching")
    client.receive_eof()
    assert isinstance(client.handshake_exc, InvalidMessage)
    assert isinstance(client.handshake_exc.__cause__, EOFError)
    assert client.data_to_send() == [b""]
    assert client.state is CLOSED


@pytest.mark.parametrize(
    "data, exc_type, message",
    [
        (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
            InvalidUpgrade,
            "missing Connection header",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nConnection: keep-alive\r\n\r\n",
            InvalidUpgrade,
            "invalid Connection header: keep-alive",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
            InvalidUpgrade,
            "missing Upgrade header",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket, h2c\r\nConnection: Upgrade\r\n\r\n",
            InvalidUpgrade,
            "invalid Upgrade header: websocket, h2c",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            InvalidUpgrade,
            "invalid Upgrade header: websocket, websocket",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade;\r\n\r\n",
            InvalidHeaderFormat,
            "invalid Connection header: expected comma at 7 in Upgrade;",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            InvalidHeader,
            "missing Sec-WebSocket-Accept header",
        ),
        (
            response(b"Sec-WebSocket-Accept: " + ACCEPT.encode()),
            InvalidHeader,
            "invalid Sec-WebSocket-Accept header: multiple values",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: wrong\r\n\r\n",
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Accept header: wrong",
        ),
    ],
)
def test_receive_invalid_handshake(
    data: bytes, exc_type: type[Exception], message: str
) -> None:
    client = make_client()
    client.receive_data(data)
    [event] = client.events_received()
    assert isinstance(event, Response)
    assert_handshake_fails(client, exc_type, message)


def test_response_exception_is_recorded() -> None:
    client = make_client()
    client.receive_data(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
    [event] = client.events_received()
    assert isinstance(event, Response)
    assert event._exception is client.handshake_exc


# Extensions


def test_extension_accepted() -> None:
    client = make_client(
        extensions=[ClientOpFactory("x-a"), ClientOpFactory("x-b", accept=[("v", "1")])]
    )
    client.receive_data(response(b"Sec-WebSocket-Extensions: x-b; v=1, x-a"))
    assert client.state is OPEN
    assert client.extensions == [
        OpExtension("x-b", [("v", "1")]),
        OpExtension("x-a", []),
    ]


def test_extensions_over_several_headers() -> None:
    client = make_client(extensions=[ClientOpFactory("x-a"), ClientOpFactory("x-b")])
    client.receive_data(
        response(b"Sec-WebSocket-Extensions: x-a", b"Sec-WebSocket-Extensions: x-b")
    )
    assert client.extensions == [OpExtension("x-a", []), OpExtension("x-b", [])]


def test_second_factory_of_the_same_name() -> None:
    client = make_client(
        extensions=[
            ClientOpFactory("x-a", accept=[("v", "1")]),
            ClientOpFactory("x-a", accept=[("v", "2")]),
        ]
    )
    client.receive_data(response(b"Sec-WebSocket-Extensions: x-a; v=2"))
    assert client.extensions == [OpExtension("x-a", [("v", "2")])]


@pytest.mark.parametrize(
    "factories, header, message",
    [
        ([], b"x-a", "no extensions supported"),
        (None, b"x-a", "no extensions supported"),
        (
            [ClientOpFactory("x-a")],
            b"x-b",
            "unsupported extension: name = x-b, params = []",
        ),
        (
            [ClientOpFactory("x-a", accept=[])],
            b"x-a; v=1",
            "unsupported extension: name = x-a, params = [('v', '1')]",
        ),
        (
            [ClientOpFactory("x-a")],
            b"x-a, x-a",
            "unsupported extension: name = x-a, params = []",
        ),
    ],
)
def test_extension_not_offered(
    factories: list[ClientOpFactory] | None, header: bytes, message: str
) -> None:
    client = make_client(extensions=factories)
    client.receive_data(response(b"Sec-WebSocket-Extensions: " + header))
    assert_handshake_fails(client, NegotiationError, message)


def test_invalid_extension_header() -> None:
    client = make_client(extensions=[ClientOpFactory("x-a")])
    client.receive_data(response(b"Sec-WebSocket-Extensions: x-a;"))
    assert_handshake_fails(
        client,
        InvalidHeaderFormat,
        "invalid Sec-WebSocket-Extensions header: expected token at 4 in x-a;",
    )


# Subprotocols


def test_subprotocol_accepted() -> None:
    client = make_client(subprotocols=[Subprotocol("chat"), Subprotocol("superchat")])
    client.receive_data(response(b"Sec-WebSocket-Protocol: superchat"))
    assert client.state is OPEN
    assert client.subprotocol == "superchat"


@pytest.mark.parametrize(
    "subprotocols, headers, exc_type, message",
    [
        (None, [b"chat"], NegotiationError, "no subprotocols supported"),
        ([], [b"chat"], NegotiationError, "no subprotocols supported"),
        (
            ["chat"],
            [b"superchat"],
            NegotiationError,
            "unsupported subprotocol: superchat",
        ),
        (
            ["chat", "superchat"],
            [b"chat, superchat"],
            InvalidHeader,
            "invalid Sec-WebSocket-Protocol header: multiple values: chat, superchat",
        ),
        (
            ["chat"],
            [b"chat", b"chat"],
            InvalidHeader,
            "invalid Sec-WebSocket-Protocol header: multiple values: chat, chat",
        ),
    ],
)
def test_subprotocol_not_offered(
    subprotocols: list[Subprotocol] | None,
    headers: list[bytes],
    exc_type: type[Exception],
    message: str,
) -> None:
    client = make_client(subprotocols=subprotocols)
    client.receive_data(response(*(b"Sec-WebSocket-Protocol: " + h for h in headers)))
    assert_handshake_fails(client, exc_type, message)


# Miscellaneous


def test_initial_state_open() -> None:
    client = ClientProtocol(URI, state=OPEN)
    client.receive_data(b"\x81\x02hi")
    assert client.events_received() == [Frame(OP_TEXT, b"hi")]


def test_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.http.client")
    logger.setLevel(logging.DEBUG)
    client = make_client(logger=logger)
    with caplog.at_level(logging.DEBUG, logger="tests.http.client"):
        client.send_request(client.connect())
        client.receive_data(response(status=b"101 Switching Protocols"))
    messages = [record.getMessage() for record in caplog.records]
    assert "> GET /test HTTP/1.1" in messages
    assert "< HTTP/1.1 101 Switching Protocols" in messages
    assert "< Upgrade: websocket" in messages


def test_debug_logs_failure(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.http.client")
    logger.setLevel(logging.DEBUG)
    client = make_client(logger=logger)
    with caplog.at_level(logging.DEBUG, logger="tests.http.client"):
        client.receive_data(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad")
    messages = [record.getMessage() for record in caplog.records]
    assert "< [body] (3 bytes)" in messages
    assert "! invalid handshake response" in messages


def status_error(status_code: int) -> InvalidStatus:
    return InvalidStatus(Response(status_code, "", Headers()))


def eof_during_handshake() -> InvalidMessage:
    exc = InvalidMessage("did not receive a valid HTTP response")
    exc.__cause__ = EOFError("connection closed while reading HTTP status line")
    return exc


@pytest.mark.parametrize(
    "exc",
    [
        EOFError("stream ends"),
        OSError("connection refused"),
        ConnectionResetError(),
        TimeoutError(),
        eof_during_handshake(),
        status_error(500),
        status_error(502),
        status_error(503),
        status_error(504),
    ],
)
def test_process_exception_retries_transient_errors(exc: Exception) -> None:
    assert process_exception(exc) is None


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        InvalidMessage("did not receive a valid HTTP response"),
        status_error(400),
        status_error(401),
        status_error(404),
        status_error(501),
        InvalidUpgrade("Upgrade"),
        NegotiationError("no subprotocols supported"),
    ],
)
def test_process_exception_raises_the_others(exc: Exception) -> None:
    assert process_exception(exc) is exc


def test_backoff_defaults() -> None:
    assert (BACKOFF_INITIAL_DELAY, BACKOFF_MIN_DELAY) == (5.0, 3.1)
    assert (BACKOFF_MAX_DELAY, BACKOFF_FACTOR) == (90.0, 1.618)


def test_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 0.5)
    delays: Iterator[float] = backoff(
        initial_delay=4.0, min_delay=1.0, max_delay=10.0, factor=2.0
    )
    assert [next(delays) for _ in range(8)] == [
        2.0,
        1.0,
        2.0,
        4.0,
        8.0,
        10.0,
        10.0,
        10.0,
    ]


def test_backoff_first_delay_is_random() -> None:
    first_delays = {next(backoff()) for _ in range(20)}
    assert len(first_delays) > 1
    assert all(0 <= delay < BACKOFF_INITIAL_DELAY for delay in first_delays)


@given(st.binary(max_size=400), st.booleans())
@settings(max_examples=200)
def test_garbage_never_raises(data: bytes, eof: bool) -> None:
    client = make_client()
    client.receive_data(response()[:20] + data)
    if eof:
        client.receive_eof()
    client.events_received()
    client.data_to_send()
    if eof:
        assert client.state is CLOSED
    if client.handshake_exc is not None:
        assert client.state in (CONNECTING, CLOSED)


def test_headers_type() -> None:
    assert isinstance(make_client().connect().headers, Headers)

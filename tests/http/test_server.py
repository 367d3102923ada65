from __future__ import annotations

import email.utils
import http
import logging
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import (
    HeaderLineTooLong,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidMethod,
    InvalidOrigin,
    InvalidProtocol,
    InvalidStatus,
    InvalidUpgrade,
    NegotiationError,
    RequestLineTooLong,
    TooManyHeaders,
)
from ws_frames.extensions import Extension
from ws_frames.frames import OP_TEXT, Frame
from ws_frames.protocol import CLOSED, CONNECTING, OPEN
from ws_frames.typing import ExtensionParameter, Origin, Subprotocol
from ws_http.client import ClientProtocol
from ws_http.datastructures import Headers
from ws_http.http11 import Request, Response
from ws_http.server import ServerProtocol, http_date
from ws_http.uri import parse_uri

from .extensions import ClientOpFactory, OpExtension, ServerOpFactory
from .utils import split


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

# RFC 6455 section 1.2, without the Origin and Sec-WebSocket-Protocol headers.
REQUEST_LINES = [
    b"GET /chat HTTP/1.1",
    b"Host: server.example.com",
    b"Upgrade: websocket",
    b"Connection: Upgrade",
    b"Sec-WebSocket-Key: " + KEY.encode(),
    b"Sec-WebSocket-Version: 13",
]


def request_bytes(
    *extra: bytes, drop: Sequence[bytes] = (), first: bytes = b""
) -> bytes:
    lines = [
        line
        for line in REQUEST_LINES
        if not any(line.startswith(prefix) for prefix in drop)
    ]
    if first:
        lines[0] = first
    return b"".join(line + b"\r\n" for line in [*lines, *extra]) + b"\r\n"


def parse_request(data: bytes, server: ServerProtocol | None = None) -> Request:
    if server is None:
        server = ServerProtocol()
    server.receive_data(data)
    [request] = server.events_received()
    assert isinstance(request, Request)
    return request


def accept(
    *extra: bytes, server: ServerProtocol | None = None, drop: Sequence[bytes] = ()
) -> Response:
    if server is None:
        server = ServerProtocol()
    request = parse_request(request_bytes(*extra, drop=drop), server)
    return server.accept(request)


def assert_rejected(
    response: Response,
    status: int,
    message: str,
    server: ServerProtocol | None = None,
) -> None:
    assert response.status_code == status
    assert response.reason_phrase == http.HTTPStatus(status).phrase
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Length"] == str(len(response.body))
    assert message in response.body.decode()
    assert response.body.decode().startswith("Failed to open a WebSocket connection")
    if server is not None:
        assert server.handshake_exc is not None


# Successful handshake


def test_accept() -> None:
    server = ServerProtocol()
    request = parse_request(request_bytes(), server)
    assert request.path == "/chat"
    assert server.state is CONNECTING
    response = server.accept(request)
    assert response.status_code == 101
    assert response.reason_phrase == "Switching Protocols"
    assert response.headers["Upgrade"] == "websocket"
    assert response.headers["Connection"] == "Upgrade"
    assert response.headers["Sec-WebSocket-Accept"] == ACCEPT
    assert "Sec-WebSocket-Extensions" not in response.headers
    assert "Sec-WebSocket-Protocol" not in response.headers
    assert email.utils.parsedate_to_datetime(response.headers["Date"]) is not None
    server.send_response(response)
    assert server.data_to_send() == [response.serialize()]
    assert server.state is OPEN
    assert server.handshake_exc is None


def test_request_one_byte_at_a_time() -> None:
    server = ServerProtocol()
    data = request_bytes()
    for i in range(len(data) - 1):
        server.receive_data(data[i : i + 1])
        assert server.events_received() == []
    server.receive_data(data[-1:])
    [request] = server.events_received()
    assert isinstance(request, Request)
    assert server.accept(request).status_code == 101


@pytest.mark.parametrize(
    "extra",
    [
        [b"Upgrade: WebSocket", b"Connection: keep-alive, upgrade"],
        [b"Upgrade: websocket", b"Connection: keep-alive", b"Connection: Upgrade"],
    ],
)
def test_accept_lenient_upgrade_and_connection(extra: list[bytes]) -> None:
    server = ServerProtocol()
    request = parse_request(
        request_bytes(*extra, drop=[b"Upgrade", b"Connection"]), server
    )
    assert server.accept(request).status_code == 101


@pytest.mark.parametrize("protocol", [b"HTTP/1.1", b"HTTP/1.2"])
def test_accept_http_1_1_or_higher(protocol: bytes) -> None:
    server = ServerProtocol()
    request = parse_request(request_bytes(first=b"GET /chat " + protocol), server)
    assert server.accept(request).status_code == 101


@pytest.mark.parametrize(
    "host", [b"example.com:8080", b"[::1]:80", b"127.0.0.1", b"[v1.fe]", b""]
)
def test_accept_valid_host(host: bytes) -> None:
    response = accept(b"Host: " + host, drop=[b"Host"])
    assert response.status_code == 101


def test_frames_after_handshake() -> None:
    server = ServerProtocol()
    request = parse_request(request_bytes(), server)
    server.send_response(server.accept(request))
    server.data_to_send()
    server.receive_data(b"\x81\x82\x00\x00\x00\x00hi")
    assert server.events_received() == [Frame(OP_TEXT, b"hi")]
    server.send_text(b"hello")
    assert server.data_to_send() == [b"\x81\x05hello"]


def test_early_frames_wait_for_the_handshake() -> None:
    server = ServerProtocol()
    server.receive_data(request_bytes() + b"\x81\x82\x00\x00\x00\x00hi")
    [request] = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    assert server.events_received() == [Frame(OP_TEXT, b"hi")]


def test_eof_before_response() -> None:
    server = ServerProtocol()
    server.receive_data(request_bytes())
    [request] = server.events_received()
    server.receive_eof()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    assert server.state is CLOSED


def test_initial_state_open() -> None:
    server = ServerProtocol(state=OPEN)
    server.receive_data(b"\x81\x82\x00\x00\x00\x00hi")
    assert server.events_received() == [Frame(OP_TEXT, b"hi")]


# Invalid requests answered by accept()


@pytest.mark.parametrize(
    "first, status, exc_type, message",
    [
        (b"POST /chat HTTP/1.1", 405, InvalidMethod, "unsupported HTTP method: POST"),
        (b"get /chat HTTP/1.1", 405, InvalidMethod, "unsupported HTTP method: get"),
        (b"GET /chat HTTP/1.0", 400, InvalidProtocol, "version: HTTP/1.0"),
        (b"GET /chat HTTP/0.9", 505, InvalidProtocol, "version: HTTP/0.9"),
        (b"GET /chat HTTP/2.0", 505, InvalidProtocol, "version: HTTP/2.0"),
    ],
)
def test_reject_request_line(
    first: bytes, status: int, exc_type: type[Exception], message: str
) -> None:
    server = ServerProtocol()
    request = parse_request(request_bytes(first=first), server)
    response = server.accept(request)
    assert_rejected(response, status, message, server)
    assert isinstance(server.handshake_exc, exc_type)
    if status == 405:
        assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize(
    "extra, drop, exc_type, message",
    [
        ([], [b"Host"], InvalidHeader, "missing Host header"),
        (
            [b"Host: other.example.com"],
            [],
            InvalidHeader,
            "invalid Host header: multiple values",
        ),
        ([b"Host: a b"], [b"Host"], InvalidHeaderValue, "invalid Host header: a b"),
        ([b"Host: a:b"], [b"Host"], InvalidHeaderValue, "invalid Host header: a:b"),
        ([b"Host: a/b"], [b"Host"], InvalidHeaderValue, "invalid Host header: a/b"),
        ([], [b"Sec-WebSocket-Key"], InvalidHeader, "missing Sec-WebSocket-Key header"),
        (
            [b"Sec-WebSocket-Key: " + KEY.encode()],
            [],
            InvalidHeader,
            "invalid Sec-WebSocket-Key header: multiple values",
        ),
        (
            [b"Sec-WebSocket-Key: not base64!"],
            [b"Sec-WebSocket-Key"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header: not base64!",
        ),
        (
            [b"Sec-WebSocket-Key: c2hvcnQ="],
            [b"Sec-WebSocket-Key"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header: c2hvcnQ=",
        ),
        (
            [],
            [b"Sec-WebSocket-Version"],
            InvalidHeader,
            "missing Sec-WebSocket-Version header",
        ),
        (
            [b"Sec-WebSocket-Version: 13"],
            [],
            InvalidHeader,
            "invalid Sec-WebSocket-Version header: multiple values",
        ),
        (
            [b"Connection: Upgrade;"],
            [b"Connection"],
            InvalidHeaderFormat,
            "invalid Connection header: expected comma at 7 in Upgrade;",
        ),
        (
            [b"Sec-WebSocket-Extensions: x-op;"],
            [],
            InvalidHeaderFormat,
            "invalid Sec-WebSocket-Extensions header: expected token at 5 in x-op;",
        ),
        (
            [b"Sec-WebSocket-Protocol: a b"],
            [],
            InvalidHeaderFormat,
            "invalid Sec-WebSocket-Protocol header: expected comma at 2 in a b",
        ),
        (
            [b"Origin: http://a", b"Origin: http://b"],
            [],
            InvalidHeader,
            "invalid Origin header: multiple values",
        ),
    ],
)
def test_reject_bad_request(
    extra: list[bytes], drop: list[bytes], exc_type: type[Exception], message: str
) -> None:
    server = ServerProtocol(extensions=[ServerOpFactory()])
    request = parse_request(request_bytes(*extra, drop=drop), server)
    response = server.accept(request)
    assert_rejected(response, 400, message, server)
    assert type(server.handshake_exc) is exc_type
    assert str(server.handshake_exc) == message
    assert request._exception is server.handshake_exc


def test_reject_non_ascii_key() -> None:
    server = ServerProtocol()
    request = parse_request(
        request_bytes(b"Sec-WebSocket-Key: caf\xe9", drop=[b"Sec-WebSocket-Key"]),
        server,
    )
    response = server.accept(request)
    # The header is ISO-8859-1; the body of the response is UTF-8.
    assert_rejected(response, 400, "invalid Sec-WebSocket-Key header: café", server)
    assert isinstance(server.handshake_exc, InvalidHeaderValue)


@pytest.mark.parametrize(
    "extra, drop, message",
    [
        ([], [b"Connection"], "missing Connection header"),
        ([b"Connection: keep-alive"], [b"Connection"], "invalid Connection header"),
        ([], [b"Upgrade"], "missing Upgrade header"),
        ([b"Upgrade: h2c"], [b"Upgrade"], "invalid Upgrade header: h2c"),
        (
            [b"Upgrade: websocket, h2c"],
            [b"Upgrade"],
            "invalid Upgrade header: websocket, h2c",
        ),
    ],
)
def test_reject_missing_upgrade(
    extra: list[bytes], drop: list[bytes], message: str
) -> None:
    server = ServerProtocol()
    request = parse_request(request_bytes(*extra, drop=drop), server)
    response = server.accept(request)
    assert_rejected(response, 426, message, server)
    assert isinstance(server.handshake_exc, InvalidUpgrade)
    assert response.headers["Upgrade"] == "websocket"
    assert response.headers["Connection"] == "Upgrade, close"
    assert "You need a WebSocket client" in response.body.decode()


@pytest.mark.parametrize("version", [b"8", b"14", b"13, 8", b""])
def test_reject_unsupported_version(version: bytes) -> None:
    server = ServerProtocol()
    request = parse_request(
        request_bytes(
            b"Sec-WebSocket-Version: " + version, drop=[b"Sec-WebSocket-Version"]
        ),
        server,
    )
    response = server.accept(request)
    assert_rejected(response, 426, "Sec-WebSocket-Version header", server)
    assert response.headers["Sec-WebSocket-Version"] == "13"
    assert response.headers["Upgrade"] == "websocket"
    assert response.headers["Connection"] == "Upgrade, close"


def test_send_rejection() -> None:
    server = ServerProtocol()
    request = parse_request(request_bytes(drop=[b"Host"]), server)
    response = server.accept(request)
    server.send_response(response)
    assert server.data_to_send() == [response.serialize(), b""]
    assert server.close_expected()
    assert server.state is CONNECTING
    server.receive_data(b"ignored")
    assert server.events_received() == []
    server.receive_eof()
    assert server.state is CLOSED


# Origin


@pytest.mark.parametrize(
    "origins, origin, accepted",
    [
        (None, None, True),
        (None, b"https://anything", True),
        (["https://example.com"], b"https://example.com", True),
        (["https://example.com"], b"https://other.com", False),
        (["https://example.com"], None, False),
        (["https://example.com", None], None, True),
        (
            [re.compile(r"https://[a-z]+\.example\.com")],
            b"https://www.example.com",
            True,
        ),
        ([re.compile(r"https://[a-z]+\.example\.com")], b"https://example.com", False),
        ([re.compile(r"https://[a-z]+\.example\.com")], None, False),
        ([re.compile(r"https://a")], b"https://ab", False),
        ([], b"https://example.com", False),
    ],
)
def test_origin(
    origins: list[Origin | re.Pattern[str] | None] | None,
    origin: bytes | None,
    accepted: bool,
) -> None:
    server = ServerProtocol(origins=origins)
    extra = [] if origin is None else [b"Origin: " + origin]
    response = accept(*extra, server=server)
    if accepted:
        assert response.status_code == 101
        assert server.origin == (None if origin is None else origin.decode())
    else:
        assert_rejected(response, 403, "Origin header", server)
        assert isinstance(server.handshake_exc, InvalidOrigin)


# Extensions


def test_no_extensions() -> None:
    server = ServerProtocol()
    response = accept(b"Sec-WebSocket-Extensions: x-op", server=server)
    assert "Sec-WebSocket-Extensions" not in response.headers
    assert server.extensions == []


def test_extension_accepted() -> None:
    server = ServerProtocol(extensions=[ServerOpFactory("x-a"), ServerOpFactory("x-b")])
    response = accept(
        b"Sec-WebSocket-Extensions: x-b; v=1, x-c",
        b"Sec-WebSocket-Extensions: x-a",
        server=server,
    )
    assert response.headers["Sec-WebSocket-Extensions"] == "x-b; v=1, x-a"
    assert server.extensions == [
        OpExtension("x-b", [("v", "1")]),
        OpExtension("x-a", []),
    ]


def test_extension_declined() -> None:
    server = ServerProtocol(extensions=[ServerOpFactory("x-a", accept=[("v", "1")])])
    response = accept(b"Sec-WebSocket-Extensions: x-a; v=2, x-a; v=1", server=server)
    assert response.headers["Sec-WebSocket-Extensions"] == "x-a; v=1"
    response = accept(b"Sec-WebSocket-Extensions: x-a; v=2")
    assert "Sec-WebSocket-Extensions" not in response.headers


def test_extension_second_factory() -> None:
    server = ServerProtocol(
        extensions=[
            ServerOpFactory("x-a", accept=[("v", "1")]),
            ServerOpFactory("x-a", accept=[("v", "2")]),
        ]
    )
    response = accept(b"Sec-WebSocket-Extensions: x-a; v=2", server=server)
    assert response.headers["Sec-WebSocket-Extensions"] == "x-a; v=2"


def test_extension_factory_returns_invalid_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class InjectingFactory(ServerOpFactory):
        def process_request_params(
            self,
            params: Sequence[ExtensionParameter],
            accepted_extensions: Sequence[Extension],
        ) -> tuple[list[ExtensionParameter], Extension]:
            return [("x", "1\r\nX-Injected: yes")], OpExtension(self.name, [])

    server = ServerProtocol(extensions=[InjectingFactory()])
    with caplog.at_level(logging.ERROR):
        response = accept(b"Sec-WebSocket-Extensions: x-op", server=server)
    assert response.status_code == 500
    assert isinstance(server.handshake_exc, ValueError)
    assert b"X-Injected" not in response.serialize()


# Subprotocols


@pytest.mark.parametrize(
    "available, offered, selected",
    [
        (None, [b"chat"], None),
        ([], [b"chat"], None),
        (["chat"], [b"chat"], "chat"),
        (["superchat", "chat"], [b"chat, superchat"], "superchat"),
        (["chat", "superchat"], [b"superchat", b"chat"], "chat"),
    ],
)
def test_subprotocol_selected(
    available: list[Subprotocol] | None, offered: list[bytes], selected: str | None
) -> None:
    server = ServerProtocol(subprotocols=available)
    response = accept(
        *(b"Sec-WebSocket-Protocol: " + o for o in offered), server=server
    )
    assert response.status_code == 101
    assert server.subprotocol == selected
    assert response.headers.get("Sec-WebSocket-Protocol") == selected


@pytest.mark.parametrize(
    "offered, message",
    [
        ([], "missing subprotocol"),
        ([b"otherchat"], "invalid subprotocol; expected one of chat, superchat"),
    ],
)
def test_subprotocol_rejected(offered: list[bytes], message: str) -> None:
    server = ServerProtocol(
        subprotocols=[Subprotocol("chat"), Subprotocol("superchat")]
    )
    response = accept(
        *(b"Sec-WebSocket-Protocol: " + o for o in offered), server=server
    )
    assert_rejected(response, 400, message, server)
    assert isinstance(server.handshake_exc, NegotiationError)


def test_invalid_subprotocols() -> None:
    with pytest.raises(ValueError, match="invalid subprotocol: a b"):
        ServerProtocol(subprotocols=[Subprotocol("a b")])


def test_custom_select_subprotocol() -> None:
    def select_subprotocol(
        protocol: ServerProtocol, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        assert isinstance(protocol, ServerProtocol)
        return Subprotocol("chat") if "chat" in subprotocols else None

    server = ServerProtocol(select_subprotocol=select_subprotocol)
    response = accept(b"Sec-WebSocket-Protocol: superchat, chat", server=server)
    assert response.headers["Sec-WebSocket-Protocol"] == "chat"
    server = ServerProtocol(select_subprotocol=select_subprotocol)
    response = accept(server=server)
    assert response.status_code == 101
    assert server.subprotocol is None


def test_custom_select_subprotocol_not_offered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = ServerProtocol(
        select_subprotocol=lambda protocol, subprotocols: Subprotocol("chat")
    )
    with caplog.at_level(logging.ERROR):
        response = accept(b"Sec-WebSocket-Protocol: superchat", server=server)
    assert response.status_code == 500
    assert b"See server log" in response.body
    assert isinstance(server.handshake_exc, ValueError)
    assert "wasn't offered by the client" in str(server.handshake_exc)
    assert "opening handshake failed" in caplog.text


def test_custom_select_subprotocol_raises() -> None:
    def select_subprotocol(
        protocol: ServerProtocol, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        raise NegotiationError("no thanks")

    server = ServerProtocol(select_subprotocol=select_subprotocol)
    assert_rejected(accept(server=server), 400, "no thanks", server)


# reject() and send_response()


def test_reject() -> None:
    server = ServerProtocol()
    response = server.reject(http.HTTPStatus.NOT_FOUND, "Sorry folks.\n")
    assert response.status_code == 404
    assert response.reason_phrase == "Not Found"
    assert response.body == b"Sorry folks.\n"
    assert response.headers["Connection"] == "close"
    assert response.headers["Content-Length"] == "13"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_reject_with_int_status_and_non_ascii_text() -> None:
    response = ServerProtocol().reject(403, "Interdit \u00e0 \udcff.\n")
    assert response.reason_phrase == "Forbidden"
    assert response.body == "Interdit \u00e0 \\udcff.\n".encode()


def test_send_reject_records_handshake_exc(caplog: pytest.LogCaptureFixture) -> None:
    server = ServerProtocol()
    parse_request(request_bytes(), server)
    response = server.reject(http.HTTPStatus.UNAUTHORIZED, "Who are you?\n")
    with caplog.at_level(logging.INFO):
        server.send_response(response)
    assert isinstance(server.handshake_exc, InvalidStatus)
    assert server.handshake_exc.response is response
    assert server.data_to_send() == [response.serialize(), b""]
    assert "connection rejected (401 Unauthorized)" in caplog.text


# Invalid requests answered by the parser


@pytest.mark.parametrize(
    "data, status, cause_type",
    [
        (b"GET /chat\r\n\r\n", 400, ValueError),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n", 400, ValueError),
        (b"GET /caf\xc3\xa9 HTTP/1.1\r\n", 400, ValueError),
        (b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 400, ValueError),
        (
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
            NotImplementedError,
        ),
    ],
)
def test_invalid_request(data: bytes, status: int, cause_type: type[Exception]) -> None:
    server = ServerProtocol()
    server.receive_data(data)
    assert server.events_received() == []
    assert isinstance(server.handshake_exc, InvalidMessage)
    assert str(server.handshake_exc) == "did not receive a valid HTTP request"
    assert isinstance(server.handshake_exc.__cause__, cause_type)
    [response_data, eof] = server.data_to_send()
    assert eof == b""
    assert response_data.startswith(
        b"HTTP/1.1 %d %s\r\n" % (status, http.HTTPStatus(status).phrase.encode())
    )
    assert b"Content-Type: text/plain; charset=utf-8\r\n" in response_data
    assert b"Failed to open a WebSocket connection: " in response_data
    server.receive_eof()
    assert server.state is CLOSED


@pytest.mark.parametrize(
    "data, status, exc_type, message",
    [
        (
            b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n",
            414,
            RequestLineTooLong,
            "read 9016 bytes, expected no more than 8192 bytes",
        ),
        (
            b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n",
            431,
            HeaderLineTooLong,
            "read 9005 bytes, expected no more than 8192 bytes",
        ),
        (
            b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 200 + b"\r\n",
            431,
            TooManyHeaders,
            "expected no more than 128 headers",
        ),
    ],
)
def test_request_over_limit(
    data: bytes, status: int, exc_type: type[Exception], message: str
) -> None:
    server = ServerProtocol()
    server.receive_data(data)
    assert server.events_received() == []
    # The broken limit is the reason, not the cause of an InvalidMessage.
    assert type(server.handshake_exc) is exc_type
    assert str(server.handshake_exc) == message
    [response_data, eof] = server.data_to_send()
    assert response_data.startswith(
        b"HTTP/1.1 %d %s\r\n" % (status, http.HTTPStatus(status).phrase.encode())
    )
    assert response_data.endswith(
        b"Failed to open a WebSocket connection: %s.\n" % message.encode()
    )
    assert eof == b""


def test_eof_before_request() -> None:
    server = ServerProtocol()
    server.receive_data(b"GET / HTTP/1.1\r\n")
    server.receive_eof()
    assert isinstance(server.handshake_exc, InvalidMessage)
    assert isinstance(server.handshake_exc.__cause__, EOFError)
    # Nobody is listening: close without a response.
    assert server.data_to_send() == [b""]
    assert server.state is CLOSED


# Miscellaneous


def test_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.http.server")
    logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="tests.http.server"):
        server = ServerProtocol(logger=logger)
        request = parse_request(request_bytes(), server)
        server.send_response(server.accept(request))
        server = ServerProtocol(logger=logger)
        server.send_response(
            server.accept(parse_request(request_bytes(drop=[b"Host"]), server))
        )
        server = ServerProtocol(logger=logger)
        server.receive_data(b"garbage\r\n")
    messages = [record.getMessage() for record in caplog.records]
    assert "< GET /chat HTTP/1.1" in messages
    assert "> HTTP/1.1 101 Switching Protocols" in messages
    assert f"> Sec-WebSocket-Accept: {ACCEPT}" in messages
    assert "! invalid handshake request" in messages
    assert any(message.startswith("> [body]") for message in messages)
    assert "! invalid HTTP request" in messages


@given(st.binary(max_size=400), st.booleans())
@settings(max_examples=200)
def test_garbage_never_raises(data: bytes, eof: bool) -> None:
    server = ServerProtocol()
    server.receive_data(data)
    if eof:
        server.receive_eof()
    for event in server.events_received():
        assert isinstance(event, Request)
        server.send_response(server.accept(event))
    server.data_to_send()


@given(
    st.sampled_from([b"Host", b"Upgrade", b"Connection", b"Sec-WebSocket-Key"]),
    st.binary(max_size=40).filter(lambda v: b"\r" not in v and b"\n" not in v),
)
@settings(max_examples=200)
def test_garbage_header_values_get_a_response(name: bytes, value: bytes) -> None:
    server = ServerProtocol()
    server.receive_data(request_bytes(name + b": " + value, drop=[name]))
    for event in server.events_received():
        assert isinstance(event, Request)
        response = server.accept(event)
        assert response.status_code in (101, 400, 426)
        server.send_response(response)
    [data, *_] = server.data_to_send()
    # Whatever the answer, a client can read it, including the explanation.
    client = ClientProtocol(parse_uri("ws://example.com/chat"))
    client.key = KEY
    client.receive_data(data)
    client.receive_eof()
    [answer] = client.events_received()
    assert isinstance(answer, Response)
    if answer.status_code != 101:
        assert isinstance(client.handshake_exc, InvalidStatus)
        assert answer.body.startswith(b"Failed to open a WebSocket connection: ")


# Client and server together


@given(
    st.lists(st.integers(min_value=0, max_value=400), max_size=6),
    st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
@settings(max_examples=100, deadline=None)
def test_client_and_server(request_cuts: list[int], response_cuts: list[int]) -> None:
    client = ClientProtocol(
        parse_uri("ws://example.com/chat"),
        origin=Origin("https://example.com"),
        extensions=[ClientOpFactory("x-a", [("v", "1")])],
        subprotocols=[Subprotocol("chat")],
    )
    server = ServerProtocol(
        origins=[Origin("https://example.com")],
        extensions=[ServerOpFactory("x-a")],
        subprotocols=[Subprotocol("chat")],
    )
    client.send_request(client.connect())
    [request_data] = client.data_to_send()
    for chunk in split(request_data, request_cuts):
        server.receive_data(chunk)
    [request] = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    server.send_text(b"welcome")
    for chunk in split(b"".join(server.data_to_send()), response_cuts):
        client.receive_data(chunk)
    events = client.events_received()
    assert isinstance(events[0], Response)
    assert events[1:] == [Frame(OP_TEXT, b"welcome")]
    assert client.state is OPEN and server.state is OPEN
    assert client.subprotocol == server.subprotocol == "chat"
    assert client.extensions == server.extensions == [OpExtension("x-a", [("v", "1")])]


def test_headers_type() -> None:
    assert isinstance(accept().headers, Headers)


def test_http_date_is_formatted_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 784111777.25  # Sun, 06 Nov 1994 08:49:37 GMT, RFC 7231's example
    monkeypatch.setattr("time.time", lambda: now)
    assert http_date() == "Sun, 06 Nov 1994 08:49:37 GMT"
    now += 0.5
    assert http_date() == "Sun, 06 Nov 1994 08:49:37 GMT"
    now += 0.5
    assert http_date() == "Sun, 06 Nov 1994 08:49:38 GMT"

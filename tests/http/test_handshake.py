from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import (
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidUpgrade,
    NegotiationError,
)
from ws_http.datastructures import Headers
from ws_http.handshake import (
    check_upgrade,
    log_failed_handshake,
    negotiate_client_extensions,
    negotiate_server_extensions,
    single_value,
)
from ws_http.headers import parse_extension

from .extensions import ClientOpFactory, OpExtension, ServerOpFactory


@pytest.mark.parametrize(
    "items",
    [
        [("Connection", "Upgrade"), ("Upgrade", "websocket")],
        [("connection", "UPGRADE"), ("UPGRADE", "WebSocket")],
        [("Connection", "keep-alive, UPGRADE"), ("Upgrade", "WebSocket")],
        [
            ("Connection", "keep-alive"),
            ("Connection", "upgrade"),
            ("Upgrade", "websocket"),
        ],
    ],
)
def test_check_upgrade(items: list[tuple[str, str]]) -> None:
    check_upgrade(Headers(items))


@pytest.mark.parametrize(
    ("items", "name", "value"),
    [
        ([("Upgrade", "websocket")], "Connection", None),
        ([("Connection", "close"), ("Upgrade", "websocket")], "Connection", "close"),
        ([("Connection", "Upgrade")], "Upgrade", None),
        ([("Connection", "Upgrade"), ("Upgrade", "h2c")], "Upgrade", "h2c"),
        (
            [("Connection", "Upgrade"), ("Upgrade", "websocket, h2c")],
            "Upgrade",
            "websocket, h2c",
        ),
    ],
)
def test_check_upgrade_invalid(
    items: list[tuple[str, str]], name: str, value: str | None
) -> None:
    with pytest.raises(InvalidUpgrade) as raised:
        check_upgrade(Headers(items))
    assert raised.value.name == name
    assert raised.value.value == value


@settings(max_examples=50)
@given(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
)
def test_check_upgrade_garbage(connection: str, upgrade: str) -> None:
    headers = Headers()
    headers["Connection"] = connection
    headers["Upgrade"] = upgrade
    try:
        check_upgrade(headers)
    except (InvalidUpgrade, InvalidHeaderFormat):
        pass


def test_single_value() -> None:
    assert single_value(Headers(Host="example.com"), "Host") == "example.com"


def test_single_value_missing() -> None:
    with pytest.raises(InvalidHeader) as raised:
        single_value(Headers(), "Host")
    assert str(raised.value) == "missing Host header"
    assert raised.value.__cause__ is None


def test_single_value_multiple() -> None:
    headers = Headers([("Host", "a"), ("Host", "b")])
    with pytest.raises(InvalidHeader) as raised:
        single_value(headers, "Host")
    assert str(raised.value) == "invalid Host header: multiple values"


def test_negotiate_server_extensions_none_offered() -> None:
    assert negotiate_server_extensions(Headers(), [ServerOpFactory()]) == (None, [])


def test_negotiate_server_extensions_none_available() -> None:
    headers = Headers([("Sec-WebSocket-Extensions", "x-op")])
    assert negotiate_server_extensions(headers, None) == (None, [])
    assert negotiate_server_extensions(headers, []) == (None, [])


def test_negotiate_server_extensions_accepts_in_order_of_offers() -> None:
    headers = Headers(
        [
            ("Sec-WebSocket-Extensions", "x-b; p=1, x-unknown"),
            ("Sec-WebSocket-Extensions", "x-a"),
        ]
    )
    response, extensions = negotiate_server_extensions(
        headers, [ServerOpFactory("x-a"), ServerOpFactory("x-b")]
    )
    assert response == "x-b; p=1, x-a"
    assert [extension.name for extension in extensions] == ["x-b", "x-a"]


def test_negotiate_server_extensions_first_factory_that_accepts() -> None:
    headers = Headers([("Sec-WebSocket-Extensions", "x-op; q=2")])
    declining = ServerOpFactory(accept=[("q", "1")])
    accepting = ServerOpFactory(accept=[("q", "2")])
    response, extensions = negotiate_server_extensions(headers, [declining, accepting])
    assert response == "x-op; q=2"
    assert len(extensions) == 1


def test_negotiate_server_extensions_declines_duplicate_offer() -> None:
    headers = Headers([("Sec-WebSocket-Extensions", "x-op, x-op")])
    response, extensions = negotiate_server_extensions(headers, [ServerOpFactory()])
    assert response == "x-op"
    assert len(extensions) == 1


def test_negotiate_server_extensions_invalid_header() -> None:
    headers = Headers([("Sec-WebSocket-Extensions", "x-op;;")])
    with pytest.raises(InvalidHeaderFormat):
        negotiate_server_extensions(headers, [ServerOpFactory()])


# negotiate_client_extensions


def test_negotiate_client_extensions_none_used() -> None:
    assert negotiate_client_extensions([], [ClientOpFactory()]) == []
    assert negotiate_client_extensions([], None) == []


@pytest.mark.parametrize("factories", [None, []])
def test_negotiate_client_extensions_none_offered(
    factories: list[ClientOpFactory] | None,
) -> None:
    with pytest.raises(NegotiationError, match="no extensions supported"):
        negotiate_client_extensions(["x-op"], factories)


def test_negotiate_client_extensions_in_order_of_the_response() -> None:
    extensions = negotiate_client_extensions(
        ["x-b; v=1", "x-a"], [ClientOpFactory("x-a"), ClientOpFactory("x-b")]
    )
    assert extensions == [OpExtension("x-b", [("v", "1")]), OpExtension("x-a", [])]


def test_negotiate_client_extensions_first_factory_that_accepts() -> None:
    declining = ClientOpFactory(accept=[("v", "1")])
    accepting = ClientOpFactory(accept=[("v", "2")])
    extensions = negotiate_client_extensions(["x-op; v=2"], [declining, accepting])
    assert extensions == [OpExtension("x-op", [("v", "2")])]


@pytest.mark.parametrize(
    "values, message",
    [
        (["x-other"], "unsupported extension: name = x-other, params = []"),
        (["x-op; v=1"], "unsupported extension: name = x-op, params = [('v', '1')]"),
        (["x-op", "x-op"], "unsupported extension: name = x-op, params = []"),
    ],
)
def test_negotiate_client_extensions_unsupported(
    values: list[str], message: str
) -> None:
    factory = ClientOpFactory(accept=[])
    with pytest.raises(NegotiationError) as raised:
        negotiate_client_extensions(values, [factory])
    assert str(raised.value) == message


def test_negotiate_client_extensions_invalid_header() -> None:
    with pytest.raises(InvalidHeaderFormat):
        negotiate_client_extensions(["x-op;"], [ClientOpFactory()])


@given(
    st.lists(st.sampled_from(["x-a", "x-b", "x-c", "x-a; v=1", "x-b, x-a"])),
    st.lists(st.sampled_from(["x-a", "x-b"]), max_size=3),
)
@settings(max_examples=100)
def test_negotiate_client_extensions_never_accepts_unoffered(
    values: list[str], names: list[str]
) -> None:
    factories = [ClientOpFactory(name) for name in names]
    try:
        extensions = negotiate_client_extensions(values, factories)
    except NegotiationError:
        return
    assert {extension.name for extension in extensions} <= set(names)
    # Each factory accepts its extension once.
    assert len(extensions) == len({extension.name for extension in extensions})


@given(
    st.lists(st.sampled_from(["x-a", "x-b", "x-c", "x-a; v=1", "x-b; w"]), max_size=4),
    st.lists(st.sampled_from(["x-a", "x-b"]), max_size=3),
)
@settings(max_examples=100)
def test_negotiate_server_extensions_answers_offers_only(
    offers: list[str], names: list[str]
) -> None:
    headers = Headers([("Sec-WebSocket-Extensions", offer) for offer in offers])
    factories = [ServerOpFactory(name) for name in names]
    answer, extensions = negotiate_server_extensions(headers, factories)
    if answer is None:
        assert extensions == []
        return
    offered = [item for offer in offers for item in parse_extension(offer)]
    answered = parse_extension(answer)
    # The answer lists the accepted extensions, each one offered, in order.
    assert [name for name, _ in answered] == [ext.name for ext in extensions]
    assert all(item in offered for item in answered)


# log_failed_handshake


def logged(exc: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, "test.handshake"):
        log_failed_handshake(logging.getLogger("test.handshake"), exc, 2.5)
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    return record.getMessage()


def test_log_failed_handshake_timeout(caplog: pytest.LogCaptureFixture) -> None:
    message = logged(TimeoutError("timed out"), caplog)
    assert message == "opening handshake timed out after 2.5 seconds"


def test_log_failed_handshake_with_cause(caplog: pytest.LogCaptureFixture) -> None:
    exc = InvalidHeader("Host")
    exc.__cause__ = ValueError("invalid \x1b[2J\r\nINFO fake line")
    assert logged(exc, caplog) == (
        "opening handshake failed: missing Host header: "
        "invalid \\x1b[2J\\r\\nINFO fake line"
    )


def test_log_failed_handshake_without_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    message = logged(ConnectionResetError(), caplog)
    assert message == "opening handshake failed: ConnectionResetError"


def test_log_failed_handshake_cuts_long_quotes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    message = logged(ValueError("x" * 10_000), caplog)
    assert message == f"opening handshake failed: {'x' * 200}..."


@settings(max_examples=100)
@given(st.text(), st.text())
def test_log_failed_handshake_is_one_printable_line(text: str, cause: str) -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.Logger("test.handshake.property")
    logger.addHandler(Collect())
    exc = ValueError(text)
    exc.__cause__ = EOFError(cause)
    log_failed_handshake(logger, exc, None)
    (record,) = records
    message = record.getMessage()
    assert message.isprintable()
    assert len(message) < 500

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ws_asyncio.legacy.handshake import (
    build_request,
    build_response,
    check_request,
    check_response,
)
from ws_frames.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidUpgrade,
)
from ws_frames.utils import accept_key
from ws_http.datastructures import Headers


def test_round_trip() -> None:
    request_headers = Headers()
    client_key = build_request(request_headers)
    assert request_headers["Upgrade"] == "websocket"
    assert request_headers["Connection"] == "Upgrade"
    assert request_headers["Sec-WebSocket-Version"] == "13"
    server_key = check_request(request_headers)
    assert server_key == client_key
    response_headers = Headers()
    build_response(response_headers, server_key)
    assert response_headers["Sec-WebSocket-Accept"] == accept_key(client_key)
    check_response(response_headers, client_key)


def test_keys_are_random() -> None:
    assert build_request(Headers()) != build_request(Headers())


def test_rfc_6455_example_accept_key() -> None:
    # Section 1.3 of RFC 6455.
    headers = Headers()
    build_response(headers, "dGhlIHNhbXBsZSBub25jZQ==")
    assert headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def valid_request() -> Headers:
    headers = Headers()
    build_request(headers)
    return headers


def test_connection_with_several_options() -> None:
    headers = valid_request()
    del headers["Connection"]
    headers["Connection"] = "keep-alive, UPGRADE"
    check_request(headers)


@pytest.mark.parametrize(
    "name, value, error, message",
    [
        ("Connection", None, InvalidUpgrade, "missing Connection header"),
        ("Connection", "close", InvalidUpgrade, "invalid Connection header: close"),
        ("Upgrade", None, InvalidUpgrade, "missing Upgrade header"),
        ("Upgrade", "h2c", InvalidUpgrade, "invalid Upgrade header: h2c"),
        ("Upgrade", "websocket, h2c", InvalidUpgrade, "websocket, h2c"),
        ("Sec-WebSocket-Key", None, InvalidHeader, "missing Sec-WebSocket-Key"),
        ("Sec-WebSocket-Key", "not base64!", InvalidHeaderValue, "not base64!"),
        ("Sec-WebSocket-Key", "c2hvcnQ=", InvalidHeaderValue, "c2hvcnQ="),
        ("Sec-WebSocket-Version", None, InvalidHeader, "missing Sec-WebSocket"),
        ("Sec-WebSocket-Version", "8", InvalidHeaderValue, "Version header: 8"),
    ],
)
def test_check_request_errors(
    name: str, value: str | None, error: type[Exception], message: str
) -> None:
    headers = valid_request()
    del headers[name]
    if value is not None:
        headers[name] = value
    with pytest.raises(error, match=message):
        check_request(headers)


def test_check_request_duplicate_key() -> None:
    headers = valid_request()
    headers["Sec-WebSocket-Key"] = headers["Sec-WebSocket-Key"]
    with pytest.raises(InvalidHeader, match="multiple values"):
        check_request(headers)


def test_check_response_errors() -> None:
    key = build_request(Headers())
    headers = Headers()
    build_response(headers, key)
    check_response(headers, key)

    with pytest.raises(InvalidHeaderValue, match="Sec-WebSocket-Accept"):
        check_response(headers, build_request(Headers()))

    del headers["Sec-WebSocket-Accept"]
    with pytest.raises(InvalidHeader, match="missing Sec-WebSocket-Accept"):
        check_response(headers, key)

    headers = Headers()
    build_response(headers, key)
    del headers["Upgrade"]
    with pytest.raises(InvalidUpgrade):
        check_response(headers, key)


header_names = st.sampled_from(
    [
        "Connection",
        "Upgrade",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Accept",
    ]
)


@settings(max_examples=200)
@given(
    items=st.lists(
        st.tuples(
            header_names, st.text(st.characters(min_codepoint=32, max_codepoint=126))
        )
    )
)
def test_garbage_raises_only_invalid_handshake(items: list[tuple[str, str]]) -> None:
    headers = Headers(items)
    try:
        check_request(headers)
    except InvalidHandshake:
        pass
    try:
        check_response(headers, "dGhlIHNhbXBsZSBub25jZQ==")
    except InvalidHandshake:
        pass

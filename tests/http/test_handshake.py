from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidHeader, InvalidHeaderFormat, InvalidUpgrade
from ws_http.datastructures import Headers
from ws_http.handshake import check_upgrade, single_value


@pytest.mark.parametrize(
    "items",
    [
        [("Connection", "Upgrade"), ("Upgrade", "websocket")],
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

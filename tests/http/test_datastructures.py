from __future__ import annotations

import pickle
from collections.abc import Iterable
from copy import deepcopy

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidHeaderValue
from ws_http.datastructures import (
    Headers,
    MultipleValuesError,
    SupportsKeysAndGetItem,
    is_valid_header_value,
)
from ws_http.http11 import Request

from .strategies import (
    control_characters,
    field_values,
    not_iso_8859_1,
    raw_field_values,
    tokens,
)
from .utils import drive


def make_headers() -> Headers:
    return Headers(Connection="Upgrade", Server="websockets")


def test_str() -> None:
    assert str(make_headers()) == "Connection: Upgrade\r\nServer: websockets\r\n\r\n"


def test_repr() -> None:
    assert repr(make_headers()) == (
        "Headers([('Connection', 'Upgrade'), ('Server', 'websockets')])"
    )


def test_copy_is_independent() -> None:
    headers = make_headers()
    copy = headers.copy()
    assert copy == headers
    copy["Server"] = "other"
    assert headers.get_all("Server") == ["websockets"]
    assert copy.get_all("Server") == ["websockets", "other"]
    assert list(headers.raw_items()) == [
        ("Connection", "Upgrade"),
        ("Server", "websockets"),
    ]


def test_pickle_and_deepcopy() -> None:
    headers = make_headers()
    headers["server"] = "other"
    assert pickle.loads(pickle.dumps(headers)) == headers
    copy = deepcopy(headers)
    assert list(copy.raw_items()) == list(headers.raw_items())


def test_serialize() -> None:
    assert make_headers().serialize() == (
        b"Connection: Upgrade\r\nServer: websockets\r\n\r\n"
    )


def test_serialize_empty() -> None:
    assert Headers().serialize() == b"\r\n"


def test_serialize_iso_8859_1() -> None:
    headers = Headers(X="café", Y="\xff\x80")
    assert headers.serialize() == b"X: caf\xe9\r\nY: \xff\x80\r\n\r\n"


def test_contains_is_case_insensitive() -> None:
    headers = make_headers()
    assert "Server" in headers
    assert "server" in headers
    assert "SERVER" in headers
    assert "Date" not in headers
    assert object() not in headers


def test_iter_yields_lower_case_names() -> None:
    assert list(make_headers()) == ["connection", "server"]


def test_len_counts_names() -> None:
    headers = make_headers()
    headers["Server"] = "other"
    assert len(headers) == 2


def test_getitem_is_case_insensitive() -> None:
    headers = make_headers()
    assert headers["Server"] == "websockets"
    assert headers["server"] == "websockets"


def test_getitem_missing() -> None:
    with pytest.raises(KeyError):
        make_headers()["Date"]


def test_getitem_multiple_values() -> None:
    headers = make_headers()
    headers["Server"] = "other"
    with pytest.raises(MultipleValuesError) as raised:
        headers["Server"]
    assert str(raised.value) == "'Server'"


def test_get_multiple_values_isnt_a_key_error() -> None:
    headers = make_headers()
    headers["Server"] = "other"
    with pytest.raises(MultipleValuesError):
        headers.get("Server")


def test_multiple_values_error_str() -> None:
    assert str(MultipleValuesError("Server")) == "'Server'"
    assert str(MultipleValuesError("Server", "again")) == "('Server', 'again')"


def test_setitem_appends() -> None:
    headers = make_headers()
    headers["upgrade"] = "websocket"
    headers["Upgrade"] = "h2c"
    assert headers.get_all("UPGRADE") == ["websocket", "h2c"]
    assert list(headers.raw_items())[-2:] == [
        ("upgrade", "websocket"),
        ("Upgrade", "h2c"),
    ]


@pytest.mark.parametrize(
    "name", ["", "X Y", "X:Y", "X\r\nY", "Caf\u00e9", "(X)", "X\x00"]
)
def test_setitem_rejects_invalid_name(name: str) -> None:
    headers = Headers()
    with pytest.raises(ValueError, match="invalid header name"):
        headers[name] = "value"
    assert headers == Headers()


@pytest.mark.parametrize(
    "value",
    [
        "a\r\nX-Injected: 1",
        "a\rb",
        "a\nb",
        "a\x00b",
        "a\x7fb",
        "a\x1bb",
        "\u2192",
        "\u2603",
        "caf\udce9",
    ],
)
def test_setitem_rejects_invalid_value(value: str) -> None:
    headers = Headers()
    with pytest.raises(InvalidHeaderValue) as raised:
        headers["X"] = value
    assert str(raised.value) == f"invalid X header: {value}"
    assert (raised.value.name, raised.value.value) == ("X", value)
    assert headers == Headers()


def test_constructor_rejects_invalid_value() -> None:
    with pytest.raises(InvalidHeaderValue, match="invalid X header: a\nb"):
        Headers([("X", "a\nb")])
    with pytest.raises(InvalidHeaderValue, match="invalid X header: \u2192"):
        Headers(X="\u2192")


def test_setitem_rejects_non_str() -> None:
    headers = Headers()
    with pytest.raises(TypeError, match="must be str, not str, int"):
        headers["X"] = 42  # type: ignore[assignment]
    with pytest.raises(TypeError, match="must be str, not int, str"):
        headers[42] = "value"  # type: ignore[index]


@pytest.mark.parametrize(
    "value", ["", "a b", "\ttab", "caf\u00e9", "\xa0\xff", "x" * 100]
)
def test_setitem_accepts_valid_value(value: str) -> None:
    headers = Headers()
    headers["X"] = value
    assert headers["X"] == value


def test_set_insecure_skips_checks() -> None:
    headers = Headers()
    headers.set_insecure("X", "a\r\nb")
    assert headers.serialize() == b"X: a\r\nb\r\n\r\n"


def test_is_valid_header_value() -> None:
    assert is_valid_header_value("Upgrade")
    assert not is_valid_header_value("Up\ngrade")


def test_delitem_removes_all_values() -> None:
    headers = make_headers()
    headers["Server"] = "other"
    del headers["server"]
    assert "Server" not in headers
    assert list(headers.raw_items()) == [("Connection", "Upgrade")]


def test_delitem_missing() -> None:
    with pytest.raises(KeyError):
        del make_headers()["Date"]


def test_eq() -> None:
    assert make_headers() == Headers(connection="Upgrade", server="websockets")
    assert make_headers() != Headers(Connection="Upgrade")
    assert make_headers() != {"connection": "Upgrade", "server": "websockets"}


def test_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(make_headers())


def test_clear() -> None:
    headers = make_headers()
    headers.clear()
    assert not headers
    assert list(headers.raw_items()) == []


def test_update_from_headers_keeps_all_values() -> None:
    source = Headers([("X", "1"), ("X", "2")])
    headers = Headers(source)
    assert headers.get_all("x") == ["1", "2"]


def test_update_from_mapping_and_kwargs() -> None:
    headers = Headers({"Connection": "Upgrade"}, Server="websockets")
    assert headers == make_headers()


def test_update_from_iterable_of_pairs() -> None:
    pairs: Iterable[tuple[str, str]] = iter([("Connection", "Upgrade")])
    headers = Headers(pairs)
    assert headers["connection"] == "Upgrade"


def test_update_from_keys_and_getitem() -> None:
    class KeysAndGetItem:
        def keys(self) -> Iterable[str]:
            return ["Connection"]

        def __getitem__(self, key: str) -> str:
            return "Upgrade"

    source: SupportsKeysAndGetItem = KeysAndGetItem()
    headers = Headers(source)
    assert headers["Connection"] == "Upgrade"


def test_several_positional_arguments() -> None:
    with pytest.raises(TypeError, match="at most 1 positional argument, got 2"):
        Headers({"Connection": "Upgrade"}, [("Server", "websockets")])
    headers = make_headers()
    with pytest.raises(TypeError, match="at most 1 positional argument, got 3"):
        headers.update({}, {}, {})
    assert headers == make_headers()


def test_update_adds_values() -> None:
    headers = make_headers()
    headers.update(Server="other")
    assert headers.get_all("Server") == ["websockets", "other"]


def test_get_all_missing() -> None:
    assert make_headers().get_all("Date") == []


def test_get_all_returns_a_copy() -> None:
    headers = make_headers()
    headers.get_all("Server").append("other")
    assert headers.get_all("Server") == ["websockets"]


def test_mutable_mapping_methods() -> None:
    headers = make_headers()
    assert headers.setdefault("Date", "today") == "today"
    assert headers.pop("Date") == "today"
    assert headers.get("Missing", "default") == "default"
    assert dict(headers) == {"connection": "Upgrade", "server": "websockets"}


names = tokens
values = raw_field_values


@given(st.lists(st.tuples(names, values), max_size=8))
@settings(max_examples=100)
def test_raw_items_preserve_order_and_case(items: list[tuple[str, str]]) -> None:
    headers = Headers(items)
    assert list(headers.raw_items()) == items
    for name, _ in items:
        assert headers.get_all(name) == [
            v for n, v in items if n.lower() == name.lower()
        ]
    assert headers == Headers(headers.copy())


@given(st.lists(st.tuples(names, values), max_size=8))
@settings(max_examples=100)
def test_serialize_writes_one_byte_per_character(items: list[tuple[str, str]]) -> None:
    expected = b"".join(
        name.encode() + b": " + value.encode("iso-8859-1") + b"\r\n"
        for name, value in items
    )
    assert Headers(items).serialize() == expected + b"\r\n"


@given(st.lists(st.tuples(names, field_values), max_size=8))
@settings(max_examples=100)
def test_iso_8859_1_round_trip(items: list[tuple[str, str]]) -> None:
    # Parsing strips whitespace around values: field_values have none.
    headers = Headers(
        (name, value)
        for name, value in items
        if name.lower() not in ("content-length", "transfer-encoding")
    )
    data = b"GET / HTTP/1.1\r\n" + headers.serialize()
    request = drive(lambda reader: Request.parse(reader.read_line), [data])
    assert list(request.headers.raw_items()) == list(headers.raw_items())


@given(values, st.one_of(control_characters, not_iso_8859_1), values)
@settings(max_examples=200)
def test_setitem_rejects_what_cannot_be_sent(
    before: str, character: str, after: str
) -> None:
    headers = Headers()
    value = before + character + after
    assert not is_valid_header_value(value)
    with pytest.raises(InvalidHeaderValue):
        headers["X"] = value
    assert headers == Headers()


def test_get_and_setdefault_with_a_present_header() -> None:
    headers = make_headers()
    assert headers.get("SERVER") == "websockets"
    assert headers.setdefault("Server", "other") == "websockets"
    assert headers.get_all("Server") == ["websockets"]
    headers["Server"] = "other"
    with pytest.raises(MultipleValuesError):
        headers.setdefault("Server", "third")


def test_update_with_itself_doubles_every_header() -> None:
    headers = make_headers()
    headers.update(headers)
    assert list(headers.raw_items()) == [
        ("Connection", "Upgrade"),
        ("Server", "websockets"),
        ("Connection", "Upgrade"),
        ("Server", "websockets"),
    ]


def test_common_names_keep_their_spelling() -> None:
    headers = Headers()
    headers["sec-websocket-key"] = "a"
    headers["Sec-WebSocket-Key"] = "b"
    headers["SEC-WEBSOCKET-KEY"] = "c"
    assert list(headers) == ["sec-websocket-key"]
    assert list(headers.raw_items()) == [
        ("sec-websocket-key", "a"),
        ("Sec-WebSocket-Key", "b"),
        ("SEC-WEBSOCKET-KEY", "c"),
    ]

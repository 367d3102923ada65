from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidHeaderFormat, InvalidHeaderValue
from ws_frames.typing import ExtensionHeader, ExtensionName, Subprotocol
from ws_http.headers import (
    _Scanner,
    build_authorization_basic,
    build_extension,
    build_host,
    build_quoted_string,
    build_subprotocol,
    build_www_authenticate_basic,
    parse_authorization_basic,
    parse_connection,
    parse_extension,
    parse_subprotocol,
    parse_upgrade,
    validate_subprotocols,
)

from . import strategies


TOKEN = r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"


@pytest.mark.parametrize(
    "host, port, secure, always, expected",
    [
        ("localhost", 80, False, False, "localhost"),
        ("localhost", 8000, False, False, "localhost:8000"),
        ("localhost", 443, True, False, "localhost"),
        ("localhost", 80, True, False, "localhost:80"),
        ("localhost", 443, False, False, "localhost:443"),
        ("localhost", 80, False, True, "localhost:80"),
        ("127.0.0.1", 80, False, False, "127.0.0.1"),
        ("::1", 80, False, False, "[::1]"),
        ("::1", 8000, True, True, "[::1]:8000"),
        ("not:an:address", 80, False, False, "not:an:address"),
    ],
)
def test_build_host(
    host: str, port: int, secure: bool, always: bool, expected: str
) -> None:
    assert build_host(host, port, secure, always_include_port=always) == expected


def parse_quoted_string(text: str, pos: int) -> tuple[str, int]:
    scanner = _Scanner("X", text)
    scanner.pos = pos
    return scanner.quoted_string(), scanner.pos


def test_scanner() -> None:
    scanner = _Scanner("X", 'a \t "b\\"c"')
    assert scanner.token() == "a"
    scanner.skip_whitespace()
    assert scanner.pos == 4
    scanner.skip_whitespace()
    assert scanner.pos == 4
    assert scanner.next_char() == '"'
    assert scanner.quoted_string() == 'b"c'
    assert scanner.at_end()
    assert scanner.next_char() == ""
    assert str(scanner.fail("expected nothing", 0)) == (
        'invalid X header: expected nothing at 0 in a \t "b\\"c"'
    )


# Connection


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Upgrade", ["Upgrade"]),
        ("keep-alive, Upgrade", ["keep-alive", "Upgrade"]),
        ("keep-alive,Upgrade", ["keep-alive", "Upgrade"]),
        ("keep-alive \t,\t Upgrade", ["keep-alive", "Upgrade"]),
        (",,keep-alive , , Upgrade,,", ["keep-alive", "Upgrade"]),
        (", , Upgrade", ["Upgrade"]),
    ],
)
def test_parse_connection(header: str, expected: list[str]) -> None:
    assert parse_connection(header) == expected


@pytest.mark.parametrize(
    "header, message",
    [
        ("", "expected token at 0 in "),
        (",", "expected token at 1 in ,"),
        (" Upgrade", "expected token at 0 in  Upgrade"),
        ("keep-alive Upgrade", "expected comma at 11 in keep-alive Upgrade"),
        ("Upgrade;", "expected comma at 7 in Upgrade;"),
        ("Up(grade", "expected comma at 2 in Up(grade"),
    ],
)
def test_parse_connection_invalid(header: str, message: str) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_connection(header)
    assert raised.value.name == "Connection"
    assert str(raised.value) == f"invalid Connection header: {message}"


# Upgrade


@pytest.mark.parametrize(
    "header, expected",
    [
        ("websocket", ["websocket"]),
        ("WebSocket", ["WebSocket"]),
        (
            "HTTP/2.0, SHTTP/1.3, IRC/6.9, RTA/x11",
            ["HTTP/2.0", "SHTTP/1.3", "IRC/6.9", "RTA/x11"],
        ),
        ("h2c, websocket", ["h2c", "websocket"]),
    ],
)
def test_parse_upgrade(header: str, expected: list[str]) -> None:
    assert parse_upgrade(header) == expected


@pytest.mark.parametrize(
    "header, message",
    [
        ("", "expected protocol at 0 in "),
        ("/", "expected protocol at 0 in /"),
        ("websocket/", "expected comma at 9 in websocket/"),
        ("a/b/c", "expected comma at 3 in a/b/c"),
        ("websocket;", "expected comma at 9 in websocket;"),
    ],
)
def test_parse_upgrade_invalid(header: str, message: str) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_upgrade(header)
    assert str(raised.value) == f"invalid Upgrade header: {message}"


# Sec-WebSocket-Extensions


@pytest.mark.parametrize(
    "header, expected",
    [
        ("foo", [("foo", [])]),
        ("foo, bar", [("foo", []), ("bar", [])]),
        (
            'foo; name; token=token; quoted-string="quoted-string", bar; quux; quuux',
            [
                (
                    "foo",
                    [
                        ("name", None),
                        ("token", "token"),
                        ("quoted-string", "quoted-string"),
                    ],
                ),
                ("bar", [("quux", None), ("quuux", None)]),
            ],
        ),
        ("foo ; a = b ; c", [("foo", [("a", "b"), ("c", None)])]),
        ('foo;a="b"', [("foo", [("a", "b")])]),
        ('foo; a="\\b"', [("foo", [("a", "b")])]),
        (
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
            [
                (
                    "permessage-deflate",
                    [
                        ("client_max_window_bits", None),
                        ("server_max_window_bits", "10"),
                    ],
                )
            ],
        ),
        (", , foo ,, bar;baz,", [("foo", []), ("bar", [("baz", None)])]),
    ],
)
def test_parse_extension(header: str, expected: list[ExtensionHeader]) -> None:
    assert parse_extension(header) == expected


@pytest.mark.parametrize(
    "header, message",
    [
        ("", "expected token at 0 in "),
        (";foo", "expected token at 0 in ;foo"),
        ("foo;", "expected token at 4 in foo;"),
        ("foo; =bar", "expected token at 5 in foo; =bar"),
        ("foo; a=", "expected token at 7 in foo; a="),
        ("foo; a=b c", "expected comma at 9 in foo; a=b c"),
        ('foo; a="b', 'expected quoted string at 7 in foo; a="b'),
        ('foo; a="b c"', 'invalid quoted header content at 7 in foo; a="b c"'),
        ('foo; a=""', 'invalid quoted header content at 7 in foo; a=""'),
        ("foo bar", "expected comma at 4 in foo bar"),
    ],
)
def test_parse_extension_invalid(header: str, message: str) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_extension(header)
    assert str(raised.value) == f"invalid Sec-WebSocket-Extensions header: {message}"


def test_build_extension() -> None:
    extensions: list[ExtensionHeader] = [
        (ExtensionName("foo"), [("name", None), ("token", "token")]),
        (ExtensionName("bar"), []),
    ]
    assert build_extension(extensions) == "foo; name; token=token, bar"
    assert build_extension([(ExtensionName("bar"), [])]) == "bar"


# Sec-WebSocket-Protocol


@pytest.mark.parametrize(
    "header, expected",
    [
        ("foo", ["foo"]),
        ("foo, bar", ["foo", "bar"]),
        ("  foo  ,  bar  ".strip(), ["foo", "bar"]),
        (",foo,,bar,", ["foo", "bar"]),
    ],
)
def test_parse_subprotocol(header: str, expected: list[str]) -> None:
    assert parse_subprotocol(header) == expected


@pytest.mark.parametrize(
    "header, message",
    [
        ("", "expected token at 0 in "),
        ("foo bar", "expected comma at 4 in foo bar"),
        ("foo/bar", "expected comma at 3 in foo/bar"),
    ],
)
def test_parse_subprotocol_invalid(header: str, message: str) -> None:
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_subprotocol(header)
    assert str(raised.value) == f"invalid Sec-WebSocket-Protocol header: {message}"


def test_build_subprotocol() -> None:
    subprotocols = [Subprotocol("foo"), Subprotocol("bar")]
    assert build_subprotocol(subprotocols) == "foo, bar"


def test_validate_subprotocols() -> None:
    validate_subprotocols([])
    validate_subprotocols([Subprotocol("chat"), Subprotocol("v2.chat")])


@pytest.mark.parametrize(
    "subprotocols, exc_type, message",
    [
        ({"chat"}, TypeError, "subprotocols must be a list"),
        ("chat", TypeError, "subprotocols must be a list, not a str"),
        ([b"chat"], TypeError, "subprotocol must be a str, not bytes"),
        (["chat room"], ValueError, "invalid subprotocol: chat room"),
        ([""], ValueError, "invalid subprotocol: "),
    ],
)
def test_validate_subprotocols_invalid(
    subprotocols: Any, exc_type: type[Exception], message: str
) -> None:
    with pytest.raises(exc_type) as raised:
        validate_subprotocols(subprotocols)
    assert str(raised.value) == message


# Quoted strings


@pytest.mark.parametrize(
    "value, quoted",
    [
        ("", '""'),
        ("a b", '"a b"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("caf\u00e9", '"caf\u00e9"'),
    ],
)
def test_build_quoted_string(value: str, quoted: str) -> None:
    assert build_quoted_string(value) == quoted
    assert parse_quoted_string(quoted, 0) == (value, len(quoted))


@pytest.mark.parametrize("value", ["a\nb", "a\x00b", "\u2603"])
def test_build_quoted_string_invalid(value: str) -> None:
    with pytest.raises(ValueError, match="invalid characters for quoted-string"):
        build_quoted_string(value)


# Authorization and WWW-Authenticate


def test_build_www_authenticate_basic() -> None:
    assert (
        build_www_authenticate_basic("Realm") == 'Basic realm="Realm", charset="UTF-8"'
    )
    assert build_www_authenticate_basic('My "Realm"') == (
        'Basic realm="My \\"Realm\\"", charset="UTF-8"'
    )


def test_build_authorization_basic() -> None:
    # RFC 7617 section 2.
    assert build_authorization_basic("Aladdin", "open sesame") == (
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    )
    # RFC 7617 section 2.1.
    assert build_authorization_basic("test", "123\u00a3") == "Basic dGVzdDoxMjPCow=="


def test_build_authorization_basic_colon_in_username() -> None:
    with pytest.raises(ValueError, match="username cannot contain a colon"):
        build_authorization_basic("a:b", "c")


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("BASIC dGVzdDoxMjPCow==", ("test", "123\u00a3")),
        # Password containing a colon.
        ("Basic dXNlcjpwYTpzcw==", ("user", "pa:ss")),
        # Empty user and password.
        ("Basic Og==", ("", "")),
    ],
)
def test_parse_authorization_basic(header: str, expected: tuple[str, str]) -> None:
    assert parse_authorization_basic(header) == expected


@pytest.mark.parametrize(
    "header, exc_type, message",
    [
        ("", InvalidHeaderFormat, "expected token at 0 in "),
        ("Digest foo", InvalidHeaderValue, "unsupported scheme: Digest"),
        ("Basic", InvalidHeaderFormat, "expected space after scheme at 5 in Basic"),
        ("Basic\tabc", InvalidHeaderFormat, "expected space after scheme at 5"),
        ("Basic ", InvalidHeaderFormat, "expected token68 at 6 in Basic "),
        ("Basic  Og==", InvalidHeaderFormat, "expected token68 at 6"),
        ("Basic Og== x", InvalidHeaderFormat, "trailing data at 10 in Basic Og== x"),
        ("Basic Og=a", InvalidHeaderFormat, "trailing data at 9"),
        ("Basic a-b_", InvalidHeaderValue, "expected base64-encoded credentials"),
        ("Basic YWJ", InvalidHeaderValue, "expected base64-encoded credentials"),
        ("Basic /w==", InvalidHeaderValue, "expected UTF-8 credentials"),
        ("Basic YWJj", InvalidHeaderValue, "expected username:password credentials"),
    ],
)
def test_parse_authorization_basic_invalid(
    header: str, exc_type: type[Exception], message: str
) -> None:
    with pytest.raises(exc_type) as raised:
        parse_authorization_basic(header)
    assert message in str(raised.value)
    assert str(raised.value).startswith("invalid Authorization header: ")


# Properties

tokens = strategies.tokens
ows = st.sampled_from(["", " ", "\t", " \t "])
parameters = st.lists(st.tuples(tokens, st.none() | tokens), max_size=4)
extensions = st.lists(st.tuples(tokens, parameters), min_size=1, max_size=4)


@given(extensions)
@settings(max_examples=100)
def test_extension_round_trip(value: list[tuple[str, list[tuple[str, Any]]]]) -> None:
    typed: list[ExtensionHeader] = [(ExtensionName(n), p) for n, p in value]
    assert parse_extension(build_extension(typed)) == typed


@given(st.lists(tokens, min_size=1, max_size=8))
@settings(max_examples=100)
def test_subprotocol_round_trip(value: list[str]) -> None:
    typed = [Subprotocol(v) for v in value]
    assert parse_subprotocol(build_subprotocol(typed)) == typed


@given(st.lists(tokens, min_size=1, max_size=8), st.lists(ows, min_size=16))
@settings(max_examples=100)
def test_list_with_whitespace_and_empty_elements(
    value: list[str], spaces: list[str]
) -> None:
    # Join with commas surrounded by whitespace, with extra empty elements.
    header = value[0]
    for i, item in enumerate(value[1:]):
        header += spaces[2 * i] + "," + spaces[2 * i + 1] + ",," * (i % 2) + item
    assert parse_connection(header) == value


@given(st.text(st.characters(max_codepoint=0xFF), max_size=20))
@settings(max_examples=100)
def test_quoted_string_round_trip(value: str) -> None:
    try:
        quoted = build_quoted_string(value)
    except ValueError:
        return
    assert parse_quoted_string(quoted, 0) == (value, len(quoted))


@given(st.text().filter(lambda username: ":" not in username), st.text())
@settings(max_examples=100)
def test_authorization_basic_round_trip(username: str, password: str) -> None:
    header = build_authorization_basic(username, password)
    assert parse_authorization_basic(header) == (username, password)


PARSERS: list[Callable[[str], object]] = [
    parse_connection,
    parse_upgrade,
    parse_extension,
    parse_subprotocol,
    parse_authorization_basic,
]


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_garbage_raises_only_documented_errors(header: str) -> None:
    for parser in PARSERS:
        try:
            parser(header)
        except (InvalidHeaderFormat, InvalidHeaderValue):
            pass


hosts = st.one_of(
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True
    ),
    st.ip_addresses().map(str),
)


@given(hosts, st.integers(min_value=1, max_value=65535), st.booleans(), st.booleans())
@settings(max_examples=100)
def test_build_host_round_trip(
    host: str, port: int, secure: bool, always: bool
) -> None:
    parts = urllib.parse.urlsplit(
        "//" + build_host(host, port, secure, always_include_port=always)
    )
    assert parts.hostname == host.lower()
    default = 443 if secure else 80
    assert parts.port == (None if port == default and not always else port)


@given(
    st.text(st.characters(max_codepoint=0xFF, blacklist_categories=["Cc"]), max_size=20)
)
@settings(max_examples=100)
def test_www_authenticate_basic_round_trip(realm: str) -> None:
    header = build_www_authenticate_basic(realm)
    scanner = _Scanner("WWW-Authenticate", header)
    assert scanner.token() == "Basic"
    scanner.skip_whitespace()
    assert scanner.token() == "realm"
    assert scanner.next_char() == "="
    scanner.pos += 1
    assert scanner.quoted_string() == realm
    assert header[scanner.pos :] == ', charset="UTF-8"'

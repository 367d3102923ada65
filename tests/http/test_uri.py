from __future__ import annotations

import string
import urllib.parse

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidURI
from ws_http.uri import WebSocketURI, parse_uri, split_authority


UNRESERVED = string.ascii_letters + string.digits + "-._~"

VALID_URIS = [
    ("ws://localhost/", WebSocketURI(False, "localhost", 80, "/", "")),
    ("wss://localhost/", WebSocketURI(True, "localhost", 443, "/", "")),
    ("ws://localhost", WebSocketURI(False, "localhost", 80, "", "")),
    ("WS://LOCALHOST:8080/A", WebSocketURI(False, "localhost", 8080, "/A", "")),
    (
        "ws://localhost/path?query",
        WebSocketURI(False, "localhost", 80, "/path", "query"),
    ),
    (
        "ws://localhost/path;params",
        WebSocketURI(False, "localhost", 80, "/path;params", ""),
    ),
    (
        "WS://LOCALHOST/PATH?QUERY",
        WebSocketURI(False, "localhost", 80, "/PATH", "QUERY"),
    ),
    ("ws://127.0.0.1:8765", WebSocketURI(False, "127.0.0.1", 8765, "", "")),
    ("ws://[::1]/", WebSocketURI(False, "::1", 80, "/", "")),
    ("wss://[2001:db8::1]:8443/x", WebSocketURI(True, "2001:db8::1", 8443, "/x", "")),
    ("ws://[fe80::1%25eth0]/", WebSocketURI(False, "fe80::1%25eth0", 80, "/", "")),
    ("ws://[fe80::1%eth0]/", WebSocketURI(False, "fe80::1%eth0", 80, "/", "")),
    (
        "ws://[fe80::1%25en1.a_b~]:1/",
        WebSocketURI(False, "fe80::1%25en1.a_b~", 1, "/", ""),
    ),
    (
        "ws://user:pass@localhost/",
        WebSocketURI(False, "localhost", 80, "/", "", "user", "pass"),
    ),
    (
        "ws://us%40er:p%3Ass@localhost/",
        WebSocketURI(False, "localhost", 80, "/", "", "us@er", "p:ss"),
    ),
    (
        "ws://user:@localhost/",
        WebSocketURI(False, "localhost", 80, "/", "", "user", ""),
    ),
    (
        "ws://høst/päth?qüery",
        WebSocketURI(False, "xn--hst-0na", 80, "/p%C3%A4th", "q%C3%BCery"),
    ),
    (
        "ws://localhost/a b?c d",
        WebSocketURI(False, "localhost", 80, "/a%20b", "c%20d"),
    ),
    (
        "ws://localhost/%7Euser?a=%26&b=[1]",
        WebSocketURI(False, "localhost", 80, "/%7Euser", "a=%26&b=[1]"),
    ),
    (
        "ws://üser:päss@localhost/",
        WebSocketURI(False, "localhost", 80, "/", "", "üser", "päss"),
    ),
]


INVALID_URIS = [
    ("http://localhost/", "scheme isn't ws or wss"),
    ("localhost/", "scheme isn't ws or wss"),
    ("ws:///path", "hostname isn't provided"),
    ("ws://:8080/", "hostname isn't provided"),
    ("ws://localhost/#", "fragment identifier is meaningless"),
    ("ws://localhost/path#fragment", "fragment identifier is meaningless"),
    ("ws://user@localhost/", "username provided without password"),
    ("ws://us%3Aer:pass@localhost/", "username contains a colon"),
    ("ws://localhost:port/", "port isn't valid"),
    ("ws://localhost:0/", "port isn't valid"),
    ("ws://localhost:65536/", "port isn't valid"),
    ("ws://[::1/", "Invalid IPv6 URL"),
    ("ws://[1:2:3]/", "1:2:3"),
    # RFC 6874: ZoneID = 1*( unreserved / pct-encoded ).
    ("ws://[fe80::1%eth0 x]/", "invalid IPv6 zone: eth0 x"),
    ("ws://[fe80::1%2\u00e95eth0]:1/", "invalid IPv6 zone: 2\u00e95eth0"),
    ("ws://[fe80::1%25eth\u00e90]/", "invalid IPv6 zone: 25eth\u00e90"),
    ("ws://[fe80::1%25a:b]/", "invalid IPv6 zone: 25a:b"),
    ("ws://ho st/", "invalid hostname: ho st"),
    ("ws://a<b/", "invalid hostname: a<b"),
    ("ws://" + "\u00fc" * 64 + "/", "invalid international domain name"),
]


@pytest.mark.parametrize("uri, expected", VALID_URIS)
def test_parse_valid_uris(uri: str, expected: WebSocketURI) -> None:
    assert parse_uri(uri) == expected


@pytest.mark.parametrize("uri, message", INVALID_URIS)
def test_parse_invalid_uris(uri: str, message: str) -> None:
    with pytest.raises(InvalidURI) as raised:
        parse_uri(uri)
    assert raised.value.uri == uri
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{uri} isn't a valid URI: ")


def test_split_authority_checks_ipv6_addresses() -> None:
    # urllib.parse checks bracketed addresses too, but not on all versions.
    parts = urllib.parse.urlsplit("ws://[::1]/")
    assert split_authority(parts, "ws://[::1]/", InvalidURI, 80) == (
        "::1",
        80,
        None,
        None,
    )
    parts = parts._replace(netloc="[1:2:3]")
    with pytest.raises(InvalidURI, match="invalid IPv6 address: 1:2:3"):
        split_authority(parts, "ws://[1:2:3]/", InvalidURI, 80)


# "%25" introduces a zone (RFC 6874); people also type a bare "%", so that
# "%25" alone may be a bare "%" before the zone "25".
@pytest.mark.parametrize("zone", ["25eth0", "eth0", "25", "25%2Fx%41", "%41"])
def test_split_authority_accepts_ipv6_zones(zone: str) -> None:
    # Recent versions of urllib.parse refuse some zones before this check.
    parts = urllib.parse.urlsplit("ws://[::1]/")._replace(netloc=f"[fe80::1%{zone}]")
    host, _, _, _ = split_authority(parts, "ws://...", InvalidURI, 80)
    assert host.lower() == f"fe80::1%{zone}".lower()


@pytest.mark.parametrize(
    "zone", ["", "25%4", "25eth0%", "25%GG", "25a/b", "25a b", "25\u00e9"]
)
def test_split_authority_checks_ipv6_zones(zone: str) -> None:
    parts = urllib.parse.urlsplit("ws://[::1]/")._replace(netloc=f"[fe80::1%{zone}]")
    with pytest.raises(InvalidURI, match="invalid IPv6 zone"):
        split_authority(parts, "ws://...", InvalidURI, 80)


@pytest.mark.parametrize(
    "uri, resource_name",
    [
        ("ws://localhost/", "/"),
        ("ws://localhost", "/"),
        ("ws://localhost?query", "/?query"),
        ("ws://localhost/path?query", "/path?query"),
        ("ws://localhost/path?", "/path"),
    ],
)
def test_resource_name(uri: str, resource_name: str) -> None:
    assert parse_uri(uri).resource_name == resource_name


@pytest.mark.parametrize(
    "uri, user_info",
    [
        ("ws://localhost/", None),
        ("ws://user:pass@localhost/", ("user", "pass")),
    ],
)
def test_user_info(uri: str, user_info: tuple[str, str] | None) -> None:
    assert parse_uri(uri).user_info == user_info


@given(st.text(max_size=60))
@settings(max_examples=300)
def test_arbitrary_text_raises_only_invalid_uri(text: str) -> None:
    for uri in (text, "ws://" + text, "wss://localhost/" + text):
        try:
            parsed = parse_uri(uri)
        except InvalidURI:
            continue
        # Whatever is accepted can go on a request line and in a Host header.
        assert parsed.resource_name.isascii()
        assert " " not in parsed.resource_name
        assert parsed.host.isascii()
        assert 0 < parsed.port < 65536


@given(
    st.booleans(),
    st.text(string.ascii_lowercase + string.digits + "-.", min_size=1, max_size=20),
    st.integers(min_value=1, max_value=65535),
    st.lists(st.text(UNRESERVED, max_size=8), max_size=4).map(
        lambda segments: "".join("/" + segment for segment in segments)
    ),
    st.text(UNRESERVED + "=&", max_size=20),
)
@settings(max_examples=100)
def test_round_trip(secure: bool, host: str, port: int, path: str, query: str) -> None:
    scheme = "wss" if secure else "ws"
    uri = f"{scheme}://{host}:{port}{path}" + (f"?{query}" if query else "")
    assert parse_uri(uri) == WebSocketURI(secure, host, port, path, query)


def test_parse_uri_returns_a_new_object_each_time() -> None:
    first = parse_uri("ws://example.com/chat")
    first.path = "/other"
    assert parse_uri("ws://example.com/chat").path == "/chat"

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidProxy, InvalidProxyMessage
from ws_http.http11 import USER_AGENT, Request
from ws_http.proxy import (
    DEFAULT_PORTS,
    ConnectResponseParser,
    Proxy,
    get_proxy,
    parse_proxy,
    prepare_connect_request,
)
from ws_http.uri import parse_uri

from .utils import drive


VALID_PROXIES = [
    ("http://proxy:8080", Proxy("http", "proxy", 8080)),
    ("https://proxy:8080", Proxy("https", "proxy", 8080)),
    ("http://proxy", Proxy("http", "proxy", 80)),
    ("http://proxy/", Proxy("http", "proxy", 80)),
    ("https://proxy", Proxy("https", "proxy", 443)),
    ("socks5h://proxy", Proxy("socks5h", "proxy", 1080)),
    ("socks5://proxy:1081", Proxy("socks5", "proxy", 1081)),
    ("socks4a://proxy", Proxy("socks4a", "proxy", 1080)),
    ("socks4://proxy", Proxy("socks4", "proxy", 1080)),
    ("HTTP://PROXY", Proxy("http", "proxy", 80)),
    ("http://[::1]:3128", Proxy("http", "::1", 3128)),
    ("http://[fe80::1%25eth0]:3128", Proxy("http", "fe80::1%25eth0", 3128)),
    ("http://user:pass@proxy", Proxy("http", "proxy", 80, "user", "pass")),
    ("http://us%40er:p%3Ass@proxy", Proxy("http", "proxy", 80, "us@er", "p:ss")),
    ("http://üser:päss@prøxy", Proxy("http", "xn--prxy-hra", 80, "üser", "päss")),
]

INVALID_PROXIES = [
    ("ws://proxy", "scheme ws isn't supported"),
    ("proxy:8080", "scheme proxy isn't supported"),
    ("http://", "hostname isn't provided"),
    ("http://proxy/path", "path is meaningless"),
    ("http://proxy/?query", "query is meaningless"),
    ("http://proxy/#", "fragment is meaningless"),
    ("http://proxy:port", "port isn't valid"),
    ("http://[::1", "Invalid IPv6 URL"),
    ("http://[fe80::1%25eth0 x]", "invalid IPv6 zone: 25eth0 x"),
    ("http://user@proxy", "username provided without password"),
    ("http://us%3Aer:pass@proxy", "username contains a colon"),
    ("http://pro xy", "invalid hostname"),
]


@pytest.mark.parametrize("proxy, expected", VALID_PROXIES)
def test_parse_valid_proxies(proxy: str, expected: Proxy) -> None:
    assert parse_proxy(proxy) == expected


@pytest.mark.parametrize("proxy, message", INVALID_PROXIES)
def test_parse_invalid_proxies(proxy: str, message: str) -> None:
    with pytest.raises(InvalidProxy) as raised:
        parse_proxy(proxy)
    assert raised.value.proxy == proxy
    assert message in str(raised.value)


def test_user_info() -> None:
    assert parse_proxy("http://proxy").user_info is None
    assert parse_proxy("http://user:pass@proxy").user_info == ("user", "pass")


@given(st.text(max_size=40))
@settings(max_examples=200)
def test_arbitrary_text_raises_only_invalid_proxy(text: str) -> None:
    for proxy in (text, "http://" + text, "socks5h://" + text):
        try:
            parse_proxy(proxy)
        except InvalidProxy:
            pass


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_get_proxy_none(no_proxy_env: pytest.MonkeyPatch) -> None:
    assert get_proxy(parse_uri("ws://example.com/")) is None
    assert get_proxy(parse_uri("wss://example.com/")) is None


WS = "ws://example.com/"
WSS = "wss://example.com/"


@pytest.mark.parametrize(
    "environment, ws_proxy, wss_proxy",
    [
        ({"ws_proxy": "http://ws"}, "http://ws", None),
        ({"wss_proxy": "http://wss"}, None, "http://wss"),
        ({"socks_proxy": "socks5://socks"}, "socks5://socks", "socks5://socks"),
        ({"https_proxy": "http://https"}, "http://https", "http://https"),
        ({"http_proxy": "http://http"}, "http://http", None),
        ({"all_proxy": "http://all"}, None, None),
        # The first setting that applies wins.
        (
            {
                "ws_proxy": "http://ws",
                "wss_proxy": "http://wss",
                "socks_proxy": "socks5://socks",
                "https_proxy": "http://https",
                "http_proxy": "http://http",
            },
            "http://ws",
            "http://wss",
        ),
        (
            {
                "socks_proxy": "socks5://socks",
                "https_proxy": "http://https",
                "http_proxy": "http://http",
            },
            "socks5://socks",
            "socks5://socks",
        ),
        (
            {"https_proxy": "http://https", "http_proxy": "http://http"},
            "http://https",
            "http://https",
        ),
        # http:// in socks_proxy means a SOCKS proxy that resolves names.
        (
            {"socks_proxy": "http://socks:1080"},
            "socks5h://socks:1080",
            "socks5h://socks:1080",
        ),
        ({"socks_proxy": "socks4://socks"}, "socks4://socks", "socks4://socks"),
        # Upper case works too; lower case wins.
        ({"WS_PROXY": "http://upper"}, "http://upper", None),
        ({"SOCKS_PROXY": "http://upper"}, "socks5h://upper", "socks5h://upper"),
        (
            {"ws_proxy": "http://lower", "WS_PROXY": "http://upper"},
            "http://lower",
            None,
        ),
        # An empty setting is no setting.
        ({"ws_proxy": "", "http_proxy": "http://http"}, "http://http", None),
    ],
)
def test_get_proxy_from_environment(
    no_proxy_env: pytest.MonkeyPatch,
    environment: dict[str, str],
    ws_proxy: str | None,
    wss_proxy: str | None,
) -> None:
    for name, value in environment.items():
        no_proxy_env.setenv(name, value)
    assert get_proxy(parse_uri(WS)) == ws_proxy
    assert get_proxy(parse_uri(WSS)) == wss_proxy


def test_get_proxy_no_proxy(no_proxy_env: pytest.MonkeyPatch) -> None:
    for name in ["ws_proxy", "wss_proxy", "socks_proxy", "https_proxy"]:
        no_proxy_env.setenv(name, "http://proxy:8080")
    no_proxy_env.setenv("no_proxy", "example.com,localhost")
    assert get_proxy(parse_uri("wss://example.com/")) is None
    assert get_proxy(parse_uri("ws://www.example.com/")) is None
    assert get_proxy(parse_uri("wss://localhost:8443/")) is None
    assert get_proxy(parse_uri("wss://example.org/")) == "http://proxy:8080"


def test_get_proxy_no_proxy_upper_case_and_port(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    no_proxy_env.setenv("socks_proxy", "http://proxy:1080")
    no_proxy_env.setenv("NO_PROXY", "example.com:80")
    assert get_proxy(parse_uri("ws://example.com/")) is None
    assert get_proxy(parse_uri("wss://example.com/")) == "socks5h://proxy:1080"


def test_get_proxy_no_proxy_ipv6(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("ws_proxy", "http://proxy:8080")
    no_proxy_env.setenv("no_proxy", "::1")
    assert get_proxy(parse_uri("ws://[::1]:8000/")) is None
    assert get_proxy(parse_uri("ws://[::2]:8000/")) == "http://proxy:8080"


def test_get_proxy_empty_lower_case_unsets_upper_case(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    no_proxy_env.setenv("WS_PROXY", "http://upper")
    no_proxy_env.setenv("ws_proxy", "")
    no_proxy_env.setenv("HTTPS_PROXY", "http://https")
    assert get_proxy(parse_uri(WS)) == "http://https"


def test_get_proxy_ignores_upper_case_http_proxy_under_cgi(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    # A CGI server sets HTTP_PROXY from the Proxy header of its client.
    no_proxy_env.setenv("REQUEST_METHOD", "GET")
    no_proxy_env.setenv("HTTP_PROXY", "http://attacker")
    assert get_proxy(parse_uri(WS)) is None
    no_proxy_env.setenv("http_proxy", "http://http")
    assert get_proxy(parse_uri(WS)) == "http://http"


@pytest.mark.parametrize(
    "no_proxy, uri, listed",
    [
        (".example.com", "ws://example.com/", True),
        (".example.com", "ws://a.b.example.com/", True),
        (" EXAMPLE.com , other", "ws://Example.COM/", True),
        ("example.com:8000", "ws://example.com:8000/", True),
        ("example.com:8000", "ws://example.com/", False),
        ("ample.com", "ws://example.com/", False),
        (",,", "ws://example.com/", False),
        ("127.0.0.1", "ws://127.0.0.1:8000/", True),
        ("0.0.1", "ws://127.0.0.1/", True),
    ],
)
def test_get_proxy_no_proxy_matching(
    no_proxy_env: pytest.MonkeyPatch, no_proxy: str, uri: str, listed: bool
) -> None:
    # The rules of urllib.request.proxy_bypass_environment(), suffixes of
    # IP addresses included.
    no_proxy_env.setenv("ws_proxy", "http://proxy:8080")
    no_proxy_env.setenv("no_proxy", no_proxy)
    assert get_proxy(parse_uri(uri)) == (None if listed else "http://proxy:8080")


def test_get_proxy_no_proxy_wildcard(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("ws_proxy", "http://proxy:8080")
    no_proxy_env.setenv("NO_PROXY", "*")
    assert get_proxy(parse_uri(WS)) is None


def test_get_proxy_reads_the_environment_at_each_call(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    assert get_proxy(parse_uri(WS)) is None
    no_proxy_env.setenv("ws_proxy", "http://proxy:8080")
    assert get_proxy(parse_uri(WS)) == "http://proxy:8080"
    no_proxy_env.setenv("no_proxy", "example.com")
    assert get_proxy(parse_uri(WS)) is None


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_get_proxy_with_system_settings(
    no_proxy_env: pytest.MonkeyPatch, platform: str
) -> None:
    # There, urllib.request reads the system settings when the environment
    # has none; the environment still comes first.
    no_proxy_env.setattr("sys.platform", platform)
    no_proxy_env.setattr("urllib.request.getproxies", lambda: {"ws": "http://ws"})
    no_proxy_env.setattr(
        "urllib.request.proxy_bypass", lambda host: host == "example.org:80"
    )
    assert get_proxy(parse_uri(WS)) == "http://ws"
    assert get_proxy(parse_uri("ws://example.org/")) is None


def test_prepare_connect_request() -> None:
    request = prepare_connect_request(
        parse_proxy("http://proxy:8080"), parse_uri("wss://example.com/chat")
    )
    assert request == (
        b"CONNECT example.com:443 HTTP/1.1\r\n"
        b"Host: example.com:443\r\n"
        b"User-Agent: " + USER_AGENT.encode() + b"\r\n"
        b"\r\n"
    )


def test_prepare_connect_request_with_credentials_and_ipv6() -> None:
    request = prepare_connect_request(
        parse_proxy("http://user:pass@proxy:8080"),
        parse_uri("ws://[::1]:8000/"),
        user_agent_header=None,
    )
    assert request == (
        b"CONNECT [::1]:8000 HTTP/1.1\r\n"
        b"Host: [::1]:8000\r\n"
        b"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n"
        b"\r\n"
    )


def test_prepare_connect_request_parses_back() -> None:
    data = prepare_connect_request(
        parse_proxy("http://proxy"), parse_uri("ws://example.com:8000/")
    )
    request = drive(lambda reader: Request.parse(reader.read_line), [data])
    assert request.method == "CONNECT"
    assert request.path == "example.com:8000"


CONNECT_RESPONSE = b"HTTP/1.1 200 Connection established\r\nVia: proxy\r\n\r\n"


def test_connect_response_parser() -> None:
    parser = ConnectResponseParser()
    assert parser.parse() is None
    parser.feed_data(CONNECT_RESPONSE)
    response = parser.parse()
    assert response is not None
    assert response.status_code == 200
    assert response.reason_phrase == "Connection established"
    assert response.headers["Via"] == "proxy"


@settings(max_examples=50)
@given(st.lists(st.integers(min_value=1, max_value=len(CONNECT_RESPONSE))))
def test_connect_response_parser_any_chunking(cuts: list[int]) -> None:
    parser = ConnectResponseParser()
    response = None
    start = 0
    for end in sorted({*cuts, len(CONNECT_RESPONSE)}):
        assert response is None
        parser.feed_data(CONNECT_RESPONSE[start:end])
        response = parser.parse()
        start = end
    assert response is not None
    assert response.status_code == 200


def test_connect_response_parser_eof() -> None:
    parser = ConnectResponseParser()
    parser.feed_data(CONNECT_RESPONSE[:20])
    assert parser.parse() is None
    parser.feed_eof()
    with pytest.raises(InvalidProxyMessage) as raised:
        parser.parse()
    assert str(raised.value) == "did not receive a valid HTTP response from proxy"
    assert isinstance(raised.value.__cause__, EOFError)


@settings(max_examples=50)
@given(st.binary(max_size=200))
def test_connect_response_parser_garbage(data: bytes) -> None:
    parser = ConnectResponseParser()
    parser.feed_data(data)
    parser.feed_eof()
    try:
        parser.parse()
    except InvalidProxyMessage:
        pass


@settings(max_examples=100)
@given(
    st.sampled_from(["http", "https", "socks4", "socks4a", "socks5", "socks5h"]),
    st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True
    ),
    st.none() | st.integers(min_value=1, max_value=65535),
    st.none()
    | st.tuples(st.text(min_size=1).filter(lambda u: ":" not in u), st.text()),
)
def test_parse_proxy_round_trip(
    scheme: str, host: str, port: int | None, credentials: tuple[str, str] | None
) -> None:
    url = f"{scheme}://"
    if credentials is not None:
        username, password = (urllib.parse.quote(part, safe="") for part in credentials)
        url += f"{username}:{password}@"
    url += host if port is None else f"{host}:{port}"
    proxy = parse_proxy(url)
    assert (proxy.scheme, proxy.host) == (scheme, host)
    assert proxy.port == (DEFAULT_PORTS[scheme] if port is None else port)
    assert proxy.user_info == credentials

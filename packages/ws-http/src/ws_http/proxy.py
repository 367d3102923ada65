"""
Proxies for WebSocket connections: SOCKS and HTTP ``CONNECT``.

"""

from __future__ import annotations

import dataclasses
import urllib.parse
import urllib.request

from ws_frames.exceptions import InvalidProxy, InvalidProxyMessage
from ws_frames.streams import StreamReader

from .datastructures import Headers
from .headers import build_authorization_basic, build_host
from .http11 import USER_AGENT, Request, Response
from .uri import WebSocketURI, parse_host, parse_port, parse_user_info


__all__ = ["ConnectResponseParser", "get_proxy", "parse_proxy", "Proxy"]


# Default port of each supported scheme.
PROXY_PORTS = {
    "socks5h": 1080,
    "socks5": 1080,
    "socks4a": 1080,
    "socks4": 1080,
    "https": 443,
    "http": 80,
}


@dataclasses.dataclass
class Proxy:
    """
    Proxy address.

    Attributes:
        scheme: ``socks5h``, ``socks5``, ``socks4a``, ``socks4``, ``https``,
            or ``http``.
        host: Normalized to lower case; IDNA-encoded for international names;
            without brackets for IPv6 addresses.
        port: Always set even if it's the default.
        username: Available when the proxy address contains `User Information`_.
        password: Available when the proxy address contains `User Information`_.

    .. _User Information: https://datatracker.ietf.org/doc/html/rfc3986#section-3.2.1

    """

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def user_info(self) -> tuple[str, str] | None:
        """``(username, password)`` when the proxy address contains credentials."""
        if self.username is None:
            return None
        assert self.password is not None
        return (self.username, self.password)


def parse_proxy(proxy: str) -> Proxy:
    """
    Parse and validate a proxy.

    Args:
        proxy: proxy.

    Returns:
        Parsed proxy.

    Raises:
        InvalidProxy: If ``proxy`` isn't a valid proxy.

    """
    try:
        parsed = urllib.parse.urlsplit(proxy)
    except ValueError as exc:  # for example, an unbalanced bracket
        raise InvalidProxy(proxy, str(exc)) from None
    if parsed.scheme not in PROXY_PORTS:
        raise InvalidProxy(proxy, f"scheme {parsed.scheme} isn't supported")
    if parsed.hostname is None:
        raise InvalidProxy(proxy, "hostname isn't provided")
    if parsed.path not in ["", "/"]:
        raise InvalidProxy(proxy, "path is meaningless")
    if parsed.query != "":
        raise InvalidProxy(proxy, "query is meaningless")
    if "#" in proxy:
        raise InvalidProxy(proxy, "fragment is meaningless")

    host = parse_host(parsed.hostname, proxy, InvalidProxy)
    port = parse_port(parsed, PROXY_PORTS[parsed.scheme])
    if port is None:
        raise InvalidProxy(proxy, "port isn't valid")
    user_info = parse_user_info(parsed)
    if user_info is None:
        raise InvalidProxy(proxy, "username provided without password")
    username, password = user_info
    if username is not None and ":" in username:
        raise InvalidProxy(proxy, "username contains a colon")

    return Proxy(parsed.scheme, host, port, username, password)


def get_proxy(uri: WebSocketURI) -> str | None:
    """
    Return the proxy to use for connecting to the given WebSocket URI, if any.

    Like :func:`urllib.request.urlopen`, read the ``https_proxy`` (for
    ``wss``) or ``http_proxy`` (for ``ws``) environment variables and honor
    ``no_proxy``; on macOS and Windows, fall back to the system configuration.

    """
    if urllib.request.proxy_bypass(f"{uri.host}:{uri.port}"):
        return None

    proxies = urllib.request.getproxies()
    return proxies.get("https" if uri.secure else "http")


def prepare_connect_request(
    proxy: Proxy,
    ws_uri: WebSocketURI,
    user_agent_header: str | None = USER_AGENT,
) -> bytes:
    """
    Build the ``CONNECT`` request that opens a tunnel through an HTTP proxy.

    See `RFC 7231 section 4.3.6`_.

    .. _RFC 7231 section 4.3.6: https://datatracker.ietf.org/doc/html/rfc7231#section-4.3.6

    """
    # The request target of CONNECT is host:port, always with the port, and
    # RFC 7230 section 5.4 requires the same value in the Host header.
    host = build_host(ws_uri.host, ws_uri.port, ws_uri.secure, always_include_port=True)
    headers = Headers()
    headers["Host"] = host
    if user_agent_header is not None:
        headers["User-Agent"] = user_agent_header
    if proxy.user_info is not None:
        headers["Proxy-Authorization"] = build_authorization_basic(*proxy.user_info)
    return Request(host, headers, method="CONNECT").serialize()


class ConnectResponseParser:
    """
    Parse the response of an HTTP proxy to a ``CONNECT`` request, from the
    bytes received (`RFC 7231 section 4.3.6`_).

    .. _RFC 7231 section 4.3.6: https://datatracker.ietf.org/doc/html/rfc7231#section-4.3.6

    """

    def __init__(self) -> None:
        self.reader = StreamReader()
        self.parser = Response.parse(
            self.reader.read_line,
            self.reader.read_exact,
            self.reader.read_to_eof,
            proxy=True,
        )

    def feed_data(self, data: bytes) -> None:
        """Add bytes received from the proxy."""
        self.reader.feed_data(data)

    def feed_eof(self) -> None:
        """Note that the proxy closed the connection."""
        self.reader.feed_eof()

    def parse(self) -> Response | None:
        """
        Parse what was received so far.

        Returns:
            The response once it's complete, :obj:`None` until then.

        Raises:
            InvalidProxyMessage: If the response isn't valid HTTP, with the
                parser's error as its cause.

        """
        try:
            next(self.parser)
        except StopIteration as exc:
            response = exc.value
            assert isinstance(response, Response)
            return response
        except Exception as exc:
            raise InvalidProxyMessage(
                "did not receive a valid HTTP response from proxy"
            ) from exc
        return None

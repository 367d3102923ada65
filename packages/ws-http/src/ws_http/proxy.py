"""
Reaching a WebSocket server through a proxy: SOCKS, or HTTP with ``CONNECT``.

"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import urllib.parse
import urllib.request

from ws_frames.exceptions import InvalidProxy, InvalidProxyMessage
from ws_frames.streams import StreamReader

from .datastructures import Headers
from .headers import build_authorization_basic, build_host
from .http11 import USER_AGENT, Request, Response
from .uri import WebSocketURI, split_authority


__all__ = ["ConnectResponseParser", "get_proxy", "parse_proxy", "Proxy"]


# The schemes that a proxy URL may have, with their default ports.
DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "socks4": 1080,
    "socks4a": 1080,
    "socks5": 1080,
    "socks5h": 1080,
}


@dataclasses.dataclass
class Proxy:
    """A parsed proxy URL."""

    @property
    def user_info(self) -> tuple[str, str] | None:
        """``(username, password)``, or :obj:`None` without credentials."""
        if self.username is None or self.password is None:
            return None
        return self.username, self.password

    scheme: str
    """``http``, ``https``, ``socks4``, ``socks4a``, ``socks5`` or ``socks5h``."""
    host: str
    """Host name, in lower case and IDNA-encoded when international, or IP
    address, without brackets for IPv6."""
    port: int
    """Port; the default one of the scheme when the URL has none."""
    username: str | None = None
    """Username, when the URL has credentials (:rfc:`3986#section-3.2.1`)."""
    password: str | None = None
    """Password, when the URL has credentials."""


def parse_proxy(proxy: str) -> Proxy:
    """
    Parse and check the URL of a proxy.

    Raises:
        InvalidProxy: If ``proxy`` isn't the URL of a supported proxy: a
            scheme of :data:`DEFAULT_PORTS`, a host, an optional port and
            optional credentials, and nothing else.

    """
    try:
        parts = urllib.parse.urlsplit(proxy)
    except ValueError as exc:  # an unbalanced bracket, for instance
        raise InvalidProxy(proxy, str(exc)) from None
    default_port = DEFAULT_PORTS.get(parts.scheme)
    if default_port is None:
        raise InvalidProxy(proxy, f"scheme {parts.scheme} isn't supported")
    if parts.hostname is None:
        raise InvalidProxy(proxy, "hostname isn't provided")
    for meaningless, present in [
        ("path", parts.path not in ("", "/")),
        ("query", parts.query != ""),
        ("fragment", "#" in proxy),
    ]:
        if present:
            raise InvalidProxy(proxy, f"{meaningless} is meaningless")
    host, port, username, password = split_authority(
        parts, proxy, InvalidProxy, default_port
    )
    return Proxy(parts.scheme, host, port, username, password)


# Where to look for a proxy, in order: the prefixes of the *_proxy settings.
# A secure connection never goes through a proxy meant for plain HTTP only.
_PROXY_SETTINGS = {
    False: ["ws", "socks", "https", "http"],
    True: ["wss", "socks", "https"],
}

# The environment variables of each setting, in lower and in upper case,
# encoded as os.environ stores them on POSIX systems.
_VARIABLES = {
    prefix: (os.fsencode(f"{prefix}_proxy"), os.fsencode(f"{prefix.upper()}_PROXY"))
    for prefix in ["ws", "wss", "socks", "https", "http", "no"]
}

_SOCKS_AS_HTTP = re.compile(r"^http://")


def _environment_setting(prefix: str) -> str | None:
    """
    Read the ``{prefix}_proxy`` setting as
    :func:`urllib.request.getproxies_environment` does, without decoding the
    whole environment, which takes longer than the rest of a connection.

    """
    # For a variable that isn't set, os.environ.get() raises and catches two
    # exceptions: a microsecond. On POSIX systems, the dict of encoded names
    # and values behind os.environ, which it reads and writes through, tells
    # in a few nanoseconds.
    environ = os.environ._data  # type: ignore[attr-defined]
    lower, upper = _VARIABLES[prefix]
    # The lower case name wins, even empty: it then unsets the setting.
    value = environ.get(lower)
    # Behind a CGI server, HTTP_PROXY may come from a header of the client
    # (CVE-2016-1000110); http_proxy cannot.
    if value is None and not (prefix == "http" and b"REQUEST_METHOD" in environ):
        value = environ.get(upper)
    return os.fsdecode(value) if value else None


def _listed(uri: WebSocketURI, no_proxy: str) -> bool:
    """
    Tell whether ``no_proxy`` names the server of ``uri``, as
    :mod:`urllib.request` reads it: ``*`` for every server, or a list of
    names, each with or without a port, that match themselves and the names
    that end with them, in any case.

    """
    if no_proxy == "*":
        return True
    host = uri.host.lower()
    candidates = [host, f"{host}:{uri.port}"]
    for entry in no_proxy.split(","):
        entry = entry.strip()
        if not entry:
            continue
        name = entry.lstrip(".").lower()
        if any(
            candidate == name or candidate.endswith(f".{name}")
            for candidate in candidates
        ):
            return True
    return False


def get_proxy(uri: WebSocketURI) -> str | None:
    """
    Find the proxy, if any, for connecting to ``uri``.

    The settings are read as :mod:`urllib.request` reads them: environment
    variables in lower case or, failing that, in upper case, and on macOS and
    Windows the system settings. For ``ws://``, the first of ``ws_proxy``,
    ``socks_proxy``, ``https_proxy`` and ``http_proxy`` that is set wins;
    for ``wss://``, the first of ``wss_proxy``, ``socks_proxy`` and
    ``https_proxy``. ``no_proxy`` lists hosts reached directly.

    ``socks_proxy`` names a SOCKS proxy even when its URL starts with
    ``http://``, as many tools write it; it stands for ``socks5h://``.

    Returns:
        The URL of the proxy, or :obj:`None` to connect directly.

    """
    settings = _PROXY_SETTINGS[uri.secure]
    if sys.platform in ("darwin", "win32"):
        # urllib.request falls back to the system settings there.
        if urllib.request.proxy_bypass(f"{uri.host}:{uri.port}"):
            return None
        configured = urllib.request.getproxies()
        chosen = next((name for name in settings if name in configured), None)
        proxy = None if chosen is None else configured[chosen]
    else:
        for chosen in settings:
            proxy = _environment_setting(chosen)
            if proxy is not None:
                break
        else:
            return None
        no_proxy = _environment_setting("no")
        if no_proxy is not None and _listed(uri, no_proxy):
            return None
    if proxy is None or chosen != "socks":
        return proxy
    return _SOCKS_AS_HTTP.sub("socks5h://", proxy)


def prepare_connect_request(
    proxy: Proxy,
    ws_uri: WebSocketURI,
    user_agent_header: str | None = USER_AGENT,
) -> bytes:
    """
    Build a ``CONNECT`` request that asks an HTTP proxy for a tunnel to the
    server of ``ws_uri`` (:rfc:`7231#section-4.3.6`).

    """
    # The target of CONNECT is host:port, port always included, and the Host
    # header repeats it (RFC 7230 section 5.4).
    authority = build_host(
        ws_uri.host, ws_uri.port, ws_uri.secure, always_include_port=True
    )
    headers = Headers(Host=authority)
    if user_agent_header is not None:
        headers["User-Agent"] = user_agent_header
    if proxy.user_info is not None:
        headers["Proxy-Authorization"] = build_authorization_basic(*proxy.user_info)
    return Request(authority, headers, "CONNECT").serialize()


class ConnectResponseParser:
    """
    Read the answer of an HTTP proxy to ``CONNECT`` from the bytes it sends.

    The tunnel starts right after the headers of the answer; no body is read.

    """

    def __init__(self) -> None:
        reader = self.reader = StreamReader()
        read = reader.read_line, reader.read_exact, reader.read_to_eof
        self.parser = Response.parse(*read, proxy=True)

    def feed_data(self, data: bytes) -> None:
        """Add bytes received from the proxy."""
        self.reader.feed_data(data)

    def feed_eof(self) -> None:
        """Record that the proxy closed the connection."""
        self.reader.feed_eof()

    def parse(self) -> Response | None:
        """
        Parse what the proxy sent so far.

        Returns:
            The answer once it's complete; :obj:`None` until then.

        Raises:
            InvalidProxyMessage: If the answer isn't valid HTTP; the parser's
                error is its cause.

        """
        try:
            next(self.parser)
        except StopIteration as done:
            response: Response = done.value
            return response
        except Exception as exc:
            raise InvalidProxyMessage(
                "did not receive a valid HTTP response from proxy"
            ) from exc
        return None

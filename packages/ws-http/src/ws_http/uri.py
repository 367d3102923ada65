"""
WebSocket URIs: ``ws://`` and ``wss://`` (:rfc:`6455#section-3`).

"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
import urllib.parse

from ws_frames.exceptions import InvalidProxy, InvalidURI


__all__ = ["parse_uri", "WebSocketURI"]


DELIMS = ":/?#[]@!$&'()*+,;="
"""The gen-delims and sub-delims of :rfc:`3986#section-2.2`."""

# RFC 3986 section 3.2.2.
_REG_NAME = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=]+")
# RFC 6874 section 2: ZoneID = 1*( unreserved / pct-encoded ).
_ZONE_ID = re.compile(r"(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+")


@dataclasses.dataclass
class WebSocketURI:
    """A parsed WebSocket URI."""

    @property
    def resource_name(self) -> str:
        """Target of the handshake request: path, ``/`` if empty, and query."""
        path = self.path or "/"
        return f"{path}?{self.query}" if self.query else path

    @property
    def user_info(self) -> tuple[str, str] | None:
        """``(username, password)``, or :obj:`None` without credentials."""
        if self.username is None or self.password is None:
            return None
        return self.username, self.password

    secure: bool
    """Whether the scheme is ``wss`` rather than ``ws``."""
    host: str
    """Host name, in lower case and IDNA-encoded when international, or IP
    address, without brackets for IPv6."""
    port: int
    """Port; the default one of the scheme when the URI has none."""
    path: str
    """Path, percent-encoded; possibly empty."""
    query: str
    """Query, percent-encoded; possibly empty."""
    username: str | None = None
    """Username, when the URI has credentials (:rfc:`3986#section-3.2.1`)."""
    password: str | None = None
    """Password, when the URI has credentials."""


def split_authority(
    parts: urllib.parse.SplitResult,
    text: str,
    error: type[InvalidURI] | type[InvalidProxy],
    default_port: int,
) -> tuple[str, int, str | None, str | None]:
    """
    Check the authority of a WebSocket URI or of a proxy URL.

    Args:
        parts: What :func:`urllib.parse.urlsplit` made of ``text``, which
            has a host name.
        text: The URI or URL, for error messages.
        error: Exception to raise, called with ``text`` and what's wrong.
        default_port: Port of the scheme, for when there's none.

    Returns:
        The host (IDNA-encoded when international, IPv6 without brackets),
        the port, the username and the password, percent-decoded, or
        :obj:`None` for both without credentials.

    """
    host = parts.hostname
    assert host is not None, "the caller checks that there's a host"
    if ":" in host:
        # urllib checks bracketed IPv6 addresses only in recent versions, and
        # not their zones against RFC 6874. In a URI, "%25" introduces the zone;
        # people also type a bare "%". One check covers both: "25" are
        # unreserved characters.
        address, percent, zone = host.partition("%")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise error(text, f"invalid IPv6 address: {host}") from None
        if percent and _ZONE_ID.fullmatch(zone) is None:
            raise error(text, f"invalid IPv6 zone: {zone}")
    else:
        if not host.isascii():
            try:
                host = host.encode("idna").decode()
            except UnicodeError as exc:
                raise error(text, f"invalid international domain name: {exc}") from None
        if _REG_NAME.fullmatch(host) is None:
            raise error(text, f"invalid hostname: {host}")

    try:
        port = parts.port
    except ValueError:  # urllib refuses anything but a number in range
        port = 0
    if port is None:
        port = default_port
    if port == 0:
        raise error(text, "port isn't valid")

    username, password = parts.username, parts.password
    if username is not None:
        # Basic credentials need both; a colon would end the username early.
        if password is None:
            raise error(text, "username provided without password")
        username = urllib.parse.unquote(username)
        password = urllib.parse.unquote(password)
        if ":" in username:
            raise error(text, "username contains a colon")

    return host, port, username, password


def parse_uri(uri: str) -> WebSocketURI:
    """
    Parse and check a WebSocket URI.

    An internationalized resource identifier becomes a URI: the host name is
    IDNA-encoded, the path and the query are percent-encoded, keeping the
    escapes that they contain already. Credentials are percent-decoded.

    Raises:
        InvalidURI: If ``uri`` isn't a valid WebSocket URI.

    """
    # A client usually connects to the same few URIs again and again; the
    # caller gets a WebSocketURI of its own, which it may change.
    return WebSocketURI(*_parse_uri(uri))


@functools.lru_cache(maxsize=64)
def _parse_uri(
    uri: str,
) -> tuple[bool, str, int, str, str, str | None, str | None]:
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError as exc:  # an unbalanced bracket, for instance
        raise InvalidURI(uri, str(exc)) from None
    if parts.scheme not in ("ws", "wss"):
        raise InvalidURI(uri, "scheme isn't ws or wss")
    if parts.hostname is None:
        raise InvalidURI(uri, "hostname isn't provided")
    # RFC 6455 section 3: "Fragment identifiers are meaningless in the context
    # of WebSocket URIs and MUST NOT be used on these URIs."
    if "#" in uri:
        raise InvalidURI(uri, "fragment identifier is meaningless")
    secure = parts.scheme == "wss"
    host, port, username, password = split_authority(
        parts, uri, InvalidURI, 443 if secure else 80
    )
    # Spaces and non-ASCII characters cannot go on a request line.
    safe = DELIMS + "%"
    path = urllib.parse.quote(parts.path, safe=safe)
    query = urllib.parse.quote(parts.query, safe=safe)
    return secure, host, port, path, query, username, password

"""
WebSocket URIs (RFC 6455 section 3).

"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import urllib.parse

from ws_frames.exceptions import InvalidURI


__all__ = ["parse_uri", "WebSocketURI"]


# All characters from the gen-delims and sub-delims sets in RFC 3986.
DELIMS = ":/?#[]@!$&'()*+,;="

# RFC 3986 section 3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ).
_reg_name_re = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=]+")


@dataclasses.dataclass
class WebSocketURI:
    """
    WebSocket URI.

    Attributes:
        secure: :obj:`True` for a ``wss`` URI, :obj:`False` for a ``ws`` URI.
        host: Normalized to lower case; IDNA-encoded for international names;
            without brackets for IPv6 addresses.
        port: Always set even if it's the default.
        path: May be empty.
        query: May be empty if the URI doesn't include a query component.
        username: Available when the URI contains `User Information`_.
        password: Available when the URI contains `User Information`_.

    .. _User Information: https://datatracker.ietf.org/doc/html/rfc3986#section-3.2.1

    """

    secure: bool
    host: str
    port: int
    path: str
    query: str
    username: str | None = None
    password: str | None = None

    @property
    def resource_name(self) -> str:
        """Request target of the opening handshake: path and query."""
        resource_name = self.path or "/"
        if self.query:
            resource_name += "?" + self.query
        return resource_name

    @property
    def user_info(self) -> tuple[str, str] | None:
        """``(username, password)`` when the URI contains credentials."""
        if self.username is None:
            return None
        assert self.password is not None
        return (self.username, self.password)


def parse_host(host: str, uri: str, exc_type: type[Exception]) -> str:
    """
    Validate a host name or IP address and return it in ASCII form.

    International domain names are converted with IDNA.

    """
    if ":" in host:
        # Only an IPv6 literal contains colons; urllib removed the brackets.
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise exc_type(uri, f"invalid IPv6 address: {host}") from None
        return host
    if not host.isascii():
        try:
            host = host.encode("idna").decode()
        except UnicodeError as exc:
            raise exc_type(uri, f"invalid international domain name: {exc}") from None
    if _reg_name_re.fullmatch(host) is None:
        raise exc_type(uri, f"invalid hostname: {host}")
    return host


def parse_port(parsed: urllib.parse.SplitResult, default: int) -> int | None:
    """
    Return the port of a URI, the default port when there's none, or
    :obj:`None` when the port isn't valid.

    """
    try:
        port = parsed.port
    except ValueError:  # not a number, or out of range
        return None
    if port is None:
        return default
    return port if port > 0 else None


def parse_user_info(
    parsed: urllib.parse.SplitResult,
) -> tuple[str, str] | tuple[None, None] | None:
    """
    Return the percent-decoded credentials of a URI, ``(None, None)`` when
    there are none, or :obj:`None` when a username has no password.

    """
    username, password = parsed.username, parsed.password
    if username is None:
        return None, None
    # urllib.parse accepts a username without a password, which doesn't make
    # sense for HTTP Basic Auth credentials.
    if password is None:
        return None
    return urllib.parse.unquote(username), urllib.parse.unquote(password)


def parse_uri(uri: str) -> WebSocketURI:
    """
    Parse and validate a WebSocket URI.

    International resource identifiers (IRIs) are converted to URIs: the host
    name is encoded with IDNA, the path and the query are percent-encoded.
    Credentials are percent-decoded.

    Args:
        uri: WebSocket URI.

    Returns:
        Parsed WebSocket URI.

    Raises:
        InvalidURI: If ``uri`` isn't a valid WebSocket URI.

    """
    try:
        parsed = urllib.parse.urlsplit(uri)
    except ValueError as exc:  # for example, an unbalanced bracket
        raise InvalidURI(uri, str(exc)) from None
    if parsed.scheme not in ["ws", "wss"]:
        raise InvalidURI(uri, "scheme isn't ws or wss")
    if parsed.hostname is None:
        raise InvalidURI(uri, "hostname isn't provided")
    # RFC 6455 section 3: "Fragment identifiers are meaningless in the context
    # of WebSocket URIs and MUST NOT be used on these URIs."
    if "#" in uri:
        raise InvalidURI(uri, "fragment identifier is meaningless")

    secure = parsed.scheme == "wss"
    host = parse_host(parsed.hostname, uri, InvalidURI)
    port = parse_port(parsed, 443 if secure else 80)
    if port is None:
        raise InvalidURI(uri, "port isn't valid")
    user_info = parse_user_info(parsed)
    if user_info is None:
        raise InvalidURI(uri, "username provided without password")
    username, password = user_info
    if username is not None and ":" in username:
        raise InvalidURI(uri, "username contains a colon")

    # Keep existing percent-escapes and delimiters; encode everything else,
    # such as spaces and non-ASCII characters, which a request line can't carry.
    path = urllib.parse.quote(parsed.path, safe=DELIMS + "%")
    query = urllib.parse.quote(parsed.query, safe=DELIMS + "%")

    return WebSocketURI(secure, host, port, path, query, username, password)

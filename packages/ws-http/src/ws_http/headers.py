"""
Reading and writing the header values of the opening handshake.

The grammar is RFC 7230's: tokens, quoted strings, optional whitespace (OWS)
and comma-separated lists, where empty elements are tolerated. A value that
doesn't follow it raises :exc:`~ws_frames.exceptions.InvalidHeaderFormat`,
which names the header and tells what was expected where.

"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from ws_frames import typing as ws_typing
from ws_frames.exceptions import InvalidHeaderFormat, InvalidHeaderValue


__all__ = [
    "build_authorization_basic",
    "build_extension",
    "build_host",
    "build_subprotocol",
    "build_www_authenticate_basic",
    "parse_authorization_basic",
    "parse_connection",
    "parse_extension",
    "parse_subprotocol",
    "parse_upgrade",
    "validate_subprotocols",
]

_Item = TypeVar("_Item")

# RFC 7230 section 3.2.6.
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN = re.compile(f"{_TCHAR}+")
# RFC 7230 section 3.2.3.
_OWS = re.compile(r"[ \t]*")
# RFC 7230 section 3.2.6: qdtext and quoted-pair between double quotes.
_QUOTED = re.compile(r'"((?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*)"')
_ESCAPED = re.compile(r"\\(.)")
_QUOTABLE = re.compile(r"[\t -~\x80-\xff]*")
_NEEDS_ESCAPE = re.compile(r'(["\\])')
# RFC 7230 section 6.7: protocol-name [ "/" protocol-version ], both tokens.
_PROTOCOL = re.compile(f"{_TCHAR}+(?:/{_TCHAR}+)?")
# RFC 7235 section 2.1.
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class _Scanner:
    """
    Walk through the value of one header, left to right.

    Every error carries the name of the header, the value and the position
    reached, which :exc:`~ws_frames.exceptions.InvalidHeaderFormat` shows.

    """

    __slots__ = ["header", "text", "pos"]

    def __init__(self, header: str, text: str) -> None:
        self.header = header
        self.text = text
        self.pos = 0

    def fail(self, expected: str, pos: int | None = None) -> InvalidHeaderFormat:
        return InvalidHeaderFormat(
            self.header, expected, self.text, self.pos if pos is None else pos
        )

    def next_char(self) -> str:
        """Return the character at the current position, ``""`` at the end."""
        return self.text[self.pos : self.pos + 1]

    def at_end(self) -> bool:
        return self.pos == len(self.text)

    def skip_whitespace(self) -> None:
        match = _OWS.match(self.text, self.pos)
        assert match is not None  # an empty match is still a match
        self.pos = match.end()

    def take(self, pattern: re.Pattern[str], expected: str) -> str:
        """Consume what ``pattern`` matches here, or fail with ``expected``."""
        match = pattern.match(self.text, self.pos)
        if match is None:
            raise self.fail(expected)
        self.pos = match.end()
        return match.group()

    def token(self) -> str:
        return self.take(_TOKEN, "expected token")

    def quoted_string(self) -> str:
        """Consume a quoted string and return its content, unescaped."""
        match = _QUOTED.match(self.text, self.pos)
        if match is None:
            raise self.fail("expected quoted string")
        self.pos = match.end()
        return _ESCAPED.sub(r"\1", match.group(1))

    def elements(self, element: Callable[[], _Item]) -> list[_Item]:
        """
        Read a whole value made of a comma-separated list of elements.

        RFC 7230 section 7: a recipient accepts empty elements, with their
        whitespace, anywhere in the list, but there must be one element at
        least.

        """
        found: list[_Item] = []
        while True:
            while self.next_char() == ",":
                self.pos += 1
                self.skip_whitespace()
            if found and self.at_end():
                return found
            found.append(element())
            self.skip_whitespace()
            if self.at_end():
                return found
            if self.next_char() != ",":
                raise self.fail("expected comma")


def build_host(
    host: str, port: int, secure: bool, *, always_include_port: bool = False
) -> str:
    """
    Build the value of a ``Host`` header (:rfc:`7230#section-5.4`).

    Args:
        host: Host name or IP address; an IPv6 address gets brackets
            (:rfc:`3986#section-3.2.2`).
        port: TCP port.
        secure: Whether the scheme is ``wss``, whose default port is 443
            rather than 80.
        always_include_port: Include the port even when it's the default
            one, as a ``CONNECT`` request needs.

    """
    if ":" in host:  # only an IPv6 address may contain a colon
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            pass
        else:
            host = f"[{host}]"
    default_port = 443 if secure else 80
    if port == default_port and not always_include_port:
        return host
    return f"{host}:{port}"


def parse_connection(header: str) -> list[ws_typing.ConnectionOption]:
    """
    Parse the value of a ``Connection`` header into its options.

    See :rfc:`7230#section-6.1`.

    Raises:
        InvalidHeaderFormat: If ``header`` isn't a list of tokens.

    """
    scanner = _Scanner("Connection", header)
    return cast(list[ws_typing.ConnectionOption], scanner.elements(scanner.token))


def parse_upgrade(header: str) -> list[ws_typing.UpgradeProtocol]:
    """
    Parse the value of an ``Upgrade`` header into its protocols.

    A protocol is a name, optionally followed by a slash and a version, as in
    ``websocket`` or ``HTTP/2.0`` (:rfc:`7230#section-6.7`).

    Raises:
        InvalidHeaderFormat: If ``header`` isn't a list of protocols.

    """
    scanner = _Scanner("Upgrade", header)
    return scanner.elements(
        lambda: cast(
            ws_typing.UpgradeProtocol, scanner.take(_PROTOCOL, "expected protocol")
        )
    )


def _extension_parameter(scanner: _Scanner) -> ws_typing.ExtensionParameter:
    name = scanner.token()
    scanner.skip_whitespace()
    if scanner.next_char() != "=":
        return name, None
    scanner.pos += 1
    scanner.skip_whitespace()
    if scanner.next_char() == '"':
        start = scanner.pos
        value = scanner.quoted_string()
        # RFC 6455 section 9.1: once unescaped, a quoted value must still be
        # a token.
        if _TOKEN.fullmatch(value) is None:
            raise scanner.fail("invalid quoted header content", start)
    else:
        value = scanner.token()
    scanner.skip_whitespace()
    return name, value


def _extension(scanner: _Scanner) -> ws_typing.ExtensionHeader:
    name = ws_typing.ExtensionName(scanner.token())
    scanner.skip_whitespace()
    parameters = []
    while scanner.next_char() == ";":
        scanner.pos += 1
        scanner.skip_whitespace()
        parameters.append(_extension_parameter(scanner))
    return name, parameters


def parse_extension(header: str) -> list[ws_typing.ExtensionHeader]:
    """
    Parse the value of a ``Sec-WebSocket-Extensions`` header.

    The grammar is in :rfc:`6455#section-9.1`; :rfc:`7692#section-5` uses it
    for permessage-deflate. For example::

        >>> parse_extension("permessage-deflate; client_max_window_bits=10, x")
        [('permessage-deflate', [('client_max_window_bits', '10')]), ('x', [])]

    Returns:
        One ``(name, parameters)`` pair per extension offered, in order, with
        the parameters as ``(name, value)`` pairs, where ``value`` is
        :obj:`None` for a parameter without value.

    Raises:
        InvalidHeaderFormat: If ``header`` doesn't follow the grammar.

    """
    scanner = _Scanner("Sec-WebSocket-Extensions", header)
    return scanner.elements(lambda: _extension(scanner))


def build_extension(extensions: Sequence[ws_typing.ExtensionHeader]) -> str:
    """
    Build the value of a ``Sec-WebSocket-Extensions`` header.

    It's the inverse of :func:`parse_extension`. Parameter values are written
    as tokens, which the factories of extensions guarantee they are.

    """
    return ", ".join(
        "; ".join(
            [
                name,
                *(key if value is None else f"{key}={value}" for key, value in params),
            ]
        )
        for name, params in extensions
    )


def parse_subprotocol(header: str) -> list[ws_typing.Subprotocol]:
    """
    Parse the value of a ``Sec-WebSocket-Protocol`` header.

    See :rfc:`6455#section-4.1`: a list of tokens.

    Raises:
        InvalidHeaderFormat: If ``header`` isn't a list of tokens.

    """
    scanner = _Scanner("Sec-WebSocket-Protocol", header)
    return cast(list[ws_typing.Subprotocol], scanner.elements(scanner.token))


def build_subprotocol(subprotocols: Sequence[ws_typing.Subprotocol]) -> str:
    """Build the value of a ``Sec-WebSocket-Protocol`` header."""
    return ", ".join(subprotocols)


def validate_subprotocols(subprotocols: Sequence[ws_typing.Subprotocol]) -> None:
    """
    Check subprotocols given by the caller before they go in a header.

    Raises:
        TypeError: If ``subprotocols`` isn't a sequence of strings; a single
            string is refused, as it's more likely a mistake than a list of
            one-character subprotocols.
        ValueError: If a subprotocol isn't a token.

    """
    if isinstance(subprotocols, str):
        raise TypeError("subprotocols must be a list, not a str")
    if not isinstance(subprotocols, Sequence):
        raise TypeError("subprotocols must be a list")
    for subprotocol in subprotocols:
        if not isinstance(subprotocol, str):
            kind = type(subprotocol).__name__
            raise TypeError(f"subprotocol must be a str, not {kind}")
        if _TOKEN.fullmatch(subprotocol) is None:
            raise ValueError(f"invalid subprotocol: {subprotocol}")


def build_quoted_string(value: str) -> str:
    """
    Write ``value`` as a quoted string, escaping quotes and backslashes.

    Raises:
        ValueError: If ``value`` holds a character that a quoted string cannot
            carry: a control character other than HTAB, or a code point above
            U+00FF.

    """
    if _QUOTABLE.fullmatch(value) is None:
        raise ValueError(f"invalid characters for quoted-string encoding: {value!r}")
    escaped = _NEEDS_ESCAPE.sub(r"\\\1", value)
    return f'"{escaped}"'


def build_www_authenticate_basic(realm: str) -> str:
    """
    Build the value of a ``WWW-Authenticate`` header that asks for Basic
    credentials in ``realm`` (:rfc:`7617#section-2`).

    The ``charset`` parameter tells the client to encode credentials in
    UTF-8, the one value that :rfc:`7617#section-2.1` allows.

    Raises:
        ValueError: If ``realm`` cannot be written as a quoted string.

    """
    return f'Basic realm={build_quoted_string(realm)}, charset="UTF-8"'


def parse_authorization_basic(header: str) -> tuple[str, str]:
    """
    Read the username and password of an ``Authorization`` header.

    The header is ``Basic``, in any case (:rfc:`7235#section-2.1`), one space
    and the base64 encoding of ``username:password`` in UTF-8
    (:rfc:`7617#section-2`).

    Returns:
        ``(username, password)``; the password may contain colons.

    Raises:
        InvalidHeaderFormat: If ``header`` doesn't follow the grammar.
        InvalidHeaderValue: If the scheme isn't Basic, or if the credentials
            aren't base64-encoded UTF-8 with a colon.

    """
    scanner = _Scanner("Authorization", header)
    scheme = scanner.token()
    if scheme.lower() != "basic":
        raise InvalidHeaderValue("Authorization", f"unsupported scheme: {scheme}")
    if scanner.next_char() != " ":
        raise scanner.fail("expected space after scheme")
    scanner.pos += 1
    encoded = scanner.take(_TOKEN68, "expected token68")
    if not scanner.at_end():
        raise scanner.fail("trailing data")
    try:
        credentials = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidHeaderValue(
            "Authorization", "expected base64-encoded credentials"
        ) from None
    try:
        decoded = credentials.decode()
    except UnicodeDecodeError:
        raise InvalidHeaderValue(
            "Authorization", "expected UTF-8 credentials"
        ) from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise InvalidHeaderValue(
            "Authorization", "expected username:password credentials"
        )
    return username, password


def build_authorization_basic(username: str, password: str) -> str:
    """
    Build the value of an ``Authorization`` header with Basic credentials.

    It's the inverse of :func:`parse_authorization_basic`.

    Raises:
        ValueError: If ``username`` contains a colon, which
            :rfc:`7617#section-2` forbids.

    """
    if ":" in username:
        raise ValueError("username cannot contain a colon")
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {encoded}"

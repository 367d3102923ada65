"""
Fuzz target: the grammar of the headers of the opening handshake, with the
``parse_*`` functions of ``ws_http.headers``.

The first byte of the input chooses the parser; the rest is the value of the
header, decoded like ``Request.parse`` and ``Response.parse`` decode it.
Checks:

- each parser raises only ``InvalidHeaderFormat``, and
  ``parse_authorization_basic`` also ``InvalidHeaderValue``;
- where a builder exists, building from the parsed value and parsing again
  gives the same value; elsewhere, parsing the normalized list again does.

"""

from __future__ import annotations

from collections.abc import Callable

from ws_frames.exceptions import InvalidHeaderFormat, InvalidHeaderValue
from ws_frames.typing import ExtensionName
from ws_http.headers import (
    build_authorization_basic,
    build_extension,
    build_quoted_string,
    build_subprotocol,
    build_www_authenticate_basic,
    parse_authorization_basic,
    parse_connection,
    parse_extension,
    parse_subprotocol,
    parse_upgrade,
)


def check_connection(header: str) -> None:
    try:
        options = parse_connection(header)
    except InvalidHeaderFormat:
        return
    assert options and all(options)
    assert parse_connection(", ".join(options)) == options


def check_upgrade(header: str) -> None:
    try:
        protocols = parse_upgrade(header)
    except InvalidHeaderFormat:
        return
    assert protocols and all(protocols)
    assert parse_upgrade(", ".join(protocols)) == protocols


def check_extension(header: str) -> None:
    try:
        extensions = parse_extension(header)
    except InvalidHeaderFormat:
        return
    assert extensions
    assert parse_extension(build_extension(extensions)) == extensions


def check_subprotocol(header: str) -> None:
    try:
        subprotocols = parse_subprotocol(header)
    except InvalidHeaderFormat:
        return
    assert subprotocols
    assert parse_subprotocol(build_subprotocol(subprotocols)) == subprotocols


def check_authorization(header: str) -> None:
    try:
        username, password = parse_authorization_basic(header)
    except (InvalidHeaderFormat, InvalidHeaderValue):
        return
    assert ":" not in username
    rebuilt = build_authorization_basic(username, password)
    assert parse_authorization_basic(rebuilt) == (username, password)


def check_quoted_string(header: str) -> None:
    # Quoted strings appear in extension parameters, whose unescaped value
    # must still be a token (RFC 6455 section 9.1).
    try:
        [(_, [(_, value)])] = parse_extension(f"x; p={header}")
    except (InvalidHeaderFormat, ValueError):
        pass
    else:
        assert value is not None
        offer = [(ExtensionName("x"), [("p", value)])]
        assert parse_extension(build_extension(offer)) == offer
    # Any value that can be quoted comes back unchanged, when it's a token.
    try:
        quoted = build_quoted_string(header)
    except ValueError:
        return
    try:
        [(_, [(_, value)])] = parse_extension(f"x; p={quoted}")
    except InvalidHeaderFormat:
        return
    assert value == header
    assert build_www_authenticate_basic(header).startswith("Basic realm=")


CHECKS: list[Callable[[str], None]] = [
    check_connection,
    check_upgrade,
    check_extension,
    check_subprotocol,
    check_authorization,
    check_quoted_string,
]


def check(data: bytes) -> None:
    if not data:
        return
    # Headers arrive as bytes; the HTTP parsers keep non-ASCII bytes as
    # surrogate escapes and strip surrounding whitespace. Decoding as
    # Latin-1 instead reaches the obs-text ranges of the grammar.
    encoding = "latin-1" if data[0] & 0x80 else "ascii"
    header = data[1:].decode(encoding, "surrogateescape").strip(" \t")
    CHECKS[(data[0] & 0x7F) % len(CHECKS)](header)

"""
:mod:`ws_http.headers` under its ``websockets`` name, with the names that the
builders and parsers of lists had before websockets 10.0.

"""

from __future__ import annotations

from ws_http.headers import (
    build_authorization_basic as build_authorization_basic,
    build_extension as build_extension,
    build_host as build_host,
    build_quoted_string as build_quoted_string,
    build_subprotocol as build_subprotocol,
    build_www_authenticate_basic as build_www_authenticate_basic,
    parse_authorization_basic as parse_authorization_basic,
    parse_connection as parse_connection,
    parse_extension as parse_extension,
    parse_subprotocol as parse_subprotocol,
    parse_upgrade as parse_upgrade,
    validate_subprotocols as validate_subprotocols,
)


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

# Older names, kept as they were: without a warning.
build_extension_list = build_extension
build_subprotocol_list = build_subprotocol
parse_extension_list = parse_extension
parse_subprotocol_list = parse_subprotocol

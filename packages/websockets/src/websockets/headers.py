"""Re-export of :mod:`ws_http.headers`."""

from __future__ import annotations

from ws_http.headers import (
    T as T,
    build_authorization_basic as build_authorization_basic,
    build_extension as build_extension,
    build_extension_item as build_extension_item,
    build_extension_list as build_extension_list,
    build_host as build_host,
    build_quoted_string as build_quoted_string,
    build_subprotocol as build_subprotocol,
    build_subprotocol_list as build_subprotocol_list,
    build_www_authenticate_basic as build_www_authenticate_basic,
    parse_authorization_basic as parse_authorization_basic,
    parse_connection as parse_connection,
    parse_connection_option as parse_connection_option,
    parse_end as parse_end,
    parse_extension as parse_extension,
    parse_extension_item as parse_extension_item,
    parse_extension_item_param as parse_extension_item_param,
    parse_extension_list as parse_extension_list,
    parse_list as parse_list,
    parse_OWS as parse_OWS,
    parse_quoted_string as parse_quoted_string,
    parse_subprotocol as parse_subprotocol,
    parse_subprotocol_item as parse_subprotocol_item,
    parse_subprotocol_list as parse_subprotocol_list,
    parse_token as parse_token,
    parse_token68 as parse_token68,
    parse_upgrade as parse_upgrade,
    parse_upgrade_protocol as parse_upgrade_protocol,
    peek_ahead as peek_ahead,
    validate_subprotocols as validate_subprotocols,
)


__all__ = [
    "build_host",
    "parse_connection",
    "parse_upgrade",
    "parse_extension",
    "build_extension",
    "parse_subprotocol",
    "build_subprotocol",
    "validate_subprotocols",
    "build_www_authenticate_basic",
    "parse_authorization_basic",
    "build_authorization_basic",
]

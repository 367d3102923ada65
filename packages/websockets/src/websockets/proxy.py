"""Re-export of :mod:`ws_http.proxy`."""

from __future__ import annotations

from ws_http.proxy import (
    Proxy as Proxy,
    get_proxy as get_proxy,
    parse_proxy as parse_proxy,
    prepare_connect_request as prepare_connect_request,
)


__all__ = [
    "get_proxy",
    "parse_proxy",
    "Proxy",
]

"""Re-export of :mod:`ws_asyncio.client`."""

from __future__ import annotations

from ws_asyncio.client import (
    MAX_REDIRECTS as MAX_REDIRECTS,
    ClientConnection as ClientConnection,
    HTTPProxyConnection as HTTPProxyConnection,
    connect as connect,
    connect_http_proxy as connect_http_proxy,
    connect_socks_proxy as connect_socks_proxy,
    process_exception as process_exception,
    unix_connect as unix_connect,
)


try:
    from ws_asyncio.client import (
        SOCKS_PROXY_RDNS as SOCKS_PROXY_RDNS,
        SOCKS_PROXY_TYPES as SOCKS_PROXY_TYPES,
    )
except ImportError:  # defined only when python_socks is installed
    pass

__all__ = [
    "ClientConnection",
    "connect",
    "unix_connect",
]

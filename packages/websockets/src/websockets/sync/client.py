"""Re-export of :mod:`ws_sync.client`."""

from __future__ import annotations

from ws_sync.client import (
    ClientConnection as ClientConnection,
    F as F,
    SSLSSLSocket as SSLSSLSocket,
    T as T,
    connect as connect,
    connect_http_proxy as connect_http_proxy,
    connect_socks_proxy as connect_socks_proxy,
    read_connect_response as read_connect_response,
    unix_connect as unix_connect,
)


try:
    from ws_sync.client import (
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

"""Re-export of :mod:`ws_asyncio.legacy.auth`."""

from __future__ import annotations

from ws_asyncio.legacy.auth import (
    BasicAuthWebSocketServerProtocol as BasicAuthWebSocketServerProtocol,
    Credentials as Credentials,
    basic_auth_protocol_factory as basic_auth_protocol_factory,
    is_credentials as is_credentials,
)


__all__ = [
    "basic_auth_protocol_factory",
    "BasicAuthWebSocketServerProtocol",
]

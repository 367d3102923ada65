"""Re-export of :mod:`ws_asyncio.legacy.auth`."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.auth import (
    BasicAuthWebSocketServerProtocol as BasicAuthWebSocketServerProtocol,
    Credentials as Credentials,
    basic_auth_protocol_factory as basic_auth_protocol_factory,
    is_credentials as is_credentials,
)


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "see the upgrade guide to the new asyncio implementation",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "basic_auth_protocol_factory",
    "BasicAuthWebSocketServerProtocol",
]

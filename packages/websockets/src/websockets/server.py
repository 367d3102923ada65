"""
:mod:`ws_http.server` under its ``websockets`` name, with the deprecated names
that older code imports from here.

"""

from __future__ import annotations

import typing
import warnings
from typing import Any

from ws_http.server import ServerProtocol as ServerProtocol

from . import http11 as _http11  # noqa: F401  # Request.exception
from .imports import lazy_import


__all__ = ["ServerProtocol"]


class ServerConnection(ServerProtocol):
    """:class:`ServerProtocol` under the name it had until websockets 11.0."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # deprecated in websockets 11.0 - 2023-04-02
        warnings.warn(
            "ServerConnection was renamed to ServerProtocol",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


if not typing.TYPE_CHECKING:
    # The legacy server, which the asyncio server replaced.
    lazy_import(
        globals(),
        deprecated_aliases={
            "WebSocketServer": "ws_asyncio.legacy.server",
            "WebSocketServerProtocol": "ws_asyncio.legacy.server",
            "broadcast": "ws_asyncio.legacy.server",
            "serve": "ws_asyncio.legacy.server:Serve",
            "unix_serve": "ws_asyncio.legacy.server",
        },
    )

"""
:mod:`ws_http.client` under its ``websockets`` name, with the deprecated names
that older code imports from here.

"""

from __future__ import annotations

import typing
import warnings
from typing import Any

from ws_http.client import (
    BACKOFF_FACTOR as BACKOFF_FACTOR,
    BACKOFF_INITIAL_DELAY as BACKOFF_INITIAL_DELAY,
    BACKOFF_MAX_DELAY as BACKOFF_MAX_DELAY,
    BACKOFF_MIN_DELAY as BACKOFF_MIN_DELAY,
    ClientProtocol as ClientProtocol,
    backoff as backoff,
)

from . import http11 as _http11  # noqa: F401  # Response.exception
from .imports import lazy_import


__all__ = ["ClientProtocol"]


class ClientConnection(ClientProtocol):
    """:class:`ClientProtocol` under the name it had until websockets 11.0."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # deprecated in websockets 11.0 - 2023-04-02
        warnings.warn(
            "ClientConnection was renamed to ClientProtocol",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


if not typing.TYPE_CHECKING:
    # The legacy client, which the asyncio client replaced.
    lazy_import(
        globals(),
        deprecated_aliases={
            "WebSocketClientProtocol": "ws_asyncio.legacy.client",
            "connect": "ws_asyncio.legacy.client:Connect",
            "unix_connect": "ws_asyncio.legacy.client",
        },
    )

"""Re-export of :mod:`ws_frames.protocol`."""

from __future__ import annotations

import typing

from ws_frames.protocol import (
    CLIENT as CLIENT,
    CLOSED as CLOSED,
    CLOSING as CLOSING,
    CONNECTING as CONNECTING,
    OPEN as OPEN,
    SEND_EOF as SEND_EOF,
    SERVER as SERVER,
    Event as Event,
    Protocol as Protocol,
    Side as Side,
    State as State,
)

from .imports import lazy_import


__all__ = [
    "Protocol",
    "SEND_EOF",
    "Side",
    "State",
]

if not typing.TYPE_CHECKING:
    lazy_import(
        globals(),
        deprecated_aliases={
            "WebSocketCommonProtocol": "ws_asyncio.legacy.protocol",
        },
    )

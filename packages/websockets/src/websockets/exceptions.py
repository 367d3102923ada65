"""Re-export of :mod:`ws_frames.exceptions`, plus deprecated aliases."""

from __future__ import annotations

import typing

from ws_frames.exceptions import *  # noqa: F403
from ws_frames.exceptions import __all__ as __all__

from .imports import lazy_import


if not typing.TYPE_CHECKING:
    lazy_import(
        globals(),
        deprecated_aliases={
            # deprecated in websockets 14.0 - 2024-11-09
            "AbortHandshake": "ws_asyncio.legacy.exceptions",
            "InvalidStatusCode": "ws_asyncio.legacy.exceptions",
            "RedirectHandshake": "ws_asyncio.legacy.exceptions",
            # deprecated in websockets 10.0 - 2021-09-09; ProtocolError, which
            # the legacy API still exports under this name
            "WebSocketProtocolError": "ws_asyncio.legacy.exceptions",
        },
    )

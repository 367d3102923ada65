"""Older home of :mod:`websockets.legacy.framing`, kept for code written for it. Deprecated."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.framing import *  # noqa: F403
from ws_asyncio.legacy.framing import __all__ as __all__

from .imports import UPGRADE_GUIDE


warnings.warn(  # moved in websockets 10.0 - 2021-09-09
    "websockets.framing, an alias for websockets.legacy.framing, is deprecated; "
    f"see {UPGRADE_GUIDE} for upgrade instructions",
    DeprecationWarning,
    stacklevel=1,
)

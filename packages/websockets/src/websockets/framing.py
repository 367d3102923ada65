"""Older home of :mod:`websockets.legacy.framing`, kept for code written for it. Deprecated."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.framing import *  # noqa: F403
from ws_asyncio.legacy.framing import __all__ as __all__


warnings.warn(  # moved in websockets 10.0 - 2021-09-09
    "websockets.framing is deprecated; "
    "use the new asyncio implementation in websockets.asyncio instead",
    DeprecationWarning,
    stacklevel=2,
)

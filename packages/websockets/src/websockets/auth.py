"""Former home of HTTP Basic Auth for the legacy server. Deprecated."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.auth import *  # noqa: F403
from ws_asyncio.legacy.auth import __all__ as __all__

from .imports import UPGRADE_GUIDE


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.auth, an alias for websockets.legacy.auth, is deprecated; "
    f"see {UPGRADE_GUIDE} for upgrade instructions",
    DeprecationWarning,
    stacklevel=1,
)

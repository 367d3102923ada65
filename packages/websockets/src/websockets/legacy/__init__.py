"""The legacy asyncio API, from :mod:`ws_asyncio.legacy`. Deprecated."""

from __future__ import annotations

import warnings


warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    "websockets.legacy is deprecated; "
    "use the new asyncio implementation in websockets.asyncio instead",
    DeprecationWarning,
    stacklevel=2,
)

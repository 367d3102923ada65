"""The legacy asyncio API, from :mod:`ws_asyncio.legacy`. Deprecated."""

from __future__ import annotations

import warnings

from ..imports import UPGRADE_GUIDE


# Importing any module of the package warns once, here; the warning names
# this module, which filters of warnings by module can match.
warnings.warn(  # deprecated in websockets 14.0 - 2024-11-09
    f"websockets.legacy is deprecated; see {UPGRADE_GUIDE} for upgrade instructions",
    DeprecationWarning,
    stacklevel=1,
)

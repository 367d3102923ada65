"""Older home of :mod:`websockets.legacy.http`, kept for code written for it. Deprecated."""

from __future__ import annotations

import warnings

from ws_asyncio.legacy.http import (
    read_request as read_request,
    read_response as read_response,
)
from ws_http.datastructures import (
    Headers as Headers,
    MultipleValuesError as MultipleValuesError,
)

from .imports import UPGRADE_GUIDE


__all__ = ["Headers", "MultipleValuesError", "read_request", "read_response"]

warnings.warn(  # moved in websockets 10.0 - 2021-09-09
    "websockets.http, an alias for websockets.legacy.http, is deprecated; "
    f"see {UPGRADE_GUIDE} for upgrade instructions",
    DeprecationWarning,
    stacklevel=1,
)

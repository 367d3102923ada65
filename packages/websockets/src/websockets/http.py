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


__all__ = ["Headers", "MultipleValuesError", "read_request", "read_response"]

warnings.warn(  # moved in websockets 10.0 - 2021-09-09
    "websockets.http is deprecated; "
    "use the new asyncio implementation in websockets.asyncio instead",
    DeprecationWarning,
    stacklevel=2,
)

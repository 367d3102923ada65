"""Former home of the sans-I/O protocol, now :mod:`websockets.protocol`. Deprecated."""

from __future__ import annotations

import warnings

from ws_frames.protocol import (
    SEND_EOF as SEND_EOF,
    Protocol as Connection,
    Side as Side,
    State as State,
)


__all__ = ["SEND_EOF", "Connection", "Side", "State"]

warnings.warn(  # deprecated in websockets 11.0 - 2023-04-02
    "websockets.connection was renamed to websockets.protocol "
    "and Connection was renamed to Protocol",
    DeprecationWarning,
    stacklevel=1,
)

"""Re-export of :mod:`ws_sync.connection`."""

from __future__ import annotations

from ws_sync.connection import (
    Connection as Connection,
    broadcast as broadcast,
)


__all__ = [
    "Connection",
]

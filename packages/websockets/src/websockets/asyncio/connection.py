"""Re-export of :mod:`ws_asyncio.connection`."""

from __future__ import annotations

from ws_asyncio.connection import (
    Connection as Connection,
    broadcast as broadcast,
)


__all__ = [
    "Connection",
]

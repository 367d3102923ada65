"""Re-export of :mod:`ws_sync.utils`."""

from __future__ import annotations

from ws_sync.utils import (
    Deadline as Deadline,
)


__all__ = [
    "Deadline",
]

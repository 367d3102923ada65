"""Re-export of :mod:`ws_sync.messages`."""

from __future__ import annotations

from ws_sync.messages import (
    Assembler as Assembler,
    UTF8Decoder as UTF8Decoder,
)


__all__ = [
    "Assembler",
]

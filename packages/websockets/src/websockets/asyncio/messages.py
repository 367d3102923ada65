"""Re-export of :mod:`ws_asyncio.messages`."""

from __future__ import annotations

from ws_asyncio.messages import (
    Assembler as Assembler,
    SimpleQueue as SimpleQueue,
    T as T,
    UTF8Decoder as UTF8Decoder,
)


__all__ = [
    "Assembler",
]

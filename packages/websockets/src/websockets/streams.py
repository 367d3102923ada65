"""Re-export of :mod:`ws_frames.streams`."""

from __future__ import annotations

from ws_frames.streams import (
    StreamReader as StreamReader,
)

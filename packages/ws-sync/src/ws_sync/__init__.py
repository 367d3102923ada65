"""
WebSocket client and server with threads, on the sans-I/O core of
:mod:`ws_frames` and :mod:`ws_http`.

"""

from __future__ import annotations


__version__ = "0.1.0"

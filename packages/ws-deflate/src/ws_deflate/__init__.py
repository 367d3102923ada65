"""
The permessage-deflate extension (RFC 7692) for :mod:`ws_frames` protocols.

"""

from __future__ import annotations


__version__ = "0.1.0"

"""Re-export of :mod:`ws_frames.extensions`."""

from __future__ import annotations

from ws_frames.extensions import (
    ClientExtensionFactory as ClientExtensionFactory,
    Extension as Extension,
    ServerExtensionFactory as ServerExtensionFactory,
)


__all__ = [
    "ClientExtensionFactory",
    "Extension",
    "ServerExtensionFactory",
]

"""Re-export of :mod:`ws_sync.router`."""

from __future__ import annotations

from ws_sync.router import (
    Router as Router,
    route as route,
    unix_route as unix_route,
)


__all__ = [
    "route",
    "Router",
    "unix_route",
]

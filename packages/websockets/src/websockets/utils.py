"""Re-export of :mod:`ws_frames.utils`."""

from __future__ import annotations

from ws_frames.utils import (
    GUID as GUID,
    accept_key as accept_key,
    apply_mask as apply_mask,
    generate_key as generate_key,
    get_socket_name as get_socket_name,
)


__all__ = [
    "accept_key",
    "apply_mask",
    "get_socket_name",
]

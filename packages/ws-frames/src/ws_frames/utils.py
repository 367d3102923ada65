"""
Helpers for the opening handshake and for masking.

:func:`apply_mask` runs the compiled implementation from
:mod:`ws_frames._speedups` when it is importable and falls back to pure Python
otherwise; :data:`SPEEDUPS` tells which one is in use.

"""

from __future__ import annotations

import base64
import collections
import hashlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    import socket

    from .typing import BytesLike


__all__ = ["accept_key", "apply_mask", "generate_key", "get_socket_name"]


GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
"""Magic string of the opening handshake (RFC 6455, section 1.3)."""


def generate_key() -> str:
    """
    Generate a random key for the ``Sec-WebSocket-Key`` header.

    RFC 6455, section 4.1: the key is a randomly selected 16-byte value,
    base64-encoded.

    """
    return base64.b64encode(os.urandom(16)).decode()


def accept_key(key: str) -> str:
    """
    Compute the value of the ``Sec-WebSocket-Accept`` header.

    RFC 6455, section 4.2.2: base64 of the SHA-1 of the key followed by
    :data:`GUID`.

    Args:
        key: Value of the ``Sec-WebSocket-Key`` header.

    """
    digest = hashlib.sha1((key + GUID).encode()).digest()
    return base64.b64encode(digest).decode()


# Masking keys are drawn from the operating system by batches because a system
# call per frame would cost more than serializing a small frame. A deque is
# safe to share between threads: each key is handed out once.
_masks: collections.deque[bytes] = collections.deque()

MASKS_PER_BATCH = 256


def generate_mask() -> bytes:
    """
    Generate a masking key for a frame sent by a client.

    RFC 6455, section 5.3: the key must be unpredictable, so it comes from the
    operating system's strong source of entropy, and each key is used once.

    """
    try:
        return _masks.popleft()
    except IndexError:
        batch = os.urandom(4 * MASKS_PER_BATCH)
        _masks.extend([batch[i : i + 4] for i in range(4, len(batch), 4)])
        return batch[:4]


if hasattr(os, "register_at_fork"):  # pragma: no branch
    # A child process must not reuse the keys that its parent may use too.
    os.register_at_fork(after_in_child=_masks.clear)


def py_apply_mask(data: BytesLike, mask: bytes | bytearray) -> bytes:
    """
    Apply masking to the data of a WebSocket frame, in pure Python.

    Args:
        data: Data to mask.
        mask: 4-bytes mask.

    Raises:
        ValueError: If ``mask`` doesn't contain 4 bytes.

    """
    if len(mask) != 4:
        raise ValueError("mask must contain 4 bytes")
    size = len(data)
    if size == 0:
        return b""
    # XOR-ing two big integers runs in C over machine words, which is much
    # faster than a loop over bytes in Python.
    repeated = bytes(mask) * (size // 4 + 1)
    masked = int.from_bytes(data, sys.byteorder) ^ int.from_bytes(
        repeated[:size], sys.byteorder
    )
    return masked.to_bytes(size, sys.byteorder)


def py_serialize_frame(
    head1: int, data: BytesLike, mask: bytes | bytearray | None
) -> bytes:
    """
    Serialize a frame, in pure Python.

    RFC 6455, section 5.2: the length is encoded on the minimal number of
    bytes.

    Args:
        head1: First byte of the frame: FIN, RSV1-3 and opcode.
        data: Payload.
        mask: 4-bytes masking key, or :obj:`None` to send the payload unmasked.

    Raises:
        ValueError: If ``head1`` isn't a byte or ``mask`` doesn't contain 4 bytes.

    """
    if not 0 <= head1 < 256:
        raise ValueError("head1 must be in range(256)")
    length = len(data)
    head2 = 0 if mask is None else 0x80
    if length < 126:
        header = bytes((head1, head2 | length))
    elif length < 65536:
        header = bytes((head1, head2 | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((head1, head2 | 127)) + length.to_bytes(8, "big")
    if mask is None:
        return b"".join((header, data))
    return b"".join((header, mask, py_apply_mask(data, mask)))


SPEEDUPS: bool
"""Whether :func:`apply_mask` and :func:`serialize_frame` run compiled code."""

scan_frames: (
    Callable[[BytesLike, int, bool, int, int], tuple[list[tuple[int, bytes]], int]]
    | None
)
"""
Compiled decoder of runs of simple frames, :obj:`None` without the speed-up.

:class:`~ws_frames.protocol.Protocol` decodes every frame in Python when it's
:obj:`None`.

"""

try:
    from ._speedups import (
        apply_mask as c_apply_mask,
        scan_frames as c_scan_frames,
        serialize_frame as c_serialize_frame,
    )
except ImportError:  # pragma: no cover - depends on how the package was built
    SPEEDUPS = False
    apply_mask = py_apply_mask
    serialize_frame = py_serialize_frame
    scan_frames = None
else:  # pragma: no cover - depends on how the package was built
    SPEEDUPS = True
    apply_mask = c_apply_mask
    serialize_frame = c_serialize_frame
    scan_frames = c_scan_frames


def get_socket_name(sock: socket.socket) -> str:
    """
    Return a string representation of :meth:`~socket.socket.getsockname`.

    IPv6 addresses are put in brackets; an unnamed Unix socket gives an
    empty string.

    """
    name = sock.getsockname()
    if isinstance(name, tuple):
        host, port = name[0], name[1]
        if ":" in host:
            return f"[{host}]:{port}"
        return f"{host}:{port}"
    if isinstance(name, bytes):
        return name.decode(errors="backslashreplace")
    return str(name)

"""
Keys of the opening handshake, masking, and socket names for logs.

:func:`apply_mask` is compiled when :mod:`ws_frames._speedups` is available
and falls back to :func:`py_apply_mask` otherwise; :data:`SPEEDUPS` tells.

"""

from __future__ import annotations

import base64
import collections
import hashlib
import os
import sys
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


def flat_bytes(data: BytesLike) -> BytesLike:
    """
    Return ``data`` as one run of bytes in order, which codecs and
    :func:`len` handle as such.

    A :class:`memoryview` with a step, over items larger than a byte, or in
    more than one dimension is copied to :class:`bytes`; anything else comes
    back as is, without a copy.

    """
    if type(data) is memoryview and not (
        data.c_contiguous and data.itemsize == 1 and data.ndim == 1
    ):
        return data.tobytes()
    return data


def py_apply_mask(data: BytesLike, mask: bytes | bytearray) -> bytes:
    """
    XOR ``data`` with ``mask`` repeated (RFC 6455, section 5.3); masking
    twice with the same key restores the data. Pure Python.

    Raises:
        ValueError: If ``mask`` isn't 4 bytes long.

    """
    data, key = flat_bytes(data), flat_bytes(mask)
    if len(key) != 4:
        raise ValueError("mask must contain 4 bytes")
    size = len(data)
    if size == 0:
        return b""
    # XOR-ing two big integers runs in C over machine words, which is much
    # faster than a loop over bytes in Python.
    repeated = bytes(key) * (size // 4 + 1)
    masked = int.from_bytes(data, sys.byteorder) ^ int.from_bytes(
        repeated[:size], sys.byteorder
    )
    return masked.to_bytes(size, sys.byteorder)


try:
    from . import _speedups
except ImportError:  # pragma: no cover - depends on how the package was built
    _speedups = None  # type: ignore[assignment]

SPEEDUPS: bool = _speedups is not None and not os.environ.get("WS_FRAMES_NO_SPEEDUPS")
"""
Whether :mod:`ws_frames._speedups` is compiled and in use: then
:func:`apply_mask`, :func:`~ws_frames.frames.decode_frame` and
:func:`~ws_frames.frames.serialize_frame` run C code.

Setting the environment variable ``WS_FRAMES_NO_SPEEDUPS`` to a non-empty
value before the first import selects the Python implementations even when
the C code is compiled, for instance to test them.

"""

apply_mask = _speedups.apply_mask if SPEEDUPS else py_apply_mask


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

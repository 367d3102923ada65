"""Helpers shared by the tests of ws_frames."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

from ws_frames import frames, utils
from ws_frames.protocol import CLIENT, SERVER, Side


ZERO_MASK = b"\x00\x00\x00\x00"


@contextlib.contextmanager
def python_codec() -> Iterator[None]:
    """Use the pure-Python implementations instead of the compiled ones."""
    with (
        mock.patch.object(frames, "decode_frame", frames.py_decode_frame),
        mock.patch.object(frames, "serialize_frame", frames.py_serialize_frame),
        mock.patch.object(utils, "apply_mask", utils.py_apply_mask),
    ):
        yield


@contextlib.contextmanager
def enforce_mask(mask: bytes) -> Iterator[None]:
    """Make clients use ``mask`` as masking key, for predictable output."""
    with mock.patch.object(utils, "generate_mask", return_value=mask):
        yield


def add_mask(frames: bytes, mask: bytes = ZERO_MASK) -> bytes:
    """
    Turn unmasked frames, written as literal bytes, into masked frames.

    The last frame may be incomplete.

    """
    output = []
    position = 0
    while position < len(frames):
        if position + 1 == len(frames):
            output.append(frames[position:])
            break
        length = frames[position + 1] & 0x7F
        header_size = 2 + {126: 2, 127: 8}.get(length, 0)
        header = frames[position : position + header_size]
        if length >= 126:
            length = int.from_bytes(header[2:], "big")
        payload = frames[position + header_size : position + header_size + length]
        output.append(bytes([header[0], header[1] | 0x80]) + header[2:])
        output.append(mask + utils.py_apply_mask(payload, mask))
        position += header_size + length
    return b"".join(output)


def from_peer(side: Side, frame: bytes) -> bytes:
    """
    Bytes that ``side`` receives for ``frame``, written unmasked; ``frame``
    may be several frames.

    A server receives masked frames; the tests use a zero mask.

    """
    return add_mask(frame) if side is SERVER else frame


def to_peer(side: Side, frame: bytes) -> bytes:
    """
    Bytes that ``side`` sends for ``frame``, written unmasked, under
    ``enforce_mask(ZERO_MASK)``.

    """
    return add_mask(frame) if side is CLIENT else frame


def other(side: Side) -> Side:
    return CLIENT if side is SERVER else SERVER


def odd_views(data: bytes) -> list[memoryview]:
    """
    Views of ``data`` (of even length) that aren't a plain run of its bytes:
    with a step, a negative step, items of two bytes, two dimensions.

    """
    assert len(data) % 2 == 0
    spread = bytearray(2 * len(data))
    spread[::2] = data
    return [
        memoryview(spread)[::2],
        memoryview(data[::-1])[::-1],
        memoryview(data).cast("H"),
        memoryview(data).cast("B", (2, len(data) // 2)),
    ]

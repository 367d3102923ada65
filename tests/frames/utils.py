"""Helpers shared by the tests of ws_frames."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from unittest import mock

from ws_frames import utils


@contextlib.contextmanager
def enforce_mask(mask: bytes) -> Iterator[None]:
    """Make clients use ``mask`` as masking key, for predictable output."""
    with mock.patch.object(utils, "generate_mask", return_value=mask):
        yield


def masked(data: bytes, mask: bytes = b"\x00\x00\x00\x00") -> bytes:
    """Mask a payload, like a client does."""
    return utils.py_apply_mask(data, mask)

"""
Names for the types that cross the boundaries between layers.

``__all__`` holds the ones the documented API mentions. The others are shared
by the packages of this project and have no promise attached.

The ``NewType`` names are plain :class:`str` at run time; they tell a type
checker which protocol token a string holds.

"""

from __future__ import annotations

import http
import logging
import sys
from collections.abc import Sequence
from typing import Any, NewType, Union


__all__ = [
    "Data",
    "StatusLike",
    "LoggerLike",
    "Origin",
    "Subprotocol",
    "ExtensionName",
    "ExtensionParameter",
]


# Messages

Data = Union[str, bytes]
"""A whole message: text as :class:`str`, binary as :class:`bytes`."""

DataLike = Union[str, bytes, bytearray, memoryview]
"""What a message may be built from when sending it."""

BytesLike = Union[bytes, bytearray, memoryview]
"""A buffer accepted wherever :class:`bytes` would be."""


# Configuration

StatusLike = Union[http.HTTPStatus, int]
"""An HTTP status, as the enum member or as its number."""

if sys.version_info < (3, 11):  # pragma: no cover
    # LoggerAdapter became subscriptable in Python 3.11.
    LoggerLike = Union[logging.Logger, logging.LoggerAdapter]
else:
    LoggerLike = Union[logging.Logger, logging.LoggerAdapter[Any]]
"""Where a connection writes its logs: a logger or a logger adapter."""


# Tokens of the opening handshake

Origin = NewType("Origin", str)
"""The value of an ``Origin`` header: a serialized origin such as
``https://example.com``."""

Subprotocol = NewType("Subprotocol", str)
"""One application protocol offered or chosen in ``Sec-WebSocket-Protocol``."""

ExtensionName = NewType("ExtensionName", str)
"""The registered name of an extension, e.g. ``permessage-deflate``."""

ExtensionParameter = tuple[str, Union[str, None]]
"""One ``name`` or ``name=value`` parameter of an extension; the value is
``None`` when absent."""

ExtensionHeader = tuple[ExtensionName, Sequence[ExtensionParameter]]
"""One extension of ``Sec-WebSocket-Extensions``, with its parameters."""

ConnectionOption = NewType("ConnectionOption", str)
"""One option listed in a ``Connection`` header, such as ``Upgrade``."""

UpgradeProtocol = NewType("UpgradeProtocol", str)
"""One protocol listed in an ``Upgrade`` header, such as ``websocket``."""

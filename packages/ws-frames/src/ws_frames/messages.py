"""
What the asyncio and threading layers both do with whole messages, without I/O:
the flow-control marks of their queue of incoming frames, payloads turned into
what ``recv()`` returns, and the one frame that ``broadcast()`` sends.

"""

from __future__ import annotations

import codecs

from .exceptions import ProtocolError
from .frames import OP_BINARY, OP_TEXT, Frame
from .typing import BytesLike, Data
from .utils import flat_bytes


__all__ = [
    "BYTES_LIKE",
    "broadcast_frame",
    "flow_control_marks",
    "to_fragment",
    "to_message",
]

BYTES_LIKE = (bytes, bytearray, memoryview)


def flow_control_marks(
    high: int | None, low: int | None
) -> tuple[int | None, int | None]:
    """
    Complete and check the high- and low-water marks of a queue.

    Either mark may be given alone; the other one follows with a ratio of 4.
    Neither means no flow control.

    Raises:
        ValueError: If ``low`` is negative or above ``high``.

    """
    if high is None and low is None:
        return None, None
    if low is None:
        assert high is not None
        low = high // 4
    elif high is None:
        high = low * 4
    if low < 0:
        raise ValueError("low must be positive or equal to zero")
    if high < low:
        raise ValueError("high must be greater than or equal to low")
    return high, low


def to_message(data: BytesLike, text: bool) -> Data:
    """Return a payload as :class:`str` if ``text``, else as :class:`bytes`."""
    if text:
        return str(data, "utf-8")
    # Frames usually hold bytes already: don't copy them.
    return data if type(data) is bytes else bytes(data)


def to_fragment(frame: Frame, decoder: codecs.IncrementalDecoder | None) -> Data:
    """Return the payload of a fragment, decoded if there's a ``decoder``."""
    if decoder is None:
        return to_message(frame.data, False)
    return decoder.decode(frame.data, frame.fin)


def broadcast_frame(message: str | BytesLike, text: bool | None) -> Frame:
    """
    Build the frame that ``broadcast()`` sends, checking the message once.

    Raises:
        TypeError: If ``message`` isn't a string or bytes-like.
        ProtocolError: If ``text`` is set and ``message`` isn't UTF-8.

    """
    if isinstance(message, str):
        return Frame(OP_BINARY if text is False else OP_TEXT, message.encode())
    if not isinstance(message, BYTES_LIKE):
        raise TypeError("data must be str or bytes")
    # A memoryview of any layout goes out as its bytes in order.
    message = flat_bytes(message)
    if text is True:
        # Every connection would refuse it: say so once, before sending.
        try:
            str(message, "utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(
                f"text message isn't valid UTF-8: {exc.reason} at position {exc.start}"
            ) from exc
        return Frame(OP_TEXT, message)
    return Frame(OP_BINARY, message)

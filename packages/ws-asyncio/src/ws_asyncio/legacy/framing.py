"""
One frame at a time over asynchronous streams, for the legacy API.

There is a single frame codec in this project, :class:`ws_frames.frames.Frame`:
:meth:`Frame.read` runs its parser against an ``await reader(n)`` callable and
:meth:`Frame.write` hands its serialization to a ``write(data)`` callable. The
legacy connections themselves don't use this module for frames; they go
through :class:`ws_frames.protocol.Protocol`.

"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, NamedTuple

from ws_frames import frames
from ws_frames.exceptions import PayloadTooBig, ProtocolError
from ws_frames.extensions import Extension
from ws_frames.frames import Close, Opcode
from ws_frames.typing import BytesLike, DataLike
from ws_frames.utils import apply_mask


__all__ = [
    "BytesLike",
    "Close",
    "DataLike",
    "Frame",
    "PayloadTooBig",
    "ProtocolError",
    "apply_mask",
    "encode_data",
    "parse_close",
    "prepare_ctrl",
    "prepare_data",
    "serialize_close",
]


Reader = Callable[[int], Awaitable[bytes]]
"""Coroutine function returning the number of bytes it's asked for."""

Writer = Callable[[bytes], Any]
"""Function taking bytes to write."""


class Frame(NamedTuple):
    """
    A WebSocket frame, as a tuple.

    The mask and the payload length aren't fields: :meth:`read` and
    :meth:`write` deal with them.

    """

    fin: bool
    opcode: Opcode
    data: BytesLike
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    def __str__(self) -> str:
        return str(self.new_frame)

    def check(self) -> None:
        """
        Check the reserved bits and the rules of control frames.

        Raises:
            ProtocolError: If the frame breaks them.

        """
        self.new_frame.check()

    @property
    def new_frame(self) -> frames.Frame:
        """This frame as a :class:`ws_frames.frames.Frame`."""
        fin, opcode, data, rsv1, rsv2, rsv3 = self
        return frames.Frame(opcode, data, fin, rsv1, rsv2, rsv3)

    @classmethod
    async def read(
        cls,
        reader: Reader,
        *,
        mask: bool,
        max_size: int | None = None,
        extensions: Sequence[Extension] | None = None,
    ) -> Frame:
        """
        Read one frame.

        Args:
            reader: Coroutine function returning exactly the number of bytes
                asked for, such as :meth:`asyncio.StreamReader.readexactly`.
            mask: Whether the frame must be masked, which is the case when
                the server reads it.
            max_size: Limit of the payload size in bytes.
            extensions: Extensions decoding the frame, last one first.

        Raises:
            PayloadTooBig: If the payload is larger than ``max_size``.
            ProtocolError: If the frame breaks the protocol.

        """
        # Frame.parse() is a generator asking for byte counts through the
        # read_exact() it's given; this one passes each count to the reader
        # by way of the variables of this function.
        wanted = 0
        received = b""

        def read_exact(size: int) -> Generator[None, None, bytes]:
            nonlocal wanted
            wanted = size
            yield
            return received

        parser = frames.Frame.parse(
            read_exact, mask=mask, max_size=max_size, extensions=extensions
        )
        while True:
            try:
                parser.send(None)
            except StopIteration as done:
                parsed: frames.Frame = done.value
                return cls._make(
                    (parsed.fin, parsed.opcode, parsed.data)
                    + (parsed.rsv1, parsed.rsv2, parsed.rsv3)
                )
            received = await reader(wanted)

    def write(
        self,
        write: Writer,
        *,
        mask: bool,
        extensions: Sequence[Extension] | None = None,
    ) -> None:
        """
        Write the frame with a single call to ``write``.

        Args:
            write: Function taking the bytes of the frame.
            mask: Whether to mask the frame, which is the case when the
                client writes it.
            extensions: Extensions encoding the frame, first one first.

        Raises:
            ProtocolError: If the frame breaks the protocol.

        """
        write(self.new_frame.serialize(mask=mask, extensions=extensions))


def prepare_data(data: DataLike) -> tuple[int, BytesLike]:
    """
    Pick the opcode of a data frame for ``data`` and its payload.

    A :class:`str` gives :attr:`~ws_frames.frames.Opcode.TEXT` and its UTF-8
    encoding; a bytes-like object gives
    :attr:`~ws_frames.frames.Opcode.BINARY` and itself.

    Raises:
        TypeError: For any other type.

    """
    if isinstance(data, str):
        return Opcode.TEXT, data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return Opcode.BINARY, data
    raise TypeError("data must be str or bytes-like")


def prepare_ctrl(data: DataLike) -> bytes:
    """
    Turn ``data`` into the payload of a ping or a pong, as :class:`bytes`.

    A :class:`str` is encoded to UTF-8.

    Raises:
        TypeError: For anything but a :class:`str` or a bytes-like object.

    """
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("data must be str or bytes-like")


encode_data = prepare_ctrl
"""The first name of :func:`prepare_ctrl`."""


def parse_close(data: bytes) -> tuple[int, str]:
    """
    Read the code and the reason in the payload of a close frame.

    An empty payload gives code 1005 and no reason.

    Raises:
        ProtocolError: If the payload is malformed or the code not allowed.
        UnicodeDecodeError: If the reason isn't UTF-8.

    """
    close = Close.parse(data)
    return close.code, close.reason


def serialize_close(code: int, reason: str) -> bytes:
    """
    Build the payload of a close frame; :func:`parse_close` reads it back.

    Raises:
        ProtocolError: If ``code`` isn't allowed in a close frame.

    """
    return Close(code, reason).serialize()

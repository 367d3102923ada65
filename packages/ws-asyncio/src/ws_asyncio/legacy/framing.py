"""
Read and write WebSocket frames over stream callables (legacy API).

The wire format is handled entirely by :class:`ws_frames.frames.Frame`: this
module only drives its incremental parser with an asynchronous reader and
hands its serialization to a write callable, so both APIs accept and produce
exactly the same bytes.

"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, NamedTuple, cast

from ws_frames import extensions, frames
from ws_frames.exceptions import PayloadTooBig, ProtocolError
from ws_frames.frames import Close
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


def _read_exact(n: int) -> Generator[None, None, bytes]:
    # The shared parser is a generator that asks for bytes with read_exact().
    # This one passes the number of bytes up to Frame.read(), which awaits
    # them from its reader and sends them back down.
    data = yield cast(None, n)
    return cast(bytes, data)


class Frame(NamedTuple):
    """
    WebSocket frame as a named tuple (legacy API).

    Only these fields are needed: the MASK bit, payload length and masking key
    are handled on the fly by :meth:`read` and :meth:`write`.

    """

    fin: bool
    opcode: frames.Opcode
    data: BytesLike
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    @property
    def new_frame(self) -> frames.Frame:
        """The same frame as a :class:`ws_frames.frames.Frame`."""
        return frames.Frame(
            self.opcode,
            self.data,
            self.fin,
            self.rsv1,
            self.rsv2,
            self.rsv3,
        )

    def __str__(self) -> str:
        return str(self.new_frame)

    def check(self) -> None:
        """
        Check that reserved bits and opcode have acceptable values.

        Raises:
            ProtocolError: If a reserved bit or the opcode is invalid.

        """
        self.new_frame.check()

    @classmethod
    async def read(
        cls,
        reader: Callable[[int], Awaitable[bytes]],
        *,
        mask: bool,
        max_size: int | None = None,
        extensions: Sequence[extensions.Extension] | None = None,
    ) -> Frame:
        """
        Read a WebSocket frame.

        Args:
            reader: Coroutine that reads exactly the requested number of
                bytes, unless the end of file is reached.
            mask: Whether the frame should be masked, i.e. whether the read
                happens on the server side.
            max_size: Maximum payload size in bytes.
            extensions: Extensions whose ``decode()`` method transforms the
                frame; they're applied in reverse order.

        Raises:
            PayloadTooBig: If the frame exceeds ``max_size``.
            ProtocolError: If the frame contains incorrect values.

        """

        parser = cast(
            "Generator[int, bytes, frames.Frame]",
            frames.Frame.parse(
                _read_exact,
                mask=mask,
                max_size=max_size,
                extensions=extensions,
            ),
        )
        try:
            n = next(parser)
            while True:
                n = parser.send(await reader(n))
        except StopIteration as exc:
            new_frame: frames.Frame = exc.value
        return cls(
            new_frame.fin,
            new_frame.opcode,
            new_frame.data,
            new_frame.rsv1,
            new_frame.rsv2,
            new_frame.rsv3,
        )

    def write(
        self,
        write: Callable[[bytes], Any],
        *,
        mask: bool,
        extensions: Sequence[extensions.Extension] | None = None,
    ) -> None:
        """
        Write a WebSocket frame.

        Args:
            write: Function that writes bytes.
            mask: Whether the frame should be masked, i.e. whether the write
                happens on the client side.
            extensions: Extensions whose ``encode()`` method transforms the
                frame; they're applied in order.

        Raises:
            ProtocolError: If the frame contains incorrect values.

        """
        # A single write() call keeps the frame contiguous on the transport.
        write(self.new_frame.serialize(mask=mask, extensions=extensions))


def prepare_data(data: DataLike) -> tuple[int, BytesLike]:
    """
    Convert a string or byte-like object to an opcode and a bytes-like object.

    This function is designed for data frames. A :class:`str` becomes a Text
    frame encoded in UTF-8; a bytes-like object becomes a Binary frame.

    Raises:
        TypeError: If ``data`` doesn't have a supported type.

    """
    if isinstance(data, str):
        return frames.Opcode.TEXT, data.encode()
    elif isinstance(data, (bytes, bytearray, memoryview)):
        return frames.Opcode.BINARY, data
    else:
        raise TypeError("data must be str or bytes-like")


def prepare_ctrl(data: DataLike) -> bytes:
    """
    Convert a string or byte-like object to bytes.

    This function is designed for ping and pong frames. A :class:`str` is
    encoded in UTF-8.

    Raises:
        TypeError: If ``data`` doesn't have a supported type.

    """
    if isinstance(data, str):
        return data.encode()
    elif isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    else:
        raise TypeError("data must be str or bytes-like")


# Older name of prepare_ctrl, kept for code written against the first API.
encode_data = prepare_ctrl


def parse_close(data: bytes) -> tuple[int, str]:
    """
    Parse the payload of a close frame; see section 5.5.1 of RFC 6455.

    Returns:
        The close code and reason.

    Raises:
        ProtocolError: If ``data`` is ill-formed.
        UnicodeDecodeError: If the reason isn't valid UTF-8.

    """
    close = Close.parse(data)
    return close.code, close.reason


def serialize_close(code: int, reason: str) -> bytes:
    """
    Serialize the payload of a close frame; the reverse of :func:`parse_close`.

    """
    return Close(code, reason).serialize()

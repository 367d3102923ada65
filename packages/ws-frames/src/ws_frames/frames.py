"""
The wire format of WebSocket frames (RFC 6455, section 5) and the payload of
close frames (section 7.4).

:func:`py_decode_frame` states every rule that a frame header must follow.
:meth:`Frame.parse` reads frames through it, and
:class:`~ws_frames.protocol.Protocol` receives them with
:class:`PyFrameDecoder`, which runs it from one frame to the next. With the
compiled speed-up, :func:`decode_frame` and :class:`FrameDecoder` are their
twins, which give the same frames and raise the same errors; otherwise, they
are the pure-Python ones.

"""

from __future__ import annotations

import codecs
import dataclasses
import enum
import os
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, ClassVar

from . import utils
from .exceptions import PayloadTooBig, ProtocolError
from .typing import BytesLike


if TYPE_CHECKING:
    from typing_extensions import Self

    from .extensions import Extension


__all__ = [
    "Opcode",
    "OP_CONT",
    "OP_TEXT",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_PING",
    "OP_PONG",
    "DATA_OPCODES",
    "CTRL_OPCODES",
    "CloseCode",
    "CLOSE_CODE_EXPLANATIONS",
    "EXTERNAL_CLOSE_CODES",
    "OK_CLOSE_CODES",
    "Frame",
    "Close",
    "is_utf8_fragment",
]


class Opcode(enum.IntEnum):
    """The four low bits of the first byte of a frame: its type."""

    CONT = 0
    TEXT = 1
    BINARY = 2
    # 3 to 7 are reserved for data frames to come.
    CLOSE = 8
    PING = 9
    PONG = 10
    # 11 to 15 are reserved for control frames to come.


CONT, TEXT, BINARY, CLOSE, PING, PONG = Opcode
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = Opcode

DATA_OPCODES = OP_CONT, OP_TEXT, OP_BINARY
"""Frames that carry a message or a part of it."""

CTRL_OPCODES = OP_CLOSE, OP_PING, OP_PONG
"""Frames that control the connection; bit 3 of their opcode is set."""

# Indexed by the four low bits of the first byte; None where reserved.
_OPCODES: tuple[Opcode | None, ...] = tuple(
    Opcode(value) if value in {*DATA_OPCODES, *CTRL_OPCODES} else None
    for value in range(16)
)


class CloseCode(enum.IntEnum):
    """Status codes of close frames registered by RFC 6455, section 7.4.1."""

    NORMAL_CLOSURE, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED_DATA = range(1000, 1004)
    # 1004 is reserved with no meaning.
    NO_STATUS_RCVD, ABNORMAL_CLOSURE, INVALID_DATA = range(1005, 1008)
    POLICY_VIOLATION, MESSAGE_TOO_BIG, MANDATORY_EXTENSION = range(1008, 1011)
    INTERNAL_ERROR, SERVICE_RESTART, TRY_AGAIN_LATER = range(1011, 1014)
    BAD_GATEWAY, TLS_HANDSHAKE = range(1014, 1016)


# In the order of CloseCode.
CLOSE_CODE_EXPLANATIONS: dict[int, str] = dict(
    zip(
        CloseCode,
        [
            "OK",
            "going away",
            "protocol error",
            "unsupported data",
            "no status received [internal]",
            "abnormal closure [internal]",
            "invalid frame payload data",
            "policy violation",
            "message too big",
            "mandatory extension",
            "internal error",
            "service restart",
            "try again later",
            "bad gateway",
            "TLS handshake failure [internal]",
        ],
        strict=True,
    )
)
"""What each registered close code means, as logs show it."""

# 1005, 1006 and 1015 only report what happened locally; they never travel
# in a close frame.
EXTERNAL_CLOSE_CODES = set(CloseCode) - {
    CloseCode.NO_STATUS_RCVD,
    CloseCode.ABNORMAL_CLOSURE,
    CloseCode.TLS_HANDSHAKE,
}
"""Registered close codes allowed on the wire."""

OK_CLOSE_CODES = {
    CloseCode.NORMAL_CLOSURE,
    CloseCode.GOING_AWAY,
    CloseCode.NO_STATUS_RCVD,
}
"""Close codes that end a connection without an error."""


def starts_surrogate(data: BytesLike) -> bool:
    """
    Tell whether ``data`` begins with the first two bytes of a UTF-16
    surrogate (ED A0 to ED BF), which UTF-8 forbids.

    Python's decoder waits for the third byte before it rejects them.

    """
    return len(data) >= 2 and data[0] == 0xED and data[1] >= 0xA0


def is_utf8_fragment(
    data: bytes,
    must_start_clean: bool = False,
    must_end_clean: bool = False,
) -> bool:
    """
    Tell whether ``data`` may be a piece cut out of valid UTF-8 text.

    Args:
        data: The piece.
        must_start_clean: Reject a piece that begins inside a character;
            otherwise, up to three continuation bytes may end a character
            begun before ``data``.
        must_end_clean: Reject a piece that ends inside a character;
            otherwise, ``data`` may end with the beginning of a character.

    """
    if not must_start_clean:
        skipped = 0
        while skipped < min(3, len(data)) and 0x80 <= data[skipped] < 0xC0:
            skipped += 1
        data = data[skipped:]
    try:
        _, decoded = codecs.utf_8_decode(data, "strict", must_end_clean)
    except UnicodeDecodeError:
        return False
    return not starts_surrogate(data[decoded:])


# StreamReader.read_exact() and the like.
_ReadExact = Callable[[int], Generator[None, None, "bytes | bytearray"]]

# Frame.__str__ shows text as long as it's printable, but for these.
_BLANKS_TO_SPACES = str.maketrans("\t\n\r", "   ")


def _as_hex(data: bytes) -> str:
    if len(data) > 25:  # the first 16 bytes and the last 8 bytes
        return f"{data[:16].hex(' ')} ... {data[-8:].hex(' ')}"
    return data.hex(" ")


@dataclasses.dataclass
class Frame:
    """
    A WebSocket frame, as applications and extensions see it.

    The masking key and the encoding of the payload length exist only on the
    wire: :meth:`parse` and :meth:`serialize` handle them.

    """

    opcode: Opcode
    """Type of the frame."""
    data: BytesLike
    """Payload."""
    fin: bool = True
    """Whether the frame ends its message."""
    # The reserved bits belong to extensions.
    rsv1: bool = dataclasses.field(default=False)
    """First reserved bit."""
    rsv2: bool = dataclasses.field(default=False)
    """Second reserved bit."""
    rsv3: bool = dataclasses.field(default=False)
    """Third reserved bit."""

    DEFAULT_IS_TEXT: ClassVar[dict[Opcode, bool]] = {
        Opcode.TEXT: True,
        Opcode.BINARY: False,
        Opcode.CLOSE: True,
    }
    """
    Whether logs expect text in the payload of each opcode; :meth:`__str__`
    notes when a payload doesn't match, and always for other opcodes.

    """

    MAX_LOG_SIZE: ClassVar[int] = int(os.environ.get("WEBSOCKETS_MAX_LOG_SIZE", "75"))
    """Longest payload that :meth:`__str__` shows in full, in characters."""

    def __str__(self) -> str:
        """
        Describe the frame for logs: its opcode, its payload, as text when it
        reads as text and as hex otherwise, and notes about it.

        """
        data = bytes(self.data)
        shown, as_text = self._show(data)
        if len(shown) > self.MAX_LOG_SIZE:
            tail = self.MAX_LOG_SIZE // 3 - 1
            shown = f"{shown[: 2 * tail]}...{shown[-tail:]}"
        notes = []
        if data and as_text is not self.DEFAULT_IS_TEXT.get(self.opcode):
            notes.append("text" if as_text else "binary")
        notes.append("1 byte" if len(data) == 1 else f"{len(data)} bytes")
        if not self.fin:
            notes.append("continued")
        return f"{self.opcode.name} {shown} [{', '.join(notes)}]"

    def _show(self, data: bytes) -> tuple[str, bool]:
        """The payload for :meth:`__str__`, and whether it's shown as text."""
        if not data:
            return "''", True
        if self.opcode is OP_CLOSE:
            try:
                return str(Close.parse(data)), True
            except (ProtocolError, UnicodeDecodeError):
                return _as_hex(data), False
        # A continuation frame may start inside a character, and any frame
        # but the last of a message may end inside one.
        if is_utf8_fragment(data, self.opcode is not OP_CONT, self.fin):
            text = data.decode(errors="replace")
            if text.translate(_BLANKS_TO_SPACES).isprintable():
                return repr(text), True
        return _as_hex(data), False

    def serialize(
        self,
        *,
        mask: bool,
        extensions: Sequence[Extension] | None = None,
    ) -> bytes:
        """
        Encode the frame for the wire.

        Args:
            mask: Whether to mask the payload, i.e. whether a client sends it;
                each frame gets a fresh masking key.
            extensions: Extensions negotiated for the connection; their
                :meth:`~ws_frames.extensions.Extension.encode` methods run in
                order.

        Raises:
            ProtocolError: If :meth:`check` rejects the frame.

        """
        self.check()
        frame = self
        for extension in extensions or ():
            frame = extension.encode(frame)
        head1 = (
            frame.opcode
            | (0x80 if frame.fin else 0)
            | (0x40 if frame.rsv1 else 0)
            | (0x20 if frame.rsv2 else 0)
            | (0x10 if frame.rsv3 else 0)
        )
        key = utils.generate_mask() if mask else None
        return serialize_frame(head1, frame.data, key)

    def check(self) -> None:
        """
        Check the rules that don't depend on the connection: reserved bits
        are clear, and a control frame is final and fits in 125 bytes
        (RFC 6455, section 5.5).

        Raises:
            ProtocolError: If a rule is broken.

        """
        if any([self.rsv1, self.rsv2, self.rsv3]):
            raise ProtocolError("reserved bits must be 0")
        control = self.opcode in CTRL_OPCODES
        if control and len(self.data) > 125:
            raise ProtocolError("control frame too long")
        if control and not self.fin:
            raise ProtocolError("fragmented control frame")

    @classmethod
    def parse(
        cls,
        read_exact: _ReadExact,
        *,
        mask: bool,
        max_size: int | None = None,
        extensions: Sequence[Extension] | None = None,
    ) -> Generator[None, None, Frame]:
        """
        Read a frame with ``read_exact`` and decode it.

        This is a generator-based coroutine: it yields while ``read_exact``
        waits for bytes. It reads no further than the end of the frame, and
        :func:`decode_frame` checks the header before the payload is read.

        Args:
            read_exact: Generator-based coroutine that returns the number of
                bytes it's asked for, or raises :exc:`EOFError`.
            mask: Whether the frame must be masked, i.e. comes from a client.
            max_size: Limit on the payload of any frame, in bytes.
            extensions: Extensions negotiated for the connection; their
                :meth:`~ws_frames.extensions.Extension.decode` methods run in
                reverse order.

        Raises:
            EOFError: If the stream ends inside the frame.
            ProtocolError: If the frame breaks a rule of RFC 6455.
            PayloadTooBig: If the payload is longer than ``max_size``.

        """
        data: bytes = b""
        while True:
            frame, end = decode_frame(
                data, 0, mask, bool(extensions), max_size, max_size
            )
            if frame is not None:
                break
            data += yield from read_exact(end - len(data))
        if cls is not Frame:
            frame = cls(
                frame.opcode, frame.data, frame.fin, frame.rsv1, frame.rsv2, frame.rsv3
            )
        if not extensions:
            return frame
        for extension in reversed(extensions):
            frame = extension.decode(frame, max_size=max_size)
        # Extensions must clear the reserved bits that they use.
        frame.check()
        return frame


@dataclasses.dataclass
class Close:
    """
    The status code and the reason in the payload of a close frame.

    Attributes:
        code: Status code.
        reason: Reason, possibly empty.

    """

    code: CloseCode | int
    reason: str

    def __str__(self) -> str:
        """Describe the code and the reason for logs and error messages."""
        code = self.code
        if 3000 <= code < 4000:
            meaning = "registered"
        elif 4000 <= code < 5000:
            meaning = "private use"
        else:
            meaning = CLOSE_CODE_EXPLANATIONS.get(code, "unknown")
        return " ".join(filter(None, [f"{code} ({meaning})", self.reason]))

    @classmethod
    def parse(cls, data: BytesLike) -> Self:
        """
        Decode the payload of a close frame.

        An empty payload stands for :attr:`CloseCode.NO_STATUS_RCVD`.

        Raises:
            ProtocolError: If the payload has one byte or an invalid code.
            UnicodeDecodeError: If the reason isn't UTF-8.

        """
        if not data:
            return cls(CloseCode.NO_STATUS_RCVD, "")
        if len(data) < 2:
            raise ProtocolError("close frame too short")
        close = cls(int.from_bytes(data[:2], "big"), bytes(data[2:]).decode())
        close.check()
        return close

    def serialize(self) -> bytes:
        """
        Encode the payload of a close frame.

        Raises:
            ProtocolError: If the code can't be sent.

        """
        self.check()
        return self.code.to_bytes(2, "big") + self.reason.encode()

    def check(self) -> None:
        """
        Check that the code may travel in a close frame: a registered one that
        isn't local-only, or one of 3000-4999, left to libraries, frameworks
        and applications (RFC 6455, section 7.4.2).

        Raises:
            ProtocolError: If it may not.

        """
        if self.code not in EXTERNAL_CLOSE_CODES and not 3000 <= self.code < 5000:
            raise ProtocolError("invalid status code")


def py_decode_frame(
    data: BytesLike,
    position: int,
    mask: bool,
    extensions: bool,
    max_size: int | None,
    max_control_size: int | None,
) -> tuple[Frame | None, int]:
    """
    Decode the frame that starts at ``position`` in ``data``.

    This function is the one statement of the rules of a frame header
    (RFC 6455, section 5.2), checked in this order as soon as the bytes that
    they depend on are there, before the payload is awaited: the opcode is
    known, the payload is masked if and only if ``mask``, reserved bits are
    clear unless ``extensions``, an extended length is encoded on the fewest
    bytes and its most significant bit is clear, a control frame is final
    and fits in 125 bytes, and the payload fits in the limit for its kind of
    frame. :func:`decode_frame` is its compiled twin when the speed-up is
    available; they agree on every input.

    Args:
        data: Bytes received.
        position: Where the frame starts in ``data``.
        mask: Whether the frame must be masked, i.e. comes from a client.
        extensions: Whether extensions may use the reserved bits.
        max_size: Limit on the payload of a data frame, :obj:`None` if
            unlimited.
        max_control_size: Limit on the payload of a control frame,
            :obj:`None` if there's no limit but the 125 bytes of RFC 6455.

    Returns:
        ``(frame, end)``: the frame, with its payload unmasked, and the
        position right after it in ``data``. When ``data`` ends before the
        frame does, ``(None, end)``, where ``end`` is how far ``data`` must
        extend for decoding to go further.

    Raises:
        ProtocolError: If the frame breaks a rule.
        PayloadTooBig: If the payload is over its limit.
        ValueError: If ``position`` is outside of ``data``.

    """
    if type(data) is memoryview:
        data = utils.flat_bytes(data)
    size = len(data)
    if not 0 <= position <= size:
        raise ValueError("position must be within data")
    if size - position < 2:
        return None, position + 2
    head1 = data[position]
    head2 = data[position + 1]
    if _OPCODES[head1 & 0x0F] is None:
        raise ProtocolError("invalid opcode")
    if (head2 & 0x80 != 0) is not bool(mask):
        raise ProtocolError("incorrect masking")
    if head1 & 0x70 and not extensions:
        raise ProtocolError("reserved bits must be 0")
    length = head2 & 0x7F
    start = position + 2
    if length == 126:
        if size - start < 2:
            return None, start + 2
        length = data[start] << 8 | data[start + 1]
        start += 2
        if length < 126:
            raise ProtocolError(
                "payload length not encoded on the minimal number of bytes"
            )
    elif length == 127:
        if size - start < 8:
            return None, start + 8
        length = int.from_bytes(data[start : start + 8], "big")
        start += 8
        if length >> 63:
            raise ProtocolError("most significant bit of payload length must be 0")
        if length < 65536:
            raise ProtocolError(
                "payload length not encoded on the minimal number of bytes"
            )
    if head1 & 0x08:
        if length > 125:
            raise ProtocolError("control frame too long")
        if not head1 & 0x80:
            raise ProtocolError("fragmented control frame")
        limit = max_control_size
    else:
        limit = max_size
    if limit is not None and length > limit:
        raise PayloadTooBig(length, limit)
    if mask:
        start += 4
    end = start + length
    if end > size:
        return None, end
    # A view avoids a copy of the payload before unmasking it, and is
    # released at once: the caller may resize data next.
    with memoryview(data) as view:
        if mask:
            payload = utils.py_apply_mask(
                view[start:end], bytes(view[start - 4 : start])
            )
        else:
            payload = view[start:end].tobytes()
    opcode: Opcode = _OPCODES[head1 & 0x0F]  # type: ignore[assignment]
    if head1 >> 4 == 8:
        # Final, without reserved bits: Frame's defaults fit, and fewer
        # arguments make a faster call.
        return Frame(opcode, payload), end
    frame = Frame(
        opcode,
        payload,
        head1 & 0x80 != 0,
        head1 & 0x40 != 0,
        head1 & 0x20 != 0,
        head1 & 0x10 != 0,
    )
    return frame, end


def py_serialize_frame(
    head1: int, data: BytesLike, mask: bytes | bytearray | None
) -> bytes:
    """
    Encode a frame: header, masking key if any, then the payload.

    The length takes the fewest bytes that hold it (RFC 6455, section 5.2).

    Args:
        head1: First byte of the header: FIN, RSV1-3 and the opcode.
        data: Payload.
        mask: Masking key of 4 bytes, or :obj:`None` to send the payload as is.

    Raises:
        ValueError: If ``head1`` isn't a byte or the key doesn't have 4 bytes.

    """
    if not 0 <= head1 <= 0xFF:
        raise ValueError("head1 must be in range(256)")
    data = utils.flat_bytes(data)
    size = len(data)
    mask_bit = 0 if mask is None else 0x80
    if size <= 125:
        header = bytes([head1, mask_bit | size])
    elif size <= 0xFFFF:
        header = bytes([head1, mask_bit | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([head1, mask_bit | 127]) + size.to_bytes(8, "big")
    if mask is None:
        return header + data
    return b"".join([header, bytes(mask), utils.py_apply_mask(data, mask)])


class PyFrameDecoder:
    """
    Iterator over the frames in ``data``, from ``position`` on, with
    :func:`py_decode_frame`, whose arguments it takes.

    It stops at a frame that ``data`` doesn't hold entirely, and raises
    where :func:`py_decode_frame` does. Between frames, the limit on data
    frames may change. :class:`FrameDecoder` is its compiled twin when the
    speed-up is available.

    Attributes:
        position: Where the next frame starts in ``data``.
        max_size: Limit on the payload of the next data frames.

    """

    def __init__(
        self,
        data: BytesLike,
        position: int,
        mask: bool,
        extensions: bool,
        max_size: int | None,
        max_control_size: int | None,
        /,
    ) -> None:
        self._data = data
        self._rules = mask, extensions, max_control_size
        self.position = position
        self.max_size = max_size

    def __iter__(self) -> PyFrameDecoder:
        return self

    def __next__(self) -> Frame:
        mask, extensions, max_control_size = self._rules
        frame, end = py_decode_frame(
            self._data, self.position, mask, extensions, self.max_size, max_control_size
        )
        if frame is None:
            raise StopIteration
        self.position = end
        return frame


decode_frame: Callable[
    [BytesLike, int, bool, bool, int | None, int | None],
    tuple[Frame | None, int],
]
"""The compiled :func:`py_decode_frame` when available, else itself."""

FrameDecoder: type[PyFrameDecoder]
"""The compiled :class:`PyFrameDecoder` when available, else itself."""

serialize_frame: Callable[[int, BytesLike, bytes | bytearray | None], bytes]
"""The compiled :func:`py_serialize_frame` when available, else itself."""

try:
    from . import _speedups
except ImportError:  # pragma: no cover - depends on how the package was built
    pass
else:
    # The compiled decoders build frames of this module's Frame class. This
    # runs under the import lock: before any thread can decode.
    _speedups.set_frame_types(Frame, _OPCODES)

if utils.SPEEDUPS:  # pragma: no branch - depends on the build and environment
    decode_frame = _speedups.decode_frame
    FrameDecoder = _speedups.FrameDecoder
    serialize_frame = _speedups.serialize_frame
else:  # pragma: no cover
    decode_frame = py_decode_frame
    FrameDecoder = PyFrameDecoder
    serialize_frame = py_serialize_frame

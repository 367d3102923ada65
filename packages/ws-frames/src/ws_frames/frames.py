"""
WebSocket frames (RFC 6455, section 5) and close frame payloads (section 7).

"""

from __future__ import annotations

import codecs
import dataclasses
import enum
import os
import struct
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
    """Opcode values for WebSocket frames (RFC 6455, section 5.2)."""

    CONT, TEXT, BINARY = 0x00, 0x01, 0x02
    CLOSE, PING, PONG = 0x08, 0x09, 0x0A


CONT = OP_CONT = Opcode.CONT
TEXT = OP_TEXT = Opcode.TEXT
BINARY = OP_BINARY = Opcode.BINARY
CLOSE = OP_CLOSE = Opcode.CLOSE
PING = OP_PING = Opcode.PING
PONG = OP_PONG = Opcode.PONG

DATA_OPCODES = CONT, TEXT, BINARY
"""Opcodes of data frames (RFC 6455, section 5.6)."""

CTRL_OPCODES = CLOSE, PING, PONG
"""Opcodes of control frames (RFC 6455, section 5.5)."""

OPCODES: tuple[Opcode | None, ...] = tuple(
    Opcode(value) if value in Opcode._value2member_map_ else None for value in range(16)
)
"""Opcode for each value of the low nibble of the first byte; :obj:`None` if reserved."""


class CloseCode(enum.IntEnum):
    """Close code values for WebSocket close frames (RFC 6455, section 7.4.1)."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    # 1004 is reserved
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


CLOSE_CODE_EXPLANATIONS: dict[int, str] = {
    CloseCode.NORMAL_CLOSURE: "OK",
    CloseCode.GOING_AWAY: "going away",
    CloseCode.PROTOCOL_ERROR: "protocol error",
    CloseCode.UNSUPPORTED_DATA: "unsupported data",
    CloseCode.NO_STATUS_RCVD: "no status received [internal]",
    CloseCode.ABNORMAL_CLOSURE: "abnormal closure [internal]",
    CloseCode.INVALID_DATA: "invalid frame payload data",
    CloseCode.POLICY_VIOLATION: "policy violation",
    CloseCode.MESSAGE_TOO_BIG: "message too big",
    CloseCode.MANDATORY_EXTENSION: "mandatory extension",
    CloseCode.INTERNAL_ERROR: "internal error",
    CloseCode.SERVICE_RESTART: "service restart",
    CloseCode.TRY_AGAIN_LATER: "try again later",
    CloseCode.BAD_GATEWAY: "bad gateway",
    CloseCode.TLS_HANDSHAKE: "TLS handshake failure [internal]",
}
"""Short explanation of each registered close code, for logs."""


# Codes that may appear in a close frame (RFC 6455, section 7.4.1 and the IANA
# registry). 1005, 1006 and 1015 are reserved for reporting a condition locally
# and must never be sent.
EXTERNAL_CLOSE_CODES = {
    CloseCode.NORMAL_CLOSURE,
    CloseCode.GOING_AWAY,
    CloseCode.PROTOCOL_ERROR,
    CloseCode.UNSUPPORTED_DATA,
    CloseCode.INVALID_DATA,
    CloseCode.POLICY_VIOLATION,
    CloseCode.MESSAGE_TOO_BIG,
    CloseCode.MANDATORY_EXTENSION,
    CloseCode.INTERNAL_ERROR,
    CloseCode.SERVICE_RESTART,
    CloseCode.TRY_AGAIN_LATER,
    CloseCode.BAD_GATEWAY,
}
"""Registered close codes that an endpoint may send and receive."""


OK_CLOSE_CODES = {
    CloseCode.NORMAL_CLOSURE,
    CloseCode.GOING_AWAY,
    CloseCode.NO_STATUS_RCVD,
}
"""Close codes of a connection that terminated properly."""


def is_utf8_fragment(
    data: bytes,
    must_start_clean: bool = False,
    must_end_clean: bool = False,
) -> bool:
    """
    Guess if data is a fragment of UTF-8 text.

    Without ``must_start_clean``, up to three leading continuation bytes are
    accepted, as the end of a character that began in a previous fragment.
    Without ``must_end_clean``, a trailing incomplete character is accepted,
    provided it is a valid beginning of a character.

    Args:
        data: Bytes to examine.
        must_start_clean: Whether ``data`` must start on a character boundary.
        must_end_clean: Whether ``data`` must end on a character boundary.

    """
    start = 0
    if not must_start_clean:
        limit = min(3, len(data))
        while start < limit and data[start] & 0xC0 == 0x80:
            start += 1
    try:
        _, consumed = codecs.utf_8_decode(data[start:], "strict", must_end_clean)
    except UnicodeDecodeError:
        return False
    # Python's decoder accepts the beginning of a UTF-16 surrogate at the end.
    tail = data[start + consumed :]
    return not (len(tail) >= 2 and tail[0] == 0xED and tail[1] >= 0xA0)


def _is_printable(text: str) -> bool:
    return text.isprintable() or all(c.isprintable() or c in "\t\n\r" for c in text)


def _hex(data: BytesLike) -> str:
    # Show at most the first 16 bytes and the last 8 bytes.
    if len(data) > 25:
        return " ".join([bytes(data[:16]).hex(" "), "...", bytes(data[-8:]).hex(" ")])
    return bytes(data).hex(" ")


# Extended payload lengths (RFC 6455, section 5.2).
_unpack_medium = struct.Struct("!H").unpack
_unpack_large = struct.Struct("!Q").unpack


@dataclasses.dataclass
class Frame:
    """
    WebSocket frame.

    Attributes:
        opcode: Opcode.
        data: Payload data.
        fin: FIN bit.
        rsv1: RSV1 bit.
        rsv2: RSV2 bit.
        rsv3: RSV3 bit.

    Only these fields are needed. The MASK bit, payload length and masking-key
    are handled on the fly when parsing and serializing frames.

    """

    opcode: Opcode
    data: BytesLike
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    DEFAULT_IS_TEXT: ClassVar[dict[Opcode, bool]] = {
        Opcode.TEXT: True,
        Opcode.BINARY: False,
        Opcode.CLOSE: True,
    }
    """Whether the payload of frames with each opcode is usually text, for logs."""

    MAX_LOG_SIZE: ClassVar[int] = int(os.environ.get("WEBSOCKETS_MAX_LOG_SIZE", "75"))
    """Maximum length of the payload representation in :meth:`__str__`."""

    def __str__(self) -> str:
        """
        Return a human-readable representation of a frame.

        The payload appears as text when it looks like text and as hex
        otherwise; the encoding is mentioned when it isn't the usual one for
        the opcode.

        """
        size = len(self.data)
        data, is_text = self._data_repr()
        if len(data) > self.MAX_LOG_SIZE:
            cut = self.MAX_LOG_SIZE // 3 - 1  # by default, cut = 24
            data = data[: 2 * cut] + "..." + data[-cut:]
        coding = None
        if size and is_text is not self.DEFAULT_IS_TEXT.get(self.opcode):
            coding = "text" if is_text else "binary"
        length = f"{size} byte{'' if size == 1 else 's'}"
        continued = None if self.fin else "continued"
        metadata = ", ".join(filter(None, [coding, length, continued]))
        return f"{self.opcode.name} {data} [{metadata}]"

    def _data_repr(self) -> tuple[str, bool]:
        data = self.data
        if not data:
            return "''", self.DEFAULT_IS_TEXT.get(self.opcode, False)
        if self.opcode is OP_CLOSE:
            try:
                return str(Close.parse(data)), True
            except (ProtocolError, UnicodeDecodeError):
                return _hex(data), False
        if is_utf8_fragment(
            bytes(data),
            must_start_clean=self.opcode is not OP_CONT,
            must_end_clean=self.fin,
        ):
            text = bytes(data).decode(errors="replace")
            if _is_printable(text):
                return repr(text), True
        return _hex(data), False

    @classmethod
    def parse(
        cls,
        read_exact: Callable[[int], Generator[None, None, bytes | bytearray]],
        *,
        mask: bool,
        max_size: int | None = None,
        extensions: Sequence[Extension] | None = None,
    ) -> Generator[None, None, Frame]:
        """
        Parse a WebSocket frame.

        This is a generator-based coroutine.

        Args:
            read_exact: Generator-based coroutine that reads the requested
                bytes or raises an exception if there isn't enough data.
            mask: Whether the frame should be masked i.e. whether the read
                happens on the server side.
            max_size: Maximum payload size in bytes.
            extensions: List of extensions, applied in reverse order.

        Raises:
            EOFError: If the connection is closed without a full WebSocket frame.
            PayloadTooBig: If the frame's payload size exceeds ``max_size``.
            ProtocolError: If the frame contains incorrect values.

        """
        head = yield from read_exact(2)
        head1, head2 = head[0], head[1]
        opcode = OPCODES[head1 & 0x0F]
        if opcode is None:
            raise ProtocolError(f"invalid opcode: {head1 & 0x0F}")
        if bool(head2 & 0x80) is not mask:
            raise ProtocolError("incorrect masking")
        if head1 & 0x70 and not extensions:
            raise ProtocolError("reserved bits must be 0")
        length = head2 & 0x7F
        if length == 126:
            (length,) = _unpack_medium((yield from read_exact(2)))
            if length < 126:
                raise ProtocolError(
                    "payload length not encoded on the minimal number of bytes"
                )
        elif length == 127:
            (length,) = _unpack_large((yield from read_exact(8)))
            if length >= 1 << 63:
                raise ProtocolError("most significant bit of payload length must be 0")
            if length < 65536:
                raise ProtocolError(
                    "payload length not encoded on the minimal number of bytes"
                )
        if opcode >= 8:
            if length > 125:
                raise ProtocolError("control frame too long")
            if not head1 & 0x80:
                raise ProtocolError("fragmented control frame")
        if max_size is not None and length > max_size:
            raise PayloadTooBig(length, max_size)
        if mask:
            mask_bytes = yield from read_exact(4)
        data: BytesLike = yield from read_exact(length)
        if mask:
            data = utils.apply_mask(data, mask_bytes)

        frame = cls(
            opcode,
            bytes(data),
            bool(head1 & 0x80),
            bool(head1 & 0x40),
            bool(head1 & 0x20),
            bool(head1 & 0x10),
        )
        if extensions:
            for extension in reversed(extensions):
                frame = extension.decode(frame, max_size=max_size)
        frame.check()
        return frame

    def serialize(
        self,
        *,
        mask: bool,
        extensions: Sequence[Extension] | None = None,
    ) -> bytes:
        """
        Serialize a WebSocket frame.

        Args:
            mask: Whether the frame should be masked i.e. whether the write
                happens on the client side.
            extensions: List of extensions, applied in order.

        Raises:
            ProtocolError: If the frame contains incorrect values.

        """
        self.check()
        frame = self
        if extensions:
            for extension in extensions:
                frame = extension.encode(frame)
        head1: int = frame.opcode
        if frame.fin:
            head1 |= 0x80
        if frame.rsv1 or frame.rsv2 or frame.rsv3:
            head1 |= (
                (0x40 if frame.rsv1 else 0)
                | (0x20 if frame.rsv2 else 0)
                | (0x10 if frame.rsv3 else 0)
            )
        # RFC 6455, section 5.3: a fresh, unpredictable key for each frame.
        return utils.serialize_frame(
            head1, frame.data, utils.generate_mask() if mask else None
        )

    def check(self) -> None:
        """
        Check that reserved bits and opcode have acceptable values.

        Raises:
            ProtocolError: If a reserved bit or the opcode is invalid.

        """
        if self.rsv1 or self.rsv2 or self.rsv3:
            raise ProtocolError("reserved bits must be 0")
        if self.opcode >= 8:  # control frame
            if len(self.data) > 125:
                raise ProtocolError("control frame too long")
            if not self.fin:
                raise ProtocolError("fragmented control frame")


@dataclasses.dataclass
class Close:
    """
    Code and reason for WebSocket close frames.

    Attributes:
        code: Close code.
        reason: Close reason.

    """

    code: CloseCode | int
    reason: str

    def __str__(self) -> str:
        """
        Return a human-readable representation of a close code and reason.

        """
        if 3000 <= self.code < 4000:
            explanation = "registered"
        elif 4000 <= self.code < 5000:
            explanation = "private use"
        else:
            explanation = CLOSE_CODE_EXPLANATIONS.get(self.code, "unknown")
        result = f"{self.code} ({explanation})"
        if self.reason:
            result = f"{result} {self.reason}"
        return result

    @classmethod
    def parse(cls, data: BytesLike) -> Self:
        """
        Parse the payload of a close frame (RFC 6455, section 5.5.1).

        Args:
            data: Payload of the close frame.

        Raises:
            ProtocolError: If data is ill-formed.
            UnicodeDecodeError: If the reason isn't valid UTF-8.

        """
        if len(data) >= 2:
            code = data[0] << 8 | data[1]
            reason = bytes(data[2:]).decode()
            close = cls(code, reason)
            close.check()
            return close
        if len(data) == 0:
            return cls(CloseCode.NO_STATUS_RCVD, "")
        raise ProtocolError("close frame too short")

    def serialize(self) -> bytes:
        """
        Serialize the payload of a close frame.

        Raises:
            ProtocolError: If the close code isn't allowed in a close frame.

        """
        self.check()
        return struct.pack("!H", self.code) + self.reason.encode()

    def check(self) -> None:
        """
        Check that the close code has a valid value for a close frame.

        RFC 6455, section 7.4: registered codes that may be sent, 3000-3999
        (registered with IANA) and 4000-4999 (private use).

        Raises:
            ProtocolError: If the close code is invalid.

        """
        if not (self.code in EXTERNAL_CLOSE_CODES or 3000 <= self.code < 5000):
            raise ProtocolError(f"invalid status code: {self.code}")

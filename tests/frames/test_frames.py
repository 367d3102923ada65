from __future__ import annotations

import codecs
import dataclasses
import functools
import subprocess
import sys
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames import frames, utils as ws_utils
from ws_frames.exceptions import PayloadTooBig, ProtocolError
from ws_frames.extensions import Extension
from ws_frames.frames import (
    CLOSE_CODE_EXPLANATIONS,
    CTRL_OPCODES,
    DATA_OPCODES,
    EXTERNAL_CLOSE_CODES,
    OK_CLOSE_CODES,
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Close,
    CloseCode,
    Frame,
    Opcode,
    is_utf8_fragment,
)
from ws_frames.streams import StreamReader
from ws_frames.typing import BytesLike, ExtensionName

from .utils import ZERO_MASK, add_mask, enforce_mask, odd_views


def parse(
    data: bytes,
    *,
    mask: bool,
    max_size: int | None = None,
    extensions: Sequence[Extension] | None = None,
) -> Frame:
    """Parse a frame from bytes with Frame.parse and a StreamReader."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(
        reader.read_exact, mask=mask, max_size=max_size, extensions=extensions
    )
    try:
        next(parser)
    except StopIteration as exc:
        frame: Frame = exc.value
        assert reader.buffer == b"", "extra data after frame"
        return frame
    raise AssertionError("parser is waiting for data")  # pragma: no cover


# 5.2. Base Framing Protocol


def test_opcodes() -> None:
    assert [int(opcode) for opcode in Opcode] == [0, 1, 2, 8, 9, 10]
    assert DATA_OPCODES == (OP_CONT, OP_TEXT, OP_BINARY)
    assert CTRL_OPCODES == (OP_CLOSE, OP_PING, OP_PONG)
    assert frames.CONT is OP_CONT and frames.TEXT is OP_TEXT
    assert frames.BINARY is OP_BINARY and frames.CLOSE is OP_CLOSE
    assert frames.PING is OP_PING and frames.PONG is OP_PONG


@pytest.mark.parametrize(
    ("frame", "encoded"),
    [
        # RFC 6455, section 5.7: examples.
        (Frame(OP_TEXT, b"Hello"), b"\x81\x05\x48\x65\x6c\x6c\x6f"),
        (Frame(OP_TEXT, b"Hel", fin=False), b"\x01\x03\x48\x65\x6c"),
        (Frame(OP_CONT, b"lo"), b"\x80\x02\x6c\x6f"),
        (Frame(OP_PING, b"Hello"), b"\x89\x05\x48\x65\x6c\x6c\x6f"),
        (Frame(OP_PONG, b"Hello"), b"\x8a\x05\x48\x65\x6c\x6c\x6f"),
        (Frame(OP_BINARY, b"\x00" * 256), b"\x82\x7e\x01\x00" + b"\x00" * 256),
        (Frame(OP_BINARY, b"\x00" * 65536), b"\x82\x7f" + (65536).to_bytes(8, "big") + b"\x00" * 65536),
        (Frame(OP_BINARY, b""), b"\x82\x00"),
        (Frame(OP_BINARY, b"\x00" * 125), b"\x82\x7d" + b"\x00" * 125),
        (Frame(OP_BINARY, b"\x00" * 126), b"\x82\x7e\x00\x7e" + b"\x00" * 126),
        (Frame(OP_BINARY, b"\x00" * 65535), b"\x82\x7e\xff\xff" + b"\x00" * 65535),
        (Frame(OP_CLOSE, b""), b"\x88\x00"),
        (Frame(OP_CLOSE, b"\x03\xe8OK"), b"\x88\x04\x03\xe8OK"),
    ],
)  # fmt: skip
def test_unmasked_frame(frame: Frame, encoded: bytes) -> None:
    assert frame.serialize(mask=False) == encoded
    assert parse(encoded, mask=False) == frame


def test_masked_frame() -> None:
    # RFC 6455, section 5.7: a single-frame masked text message.
    encoded = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
    with enforce_mask(b"\x37\xfa\x21\x3d"):
        assert Frame(OP_TEXT, b"Hello").serialize(mask=True) == encoded
    assert parse(encoded, mask=True) == Frame(OP_TEXT, b"Hello")


def test_serialize_generates_a_mask_per_frame() -> None:
    frame = Frame(OP_BINARY, b"\x00" * 16)
    masks = {frame.serialize(mask=True)[2:6] for _ in range(20)}
    assert len(masks) > 1


@pytest.mark.parametrize("data_type", [bytes, bytearray, memoryview])
def test_serialize_bytes_like(data_type: type[bytes | bytearray | memoryview]) -> None:
    frame = Frame(OP_BINARY, data_type(b"spam"))
    assert frame.serialize(mask=False) == b"\x82\x04spam"
    with enforce_mask(b"\x01\x02\x03\x04"):
        assert frame.serialize(mask=True) == add_mask(
            b"\x82\x04spam", b"\x01\x02\x03\x04"
        )


def test_rsv_bits() -> None:
    frame = parse(b"\xf2\x00", mask=False, extensions=[ClearRsv()])
    assert frame == Frame(OP_BINARY, b"")


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        (b"\x83\x00", "invalid opcode"),
        (b"\x87\x00", "invalid opcode"),
        (b"\x8b\x00", "invalid opcode"),
        (b"\x8f\x00", "invalid opcode"),
        (b"\xc2\x00", "reserved bits must be 0"),
        (b"\xa2\x00", "reserved bits must be 0"),
        (b"\x92\x00", "reserved bits must be 0"),
        (b"\x82\x7e\x00\x7d" + b"\x00" * 125, "payload length not encoded on the minimal number of bytes"),
        (b"\x82\x7f" + (65535).to_bytes(8, "big") + b"\x00" * 65535, "payload length not encoded on the minimal number of bytes"),
        (b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", "most significant bit of payload length must be 0"),
        (b"\x89\x7e\x00\x7e" + b"\x00" * 126, "control frame too long"),
        (b"\x09\x00", "fragmented control frame"),
        (b"\x88\x7e\x00\x7e" + b"\x00" * 126, "control frame too long"),
    ],
)  # fmt: skip
def test_parse_invalid_frame(encoded: bytes, message: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse(encoded, mask=False)
    assert str(raised.value) == message


def test_parse_incorrect_masking() -> None:
    with pytest.raises(ProtocolError, match="incorrect masking"):
        parse(b"\x82\x00", mask=True)
    with pytest.raises(ProtocolError, match="incorrect masking"):
        parse(b"\x82\x80" + ZERO_MASK, mask=False)


def test_parse_max_size() -> None:
    assert parse(b"\x82\x04spam", mask=False, max_size=4) == Frame(OP_BINARY, b"spam")
    with pytest.raises(PayloadTooBig) as raised:
        parse(b"\x82\x05spams", mask=False, max_size=4)
    assert str(raised.value) == "frame with 5 bytes exceeds limit of 4 bytes"


def test_parse_eof() -> None:
    with pytest.raises(EOFError):
        parse(b"\x82\x05spa", mask=False)


def test_serialize_invalid_frame() -> None:
    with pytest.raises(ProtocolError, match="reserved bits must be 0"):
        Frame(OP_BINARY, b"", rsv2=True).serialize(mask=False)
    with pytest.raises(ProtocolError, match="control frame too long"):
        Frame(OP_PING, b"\x00" * 126).serialize(mask=False)
    with pytest.raises(ProtocolError, match="fragmented control frame"):
        Frame(OP_PING, b"", fin=False).serialize(mask=False)


def test_serialize_rsv_bits_set_by_extension() -> None:
    assert (
        Frame(OP_BINARY, b"").serialize(mask=False, extensions=[SetRsv()])
        == b"\xf2\x00"
    )


@dataclasses.dataclass
class SetRsv(Extension):
    name = ExtensionName("x-set-rsv")

    def encode(self, frame: Frame) -> Frame:
        return dataclasses.replace(frame, rsv1=True, rsv2=True, rsv3=True)


@dataclasses.dataclass
class ClearRsv(Extension):
    name = ExtensionName("x-clear-rsv")

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        return dataclasses.replace(frame, rsv1=False, rsv2=False, rsv3=False)


@dataclasses.dataclass
class Tag(Extension):
    """Appends a tag when encoding and checks and removes it when decoding."""

    tag: bytes
    name = ExtensionName("x-tag")

    def encode(self, frame: Frame) -> Frame:
        return dataclasses.replace(frame, data=bytes(frame.data) + self.tag)

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        assert bytes(frame.data).endswith(self.tag)
        return dataclasses.replace(frame, data=bytes(frame.data)[: -len(self.tag)])


def test_extensions_order() -> None:
    extensions = [Tag(b"1"), Tag(b"2")]
    encoded = Frame(OP_TEXT, b"spam").serialize(mask=False, extensions=extensions)
    assert encoded == b"\x81\x06spam12"
    assert parse(encoded, mask=False, extensions=extensions) == Frame(OP_TEXT, b"spam")


def test_extension_leaves_rsv_bit() -> None:
    with pytest.raises(ProtocolError, match="reserved bits must be 0"):
        parse(b"\xc1\x05spam1", mask=False, extensions=[Tag(b"1")])


# Frame.__str__


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        (Frame(OP_TEXT, b""), "TEXT '' [0 bytes]"),
        (Frame(OP_TEXT, b"spam"), "TEXT 'spam' [4 bytes]"),
        (Frame(OP_TEXT, "café".encode()), "TEXT 'café' [5 bytes]"),
        (Frame(OP_TEXT, b"a\tb\nc\rd"), "TEXT 'a\\tb\\nc\\rd' [7 bytes]"),
        (Frame(OP_TEXT, b"caf\xc3", fin=False), "TEXT 'caf\ufffd' [4 bytes, continued]"),
        (Frame(OP_TEXT, b"caf\xc3"), "TEXT 63 61 66 c3 [binary, 4 bytes]"),
        (Frame(OP_TEXT, b"\x00\x01"), "TEXT 00 01 [binary, 2 bytes]"),
        (Frame(OP_TEXT, b"x" * 73), "TEXT '" + "x" * 73 + "' [73 bytes]"),
        (Frame(OP_TEXT, b"x" * 74), "TEXT '" + "x" * 47 + "..." + "x" * 23 + "' [74 bytes]"),
        (Frame(OP_TEXT, b"x", fin=False), "TEXT 'x' [1 byte, continued]"),
        (Frame(OP_BINARY, b""), "BINARY '' [0 bytes]"),
        (Frame(OP_BINARY, b"\x00\x01\x02\x03"), "BINARY 00 01 02 03 [4 bytes]"),
        (Frame(OP_BINARY, b"spam"), "BINARY 'spam' [text, 4 bytes]"),
        (Frame(OP_BINARY, bytes(25)), "BINARY " + " ".join(["00"] * 25) + " [25 bytes]"),
        (Frame(OP_BINARY, bytes(range(30))), "BINARY 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f ... 16 17 18 19 1a 1b 1c 1d [30 bytes]"),
        (Frame(OP_BINARY, bytearray(b"\xff")), "BINARY ff [1 byte]"),
        (Frame(OP_BINARY, memoryview(b"\xff\xfe")), "BINARY ff fe [2 bytes]"),
        (Frame(OP_CONT, b""), "CONT '' [0 bytes]"),
        (Frame(OP_CONT, b"spam", fin=False), "CONT 'spam' [text, 4 bytes, continued]"),
        (Frame(OP_CONT, b"\xa9 spam"), "CONT '\ufffd spam' [text, 6 bytes]"),
        (Frame(OP_CONT, b"\xff\xfe"), "CONT ff fe [binary, 2 bytes]"),
        (Frame(OP_CLOSE, b""), "CLOSE '' [0 bytes]"),
        (Frame(OP_CLOSE, b"\x03\xe8"), "CLOSE 1000 (OK) [2 bytes]"),
        (Frame(OP_CLOSE, b"\x03\xe9bye"), "CLOSE 1001 (going away) bye [5 bytes]"),
        (Frame(OP_CLOSE, b"\x03"), "CLOSE 03 [binary, 1 byte]"),
        (Frame(OP_CLOSE, b"\x03\xe8\xff"), "CLOSE 03 e8 ff [binary, 3 bytes]"),
        (Frame(OP_PING, b""), "PING '' [0 bytes]"),
        (Frame(OP_PING, b"ping"), "PING 'ping' [text, 4 bytes]"),
        (Frame(OP_PONG, b"\xff"), "PONG ff [binary, 1 byte]"),
    ],
)  # fmt: skip
def test_str(frame: Frame, text: str) -> None:
    assert str(frame) == text


# 5.5.1. Close and 7.4. Status Codes


def test_close_codes() -> None:
    assert [int(code) for code in CloseCode] == [*range(1000, 1004), *range(1005, 1016)]
    assert set(CLOSE_CODE_EXPLANATIONS) == set(CloseCode)
    assert EXTERNAL_CLOSE_CODES == set(CloseCode) - {1005, 1006, 1015}
    assert OK_CLOSE_CODES == {1000, 1001, 1005}


@pytest.mark.parametrize(
    ("close", "text"),
    [
        (Close(1000, ""), "1000 (OK)"),
        (Close(1000, "bye"), "1000 (OK) bye"),
        (Close(1005, ""), "1005 (no status received [internal])"),
        (Close(1006, ""), "1006 (abnormal closure [internal])"),
        (Close(1011, ""), "1011 (internal error)"),
        (Close(1004, ""), "1004 (unknown)"),
        (Close(3000, ""), "3000 (registered)"),
        (Close(4999, "x"), "4999 (private use) x"),
        (Close(5000, ""), "5000 (unknown)"),
    ],
)
def test_close_str(close: Close, text: str) -> None:
    assert str(close) == text


@pytest.mark.parametrize(
    ("data", "close"),
    [
        (b"", Close(CloseCode.NO_STATUS_RCVD, "")),
        (b"\x03\xe8", Close(CloseCode.NORMAL_CLOSURE, "")),
        (b"\x03\xe8OK", Close(CloseCode.NORMAL_CLOSURE, "OK")),
        (b"\x0b\xb8caf\xc3\xa9", Close(3000, "café")),
        (b"\x13\x87", Close(4999, "")),
    ],
)
def test_close_parse(data: bytes, close: Close) -> None:
    assert Close.parse(data) == close
    assert Close.parse(bytearray(data)) == close
    assert Close.parse(memoryview(data)) == close


def test_close_parse_errors() -> None:
    with pytest.raises(ProtocolError, match="close frame too short"):
        Close.parse(b"\x03")
    with pytest.raises(ProtocolError, match="^invalid status code$"):
        Close.parse(b"\x03\xed")
    with pytest.raises(UnicodeDecodeError):
        Close.parse(b"\x03\xe8\xff")


@pytest.mark.parametrize("code", [*EXTERNAL_CLOSE_CODES, 3000, 3999, 4000, 4999])
def test_close_valid_codes(code: int) -> None:
    assert Close(code, "").serialize() == code.to_bytes(2, "big")
    assert Close.parse(code.to_bytes(2, "big")) == Close(code, "")


@pytest.mark.parametrize(
    "code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]
)
def test_close_invalid_codes(code: int) -> None:
    with pytest.raises(ProtocolError, match="^invalid status code$"):
        Close(code, "").serialize()
    with pytest.raises(ProtocolError, match="^invalid status code$"):
        Close.parse(code.to_bytes(2, "big"))


# is_utf8_fragment


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # (must_start_clean, must_end_clean) = FF, FT, TF, TT
        (b"", (True, True, True, True)),
        (b"spam", (True, True, True, True)),
        (b"caf\xc3\xa9", (True, True, True, True)),
        (b"caf\xc3", (True, False, True, False)),
        (b"\xa9 spam", (True, True, False, False)),
        (b"\x80\x80\x80a", (True, True, False, False)),
        (b"\x80\x80\x80\x80a", (False, False, False, False)),
        (b"\xe2\x82", (True, False, True, False)),
        (b"\xed\xa0", (False, False, False, False)),
        (b"\xed\x9f", (True, False, True, False)),
        (b"\xed\xa0\x80", (False, False, False, False)),
        (b"\xf4\x90", (False, False, False, False)),
        (b"\xff", (False, False, False, False)),
        (b"\xc0\x80", (False, False, False, False)),
    ],
)
def test_is_utf8_fragment(data: bytes, expected: tuple[bool, bool, bool, bool]) -> None:
    results = tuple(
        is_utf8_fragment(data, must_start_clean=start, must_end_clean=end)
        for start in (False, True)
        for end in (False, True)
    )
    assert results == expected


@settings(deadline=None)
@given(text=st.text(), cut1=st.integers(min_value=0), cut2=st.integers(min_value=0))
def test_is_utf8_fragment_accepts_any_fragment_of_text(
    text: str, cut1: int, cut2: int
) -> None:
    data = text.encode()
    start, end = sorted([cut1 % (len(data) + 1), cut2 % (len(data) + 1)])
    fragment = data[start:end]
    # Up to 3 leading continuation bytes, so a fragment may begin anywhere.
    assert is_utf8_fragment(fragment)
    assert is_utf8_fragment(data[:end], must_start_clean=True)
    assert is_utf8_fragment(data[start:], must_end_clean=True)
    assert is_utf8_fragment(data, must_start_clean=True, must_end_clean=True)


@settings(deadline=None)
@given(data=st.binary(max_size=40))
def test_is_utf8_fragment_clean_is_utf8(data: bytes) -> None:
    try:
        data.decode()
    except UnicodeDecodeError:
        valid = False
    else:
        valid = True
    assert is_utf8_fragment(data, must_start_clean=True, must_end_clean=True) is valid


# Round trips


frames_strategy = st.one_of(
    st.builds(
        Frame,
        opcode=st.sampled_from(DATA_OPCODES),
        data=st.binary(max_size=200)
        | st.tuples(
            st.binary(min_size=1, max_size=4),
            st.integers(min_value=200, max_value=70_000),
        ).map(
            lambda pattern_size: (pattern_size[0] * pattern_size[1])[: pattern_size[1]]
        ),
        fin=st.booleans(),
    ),
    st.builds(
        Frame,
        opcode=st.sampled_from(CTRL_OPCODES),
        data=st.binary(max_size=125),
    ),
)


@settings(max_examples=150, deadline=None)
@given(frame=frames_strategy, mask=st.booleans())
def test_frame_round_trip(frame: Frame, mask: bool) -> None:
    assert parse(frame.serialize(mask=mask), mask=mask) == frame


@settings(deadline=None)
@given(
    code=st.sampled_from(sorted(EXTERNAL_CLOSE_CODES)) | st.integers(3000, 4999),
    reason=st.text(max_size=40),
)
def test_close_round_trip(code: int, reason: str) -> None:
    close = Close(code, reason)
    assert Close.parse(close.serialize()) == close


@settings(deadline=None)
@given(data=st.binary(max_size=300))
def test_parse_garbage(data: bytes) -> None:
    for mask in (False, True):
        try:
            parse(data, mask=mask, max_size=2**16)
        except (ProtocolError, PayloadTooBig, EOFError):
            pass
        except AssertionError as exc:
            assert "extra data after frame" in str(exc)


def test_incremental_decoder_behavior() -> None:
    # The UTF-8 validation of ws_frames relies on this behavior of Python's
    # incremental decoder: it accepts the beginning of a surrogate.
    decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
    assert decoder.decode(b"\xed\xa0", False) == ""


# The codec: py_decode_frame, PyFrameDecoder and py_serialize_frame, and
# their compiled twins, which must agree with them on every input.


try:
    from ws_frames import _speedups
except ImportError:  # pragma: no cover - only without a compiler
    _speedups = None  # type: ignore[assignment]

requires_speedups = pytest.mark.skipif(
    _speedups is None, reason="the C speed-up isn't compiled"
)

DecodeFunction = Callable[
    [BytesLike, int, bool, bool, "int | None", "int | None"],
    "tuple[Frame | None, int]",
]

DECODERS: list[DecodeFunction] = [frames.py_decode_frame]
ITERATORS: list[type[frames.PyFrameDecoder]] = [frames.PyFrameDecoder]
if _speedups is not None:  # pragma: no branch
    DECODERS.append(_speedups.decode_frame)
    ITERATORS.append(_speedups.FrameDecoder)


def test_compiled_codec_is_in_use() -> None:
    if not ws_utils.SPEEDUPS:  # pragma: no cover
        assert frames.decode_frame is frames.py_decode_frame
    else:
        assert frames.decode_frame is _speedups.decode_frame
        assert frames.FrameDecoder is _speedups.FrameDecoder
        assert frames.serialize_frame is _speedups.serialize_frame


@pytest.mark.parametrize("decode", DECODERS)
def test_decode_frame(decode: DecodeFunction) -> None:
    data = b"\x81\x02hi\x82\x7e\x00\x7e" + b"\x00" * 126 + b"\x89\x00\x01"
    assert decode(data, 0, False, False, None, None) == (Frame(OP_TEXT, b"hi"), 4)
    assert decode(data, 4, False, False, None, None) == (
        Frame(OP_BINARY, b"\x00" * 126),
        134,
    )
    assert decode(data, 134, False, False, None, None) == (Frame(OP_PING, b""), 136)
    # Incomplete frames tell how far the data must extend.
    assert decode(data, 136, False, False, None, None) == (None, 138)
    assert decode(data, len(data), False, False, None, None) == (None, len(data) + 2)
    assert decode(data[:5], 4, False, False, None, None) == (None, 6)
    assert decode(data[:8], 4, False, False, None, None) == (None, 134)
    assert decode(b"\x82\x7f\x00", 0, False, False, None, None) == (None, 10)
    assert decode(b"\x82\x85", 0, True, False, None, None) == (None, 11)


@pytest.mark.parametrize("decode", DECODERS)
def test_decode_frame_flags(decode: DecodeFunction) -> None:
    frame, _ = decode(b"\x71\x00", 0, False, True, None, None)
    assert frame == Frame(OP_TEXT, b"", fin=False, rsv1=True, rsv2=True, rsv3=True)
    frame, _ = decode(b"\x00\x00", 0, False, False, None, None)
    assert frame == Frame(OP_CONT, b"", fin=False)


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize("data_type", [bytes, bytearray, memoryview])
def test_decode_frame_bytes_like(
    decode: DecodeFunction, data_type: type[bytes | bytearray | memoryview]
) -> None:
    data = data_type(add_mask(b"\x82\x04spam", b"\x01\x02\x03\x04"))
    frame, end = decode(data, 0, True, False, None, None)
    assert frame == Frame(OP_BINARY, b"spam")
    assert frame is not None and type(frame.data) is bytes
    assert end == 10


@pytest.mark.parametrize("decode", DECODERS)
def test_decode_frame_limits(decode: DecodeFunction) -> None:
    # max_size applies to data frames, max_control_size to control frames.
    assert decode(b"\x82\x04spam", 0, False, False, 4, 0)[1] == 6
    assert decode(b"\x89\x04ping", 0, False, False, 0, 4)[1] == 6
    with pytest.raises(PayloadTooBig, match="frame with 4 bytes exceeds limit of 3"):
        decode(b"\x82\x04", 0, False, False, 3, None)
    with pytest.raises(PayloadTooBig, match="frame with 4 bytes exceeds limit of 3"):
        decode(b"\x89\x04", 0, False, False, None, 3)
    # Huge and negative limits behave like Python integers.
    assert decode(b"\x82\x00", 0, False, False, 2**100, 2**100)[1] == 2
    with pytest.raises(PayloadTooBig):
        decode(b"\x82\x00", 0, False, False, -(2**100), None)
    with pytest.raises(PayloadTooBig):
        decode(b"\x82\x00", 0, False, False, -1, None)


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize("position", [-1, 3, 2**64])
def test_decode_frame_position_outside_of_data(
    decode: DecodeFunction, position: int
) -> None:
    with pytest.raises(ValueError, match="position must be within data"):
        decode(b"\x82\x00", position, False, False, None, None)


@pytest.mark.parametrize("iterator", ITERATORS)
def test_frame_decoder(iterator: type[frames.PyFrameDecoder]) -> None:
    data = b"\x82\x01a\x02\x01b\x80\x01c\x82\x01"
    decoder = iterator(data, 0, False, False, 1, None)
    assert iter(decoder) is decoder
    assert next(decoder) == Frame(OP_BINARY, b"a")
    assert decoder.position == 3
    assert decoder.max_size == 1
    decoder.max_size = None
    assert decoder.max_size is None
    assert list(decoder) == [Frame(OP_BINARY, b"b", fin=False), Frame(OP_CONT, b"c")]
    # It stops at the incomplete frame and goes on when the data grows.
    assert decoder.position == 9
    assert list(decoder) == []
    decoder.max_size = 0
    assert decoder.max_size == 0
    with pytest.raises(PayloadTooBig):
        next(decoder)
    assert decoder.position == 9


@pytest.mark.parametrize("iterator", ITERATORS)
def test_frame_decoder_over_a_bytearray_that_changes(
    iterator: type[frames.PyFrameDecoder],
) -> None:
    buffer = bytearray(b"\x82\x01a\x82")
    decoder = iterator(buffer, 0, False, False, None, None)
    assert next(decoder) == Frame(OP_BINARY, b"a")
    # The decoder doesn't hold on to the buffer between frames.
    buffer += b"\x01b"
    assert next(decoder) == Frame(OP_BINARY, b"b")
    del buffer[:]
    with pytest.raises(ValueError, match="position must be within data"):
        next(decoder)


@requires_speedups
def test_c_decode_frame_argument_errors() -> None:
    with pytest.raises(TypeError, match="exactly 6 arguments"):
        _speedups.decode_frame(b"", 0, False, False, None)  # type: ignore[call-arg]
    for arguments in [
        ("", 0, False, False, None, None),
        (b"", "0", False, False, None, None),
        (b"", 0, False, False, "1", None),
        (b"", 0, False, False, None, "1"),
    ]:
        with pytest.raises(TypeError):
            _speedups.decode_frame(*arguments)  # type: ignore[arg-type]
    for iterator_arguments in [
        (b"",),
        ("", 0, False, False, None, None),
        (b"", "0", False, False, None, None),
        (b"", 0, False, False, "1", None),
    ]:
        with pytest.raises(TypeError):
            next(_speedups.FrameDecoder(*iterator_arguments))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no keyword arguments"):
        _speedups.FrameDecoder(b"", 0, False, False, None, max_control_size=None)  # type: ignore[call-arg]
    decoder = _speedups.FrameDecoder(b"", 0, False, False, None, None)
    with pytest.raises(TypeError):
        decoder.max_size = "1"  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        del decoder.max_size
    with pytest.raises(AttributeError):
        decoder.position = 1

    class Unbooleanable:
        def __bool__(self) -> bool:
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        _speedups.decode_frame(b"", 0, Unbooleanable(), False, None, None)  # type: ignore[arg-type]
    with pytest.raises(ZeroDivisionError):
        _speedups.FrameDecoder(b"", 0, False, Unbooleanable(), None, None)  # type: ignore[arg-type]


@requires_speedups
def test_c_decoders_need_the_frame_class() -> None:
    # ws_frames.frames hands its Frame class over to the compiled module as
    # soon as it defines it; until then, the decoders can't build frames.
    script = (
        "from ws_frames import _speedups\n"
        "for call in [\n"
        "    lambda: _speedups.decode_frame(b'', 0, False, False, None, None),\n"
        "    lambda: next(_speedups.FrameDecoder(b'', 0, False, False, None, None)),\n"
        "]:\n"
        "    try:\n"
        "        call()\n"
        "    except RuntimeError as exc:\n"
        "        print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout == "import ws_frames.frames first\n" * 2


@requires_speedups
def test_c_set_frame_types_argument_errors() -> None:
    with pytest.raises(TypeError, match="exactly 2 arguments"):
        _speedups.set_frame_types(Frame)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="a tuple of 16 items"):
        _speedups.set_frame_types(Frame, frames._OPCODES[:8])
    with pytest.raises(TypeError, match="a tuple of 16 items"):
        _speedups.set_frame_types(Frame, list(frames._OPCODES))  # type: ignore[arg-type]
    _speedups.set_frame_types(Frame, frames._OPCODES)
    assert _speedups.decode_frame(b"\x82\x00", 0, False, False, None, None) == (
        Frame(OP_BINARY, b""),
        2,
    )


@requires_speedups
def test_c_decoders_build_frames_like_python() -> None:
    for data in [b"\x81\x02hi", b"\x71\x00"]:
        compiled, _ = _speedups.decode_frame(data, 0, False, True, None, None)
        python, _ = frames.py_decode_frame(data, 0, False, True, None, None)
        assert type(compiled) is Frame
        assert vars(compiled) == vars(python)


class Tagged(Frame):
    """A frame class with its own __new__."""

    tag: str

    def __new__(cls, *args: object) -> Tagged:
        frame = super().__new__(cls)
        frame.tag = "new"
        return frame


class Refused(Frame):
    """A frame class whose __init__ fails."""

    def __init__(self, *args: object) -> None:
        raise ValueError("refused")


@requires_speedups
def test_c_decoders_build_frames_of_other_classes() -> None:
    try:
        _speedups.set_frame_types(Tagged, frames._OPCODES)
        frame, _ = _speedups.decode_frame(b"\x81\x02hi", 0, False, False, None, None)
        assert isinstance(frame, Tagged)
        assert frame.tag == "new" and frame == Tagged(OP_TEXT, b"hi")
        _speedups.set_frame_types(Refused, frames._OPCODES)
        with pytest.raises(ValueError, match="refused"):
            _speedups.decode_frame(b"\x81\x02hi", 0, False, False, None, None)
    finally:
        _speedups.set_frame_types(Frame, frames._OPCODES)


def outcome(call: Callable[[], object]) -> object:
    """What a call returns, or the type and message of what it raises."""
    try:
        return call()
    except (ProtocolError, PayloadTooBig, ValueError) as exc:
        return type(exc), str(exc)


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """A frame, valid or not, with a header built from random fields."""
    head1 = draw(st.integers(0, 255))
    masked = draw(st.booleans())
    size = draw(st.sampled_from([0, 1, 2, 125, 126, 300, 65535, 65536, 70_000]))
    encoding = draw(st.sampled_from(["minimal", "16 bits", "64 bits", "msb"]))
    if encoding == "minimal":
        header = frames.py_serialize_frame(head1, b"", None)[:1]
        if size < 126:
            header += bytes([size])
        elif size < 65536:
            header += b"\x7e" + size.to_bytes(2, "big")
        else:
            header += b"\x7f" + size.to_bytes(8, "big")
    elif encoding == "16 bits":
        header = bytes([head1, 126]) + (size % 65536).to_bytes(2, "big")
    elif encoding == "64 bits":
        header = bytes([head1, 127]) + size.to_bytes(8, "big")
    else:
        header = bytes([head1, 127]) + (size | 1 << 63).to_bytes(8, "big")
    if masked:
        header = bytes([header[0], header[1] | 0x80]) + header[2:] + b"\x01\x02\x03\x04"
    return header + draw(st.binary(min_size=0, max_size=min(size, 300)))


streams = st.lists(headers() | st.binary(max_size=20), max_size=6).map(b"".join)
limits = st.none() | st.integers(min_value=0, max_value=70_000)


@requires_speedups
@settings(max_examples=500, deadline=None)
@given(
    data=streams,
    mask=st.booleans(),
    extensions=st.booleans(),
    max_size=limits,
    max_control_size=limits,
)
def test_c_and_python_decoders_agree(
    data: bytes,
    mask: bool,
    extensions: bool,
    max_size: int | None,
    max_control_size: int | None,
) -> None:
    arguments = (mask, extensions, max_size, max_control_size)
    # At every position, on every prefix: the same frame or the same error.
    for stop in {0, 1, 2, len(data) // 2, max(len(data) - 1, 0), len(data)}:
        prefix = data[:stop]
        for position in range(len(prefix) + 1):
            python = outcome(
                functools.partial(frames.py_decode_frame, prefix, position, *arguments)
            )
            compiled = outcome(
                functools.partial(_speedups.decode_frame, prefix, position, *arguments)
            )
            assert compiled == python


def run_iterator(
    iterator: type[frames.PyFrameDecoder],
    chunks: list[bytes],
    mask: bool,
    extensions: bool,
    max_size: int | None,
) -> list[object]:
    """Decode chunks as they arrive into a buffer, as Protocol does."""
    results: list[object] = []
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        decoder = iterator(buffer, 0, mask, extensions, max_size, None)
        try:
            results.extend(decoder)
        except (ProtocolError, PayloadTooBig) as exc:
            results.append((type(exc), str(exc)))
            return results
        results.append(decoder.position)
        del buffer[: decoder.position]
    return results


@requires_speedups
@settings(max_examples=300, deadline=None)
@given(
    data=streams,
    cuts=st.lists(st.integers(min_value=0), max_size=8),
    mask=st.booleans(),
    extensions=st.booleans(),
    max_size=limits,
)
def test_c_and_python_iterators_agree_on_any_chunking(
    data: bytes,
    cuts: list[int],
    mask: bool,
    extensions: bool,
    max_size: int | None,
) -> None:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    chunks = [data[a:b] for a, b in zip(points, points[1:], strict=False)]
    arguments = (mask, extensions, max_size)
    assert run_iterator(_speedups.FrameDecoder, chunks, *arguments) == run_iterator(
        frames.PyFrameDecoder, chunks, *arguments
    )
    # Decoding in one go gives the same frames as any chunking.
    whole = run_iterator(frames.PyFrameDecoder, [data], *arguments)
    pieces = run_iterator(frames.PyFrameDecoder, chunks, *arguments)
    assert [item for item in pieces if isinstance(item, Frame)] == [
        item for item in whole if isinstance(item, Frame)
    ]


@settings(max_examples=200, deadline=None)
@given(
    frame=frames_strategy,
    mask=st.booleans(),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_parse_with_any_chunking(frame: Frame, mask: bool, cuts: list[int]) -> None:
    # Frame.parse reads no further than the end of the frame, whatever
    # arrives when.
    data = frame.serialize(mask=mask) + b"next"
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    reader = StreamReader()
    parser = Frame.parse(reader.read_exact, mask=mask)
    for a, b in zip(points, points[1:], strict=False):
        reader.feed_data(data[a:b])
        try:
            next(parser)
        except StopIteration as exc:
            assert exc.value == frame
            break
    else:  # pragma: no cover
        raise AssertionError("the frame wasn't parsed")
    reader.feed_data(data[b:])
    assert reader.buffer == b"next"


class Subframe(Frame):
    pass


def test_parse_builds_subclasses() -> None:
    reader = StreamReader()
    reader.feed_data(b"\x81\x02hi")
    parser = Subframe.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as raised:
        next(parser)
    assert type(raised.value.value) is Subframe
    assert raised.value.value == Subframe(OP_TEXT, b"hi")


SerializeFunction = Callable[[int, BytesLike, "bytes | bytearray | None"], bytes]

SERIALIZERS: list[SerializeFunction] = [frames.py_serialize_frame]
if _speedups is not None:  # pragma: no branch
    SERIALIZERS.append(_speedups.serialize_frame)


@pytest.mark.parametrize("serialize_frame", SERIALIZERS)
@pytest.mark.parametrize(
    ("head1", "data", "mask", "result"),
    [
        (0x81, b"Hello", None, b"\x81\x05Hello"),
        (0x81, b"Hello", b"\x37\xfa\x21\x3d", b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"),
        (0x82, b"", None, b"\x82\x00"),
        (0x82, b"", b"abcd", b"\x82\x80abcd"),
        (0x02, b"\x00" * 126, None, b"\x02\x7e\x00\x7e" + b"\x00" * 126),
        (0x02, b"\x00" * 65535, b"\x00" * 4, b"\x02\xfe\xff\xff" + b"\x00" * 65539),
        (0x02, b"\x00" * 65536, None, b"\x02\x7f\x00\x00\x00\x00\x00\x01\x00\x00" + b"\x00" * 65536),
    ],
)  # fmt: skip
def test_serialize_frame(
    serialize_frame: SerializeFunction,
    head1: int,
    data: bytes,
    mask: bytes | None,
    result: bytes,
) -> None:
    assert serialize_frame(head1, data, mask) == result
    assert serialize_frame(head1, memoryview(data), mask) == result


@pytest.mark.parametrize("serialize_frame", SERIALIZERS)
def test_serialize_frame_odd_memoryviews(serialize_frame: SerializeFunction) -> None:
    # The payload is the bytes of the view in order; so is the masking key.
    for data in odd_views(b"Hello!"):
        assert serialize_frame(0x81, data, None) == b"\x81\x06Hello!"
    for mask in odd_views(b"\x37\xfa\x21\x3d"):
        assert serialize_frame(0x81, b"Hello", mask) == (  # type: ignore[arg-type]
            b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
        )


@pytest.mark.parametrize("decode", DECODERS)
def test_decode_frame_odd_memoryviews(decode: DecodeFunction) -> None:
    for data in odd_views(add_mask(b"\x82\x04spam", b"\x01\x02\x03\x04")):
        assert decode(data, 0, True, False, None, None) == (
            Frame(OP_BINARY, b"spam"),
            10,
        )


def test_frame_serialize_odd_memoryviews() -> None:
    for data in odd_views(b"spam"):
        assert Frame(OP_BINARY, data).serialize(mask=False) == b"\x82\x04spam"


@pytest.mark.parametrize("serialize_frame", SERIALIZERS)
def test_serialize_frame_errors(serialize_frame: SerializeFunction) -> None:
    with pytest.raises(ValueError, match="head1 must be in range"):
        serialize_frame(256, b"", None)
    with pytest.raises(ValueError, match="head1 must be in range"):
        serialize_frame(-1, b"", None)
    with pytest.raises(ValueError, match="mask must contain 4 bytes"):
        serialize_frame(0x82, b"", b"abc")


@requires_speedups
def test_c_serialize_frame_argument_errors() -> None:
    with pytest.raises(TypeError, match="exactly 3 arguments"):
        _speedups.serialize_frame(0x82, b"")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _speedups.serialize_frame("0x82", b"", None)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        _speedups.serialize_frame(2**100, b"", None)
    with pytest.raises(TypeError):
        _speedups.serialize_frame(0x82, "", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _speedups.serialize_frame(0x82, b"", "abcd")  # type: ignore[arg-type]


large_binary = st.tuples(
    st.binary(min_size=1, max_size=8), st.integers(min_value=65530, max_value=65540)
).map(lambda pattern_size: (pattern_size[0] * pattern_size[1])[: pattern_size[1]])


@requires_speedups
@settings(max_examples=150, deadline=None)
@given(
    head1=st.integers(min_value=0, max_value=255),
    data=st.binary(max_size=300) | large_binary,
    mask=st.none() | st.binary(min_size=4, max_size=4),
)
def test_c_and_python_serializers_agree(
    head1: int, data: bytes, mask: bytes | None
) -> None:
    assert _speedups.serialize_frame(head1, data, mask) == frames.py_serialize_frame(
        head1, data, mask
    )

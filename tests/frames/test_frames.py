from __future__ import annotations

import codecs
import dataclasses
from collections.abc import Generator, Sequence

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames import frames
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
from ws_frames.typing import ExtensionName

from .utils import ZERO_MASK, add_mask, enforce_mask


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
        (b"\x83\x00", "invalid opcode: 3"),
        (b"\x87\x00", "invalid opcode: 7"),
        (b"\x8b\x00", "invalid opcode: 11"),
        (b"\x8f\x00", "invalid opcode: 15"),
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
    with pytest.raises(ProtocolError, match="invalid status code: 1005"):
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
    with pytest.raises(ProtocolError, match=f"invalid status code: {code}"):
        Close(code, "").serialize()
    with pytest.raises(ProtocolError, match=f"invalid status code: {code}"):
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


def test_parse_is_a_generator() -> None:
    parser: Generator[None, None, Frame] = Frame.parse(
        StreamReader().read_exact, mask=False
    )
    next(parser)  # waits for data

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings, strategies as st

from ws_asyncio.legacy.framing import (
    Frame,
    encode_data,
    parse_close,
    prepare_ctrl,
    prepare_data,
    serialize_close,
)
from ws_frames import frames
from ws_frames.exceptions import PayloadTooBig, ProtocolError
from ws_frames.frames import Opcode


def read_frame(
    chunks: list[bytes],
    *,
    mask: bool,
    max_size: int | None = None,
) -> Frame:
    async def run() -> Frame:
        reader = asyncio.StreamReader()
        for chunk in chunks:
            reader.feed_data(chunk)
        reader.feed_eof()
        return await Frame.read(reader.readexactly, mask=mask, max_size=max_size)

    return asyncio.run(run())


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    positions = sorted({cut % (len(data) + 1) for cut in cuts})
    bounds = [0, *positions, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


payloads = st.binary(max_size=300) | st.builds(
    lambda size, byte: bytes([byte]) * size,
    st.integers(126, 70000),
    st.integers(0, 255),
)

data_frames = st.one_of(
    st.builds(
        lambda fin, opcode, data: Frame(fin, opcode, data),
        st.booleans(),
        st.sampled_from([Opcode.CONT, Opcode.TEXT, Opcode.BINARY]),
        payloads,
    ),
    st.builds(
        lambda opcode, data: Frame(True, opcode, data),
        st.sampled_from([Opcode.PING, Opcode.PONG]),
        st.binary(max_size=125),
    ),
)


@settings(max_examples=60, deadline=None)
@given(frame=data_frames, mask=st.booleans(), cuts=st.lists(st.integers(0, 10**6)))
def test_write_then_read_round_trip(frame: Frame, mask: bool, cuts: list[int]) -> None:
    written: list[bytes] = []
    frame.write(written.append, mask=mask)
    assert len(written) == 1
    parsed = read_frame(split(written[0], cuts), mask=mask)
    assert parsed == frame


@settings(max_examples=60, deadline=None)
@given(frame=data_frames)
def test_write_produces_the_shared_codec_bytes(frame: Frame) -> None:
    written: list[bytes] = []
    frame.write(written.append, mask=False)
    new_frame = frames.Frame(
        frame.opcode, frame.data, frame.fin, frame.rsv1, frame.rsv2, frame.rsv3
    )
    assert written == [new_frame.serialize(mask=False)]


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=40), mask=st.booleans())
def test_read_garbage_raises_only_documented_errors(data: bytes, mask: bool) -> None:
    try:
        read_frame([data], mask=mask, max_size=16)
    except (
        asyncio.IncompleteReadError,
        ProtocolError,
        PayloadTooBig,
        UnicodeDecodeError,
    ):
        pass


def test_read_unmasked_frame_when_mask_expected() -> None:
    with pytest.raises(ProtocolError):
        read_frame([b"\x81\x02hi"], mask=True)


def test_read_frame_over_max_size() -> None:
    with pytest.raises(PayloadTooBig):
        read_frame([b"\x82\x05hello"], mask=False, max_size=4)


def test_read_truncated_frame() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        read_frame([b"\x82\x05hel"], mask=False)


def test_new_frame_str_and_check() -> None:
    frame = Frame(True, Opcode.TEXT, b"caf\xc3\xa9")
    assert frame.new_frame == frames.Frame(Opcode.TEXT, b"caf\xc3\xa9")
    assert str(frame) == str(frame.new_frame)
    frame.check()
    with pytest.raises(ProtocolError):
        Frame(True, Opcode.TEXT, b"", rsv2=True).check()


def test_write_invalid_frame() -> None:
    with pytest.raises(ProtocolError):
        Frame(False, Opcode.PING, b"").write(lambda data: None, mask=False)


class ReverseExtension:
    """Toy extension that sets rsv1 and reverses payloads."""

    name = "x-reverse"

    def decode(
        self, frame: frames.Frame, *, max_size: int | None = None
    ) -> frames.Frame:
        assert frame.rsv1
        return frames.Frame(frame.opcode, bytes(frame.data)[::-1], frame.fin)

    def encode(self, frame: frames.Frame) -> frames.Frame:
        return frames.Frame(frame.opcode, bytes(frame.data)[::-1], frame.fin, rsv1=True)


def test_extensions_are_applied_both_ways() -> None:
    extension = ReverseExtension()
    written: list[bytes] = []
    Frame(True, Opcode.BINARY, b"abc").write(
        written.append,
        mask=False,
        extensions=[extension],  # type: ignore[list-item]
    )
    assert written == [b"\xc2\x03cba"]

    async def run() -> Frame:
        reader = asyncio.StreamReader()
        reader.feed_data(written[0])
        return await Frame.read(
            reader.readexactly,
            mask=False,
            extensions=[extension],  # type: ignore[list-item]
        )

    assert asyncio.run(run()) == Frame(True, Opcode.BINARY, b"abc")


@given(text=st.text())
def test_prepare_data_text(text: str) -> None:
    assert prepare_data(text) == (Opcode.TEXT, text.encode())


@given(data=st.binary())
def test_prepare_data_bytes_like(data: bytes) -> None:
    assert prepare_data(data) == (Opcode.BINARY, data)
    assert prepare_data(bytearray(data)) == (Opcode.BINARY, bytearray(data))
    view = memoryview(data)
    assert prepare_data(view) == (Opcode.BINARY, view)


def test_prepare_data_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="data must be str or bytes-like"):
        prepare_data(None)  # type: ignore[arg-type]


@given(data=st.one_of(st.text(), st.binary()))
def test_prepare_ctrl(data: str | bytes) -> None:
    expected = data.encode() if isinstance(data, str) else data
    assert prepare_ctrl(data) == expected
    assert type(prepare_ctrl(data)) is bytes
    if isinstance(data, bytes):
        assert prepare_ctrl(bytearray(data)) == expected
        assert prepare_ctrl(memoryview(data)) == expected


def test_prepare_ctrl_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        prepare_ctrl(42)  # type: ignore[arg-type]


def test_encode_data_is_prepare_ctrl() -> None:
    assert encode_data is prepare_ctrl


close_codes = st.sampled_from([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011])
close_codes = close_codes | st.integers(3000, 4999)


@given(code=close_codes, reason=st.text(max_size=30))
def test_close_round_trip(code: int, reason: str) -> None:
    data = serialize_close(code, reason)
    assert data[:2] == code.to_bytes(2, "big")
    assert parse_close(data) == (code, reason)


def test_parse_close_empty() -> None:
    assert parse_close(b"") == (1005, "")


def test_parse_close_errors() -> None:
    with pytest.raises(ProtocolError):
        parse_close(b"\x03")
    with pytest.raises(ProtocolError):
        parse_close(b"\x03\xe7")  # 999
    with pytest.raises(UnicodeDecodeError):
        parse_close(b"\x03\xe8\xff")


def test_serialize_close_invalid_code() -> None:
    with pytest.raises(ProtocolError):
        serialize_close(999, "")

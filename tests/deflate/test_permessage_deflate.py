"""Tests of :mod:`ws_deflate.permessage_deflate` (RFC 7692)."""

from __future__ import annotations

import dataclasses
import itertools
import tracemalloc
import zlib
from collections.abc import Generator, Sequence
from typing import Any, Literal

import pytest
from hypothesis import given, settings, strategies as st

from ws_deflate.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
    enable_client_permessage_deflate,
    enable_server_permessage_deflate,
    get_permessage_deflate,
)
from ws_frames.exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from ws_frames.extensions import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from ws_frames.frames import Frame, Opcode
from ws_frames.typing import ExtensionName, ExtensionParameter


OP_CONT, OP_TEXT, OP_BINARY = Opcode.CONT, Opcode.TEXT, Opcode.BINARY
OP_CLOSE, OP_PING, OP_PONG = Opcode.CLOSE, Opcode.PING, Opcode.PONG


# Helpers


def extension(
    remote_no_context_takeover: bool = False,
    local_no_context_takeover: bool = False,
    remote_max_window_bits: int = 15,
    local_max_window_bits: int = 15,
    compress_settings: dict[Any, Any] | None = None,
) -> PerMessageDeflate:
    return PerMessageDeflate(
        remote_no_context_takeover,
        local_no_context_takeover,
        remote_max_window_bits,
        local_max_window_bits,
        compress_settings,
    )


def negotiate(
    client_factory: ClientPerMessageDeflateFactory,
    server_factory: ServerPerMessageDeflateFactory,
) -> tuple[PerMessageDeflate, PerMessageDeflate, list[ExtensionParameter]]:
    """Run the negotiation; return the client and server extensions."""
    response, server_extension = server_factory.process_request_params(
        client_factory.get_request_params(), []
    )
    client_extension = client_factory.process_response_params(response, [])
    return client_extension, server_extension, response


def read_from(data: bytes) -> Any:
    """Build a ``read_exact`` coroutine for :meth:`Frame.parse` over ``data``."""
    position = 0

    def read_exact(size: int) -> Generator[None, None, bytes]:
        nonlocal position
        if position + size > len(data):
            raise EOFError("not enough data")
        position += size
        return data[position - size : position]
        yield  # pragma: no cover

    return read_exact


def transfer(
    frame: Frame,
    sender: PerMessageDeflate,
    receiver: PerMessageDeflate,
    *,
    mask: bool = True,
    max_size: int | None = None,
) -> tuple[bytes, Frame]:
    """Send a frame through the wire format; return the bytes and the frame."""
    data = frame.serialize(mask=mask, extensions=[sender])
    parser = Frame.parse(
        read_from(data), mask=mask, max_size=max_size, extensions=[receiver]
    )
    try:
        next(parser)
    except StopIteration as exc:
        received: Frame = exc.value
    else:  # pragma: no cover
        raise AssertionError("parser needs more data")
    return data, received


def compress(data: bytes, wbits: int = 15, **settings: Any) -> bytes:
    """Compress one message as RFC 7692 describes."""
    compressor = zlib.compressobj(wbits=-wbits, **settings)
    return (compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))[:-4]


# PerMessageDeflate: construction


def test_name() -> None:
    assert PerMessageDeflate.name == "permessage-deflate"
    assert ClientPerMessageDeflateFactory.name == "permessage-deflate"
    assert ServerPerMessageDeflateFactory.name == "permessage-deflate"


def test_is_extension() -> None:
    assert isinstance(extension(), Extension)
    assert isinstance(ClientPerMessageDeflateFactory(), ClientExtensionFactory)
    assert isinstance(ServerPerMessageDeflateFactory(), ServerExtensionFactory)


def test_attributes() -> None:
    ext = extension(True, False, 10, 12, {"memLevel": 4})
    assert ext.remote_no_context_takeover is True
    assert ext.local_no_context_takeover is False
    assert ext.remote_max_window_bits == 10
    assert ext.local_max_window_bits == 12
    assert ext.compress_settings == {"memLevel": 4}
    assert ext.decoder is None
    assert ext.encoder is None
    assert ext.decode_cont_data is False
    assert ext.encode_cont_data is False
    assert ext.compress_next_message is True
    assert ext.compression_threshold == 0


def test_lazy_compressor_and_decompressor() -> None:
    sender, receiver = extension(), extension()
    assert sender.encoder is None and receiver.decoder is None
    frame = sender.encode(Frame(OP_TEXT, b"Hello"))
    encoder = sender.encoder
    assert encoder is not None and sender.decoder is None
    receiver.decode(frame)
    decoder = receiver.decoder
    assert decoder is not None and receiver.encoder is None
    # With context takeover, they last for the whole connection.
    receiver.decode(sender.encode(Frame(OP_TEXT, b"Hello")))
    assert sender.encoder is encoder and receiver.decoder is decoder
    # Uncompressed messages don't create them.
    assert receiver.decode(Frame(OP_TEXT, b"Hello")).data == b"Hello"
    assert receiver.encoder is None


def test_receiving_only_holds_no_compressor() -> None:
    sender = extension(compress_settings={"memLevel": 9})
    frames = [sender.encode(Frame(OP_BINARY, bytes(range(256)) * 64)) for _ in range(2)]
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        receiver = extension(compress_settings={"memLevel": 9})
        for frame in frames:
            receiver.decode(frame)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A 15-bit decompressor, about 39 KiB; a compressor would add 390 KiB.
    assert after - before < 64 * 1024


def test_default_compress_settings() -> None:
    assert extension().compress_settings == {}


def test_repr() -> None:
    assert repr(extension(True, False, 10, 12)) == (
        "PerMessageDeflate(remote_no_context_takeover=True, "
        "local_no_context_takeover=False, remote_max_window_bits=10, "
        "local_max_window_bits=12)"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("yes", False, 15, 15),
        (False, 1, 15, 15),
    ],
)
def test_invalid_no_context_takeover(args: tuple[Any, ...]) -> None:
    with pytest.raises(TypeError, match="must be a bool"):
        PerMessageDeflate(*args)


@pytest.mark.parametrize(
    "args",
    [
        (False, False, 7, 15),
        (False, False, 15, 16),
        (False, False, "15", 15),
        (False, False, 15, 12.0),
        (False, False, True, 15),
    ],
)
def test_invalid_max_window_bits(args: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError, match="must be an integer between 8 and 15"):
        PerMessageDeflate(*args)


def test_invalid_compress_settings() -> None:
    with pytest.raises(ValueError, match="must not include wbits"):
        extension(compress_settings={"wbits": 12})
    with pytest.raises(TypeError, match="must be a dict"):
        extension(compress_settings=[("level", 1)])  # type: ignore[arg-type]


# PerMessageDeflate: RFC 7692 section 7.2.3, examples, byte for byte


def test_rfc_7_2_3_1_encode_one_block() -> None:
    ext = extension()
    frame = ext.encode(Frame(OP_TEXT, b"Hello"))
    assert frame == Frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)
    data = Frame(OP_TEXT, b"Hello").serialize(mask=False, extensions=[extension()])
    assert data == bytes.fromhex("c107f248cdc9c90700")


def test_rfc_7_2_3_1_decode_one_block() -> None:
    ext = extension()
    frame = ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True))
    assert frame == Frame(OP_TEXT, b"Hello")


def test_rfc_7_2_3_1_decode_fragmented() -> None:
    ext = extension()
    first = ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cd"), fin=False, rsv1=True))
    last = ext.decode(Frame(OP_CONT, bytes.fromhex("c9c90700")))
    assert bytes(first.data) + bytes(last.data) == b"Hello"
    assert first.rsv1 is False and first.fin is False
    assert last.rsv1 is False and last.fin is True


def test_rfc_7_2_3_1_wire_format() -> None:
    ext = extension()
    parser = Frame.parse(
        read_from(bytes.fromhex("c107f248cdc9c90700")), mask=False, extensions=[ext]
    )
    with pytest.raises(StopIteration) as raised:
        next(parser)
    assert raised.value.value == Frame(OP_TEXT, b"Hello")


def test_rfc_7_2_3_2_sharing_window_encode() -> None:
    ext = extension()
    assert ext.encode(Frame(OP_TEXT, b"Hello")).data == bytes.fromhex("f248cdc9c90700")
    assert ext.encode(Frame(OP_TEXT, b"Hello")).data == bytes.fromhex("f200110000")


def test_rfc_7_2_3_2_sharing_window_decode() -> None:
    ext = extension()
    first = ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True))
    second = ext.decode(Frame(OP_TEXT, bytes.fromhex("f200110000"), rsv1=True))
    assert first.data == second.data == b"Hello"


def test_rfc_7_2_3_2_no_context_takeover_encode() -> None:
    ext = extension(local_no_context_takeover=True)
    for _ in range(2):
        assert ext.encode(Frame(OP_TEXT, b"Hello")).data == bytes.fromhex(
            "f248cdc9c90700"
        )
        assert ext.encoder is None


def test_rfc_7_2_3_2_no_context_takeover_decode() -> None:
    ext = extension(remote_no_context_takeover=True)
    for _ in range(2):
        frame = ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True))
        assert frame.data == b"Hello"
        assert ext.decoder is None


def test_rfc_7_2_3_2_no_context_takeover_rejects_back_reference() -> None:
    ext = extension(remote_no_context_takeover=True)
    ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True))
    with pytest.raises(ProtocolError, match="invalid compressed data"):
        ext.decode(Frame(OP_TEXT, bytes.fromhex("f200110000"), rsv1=True))


def test_rfc_7_2_3_3_no_compression_block() -> None:
    ext = extension()
    frame = ext.decode(
        Frame(OP_TEXT, bytes.fromhex("000500faff48656c6c6f00"), rsv1=True)
    )
    assert frame.data == b"Hello"


def test_rfc_7_2_3_4_bfinal_block() -> None:
    ext = extension()
    frame = ext.decode(Frame(OP_TEXT, bytes.fromhex("f348cdc9c9070000"), rsv1=True))
    assert frame.data == b"Hello"
    # The peer ended its deflate stream; the next message starts a new one.
    frame = ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True))
    assert frame.data == b"Hello"


def test_rfc_7_2_3_4_bfinal_block_in_fragment() -> None:
    ext = extension()
    first = ext.decode(
        Frame(OP_TEXT, bytes.fromhex("f348cdc9c90700"), fin=False, rsv1=True)
    )
    last = ext.decode(Frame(OP_CONT, bytes.fromhex("f248cdc9c90700")))
    assert bytes(first.data) + bytes(last.data) == b"HelloHello"


def test_rfc_7_2_3_5_two_blocks() -> None:
    ext = extension()
    frame = ext.decode(
        Frame(OP_TEXT, bytes.fromhex("f24805000000ffffcac9c90700"), rsv1=True)
    )
    assert frame.data == b"Hello"


def test_rfc_7_2_3_6_empty_fragment() -> None:
    ext = extension()
    first = ext.encode(Frame(OP_TEXT, b"Hello", fin=False))
    last = ext.encode(Frame(OP_CONT, b""))
    assert first == Frame(
        OP_TEXT, bytes.fromhex("f248cdc9c907000000ffff"), fin=False, rsv1=True
    )
    assert last == Frame(OP_CONT, bytes.fromhex("00"))
    receiver = extension()
    assert (
        bytes(receiver.decode(first).data) + bytes(receiver.decode(last).data)
        == b"Hello"
    )


def test_empty_message() -> None:
    sender, receiver = extension(), extension()
    frame = sender.encode(Frame(OP_BINARY, b""))
    assert frame == Frame(OP_BINARY, b"\x00", rsv1=True)
    assert receiver.decode(frame) == Frame(OP_BINARY, b"")


# PerMessageDeflate: frames that pass through


@pytest.mark.parametrize("opcode", [OP_CLOSE, OP_PING, OP_PONG])
def test_control_frames_pass_through(opcode: Opcode) -> None:
    ext = extension()
    frame = Frame(opcode, b"\x03\xe8")
    assert ext.encode(frame) is frame
    assert ext.decode(frame) is frame


def test_control_frame_with_rsv1_keeps_it() -> None:
    ext = extension()
    frame = Frame(OP_PING, b"", rsv1=True)
    assert ext.decode(frame) is frame
    with pytest.raises(ProtocolError, match="reserved bits must be 0"):
        ext.decode(frame).check()


def test_control_frames_interleaved() -> None:
    sender, receiver = extension(), extension()
    frames = [
        Frame(OP_TEXT, b"Hel", fin=False),
        Frame(OP_PING, b"ping"),
        Frame(OP_CONT, b"lo"),
    ]
    encoded = [sender.encode(frame) for frame in frames]
    assert [frame.rsv1 for frame in encoded] == [True, False, False]
    assert encoded[1] == frames[1]
    decoded = [receiver.decode(frame) for frame in encoded]
    assert decoded[1] == frames[1]
    assert bytes(decoded[0].data) + bytes(decoded[2].data) == b"Hello"


def test_uncompressed_message_passes_through() -> None:
    ext = extension()
    for frame in [
        Frame(OP_TEXT, b"Hello"),
        Frame(OP_BINARY, b"Hel", fin=False),
        Frame(OP_CONT, b"lo"),
    ]:
        assert ext.decode(frame) is frame


def test_rsv1_on_continuation_frame_is_kept() -> None:
    # RFC 7692 section 6.1: RSV1 is only set on the first frame.
    ext = extension()
    ext.decode(Frame(OP_TEXT, bytes.fromhex("f248cd"), fin=False, rsv1=True))
    frame = ext.decode(Frame(OP_CONT, bytes.fromhex("c9c90700"), rsv1=True))
    assert frame.rsv1 is True
    with pytest.raises(ProtocolError, match="reserved bits must be 0"):
        frame.check()


def test_rsv1_on_continuation_of_uncompressed_message_is_kept() -> None:
    ext = extension()
    ext.decode(Frame(OP_TEXT, b"Hel", fin=False))
    frame = Frame(OP_CONT, b"lo", rsv1=True)
    assert ext.decode(frame) is frame


def test_rsv2_rsv3_are_kept() -> None:
    sender, receiver = extension(), extension()
    frame = sender.encode(Frame(OP_TEXT, b"Hello", rsv2=True, rsv3=True))
    assert (frame.rsv1, frame.rsv2, frame.rsv3) == (True, True, True)
    frame = receiver.decode(frame)
    assert (frame.rsv1, frame.rsv2, frame.rsv3) == (False, True, True)


def test_decode_memoryview() -> None:
    ext = extension()
    data = memoryview(bytes.fromhex("f248cdc9c90700"))
    assert ext.decode(Frame(OP_TEXT, data, rsv1=True)).data == b"Hello"


def test_decode_bytearray() -> None:
    ext = extension()
    data = bytearray.fromhex("f248cdc9c90700")
    assert ext.decode(Frame(OP_TEXT, data, rsv1=True)).data == b"Hello"


def test_encode_memoryview() -> None:
    sender, receiver = extension(), extension()
    frame = sender.encode(Frame(OP_BINARY, memoryview(b"\x00" * 100)))
    assert receiver.decode(frame).data == b"\x00" * 100


# PerMessageDeflate: context takeover across messages


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_context_takeover_compression_ratio(no_context_takeover: bool) -> None:
    message = b"a fairly long message that repeats itself from one send to the next"
    sender = extension(local_no_context_takeover=no_context_takeover)
    receiver = extension(remote_no_context_takeover=no_context_takeover)
    sizes = []
    for _ in range(3):
        frame = sender.encode(Frame(OP_TEXT, message))
        sizes.append(len(frame.data))
        assert receiver.decode(frame).data == message
    if no_context_takeover:
        assert sizes[0] == sizes[1] == sizes[2]
    else:
        assert sizes[1] < sizes[0] // 4


def test_no_context_takeover_fragmented() -> None:
    sender = extension(local_no_context_takeover=True)
    receiver = extension(remote_no_context_takeover=True)
    for _ in range(2):
        first = sender.encode(Frame(OP_BINARY, b"spam " * 10, fin=False))
        assert sender.encoder is not None
        middle = sender.encode(Frame(OP_CONT, b"eggs " * 10, fin=False))
        last = sender.encode(Frame(OP_CONT, b"spam " * 10))
        assert sender.encoder is None
        data = b"".join(bytes(receiver.decode(f).data) for f in [first, middle])
        assert receiver.decoder is not None
        data += bytes(receiver.decode(last).data)
        assert receiver.decoder is None
        assert data == b"spam " * 10 + b"eggs " * 10 + b"spam " * 10


# PerMessageDeflate: window bits


@pytest.mark.parametrize("bits", range(9, 16))
def test_window_bits_limit_distances(bits: int) -> None:
    # Data that repeats at a distance of exactly 2 ** bits bytes: a sender
    # limited to `bits` can't refer back to it, so a receiver with that window
    # decodes it.
    block = bytes(range(256)) * (2**bits // 256)
    sender = extension(local_max_window_bits=bits)
    receiver = extension(remote_max_window_bits=bits)
    frame = sender.encode(Frame(OP_BINARY, block * 4))
    assert receiver.decode(frame).data == block * 4


def test_window_bits_8_sends_uncompressed() -> None:
    # zlib can't compress raw deflate with a 256-byte window.
    ext = extension(local_max_window_bits=8)
    assert ext.encoder is None
    frame = Frame(OP_TEXT, b"Hello" * 100)
    assert ext.encode(frame) is frame
    first = Frame(OP_TEXT, b"Hello", fin=False)
    last = Frame(OP_CONT, b"Hello")
    assert ext.encode(first) is first
    assert ext.encode(last) is last


def test_window_bits_8_no_context_takeover_sends_uncompressed() -> None:
    ext = extension(local_no_context_takeover=True, local_max_window_bits=8)
    frame = Frame(OP_TEXT, b"Hello" * 100)
    assert ext.encode(frame) is frame
    assert ext.encoder is None


def test_window_bits_8_decodes() -> None:
    # A peer limited to 256 bytes.
    ext = extension(remote_max_window_bits=8)
    message = bytes(range(200)) * 10
    assert ext.decode(Frame(OP_BINARY, compress(message, 9), rsv1=True)).data == message


def test_window_bits_8_tolerates_zlib_512_byte_window() -> None:
    # Some compressors asked for 8 bits use 9; decoding still works.
    ext = extension(remote_max_window_bits=8)
    message = bytes(range(256)) * 2 + bytes(range(256))[::-1] + bytes(range(256)) * 2
    assert ext.decode(Frame(OP_BINARY, compress(message, 9), rsv1=True)).data == message


def test_window_too_small_for_peer_fails() -> None:
    # Within one message, zlib reaches back into its output buffer; across
    # messages, only into its window: a reference 1024 bytes back fails.
    sender = extension(local_max_window_bits=15)
    receiver = extension(remote_max_window_bits=9)
    message = bytes(range(256)) * 2 + bytes(range(255, -1, -1)) * 2
    assert receiver.decode(sender.encode(Frame(OP_BINARY, message))).data == message
    with pytest.raises(ProtocolError, match="invalid compressed data"):
        receiver.decode(sender.encode(Frame(OP_BINARY, message)))


# PerMessageDeflate: compress settings


def test_compress_settings() -> None:
    message = bytes(range(256)) * 64
    fast = extension(compress_settings={"level": 0})
    best = extension(compress_settings={"level": 9})
    assert len(fast.encode(Frame(OP_BINARY, message)).data) > len(message)
    assert len(best.encode(Frame(OP_BINARY, message)).data) < len(message) // 10


def test_compress_settings_no_context_takeover() -> None:
    ext = extension(local_no_context_takeover=True, compress_settings={"level": 0})
    message = bytes(range(256)) * 64
    assert len(ext.encode(Frame(OP_BINARY, message)).data) > len(message)


# PerMessageDeflate: per-message control


def test_compress_next_message_false() -> None:
    sender, receiver = extension(), extension()
    sender.compress_next_message = False
    frame = Frame(OP_BINARY, b"already compressed")
    assert sender.encode(frame) is frame
    assert sender.compress_next_message is True
    # The following message is compressed, and decodes: the uncompressed one
    # didn't enter either context.
    assert receiver.decode(frame) is frame
    compressed = sender.encode(Frame(OP_BINARY, b"Hello"))
    assert compressed.rsv1
    assert receiver.decode(compressed).data == b"Hello"


def test_compress_next_message_false_fragmented() -> None:
    sender = extension()
    sender.compress_next_message = False
    frames = [
        Frame(OP_TEXT, b"Hel", fin=False),
        Frame(OP_CONT, b"l", fin=False),
        Frame(OP_CONT, b"o"),
    ]
    for frame in frames:
        assert sender.encode(frame) is frame
    assert sender.encode(Frame(OP_TEXT, b"Hello")).rsv1


def test_compress_next_message_ignores_control_frames() -> None:
    sender = extension()
    sender.compress_next_message = False
    sender.encode(Frame(OP_PING, b""))
    assert sender.compress_next_message is False
    frame = Frame(OP_TEXT, b"Hello")
    assert sender.encode(frame) is frame


def test_compress_next_message_no_context_takeover() -> None:
    sender = extension(local_no_context_takeover=True)
    sender.compress_next_message = False
    frame = Frame(OP_BINARY, b"Hello")
    assert sender.encode(frame) is frame
    assert sender.encoder is None


def test_uncompressed_context_manager() -> None:
    sender = extension()
    with sender.uncompressed():
        assert sender.compress_next_message is False
        frame = Frame(OP_BINARY, b"Hello")
        assert sender.encode(frame) is frame
    assert sender.compress_next_message is True
    assert sender.encode(Frame(OP_BINARY, b"Hello")).rsv1


def test_uncompressed_context_manager_resets_on_error() -> None:
    sender = extension()
    with pytest.raises(RuntimeError), sender.uncompressed():
        raise RuntimeError("sending failed before the message started")
    assert sender.compress_next_message is True
    assert sender.encode(Frame(OP_BINARY, b"Hello")).rsv1


def test_uncompressed_context_manager_fragmented() -> None:
    sender, receiver = extension(), extension()
    with sender.uncompressed():
        first = sender.encode(Frame(OP_TEXT, b"Hel", fin=False))
    last = sender.encode(Frame(OP_CONT, b"lo"))
    assert not first.rsv1
    assert (first.data, last.data) == (b"Hel", b"lo")
    assert receiver.decode(first) is first
    assert receiver.decode(last) is last


@pytest.mark.parametrize(
    ("size", "compressed"), [(0, False), (9, False), (10, True), (100, True)]
)
def test_compression_threshold(size: int, compressed: bool) -> None:
    sender, receiver = extension(), extension()
    sender.compression_threshold = 10
    frame = sender.encode(Frame(OP_TEXT, b"x" * size))
    assert frame.rsv1 is compressed
    assert receiver.decode(frame).data == b"x" * size


def test_compression_threshold_fragmented() -> None:
    # The total size of a fragmented message isn't known: compress it.
    sender, receiver = extension(), extension()
    sender.compression_threshold = 1000
    first = sender.encode(Frame(OP_TEXT, b"x", fin=False))
    last = sender.encode(Frame(OP_CONT, b"y"))
    assert first.rsv1
    assert (
        bytes(receiver.decode(first).data) + bytes(receiver.decode(last).data) == b"xy"
    )


def test_get_permessage_deflate() -> None:
    ext = extension()

    class OtherExtension(Extension):
        name = ExtensionName("x-other")

    other = OtherExtension()
    assert get_permessage_deflate([other, ext]) is ext
    assert get_permessage_deflate([other]) is None
    assert get_permessage_deflate([]) is None


# PerMessageDeflate: size limits and bombs


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_decode_exactly_max_size(no_context_takeover: bool) -> None:
    ext = extension(remote_no_context_takeover=no_context_takeover)
    frame = Frame(OP_BINARY, compress(b"\x00" * 1000), rsv1=True)
    assert ext.decode(frame, max_size=1000).data == b"\x00" * 1000


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_decode_over_max_size(no_context_takeover: bool) -> None:
    ext = extension(remote_no_context_takeover=no_context_takeover)
    frame = Frame(OP_BINARY, compress(b"\x00" * 1001), rsv1=True)
    with pytest.raises(PayloadTooBig) as raised:
        ext.decode(frame, max_size=1000)
    assert raised.value.max_size == 1000
    assert str(raised.value) == "frame exceeds limit of 1000 bytes"


def test_decode_max_size_zero() -> None:
    ext = extension()
    assert ext.decode(Frame(OP_BINARY, b"\x00", rsv1=True), max_size=0).data == b""
    with pytest.raises(PayloadTooBig):
        ext.decode(Frame(OP_BINARY, compress(b"x"), rsv1=True), max_size=0)


def test_decode_max_size_with_trailing_empty_blocks() -> None:
    # Exactly max_size bytes followed by empty blocks that produce nothing.
    data = compress(b"\x00" * 1000)
    data += bytes.fromhex("0000ffff000000ffff00")
    ext = extension()
    assert (
        ext.decode(Frame(OP_BINARY, data, rsv1=True), max_size=1000).data
        == b"\x00" * 1000
    )


def test_decode_fragmented_max_size() -> None:
    # The protocol passes what remains of the message's budget for each frame.
    sender, receiver = extension(), extension()
    first = sender.encode(Frame(OP_BINARY, b"\x00" * 600, fin=False))
    last = sender.encode(Frame(OP_CONT, b"\x00" * 600))
    assert len(receiver.decode(first, max_size=1000).data) == 600
    with pytest.raises(PayloadTooBig):
        receiver.decode(last, max_size=400)


def test_decode_bomb_bounded_memory() -> None:
    # 64 MiB of zeros deflate to about 64 KiB; inflating stops at the limit.
    compressor = zlib.compressobj(wbits=-15)
    chunk = b"\x00" * 2**20
    bomb = b"".join(compressor.compress(chunk) for _ in range(64))
    bomb += compressor.flush(zlib.Z_SYNC_FLUSH)
    bomb = bomb[:-4]
    assert len(bomb) < 2**17
    ext = extension()
    frame = Frame(OP_BINARY, bomb, rsv1=True)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooBig):
            ext.decode(frame, max_size=2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


def test_decode_without_max_size() -> None:
    ext = extension()
    frame = Frame(OP_BINARY, compress(b"\x00" * 2**20), rsv1=True)
    assert len(ext.decode(frame).data) == 2**20


# PerMessageDeflate: invalid data


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",  # reserved block type 11
        b"\x07\x00",  # reserved block type 11, as bits
        bytes.fromhex("000500fbff48656c6c6f"),  # stored block with bad NLEN
        bytes.fromhex("f200110000"),  # back reference without a context
    ],
)
def test_decode_invalid_data(data: bytes) -> None:
    ext = extension()
    with pytest.raises(ProtocolError, match="invalid compressed data") as raised:
        ext.decode(Frame(OP_BINARY, data, rsv1=True))
    assert isinstance(raised.value.__cause__, zlib.error)


def test_decode_invalid_data_in_continuation() -> None:
    ext = extension()
    ext.decode(
        Frame(OP_BINARY, bytes.fromhex("f248cdc9c907000000ffff"), fin=False, rsv1=True)
    )
    with pytest.raises(ProtocolError, match="invalid compressed data"):
        ext.decode(Frame(OP_CONT, b"\xff"))


@pytest.mark.parametrize(
    "frame",
    [
        # Valid deflate data after the first frame's sync flush.
        Frame(OP_TEXT, bytes.fromhex("aa0000"), rsv1=True),
        # Invalid there, valid alone.
        Frame(OP_TEXT, b"\x02\x00", rsv1=True),
        Frame(OP_BINARY, b"spam", fin=False),
    ],
    ids=["compressed", "invalid in context", "uncompressed"],
)
@pytest.mark.parametrize("no_context_takeover", [True, False])
def test_decode_message_inside_compressed_message(
    frame: Frame, no_context_takeover: bool
) -> None:
    # RFC 6455 section 5.4: a new message can't start before the last frame
    # of the one in progress.
    ext = extension(remote_no_context_takeover=no_context_takeover)
    ext.decode(
        Frame(OP_BINARY, bytes.fromhex("f248cdc9c907000000ffff"), fin=False, rsv1=True)
    )
    with pytest.raises(ProtocolError, match="expected a continuation frame") as raised:
        ext.decode(frame)
    assert type(raised.value) is ProtocolError
    # The message in progress goes on.
    assert ext.decode(Frame(OP_CONT, bytes.fromhex("520400"))).data == b"!"


@pytest.mark.parametrize("fin", [True, False])
def test_encode_continuation_of_wrong_type_changes_nothing(fin: bool) -> None:
    sender, receiver = extension(), extension()
    frames = [sender.encode(Frame(OP_BINARY, b"spam", fin=False))]
    with pytest.raises(TypeError):
        sender.encode(Frame(OP_CONT, "eggs", fin=fin))  # type: ignore[arg-type]
    # The message goes on, compressed, as if the frame had never come.
    frames.append(sender.encode(Frame(OP_CONT, b"ham")))
    assert [receiver.decode(frame).data for frame in frames] == [b"spam", b"ham"]


@settings(max_examples=300)
@given(
    data=st.binary(max_size=200),
    fin=st.booleans(),
    max_size=st.one_of(st.none(), st.integers(0, 1000)),
)
def test_decode_garbage(data: bytes, fin: bool, max_size: int | None) -> None:
    ext = extension()
    try:
        frame = ext.decode(
            Frame(OP_BINARY, data, fin=fin, rsv1=True), max_size=max_size
        )
    except (ProtocolError, PayloadTooBig):
        pass
    else:
        assert frame.rsv1 is False
        assert max_size is None or len(frame.data) <= max_size


# PerMessageDeflate: what any compressor may send


STRATEGIES = [
    zlib.Z_DEFAULT_STRATEGY,
    zlib.Z_FILTERED,
    zlib.Z_HUFFMAN_ONLY,
    zlib.Z_RLE,
    zlib.Z_FIXED,
]

payloads = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        lambda chunk, count: chunk * count,
        st.binary(min_size=1, max_size=20),
        st.integers(1, 300),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    messages=st.lists(payloads, min_size=1, max_size=3),
    bits=st.integers(9, 15),
    level=st.integers(0, 9),
    mem_level=st.integers(1, 9),
    strategy=st.sampled_from(STRATEGIES),
    cuts=st.lists(st.integers(0, 4000), max_size=4),
    full_flush=st.booleans(),
)
def test_decode_any_compressor(
    messages: list[bytes],
    bits: int,
    level: int,
    mem_level: int,
    strategy: int,
    cuts: list[int],
    full_flush: bool,
) -> None:
    # Whatever zlib settings the peer uses within the negotiated window, and
    # wherever its frames cut the compressed data, the messages come out.
    compressor = zlib.compressobj(level, zlib.DEFLATED, -bits, mem_level, strategy)
    receiver = extension(remote_max_window_bits=bits)
    for message in messages:
        data = compressor.compress(message)
        data += compressor.flush(zlib.Z_FULL_FLUSH if full_flush else zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        data = data[:-4]
        bounds = sorted({0, len(data), *(cut for cut in cuts if cut < len(data))})
        frames = [
            Frame(
                OP_BINARY if start == 0 else OP_CONT,
                data[start:end],
                fin=end == len(data),
                rsv1=start == 0,
            )
            for start, end in itertools.pairwise(bounds)
        ]
        decoded = b"".join(bytes(receiver.decode(frame).data) for frame in frames)
        assert decoded == message


@settings(max_examples=50, deadline=None)
@given(message=payloads, bits=st.integers(9, 15), padding=st.booleans())
def test_decode_stream_ended_with_bfinal(
    message: bytes, bits: int, padding: bool
) -> None:
    # Section 7.2.3.4: the peer may end each message with a final block,
    # and start a new stream for the next one.
    receiver = extension(remote_max_window_bits=bits)
    for _ in range(2):
        compressor = zlib.compressobj(wbits=-bits)
        data = compressor.compress(message) + compressor.flush(zlib.Z_FINISH)
        if padding:
            data += b"\x00"
        assert receiver.decode(Frame(OP_BINARY, data, rsv1=True)).data == message


# Negotiation: client factory


def test_client_factory_defaults() -> None:
    factory = ClientPerMessageDeflateFactory()
    assert factory.server_no_context_takeover is False
    assert factory.client_no_context_takeover is False
    assert factory.server_max_window_bits is None
    assert factory.client_max_window_bits is True
    assert factory.compress_settings == {}
    assert factory.compression_threshold == 0


def test_client_factory_repr() -> None:
    assert repr(ClientPerMessageDeflateFactory(server_max_window_bits=10)) == (
        "ClientPerMessageDeflateFactory(server_no_context_takeover=False, "
        "client_no_context_takeover=False, server_max_window_bits=10, "
        "client_max_window_bits=True, compress_settings={})"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"server_no_context_takeover": 1}, TypeError, "must be a bool"),
        ({"client_no_context_takeover": None}, TypeError, "must be a bool"),
        ({"server_max_window_bits": 7}, ValueError, "between 8 and 15"),
        ({"server_max_window_bits": 16}, ValueError, "between 8 and 15"),
        ({"server_max_window_bits": True}, ValueError, "between 8 and 15"),
        ({"client_max_window_bits": 16}, ValueError, "between 8 and 15"),
        ({"client_max_window_bits": False}, ValueError, "between 8 and 15"),
        (
            {"compress_settings": {"wbits": 10}},
            ValueError,
            "set client_max_window_bits",
        ),
        (
            {"compress_settings": {"memLevel": 10}},
            ValueError,
            "invalid compress_settings: Invalid initialization option",
        ),
        (
            {"compress_settings": {"speed": 1}},
            TypeError,
            "invalid compress_settings: .*speed",
        ),
        (
            {"compress_settings": {"level": "max"}},
            TypeError,
            "invalid compress_settings",
        ),
    ],
)
def test_client_factory_invalid(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ClientPerMessageDeflateFactory(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [
        ({"client_max_window_bits": None}, []),
        ({}, [("client_max_window_bits", None)]),
        (
            {"server_no_context_takeover": True, "client_max_window_bits": None},
            [("server_no_context_takeover", None)],
        ),
        (
            {"client_no_context_takeover": True, "client_max_window_bits": None},
            [("client_no_context_takeover", None)],
        ),
        (
            {"server_max_window_bits": 10, "client_max_window_bits": None},
            [("server_max_window_bits", "10")],
        ),
        ({"client_max_window_bits": 8}, [("client_max_window_bits", "8")]),
        (
            {
                "server_no_context_takeover": True,
                "client_no_context_takeover": True,
                "server_max_window_bits": 12,
                "client_max_window_bits": 13,
            },
            [
                ("server_no_context_takeover", None),
                ("client_no_context_takeover", None),
                ("server_max_window_bits", "12"),
                ("client_max_window_bits", "13"),
            ],
        ),
    ],
)
def test_client_get_request_params(
    kwargs: dict[str, Any], params: list[ExtensionParameter]
) -> None:
    assert ClientPerMessageDeflateFactory(**kwargs).get_request_params() == params


# (factory kwargs, response params, expected extension attributes or error)
CLIENT_RESPONSES: list[
    tuple[dict[str, Any], list[ExtensionParameter], tuple[bool, bool, int, int] | str]
] = [
    # Plain offer.
    ({}, [], (False, False, 15, 15)),
    ({}, [("server_no_context_takeover", None)], (True, False, 15, 15)),
    ({}, [("client_no_context_takeover", None)], (False, True, 15, 15)),
    ({}, [("server_max_window_bits", "10")], (False, False, 10, 15)),
    ({}, [("client_max_window_bits", "10")], (False, False, 15, 10)),
    ({}, [("client_max_window_bits", "8")], (False, False, 15, 8)),
    (
        {},
        [
            ("server_no_context_takeover", None),
            ("client_no_context_takeover", None),
            ("server_max_window_bits", "9"),
            ("client_max_window_bits", "11"),
        ],
        (True, True, 9, 11),
    ),
    # Invalid responses.
    (
        {},
        [("client_max_window_bits", None)],
        "missing value for parameter client_max_window_bits",
    ),
    (
        {},
        [("server_max_window_bits", None)],
        "missing value for parameter server_max_window_bits",
    ),
    (
        {},
        [("server_max_window_bits", "16")],
        "invalid value for parameter server_max_window_bits: 16",
    ),
    (
        {},
        [("server_max_window_bits", "7")],
        "invalid value for parameter server_max_window_bits: 7",
    ),
    (
        {},
        [("server_max_window_bits", "010")],
        "invalid value for parameter server_max_window_bits: 010",
    ),
    (
        {},
        [("server_max_window_bits", "")],
        "empty value for parameter server_max_window_bits",
    ),
    (
        {},
        [("client_max_window_bits", "1O")],
        "invalid value for parameter client_max_window_bits: 1O",
    ),
    (
        {},
        [("server_no_context_takeover", "")],
        "empty value for parameter server_no_context_takeover",
    ),
    (
        {},
        [("client_no_context_takeover", "on")],
        "invalid value for parameter client_no_context_takeover: on",
    ),
    (
        {},
        [("server_no_context_takeover", None)] * 2,
        "duplicate parameter: server_no_context_takeover",
    ),
    (
        {},
        [("client_max_window_bits", "9"), ("client_max_window_bits", "9")],
        "duplicate parameter: client_max_window_bits",
    ),
    ({}, [("x-unknown", None)], "invalid parameter name: x-unknown"),
    # server_no_context_takeover requested.
    (
        {"server_no_context_takeover": True},
        [("server_no_context_takeover", None)],
        (True, False, 15, 15),
    ),
    ({"server_no_context_takeover": True}, [], "expected server_no_context_takeover"),
    # client_no_context_takeover announced: applies even if not repeated.
    ({"client_no_context_takeover": True}, [], (False, True, 15, 15)),
    (
        {"client_no_context_takeover": True},
        [("client_no_context_takeover", None)],
        (False, True, 15, 15),
    ),
    # server_max_window_bits requested.
    (
        {"server_max_window_bits": 12},
        [("server_max_window_bits", "12")],
        (False, False, 12, 15),
    ),
    (
        {"server_max_window_bits": 12},
        [("server_max_window_bits", "8")],
        (False, False, 8, 15),
    ),
    (
        {"server_max_window_bits": 12},
        [("server_max_window_bits", "13")],
        "unsupported server_max_window_bits: 13",
    ),
    ({"server_max_window_bits": 12}, [], "expected server_max_window_bits"),
    # client_max_window_bits not offered.
    ({"client_max_window_bits": None}, [], (False, False, 15, 15)),
    (
        {"client_max_window_bits": None},
        [("client_max_window_bits", "10")],
        "unexpected client_max_window_bits",
    ),
    # client_max_window_bits offered with a value.
    ({"client_max_window_bits": 12}, [], (False, False, 15, 12)),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", "12")],
        (False, False, 15, 12),
    ),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", "10")],
        (False, False, 15, 10),
    ),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", "13")],
        "unsupported client_max_window_bits: 13",
    ),
]


@pytest.mark.parametrize(("kwargs", "params", "result"), CLIENT_RESPONSES)
def test_client_process_response_params(
    kwargs: dict[str, Any],
    params: list[ExtensionParameter],
    result: tuple[bool, bool, int, int] | str,
) -> None:
    factory = ClientPerMessageDeflateFactory(**kwargs)
    if isinstance(result, str):
        with pytest.raises(NegotiationError) as raised:
            factory.process_response_params(params, [])
        assert str(raised.value) == result
    else:
        ext = factory.process_response_params(params, [])
        assert (
            ext.remote_no_context_takeover,
            ext.local_no_context_takeover,
            ext.remote_max_window_bits,
            ext.local_max_window_bits,
        ) == result


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ([("server_no_context_takeover", None)] * 2, DuplicateParameter),
        ([("x", None)], InvalidParameterName),
        ([("server_max_window_bits", "x")], InvalidParameterValue),
    ],
)
def test_client_process_response_params_error_classes(
    params: list[ExtensionParameter], error: type[NegotiationError]
) -> None:
    with pytest.raises(error):
        ClientPerMessageDeflateFactory().process_response_params(params, [])


def test_client_process_response_params_duplicate_extension() -> None:
    factory = ClientPerMessageDeflateFactory()
    with pytest.raises(NegotiationError, match="received duplicate permessage-deflate"):
        factory.process_response_params([], [extension()])


def test_client_compress_settings_and_threshold() -> None:
    factory = ClientPerMessageDeflateFactory(compress_settings={"memLevel": 3})
    factory.compression_threshold = 42
    ext = factory.process_response_params([], [])
    assert ext.compress_settings == {"memLevel": 3}
    assert ext.compression_threshold == 42


# Negotiation: server factory


def test_server_factory_defaults() -> None:
    factory = ServerPerMessageDeflateFactory()
    assert factory.server_no_context_takeover is False
    assert factory.client_no_context_takeover is False
    assert factory.server_max_window_bits is None
    assert factory.client_max_window_bits is None
    assert factory.compress_settings == {}
    assert factory.require_client_max_window_bits is False
    assert factory.compression_threshold == 0


def test_server_factory_repr() -> None:
    assert repr(ServerPerMessageDeflateFactory(client_max_window_bits=10)) == (
        "ServerPerMessageDeflateFactory(server_no_context_takeover=False, "
        "client_no_context_takeover=False, server_max_window_bits=None, "
        "client_max_window_bits=10, compress_settings={}, "
        "require_client_max_window_bits=False)"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"server_no_context_takeover": "no"}, TypeError, "must be a bool"),
        ({"client_no_context_takeover": 0}, TypeError, "must be a bool"),
        ({"server_max_window_bits": 7}, ValueError, "between 8 and 15"),
        ({"client_max_window_bits": 16}, ValueError, "between 8 and 15"),
        ({"client_max_window_bits": True}, ValueError, "between 8 and 15"),
        (
            {"compress_settings": {"wbits": 10}},
            ValueError,
            "set server_max_window_bits",
        ),
        (
            {"compress_settings": {"strategy": 42}},
            ValueError,
            "invalid compress_settings: Invalid initialization option",
        ),
        ({"require_client_max_window_bits": 1}, TypeError, "must be a bool"),
        (
            {"require_client_max_window_bits": True},
            ValueError,
            "client_max_window_bits isn't configured",
        ),
    ],
)
def test_server_factory_invalid(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ServerPerMessageDeflateFactory(**kwargs)


# (factory kwargs, offer params, expected response params or error)
SERVER_OFFERS: list[
    tuple[dict[str, Any], list[ExtensionParameter], list[ExtensionParameter] | str]
] = [
    # Default server: accept offers as they are.
    ({}, [], []),
    (
        {},
        [("server_no_context_takeover", None)],
        [("server_no_context_takeover", None)],
    ),
    (
        {},
        [("client_no_context_takeover", None)],
        [("client_no_context_takeover", None)],
    ),
    ({}, [("server_max_window_bits", "10")], [("server_max_window_bits", "10")]),
    ({}, [("server_max_window_bits", "8")], [("server_max_window_bits", "8")]),
    ({}, [("client_max_window_bits", None)], []),
    ({}, [("client_max_window_bits", "10")], [("client_max_window_bits", "10")]),
    (
        {},
        [
            ("client_max_window_bits", "11"),
            ("server_max_window_bits", "9"),
            ("client_no_context_takeover", None),
            ("server_no_context_takeover", None),
        ],
        [
            ("server_no_context_takeover", None),
            ("client_no_context_takeover", None),
            ("server_max_window_bits", "9"),
            ("client_max_window_bits", "11"),
        ],
    ),
    # Invalid offers, which the server declines.
    (
        {},
        [("client_max_window_bits", "")],
        "empty value for parameter client_max_window_bits",
    ),
    (
        {},
        [("client_max_window_bits", "16")],
        "invalid value for parameter client_max_window_bits: 16",
    ),
    (
        {},
        [("server_max_window_bits", None)],
        "missing value for parameter server_max_window_bits",
    ),
    (
        {},
        [("server_max_window_bits", "7")],
        "invalid value for parameter server_max_window_bits: 7",
    ),
    (
        {},
        [("server_max_window_bits", "09")],
        "invalid value for parameter server_max_window_bits: 09",
    ),
    (
        {},
        [("server_max_window_bits", " 9")],
        "invalid value for parameter server_max_window_bits:  9",
    ),
    (
        {},
        [("server_no_context_takeover", "1")],
        "invalid value for parameter server_no_context_takeover: 1",
    ),
    (
        {},
        [("client_no_context_takeover", "")],
        "empty value for parameter client_no_context_takeover",
    ),
    (
        {},
        [("client_no_context_takeover", None)] * 2,
        "duplicate parameter: client_no_context_takeover",
    ),
    (
        {},
        [("server_max_window_bits", "9"), ("server_max_window_bits", "10")],
        "duplicate parameter: server_max_window_bits",
    ),
    (
        {},
        [("client_max_window_bits", None), ("client_max_window_bits", "10")],
        "duplicate parameter: client_max_window_bits",
    ),
    ({}, [("max_window_bits", "10")], "invalid parameter name: max_window_bits"),
    # server_no_context_takeover configured: always in the response.
    ({"server_no_context_takeover": True}, [], [("server_no_context_takeover", None)]),
    (
        {"server_no_context_takeover": True},
        [("server_no_context_takeover", None)],
        [("server_no_context_takeover", None)],
    ),
    # client_no_context_takeover configured: always in the response.
    ({"client_no_context_takeover": True}, [], [("client_no_context_takeover", None)]),
    (
        {"client_no_context_takeover": True},
        [("client_no_context_takeover", None)],
        [("client_no_context_takeover", None)],
    ),
    # server_max_window_bits configured.
    ({"server_max_window_bits": 12}, [], [("server_max_window_bits", "12")]),
    (
        {"server_max_window_bits": 12},
        [("server_max_window_bits", "13")],
        [("server_max_window_bits", "12")],
    ),
    (
        {"server_max_window_bits": 12},
        [("server_max_window_bits", "12")],
        [("server_max_window_bits", "12")],
    ),
    (
        {"server_max_window_bits": 12},
        [("server_max_window_bits", "10")],
        [("server_max_window_bits", "10")],
    ),
    # client_max_window_bits configured.
    ({"client_max_window_bits": 12}, [], []),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", None)],
        [("client_max_window_bits", "12")],
    ),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", "13")],
        [("client_max_window_bits", "12")],
    ),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", "12")],
        [("client_max_window_bits", "12")],
    ),
    (
        {"client_max_window_bits": 12},
        [("client_max_window_bits", "10")],
        [("client_max_window_bits", "10")],
    ),
    # client_max_window_bits required.
    (
        {"client_max_window_bits": 12, "require_client_max_window_bits": True},
        [],
        "required client_max_window_bits",
    ),
    (
        {"client_max_window_bits": 12, "require_client_max_window_bits": True},
        [("client_max_window_bits", None)],
        [("client_max_window_bits", "12")],
    ),
    (
        {"client_max_window_bits": 12, "require_client_max_window_bits": True},
        [("client_max_window_bits", "9")],
        [("client_max_window_bits", "9")],
    ),
]


@pytest.mark.parametrize(("kwargs", "params", "result"), SERVER_OFFERS)
def test_server_process_request_params(
    kwargs: dict[str, Any],
    params: list[ExtensionParameter],
    result: list[ExtensionParameter] | str,
) -> None:
    factory = ServerPerMessageDeflateFactory(**kwargs)
    if isinstance(result, str):
        with pytest.raises(NegotiationError) as raised:
            factory.process_request_params(params, [])
        assert str(raised.value) == result
    else:
        response, ext = factory.process_request_params(params, [])
        assert response == result
        # The client reads the response into the mirror image.
        client = ClientPerMessageDeflateFactory(
            *_offer_arguments(params)
        ).process_response_params(response, [])
        assert ext.remote_no_context_takeover == client.local_no_context_takeover
        assert ext.local_no_context_takeover == client.remote_no_context_takeover
        assert ext.remote_max_window_bits == client.local_max_window_bits
        assert ext.local_max_window_bits == client.remote_max_window_bits


def _offer_arguments(
    params: list[ExtensionParameter],
) -> tuple[bool, bool, int | None, int | Literal[True] | None]:
    """Arguments of a client factory that sends ``params``."""
    values = dict(params)
    client_max_window_bits: int | Literal[True] | None = None
    if "client_max_window_bits" in values:
        value = values["client_max_window_bits"]
        client_max_window_bits = True if value is None else int(value)
    server_max_window_bits = values.get("server_max_window_bits")
    return (
        "server_no_context_takeover" in values,
        "client_no_context_takeover" in values,
        None if server_max_window_bits is None else int(server_max_window_bits),
        client_max_window_bits,
    )


def test_server_process_request_params_duplicate_extension() -> None:
    factory = ServerPerMessageDeflateFactory()
    with pytest.raises(NegotiationError, match="skipped duplicate permessage-deflate"):
        factory.process_request_params([], [extension()])


def test_server_compress_settings_and_threshold() -> None:
    factory = ServerPerMessageDeflateFactory(compress_settings={"memLevel": 3})
    factory.compression_threshold = 42
    _, ext = factory.process_request_params([], [])
    assert ext.compress_settings == {"memLevel": 3}
    assert ext.compression_threshold == 42


def test_server_several_offers_in_preference_order() -> None:
    # RFC 7692 section 5: the server accepts the first offer it supports and
    # declines the others; an invalid offer is declined, not fatal.
    factory = ServerPerMessageDeflateFactory(
        client_max_window_bits=10, require_client_max_window_bits=True
    )
    offers: list[list[ExtensionParameter]] = [
        [("server_max_window_bits", "16")],
        [("x-unknown", None)],
        [("server_no_context_takeover", None)],
        [("client_max_window_bits", None), ("server_max_window_bits", "11")],
        [("client_max_window_bits", "9")],
    ]
    accepted: list[Extension] = []
    for params in offers:
        try:
            response, ext = factory.process_request_params(params, accepted)
        except NegotiationError:
            continue
        accepted.append(ext)
        assert response == [
            ("server_max_window_bits", "11"),
            ("client_max_window_bits", "10"),
        ]
    assert len(accepted) == 1


PARAMETER_NAMES = [
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
]

parameters = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(PARAMETER_NAMES), st.text(max_size=10)),
        st.one_of(
            st.none(),
            st.sampled_from(["8", "9", "12", "15"]),
            st.integers(-20, 100).map(str),
            st.text(max_size=5),
        ),
    ),
    max_size=5,
)


@settings(max_examples=200)
@given(offer=parameters, server_settings=st.sampled_from(SERVER_OFFERS))
def test_server_arbitrary_offer(
    offer: list[ExtensionParameter],
    server_settings: tuple[dict[str, Any], Any, Any],
) -> None:
    factory = ServerPerMessageDeflateFactory(**server_settings[0])
    try:
        response, ext = factory.process_request_params(offer, [])
    except NegotiationError:
        return
    # What the server accepts, a client that made this offer accepts too.
    client = ClientPerMessageDeflateFactory(*_offer_arguments(offer))
    client_ext = client.process_response_params(response, [])
    assert client_ext.local_max_window_bits == ext.remote_max_window_bits
    assert client_ext.remote_max_window_bits == ext.local_max_window_bits


@settings(max_examples=200)
@given(response=parameters, client_settings=st.sampled_from(CLIENT_RESPONSES))
def test_client_arbitrary_response(
    response: list[ExtensionParameter],
    client_settings: tuple[dict[str, Any], Any, Any],
) -> None:
    factory = ClientPerMessageDeflateFactory(**client_settings[0])
    try:
        ext = factory.process_response_params(response, [])
    except NegotiationError:
        return
    assert 8 <= ext.local_max_window_bits <= 15
    assert 8 <= ext.remote_max_window_bits <= 15


# Negotiation: every combination of client and server settings


CLIENT_SETTINGS = list(
    itertools.product(
        [False, True], [False, True], [None, 8, 10, 15], [None, True, 8, 10, 15]
    )
)
SERVER_SETTINGS = [
    (snct, cnct, smwb, cmwb, require)
    for snct, cnct, smwb, cmwb, require in itertools.product(
        [False, True],
        [False, True],
        [None, 8, 10, 15],
        [None, 8, 10, 15],
        [False, True],
    )
    if cmwb is not None or not require
]


@pytest.mark.parametrize("server_settings", SERVER_SETTINGS, ids=str)
def test_every_combination(
    server_settings: tuple[bool, bool, int | None, int | None, bool],
) -> None:
    snct, cnct, smwb, cmwb, require = server_settings
    server_factory = ServerPerMessageDeflateFactory(
        snct, cnct, smwb, cmwb, require_client_max_window_bits=require
    )
    for client_settings in CLIENT_SETTINGS:
        client_factory = ClientPerMessageDeflateFactory(*client_settings)
        c_snct, c_cnct, c_smwb, c_cmwb = client_settings
        if require and c_cmwb is None:
            with pytest.raises(
                NegotiationError, match="required client_max_window_bits"
            ):
                negotiate(client_factory, server_factory)
            continue
        client, server, response = negotiate(client_factory, server_factory)

        # Both sides agree.
        assert client.local_no_context_takeover == server.remote_no_context_takeover
        assert client.remote_no_context_takeover == server.local_no_context_takeover
        assert client.local_max_window_bits == server.remote_max_window_bits
        assert client.remote_max_window_bits == server.local_max_window_bits

        # Each side gets what it asked for.
        assert server.local_no_context_takeover == (snct or c_snct)
        assert server.remote_no_context_takeover == (cnct or c_cnct)
        if smwb is not None:
            assert server.local_max_window_bits <= smwb
        if c_smwb is not None:
            assert server.local_max_window_bits <= c_smwb
        if c_cmwb is None:
            assert client.local_max_window_bits == 15
            assert "client_max_window_bits" not in dict(response)
        elif c_cmwb is not True:
            assert client.local_max_window_bits <= c_cmwb
        if cmwb is not None and c_cmwb is not None:
            assert client.local_max_window_bits <= cmwb

        # Messages go through in both directions, twice for context takeover.
        for sender, receiver in [(client, server), (server, client)]:
            for message in [b"Hello, world! " * 20, b"Hello, world! " * 20]:
                frame = receiver.decode(sender.encode(Frame(OP_BINARY, message)))
                assert frame.data == message


# Round trips through a negotiated pair, on the wire


NEGOTIATIONS = [
    ({}, {}),
    (
        {"compress_settings": {"memLevel": 5}},
        {
            "server_max_window_bits": 12,
            "client_max_window_bits": 12,
            "compress_settings": {"memLevel": 5},
        },
    ),
    ({"server_no_context_takeover": True, "client_no_context_takeover": True}, {}),
    ({}, {"server_no_context_takeover": True, "client_no_context_takeover": True}),
    ({"server_max_window_bits": 9, "client_max_window_bits": 9}, {}),
    ({}, {"server_max_window_bits": 8, "client_max_window_bits": 8}),
    ({"client_max_window_bits": None}, {"compress_settings": {"level": 1}}),
]


@st.composite
def fragmented_messages(
    draw: st.DrawFn,
) -> list[tuple[Opcode, bytes, list[int], bool]]:
    """Messages as (opcode, payload, cut points, compressed)."""
    messages = []
    for _ in range(draw(st.integers(1, 5))):
        opcode = draw(st.sampled_from([OP_TEXT, OP_BINARY]))
        if opcode is OP_TEXT:
            payload = draw(st.text(max_size=300)).encode()
        else:
            payload = draw(
                st.one_of(
                    st.binary(max_size=300),
                    st.builds(
                        lambda b, n: b * n,
                        st.binary(min_size=1, max_size=10),
                        st.integers(1, 500),
                    ),
                )
            )
        cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=4)))
        messages.append((opcode, payload, cuts, draw(st.booleans())))
    return messages


def split(opcode: Opcode, payload: bytes, cuts: list[int]) -> list[Frame]:
    bounds = [0, *cuts, len(payload)]
    pieces = [payload[start:end] for start, end in itertools.pairwise(bounds)]
    return [
        Frame(opcode if index == 0 else OP_CONT, piece, fin=index == len(pieces) - 1)
        for index, piece in enumerate(pieces)
    ]


@pytest.mark.parametrize(("client_kwargs", "server_kwargs"), NEGOTIATIONS)
@settings(max_examples=40, deadline=None)
@given(
    messages=fragmented_messages(),
    client_to_server=st.booleans(),
    threshold=st.sampled_from([0, 0, 16, 1000]),
    pings=st.booleans(),
)
def test_round_trip(
    client_kwargs: dict[str, Any],
    server_kwargs: dict[str, Any],
    messages: list[tuple[Opcode, bytes, list[int], bool]],
    client_to_server: bool,
    threshold: int,
    pings: bool,
) -> None:
    client, server, _ = negotiate(
        ClientPerMessageDeflateFactory(**client_kwargs),
        ServerPerMessageDeflateFactory(**server_kwargs),
    )
    sender, receiver = (client, server) if client_to_server else (server, client)
    sender.compression_threshold = threshold
    for opcode, payload, cuts, compressed in messages:
        sender.compress_next_message = compressed
        received = []
        for index, frame in enumerate(split(opcode, payload, cuts)):
            data, decoded = transfer(frame, sender, receiver, mask=client_to_server)
            # RSV1 is on the first frame only, and only if compressed.
            rsv1 = bool(data[0] & 0x40)
            if index > 0:
                assert not rsv1
            elif not compressed or sender.local_max_window_bits == 8:
                assert not rsv1
            elif not cuts and len(payload) < threshold:
                assert not rsv1
            else:
                assert rsv1
            assert dataclasses.replace(decoded, data=b"") == dataclasses.replace(
                frame, data=b""
            )
            received.append(bytes(decoded.data))
            if pings:
                ping = Frame(OP_PING, b"ping")
                data, decoded = transfer(ping, sender, receiver, mask=client_to_server)
                assert not data[0] & 0x40
                assert decoded == ping
        assert b"".join(received) == payload


@pytest.mark.parametrize(("client_kwargs", "server_kwargs"), NEGOTIATIONS)
@settings(max_examples=20, deadline=None)
@given(
    payload=st.binary(max_size=2000),
    max_size=st.integers(0, 2000),
)
def test_round_trip_max_size(
    client_kwargs: dict[str, Any],
    server_kwargs: dict[str, Any],
    payload: bytes,
    max_size: int,
) -> None:
    client, server, _ = negotiate(
        ClientPerMessageDeflateFactory(**client_kwargs),
        ServerPerMessageDeflateFactory(**server_kwargs),
    )
    frame = client.encode(Frame(OP_BINARY, payload))
    if not frame.rsv1:
        # The frame parser limits the size of uncompressed frames.
        assert client.local_max_window_bits == 8
        assert server.decode(frame, max_size=max_size) is frame
    elif len(payload) <= max_size:
        assert server.decode(frame, max_size=max_size).data == payload
    else:
        with pytest.raises(PayloadTooBig):
            server.decode(frame, max_size=max_size)


window_limits = st.one_of(st.none(), st.integers(8, 15))

zlib_settings = st.fixed_dictionaries(
    {},
    optional={
        "level": st.integers(0, 9),
        "memLevel": st.integers(1, 9),
        "strategy": st.sampled_from(STRATEGIES),
    },
)


@st.composite
def factory_pairs(
    draw: st.DrawFn,
) -> tuple[ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory]:
    client = ClientPerMessageDeflateFactory(
        draw(st.booleans()),
        draw(st.booleans()),
        draw(window_limits),
        draw(st.one_of(st.just(True), window_limits)),
        draw(zlib_settings),
    )
    client_max_window_bits = draw(window_limits)
    server = ServerPerMessageDeflateFactory(
        draw(st.booleans()),
        draw(st.booleans()),
        draw(window_limits),
        client_max_window_bits,
        draw(zlib_settings),
        client_max_window_bits is not None and draw(st.booleans()),
    )
    return client, server


@settings(max_examples=100, deadline=None)
@given(factories=factory_pairs(), messages=fragmented_messages())
def test_arbitrary_settings_round_trip(
    factories: tuple[ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory],
    messages: list[tuple[Opcode, bytes, list[int], bool]],
) -> None:
    client_factory, server_factory = factories
    try:
        client, server, response = negotiate(client_factory, server_factory)
    except NegotiationError as exc:
        assert str(exc) == "required client_max_window_bits"
        assert server_factory.require_client_max_window_bits
        assert client_factory.client_max_window_bits is None
        return
    assert client.local_no_context_takeover == server.remote_no_context_takeover
    assert client.remote_no_context_takeover == server.local_no_context_takeover
    assert client.local_max_window_bits == server.remote_max_window_bits
    assert client.remote_max_window_bits == server.local_max_window_bits
    for sender, receiver, mask in [(client, server, True), (server, client, False)]:
        for opcode, payload, cuts, _ in messages:
            received = [
                bytes(transfer(frame, sender, receiver, mask=mask)[1].data)
                for frame in split(opcode, payload, cuts)
            ]
            assert b"".join(received) == payload


# enable_*_permessage_deflate


def test_enable_client_permessage_deflate_none() -> None:
    extensions = enable_client_permessage_deflate(None)
    assert len(extensions) == 1
    factory = extensions[0]
    assert isinstance(factory, ClientPerMessageDeflateFactory)
    assert factory.client_max_window_bits is True
    assert factory.server_max_window_bits is None
    assert factory.compress_settings == {"memLevel": 5}


def test_enable_client_permessage_deflate_adds() -> None:
    class OtherFactory(ClientExtensionFactory):
        name = ExtensionName("x-other")

    other = OtherFactory()
    original: list[ClientExtensionFactory] = [other]
    extensions = enable_client_permessage_deflate(original)
    assert extensions[0] is other
    assert isinstance(extensions[1], ClientPerMessageDeflateFactory)
    assert original == [other]


def test_enable_client_permessage_deflate_keeps_existing() -> None:
    factory = ClientPerMessageDeflateFactory(server_max_window_bits=10)
    extensions: Sequence[ClientExtensionFactory] = [factory]
    assert enable_client_permessage_deflate(extensions) is extensions


def test_enable_server_permessage_deflate_none() -> None:
    extensions = enable_server_permessage_deflate(None)
    assert len(extensions) == 1
    factory = extensions[0]
    assert isinstance(factory, ServerPerMessageDeflateFactory)
    assert factory.server_max_window_bits == 12
    assert factory.client_max_window_bits == 12
    assert factory.compress_settings == {"memLevel": 5}


def test_enable_server_permessage_deflate_adds() -> None:
    class OtherFactory(ServerExtensionFactory):
        name = ExtensionName("x-other")

    other = OtherFactory()
    extensions = enable_server_permessage_deflate([other])
    assert extensions[0] is other
    assert isinstance(extensions[1], ServerPerMessageDeflateFactory)


def test_enable_server_permessage_deflate_keeps_existing() -> None:
    factory = ServerPerMessageDeflateFactory(server_max_window_bits=10)
    extensions: Sequence[ServerExtensionFactory] = [factory]
    assert enable_server_permessage_deflate(extensions) is extensions


def test_enabled_defaults_negotiate() -> None:
    (client_factory,) = enable_client_permessage_deflate(None)
    (server_factory,) = enable_server_permessage_deflate(None)
    assert isinstance(client_factory, ClientPerMessageDeflateFactory)
    assert isinstance(server_factory, ServerPerMessageDeflateFactory)
    client, server, response = negotiate(client_factory, server_factory)
    assert response == [
        ("server_max_window_bits", "12"),
        ("client_max_window_bits", "12"),
    ]
    assert (client.local_max_window_bits, client.remote_max_window_bits) == (12, 12)
    assert (server.local_max_window_bits, server.remote_max_window_bits) == (12, 12)


def _allocated(create: Any) -> int:
    """Memory held by what ``create()`` returns after one message each way."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        objects = create()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del objects
    return int(after - before)


def test_enabled_defaults_memory() -> None:
    # The documented figures: about 38 KiB + 11 KiB on each side with the
    # defaults of both helpers.
    def connection() -> PerMessageDeflate:
        (client_factory,) = enable_client_permessage_deflate(None)
        (server_factory,) = enable_server_permessage_deflate(None)
        assert isinstance(client_factory, ClientPerMessageDeflateFactory)
        assert isinstance(server_factory, ServerPerMessageDeflateFactory)
        _, server, response = negotiate(client_factory, server_factory)
        message = bytes(range(256)) * 64
        frame = server.decode(server.encode(Frame(OP_BINARY, message)))
        assert frame.data == message
        return server

    def zlib_defaults() -> PerMessageDeflate:
        ext = extension()
        message = bytes(range(256)) * 256
        frame = ext.decode(ext.encode(Frame(OP_BINARY, message)))
        assert frame.data == message
        return ext

    small = _allocated(connection)
    large = _allocated(zlib_defaults)
    assert 40 * 1024 < small < 60 * 1024
    assert 250 * 1024 < large < 350 * 1024

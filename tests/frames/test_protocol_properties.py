"""
Properties of the sans-I/O protocol, checked with hypothesis: any chunking
of the input gives the same events, garbage only ever fails the connection
cleanly, and text is validated incrementally exactly like a UTF-8 decoder.

"""

from __future__ import annotations

import codecs
import functools

from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import (
    ConnectionClosed,
    PayloadTooBig,
    ProtocolError,
)
from ws_frames.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Close,
    Frame,
)
from ws_frames.protocol import (
    CLIENT,
    CLOSED,
    CLOSING,
    OPEN,
    SERVER,
    Protocol,
    Side,
    _TextChecker,
)

from .utils import ZERO_MASK, enforce_mask, python_codec


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


@st.composite
def messages(draw: st.DrawFn) -> list[Frame]:
    """Frames of a valid sequence of messages, possibly ending with a close."""
    frames: list[Frame] = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if draw(st.booleans()):
            opcode, payload = OP_TEXT, draw(st.text(max_size=300)).encode()
        else:
            opcode, payload = OP_BINARY, draw(st.binary(max_size=2000))
        fragments = split(payload, draw(st.lists(st.integers(min_value=0), max_size=3)))
        for index, fragment in enumerate(fragments):
            frames.append(
                Frame(
                    opcode if index == 0 else OP_CONT,
                    fragment,
                    fin=index == len(fragments) - 1,
                )
            )
            if draw(st.integers(min_value=0, max_value=4)) == 0:
                control = draw(st.sampled_from([OP_PING, OP_PONG]))
                frames.append(Frame(control, draw(st.binary(max_size=125))))
    if draw(st.booleans()):
        close = Close(draw(st.sampled_from([1000, 1001, 1011, 3000, 4999])), "bye")
        frames.append(Frame(OP_CLOSE, close.serialize()))
    return frames


def receive_all(
    side: Side, chunks: list[bytes]
) -> tuple[list[object], list[bytes], Protocol]:
    protocol = Protocol(side, max_size=None)
    events: list[object] = []
    writes: list[bytes] = []
    for chunk in chunks:
        protocol.receive_data(chunk)
        events.extend(protocol.events_received())
        writes.extend(protocol.data_to_send())
    return events, writes, protocol


@settings(max_examples=150, deadline=None)
@given(
    frames=messages(),
    side=st.sampled_from([SERVER, CLIENT]),
    cuts=st.lists(st.integers(min_value=0), max_size=20),
    as_bytearray=st.booleans(),
)
def test_any_chunking_gives_the_same_events(
    frames: list[Frame], side: Side, cuts: list[int], as_bytearray: bool
) -> None:
    # The peer masks its frames when it's a client, i.e. when side is SERVER.
    data = b"".join(frame.serialize(mask=side is SERVER) for frame in frames)
    chunks = split(data, cuts)
    if as_bytearray:
        chunks = [bytearray(chunk) for chunk in chunks]  # type: ignore[misc]
    with enforce_mask(ZERO_MASK):
        events, writes, protocol = receive_all(side, chunks)
        with python_codec():
            reference_events, reference_writes, _ = receive_all(side, [data])
    assert events == frames
    assert events == reference_events
    assert writes == reference_writes
    expected_state = CLOSING if frames and frames[-1].opcode is OP_CLOSE else OPEN
    assert protocol.state is expected_state


@settings(max_examples=150, deadline=None)
@given(frames=messages())
def test_client_and_server_talk(frames: list[Frame]) -> None:
    client, server = Protocol(CLIENT, max_size=None), Protocol(SERVER, max_size=None)
    for sender, receiver in [(client, server), (server, client)]:
        for frame in frames:
            if frame.opcode is OP_CLOSE:
                sender.send_close(Close.parse(frame.data).code, "bye")
            elif frame.opcode is OP_TEXT:
                sender.send_text(frame.data, fin=frame.fin)
            elif frame.opcode is OP_BINARY:
                sender.send_binary(frame.data, fin=frame.fin)
            elif frame.opcode is OP_CONT:
                sender.send_continuation(frame.data, fin=frame.fin)
            elif frame.opcode is OP_PING:
                sender.send_ping(frame.data)
            else:
                sender.send_pong(frame.data)
        for data in sender.data_to_send():
            if data:
                receiver.receive_data(data)
        assert receiver.events_received() == frames
        # The receiver answered each ping with a pong, and a close with a close.
        replies = [data for data in receiver.data_to_send() if data]
        pings = [frame for frame in frames if frame.opcode is OP_PING]
        closes = [frame for frame in frames if frame.opcode is OP_CLOSE]
        assert len(replies) == len(pings) + len(closes)
        if closes:
            return


@functools.cache
def utf8_prefixes() -> frozenset[bytes]:
    """Every proper prefix of the UTF-8 encoding of a multi-byte character."""
    prefixes = set()
    # The last byte of a character isn't part of any proper prefix, and it's
    # the low 6 bits of the code point: a step of 64 covers every prefix.
    for code_point in range(0x80, 0x110000, 64):
        if 0xD800 <= code_point < 0xE000:
            continue
        encoded = chr(code_point).encode()
        for size in range(1, len(encoded)):
            prefixes.add(encoded[:size])
    return frozenset(prefixes)


def can_begin_utf8(data: bytes) -> bool:
    """Whether some bytes appended to ``data`` make valid UTF-8."""
    for tail in range(0, min(3, len(data)) + 1):
        head = data[: len(data) - tail]
        if tail and data[len(data) - tail :] not in utf8_prefixes():
            continue
        try:
            head.decode()
        except UnicodeDecodeError:
            continue
        return True
    return False


utf8_ish = st.lists(
    st.text(max_size=4).map(str.encode) | st.binary(max_size=3),
    max_size=6,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(
    data=utf8_ish,
    cuts=st.lists(st.integers(min_value=0), max_size=6),
    side=st.sampled_from([SERVER, CLIENT]),
)
def test_utf8_validation_fails_fast(data: bytes, cuts: list[int], side: Side) -> None:
    fragments = split(data, cuts) or [b""]
    frames = [
        Frame(
            OP_TEXT if index == 0 else OP_CONT,
            fragment,
            fin=index == len(fragments) - 1,
        )
        for index, fragment in enumerate(fragments)
    ]
    chunks = [frame.serialize(mask=side is SERVER) for frame in frames]
    events, _, protocol = receive_all(side, chunks)

    # The first fragment that makes the message impossible to complete as
    # valid UTF-8 fails the connection with 1007; earlier ones are received.
    expected = len(frames)
    for index in range(len(fragments)):
        prefix = b"".join(fragments[: index + 1])
        final = index == len(fragments) - 1
        if not (can_begin_utf8(prefix) if not final else is_utf8(prefix)):
            expected = index
            break
    assert len(events) == expected
    if expected < len(frames):
        assert protocol.close_sent is not None
        assert protocol.close_sent.code == 1007
    else:
        assert protocol.state is OPEN


def is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=400),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
    side=st.sampled_from([SERVER, CLIENT]),
    max_size=st.none() | st.integers(min_value=0, max_value=200),
    masked=st.booleans(),
    compiled=st.booleans(),
)
def test_garbage_fails_cleanly(
    data: bytes,
    cuts: list[int],
    side: Side,
    max_size: int | None,
    masked: bool,
    compiled: bool,
) -> None:
    if compiled:
        check_garbage(data, cuts, side, max_size, masked)
    else:
        with python_codec():
            check_garbage(data, cuts, side, max_size, masked)


def check_garbage(
    data: bytes, cuts: list[int], side: Side, max_size: int | None, masked: bool
) -> None:
    if masked and len(data) > 1:
        # Set the masking bit as expected by this side, to go deeper than the
        # masking check.
        head2 = data[1] | 0x80 if side is SERVER else data[1] & 0x7F
        data = bytes([data[0], head2]) + data[2:]
    protocol = Protocol(side, max_size=max_size)
    for chunk in split(data, cuts):
        protocol.receive_data(chunk)  # never raises
        assert all(isinstance(event, Frame) for event in protocol.events_received())
    if protocol.parser_exc is not None:
        assert isinstance(
            protocol.parser_exc, (ProtocolError, PayloadTooBig, UnicodeDecodeError)
        )
        assert protocol.state is CLOSING
        assert protocol.close_sent is not None
        assert protocol.close_sent.code in {1002, 1007, 1009}
    protocol.receive_eof()
    assert protocol.state is CLOSED
    exc = protocol.close_exc
    assert isinstance(exc, ConnectionClosed)
    if protocol.parser_exc is not None:
        assert exc.__cause__ is protocol.parser_exc


@settings(deadline=None)
@given(frames=messages(), side=st.sampled_from([SERVER, CLIENT]))
def test_python_implementation(frames: list[Frame], side: Side) -> None:
    # The same frames through the pure-Python codec.
    with python_codec():
        data = b"".join(frame.serialize(mask=side is SERVER) for frame in frames)
        events, _, _ = receive_all(side, [data])
    assert events == frames


def test_incremental_decoder_is_strict_on_complete_characters() -> None:
    # Python's decoder waits for the end of a character that may be valid.
    decoder = codecs.getincrementaldecoder("utf-8")()
    assert decoder.decode(b"\xe2\x82", False) == ""
    assert decoder.decode(b"\xac", True) == "€"


@settings(max_examples=300, deadline=None)
@given(data=utf8_ish, cuts=st.lists(st.integers(min_value=0), max_size=6))
def test_utf8_validator_errors_match_the_decoder(data: bytes, cuts: list[int]) -> None:
    # The validator reports the error that decoding the whole text reports,
    # at the same place and with the same reason.
    fragments = split(data, cuts) or [b""]
    validator = _TextChecker()
    offset = 0
    for index, fragment in enumerate(fragments):
        pending = len(validator._decoder.getstate()[0])
        try:
            validator.feed(fragment, index == len(fragments) - 1)
        except UnicodeDecodeError as exc:
            error = exc
            break
        offset += len(fragment)
    else:
        assert is_utf8(data)
        return
    try:
        data.decode()
    except UnicodeDecodeError as whole:
        assert offset - pending + error.start == whole.start
        assert error.reason == whole.reason
    else:  # pragma: no cover
        raise AssertionError("the validator rejected valid UTF-8")

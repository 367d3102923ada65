"""
Tests of the data-transfer phase, by section of RFC 6455, for both sides.

Frames are written as literal, unmasked bytes; ``from_peer`` masks them with a
zero key when the server receives them and ``to_peer`` when the client sends
them under ``enforce_mask(ZERO_MASK)``.

"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Generator, Iterator

import pytest

from ws_frames import utils
from ws_frames.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidPayloadData,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
    TooManyFragments,
)
from ws_frames.extensions import Extension
from ws_frames.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Close,
    CloseCode,
    Frame,
)
from ws_frames.protocol import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    MAX_FRAGMENTS,
    OPEN,
    SEND_EOF,
    SERVER,
    Event,
    Protocol,
    Side,
    State,
)
from ws_frames.typing import ExtensionName

from .utils import (
    ZERO_MASK,
    enforce_mask,
    from_peer,
    odd_views,
    python_codec,
    to_peer,
)


SIDES = [SERVER, CLIENT]


@pytest.fixture(autouse=True)
def zero_mask() -> Iterator[None]:
    with enforce_mask(ZERO_MASK):
        yield


@pytest.fixture(autouse=True, params=["compiled", "python"])
def implementation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test with the compiled codec, then with the pure-Python one."""
    if request.param == "compiled":
        if not utils.SPEEDUPS:  # pragma: no cover
            pytest.skip("the C speed-up isn't compiled")
        yield
    else:
        with python_codec():
            yield


def frames_received(protocol: Protocol) -> list[Frame]:
    events: list[Event] = protocol.events_received()
    assert all(isinstance(event, Frame) for event in events)
    return events  # type: ignore[return-value]


def receive(protocol: Protocol, frame: bytes) -> None:
    """Receive a frame written unmasked."""
    protocol.receive_data(from_peer(protocol.side, frame))


def assert_sent(protocol: Protocol, *frames: bytes) -> None:
    """Check the data to send, frames written unmasked, b"" for EOF."""
    expected = [to_peer(protocol.side, frame) if frame else frame for frame in frames]
    assert protocol.data_to_send() == expected


def close_frame(code: int, reason: str = "") -> bytes:
    payload = code.to_bytes(2, "big") + reason.encode()
    return bytes([0x88, len(payload)]) + payload


def assert_failing(protocol: Protocol, code: int, reason: str) -> None:
    """Check that the protocol failed the connection with a close frame."""
    eof = [b""] if protocol.side is SERVER else []
    assert_sent(protocol, close_frame(code, reason), *eof)
    assert protocol.state is CLOSING
    assert protocol.close_sent == Close(code, reason)
    assert protocol.close_expected()


def assert_closes(protocol: Protocol) -> None:
    """Finish the TCP closing and check the final state."""
    protocol.receive_eof()
    eof = [] if protocol.side is SERVER else [b""]
    assert protocol.data_to_send() == eof
    assert protocol.state is CLOSED
    assert not protocol.close_expected()


# Module contents


def test_enums_and_aliases() -> None:
    assert [int(side) for side in Side] == [0, 1]
    assert [int(state) for state in State] == [0, 1, 2, 3]
    assert SEND_EOF == b""


def test_default_logger() -> None:
    assert Protocol(SERVER).logger is logging.getLogger("websockets.server")
    assert Protocol(CLIENT).logger is logging.getLogger("websockets.client")


def test_custom_logger() -> None:
    logger = logging.getLogger("test")
    assert Protocol(SERVER, logger=logger).logger is logger


def test_id_is_unique() -> None:
    assert Protocol(SERVER).id != Protocol(SERVER).id


@pytest.mark.parametrize(
    ("max_size", "message", "fragment"),
    [
        (2**20, 2**20, None),
        (None, None, None),
        ((100, 10), 100, 10),
        ((None, 10), None, 10),
    ],
)
def test_max_size_argument(
    max_size: int | tuple[int | None, int | None] | None,
    message: int | None,
    fragment: int | None,
) -> None:
    protocol = Protocol(SERVER, max_size=max_size)
    assert protocol.max_message_size == message
    assert protocol.max_fragment_size == fragment


# 5.1. Overview: masking


def test_server_receives_masked_frame() -> None:
    server = Protocol(SERVER)
    server.receive_data(b"\x81\x84\x01\x02\x03\x04" + bytes([0x72, 0x72, 0x62, 0x69]))
    assert server.events_received() == [Frame(OP_TEXT, b"spam")]


def test_client_receives_unmasked_frame() -> None:
    client = Protocol(CLIENT)
    client.receive_data(b"\x81\x04spam")
    assert client.events_received() == [Frame(OP_TEXT, b"spam")]


def test_server_receives_unmasked_frame() -> None:
    # RFC 6455, 5.1: "The server MUST close the connection upon receiving a
    # frame that is not masked."
    server = Protocol(SERVER)
    server.receive_data(b"\x81\x04spam")
    assert server.events_received() == []
    assert_failing(server, 1002, "incorrect masking")


def test_client_receives_masked_frame() -> None:
    # RFC 6455, 5.1: "A client MUST close a connection if it detects a masked
    # frame."
    client = Protocol(CLIENT)
    client.receive_data(b"\x81\x84\x00\x00\x00\x00spam")
    assert_failing(client, 1002, "incorrect masking")


def test_client_sends_masked_frame() -> None:
    client = Protocol(CLIENT)
    with enforce_mask(b"\x01\x02\x03\x04"):
        client.send_text(b"spam")
    assert client.data_to_send() == [
        b"\x81\x84\x01\x02\x03\x04" + bytes([0x72, 0x72, 0x62, 0x69])
    ]


def test_server_sends_unmasked_frame() -> None:
    server = Protocol(SERVER)
    server.send_text(b"spam")
    assert server.data_to_send() == [b"\x81\x04spam"]


# 5.2. Base Framing Protocol


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("size", [0, 1, 125, 126, 1023, 1024, 65535, 65536, 100_000])
def test_receive_payload_lengths(side: Side, size: int) -> None:
    protocol = Protocol(side, max_size=None)
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    frame = Frame(OP_BINARY, payload)
    receive(protocol, frame.serialize(mask=False))
    assert protocol.events_received() == [frame]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x83\x00", "invalid opcode"),
        (b"\x8b\x00", "invalid opcode"),
        (b"\xc2\x00", "reserved bits must be 0"),
        (b"\xa2\x00", "reserved bits must be 0"),
        (b"\x92\x00", "reserved bits must be 0"),
        (b"\x82\x7e\x00\x05spams", "payload length not encoded on the minimal number of bytes"),
        (b"\x82\x7f\x00\x00\x00\x00\x00\x00\x00\x05spams", "payload length not encoded on the minimal number of bytes"),
        (b"\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x05spams", "most significant bit of payload length must be 0"),
    ],
)  # fmt: skip
def test_receive_invalid_frame(side: Side, data: bytes, reason: str) -> None:
    protocol = Protocol(side)
    receive(protocol, data)
    assert protocol.events_received() == []
    assert_failing(protocol, 1002, reason)
    assert isinstance(protocol.parser_exc, ProtocolError)
    assert_closes(protocol)
    assert protocol.close_code == CloseCode.ABNORMAL_CLOSURE
    exc = protocol.close_exc
    assert isinstance(exc, ConnectionClosedError)
    assert exc.__cause__ is protocol.parser_exc


@pytest.mark.parametrize("side", SIDES)
def test_receive_frame_in_chunks(side: Side) -> None:
    protocol = Protocol(side, max_size=None)
    data = from_peer(side, Frame(OP_BINARY, b"\x2a" * 70_000).serialize(mask=False))
    previous = 0
    for cut in [1, 2, 3, 9, 10, 13, 14, 20, 1000, 69_000, len(data)]:
        protocol.receive_data(data[previous:cut])
        previous = cut
    assert protocol.events_received() == [Frame(OP_BINARY, b"\x2a" * 70_000)]


@pytest.mark.parametrize("side", SIDES)
def test_receive_bytearray(side: Side) -> None:
    protocol = Protocol(side)
    data = bytearray(from_peer(side, b"\x82\x04spam\x81\x04eggs"))
    protocol.receive_data(data)
    data[:] = b"\x00" * len(data)  # the protocol doesn't keep the caller's buffer
    assert protocol.events_received() == [
        Frame(OP_BINARY, b"spam"),
        Frame(OP_TEXT, b"eggs"),
    ]


@pytest.mark.parametrize("side", SIDES)
def test_receive_many_frames_at_once(side: Side) -> None:
    protocol = Protocol(side)
    data = b"".join(from_peer(side, b"\x82\x01" + bytes([i])) for i in range(100))
    protocol.receive_data(data + from_peer(side, b"\x82\x02")[:-1])
    assert protocol.events_received() == [
        Frame(OP_BINARY, bytes([i])) for i in range(100)
    ]
    protocol.receive_data(
        from_peer(side, b"\x82\x02xy")[len(from_peer(side, b"\x82\x02")) - 1 :]
    )
    assert protocol.events_received() == [Frame(OP_BINARY, b"xy")]


@pytest.mark.parametrize("side", SIDES)
def test_receive_large_frames_with_leftover(side: Side) -> None:
    protocol = Protocol(side, max_size=None)
    large = from_peer(side, Frame(OP_BINARY, b"\x01" * 5000).serialize(mask=False))
    protocol.receive_data(large + large[:100])
    protocol.receive_data(bytearray(large[100:] + large))
    assert protocol.events_received() == [Frame(OP_BINARY, b"\x01" * 5000)] * 3


@pytest.mark.parametrize("side", SIDES)
def test_frame_logging(side: Side, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.protocol")
    logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="test.protocol"):
        protocol = Protocol(side, logger=logger)
        receive(protocol, b"\x81\x04spam")
        protocol.send_binary(b"\x00\x01")
        receive(protocol, close_frame(1000))
        protocol.receive_eof()
    messages = [record.getMessage() for record in caplog.records]
    expected = [
        "= connection is OPEN",
        "< TEXT 'spam' [4 bytes]",
        "> BINARY 00 01 [2 bytes]",
        "< CLOSE 1000 (OK) [2 bytes]",
        "> CLOSE 1000 (OK) [2 bytes]",
        "= connection is CLOSING",
    ]
    if side is SERVER:
        expected += ["> EOF", "< EOF", "= connection is CLOSED"]
    else:
        expected += ["< EOF", "> EOF", "= connection is CLOSED"]
    assert messages == expected


@pytest.mark.parametrize("side", SIDES)
def test_eof_logging(side: Side, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.protocol")
    logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="test.protocol"):
        protocol = Protocol(side, logger=logger)
        protocol.receive_eof()
    messages = [record.getMessage() for record in caplog.records]
    assert messages[:2] == ["= connection is OPEN", "< EOF"]


# 5.4. Fragmentation


@pytest.mark.parametrize("side", SIDES)
def test_receive_fragmented_text(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x01\x03caf")
    assert protocol.current_size == 3
    receive(protocol, b"\x00\x01\xc3")
    assert protocol.current_size == 4
    receive(protocol, b"\x80\x01\xa9")
    assert protocol.current_size is None
    assert protocol.events_received() == [
        Frame(OP_TEXT, b"caf", fin=False),
        Frame(OP_CONT, b"\xc3", fin=False),
        Frame(OP_CONT, b"\xa9"),
    ]


@pytest.mark.parametrize("side", SIDES)
def test_receive_fragmented_binary(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x02\x02\xff\xfe")
    receive(protocol, b"\x80\x02\xfd\xfc")
    assert protocol.events_received() == [
        Frame(OP_BINARY, b"\xff\xfe", fin=False),
        Frame(OP_CONT, b"\xfd\xfc"),
    ]


@pytest.mark.parametrize("side", SIDES)
def test_receive_control_frames_inside_fragmented_message(side: Side) -> None:
    # RFC 6455, 5.4: "Control frames MAY be injected in the middle of a
    # fragmented message."
    protocol = Protocol(side)
    receive(protocol, b"\x01\x02sp\x89\x04ping\x8a\x04pong\x80\x02am")
    assert protocol.events_received() == [
        Frame(OP_TEXT, b"sp", fin=False),
        Frame(OP_PING, b"ping"),
        Frame(OP_PONG, b"pong"),
        Frame(OP_CONT, b"am"),
    ]
    assert_sent(protocol, b"\x8a\x04ping")


@pytest.mark.parametrize("side", SIDES)
def test_receive_unexpected_continuation(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x80\x04spam")
    assert_failing(protocol, 1002, "unexpected continuation frame")


@pytest.mark.parametrize("side", SIDES)
def test_receive_data_frame_inside_fragmented_message(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x01\x02sp\x81\x02am")
    assert protocol.events_received() == [Frame(OP_TEXT, b"sp", fin=False)]
    assert_failing(protocol, 1002, "expected a continuation frame")


@pytest.mark.parametrize("side", SIDES)
def test_receive_binary_frame_inside_fragmented_message(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x02\x02sp\x82\x02am")
    assert_failing(protocol, 1002, "expected a continuation frame")


@pytest.mark.parametrize("side", SIDES)
def test_send_fragmented_text(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_text(b"caf\xc3", fin=False)
    assert protocol.expect_continuation_frame
    protocol.send_continuation(b"\xa9", fin=False)
    protocol.send_continuation(b"!", fin=True)
    assert not protocol.expect_continuation_frame
    assert_sent(protocol, b"\x01\x04caf\xc3", b"\x00\x01\xa9", b"\x80\x01!")


@pytest.mark.parametrize("side", SIDES)
def test_send_fragmented_binary(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_binary(b"\xff", fin=False)
    protocol.send_ping(b"")
    protocol.send_continuation(b"\xfe", fin=True)
    assert_sent(protocol, b"\x02\x01\xff", b"\x89\x00", b"\x80\x01\xfe")


@pytest.mark.parametrize("side", SIDES)
def test_send_unexpected_continuation(side: Side) -> None:
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="unexpected continuation frame"):
        protocol.send_continuation(b"", fin=True)
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
def test_send_data_frame_inside_fragmented_message(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_text(b"sp", fin=False)
    with pytest.raises(ProtocolError, match="expected a continuation frame"):
        protocol.send_text(b"am")
    with pytest.raises(ProtocolError, match="expected a continuation frame"):
        protocol.send_binary(b"am")
    assert_sent(protocol, b"\x01\x02sp")


# 5.5. Control Frames


@pytest.mark.parametrize("side", SIDES)
def test_receive_ping(side: Side) -> None:
    # RFC 6455, 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a
    # Pong frame in response [...] with identical Application data."
    protocol = Protocol(side)
    receive(protocol, b"\x89\x04\x00\xffab")
    assert protocol.events_received() == [Frame(OP_PING, b"\x00\xffab")]
    assert_sent(protocol, b"\x8a\x04\x00\xffab")


@pytest.mark.parametrize("side", SIDES)
def test_hold_pongs_answers_only_the_last_ping(side: Side) -> None:
    # RFC 6455, 5.5.3: "If an endpoint receives a Ping frame and has not yet
    # sent Pong frame(s) in response to previous Ping frame(s), the endpoint
    # MAY elect to send a Pong frame for only the most recently processed
    # Ping frame."
    protocol = Protocol(side)
    protocol.hold_pongs(True)
    receive(protocol, b"\x89\x01a")
    receive(protocol, b"\x89\x01b" * 1000)
    assert len(frames_received(protocol)) == 1001
    assert protocol.data_to_send() == []
    protocol.hold_pongs(False)
    assert_sent(protocol, b"\x8a\x01b")
    # Then pings get their pong again, and nothing is held anymore.
    receive(protocol, b"\x89\x01c")
    assert_sent(protocol, b"\x8a\x01c")
    protocol.hold_pongs(False)
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
def test_hold_pongs_drops_the_pong_once_closing(side: Side) -> None:
    protocol = Protocol(side)
    protocol.hold_pongs(True)
    receive(protocol, b"\x89\x01a")
    protocol.send_close(1000)
    assert_sent(protocol, close_frame(1000))
    protocol.hold_pongs(False)
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
def test_receive_pong(side: Side) -> None:
    # RFC 6455, 5.5.3: "A response to an unsolicited Pong frame is not expected."
    protocol = Protocol(side)
    receive(protocol, b"\x8a\x04pong")
    assert protocol.events_received() == [Frame(OP_PONG, b"pong")]
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("opcode", [0x88, 0x89, 0x8A])
def test_receive_control_frame_too_long(side: Side, opcode: int) -> None:
    protocol = Protocol(side)
    # The limit is enforced from the header, before the payload arrives.
    receive(protocol, bytes([opcode, 0x7E, 0x00, 0x7E]))
    assert_failing(protocol, 1002, "control frame too long")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("opcode", [0x08, 0x09, 0x0A])
def test_receive_fragmented_control_frame(side: Side, opcode: int) -> None:
    protocol = Protocol(side)
    receive(protocol, bytes([opcode, 0x00]))
    assert_failing(protocol, 1002, "fragmented control frame")


@pytest.mark.parametrize("side", SIDES)
def test_receive_control_frame_of_125_bytes(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x89\x7d" + b"\x01" * 125)
    assert protocol.events_received() == [Frame(OP_PING, b"\x01" * 125)]


@pytest.mark.parametrize("side", SIDES)
def test_send_ping_and_pong(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_ping(b"ping")
    protocol.send_pong(b"pong")
    assert_sent(protocol, b"\x89\x04ping", b"\x8a\x04pong")


@pytest.mark.parametrize("side", SIDES)
def test_send_control_frame_too_long(side: Side) -> None:
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="control frame too long"):
        protocol.send_ping(b"\x00" * 126)
    with pytest.raises(ProtocolError, match="control frame too long"):
        protocol.send_pong(b"\x00" * 126)
    with pytest.raises(ProtocolError, match="control frame too long"):
        protocol.send_close(1000, "x" * 124)
    assert protocol.data_to_send() == []
    assert protocol.state is OPEN


@pytest.mark.parametrize("side", SIDES)
def test_send_ping_and_pong_when_closing(side: Side) -> None:
    # RFC 6455 allows control frames after starting the closing handshake.
    protocol = Protocol(side)
    protocol.send_close(1000)
    protocol.send_ping(b"")
    protocol.send_pong(b"")
    assert_sent(protocol, close_frame(1000), b"\x89\x00", b"\x8a\x00")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("state", [CONNECTING, CLOSED])
def test_send_ping_and_pong_in_wrong_state(side: Side, state: State) -> None:
    protocol = Protocol(side, state=state)
    with pytest.raises(InvalidState, match=f"connection is {state.name.lower()}"):
        protocol.send_ping(b"")
    with pytest.raises(InvalidState, match=f"connection is {state.name.lower()}"):
        protocol.send_pong(b"")


# 5.6. Data Frames and 8.1. Handling Errors in UTF-8-Encoded Data


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    "data", [b"\xff", b"caf\xc3", b"\xed\xa0\x80", b"\xc3(", b"\xf4\x90\x80\x80"]
)
def test_receive_invalid_utf8(side: Side, data: bytes) -> None:
    protocol = Protocol(side)
    receive(protocol, bytes([0x81, len(data)]) + data)
    assert protocol.events_received() == []
    assert protocol.close_sent is not None
    assert protocol.close_sent.code == CloseCode.INVALID_DATA
    assert isinstance(protocol.parser_exc, UnicodeDecodeError)


@pytest.mark.parametrize("side", SIDES)
def test_receive_invalid_utf8_reason(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x81\x05caf\xc3(")
    assert_failing(protocol, 1007, "invalid continuation byte at position 3")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    ("fragments", "valid"),
    [
        ([b"\xff", b"ok"], 0),
        ([b"ok", b"\xff"], 1),
        ([b"\xed", b"\xa0\x80"], 1),
        ([b"\xed\xa0", b"\x80"], 0),
        ([b"\xf4", b"\x90\x80\x80"], 1),
        ([b"\xf4\x90", b"\x80\x80"], 0),
        ([b"ok\xc3", b"\xa9\xc3", b"(ok"], 2),
        ([b"ok\xc3", b"\xa9", b"ok", b"\xc3"], 3),
    ],
)
def test_receive_invalid_utf8_fails_fast(
    side: Side, fragments: list[bytes], valid: int
) -> None:
    # The connection fails on the first fragment that can't be valid UTF-8,
    # without waiting for the end of the message.
    protocol = Protocol(side)
    for index, fragment in enumerate(fragments):
        opcode = 0x01 if index == 0 else 0x00
        fin = 0x80 if index == len(fragments) - 1 else 0x00
        receive(protocol, bytes([fin | opcode, len(fragment)]) + fragment)
    assert len(protocol.events_received()) == valid
    assert protocol.close_sent is not None
    assert protocol.close_sent.code == CloseCode.INVALID_DATA


@pytest.mark.parametrize("side", SIDES)
def test_receive_valid_utf8_fragments(side: Side) -> None:
    data = "€ café 𝄞".encode()
    protocol = Protocol(side)
    receive(protocol, b"\x01\x01" + data[:1])
    for byte in data[1:-1]:
        receive(protocol, b"\x00\x01" + bytes([byte]))
    receive(protocol, b"\x80\x01" + data[-1:])
    assert b"".join(bytes(frame.data) for frame in frames_received(protocol)) == data
    assert protocol.state is OPEN


@pytest.mark.parametrize("side", SIDES)
def test_receive_binary_is_not_validated(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x02\x01\xff\x80\x01\xfe\x82\x01\xff")
    assert len(protocol.events_received()) == 3
    assert protocol.state is OPEN


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("data_type", [bytes, bytearray, memoryview])
def test_send_text_non_ascii(
    side: Side, data_type: type[bytes | bytearray | memoryview]
) -> None:
    protocol = Protocol(side)
    protocol.send_text(data_type("café".encode()))
    assert_sent(protocol, b"\x81\x05caf\xc3\xa9")


@pytest.mark.parametrize("side", SIDES)
def test_send_invalid_utf8(side: Side) -> None:
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="text isn't valid UTF-8") as raised:
        protocol.send_text(b"caf\xc3")
    assert isinstance(raised.value.__cause__, UnicodeDecodeError)
    with pytest.raises(ProtocolError, match="text isn't valid UTF-8"):
        protocol.send_text(b"\xed\xa0", fin=False)
    assert not protocol.expect_continuation_frame
    assert protocol.data_to_send() == []
    assert protocol.state is OPEN


@pytest.mark.parametrize("side", SIDES)
def test_send_invalid_utf8_in_continuation(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_text(b"caf\xc3", fin=False)
    with pytest.raises(ProtocolError, match="text isn't valid UTF-8"):
        protocol.send_continuation(b"(", fin=True)
    protocol.send_continuation(b"\xa9", fin=False)
    with pytest.raises(ProtocolError, match="text isn't valid UTF-8"):
        protocol.send_continuation(b"\xc3", fin=True)
    protocol.send_continuation(b"", fin=True)
    assert_sent(protocol, b"\x01\x04caf\xc3", b"\x00\x01\xa9", b"\x80\x00")


@pytest.mark.parametrize("side", SIDES)
def test_send_binary_continuation_is_not_validated(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_text(b"ok", fin=False)
    protocol.send_continuation(b"", fin=True)
    protocol.send_binary(b"\xff", fin=False)
    protocol.send_continuation(b"\xfe", fin=True)
    assert_sent(protocol, b"\x01\x02ok", b"\x80\x00", b"\x02\x01\xff", b"\x80\x01\xfe")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("state", [CONNECTING, CLOSING, CLOSED])
def test_send_data_in_wrong_state(side: Side, state: State) -> None:
    protocol = Protocol(side, state=state)
    with pytest.raises(InvalidState, match=f"connection is {state.name.lower()}"):
        protocol.send_text(b"")
    with pytest.raises(InvalidState, match=f"connection is {state.name.lower()}"):
        protocol.send_binary(b"")
    protocol.expect_continuation_frame = True
    with pytest.raises(InvalidState, match=f"connection is {state.name.lower()}"):
        protocol.send_continuation(b"", fin=True)
    with pytest.raises(InvalidState, match=f"connection is {state.name.lower()}"):
        protocol.send_close()


# Size limits


@pytest.mark.parametrize("side", SIDES)
def test_receive_frame_over_max_size_before_payload(side: Side) -> None:
    # The connection fails as soon as the header announces too much data.
    protocol = Protocol(side, max_size=1024)
    data = from_peer(side, b"\x82\x7e\x04\x01")
    protocol.receive_data(data)
    assert_failing(protocol, 1009, "frame with 1025 bytes exceeds limit of 1024 bytes")
    assert isinstance(protocol.parser_exc, PayloadTooBig)


@pytest.mark.parametrize("side", SIDES)
def test_receive_frame_at_max_size(side: Side) -> None:
    protocol = Protocol(side, max_size=4)
    receive(protocol, b"\x82\x04spam")
    assert protocol.events_received() == [Frame(OP_BINARY, b"spam")]


@pytest.mark.parametrize("side", SIDES)
def test_receive_fragmented_message_over_max_size(side: Side) -> None:
    protocol = Protocol(side, max_size=5)
    receive(protocol, b"\x02\x03spa")
    receive(protocol, b"\x80\x03mmm")
    assert protocol.events_received() == [Frame(OP_BINARY, b"spa", fin=False)]
    assert_failing(
        protocol,
        1009,
        "frame with 3 bytes after reading 3 bytes exceeds limit of 5 bytes",
    )


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("max_size", [2**20, None])
def test_receive_message_in_the_most_fragments(
    side: Side, max_size: int | None
) -> None:
    protocol = Protocol(side, max_size=max_size)
    receive(protocol, b"\x02\x01a")
    for _ in range(MAX_FRAGMENTS - 2):
        receive(protocol, b"\x00\x00")
    receive(protocol, b"\x80\x01z")
    events = frames_received(protocol)
    assert len(events) == MAX_FRAGMENTS
    assert events[-1] == Frame(OP_CONT, b"z")
    assert protocol.data_to_send() == []
    # The count starts again with the next message.
    receive(protocol, b"\x02\x00")
    receive(protocol, b"\x80\x00")
    assert len(frames_received(protocol)) == 2


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("max_size", [2**20, None])
def test_receive_message_in_too_many_fragments(
    side: Side, max_size: int | None
) -> None:
    # Empty continuation frames add nothing to the size: the count of frames
    # stops them.
    protocol = Protocol(side, max_size=max_size)
    receive(protocol, b"\x01\x00")
    receive(protocol, b"\x00\x00" * (MAX_FRAGMENTS - 1))
    assert len(frames_received(protocol)) == MAX_FRAGMENTS
    receive(protocol, b"\x80\x00")
    assert frames_received(protocol) == []
    assert_failing(protocol, 1009, f"message comes in more than {MAX_FRAGMENTS} frames")
    assert isinstance(protocol.parser_exc, TooManyFragments)
    assert_closes(protocol)
    assert isinstance(protocol.close_exc.__cause__, TooManyFragments)


@pytest.mark.parametrize("side", SIDES)
def test_receive_fragment_over_max_fragment_size(side: Side) -> None:
    protocol = Protocol(side, max_size=(10, 3))
    receive(protocol, b"\x02\x03spa\x00\x03mmm\x80\x04eggs")
    assert len(protocol.events_received()) == 2
    assert_failing(protocol, 1009, "frame with 4 bytes exceeds limit of 3 bytes")


@pytest.mark.parametrize("side", SIDES)
def test_receive_message_over_max_size_with_fragment_limit(side: Side) -> None:
    protocol = Protocol(side, max_size=(5, 3))
    receive(protocol, b"\x02\x03spa\x80\x03mmm")
    assert_failing(
        protocol,
        1009,
        "frame with 3 bytes after reading 3 bytes exceeds limit of 5 bytes",
    )


@pytest.mark.parametrize("side", SIDES)
def test_receive_fragment_limit_without_message_limit(side: Side) -> None:
    protocol = Protocol(side, max_size=(None, 3))
    receive(protocol, b"\x02\x03spa\x00\x03mmm\x80\x03egg")
    assert len(protocol.events_received()) == 3
    receive(protocol, b"\x82\x04spam")
    assert_failing(protocol, 1009, "frame with 4 bytes exceeds limit of 3 bytes")


@pytest.mark.parametrize("side", SIDES)
def test_control_frames_do_not_count_toward_max_size(side: Side) -> None:
    protocol = Protocol(side, max_size=4)
    receive(protocol, b"\x02\x04spam\x89\x05pings\x8a\x05pongs\x80\x00")
    assert len(protocol.events_received()) == 4
    assert protocol.state is OPEN


@pytest.mark.parametrize("side", SIDES)
def test_receive_without_max_size(side: Side) -> None:
    protocol = Protocol(side, max_size=None)
    receive(
        protocol,
        b"\x02\x7e\x10\x00" + b"\x00" * 4096 + b"\x80\x7e\x10\x00" + b"\x00" * 4096,
    )
    assert len(protocol.events_received()) == 2


# 5.5.1. Close, 7.1. Closing the Connection


@pytest.mark.parametrize("side", SIDES)
def test_close_code_and_reason_while_open(side: Side) -> None:
    protocol = Protocol(side)
    assert protocol.close_code is None
    assert protocol.close_reason is None
    with pytest.raises(AssertionError, match="connection isn't closed yet"):
        protocol.close_exc  # noqa: B018


@pytest.mark.parametrize("side", SIDES)
def test_we_close_first(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_close(CloseCode.NORMAL_CLOSURE, "bye")
    assert_sent(protocol, close_frame(1000, "bye"))
    assert protocol.state is CLOSING
    assert protocol.close_expected()
    receive(protocol, close_frame(1000, "ok"))
    assert protocol.events_received() == [Frame(OP_CLOSE, close_frame(1000, "ok")[2:])]
    # A server closes the TCP connection; a client waits for the server.
    assert_sent(protocol, *([b""] if side is SERVER else []))
    assert protocol.close_rcvd == Close(1000, "ok")
    assert protocol.close_sent == Close(1000, "bye")
    assert protocol.close_rcvd_then_sent is False
    assert_closes(protocol)
    assert protocol.close_code == 1000
    assert protocol.close_reason == "ok"
    exc = protocol.close_exc
    assert isinstance(exc, ConnectionClosedOK)
    assert str(exc) == "sent 1000 (OK) bye; then received 1000 (OK) ok"
    assert exc.__cause__ is None


@pytest.mark.parametrize("side", SIDES)
def test_they_close_first(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, close_frame(1001, "going"))
    assert protocol.events_received() == [
        Frame(OP_CLOSE, close_frame(1001, "going")[2:])
    ]
    # The close frame is echoed, with the same payload.
    assert_sent(
        protocol, close_frame(1001, "going"), *([b""] if side is SERVER else [])
    )
    assert protocol.state is CLOSING
    assert protocol.close_rcvd_then_sent is True
    assert protocol.close_sent == protocol.close_rcvd
    assert_closes(protocol)
    exc = protocol.close_exc
    assert isinstance(exc, ConnectionClosedOK)
    assert (
        str(exc)
        == "received 1001 (going away) going; then sent 1001 (going away) going"
    )


@pytest.mark.parametrize("side", SIDES)
def test_they_close_with_empty_payload(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x88\x00")
    assert_sent(protocol, b"\x88\x00", *([b""] if side is SERVER else []))
    assert protocol.close_rcvd == Close(CloseCode.NO_STATUS_RCVD, "")
    assert_closes(protocol)
    assert protocol.close_code == CloseCode.NO_STATUS_RCVD
    assert isinstance(protocol.close_exc, ConnectionClosedOK)


@pytest.mark.parametrize("side", SIDES)
def test_we_close_without_code(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_close()
    assert_sent(protocol, b"\x88\x00")
    assert protocol.close_sent == Close(CloseCode.NO_STATUS_RCVD, "")


@pytest.mark.parametrize("side", SIDES)
def test_we_close_with_reason_without_code(side: Side) -> None:
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="cannot send a reason without a code"):
        protocol.send_close(reason="bye")
    assert protocol.state is OPEN


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])
def test_we_close_with_invalid_code(side: Side, code: int) -> None:
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="invalid status code"):
        protocol.send_close(code)
    assert protocol.state is OPEN
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
def test_both_close_at_once(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_close(1000)
    receive(protocol, close_frame(1000))
    assert protocol.close_rcvd_then_sent is False
    assert_sent(protocol, close_frame(1000), *([b""] if side is SERVER else []))
    assert_closes(protocol)
    assert isinstance(protocol.close_exc, ConnectionClosedOK)


@pytest.mark.parametrize("side", SIDES)
def test_close_with_error_code(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, close_frame(1011, "oops"))
    assert_closes_after_close(protocol)
    exc = protocol.close_exc
    assert isinstance(exc, ConnectionClosedError)
    assert exc.rcvd == Close(1011, "oops")


def assert_closes_after_close(protocol: Protocol) -> None:
    protocol.data_to_send()
    assert_closes(protocol)


@pytest.mark.parametrize("side", SIDES)
def test_receive_eof_without_close(side: Side) -> None:
    # RFC 6455, 7.1.5: "If _The WebSocket Connection is Closed_ and no Close
    # control frame was received by the endpoint [...] the WebSocket
    # Connection Close Code is considered to be 1006."
    protocol = Protocol(side)
    protocol.receive_eof()
    assert protocol.state is CLOSED
    # Nothing more can be received, so no close frame is sent; both sides
    # close the TCP connection.
    assert protocol.data_to_send() == [b""]
    assert protocol.close_code == CloseCode.ABNORMAL_CLOSURE
    assert protocol.close_reason == ""
    exc = protocol.close_exc
    assert isinstance(exc, ConnectionClosedError)
    assert isinstance(exc.__cause__, EOFError)
    assert str(exc.__cause__) == "unexpected end of stream"
    assert not protocol.close_expected()


@pytest.mark.parametrize(
    ("side", "data", "message"),
    [
        # The message names the field that the stream cuts: the header, the
        # extended length, the masking key or the payload.
        (CLIENT, b"\x82", "stream ends after 1 bytes, expected 2 bytes"),
        (CLIENT, b"\x82\x04sp", "stream ends after 2 bytes, expected 4 bytes"),
        (CLIENT, b"\x82\x7e\x01", "stream ends after 1 bytes, expected 2 bytes"),
        (CLIENT, b"\x82\x7e\x01\x00abc", "stream ends after 3 bytes, expected 256 bytes"),
        (CLIENT, b"\x82\x7f\x00\x00\x00", "stream ends after 3 bytes, expected 8 bytes"),
        (CLIENT, b"\x82\x7f" + (65536).to_bytes(8, "big") + b"ab", "stream ends after 2 bytes, expected 65536 bytes"),
        (CLIENT, b"\x82\x01a\x82\x03b", "stream ends after 1 bytes, expected 3 bytes"),
        (SERVER, b"\x82\x84\x00\x00", "stream ends after 2 bytes, expected 4 bytes"),
        (SERVER, b"\x82\x84\x00\x00\x00\x00ab", "stream ends after 2 bytes, expected 4 bytes"),
        (SERVER, b"\x82\x84\x00\x00\x00\x00", "stream ends after 0 bytes, expected 4 bytes"),
        (SERVER, b"\x82\xfe\x01\x00\x00", "stream ends after 1 bytes, expected 4 bytes"),
    ],
)  # fmt: skip
def test_receive_eof_in_the_middle_of_a_frame(
    side: Side, data: bytes, message: str
) -> None:
    protocol = Protocol(side)
    protocol.receive_data(data)  # written as it travels: masked to a server
    protocol.receive_eof()
    assert protocol.state is CLOSED
    assert protocol.data_to_send() == [b""]
    assert isinstance(protocol.parser_exc, EOFError)
    assert str(protocol.parser_exc) == message
    assert protocol.close_exc.__cause__ is protocol.parser_exc


@pytest.mark.parametrize("side", SIDES)
def test_receive_eof_after_we_close(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_close(1000)
    protocol.data_to_send()
    protocol.receive_eof()
    assert protocol.state is CLOSED
    assert protocol.close_code == CloseCode.ABNORMAL_CLOSURE
    assert isinstance(protocol.close_exc, ConnectionClosedError)
    assert str(protocol.close_exc) == "sent 1000 (OK); no close frame received"


@pytest.mark.parametrize("side", SIDES)
def test_receive_eof_is_idempotent(side: Side) -> None:
    protocol = Protocol(side)
    protocol.receive_eof()
    protocol.data_to_send()
    protocol.receive_eof()
    assert protocol.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
def test_receive_data_after_eof(side: Side) -> None:
    protocol = Protocol(side)
    protocol.receive_eof()
    with pytest.raises(EOFError, match="stream ended"):
        protocol.receive_data(b"\x88\x00")


@pytest.mark.parametrize("side", SIDES)
def test_data_after_close_frame_is_discarded(side: Side) -> None:
    # RFC 6455, 1.4: "after receiving a control frame indicating the
    # connection should be closed, a peer discards any further data received."
    protocol = Protocol(side)
    receive(protocol, b"\x81\x02hi" + close_frame(1000) + b"\x81\x03bye")
    assert protocol.events_received() == [
        Frame(OP_TEXT, b"hi"),
        Frame(OP_CLOSE, b"\x03\xe8"),
    ]
    receive(protocol, b"\x89\x00")
    assert protocol.events_received() == []
    assert_sent(protocol, close_frame(1000), *([b""] if side is SERVER else []))
    assert protocol.reader.buffer == b""


@pytest.mark.parametrize("side", SIDES)
def test_messages_before_close_are_delivered(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_close(1000)
    receive(protocol, b"\x81\x02hi\x82\x02yo" + close_frame(1000))
    assert [frame.opcode for frame in frames_received(protocol)] == [
        OP_TEXT,
        OP_BINARY,
        OP_CLOSE,
    ]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        (b"\x03", 1002, "close frame too short"),
        (b"\x03\xec", 1002, "invalid status code"),
        (b"\x03\xed", 1002, "invalid status code"),
        (b"\x03\xee", 1002, "invalid status code"),
        (b"\x03\xe8\xff", 1007, "invalid start byte at position 0"),
    ],
)
def test_receive_invalid_close_frame(
    side: Side, payload: bytes, code: int, reason: str
) -> None:
    protocol = Protocol(side)
    receive(protocol, bytes([0x88, len(payload)]) + payload)
    assert protocol.events_received() == []
    assert_failing(protocol, code, reason)


@pytest.mark.parametrize("side", SIDES)
def test_receive_close_inside_fragmented_message(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x01\x02sp" + close_frame(1000))
    assert protocol.events_received() == [Frame(OP_TEXT, b"sp", fin=False)]
    assert_failing(protocol, 1002, "incomplete fragmented message")
    assert protocol.close_rcvd == Close(1000, "")
    assert protocol.close_rcvd_then_sent is True


@pytest.mark.parametrize("side", SIDES)
def test_receive_close_while_closing_inside_fragmented_message(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, b"\x01\x02sp")
    protocol.send_close(1000)
    protocol.data_to_send()
    receive(protocol, close_frame(1000))
    assert protocol.close_rcvd_then_sent is False
    assert protocol.data_to_send() == ([b""] if side is SERVER else [])
    assert isinstance(protocol.parser_exc, ProtocolError)


# 7.1.7. Fail the WebSocket Connection


@pytest.mark.parametrize("side", SIDES)
def test_fail(side: Side) -> None:
    protocol = Protocol(side)
    protocol.fail(CloseCode.POLICY_VIOLATION, "nope")
    assert_failing(protocol, 1008, "nope")
    # Data received afterwards is ignored.
    receive(protocol, b"\x89\x00" + close_frame(1000))
    assert protocol.events_received() == []
    assert protocol.data_to_send() == []
    assert_closes(protocol)
    assert isinstance(protocol.close_exc, ConnectionClosedError)


@pytest.mark.parametrize("side", SIDES)
def test_fail_when_closing(side: Side) -> None:
    protocol = Protocol(side)
    protocol.send_close(1000)
    protocol.data_to_send()
    protocol.fail(CloseCode.PROTOCOL_ERROR)
    assert protocol.data_to_send() == ([b""] if side is SERVER else [])
    assert protocol.close_sent == Close(1000, "")


@pytest.mark.parametrize("side", SIDES)
def test_fail_with_abnormal_closure(side: Side) -> None:
    protocol = Protocol(side)
    protocol.fail(CloseCode.ABNORMAL_CLOSURE)
    assert protocol.data_to_send() == ([b""] if side is SERVER else [])
    assert protocol.close_sent is None
    # Failed: only the end of the TCP connection may follow.
    assert protocol.state is CLOSING
    assert protocol.close_expected() is True


@pytest.mark.parametrize("side", SIDES)
def test_fail_with_invalid_code(side: Side) -> None:
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="invalid status code"):
        protocol.fail(1005)


# Extensions (RFC 6455, section 9)


@dataclasses.dataclass
class Rsv1Reverse(Extension):
    """Reverses payloads and signals it with RSV1."""

    name = ExtensionName("x-reverse")

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode >= 8:
            return frame
        return dataclasses.replace(frame, data=bytes(frame.data)[::-1], rsv1=True)

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        if not frame.rsv1:
            return frame
        if max_size is not None and len(frame.data) > max_size:
            raise PayloadTooBig(len(frame.data), max_size)
        return dataclasses.replace(frame, data=bytes(frame.data)[::-1], rsv1=False)


@dataclasses.dataclass
class Broken(Extension):
    name = ExtensionName("x-broken")

    def encode(self, frame: Frame) -> Frame:
        return frame

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        raise RuntimeError("secret details")


@pytest.mark.parametrize("side", SIDES)
def test_extension_encodes_and_decodes(side: Side) -> None:
    protocol = Protocol(side)
    protocol.extensions = [Rsv1Reverse()]
    protocol.send_text(b"spam")
    protocol.send_ping(b"ping")
    assert_sent(protocol, b"\xc1\x04maps", b"\x89\x04ping")
    receive(protocol, b"\xc1\x04sgge\x81\x03abc")
    assert protocol.events_received() == [
        Frame(OP_TEXT, b"eggs"),
        Frame(OP_TEXT, b"abc"),
    ]


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("extensions", [[], [Rsv1Reverse()]])
def test_send_odd_memoryviews(side: Side, extensions: list[Extension]) -> None:
    # Every memoryview goes out as its bytes in order, whatever its layout,
    # with or without an extension that reads the payload.
    for view in odd_views("café".encode() + b"!"):
        protocol = Protocol(side)
        protocol.extensions = extensions
        protocol.send_text(view)
        protocol.send_binary(view)
        protocol.send_text(view, fin=False)
        protocol.send_continuation(view, fin=True)
        protocol.send_ping(view)
        protocol.send_pong(view)
        if extensions:
            assert_sent(
                protocol,
                b"\xc1\x06!\xa9\xc3fac",
                b"\xc2\x06!\xa9\xc3fac",
                b"\x41\x06!\xa9\xc3fac",
                b"\xc0\x06!\xa9\xc3fac",
                b"\x89\x06caf\xc3\xa9!",
                b"\x8a\x06caf\xc3\xa9!",
            )
        else:
            assert_sent(
                protocol,
                b"\x81\x06caf\xc3\xa9!",
                b"\x82\x06caf\xc3\xa9!",
                b"\x01\x06caf\xc3\xa9!",
                b"\x80\x06caf\xc3\xa9!",
                b"\x89\x06caf\xc3\xa9!",
                b"\x8a\x06caf\xc3\xa9!",
            )


@pytest.mark.parametrize("side", SIDES)
def test_send_odd_memoryviews_checks_their_bytes(side: Side) -> None:
    # Lengths and UTF-8 are checked on the bytes, not on the items.
    protocol = Protocol(side)
    with pytest.raises(ProtocolError, match="control frame too long"):
        protocol.send_ping(memoryview(b"\x00" * 126).cast("H"))
    with pytest.raises(ProtocolError, match="invalid start byte at position 1"):
        protocol.send_text(memoryview(b"aa\xffa")[::2])
    protocol.send_text(memoryview(b"\xc3a\xa9a")[::2], fin=False)
    with pytest.raises(ProtocolError, match="invalid start byte at position 0"):
        protocol.send_continuation(memoryview(b"\xffa")[::2], fin=True)


@pytest.mark.parametrize("side", SIDES)
def test_extension_doesnt_claim_rsv2(side: Side) -> None:
    protocol = Protocol(side)
    protocol.extensions = [Rsv1Reverse()]
    receive(protocol, b"\xa1\x04sgge")
    assert_failing(protocol, 1002, "reserved bits must be 0")


@pytest.mark.parametrize("side", SIDES)
def test_extension_exceeds_max_size(side: Side) -> None:
    protocol = Protocol(side, max_size=6)
    protocol.extensions = [Rsv1Reverse()]
    receive(protocol, b"\x02\x04spam")
    receive(protocol, b"\xc0\x04sgge")
    assert_failing(
        protocol,
        1009,
        "frame with 4 bytes after reading 4 bytes exceeds limit of 6 bytes",
    )


@pytest.mark.parametrize("side", SIDES)
def test_extension_exceeds_max_fragment_size(side: Side) -> None:
    protocol = Protocol(side, max_size=(20, 3))
    receive(protocol, b"\x02\x03spa")
    # The limit of the fragment, not of the message, is exceeded.
    extension_exc = PayloadTooBig(4, 3)
    protocol.extensions = [Raising(extension_exc)]
    receive(protocol, b"\xc0\x03sgg")
    assert protocol.parser_exc is extension_exc
    assert extension_exc.current_size is None
    assert_failing(protocol, 1009, "frame with 4 bytes exceeds limit of 3 bytes")


@dataclasses.dataclass
class Raising(Extension):
    exc: Exception
    name = ExtensionName("x-raising")

    def encode(self, frame: Frame) -> Frame:
        return frame

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        raise self.exc


@pytest.mark.parametrize("side", SIDES)
def test_extension_rejects_payload_data(side: Side) -> None:
    protocol = Protocol(side)
    extension_exc = InvalidPayloadData("invalid compressed data")
    protocol.extensions = [Raising(extension_exc)]
    receive(protocol, b"\xc1\x03sgg")
    assert protocol.parser_exc is extension_exc
    assert_failing(protocol, 1007, "invalid compressed data")


@pytest.mark.parametrize("side", SIDES)
def test_unexpected_error_in_parser(
    side: Side, caplog: pytest.LogCaptureFixture
) -> None:
    protocol = Protocol(side)
    protocol.extensions = [Broken()]
    with caplog.at_level(logging.ERROR):
        receive(protocol, b"\x81\x04spam")
    # Don't disclose details in the close frame.
    assert_failing(protocol, 1011, "")
    assert isinstance(protocol.parser_exc, RuntimeError)
    assert [record.getMessage() for record in caplog.records] == ["parser failed"]


# close_expected() and the opening handshake


@pytest.mark.parametrize("side", SIDES)
def test_close_expected(side: Side) -> None:
    assert not Protocol(side, state=OPEN).close_expected()
    assert Protocol(side, state=CLOSING).close_expected()
    assert not Protocol(side, state=CLOSED).close_expected()
    connecting = Protocol(side, state=CONNECTING)
    assert not connecting.close_expected()
    connecting.send_eof()
    assert connecting.close_expected()


class LineHandshake(Protocol):
    """
    A handshake made of a line, "OK" or anything else, before data transfer,
    like the client and server protocols of ws_http.

    """

    def __init__(self, side: Side) -> None:
        super().__init__(side, state=CONNECTING)
        self.lines: list[bytes] = []

    def parse(self) -> Generator[None]:
        line = yield from self.reader.read_line(64)
        if line != b"OK\n":
            self.handshake_exc = ValueError(line)
            self.send_eof()
            self.parser = self.discard()
            next(self.parser)  # start coroutine
            yield
        self.lines.append(bytes(line))
        self.state = OPEN
        yield from super().parse()


@pytest.mark.parametrize("side", SIDES)
def test_handshake_then_data_transfer(side: Side) -> None:
    protocol = LineHandshake(side)
    protocol.receive_data(b"O")
    assert protocol.lines == []
    # Frames right after the handshake, in the same chunk, are decoded at once.
    protocol.receive_data(b"K\n" + from_peer(side, b"\x81\x02hi\x81\x01"))
    assert protocol.lines == [b"OK\n"]
    assert protocol.events_received() == [Frame(OP_TEXT, b"hi")]
    protocol.receive_data(from_peer(side, b"\x81\x01!")[-1:])
    assert protocol.events_received() == [Frame(OP_TEXT, b"!")]
    receive(protocol, b"\x81\x01?")
    assert protocol.events_received() == [Frame(OP_TEXT, b"?")]
    receive(protocol, close_frame(1000))
    assert protocol.state is CLOSING


@pytest.mark.parametrize("side", SIDES)
def test_handshake_failure(side: Side) -> None:
    protocol = LineHandshake(side)
    protocol.receive_data(b"KO\n" + from_peer(side, b"\x81\x02hi"))
    assert isinstance(protocol.handshake_exc, ValueError)
    assert protocol.events_received() == []
    assert protocol.data_to_send() == [b""]
    assert protocol.close_expected()
    protocol.receive_eof()
    # Neither side sends EOF twice.
    assert protocol.data_to_send() == []
    assert protocol.state is CLOSED


class RecordingProtocol(Protocol):
    """Overrides recv_frame(), as a subclass may do."""

    def __init__(self, side: Side) -> None:
        super().__init__(side)
        self.frames: list[Frame] = []

    def recv_frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        super().recv_frame(frame)


@pytest.mark.parametrize("side", SIDES)
def test_recv_frame_override_sees_every_frame(side: Side) -> None:
    protocol = RecordingProtocol(side)
    receive(protocol, b"\x81\x02hi\x82\x02yo\x89\x00")
    assert len(protocol.frames) == 3
    assert protocol.events_received() == protocol.frames


class FailingInRecvFrame(Protocol):
    """Fails the connection while processing a frame, with data left."""

    def recv_frame(self, frame: Frame) -> None:
        super().recv_frame(frame)
        self.fail(CloseCode.POLICY_VIOLATION, "no")


@pytest.mark.parametrize("side", SIDES)
def test_fail_in_recv_frame_discards_the_rest(side: Side) -> None:
    protocol = FailingInRecvFrame(side)
    protocol.receive_data(
        from_peer(side, Frame(OP_BINARY, b"\x00" * 2000).serialize(mask=False))
        + from_peer(side, b"\x81\x02hi")
    )
    assert len(protocol.events_received()) == 1
    assert_failing(protocol, 1008, "no")
    assert protocol.reader.buffer == b""


# Parser internals


@pytest.mark.parametrize("side", SIDES)
def test_receive_close_frame_in_chunks(side: Side) -> None:
    protocol = Protocol(side)
    data = from_peer(side, close_frame(1000, "bye") + b"\x81\x02hi")
    protocol.receive_data(data[:3])
    protocol.receive_data(data[3:])
    assert protocol.events_received() == [Frame(OP_CLOSE, close_frame(1000, "bye")[2:])]
    assert protocol.reader.buffer == b""


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(("payload_size", "cut"), [(300, 3), (70_000, 3), (70_000, 9)])
def test_receive_incomplete_extended_length(
    side: Side, payload_size: int, cut: int
) -> None:
    protocol = Protocol(side, max_size=None)
    frame = Frame(OP_BINARY, b"\x00" * payload_size)
    data = from_peer(side, frame.serialize(mask=False))
    protocol.receive_data(data[:cut])
    assert protocol.events_received() == []
    protocol.receive_data(data[cut:])
    assert protocol.events_received() == [frame]


@pytest.mark.parametrize("side", SIDES)
def test_parser_does_not_step_after_error(side: Side) -> None:
    protocol = Protocol(side)
    parser = protocol.parser
    # With a byte in the buffer, the next bytes go through the parser.
    data = from_peer(side, b"\x83\x00")
    protocol.receive_data(data[:1])
    protocol.receive_data(data[1:])
    assert protocol.parser is not parser
    with pytest.raises(AssertionError, match="parse\\(\\) shouldn't step after error"):
        next(parser)


@pytest.mark.parametrize("side", SIDES)
def test_discard_does_not_step_after_eof(side: Side) -> None:
    protocol = Protocol(side)
    receive(protocol, close_frame(1000))
    protocol.receive_eof()
    with pytest.raises(AssertionError, match="discard\\(\\) shouldn't step after EOF"):
        next(protocol.parser)


class RecordingSender(Protocol):
    """Overrides send_frame(), as a subclass may do."""

    def __init__(self, side: Side) -> None:
        super().__init__(side)
        self.frames: list[Frame] = []

    def send_frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        super().send_frame(frame)


@pytest.mark.parametrize("side", SIDES)
def test_send_frame_override_sees_every_frame(side: Side) -> None:
    protocol = RecordingSender(side)
    protocol.send_text(b"sp", fin=False)
    protocol.send_continuation(b"am", fin=True)
    protocol.send_binary(b"\xff")
    assert protocol.frames == [
        Frame(OP_TEXT, b"sp", fin=False),
        Frame(OP_CONT, b"am"),
        Frame(OP_BINARY, b"\xff"),
    ]
    assert_sent(protocol, b"\x01\x02sp", b"\x80\x02am", b"\x82\x01\xff")


@pytest.mark.parametrize("side", SIDES)
def test_data_frames_are_the_same_with_debug_logs(side: Side) -> None:
    logger = logging.getLogger("test.protocol")
    logger.setLevel(logging.DEBUG)
    outputs = []
    for protocol in [Protocol(side), Protocol(side, logger=logger)]:
        protocol.send_text("café".encode(), fin=False)
        protocol.send_continuation(b"!" * 200, fin=True)
        protocol.send_binary(b"\x00" * 70_000, fin=True)
        outputs.append(protocol.data_to_send())
    assert outputs[0] == outputs[1]

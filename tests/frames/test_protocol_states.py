"""
The sans-I/O protocol under random interleavings of calls: a hypothesis state
machine drives a client and a server connected by two wires.

What one side's ``data_to_send()`` returns travels to the other side's
``receive_data()`` in chunks of random sizes, or is lost when a side receives
EOF early. Both sides send text, binary, continuation, ping, pong and close
frames, including calls that are invalid in the current state; either side may
fail the connection, receive garbage or forged frames, or lose the TCP
connection. At the end, the closing handshake runs to completion.

An independent decoder reads each wire and checks what the RFC requires from
a sender; a model of each side predicts which calls must fail and how.

``WS_PROTOCOL_STATES_PROFILE=long`` runs many more, longer examples.

"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import zlib
from collections.abc import Callable, Sequence
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ws_frames import exceptions
from ws_frames.exceptions import InvalidState, PayloadTooBig, ProtocolError
from ws_frames.frames import Close, CloseCode, Frame
from ws_frames.protocol import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    SEND_EOF,
    SERVER,
    Protocol,
    Side,
)


# Explaining a failure traces every line, which takes minutes on Python 3.11.
settings.register_profile(
    "protocol-states",
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    max_examples=80,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "protocol-states-long",
    max_examples=3000,
    stateful_step_count=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PROFILE = settings.get_profile(
    "protocol-states-long"
    if os.environ.get("WS_PROTOCOL_STATES_PROFILE") == "long"
    else "protocol-states"
)


# Opcodes, written as numbers: the checks below don't rely on the library.
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
DATA = (CONT, TEXT, BINARY)

# RFC 6455 section 7.4 and the IANA registry: codes allowed in a close frame.
SENDABLE_CLOSE_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011}
SENDABLE_CLOSE_CODES |= {1012, 1013, 1014} | set(range(3000, 5000))
OK_CODES = {1000, 1001, 1005}


def close_code_is_sendable(code: int) -> bool:
    return code in SENDABLE_CLOSE_CODES


# UTF-8, after table 3-7 of the Unicode standard: each lead byte allows a
# range for the byte that follows it; later continuation bytes are 80..BF.
# A scan state is (continuation bytes still needed, range of the next byte).
Utf8State = tuple[int, int, int]
UTF8_START: Utf8State = (0, 0x80, 0xBF)


def utf8_scan(state: Utf8State | None, data: bytes) -> Utf8State | None:
    """Advance a UTF-8 scan over ``data``; :obj:`None` once it's invalid."""
    for byte in data:
        if state is None:
            return None
        need, low, high = state
        if need:
            state = (need - 1, 0x80, 0xBF) if low <= byte <= high else None
        elif byte <= 0x7F:
            state = UTF8_START
        elif 0xC2 <= byte <= 0xDF:
            state = (1, 0x80, 0xBF)
        elif byte == 0xE0:
            state = (2, 0xA0, 0xBF)
        elif byte == 0xED:
            state = (2, 0x80, 0x9F)
        elif 0xE1 <= byte <= 0xEF:
            state = (2, 0x80, 0xBF)
        elif byte == 0xF0:
            state = (3, 0x90, 0xBF)
        elif 0xF1 <= byte <= 0xF3:
            state = (3, 0x80, 0xBF)
        elif byte == 0xF4:
            state = (3, 0x80, 0x8F)
        else:
            state = None
    return state


def is_utf8(data: bytes) -> bool:
    state = utf8_scan(UTF8_START, data)
    return state is not None and state[0] == 0


@dataclasses.dataclass
class WireFrame:
    """A frame as it travels on the wire, after decompression if any."""

    opcode: int
    data: bytes
    fin: bool


def as_wire(frame: Frame) -> WireFrame:
    return WireFrame(int(frame.opcode), bytes(frame.data), frame.fin)


def unmask(payload: bytes, key: bytes) -> bytes:
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


class WireReader:
    """
    Decode what one side sends, asserting every rule of RFC 6455 (and 7692
    when compression is on) that binds a sender.

    """

    def __init__(self, masked: bool) -> None:
        self.masked = masked
        self.buffer = bytearray()
        # Set when permessage-deflate was negotiated: whether the sender
        # resets its compression context after each message.
        self.deflate: bool | None = None
        self.inflater: Any = None
        self.message: int | None = None  # opcode of the message in progress
        self.compressed = False
        self.text: Utf8State | None = None
        self.close_sent = False

    def feed(self, data: bytes) -> list[WireFrame]:
        self.buffer += data
        frames = []
        while (frame := self.next_frame()) is not None:
            frames.append(frame)
        return frames

    def next_frame(self) -> WireFrame | None:
        buffer = self.buffer
        if len(buffer) < 2:
            return None
        head1, head2 = buffer[0], buffer[1]
        fin, rsv1, opcode = bool(head1 & 0x80), bool(head1 & 0x40), head1 & 0x0F
        assert opcode in (CONT, TEXT, BINARY, CLOSE, PING, PONG), head1
        assert not head1 & 0x30, "RSV2 and RSV3 must be 0"
        assert bool(head2 & 0x80) is self.masked, "wrong MASK bit"
        length, offset = head2 & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                return None
            length, offset = int.from_bytes(buffer[2:4], "big"), 4
            assert length >= 126, "length not on the minimal number of bytes"
        elif length == 127:
            if len(buffer) < 10:
                return None
            length, offset = int.from_bytes(buffer[2:10], "big"), 10
            assert 65536 <= length < 2**63, "invalid 64-bit length"
        key = b""
        if self.masked:
            key = bytes(buffer[offset : offset + 4])
            offset += 4
        if len(buffer) < offset + length:
            return None
        payload = bytes(buffer[offset : offset + length])
        del buffer[: offset + length]
        if self.masked:
            payload = unmask(payload, key)
        return self.check(opcode, payload, fin, rsv1)

    def check(self, opcode: int, payload: bytes, fin: bool, rsv1: bool) -> WireFrame:
        if opcode >= CLOSE:
            assert fin and len(payload) <= 125 and not rsv1, "invalid control frame"
            if opcode == CLOSE:
                assert not self.close_sent, "second close frame"
                self.close_sent = True
                if payload:
                    assert len(payload) >= 2, "close frame of 1 byte"
                    code = int.from_bytes(payload[:2], "big")
                    assert close_code_is_sendable(code), code
                    assert is_utf8(payload[2:]), "close reason isn't UTF-8"
            return WireFrame(opcode, payload, fin)

        assert not self.close_sent, "data frame after a close frame"
        if opcode == CONT:
            assert self.message is not None, "continuation outside a message"
            assert not rsv1, "RSV1 on a continuation frame"
        else:
            assert self.message is None, "new message inside a message"
            assert not rsv1 or self.deflate is not None, "RSV1 without deflate"
            self.message, self.compressed = opcode, rsv1
            self.text = UTF8_START if opcode == TEXT else None
            if rsv1 and (self.inflater is None or self.deflate):
                self.inflater = zlib.decompressobj(wbits=-15)
        if self.compressed:
            # RFC 7692 section 7.2.2: the sender removed this empty block.
            payload = self.inflater.decompress(
                payload + b"\x00\x00\xff\xff" if fin else payload
            )
        if self.text is not None:
            self.text = utf8_scan(self.text, payload)
            assert self.text is not None, "invalid UTF-8 in a text message"
            assert not fin or self.text[0] == 0, "text message ends mid-character"
        if fin:
            self.message = None
        return WireFrame(opcode, payload, fin)


class Endpoint:
    """One side of the connection, with the model that the checks rely on."""

    def __init__(self, protocol: Protocol, max_size: Any) -> None:
        self.protocol = protocol
        self.side = protocol.side
        self.max_size = max_size
        self.reader = WireReader(masked=protocol.side is CLIENT)
        # Handshake protocols write one HTTP message before any frame.
        self.http_pending = protocol.state is CONNECTING
        self.wire = bytearray()  # sent, not delivered to the peer yet
        self.frames_sent: list[WireFrame] = []
        self.frames_received: list[WireFrame] = []
        self.other_events: list[object] = []
        self.eof_sent = False  # SEND_EOF came out of data_to_send()
        self.eof_received = False  # receive_eof() was called
        self.seen_closed = False  # state was CLOSED at the end of a step
        self.last_state = protocol.state
        self.failed = False  # fail() was called
        self.tainted = False  # received bytes that the peer didn't send
        self.truncated = False  # lost bytes of the peer, or its EOF
        self.close_before_close_rcvd: bool | None = None
        # The message being sent: None, TEXT or BINARY, and for text, the
        # UTF-8 scan of what was sent so far.
        self.sending: int | None = None
        self.sending_text: Utf8State | None = None

    @property
    def name(self) -> str:
        return self.side.name.lower()


ProtocolFactory = Callable[[Side, Any, logging.Logger], Protocol]


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Formatting runs the __str__ of frames built from hostile bytes.
        record.getMessage()
        self.records.append(record)


payloads = st.one_of(
    st.binary(max_size=40),
    st.binary(max_size=300),
    st.sampled_from([b"a" * 125, b"b" * 126, b"c" * 65535, b"d" * 65536]),
)
# Pieces of UTF-8 text cut anywhere, and arbitrary bytes, so that fragments
# are sometimes valid text, sometimes not, sometimes a character split in two.
text_payloads = st.one_of(
    st.text(max_size=30).map(str.encode),
    st.tuples(st.text(min_size=1, max_size=8), st.integers(0, 32), st.booleans()).map(
        lambda t: t[0].encode()[t[1] :] if t[2] else t[0].encode()[: t[1]]
    ),
    st.binary(max_size=6),
)
control_payloads = st.binary(max_size=130)
close_codes = st.one_of(
    st.none(),
    st.sampled_from([1000, 1001, 1002, 1003, 1011, 3000, 4999]),
    st.sampled_from([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]),
)
close_reasons = st.one_of(st.just(""), st.text(max_size=20), st.text(min_size=120))
sides = st.sampled_from([CLIENT, SERVER])
# Rules that end the connection run once in four draws, so that most examples
# exchange messages for a while first.
rarely = st.integers(0, 3).map(lambda n: n == 0)
max_sizes = st.sampled_from([None, 2**20, 200, (2**20, 50)])


class ProtocolPair(RuleBasedStateMachine):
    """
    A client and a server, their wires, and the rules that drive them.

    Subclasses change how the protocols are made and add rules, for example
    for the opening handshake.

    """

    def __init__(self) -> None:
        super().__init__()
        self.handler = RecordingHandler()
        self.logger = logging.getLogger(__name__)
        self.logger.propagate = False
        self.logger.handlers = [self.handler]
        self.endpoints: dict[Side, Endpoint] = {}

    # Making the pair.

    def make_protocol(self, side: Side, max_size: Any) -> Protocol:
        return Protocol(side, max_size=max_size, logger=self.logger)

    @initialize(client_max=max_sizes, server_max=max_sizes, debug=st.booleans())
    def make_pair(self, client_max: Any, server_max: Any, debug: bool) -> None:
        self.logger.setLevel(logging.DEBUG if debug else logging.INFO)
        for side, max_size in [(CLIENT, client_max), (SERVER, server_max)]:
            self.endpoints[side] = Endpoint(
                self.make_protocol(side, max_size), max_size
            )

    def peer(self, endpoint: Endpoint) -> Endpoint:
        return self.endpoints[SERVER if endpoint.side is CLIENT else CLIENT]

    # Collecting and checking what comes out after each call.

    def collect(self, endpoint: Endpoint) -> tuple[list[WireFrame], list[WireFrame]]:
        """Move outgoing data to the wire and record events; check both."""
        protocol = endpoint.protocol
        writes = protocol.data_to_send()
        events = list(protocol.events_received())
        state = protocol.state
        name = endpoint.name

        assert state >= endpoint.last_state, f"{name}: state went back to {state}"
        endpoint.last_state = state
        if endpoint.seen_closed or endpoint.eof_sent:
            assert writes == [], f"{name} sent {writes} after closing"
        assert SEND_EOF not in writes[:-1], f"{name}: EOF isn't last in {writes}"

        frames: list[WireFrame] = []
        for data in writes:
            assert type(data) is bytes
            if data == SEND_EOF:
                endpoint.eof_sent = True
                continue
            endpoint.wire += data
            if endpoint.http_pending:
                # The handshake request or response; the peer parses it.
                endpoint.http_pending = False
                continue
            frames.extend(endpoint.reader.feed(data))
        # Nothing may be sent after EOF: the state says so.
        assert not (endpoint.eof_sent and state is OPEN), f"{name}: OPEN after EOF"
        for frame in frames:
            if frame.opcode == CLOSE:
                endpoint.close_before_close_rcvd = protocol.close_rcvd is None
        endpoint.frames_sent.extend(frames)

        for event in events:
            if isinstance(event, Frame):
                endpoint.frames_received.append(as_wire(event))
            else:
                endpoint.other_events.append(event)
        received = [as_wire(event) for event in events if isinstance(event, Frame)]

        if state is CLOSED:
            endpoint.seen_closed = True
            assert endpoint.eof_sent, f"{name} is closed but didn't send EOF"
        self.check_closing(endpoint)
        return frames, received

    def check_closing(self, endpoint: Endpoint) -> None:
        protocol = endpoint.protocol
        state = protocol.state
        if state is CONNECTING:
            assert protocol.close_expected() is endpoint.eof_sent
        else:
            assert protocol.close_expected() is (state is CLOSING)

        wire_closes = [f for f in endpoint.frames_sent if f.opcode == CLOSE]
        if wire_closes:
            assert protocol.close_sent == Close.parse(wire_closes[0].data)
        else:
            assert protocol.close_sent is None
        rcvd_closes = [f for f in endpoint.frames_received if f.opcode == CLOSE]
        if rcvd_closes:
            assert protocol.close_rcvd == Close.parse(rcvd_closes[0].data)

        if state is not CLOSED:
            assert protocol.close_code is None and protocol.close_reason is None
            with pytest.raises(AssertionError):
                protocol.close_exc  # noqa: B018
            return

        close_rcvd, close_sent = protocol.close_rcvd, protocol.close_sent
        if close_rcvd is None:
            assert protocol.close_code == CloseCode.ABNORMAL_CLOSURE
            assert protocol.close_reason == ""
        else:
            assert protocol.close_code == close_rcvd.code
            assert protocol.close_reason == close_rcvd.reason
        exc = protocol.close_exc
        assert isinstance(exc, exceptions.ConnectionClosed)
        assert exc.rcvd == close_rcvd and exc.sent == close_sent
        if close_rcvd is not None and close_sent is not None:
            assert exc.rcvd_then_sent is (not endpoint.close_before_close_rcvd)
        else:
            assert exc.rcvd_then_sent is None
        clean = (
            close_rcvd is not None
            and close_sent is not None
            and close_rcvd.code in OK_CODES
            and close_sent.code in OK_CODES
        )
        expected = (
            exceptions.ConnectionClosedOK if clean else exceptions.ConnectionClosedError
        )
        assert type(exc) is expected
        assert exc.__cause__ is protocol.parser_exc

    @invariant()
    def logs_are_quiet(self) -> None:
        # Whatever the peer sends, it's an expected condition: nothing to warn
        # the operator about.
        loud = [r for r in self.handler.records if r.levelno >= logging.WARNING]
        assert not loud, [r.getMessage() for r in loud]

    @invariant()
    def nothing_received_is_lost(self) -> None:
        for receiver in self.endpoints.values():
            sender = self.peer(receiver)
            if receiver.tainted:
                continue
            received, sent = receiver.frames_received, sender.frames_sent
            assert received == sent[: len(received)], (
                f"{receiver.name} received {received} but {sender.name} sent {sent}"
            )
            exc = receiver.protocol.parser_exc
            if exc is None or receiver.failed:
                continue
            if isinstance(exc, EOFError):
                assert receiver.eof_received
                continue
            # Without garbage, the receiver fails only when a message breaks
            # its size limit or when the peer closes in the middle of one.
            assert len(received) < len(sent), f"{receiver.name} failed: {exc!r}"
            following = sent[len(received)]
            if isinstance(exc, PayloadTooBig):
                assert following.opcode in DATA and receiver.max_size is not None
            else:
                assert isinstance(exc, ProtocolError), repr(exc)
                assert following.opcode == CLOSE, repr(exc)

    # Calls that send: the model tells which exceptions each call may raise.

    def call(
        self,
        endpoint: Endpoint,
        method: Callable[[], None],
        errors: Sequence[type[Exception]],
        expected: WireFrame | None,
    ) -> bool:
        """
        Make a call that sends a frame; check its outcome. When ``errors`` is
        empty, it must succeed and send ``expected``; otherwise, it must raise
        one of them and change nothing.

        """
        protocol = endpoint.protocol
        before = (protocol.state, protocol.close_sent, protocol.close_rcvd)
        try:
            method()
        except Exception as exc:
            assert errors, f"unexpected {exc!r}"
            assert isinstance(exc, tuple(errors)), f"{exc!r} isn't in {errors}"
            assert (protocol.state, protocol.close_sent, protocol.close_rcvd) == before
            assert protocol.data_to_send() == []
            self.collect(endpoint)
            return False
        assert not errors, f"no exception, expected one of {errors}"
        frames, _ = self.collect(endpoint)
        if expected is not None:
            assert frames == [expected], f"sent {frames}, expected {expected}"
        return True

    def data_errors(
        self, endpoint: Endpoint, continuation: bool
    ) -> list[type[Exception]]:
        errors: list[type[Exception]] = []
        if (endpoint.sending is None) is continuation:
            errors.append(ProtocolError)
        if endpoint.protocol.state is not OPEN:
            errors.append(InvalidState)
        return errors

    @rule(side=sides, data=text_payloads, fin=st.booleans())
    def send_text(self, side: Side, data: bytes, fin: bool) -> None:
        self.do_send_text(self.endpoints[side], data, fin)

    @rule(side=sides, data=payloads, fin=st.booleans(), view=st.booleans())
    def send_binary(self, side: Side, data: bytes, fin: bool, view: bool) -> None:
        self.do_send_binary(self.endpoints[side], data, fin, view)

    @rule(side=sides, data=text_payloads | payloads, fin=st.booleans())
    def send_continuation(self, side: Side, data: bytes, fin: bool) -> None:
        self.do_send_continuation(self.endpoints[side], data, fin)

    @rule(
        side=sides,
        text=st.booleans(),
        message=st.text(max_size=100),
        cuts=st.lists(st.integers(0, 400), max_size=4),
    )
    def send_message(
        self, side: Side, text: bool, message: str, cuts: list[int]
    ) -> None:
        # A whole message, valid, often in several fragments.
        endpoint = self.endpoints[side]
        data = message.encode()
        points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
        fragments = [data[a:b] for a, b in zip(points, points[1:], strict=False)]
        fragments = fragments or [b""]
        for index, fragment in enumerate(fragments):
            fin = index == len(fragments) - 1
            if index:
                self.do_send_continuation(endpoint, fragment, fin)
            elif text:
                self.do_send_text(endpoint, fragment, fin)
            else:
                self.do_send_binary(endpoint, fragment, fin, view=False)
            if endpoint.sending is None and not fin:
                break  # the first fragment wasn't sent

    def do_send_text(self, endpoint: Endpoint, data: bytes, fin: bool) -> None:
        errors = self.data_errors(endpoint, continuation=False)
        scan = utf8_scan(UTF8_START, data)
        if scan is None or (fin and scan[0]):
            errors.append(ProtocolError)
        method = lambda: endpoint.protocol.send_text(data, fin)  # noqa: E731
        if self.call(endpoint, method, errors, WireFrame(TEXT, data, fin)) and not fin:
            endpoint.sending, endpoint.sending_text = TEXT, scan

    def do_send_binary(
        self, endpoint: Endpoint, data: bytes, fin: bool, view: bool
    ) -> None:
        errors = self.data_errors(endpoint, continuation=False)
        payload = memoryview(data) if view else bytearray(data)
        method = lambda: endpoint.protocol.send_binary(payload, fin)  # noqa: E731
        if (
            self.call(endpoint, method, errors, WireFrame(BINARY, data, fin))
            and not fin
        ):
            endpoint.sending, endpoint.sending_text = BINARY, None

    def do_send_continuation(self, endpoint: Endpoint, data: bytes, fin: bool) -> None:
        errors = self.data_errors(endpoint, continuation=True)
        scan = None
        if endpoint.sending == TEXT:
            scan = utf8_scan(endpoint.sending_text, data)
            if scan is None or (fin and scan[0]):
                errors.append(ProtocolError)
        method = lambda: endpoint.protocol.send_continuation(data, fin)  # noqa: E731
        if self.call(endpoint, method, errors, WireFrame(CONT, data, fin)):
            endpoint.sending_text = scan
            if fin:
                endpoint.sending = None

    def control_errors(self, endpoint: Endpoint, data: bytes) -> list[type[Exception]]:
        errors: list[type[Exception]] = []
        # After the close frame, until TCP is half-closed.
        if endpoint.protocol.state not in (OPEN, CLOSING) or endpoint.eof_sent:
            errors.append(InvalidState)
        if len(data) > 125:
            errors.append(ProtocolError)
        return errors

    @rule(side=sides, data=control_payloads)
    def send_ping(self, side: Side, data: bytes) -> None:
        endpoint = self.endpoints[side]
        errors = self.control_errors(endpoint, data)
        method = lambda: endpoint.protocol.send_ping(data)  # noqa: E731
        self.call(endpoint, method, errors, WireFrame(PING, data, True))

    @rule(side=sides, data=control_payloads)
    def send_pong(self, side: Side, data: bytes) -> None:
        endpoint = self.endpoints[side]
        errors = self.control_errors(endpoint, data)
        method = lambda: endpoint.protocol.send_pong(data)  # noqa: E731
        self.call(endpoint, method, errors, WireFrame(PONG, data, True))

    @rule(side=sides, code=close_codes, reason=close_reasons, now=rarely)
    def send_close(self, side: Side, code: int | None, reason: str, now: bool) -> None:
        if now:
            self.do_send_close(self.endpoints[side], code, reason)

    def do_send_close(self, endpoint: Endpoint, code: int | None, reason: str) -> None:
        errors: list[type[Exception]] = []
        if endpoint.protocol.state is not OPEN:
            errors.append(InvalidState)
        if code is None:
            payload = b""
            if reason:
                errors.append(ProtocolError)
        else:
            payload = code.to_bytes(2, "big") + reason.encode()
            if not close_code_is_sendable(code) or len(payload) > 125:
                errors.append(ProtocolError)
        method = lambda: endpoint.protocol.send_close(code, reason)  # noqa: E731
        self.call(endpoint, method, errors, WireFrame(CLOSE, payload, True))

    @rule(side=sides, data=st.sampled_from(["text", "\u00e9t\u00e9", 42, None]))
    def send_wrong_type(self, side: Side, data: Any) -> None:
        # Passing something else than bytes is a bug of the caller: it must
        # fail at once and change nothing, the message being sent included.
        endpoint = self.endpoints[side]
        protocol = endpoint.protocol
        errors: list[type[Exception]] = [TypeError]
        errors += self.control_errors(endpoint, b"")
        self.call(endpoint, lambda: protocol.send_ping(data), errors, None)
        self.call(endpoint, lambda: protocol.send_pong(data), errors, None)
        errors = [TypeError, *self.data_errors(endpoint, continuation=False)]
        continuation: list[type[Exception]] = [TypeError]
        continuation += self.data_errors(endpoint, continuation=True)
        methods: list[tuple[Callable[[Any, bool], None], list[type[Exception]]]] = [
            (protocol.send_text, errors),
            (protocol.send_binary, errors),
            (protocol.send_continuation, continuation),
        ]
        for fin in (True, False):
            for method, expected in methods:
                call = functools.partial(method, cast(Any, data), fin)
                self.call(endpoint, call, expected, None)

    @rule(side=sides, code=close_codes, reason=close_reasons, now=rarely)
    def fail(self, side: Side, code: int | None, reason: str, now: bool) -> None:
        endpoint = self.endpoints[side]
        protocol = endpoint.protocol
        state = protocol.state
        if not now:
            return
        code = CloseCode.ABNORMAL_CLOSURE if code is None else code
        errors: list[type[Exception]] = []
        expected = None
        if state is OPEN and code != CloseCode.ABNORMAL_CLOSURE:
            payload = code.to_bytes(2, "big") + reason.encode()
            if not close_code_is_sendable(code) or len(payload) > 125:
                errors.append(ProtocolError)
            expected = WireFrame(CLOSE, payload, True)
        method = lambda: protocol.fail(code, reason)  # noqa: E731
        if self.call(endpoint, method, errors, expected):
            endpoint.failed = True
            # A failed connection isn't open anymore; once the peer's EOF
            # came, it's closed.
            if endpoint.eof_received:
                assert protocol.state is CLOSED
            else:
                assert protocol.state is (CLOSING if state is OPEN else state)

    # Calls that receive.

    def receive(self, endpoint: Endpoint, data: bytes | bytearray) -> None:
        protocol = endpoint.protocol
        # A client may open and then receive a close frame in the same call.
        was_open = protocol.state <= OPEN and not endpoint.failed
        protocol.receive_data(data)  # never raises
        frames, received = self.collect(endpoint)
        # Replies to what was received: a pong for each ping, in order, and a
        # close frame, echoing the peer's or failing the connection.
        pings = [f.data for f in received if f.opcode == PING]
        assert [f.data for f in frames if f.opcode == PONG] == pings
        assert all(f.opcode in (PONG, CLOSE) for f in frames)
        if any(f.opcode == CLOSE for f in frames):
            assert was_open
            echo = [f for f in received if f.opcode == CLOSE]
            if echo:
                assert frames[-1] == echo[0]
            else:
                exc = protocol.parser_exc
                assert isinstance(
                    exc, (ProtocolError, PayloadTooBig, UnicodeDecodeError)
                )
                code = Close.parse(frames[-1].data).code
                assert code in {1002, 1007, 1009}

    def deliverable(self, endpoint: Endpoint) -> bool:
        return bool(endpoint.wire) and not self.peer(endpoint).eof_received

    @precondition(
        lambda self: any(self.deliverable(e) for e in self.endpoints.values())
    )
    @rule(side=sides, size=st.integers(1, 70) | st.just(2**30), copy=st.booleans())
    def deliver(self, side: Side, size: int, copy: bool) -> None:
        sender = self.endpoints[side]
        if not self.deliverable(sender):
            sender = self.peer(sender)
        chunk = bytes(sender.wire[:size])
        del sender.wire[:size]
        self.receive(self.peer(sender), bytearray(chunk) if copy else chunk)

    @rule()
    def deliver_everything(self) -> None:
        self.exchange()

    def eof_deliverable(self, endpoint: Endpoint) -> bool:
        return (
            endpoint.eof_sent
            and not endpoint.wire
            and not self.peer(endpoint).eof_received
        )

    @precondition(
        lambda self: any(self.eof_deliverable(e) for e in self.endpoints.values())
    )
    @rule(side=sides)
    def deliver_eof(self, side: Side) -> None:
        sender = self.endpoints[side]
        if not self.eof_deliverable(sender):
            sender = self.peer(sender)
        self.receive_eof(self.peer(sender))

    def receive_eof(self, endpoint: Endpoint) -> None:
        sender = self.peer(endpoint)
        if sender.wire or not sender.eof_sent:
            endpoint.truncated = True
        sender.wire.clear()
        endpoint.eof_received = True
        endpoint.protocol.receive_eof()  # never raises
        frames, received = self.collect(endpoint)
        assert frames == [] and received == []

    @rule(side=sides, now=rarely)
    def lose_connection(self, side: Side, now: bool) -> None:
        endpoint = self.endpoints[side]
        if not now:
            return
        if endpoint.eof_received:
            # receive_eof() is idempotent; receive_data() is a caller's bug.
            endpoint.protocol.receive_eof()
            with pytest.raises(EOFError):
                endpoint.protocol.receive_data(b"\x81\x00")
            self.collect(endpoint)
        else:
            self.receive_eof(endpoint)

    @rule(side=sides, data=st.binary(min_size=1, max_size=40), now=rarely)
    def receive_garbage(self, side: Side, data: bytes, now: bool) -> None:
        endpoint = self.endpoints[side]
        if not now or endpoint.eof_received:
            return
        endpoint.tainted = True
        self.receive(endpoint, data)

    @rule(
        side=sides,
        head1=st.integers(0, 255),
        good_mask=st.booleans(),
        data=st.binary(max_size=130) | st.sampled_from([b"\x03\xe8", b"\x03\xe8\xff"]),
        now=rarely,
    )
    def receive_forged_frame(
        self, side: Side, head1: int, good_mask: bool, data: bytes, now: bool
    ) -> None:
        # A well-framed frame with any header bits: reserved opcodes and
        # bits, fragmented or long control frames, wrong masking, etc.
        endpoint = self.endpoints[side]
        if not now or endpoint.eof_received:
            return
        endpoint.tainted = True
        masked = (endpoint.side is SERVER) is good_mask
        length = len(data)
        header = bytes([head1, (0x80 if masked else 0) | min(length, 126)])
        if length >= 126:
            header += length.to_bytes(2, "big")
        key = b"\x11\x22\x33\x44"
        frame = header + key + unmask(data, key) if masked else header + data
        self.receive(endpoint, frame)

    # The end: complete the closing handshake; both sides must get closed.

    def exchange(self) -> bool:
        progress = False
        for endpoint in list(self.endpoints.values()):
            receiver = self.peer(endpoint)
            if self.deliverable(endpoint):
                chunk = bytes(endpoint.wire)
                endpoint.wire.clear()
                self.receive(receiver, chunk)
                progress = True
            if self.eof_deliverable(endpoint):
                self.receive_eof(receiver)
                progress = True
        return progress

    def finish_handshake(self) -> None:
        """Let subclasses complete the opening handshake."""

    def teardown(self) -> None:
        if not self.endpoints:
            return
        for _ in range(6):
            self.finish_handshake()
            while self.exchange():
                pass
            for endpoint in self.endpoints.values():
                if endpoint.protocol.state is OPEN and not endpoint.failed:
                    self.do_send_close(endpoint, 1000, "")
        # Like the I/O layer when the closing timeout expires.
        for endpoint in self.endpoints.values():
            if endpoint.protocol.state is not CLOSED:
                if endpoint.eof_received:
                    continue
                self.receive_eof(endpoint)
            while self.exchange():
                pass
        for endpoint in self.endpoints.values():
            assert endpoint.protocol.state is CLOSED, endpoint.name
            assert endpoint.reader.buffer == b"", f"{endpoint.name}: partial frame"
        self.nothing_received_is_lost()
        for receiver in self.endpoints.values():
            sender = self.peer(receiver)
            protocol = receiver.protocol
            if (
                receiver.tainted
                or receiver.truncated
                or receiver.failed
                or protocol.parser_exc is not None
                or protocol.handshake_exc is not None
            ):
                continue
            # Every frame the peer sent until its close frame arrived.
            expected = list(sender.frames_sent)
            for index, frame in enumerate(expected):
                if frame.opcode == CLOSE:
                    del expected[index + 1 :]
                    break
            assert receiver.frames_received == expected


TestProtocolPair = ProtocolPair.TestCase
TestProtocolPair.settings = PROFILE


# Cases that the machine found, each reduced to its simplest form.


def open_pair() -> tuple[Protocol, Protocol]:
    return Protocol(CLIENT), Protocol(SERVER)


@pytest.mark.parametrize("side", [CLIENT, SERVER])
@pytest.mark.parametrize("method", ["send_text", "send_binary"])
def test_first_fragment_of_wrong_type_changes_nothing(side: Side, method: str) -> None:
    protocol = Protocol(side)
    with pytest.raises(TypeError):
        getattr(protocol, method)(42, fin=False)
    # Nothing was sent: no fragmented message is in progress.
    with pytest.raises(ProtocolError):
        protocol.send_continuation(b"", fin=True)
    assert protocol.data_to_send() == []
    protocol.send_binary(b"spam")
    assert len(protocol.data_to_send()) == 1


@pytest.mark.parametrize("side", [CLIENT, SERVER])
@pytest.mark.parametrize("fin", [True, False])
@pytest.mark.parametrize("first", [b"spam", b"sp\xc3"])
def test_continuation_of_wrong_type_changes_nothing(
    side: Side, fin: bool, first: bytes
) -> None:
    protocol = Protocol(side)
    if first.isascii():
        protocol.send_binary(first, fin=False)
    else:
        protocol.send_text(first, fin=False)  # ends inside a character
    protocol.data_to_send()
    with pytest.raises(TypeError):
        protocol.send_continuation(cast(Any, "eggs"), fin=fin)
    assert protocol.data_to_send() == []
    # The message is still in progress, and a text message still expects
    # the rest of its character.
    with pytest.raises(ProtocolError):
        protocol.send_binary(b"ham")
    if not first.isascii():
        with pytest.raises(ProtocolError):
            protocol.send_continuation(b"ham", fin=True)
    protocol.send_continuation(b"\xa9", fin=True)
    assert len(protocol.data_to_send()) == 1
    protocol.send_binary(b"ham")


def test_failing_a_closed_client_connection_is_harmless() -> None:
    client, server = open_pair()
    client.send_close(1000)
    server.receive_data(b"".join(client.data_to_send()))
    for data in server.data_to_send():
        if data:
            client.receive_data(data)
        else:
            client.receive_eof()
    assert client.state is CLOSED
    assert client.data_to_send() == [SEND_EOF]
    client.fail(CloseCode.INTERNAL_ERROR)
    assert client.state is CLOSED
    assert client.data_to_send() == []


def test_failing_a_closed_server_connection_is_harmless() -> None:
    client, server = open_pair()
    server.send_close(1000)
    client.receive_data(b"".join(server.data_to_send()))
    server.receive_data(b"".join(client.data_to_send()))
    assert server.data_to_send() == [SEND_EOF]
    server.receive_eof()
    assert server.state is CLOSED
    server.fail(CloseCode.INTERNAL_ERROR)
    assert server.state is CLOSED
    assert server.data_to_send() == []


@pytest.mark.parametrize("data", [42, None, [104, 105]])
@pytest.mark.parametrize("fin", [True, False])
def test_text_of_wrong_type_raises_type_error(data: Any, fin: bool) -> None:
    protocol = Protocol(CLIENT)
    with pytest.raises(TypeError):
        protocol.send_text(data, fin)
    assert protocol.data_to_send() == []
    protocol.send_text(b"hi")


@pytest.mark.parametrize("method", ["send_ping", "send_pong"])
def test_nothing_is_sent_after_eof_while_closing(method: str) -> None:
    client, server = open_pair()
    client.send_close(1000)
    server.receive_data(b"".join(client.data_to_send()))
    assert server.state is CLOSING
    assert server.data_to_send()[-1] == SEND_EOF
    with pytest.raises(InvalidState):
        getattr(server, method)(b"")
    assert server.data_to_send() == []


@pytest.mark.parametrize("method", ["send_ping", "send_pong"])
def test_control_frames_go_after_close_until_eof(method: str) -> None:
    client, server = open_pair()
    server.send_close(1000)
    server.data_to_send()
    # RFC 6455 section 5.5: control frames may follow the close frame.
    getattr(server, method)(b"")
    assert len(server.data_to_send()) == 1


@pytest.mark.parametrize(
    "send",
    [
        lambda protocol: protocol.send_text(b""),
        lambda protocol: protocol.send_binary(b""),
        lambda protocol: protocol.send_continuation(b"", fin=True),
        lambda protocol: protocol.send_ping(b""),
        lambda protocol: protocol.send_pong(b""),
        lambda protocol: protocol.send_close(),
    ],
)
@pytest.mark.parametrize("fragmented", [True, False])
def test_nothing_is_sent_after_eof_when_failed(
    send: Callable[[Protocol], None], fragmented: bool
) -> None:
    server = Protocol(SERVER)
    if fragmented:
        server.send_binary(b"", fin=False)
        server.data_to_send()
    server.fail(CloseCode.ABNORMAL_CLOSURE)
    assert server.data_to_send() == [SEND_EOF]
    # The connection waits for the client to close TCP.
    assert server.state is CLOSING and server.close_expected()
    with pytest.raises((InvalidState, ProtocolError)):
        send(server)
    assert server.data_to_send() == []
    # Failing it again changes nothing.
    server.fail(CloseCode.GOING_AWAY)
    assert server.state is CLOSING and server.data_to_send() == []
    server.receive_eof()
    assert server.state is CLOSED and server.data_to_send() == []
    assert server.close_code == CloseCode.ABNORMAL_CLOSURE


def test_failing_an_open_client_without_a_close_frame() -> None:
    client = Protocol(CLIENT)
    client.fail(CloseCode.ABNORMAL_CLOSURE)
    # No close frame, and the client waits for the server to close TCP.
    assert client.data_to_send() == []
    assert client.state is CLOSING and client.close_expected()
    with pytest.raises(InvalidState):
        client.send_binary(b"")
    client.receive_eof()
    assert client.data_to_send() == [SEND_EOF]
    assert client.state is CLOSED

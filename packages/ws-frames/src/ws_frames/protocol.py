"""
The sans-I/O state machine of a WebSocket connection once it's open: frames,
messages, control frames and the closing handshake (RFC 6455, sections 5 to
7).

"""

from __future__ import annotations

import codecs
import enum
import logging
import uuid
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Union

from . import frames, utils
from .exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidPayloadData,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
    TooManyFragments,
)
from .frames import (
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
    starts_surrogate,
)
from .streams import StreamReader
from .typing import BytesLike, LoggerLike, Origin, Subprotocol


if TYPE_CHECKING:
    from .extensions import Extension


__all__ = [
    "Protocol",
    "Side",
    "SERVER",
    "CLIENT",
    "State",
    "CONNECTING",
    "OPEN",
    "CLOSING",
    "CLOSED",
    "SEND_EOF",
    "Event",
]


class Side(enum.IntEnum):
    """The end of the connection that a protocol plays."""

    SERVER = 0
    CLIENT = 1


SERVER, CLIENT = Side


class State(enum.IntEnum):
    """
    The states of a connection (RFC 6455, sections 4 and 7): the opening
    handshake, data transfer, the closing handshake, and the end.

    """

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


CONNECTING, OPEN, CLOSING, CLOSED = State


if TYPE_CHECKING:
    # The messages of the opening handshake belong to ws_http, a layer above;
    # this package names them for type checkers only.
    from ws_http.http11 import (  # type: ignore[import-not-found, unused-ignore]
        Request,
        Response,
    )

    Event = Union[Request, Response, Frame]
else:
    Event = Frame
"""What :meth:`~Protocol.events_received` returns items of."""


SEND_EOF = b""
"""Item of :meth:`~Protocol.data_to_send` that asks to half-close the TCP connection."""

MAX_FRAGMENTS = 4096
"""
Most frames that a message received may come in.

An empty continuation frame adds nothing to the size of a message, so that
``max_size`` doesn't bound how many of them arrive, yet each one is an object
to keep until the message is complete. Past this limit, the connection fails
with close code 1009. A message sent in 4096 frames of 256 bytes, a fine
grain for streaming, is a megabyte.
"""


def _check_text(data: BytesLike) -> None:
    """
    Check that a whole text message is UTF-8.

    Raises:
        UnicodeDecodeError: If it isn't.

    """
    # ASCII is UTF-8, and isascii() is much cheaper than decoding. Other
    # types than bytes and bytearray go to the decoder, which accepts any
    # bytes-like object and raises TypeError for anything else.
    if (type(data) is not bytes and type(data) is not bytearray) or not data.isascii():
        codecs.utf_8_decode(data, "strict", True)


_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


class _TextChecker:
    """
    Checks that the fragments of a text message add up to UTF-8 (RFC 3629),
    and fails on the first fragment that makes it impossible.

    Error positions count from the first byte of the character that the
    previous fragment left unfinished, as with Python's incremental decoder.

    """

    def __init__(self) -> None:
        self._decoder = _Utf8Decoder()

    def feed(self, data: BytesLike, final: bool) -> None:
        """
        Check the next fragment.

        Raises:
            UnicodeDecodeError: If the text can't be UTF-8.

        """
        decoder = self._decoder
        pending = len(decoder.getstate()[0])
        decoder.decode(data, final)
        if not final:
            unfinished = decoder.getstate()[0]
            if starts_surrogate(unfinished):
                start = pending + len(data) - len(unfinished)
                raise UnicodeDecodeError(
                    "utf-8", bytes(data), start, start + 1, "invalid continuation byte"
                )


def _frame_fields(data: bytes | bytearray) -> Iterator[int]:
    """
    Yield the sizes of the fields of the frame at the start of ``data``: the
    header, the extended length if any, the masking key if any, and the
    payload. Each size is read from ``data`` once the fields before it are
    there.

    """
    yield 2
    length = data[1] & 0x7F
    if length >= 126:
        extended = 2 if length == 126 else 8
        yield extended
        length = int.from_bytes(data[2 : 2 + extended], "big")
    if data[1] & 0x80:
        yield 4
    yield length


def _cut_short(data: bytes | bytearray) -> EOFError:
    """
    Explain the end of the stream in the frame at the start of ``data``:
    how many bytes of the field that it cuts arrived, out of how many.

    """
    fields = _frame_fields(data)
    start, size = 0, next(fields)
    # The frame is incomplete: some field is.
    while len(data) - start >= size:
        start += size
        size = next(fields)
    return EOFError(
        f"stream ends after {len(data) - start} bytes, expected {size} bytes"
    )


def _wrong_state(state: State) -> InvalidState:
    # The checks of the state are inline in the send_*() methods: sending
    # small messages is a hot path, where a call per check would show.
    return InvalidState(f"connection is {state.name.lower()}")


def _bad_text_to_send(exc: UnicodeDecodeError) -> ProtocolError:
    return ProtocolError(
        f"text isn't valid UTF-8: {exc.reason} at position {exc.start}"
    )


class Protocol:
    """
    A WebSocket connection after the opening handshake, without I/O.

    Give it the bytes that arrive with :meth:`receive_data`, and the end of
    the stream with :meth:`receive_eof`; then collect the frames received
    with :meth:`events_received` and the bytes to write with
    :meth:`data_to_send`. The ``send_*`` methods queue frames; :meth:`fail`
    ends the connection on an error. Whatever the peer sends, the methods
    that receive don't raise: a peer who breaks the protocol gets a close
    frame with the fitting code, and :attr:`close_exc` explains it.

    Args:
        side: :attr:`~Side.CLIENT` or :attr:`~Side.SERVER`.
        state: State to start in; :attr:`~State.CONNECTING` for a subclass
            that runs the opening handshake.
        max_size: Limit on the size of a message received, in bytes, or
            :obj:`None` for none. A pair ``(max_message_size,
            max_fragment_size)`` also limits each frame of a message.
            Whatever the limits, a message may come in
            :data:`MAX_FRAGMENTS` frames at most.
        logger: Logger of the connection; by default
            ``logging.getLogger("websockets.server")`` or
            ``logging.getLogger("websockets.client")``, after ``side``.

    **Subclasses that run the opening handshake.** Bytes received go into
    :attr:`reader`, then :attr:`parser` runs: a generator made by
    :meth:`parse`, resumed once for each call to :meth:`receive_data` or
    :meth:`receive_eof`. A subclass's :meth:`parse` reads its HTTP message
    from :attr:`reader` with ``yield from``, adds it to :attr:`events`, and,
    once it's accepted, sets :attr:`state` to :attr:`~State.OPEN` (with
    :attr:`extensions` and :attr:`subprotocol`) and goes on with ``yield from
    super().parse()``, which decodes frames, starting with those already in
    :attr:`reader`. When the handshake fails, it sets :attr:`handshake_exc`,
    calls :meth:`send_eof` and hands over to :meth:`discard`::

        self.parser = self.discard()
        next(self.parser)  # run it to its first yield

    """

    # Attributes that change only on rare events start as class attributes.
    # An idle connection then holds fewer instance attributes, which keeps
    # them in CPython's compact, shared-keys layout: about 1.2 KiB less per
    # connection than a full dictionary.

    # The closing handshake: close frames sent and received, and, once both
    # went, whether the one received came first.
    close_sent: Close | None = None
    close_rcvd: Close | None = None
    close_rcvd_then_sent: bool | None = None
    eof_sent = False
    # Set by hold_pongs(); the payload of the last ping held back, if any.
    _holding_pongs = False
    _held_pong: bytes | None = None
    handshake_exc: Exception | None = None
    """Why the opening handshake failed; :obj:`None` if it didn't."""
    parser_exc: BaseException | None = None
    # The parser of frames, once it waits for bytes with an empty buffer;
    # see receive_data().
    _waiting_parser: Generator[None] | None = None

    def __init__(
        self,
        side: Side,
        *,
        state: State = State.OPEN,
        max_size: tuple[int | None, int | None] | int | None = 1 << 20,
        logger: LoggerLike | None = None,
    ) -> None:
        self.side = side
        if logger is None:
            logger = logging.getLogger(
                "websockets.server" if side is SERVER else "websockets.client"
            )
        self.logger: LoggerLike = logger
        """Logger of the connection."""
        # Asking the logger about every frame would cost more than decoding
        # a small frame; the level is read once.
        self.debug = self.logger.isEnabledFor(logging.DEBUG)
        self.id: uuid.UUID = uuid.uuid4()
        """Identifier of the connection, for logs."""

        self._state = state
        if self.debug:
            self.logger.debug("= connection is %s", state.name)

        # Limits, and state of the messages received and sent.
        limits = max_size if isinstance(max_size, tuple) else (max_size, None)
        self.max_message_size: int | None = limits[0]
        self.max_fragment_size: int | None = limits[1]
        # Bytes and frames received so far in a fragmented message; the
        # size is None between messages.
        self.current_size: int | None = None
        self._fragments = 0
        self.expect_continuation_frame = False
        """Whether a fragmented message is being sent."""
        # Checks of fragmented text messages received and sent.
        self._text_in: _TextChecker | None = None
        self._text_out: _TextChecker | None = None

        # Whether data frames must go through send_frame(); see _send_data().
        self._send_frame_overridden = type(self).send_frame is not Protocol.send_frame

        # What the opening handshake settles.
        self.origin: Origin | None = None
        self.subprotocol: Subprotocol | None = None
        self.extensions: list[Extension] = []

        # Results for the caller, and parsing.
        self.events: list[Event] = []
        self.writes: list[bytes] = []
        self.reader = StreamReader()
        self.parser = self.parse()
        next(self.parser)  # run it to its first yield

    @property
    def state(self) -> State:
        """
        State of the connection: :attr:`~State.CONNECTING`,
        :attr:`~State.OPEN`, :attr:`~State.CLOSING` or :attr:`~State.CLOSED`.

        """
        return self._state

    @state.setter
    def state(self, new: State) -> None:
        self._state = new
        if self.debug:
            self.logger.debug("= connection is %s", new.name)

    @property
    def close_code(self) -> int | None:
        """
        Code of the close frame received (RFC 6455, section 7.1.5):
        :attr:`~CloseCode.ABNORMAL_CLOSURE` if none came, :obj:`None` until
        the connection is :attr:`~State.CLOSED`.

        """
        if self._state is not CLOSED:
            return None
        return (
            CloseCode.ABNORMAL_CLOSURE
            if self.close_rcvd is None
            else self.close_rcvd.code
        )

    @property
    def close_reason(self) -> str | None:
        """
        Reason in the close frame received (RFC 6455, section 7.1.6): empty
        if none came, :obj:`None` until the connection is
        :attr:`~State.CLOSED`.

        """
        if self._state is not CLOSED:
            return None
        return "" if self.close_rcvd is None else self.close_rcvd.reason

    @property
    def close_exc(self) -> ConnectionClosed:
        """
        The exception for using a closed connection.

        :exc:`~ws_frames.exceptions.ConnectionClosedOK` when both close
        frames came and went with codes that mean no error,
        :exc:`~ws_frames.exceptions.ConnectionClosedError` otherwise, caused
        by :attr:`parser_exc` when the peer broke the protocol. Only
        available once the connection is :attr:`~State.CLOSED`, when codes
        and reasons are final.

        """
        assert self._state is CLOSED, "connection isn't closed yet"
        rcvd, sent = self.close_rcvd, self.close_sent
        if (
            rcvd is not None
            and sent is not None
            and rcvd.code in OK_CLOSE_CODES
            and sent.code in OK_CLOSE_CODES
        ):
            exc: ConnectionClosed = ConnectionClosedOK(
                rcvd, sent, self.close_rcvd_then_sent
            )
        else:
            exc = ConnectionClosedError(rcvd, sent, self.close_rcvd_then_sent)
        exc.__cause__ = self.parser_exc
        return exc

    # Receiving.

    def receive_data(self, data: bytes | bytearray) -> None:
        """
        Process bytes received from the network.

        Then write what :meth:`data_to_send` returns, which may hold replies
        such as a pong or a close frame, and handle what
        :meth:`events_received` returns.

        Raises:
            EOFError: After :meth:`receive_eof`.

        """
        # The hot path of receiving: when the parser of frames waits with an
        # empty buffer, decode frames straight from data rather than copy it
        # into the buffer, resume the parser, and copy each payload out of
        # the buffer again. Only a frame cut short at the end is buffered.
        # The parser doesn't wait once the stream ended, so feed_data()
        # raises EOFError as it should.
        if self._waiting_parser is self.parser and not self.reader.buffer:
            try:
                end = self._receive_frames(data)
            except Exception as exc:
                self._reject(exc)
            else:
                if end is not None and end < len(data):
                    self.reader.buffer += memoryview(data)[end:]
            return
        self.reader.feed_data(data)
        next(self.parser)

    def receive_eof(self) -> None:
        """
        Process the end of the stream received from the network.

        Then write what :meth:`data_to_send` returns: ``[SEND_EOF]`` or
        nothing. No event comes of it. Calling it again does nothing.

        """
        if not self.reader.eof:
            self.reader.feed_eof()
            next(self.parser)

    # Sending.

    def send_continuation(self, data: BytesLike, fin: bool) -> None:
        """
        Queue the next frame of a fragmented message (RFC 6455, section 5.4).

        Args:
            data: Payload; for a text message, the next bytes of its UTF-8.
            fin: Whether this frame ends the message.

        Raises:
            ProtocolError: If no fragmented message is being sent, or if the
                text can't be UTF-8.
            InvalidState: If the connection isn't open.

        """
        if not self.expect_continuation_frame:
            raise ProtocolError("unexpected continuation frame")
        if self._state is not OPEN:
            raise _wrong_state(self._state)
        if type(data) is memoryview:
            data = utils.flat_bytes(data)
        if self._text_out is not None:
            try:
                self._text_out.feed(data, fin)
            except UnicodeDecodeError as exc:
                raise _bad_text_to_send(exc) from exc
        # The state changes only once the frame is queued: a payload of the
        # wrong type fails to serialize, and the message goes on.
        self._send_data(OP_CONT, data, fin)
        if fin:
            self._text_out = None
        self.expect_continuation_frame = not fin

    def send_text(self, data: BytesLike, fin: bool = True) -> None:
        """
        Queue a text frame (RFC 6455, section 5.6): a whole message, or the
        first frame of a fragmented one.

        Args:
            data: UTF-8 encoded text; with ``fin=False``, it may end inside a
                character.
            fin: Whether this frame is the whole message.

        Raises:
            ProtocolError: If a fragmented message is being sent, or if the
                text isn't UTF-8.
            InvalidState: If the connection isn't open.

        """
        if self.expect_continuation_frame:
            raise ProtocolError("expected a continuation frame")
        if self._state is not OPEN:
            raise _wrong_state(self._state)
        # Only a memoryview may need flattening; testing the type first
        # spares the common case a call.
        if type(data) is memoryview:
            data = utils.flat_bytes(data)
        try:
            if fin:
                _check_text(data)
            else:
                checker = _TextChecker()
                checker.feed(data, False)
        except UnicodeDecodeError as exc:
            raise _bad_text_to_send(exc) from exc
        self._send_data(OP_TEXT, data, fin)
        if not fin:
            self._text_out = checker
            self.expect_continuation_frame = True

    def send_binary(self, data: BytesLike, fin: bool = True) -> None:
        """
        Queue a binary frame (RFC 6455, section 5.6): a whole message, or the
        first frame of a fragmented one.

        Args:
            data: Payload.
            fin: Whether this frame is the whole message.

        Raises:
            ProtocolError: If a fragmented message is being sent.
            InvalidState: If the connection isn't open.

        """
        if self.expect_continuation_frame:
            raise ProtocolError("expected a continuation frame")
        if self._state is not OPEN:
            raise _wrong_state(self._state)
        if type(data) is memoryview:
            data = utils.flat_bytes(data)
        self._send_data(OP_BINARY, data, fin)
        self._text_out = None
        self.expect_continuation_frame = not fin

    def send_close(self, code: CloseCode | int | None = None, reason: str = "") -> None:
        """
        Start the closing handshake (RFC 6455, section 7.1.2) with a close
        frame.

        Only one close frame goes out: RFC 6455 doesn't forbid more, but
        there's no use for them.

        Args:
            code: Status code; :obj:`None` sends a close frame without one.
            reason: Reason; it needs a code.

        Raises:
            ProtocolError: If the code may not be sent, if there's a reason
                without a code, or if the payload goes over 125 bytes.
            InvalidState: If the connection isn't open.

        """
        if self._state is not OPEN:
            raise _wrong_state(self._state)
        if code is None:
            if reason:
                raise ProtocolError("cannot send a reason without a code")
            close, payload = Close(CloseCode.NO_STATUS_RCVD, ""), b""
        else:
            close = Close(code, reason)
            payload = close.serialize()
        self.send_frame(Frame(OP_CLOSE, payload))
        self.close_sent = close
        self.state = CLOSING

    def send_ping(self, data: BytesLike) -> None:
        """
        Queue a ping frame (RFC 6455, section 5.5.2).

        Raises:
            ProtocolError: If the payload goes over 125 bytes.
            InvalidState: If the connection is neither open nor closing, or
                if the TCP connection is half-closed already.

        """
        # RFC 6455 lets control frames go out after the close frame, but not
        # after a server closed TCP.
        if (self._state is not OPEN and self._state is not CLOSING) or self.eof_sent:
            raise _wrong_state(self._state)
        self.send_frame(Frame(OP_PING, utils.flat_bytes(data)))

    def send_pong(self, data: BytesLike) -> None:
        """
        Queue a pong frame (RFC 6455, section 5.5.3).

        Raises:
            ProtocolError: If the payload goes over 125 bytes.
            InvalidState: If the connection is neither open nor closing, or
                if the TCP connection is half-closed already.

        """
        # RFC 6455 lets control frames go out after the close frame, but not
        # after a server closed TCP.
        if (self._state is not OPEN and self._state is not CLOSING) or self.eof_sent:
            raise _wrong_state(self._state)
        self.send_frame(Frame(OP_PONG, utils.flat_bytes(data)))

    def hold_pongs(self, hold: bool) -> None:
        """
        Stop answering pings at once, or start again.

        A peer that sends pings and doesn't read would make the writer queue
        pongs without end. While the writer is congested, the caller holds
        pongs back: RFC 6455, section 5.5.3, lets an endpoint that hasn't
        answered earlier pings answer only the last one. Then only the
        payload of the last ping is kept, and ``hold_pongs(False)`` queues
        its pong, unless the closing handshake started meanwhile.

        """
        self._holding_pongs = hold
        if not hold and self._held_pong is not None:
            if self._state is OPEN:
                self.send_frame(Frame(OP_PONG, self._held_pong))
            self._held_pong = None

    def fail(self, code: CloseCode | int, reason: str = "") -> None:
        """
        Fail the connection (RFC 6455, section 7.1.7).

        An open connection sends a close frame with ``code`` and ``reason``,
        unless ``code`` is :attr:`~CloseCode.ABNORMAL_CLOSURE`, which says
        that the network failed, and becomes :attr:`~State.CLOSING` either
        way: nothing but the end of the stream may follow. A server also
        closes the TCP connection at once, and so does a client during the
        opening handshake; otherwise, a client waits for the server to do
        it. Whatever arrives next is ignored. A closed connection stays as
        it is.

        Raises:
            ProtocolError: If ``code`` may not be sent.

        """
        if self._state is OPEN:
            if code != CloseCode.ABNORMAL_CLOSURE:
                close = Close(code, reason)
                self.send_frame(Frame(OP_CLOSE, close.serialize()))
                # A close frame that arrived inside a fragmented message
                # wasn't answered: this one answers it.
                if self.close_rcvd is not None:
                    self.close_rcvd_then_sent = True
                self.close_sent = close
            self.state = CLOSING
        elif self._state is CLOSED:
            return
        self._stop_receiving()

    # Collecting the results.

    def events_received(self) -> list[Event]:
        """
        Return the events that the bytes received produced, and forget them.

        Call it after each call to :meth:`receive_data` or
        :meth:`receive_eof`.

        """
        events, self.events = self.events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """
        Return the bytes to write to the network, and forget them.

        Call it after each call to a ``receive_*`` or ``send_*`` method or to
        :meth:`fail`, and write the items in order; :data:`SEND_EOF`, an
        empty item, asks to half-close the TCP connection.

        """
        writes, self.writes = self.writes, []
        return writes

    def close_expected(self) -> bool:
        """
        Tell whether the TCP connection should close soon, so that the caller
        arms a timer and closes it if the peer doesn't.

        Call it after each call to a ``receive_*`` method, to
        :meth:`send_close` or to :meth:`fail`.

        """
        # During the opening handshake, only a failure, which sends EOF,
        # leads to the end; after it, a close frame sent or a failure does,
        # and then the state is CLOSING; when it's CLOSED, TCP is closed
        # already.
        if self._state is CONNECTING:
            return self.eof_sent
        return self._state is CLOSING

    # The parsers.

    def parse(self) -> Generator[None]:
        """
        Decode frames from :attr:`reader`, as long as the connection lasts.

        This is the generator behind :attr:`parser`. Each time it's resumed,
        it processes every complete frame in :attr:`reader`, then yields.
        While it waits, :meth:`receive_data` decodes frames without it.

        An error in the data received doesn't raise: it fails the connection
        and becomes :attr:`parser_exc`. Then :meth:`discard` takes over.

        """
        reader = self.reader
        try:
            while True:
                buffer = reader.buffer
                if buffer:
                    end = self._receive_frames(buffer)
                    if end is None:
                        break  # a frame made discard() the parser
                    del buffer[:end]
                if reader.eof:
                    if buffer:
                        raise _cut_short(buffer)
                    if self.debug:
                        self.logger.debug("< EOF")
                    # A closing handshake would have made discard() the parser.
                    raise EOFError("unexpected end of stream")
                self._waiting_parser = self.parser
                yield
        except Exception as exc:
            self._reject(exc)
        # discard() is the parser now; this one is never resumed.
        yield
        raise AssertionError("parse() shouldn't step after error")

    def discard(self) -> Generator[None]:
        """
        Ignore the bytes received until the end of the stream, then close.

        This generator becomes :attr:`parser` once a close frame came (RFC
        6455, section 1.4: "discards any further data received"), or when the
        connection fails.

        """
        # A server closed TCP already, and so did either side when the
        # opening handshake failed; a client waits for the server to close
        # first, or for its timer to run out, which is up to the caller.
        assert (self._state is CONNECTING or self.side is SERVER) == self.eof_sent
        while not (yield from self.reader.at_eof()):
            self.reader.discard()
        if self.debug:
            self.logger.debug("< EOF")
        if self._state is not CONNECTING and self.side is CLIENT:
            self.send_eof()
        self.state = CLOSED
        yield
        # The reader ended, so receive_data() and receive_eof() never come
        # back here.
        raise AssertionError("discard() shouldn't step after EOF")

    def _frame_limit(self, current_size: int | None) -> int | None:
        """
        Limit on the payload of the next data frame when ``current_size``
        bytes of the message came already; :obj:`None` if there's none.

        """
        max_message, max_fragment = self.max_message_size, self.max_fragment_size
        if max_message is None:
            return max_fragment
        if current_size is not None:
            max_message -= current_size
        if max_fragment is not None and max_fragment < max_message:
            return max_fragment
        return max_message

    def _receive_frames(self, data: bytes | bytearray) -> int | None:
        """
        Decode and process the complete frames at the start of ``data``.

        Each frame goes through :func:`~ws_frames.frames.decode_frame`, the
        extensions, and :meth:`recv_frame`. Its payload is copied once, when
        it's unmasked or taken out of ``data``.

        Returns:
            Where the frames end in ``data``, or :obj:`None` if a frame made
            :meth:`discard` the parser: the rest is to be ignored.

        """
        # The hot loop of receiving. What doesn't change from one frame to
        # the next is read once, into local variables. With the speed-up,
        # iterating over a compiled FrameDecoder costs less than a call per
        # frame, and it builds each Frame too.
        parser = self.parser
        extensions = self.extensions
        debug = self.debug
        recv_frame = self.recv_frame
        # The limit changes within a fragmented message only.
        message_limit = self._frame_limit(None)
        current_size = self.current_size
        limit = (
            message_limit if current_size is None else self._frame_limit(current_size)
        )
        decoder = frames.FrameDecoder(
            data, 0, self.side is SERVER, bool(extensions), limit, None
        )
        for frame in decoder:
            if extensions:
                max_size = None if frame.opcode in frames.CTRL_OPCODES else limit
                for extension in reversed(extensions):
                    frame = extension.decode(frame, max_size=max_size)
                frame.check()
            if debug:
                self.logger.debug("< %s", frame)
            recv_frame(frame)
            if self.parser is not parser:
                return None
            if self.current_size is not current_size:
                current_size = self.current_size
                limit = decoder.max_size = (
                    message_limit
                    if current_size is None
                    else self._frame_limit(current_size)
                )
        return decoder.position

    def _reject(self, exc: Exception) -> None:
        """Fail the connection for an error in the data received."""
        self.parser_exc = exc
        if isinstance(exc, InvalidPayloadData):
            self.fail(CloseCode.INVALID_DATA, str(exc))
        elif isinstance(exc, UnicodeDecodeError):
            self.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
        elif isinstance(exc, ProtocolError):
            self.fail(CloseCode.PROTOCOL_ERROR, str(exc))
        elif isinstance(exc, TooManyFragments):
            self.fail(CloseCode.MESSAGE_TOO_BIG, str(exc))
        elif isinstance(exc, PayloadTooBig):
            # When what remained of the message's allowance, rather than the
            # limit on fragments, was exceeded, tell about the whole message.
            if (
                exc.current_size is None
                and exc.max_size is not None
                and self.current_size is not None
                and (
                    self.max_fragment_size is None
                    or exc.max_size < self.max_fragment_size
                )
            ):
                exc.set_current_size(self.current_size)
            self.fail(CloseCode.MESSAGE_TOO_BIG, str(exc))
        elif isinstance(exc, EOFError):
            self.fail(CloseCode.ABNORMAL_CLOSURE, str(exc))
        else:
            self.logger.error("parser failed", exc_info=exc)
            # The details of an unexpected error may be sensitive: the close
            # frame doesn't tell them.
            self.fail(CloseCode.INTERNAL_ERROR)

    def recv_frame(self, frame: Frame) -> None:
        """
        Apply the rules of RFC 6455 to a frame received, answer it if it
        calls for an answer, and add it to :attr:`events`.

        Raises:
            ProtocolError: If the frame is out of place in a fragmented
                message (section 5.4) or is an invalid close frame.
            UnicodeDecodeError: If text isn't UTF-8 (section 8.1).

        """
        opcode = frame.opcode
        data = frame.data
        if opcode is OP_TEXT or opcode is OP_BINARY:
            if self.current_size is not None:
                raise ProtocolError("expected a continuation frame")
            if frame.fin:
                # A whole message: by far the most common frame, hence the
                # first branch. ASCII is UTF-8, and isascii() is much cheaper
                # than decoding; a memoryview has no isascii() method.
                if opcode is OP_TEXT and (
                    type(data) is memoryview or not data.isascii()
                ):
                    codecs.utf_8_decode(data, "strict", True)
            else:
                if opcode is OP_TEXT:
                    checker = _TextChecker()
                    checker.feed(data, False)
                    self._text_in = checker
                self.current_size = len(data)
                self._fragments = 1
        elif opcode is OP_CONT:
            if self.current_size is None:
                raise ProtocolError("unexpected continuation frame")
            self._fragments += 1
            if self._fragments > MAX_FRAGMENTS:
                raise TooManyFragments(MAX_FRAGMENTS)
            if self._text_in is not None:
                self._text_in.feed(data, frame.fin)
            if frame.fin:
                self.current_size = None
                self._text_in = None
            else:
                self.current_size += len(data)
        elif opcode is OP_PING:
            # RFC 6455, section 5.5.2: the pong echoes the ping's payload.
            if self._holding_pongs:
                self._held_pong = bytes(data)
            else:
                self.send_frame(Frame(OP_PONG, data))
        elif opcode is OP_CLOSE:
            self._recv_close(frame)
        # Nothing answers a pong (section 5.5.3).
        self.events.append(frame)

    def _recv_close(self, frame: Frame) -> None:
        """Take part in the closing handshake after a close frame came."""
        self.close_rcvd = Close.parse(frame.data)
        if self._state is CLOSING:
            self.close_rcvd_then_sent = False
        if self.current_size is not None:
            # fail() answers the close frame.
            raise ProtocolError("incomplete fragmented message")
        if self._state is OPEN:
            # Echo the payload as it came (RFC 6455, section 5.5.1): an empty
            # one stands for code 1005, which Close.serialize() refuses.
            self.close_sent, self.close_rcvd_then_sent = self.close_rcvd, True
            self.send_frame(Frame(OP_CLOSE, frame.data))
            self.state = CLOSING
        # Both close frames went (section 7.1.1).
        self._stop_receiving()

    def _stop_receiving(self) -> None:
        """
        Ignore what arrives from now on, when a close frame came or when the
        connection fails: a server closes TCP at once, a client waits for
        the server to do it, unless the opening handshake didn't complete.

        """
        if (self.side is SERVER or self._state is CONNECTING) and not self.eof_sent:
            self.send_eof()
        self.parser = self.discard()
        next(self.parser)  # run it to its first yield

    # Sending, continued.

    def send_frame(self, frame: Frame) -> None:
        """
        Encode a frame and queue it, through the extensions.

        Raises:
            ProtocolError: If the frame is invalid; then nothing is queued.

        """
        if self.debug:
            self.logger.debug("> %s", frame)
        self.writes.append(
            frame.serialize(mask=self.side is CLIENT, extensions=self.extensions)
        )

    def _send_data(self, opcode: Opcode, data: BytesLike, fin: bool) -> None:
        """Queue a data frame."""
        # The hot path of sending: without extensions, debug logs, or a
        # subclass that watches send_frame(), encode the frame directly,
        # without a Frame object or the checks that data frames pass anyway.
        if self.extensions or self.debug or self._send_frame_overridden:
            self.send_frame(Frame(opcode, data, fin))
        else:
            self.writes.append(
                frames.serialize_frame(
                    opcode | 0x80 if fin else opcode,
                    data,
                    utils.generate_mask() if self.side is CLIENT else None,
                )
            )

    def send_eof(self) -> None:
        """Queue :data:`SEND_EOF`, to half-close the TCP connection."""
        assert not self.eof_sent, "EOF was sent already"
        if self.debug:
            self.logger.debug("> EOF")
        self.writes.append(SEND_EOF)
        self.eof_sent = True

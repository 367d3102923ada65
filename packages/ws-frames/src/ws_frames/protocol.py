"""
Sans-I/O state machine of the data-transfer phase of a WebSocket connection.

"""

from __future__ import annotations

import codecs
import enum
import logging
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Union

from . import utils
from .exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidPayloadData,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from .frames import (
    OK_CLOSE_CODES,
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    OPCODES,
    Close,
    CloseCode,
    Frame,
    Opcode,
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
    """A WebSocket connection is either a server or a client."""

    SERVER, CLIENT = range(2)


SERVER = Side.SERVER
CLIENT = Side.CLIENT


class State(enum.IntEnum):
    """A WebSocket connection is in one of these four states."""

    CONNECTING, OPEN, CLOSING, CLOSED = range(4)


CONNECTING = State.CONNECTING
OPEN = State.OPEN
CLOSING = State.CLOSING
CLOSED = State.CLOSED


if TYPE_CHECKING:
    # The HTTP messages of the opening handshake live in ws_http, which builds
    # on this package; here they are only names for type checkers.
    from ws_http.http11 import (  # type: ignore[import-not-found, unused-ignore]
        Request,
        Response,
    )

    Event = Union[Request, Response, Frame]
else:
    Event = Frame
"""Events that :meth:`~Protocol.events_received` may return."""


SEND_EOF = b""
"""Sentinel signaling that the TCP connection must be half-closed."""


_Utf8Decoder = codecs.getincrementaldecoder("utf-8")

UTF8_ERRORS = (
    "invalid start byte",
    "invalid continuation byte",
    "unexpected end of data",
)


class Utf8Validator:
    """
    Incremental validation of UTF-8 text (RFC 3629), fragment by fragment.

    It fails as soon as a byte can't belong to valid UTF-8, without waiting
    for the end of the text. Positions in errors count from the beginning of
    the character that the previous fragment left incomplete, like Python's
    incremental decoder, which does the work: it runs at C speed.

    """

    def __init__(self) -> None:
        self.decoder = _Utf8Decoder()

    def feed(self, data: BytesLike, final: bool) -> None:
        """
        Validate the next fragment.

        Raises:
            UnicodeDecodeError: If the text isn't valid UTF-8.

        """
        pending = len(self.decoder.getstate()[0])
        self.decoder.decode(data, final)
        if not final:
            # Python's decoder rejects an invalid beginning of a character at
            # once, except a UTF-16 surrogate (ED A0 to ED BF), which it only
            # notices once the character is complete.
            tail = self.decoder.getstate()[0]
            if len(tail) >= 2 and tail[0] == 0xED and tail[1] >= 0xA0:
                position = pending + len(data) - len(tail)
                raise UnicodeDecodeError(
                    "utf-8", bytes(data), position, position + 1, UTF8_ERRORS[1]
                )


def invalid_text_to_send(exc: UnicodeDecodeError) -> ProtocolError:
    """Turn a UTF-8 error in text to send into a :exc:`ProtocolError`."""
    return ProtocolError(
        f"text isn't valid UTF-8: {exc.reason} at position {exc.start}"
    )


def validate_utf8(data: BytesLike) -> None:
    """
    Validate a whole text (RFC 3629).

    Raises:
        UnicodeDecodeError: If the text isn't valid UTF-8.

    """
    if not is_ascii(data):
        codecs.utf_8_decode(data, "strict", True)


def is_ascii(data: BytesLike) -> bool:
    """Tell whether data is ASCII, which is valid UTF-8, at C speed."""
    if type(data) is memoryview:
        data = data.tobytes()
    return data.isascii()


class Protocol:
    """
    Sans-I/O implementation of a WebSocket connection.

    Feed the bytes received from the network to :meth:`receive_data` and
    :meth:`receive_eof`, then get the frames received with
    :meth:`events_received`. Call the ``send_*`` methods, then write what
    :meth:`data_to_send` returns to the network; an empty bytestring,
    :data:`SEND_EOF`, means half-closing the connection.

    Args:
        side: :attr:`~Side.CLIENT` or :attr:`~Side.SERVER`.
        state: Initial state of the WebSocket connection.
        max_size: Maximum size of incoming messages in bytes.
            :obj:`None` disables the limit. You may pass a ``(max_message_size,
            max_fragment_size)`` tuple to set different limits for messages and
            fragments when you expect long messages sent in short fragments.
        logger: Logger for this connection; depending on ``side``,
            defaults to ``logging.getLogger("websockets.client")``
            or ``logging.getLogger("websockets.server")``.

    **Parsing and the opening handshake.** Incoming bytes go to
    :attr:`reader`, a :class:`~ws_frames.streams.StreamReader`, and then
    :attr:`parser`, a generator-based coroutine created from :meth:`parse`,
    is resumed once. :meth:`parse` decodes, in one pass over the buffer,
    every complete frame that it holds, without a generator per frame, and
    yields only when it needs more data. While it waits with an empty buffer,
    :meth:`receive_data` decodes the bytes it gets directly, without copying
    them to the buffer, and buffers only an incomplete frame at the end.
    Frames go through :meth:`recv_frame` (or an equivalent shortcut when a
    subclass doesn't override it); frames to send go through
    :meth:`send_frame` (likewise for data frames).

    A subclass that runs the opening handshake (the client and server
    protocols of ``ws_http``) starts in the :attr:`~State.CONNECTING` state
    and overrides :meth:`parse` with a generator that reads the HTTP message
    from :attr:`reader` (``yield from self.reader.read_line(...)``), appends
    it to :attr:`events`, sets :attr:`extensions`, :attr:`subprotocol` and
    :attr:`state` (``OPEN``) when the handshake succeeds, and then hands over
    to data transfer with ``yield from super().parse()``. Bytes that arrived
    right after the handshake are still in :attr:`reader` and are decoded at
    once. When the handshake fails, the subclass sets :attr:`handshake_exc`,
    calls :meth:`send_eof`, and replaces the parser with :meth:`discard`::

        self.parser = self.discard()
        next(self.parser)  # start coroutine

    """

    def __init__(
        self,
        side: Side,
        *,
        state: State = OPEN,
        max_size: tuple[int | None, int | None] | int | None = 2**20,
        logger: LoggerLike | None = None,
    ) -> None:
        # Unique identifier. For logs.
        self.id: uuid.UUID = uuid.uuid4()
        """Unique identifier of the connection. Useful in logs."""

        # Logger or LoggerAdapter for this connection.
        if logger is None:
            logger = logging.getLogger(f"websockets.{side.name.lower()}")
        self.logger: LoggerLike = logger
        """Logger for this connection."""

        # Checking logger.isEnabledFor(logging.DEBUG) for every frame would
        # cost more than the rest of the parsing of a small frame.
        self.debug = logger.isEnabledFor(logging.DEBUG)

        # Connection side. CLIENT or SERVER.
        self.side = side

        # Connection state. Initially OPEN because subclasses handle CONNECTING.
        self._state = state
        if self.debug:
            self.logger.debug("= connection is %s", state.name)

        # Maximum size of incoming messages and fragments in bytes.
        self.max_message_size: int | None
        self.max_fragment_size: int | None
        if isinstance(max_size, int) or max_size is None:
            self.max_message_size = max_size
            self.max_fragment_size = None
        else:
            self.max_message_size, self.max_fragment_size = max_size

        # Size of the fragmented message received so far, None when no
        # fragmented message is in progress.
        self.current_size: int | None = None

        # Whether the last data frame sent was a fragment with fin=False.
        self.expect_continuation_frame = False

        # WebSocket protocol parameters, set by the opening handshake.
        self.origin: Origin | None = None
        self.extensions: list[Extension] = []
        self.subprotocol: Subprotocol | None = None

        # Close frames received and sent.
        self.close_rcvd: Close | None = None
        self.close_sent: Close | None = None
        self.close_rcvd_then_sent: bool | None = None

        # Track if an exception happened during the handshake.
        self.handshake_exc: Exception | None = None
        """
        Exception to raise if the opening handshake failed.

        :obj:`None` if the opening handshake succeeded.

        """

        # Track if send_eof() was called.
        self.eof_sent = False

        # Incremental UTF-8 validation of fragmented text messages, received
        # and sent; None outside of a fragmented text message.
        self.recv_text_validator: Utf8Validator | None = None
        self.send_text_validator: Utf8Validator | None = None

        # Parser state.
        self._direct_parser: Generator[None] | None = None
        self.reader = StreamReader()
        self.events: list[Event] = []
        self.writes: list[bytes] = []
        self.parser = self.parse()
        next(self.parser)  # start coroutine
        self.parser_exc: BaseException | None = None

    @property
    def state(self) -> State:
        """
        State of the WebSocket connection.

        Defined in 4.1_, 4.2_, 7.1.3_, and 7.1.4_ of :rfc:`6455`.

        .. _4.1: https://datatracker.ietf.org/doc/html/rfc6455#section-4.1
        .. _4.2: https://datatracker.ietf.org/doc/html/rfc6455#section-4.2
        .. _7.1.3: https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.3
        .. _7.1.4: https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.4

        """
        return self._state

    @state.setter
    def state(self, state: State) -> None:
        if self.debug:
            self.logger.debug("= connection is %s", state.name)
        self._state = state

    @property
    def cur_size(self) -> int | None:
        """Alias of :attr:`current_size`."""
        return self.current_size

    @cur_size.setter
    def cur_size(self, size: int | None) -> None:
        self.current_size = size

    @property
    def close_code(self) -> int | None:
        """
        WebSocket close code received from the remote endpoint.

        Defined in 7.1.5_ of :rfc:`6455`.

        .. _7.1.5: https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.5

        :obj:`None` if the connection isn't closed yet.

        """
        if self._state is not CLOSED:
            return None
        if self.close_rcvd is None:
            return CloseCode.ABNORMAL_CLOSURE
        return self.close_rcvd.code

    @property
    def close_reason(self) -> str | None:
        """
        WebSocket close reason received from the remote endpoint.

        Defined in 7.1.6_ of :rfc:`6455`.

        .. _7.1.6: https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.6

        :obj:`None` if the connection isn't closed yet.

        """
        if self._state is not CLOSED:
            return None
        if self.close_rcvd is None:
            return ""
        return self.close_rcvd.reason

    @property
    def close_exc(self) -> ConnectionClosed:
        """
        Exception to raise when trying to interact with a closed connection.

        Don't raise this exception while the connection :attr:`state`
        is :attr:`~State.CLOSING`; wait until it's :attr:`~State.CLOSED`.

        Indeed, the exception includes the close code and reason, which are
        known only once the connection is closed.

        Raises:
            AssertionError: If the connection isn't closed yet.

        """
        assert self._state is CLOSED, "connection isn't closed yet"
        exc_type: type[ConnectionClosed]
        if (
            self.close_rcvd is not None
            and self.close_sent is not None
            and self.close_rcvd.code in OK_CLOSE_CODES
            and self.close_sent.code in OK_CLOSE_CODES
        ):
            exc_type = ConnectionClosedOK
        else:
            exc_type = ConnectionClosedError
        exc: ConnectionClosed = exc_type(
            self.close_rcvd,
            self.close_sent,
            self.close_rcvd_then_sent,
        )
        # Chain to the exception raised in the parser, if any.
        exc.__cause__ = self.parser_exc
        return exc

    # Public methods for receiving data.

    def receive_data(self, data: bytes | bytearray) -> None:
        """
        Receive data from the network.

        After calling this method:

        - You must call :meth:`data_to_send` and send this data to the network.
        - You should call :meth:`events_received` and process resulting events.

        Errors in the data received fail the connection; they never raise.

        Raises:
            EOFError: If :meth:`receive_eof` was called earlier.

        """
        reader = self.reader
        if (
            self._direct_parser is self.parser
            and type(data) is bytes
            and not reader.buffer
            and not reader.eof
        ):
            # The data-transfer parser waits for data with an empty buffer:
            # decode frames straight from data, without copying it to the
            # buffer nor resuming the parser; only leftovers are buffered.
            try:
                consumed = self.parse_frames(data)
            except Exception as exc:
                self.parser_failed(exc)
            else:
                if consumed is not None and consumed < len(data):
                    reader.buffer += memoryview(data)[consumed:]
            return
        reader.feed_data(data)
        next(self.parser)

    def receive_eof(self) -> None:
        """
        Receive the end of the data stream from the network.

        After calling this method:

        - You must call :meth:`data_to_send` and send this data to the network;
          it will return ``[b""]``, signaling the end of the stream, or ``[]``.
        - You aren't expected to call :meth:`events_received`; it won't return
          any new events.

        :meth:`receive_eof` is idempotent.

        """
        if self.reader.eof:
            return
        self.reader.feed_eof()
        next(self.parser)

    # Public methods for sending events.

    def send_continuation(self, data: BytesLike, fin: bool) -> None:
        """
        Send a `Continuation frame`_.

        .. _Continuation frame:
            https://datatracker.ietf.org/doc/html/rfc6455#section-5.6

        Parameters:
            data: payload containing the same kind of data
                as the initial frame.
            fin: FIN bit; set it to :obj:`True` if this is the last frame
                of a fragmented message and to :obj:`False` otherwise.

        Raises:
            ProtocolError: If a fragmented message isn't in progress, or if
                the payload continues a text message with invalid UTF-8.
            InvalidState: If the connection isn't open.

        """
        if not self.expect_continuation_frame:
            raise ProtocolError("unexpected continuation frame")
        if self._state is not OPEN:
            raise InvalidState(f"connection is {self._state.name.lower()}")
        validator = self.send_text_validator
        if validator is not None:
            # try/except costs nothing when no exception happens, unlike a
            # context manager, on the path of every message sent.
            try:
                validator.feed(data, fin)
            except UnicodeDecodeError as exc:
                raise invalid_text_to_send(exc) from exc
            if fin:
                self.send_text_validator = None
        self.expect_continuation_frame = not fin
        self.send_data_frame(OP_CONT, data, fin)

    def send_text(self, data: BytesLike, fin: bool = True) -> None:
        """
        Send a `Text frame`_.

        .. _Text frame:
            https://datatracker.ietf.org/doc/html/rfc6455#section-5.6

        Parameters:
            data: payload containing text encoded with UTF-8.
            fin: FIN bit; set it to :obj:`False` if this is the first frame of
                a fragmented message.

        Raises:
            ProtocolError: If a fragmented message is in progress, or if the
                payload isn't valid UTF-8 (RFC 6455, section 5.6).
            InvalidState: If the connection isn't open.

        """
        if self.expect_continuation_frame:
            raise ProtocolError("expected a continuation frame")
        if self._state is not OPEN:
            raise InvalidState(f"connection is {self._state.name.lower()}")
        try:
            if fin:
                validate_utf8(data)
            else:
                validator = Utf8Validator()
                validator.feed(data, False)
                self.send_text_validator = validator
        except UnicodeDecodeError as exc:
            raise invalid_text_to_send(exc) from exc
        self.expect_continuation_frame = not fin
        self.send_data_frame(OP_TEXT, data, fin)

    def send_binary(self, data: BytesLike, fin: bool = True) -> None:
        """
        Send a `Binary frame`_.

        .. _Binary frame:
            https://datatracker.ietf.org/doc/html/rfc6455#section-5.6

        Parameters:
            data: payload containing arbitrary binary data.
            fin: FIN bit; set it to :obj:`False` if this is the first frame of
                a fragmented message.

        Raises:
            ProtocolError: If a fragmented message is in progress.
            InvalidState: If the connection isn't open.

        """
        if self.expect_continuation_frame:
            raise ProtocolError("expected a continuation frame")
        if self._state is not OPEN:
            raise InvalidState(f"connection is {self._state.name.lower()}")
        self.send_text_validator = None
        self.expect_continuation_frame = not fin
        self.send_data_frame(OP_BINARY, data, fin)

    def send_close(self, code: CloseCode | int | None = None, reason: str = "") -> None:
        """
        Send a `Close frame`_.

        .. _Close frame:
            https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.1

        Parameters:
            code: close code.
            reason: close reason.

        Raises:
            ProtocolError: If the code isn't valid or if a reason is provided
                without a code.
            InvalidState: If the connection isn't open.

        """
        # While RFC 6455 doesn't rule out sending more than one close Frame,
        # this implementation is conservative in what it sends and forbids it.
        if self._state is not OPEN:
            raise InvalidState(f"connection is {self._state.name.lower()}")
        if code is None:
            if reason != "":
                raise ProtocolError("cannot send a reason without a code")
            close = Close(CloseCode.NO_STATUS_RCVD, "")
            data = b""
        else:
            close = Close(code, reason)
            data = close.serialize()
        # 7.1.3. The WebSocket Closing Handshake is Started
        self.send_frame(Frame(OP_CLOSE, data))
        # Since the state is OPEN, no close frame was received yet.
        # As a consequence, self.close_rcvd_then_sent remains None.
        assert self.close_rcvd is None
        self.close_sent = close
        self.state = CLOSING

    def send_ping(self, data: BytesLike) -> None:
        """
        Send a `Ping frame`_.

        .. _Ping frame:
            https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.2

        Parameters:
            data: payload containing arbitrary binary data.

        Raises:
            ProtocolError: If the payload is longer than 125 bytes.
            InvalidState: If the connection is neither open nor closing.

        """
        # RFC 6455 allows control frames after starting the closing handshake.
        if self._state is not OPEN and self._state is not CLOSING:
            raise InvalidState(f"connection is {self._state.name.lower()}")
        self.send_frame(Frame(OP_PING, data))

    def send_pong(self, data: BytesLike) -> None:
        """
        Send a `Pong frame`_.

        .. _Pong frame:
            https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.3

        Parameters:
            data: payload containing arbitrary binary data.

        Raises:
            ProtocolError: If the payload is longer than 125 bytes.
            InvalidState: If the connection is neither open nor closing.

        """
        # RFC 6455 allows control frames after starting the closing handshake.
        if self._state is not OPEN and self._state is not CLOSING:
            raise InvalidState(f"connection is {self._state.name.lower()}")
        self.send_frame(Frame(OP_PONG, data))

    def fail(self, code: CloseCode | int, reason: str = "") -> None:
        """
        `Fail the WebSocket connection`_.

        .. _Fail the WebSocket connection:
            https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.7

        Parameters:
            code: close code
            reason: close reason

        Raises:
            ProtocolError: If the code isn't valid.

        """
        # 7.1.7. Fail the WebSocket Connection
        # Send a close frame when the state is OPEN (a close frame was already
        # sent if it's CLOSING), except when failing the connection because
        # of an error reading from or writing to the network.
        if self._state is OPEN:
            if code != CloseCode.ABNORMAL_CLOSURE:
                close = Close(code, reason)
                data = close.serialize()
                self.send_frame(Frame(OP_CLOSE, data))
                self.close_sent = close
                # A close frame may have been received but not echoed yet when
                # it arrived in the middle of a fragmented message.
                if self.close_rcvd is not None:
                    self.close_rcvd_then_sent = True
                self.state = CLOSING

        # When failing the connection, a server closes the TCP connection
        # without waiting for the client to complete the handshake, while a
        # client waits for the server to close the TCP connection, possibly
        # after sending a close frame that the client will ignore.
        if self.side is SERVER and not self.eof_sent:
            self.send_eof()

        # 7.1.7. Fail the WebSocket Connection "An endpoint MUST NOT continue
        # to attempt to process data(including a responding Close frame) from
        # the remote endpoint after being instructed to _Fail the WebSocket
        # Connection_."
        self.parser = self.discard()
        next(self.parser)  # start coroutine

    # Public method for getting incoming events after receiving data.

    def events_received(self) -> list[Event]:
        """
        Fetch events generated from data received from the network.

        Call this method immediately after any of the ``receive_*()`` methods.

        Process resulting events, likely by passing them to the application.

        Returns:
            Events read from the connection.

        """
        events, self.events = self.events, []
        return events

    # Public method for getting outgoing data after receiving data or sending events.

    def data_to_send(self) -> list[bytes]:
        """
        Obtain data to send to the network.

        Call this method immediately after any of the ``receive_*()``,
        ``send_*()``, or :meth:`fail` methods.

        Write resulting data to the connection.

        The empty bytestring :data:`~ws_frames.protocol.SEND_EOF` signals
        the end of the data stream. When you receive it, half-close the TCP
        connection.

        Returns:
            Data to write to the connection.

        """
        writes, self.writes = self.writes, []
        return writes

    def close_expected(self) -> bool:
        """
        Tell if the TCP connection is expected to close soon.

        Call this method immediately after any of the ``receive_*()``,
        ``send_close()``, or :meth:`fail` methods.

        If it returns :obj:`True`, schedule closing the TCP connection after a
        short timeout if the other side hasn't already closed it.

        Returns:
            Whether the TCP connection is expected to close soon.

        """
        # During the opening handshake, when the state is CONNECTING, a TCP
        # close is expected if and only if the handshake failed, in which case
        # send_eof() started the TCP closing handshake.
        # Once the opening handshake succeeded, a TCP close is expected if and
        # only if a close frame was sent, i.e. the state is CLOSING: a server
        # waits for the client to complete the TCP closing handshake; a client
        # waits for the server to start it. In the CLOSED state, the TCP
        # connection is already closed.
        state = self._state
        if state is OPEN:
            return False
        if state is CLOSING:
            return True
        if state is CLOSED:
            return False
        assert state is CONNECTING
        return self.eof_sent

    # Private methods for receiving data.

    def parse(self) -> Generator[None]:
        """
        Parse incoming data into frames.

        This is a generator-based coroutine; :meth:`receive_data` and
        :meth:`receive_eof` resume it once. Each time, it decodes every
        complete frame in :attr:`reader` with :meth:`parse_frames`, then
        yields to wait for more data. While it waits with an empty buffer,
        :meth:`receive_data` decodes the bytes received without resuming it.

        A peer error never raises out of it: :meth:`fail` closes the
        connection with the matching close code and :attr:`parser_exc` keeps
        the exception.

        """
        reader = self.reader
        try:
            while True:
                buffer = reader.buffer
                if buffer:
                    consumed = self.parse_frames(buffer)
                    if consumed is None:
                        # After receiving a close frame, recv_frame() replaced
                        # parse() by discard(). This generator is abandoned.
                        break
                    del buffer[:consumed]
                    if buffer and reader.eof:
                        raise EOFError(
                            f"stream ends after {len(buffer)} bytes, "
                            "before the end of the frame"
                        )
                elif reader.eof:
                    if self.debug:
                        self.logger.debug("< EOF")
                    # During a normal closure, discard() replaced parse()
                    # before reaching EOF, so the connection wasn't closed
                    # cleanly when execution reaches this point.
                    raise EOFError("unexpected end of stream")

                # While this generator waits here with an empty buffer,
                # receive_data() decodes the bytes received without it.
                self._direct_parser = self.parser
                yield

        except Exception as exc:
            self.parser_failed(exc)

        # After receiving a close frame or failing the connection, the parser
        # is discard() and this generator isn't resumed anymore.
        yield
        raise AssertionError("parse() shouldn't step after error")

    def parser_failed(self, exc: Exception) -> None:
        """
        Fail the connection after an error in the data received.

        The close code depends on the error; :attr:`parser_exc` keeps it.

        """
        if isinstance(exc, InvalidPayloadData):
            self.fail(CloseCode.INVALID_DATA, str(exc))
        elif isinstance(exc, ProtocolError):
            self.fail(CloseCode.PROTOCOL_ERROR, str(exc))
        elif isinstance(exc, EOFError):
            self.fail(CloseCode.ABNORMAL_CLOSURE, str(exc))
        elif isinstance(exc, UnicodeDecodeError):
            self.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
        elif isinstance(exc, PayloadTooBig):
            # When the limit of the message rather than of the fragment was
            # exceeded, report it for the whole message.
            if (
                exc.current_size is None
                and self.current_size is not None
                and exc.max_size is not None
                and (
                    self.max_fragment_size is None
                    or exc.max_size < self.max_fragment_size
                )
            ):
                exc.set_current_size(self.current_size)
            self.fail(CloseCode.MESSAGE_TOO_BIG, str(exc))
        else:
            self.logger.error("parser failed", exc_info=exc)
            # Don't include exception details, which may be security-sensitive.
            self.fail(CloseCode.INTERNAL_ERROR)
        self.parser_exc = exc

    def parse_frames(self, data: bytes | bytearray) -> int | None:
        """
        Decode and process every complete frame in ``data``.

        Frames are decoded at offsets into ``data``, without generators; each
        payload is copied once, when it is unmasked or taken out of ``data``.
        With the C speed-up, runs of whole messages and control frames are
        decoded in one call; other frames go through :meth:`decode_frame`.

        Returns:
            How many bytes were consumed, or :obj:`None` if processing a frame
            replaced the parser, for example a close frame; then the rest of
            the data is to be discarded.

        Raises:
            ProtocolError: If a frame breaks the protocol.
            PayloadTooBig: If a frame or a message exceeds the size limit.
            UnicodeDecodeError: If a text message isn't valid UTF-8.

        """
        parser = self.parser
        masked = self.side is SERVER
        extensions = self.extensions
        rsv_allowed = 0x70 if extensions else 0
        scan_frames = utils.scan_frames
        shortcut = type(self).recv_frame is Protocol.recv_frame
        events = self.events
        position = 0
        end = len(data)
        while end - position >= 2:
            frames: list[tuple[int, bytes]] | None = None
            if scan_frames is not None and self.current_size is None:
                if self.max_fragment_size is None:
                    limit = self.max_message_size
                else:
                    limit = self.frame_size_limit()
                frames, position = scan_frames(
                    data, position, masked, rsv_allowed, -1 if limit is None else limit
                )
            if not frames:
                decoded = self.decode_frame(data, position)
                if decoded is None:
                    break
                head1, payload, position = decoded
                frames = [(head1, payload)]

            for head1, payload in frames:
                opcode = OPCODES[head1 & 0x0F]
                assert opcode is not None  # decoders only return valid opcodes
                if head1 & 0xF0 == 0x80:
                    # Final frame without reserved bits: the defaults fit, and
                    # passing fewer arguments is faster.
                    frame = Frame(opcode, payload)
                else:
                    frame = Frame(
                        opcode,
                        payload,
                        True if head1 & 0x80 else False,
                        True if head1 & 0x40 else False,
                        True if head1 & 0x20 else False,
                        True if head1 & 0x10 else False,
                    )
                if extensions:
                    max_size = None if opcode >= 8 else self.frame_size_limit()
                    for extension in reversed(extensions):
                        frame = extension.decode(frame, max_size=max_size)
                    frame.check()

                if self.debug:
                    self.logger.debug("< %s", frame)

                # Shortcut for the most common frame, a whole message in a
                # single frame, with the same outcome as recv_frame().
                if shortcut and frame.fin and self.current_size is None:
                    if opcode is OP_BINARY or (
                        opcode is OP_TEXT
                        # Without extensions, frame.data is payload, bytes.
                        and (is_ascii(frame.data) if extensions else payload.isascii())
                    ):
                        events.append(frame)
                        continue

                self.recv_frame(frame)
                if self.parser is not parser:
                    return None
        return position

    def decode_frame(
        self, data: bytes | bytearray, position: int
    ) -> tuple[int, bytes, int] | None:
        """
        Decode the frame at ``position`` in ``data``.

        Limits are checked as soon as the header of a frame is there, before
        its payload is buffered.

        Returns:
            The first byte of the frame, its unmasked payload, and the position
            of the next frame; :obj:`None` if the frame is incomplete.

        Raises:
            ProtocolError: If the frame breaks the protocol.
            PayloadTooBig: If the frame exceeds the size limit.

        """
        masked = self.side is SERVER
        end = len(data)
        head1 = data[position]
        head2 = data[position + 1]
        opcode = OPCODES[head1 & 0x0F]
        if opcode is None:
            raise ProtocolError(f"invalid opcode: {head1 & 0x0F}")
        if (head2 & 0x80 == 0x80) is not masked:
            raise ProtocolError("incorrect masking")
        if head1 & 0x70 and not self.extensions:
            raise ProtocolError("reserved bits must be 0")
        length = head2 & 0x7F
        start = position + 2
        if length >= 126:
            if length == 126:
                if end - start < 2:
                    return None
                length = data[start] << 8 | data[start + 1]
                start += 2
                if length < 126:
                    raise ProtocolError(
                        "payload length not encoded on the minimal number of bytes"
                    )
            else:
                if end - start < 8:
                    return None
                length = int.from_bytes(data[start : start + 8], "big")
                start += 8
                if length >= 1 << 63:
                    raise ProtocolError(
                        "most significant bit of payload length must be 0"
                    )
                if length < 65536:
                    raise ProtocolError(
                        "payload length not encoded on the minimal number of bytes"
                    )
        if opcode >= 8:
            # 5.5. Control Frames
            if length > 125:
                raise ProtocolError("control frame too long")
            if not head1 & 0x80:
                raise ProtocolError("fragmented control frame")
        else:
            max_size = self.frame_size_limit()
            if max_size is not None and length > max_size:
                raise PayloadTooBig(length, max_size)
        if masked:
            start += 4
        stop = start + length
        if stop > end:
            return None

        payload: bytes
        if length < 1024 and type(data) is bytes:
            # Slicing small payloads is cheaper than making a view.
            if masked:
                payload = utils.apply_mask(data[start:stop], data[start - 4 : start])
            else:
                payload = data[start:stop]
        else:
            # The view is released at once: processing the frame may resize
            # the buffer.
            with memoryview(data) as view:
                if masked:
                    payload = utils.apply_mask(
                        view[start:stop], data[start - 4 : start]
                    )
                else:
                    payload = view[start:stop].tobytes()
        return head1, payload, stop

    def frame_size_limit(self) -> int | None:
        """
        Maximum payload size of the next data frame, :obj:`None` if unlimited.

        """
        if self.max_message_size is None:
            return self.max_fragment_size
        if self.current_size is None:
            limit = self.max_message_size
        else:
            limit = self.max_message_size - self.current_size
        if self.max_fragment_size is not None and self.max_fragment_size < limit:
            return self.max_fragment_size
        return limit

    def discard(self) -> Generator[None]:
        """
        Discard incoming data.

        This coroutine replaces :meth:`parse`:

        - after receiving a close frame, during a normal closure (1.4);
        - after sending a close frame, during an abnormal closure (7.1.7).

        """
        # After the opening handshake completes, the server closes the TCP
        # connection in the same circumstances where discard() replaces parse().
        # The client closes it when it receives EOF from the server or times
        # out. (The latter case cannot be handled in this Sans-I/O layer.)
        assert (self._state is CONNECTING or self.side is SERVER) == (self.eof_sent)
        while not (yield from self.reader.at_eof()):
            self.reader.discard()
        if self.debug:
            self.logger.debug("< EOF")
        # A server closes the TCP connection immediately, while a client
        # waits for the server to close the TCP connection.
        if self._state is not CONNECTING and self.side is CLIENT:
            self.send_eof()
        self.state = CLOSED
        # If discard() completes normally, execution ends here.
        yield
        # Once the reader reaches EOF, its feed_data/eof() methods raise an
        # error, so our receive_data/eof() methods don't step the generator.
        raise AssertionError("discard() shouldn't step after EOF")

    def recv_frame(self, frame: Frame) -> None:
        """
        Process an incoming frame.

        Raises:
            ProtocolError: If the frame breaks the rules of fragmentation
                (RFC 6455, section 5.4) or is an invalid close frame.
            UnicodeDecodeError: If a text message isn't valid UTF-8
                (RFC 6455, section 8.1).

        """
        opcode = frame.opcode
        if opcode is OP_TEXT or opcode is OP_BINARY:
            if self.current_size is not None:
                raise ProtocolError("expected a continuation frame")
            if opcode is OP_TEXT:
                # 8.1. Handling Errors in UTF-8-Encoded Data
                if frame.fin:
                    validate_utf8(frame.data)
                else:
                    validator = Utf8Validator()
                    validator.feed(frame.data, False)
                    self.recv_text_validator = validator
            if not frame.fin:
                self.current_size = len(frame.data)
        elif opcode is OP_CONT:
            if self.current_size is None:
                raise ProtocolError("unexpected continuation frame")
            text_validator = self.recv_text_validator
            if text_validator is not None:
                text_validator.feed(frame.data, frame.fin)
            if frame.fin:
                self.current_size = None
                self.recv_text_validator = None
            else:
                self.current_size += len(frame.data)
        elif opcode is OP_PING:
            # 5.5.2. Ping: "Upon receipt of a Ping frame, an endpoint MUST
            # send a Pong frame in response"
            self.send_frame(Frame(OP_PONG, frame.data))
        elif opcode is OP_PONG:
            # 5.5.3 Pong: "A response to an unsolicited Pong frame is not
            # expected."
            pass
        else:
            assert opcode is OP_CLOSE
            # 7.1.5.  The WebSocket Connection Close Code
            # 7.1.6.  The WebSocket Connection Close Reason
            self.close_rcvd = Close.parse(frame.data)
            if self._state is CLOSING:
                assert self.close_sent is not None
                self.close_rcvd_then_sent = False

            if self.current_size is not None:
                raise ProtocolError("incomplete fragmented message")

            # 5.5.1 Close: "If an endpoint receives a Close frame and did
            # not previously send a Close frame, the endpoint MUST send a
            # Close frame in response. (When sending a Close frame in
            # response, the endpoint typically echos the status code it
            # received.)"
            if self._state is OPEN:
                # Echo the original data instead of re-serializing it with
                # Close.serialize() because that fails when the close frame
                # is empty and Close.parse() synthesizes a 1005 close code.
                self.send_frame(Frame(OP_CLOSE, frame.data))
                self.close_sent = self.close_rcvd
                self.close_rcvd_then_sent = True
                self.state = CLOSING

            # 7.1.2. Start the WebSocket Closing Handshake: "Once an
            # endpoint has both sent and received a Close control frame,
            # that endpoint SHOULD _Close the WebSocket Connection_"
            # A server closes the TCP connection immediately, while a client
            # waits for the server to close the TCP connection.
            if self.side is SERVER:
                self.send_eof()

            # 1.4. Closing Handshake: "after receiving a control frame
            # indicating the connection should be closed, a peer discards
            # any further data received."
            self.parser = self.discard()
            next(self.parser)  # start coroutine

        self.events.append(frame)

    # Private methods for sending events.

    def send_frame(self, frame: Frame) -> None:
        """
        Serialize a frame and queue it for sending.

        Raises:
            ProtocolError: If the frame is invalid; nothing is queued then.

        """
        if self.debug:
            self.logger.debug("> %s", frame)
        self.writes.append(
            frame.serialize(
                mask=self.side is CLIENT,
                extensions=self.extensions,
            )
        )

    def send_data_frame(self, opcode: Opcode, data: BytesLike, fin: bool) -> None:
        """
        Queue a data frame for sending.

        Without extensions or debug logs, and unless a subclass overrides
        :meth:`send_frame`, serialize it without building a :class:`Frame`.

        """
        if (
            self.extensions
            or self.debug
            or type(self).send_frame is not Protocol.send_frame
        ):
            self.send_frame(Frame(opcode, data, fin))
            return
        self.writes.append(
            utils.serialize_frame(
                opcode | 0x80 if fin else opcode,
                data,
                utils.generate_mask() if self.side is CLIENT else None,
            )
        )

    def send_eof(self) -> None:
        """Queue the end of the data stream, i.e. a TCP half-close."""
        assert not self.eof_sent
        self.eof_sent = True
        if self.debug:
            self.logger.debug("> EOF")
        self.writes.append(SEND_EOF)

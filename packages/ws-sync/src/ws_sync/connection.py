"""
The threading connection, shared by clients and servers.

A :class:`Connection` runs a thread that reads the socket, feeds the bytes to
the sans-I/O :class:`~ws_frames.protocol.Protocol`, writes whatever the
protocol answers, and routes what the protocol decodes: data frames to the
:class:`~ws_sync.messages.Assembler` that ``recv()`` reads, pongs to the pings
that wait for them. Application threads send from their own thread.

Every call into the protocol holds :attr:`Connection.protocol_mutex`. Writing
to the socket doesn't: a send that a peer blocks by not reading must not stop
the reading thread from handling what the peer sends, its close frame above
all.

``ws_asyncio.connection`` is the asyncio twin of this module: the same
methods in the same order, awaiting where this one takes a lock or joins a
thread.

"""

from __future__ import annotations

import collections
import contextlib
import logging
import random
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeAlias, overload

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidState,
    ProtocolError,
)
from ws_frames.frames import OP_BINARY, OP_CONT, OP_PONG, OP_TEXT, CloseCode, Frame
from ws_frames.messages import BYTES_LIKE, broadcast_frame
from ws_frames.protocol import CLOSED, CLOSING, OPEN, SERVER, Event, Protocol, State
from ws_frames.typing import BytesLike, Data, DataLike, LoggerLike, Subprotocol

from .messages import Assembler
from .utils import Deadline


if TYPE_CHECKING:
    from ws_http.http11 import Request, Response

    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self


__all__ = ["Connection", "broadcast"]


# The protocol refuses a call that the caller got wrong with one of these,
# without changing its state: they go to the caller and the connection goes on.
# Anything else coming out of the protocol is a bug, after which the
# connection can't be trusted.
CALLER_ERRORS = (ProtocolError, ConcurrencyError, InvalidState, TypeError, ValueError)

# Types of the options that clients and servers hand over to connections.
Seconds: TypeAlias = float | None  # None turns the feature off, or waits forever
QueueLimits: TypeAlias = int | tuple[int | None, int | None] | None


class Connection:
    """
    Threaded implementation of a WebSocket connection.

    This class holds what clients and servers share. Applications get a
    :class:`~ws_sync.client.ClientConnection` or a
    :class:`~ws_sync.server.ServerConnection`, never this class itself.

    Args:
        socket: Connected socket.
        protocol: The sans-I/O protocol that this connection drives.
        ping_interval: Seconds between keepalive pings; :obj:`None` turns
            keepalive off.
        ping_timeout: Seconds to wait for the pong of a keepalive ping before
            failing the connection with code 1011; :obj:`None` waits forever.
        close_timeout: Seconds that the closing handshake and the end of the
            TCP connection may take before the socket is closed;
            :obj:`None` waits forever.
        max_queue: High-water mark of the queue of received frames, or a
            ``(high, low)`` pair. Above it, the connection stops reading from
            the network until the application catches up. :obj:`None` turns
            this off.

    """

    recv_bufsize = 2**16

    # Attributes that change only on rare events start as class attributes:
    # an idle connection then holds few enough instance attributes to stay in
    # CPython's compact, shared-keys layout, about 1.2 KiB less than a full
    # dictionary.

    # First network error; chained to ConnectionClosed.
    recv_exc: BaseException | None = None
    # Set while a message goes out in fragments: other messages wait, so that
    # their frames don't interleave.
    send_in_progress = False
    # First write error: the socket is unusable after it.
    write_exc: BaseException | None = None
    # Keepalive: a thread runs while the connection is open.
    keepalive_thread: threading.Thread | None = None
    # Closing: close_deadline is set once, when the closing handshake starts;
    # the reading thread doesn't wait past it.
    close_deadline: Deadline | None = None

    def __init__(
        self,
        sock: socket.socket,
        protocol: Protocol,
        *,
        ping_interval: Seconds = 20,
        ping_timeout: Seconds = 20,
        close_timeout: Seconds = 10,
        max_queue: QueueLimits = 16,
    ) -> None:
        self.protocol = protocol
        self.socket = sock
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.close_timeout = close_timeout
        self.max_queue = (
            max_queue if isinstance(max_queue, tuple) else (max_queue, None)
        )

        # Log records name their connection, for handlers and filters.
        protocol.logger = logging.LoggerAdapter(protocol.logger, {"websocket": self})
        self.id: uuid.UUID = protocol.id
        """Unique identifier of the connection, for logs."""
        self.logger: LoggerLike = protocol.logger
        """Logger of the connection."""
        self.debug = protocol.debug

        self.request: Request | None = None
        """Request of the opening handshake."""
        self.response: Response | None = None
        """Response of the opening handshake."""

        # Held around every call into the protocol.
        self.protocol_mutex = threading.Lock()
        # The addresses stay available once the socket is closed.
        self._local_address: Any = sock.getsockname()
        try:
            self._remote_address: Any = sock.getpeername()
        except OSError:  # pragma: no cover
            self._remote_address = None  # the peer is gone already

        # Receiving. The reading thread holds recv_flow_control while
        # reading is paused and waits for it before each read.
        self.recv_flow_control = threading.Lock()
        self.recv_messages = Assembler(
            *self.max_queue,
            pause=self.pause_reading,
            resume=self.resume_reading,
        )

        # Sending. The protocol's output waits in outgoing, in order, until
        # the thread that holds send_mutex writes it. Counting chunks tells a
        # sender whether its own data was written before a write error.
        self.send_mutex = threading.Lock()
        self.outgoing: collections.deque[bytes] = collections.deque()
        self.chunks_queued = 0
        self.chunks_written = 0
        # Set while the protocol holds pongs back, because the reading thread
        # couldn't write; the next thread that empties outgoing lifts it.
        self.pongs_held = False

        # Pings waiting for their pong, oldest first: payload -> (event set
        # by the pong, time sent, whether closing sets the event too).
        self.pending_pings: dict[bytes, tuple[threading.Event, float, bool]] = {}
        self.latency: float = 0
        """
        Round-trip time of the last ping that got its pong, in seconds; ``0``
        before that. Keepalive pings update it, and so do calls to :meth:`ping`.
        """

        # Last: the thread uses every attribute above.
        self.recv_events_thread = threading.Thread(
            target=self.recv_events,
            name=f"websocket-recv-{self.id}",
            daemon=True,
        )
        self.recv_events_thread.start()

    # Attributes

    @property
    def local_address(self) -> Any:
        """
        Local address of the socket: ``(host, port)`` for IPv4, as
        :meth:`~socket.socket.getsockname` returns it for other families.
        """
        return self._local_address

    @property
    def remote_address(self) -> Any:
        """
        Address of the peer: ``(host, port)`` for IPv4, as
        :meth:`~socket.socket.getpeername` returns it for other families.
        """
        return self._remote_address

    @property
    def state(self) -> State:
        """
        ``CONNECTING``, ``OPEN``, ``CLOSING`` or ``CLOSED``
        (:rfc:`6455#section-4.1`).

        Few applications need it: :exc:`~ws_frames.exceptions.ConnectionClosed`
        tells them that the connection is over.
        """
        return self.protocol.state

    @property
    def subprotocol(self) -> Subprotocol | None:
        """Subprotocol chosen in the opening handshake; :obj:`None` if none."""
        return self.protocol.subprotocol

    @property
    def close_code(self) -> int | None:
        """
        Close code of the connection (:rfc:`6455#section-7.1.5`): :obj:`None`
        while it's open, 1006 if it ended without a closing handshake.
        """
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """
        Close reason of the connection (:rfc:`6455#section-7.1.6`):
        :obj:`None` while it's open.
        """
        return self.protocol.close_reason

    # Receiving and sending

    def __enter__(self) -> Self:
        """Leaving the ``with`` block closes the connection."""
        return self

    def __exit__(self, exc_type: object, exc_value: object, traceback: object) -> None:
        # An exception in the block is an error on this side: 1011.
        self.close(
            CloseCode.NORMAL_CLOSURE if exc_type is None else CloseCode.INTERNAL_ERROR
        )

    def __iter__(self) -> Iterator[Data]:
        """
        Yield incoming messages until the connection closes.

        The loop ends quietly after a normal closure (1000 or 1001) and raises
        :exc:`~ws_frames.exceptions.ConnectionClosedError` after an error.
        """
        while True:
            try:
                message = self.recv()
            except ConnectionClosedOK:
                return
            yield message

    @overload
    def recv(self, timeout: Seconds = None, *, decode: Literal[True]) -> str:
        """Text, whatever the type of the message."""

    @overload
    def recv(self, timeout: Seconds = None, *, decode: Literal[False]) -> bytes:
        """Bytes, whatever the type of the message."""

    @overload
    def recv(self, timeout: Seconds = None, decode: bool | None = None) -> Data:
        """Text or bytes, as the message was sent."""

    def recv(self, timeout: Seconds = None, decode: bool | None = None) -> Data:
        """
        Return the next message, once all its fragments arrived.

        A text message comes out as :class:`str`, a binary message as
        :class:`bytes`. ``decode=False`` returns a text message as its UTF-8
        bytes, which spares decoding it when the application parses bytes
        anyway; ``decode=True`` decodes a binary message as UTF-8.

        Every message that arrived before the connection closed comes out
        before :meth:`recv` raises
        :exc:`~ws_frames.exceptions.ConnectionClosed`.

        Args:
            timeout: Seconds to wait; :obj:`None` waits forever, ``0`` returns
                only a message that arrived already.
            decode: Force :class:`str` (:obj:`True`) or :class:`bytes`
                (:obj:`False`).

        Raises:
            ConnectionClosedOK: After a normal closure, once every message
                that arrived before it was returned.
            ConnectionClosedError: After a protocol error or a network failure.
            ConcurrencyError: If another thread is in :meth:`recv` or
                :meth:`recv_streaming`.
            TimeoutError: If no message arrives within ``timeout``.

        """
        try:
            return self.recv_messages.get(timeout, decode)
        except (EOFError, ConcurrencyError, UnicodeDecodeError) as exc:
            self.recv_failed(exc, "recv")

    def recv_streaming(self, decode: bool | None = None) -> Iterator[Data]:
        """
        Yield the fragments of the next message as they arrive.

        Text is decoded incrementally: a character split between two frames
        comes out whole. ``decode`` works as in :meth:`recv`.

        Read the iterator to the end: after a reader that stops half-way, the
        rest of the message can't be read.

        Raises:
            ConnectionClosed: As :meth:`recv` does.
            ConcurrencyError: If another thread is in :meth:`recv` or
                :meth:`recv_streaming`.

        """
        try:
            yield from self.recv_messages.get_iter(decode)
        except (EOFError, ConcurrencyError, UnicodeDecodeError) as exc:
            self.recv_failed(exc, "recv_streaming")

    def send(
        self,
        message: DataLike | Iterable[DataLike],
        *,
        text: bool | None = None,
    ) -> None:
        """
        Send a message, whole or in fragments.

        A :class:`str` goes out as a text frame; :class:`bytes`,
        :class:`bytearray` and :class:`memoryview` go out as a binary frame.
        ``text=True`` sends bytes that are already UTF-8 as text;
        ``text=False`` sends a string as binary.

        An iterable of strings or of bytes-like objects goes out as a
        fragmented message, a frame per item (:rfc:`6455#section-5.4`). The
        first item sets the type of the message; a later item of the other
        type raises :exc:`TypeError` and, since the message can't be completed,
        fails the connection with code 1011. Dict-like objects are refused:
        iterating one would send its keys.

        Raises:
            ConnectionClosed: If the connection is closing or closed.
            ConcurrencyError: If another thread is sending a fragmented
                message.
            TypeError: If ``message`` doesn't have a supported type.

        """
        # Strings and bytes are iterable: test them first.
        if isinstance(message, str):
            payload: BytesLike = message.encode()
            as_text = text is not False
        elif isinstance(message, BYTES_LIKE):
            payload = message
            as_text = text is True
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            self.send_fragments(iter(message), text)
            return
        else:
            raise TypeError("data must be str, bytes, or iterable")

        # This is send_context() written out: on the path of every message, a
        # context manager costs more than the rest of the work on a small one.
        # A data frame doesn't start the closing handshake: closing is False.
        protocol = self.protocol
        failure: Exception | None = None
        mark = 0
        with self.protocol_mutex:
            allowed = protocol.state is OPEN
            if allowed:
                if self.send_in_progress:
                    raise ConcurrencyError(
                        "cannot call send while another thread is already running send"
                    )
                try:
                    if as_text:
                        protocol.send_text(payload)
                    else:
                        protocol.send_binary(payload)
                except CALLER_ERRORS:
                    raise
                except Exception as exc:
                    failure = exc
                self.send_data()
                mark = self.chunks_queued
        if not allowed:
            self.reject_call()
        if failure is not None:
            self.logger.error("unexpected internal error", exc_info=failure)
            self.abort_and_raise(failure)
        self.complete_send(mark, False)

    def close(
        self,
        code: CloseCode | int = CloseCode.NORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        Run the closing handshake (:rfc:`6455#section-7.1.2`) and wait until
        the TCP connection is closed.

        When the peer doesn't answer within ``close_timeout``, the socket is
        closed. Messages that arrived before the peer's close frame stay
        available to :meth:`recv`. Closing a connection that is closed already
        does nothing. Closing while a fragmented message is being sent fails
        the connection with code 1011.

        Args:
            code: Close code.
            reason: Close reason, up to 123 bytes once encoded to UTF-8.

        Raises:
            ProtocolError: If ``code`` isn't a valid close code or ``reason``
                is too long.

        """
        try:
            with self.send_context():
                if self.send_in_progress:
                    self.protocol.fail(
                        CloseCode.INTERNAL_ERROR, "close during fragmented message"
                    )
                else:
                    self.protocol.send_close(code, reason)
        except ConnectionClosed:
            # Closed already, or meanwhile: the caller gets what it wanted.
            pass

    def ping(
        self, data: DataLike | None = None, *, ack_on_close: bool = False
    ) -> threading.Event:
        """
        Send a ping (:rfc:`6455#section-5.5.2`).

        A ping tells whether the peer is alive and has read everything sent
        before it, and how long a round trip takes: see :attr:`latency`.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8. :obj:`None`
                picks four random bytes that no waiting ping uses.
            ack_on_close: Set the event also when the connection closes before
                the pong arrives.

        Returns:
            An event set when the pong arrives; there's no need to wait for
            it::

                websocket.ping().wait()

        Raises:
            ConnectionClosed: If the connection is closing or closed.
            ConcurrencyError: If a ping with the same payload waits for its
                pong.

        """
        payload = None if data is None else control_payload(data)
        with self.send_context():
            if payload is not None and payload in self.pending_pings:
                raise ConcurrencyError("already waiting for a pong with the same data")
            while payload is None or payload in self.pending_pings:
                payload = random.getrandbits(32).to_bytes(4, "big")
            self.protocol.send_ping(payload)
            # The pong can't be processed before this returns: register the
            # ping only once the protocol has accepted it.
            pong_received = threading.Event()
            self.pending_pings[payload] = (
                pong_received,
                time.perf_counter(),
                ack_on_close,
            )
        return pong_received

    def pong(self, data: DataLike = b"") -> None:
        """
        Send a pong (:rfc:`6455#section-5.5.3`).

        The connection answers pings by itself; an unsolicited pong serves as a
        one-way heartbeat.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8.

        Raises:
            ConnectionClosed: If the connection is closing or closed.

        """
        payload = control_payload(data)
        with self.send_context():
            self.protocol.send_pong(payload)

    # Internals, in the same order as in ws_asyncio.connection.

    def process_event(self, event: Event) -> None:
        """
        Route an event of the protocol: data frames to :meth:`recv`, pongs to
        the pings they answer.

        Subclasses override it to take the opening handshake first. It runs
        in the reading thread, under :attr:`protocol_mutex`.

        """
        assert isinstance(event, Frame)
        opcode = event.opcode
        # Identity tests in order of frequency: this runs for every frame.
        if opcode is OP_TEXT or opcode is OP_BINARY or opcode is OP_CONT:
            # try costs nothing when nothing is raised, unlike suppress().
            try:
                self.recv_messages.put(event)
            except EOFError:
                pass  # close_socket() ran in another thread: nobody reads
        elif opcode is OP_PONG:
            self.acknowledge_pings(bytes(event.data))

    def acknowledge_pings(self, data: bytes) -> None:
        """
        Release the ping whose payload is ``data`` and every older one.

        A peer answers pings in order and may answer only the last of several
        (:rfc:`6455#section-5.5.3`). A pong that matches no ping is a
        heartbeat: nothing to do.

        """
        pending = self.pending_pings
        if data not in pending:
            return
        now = time.perf_counter()
        while True:
            payload = next(iter(pending))
            pong_received, sent_at, _ = pending.pop(payload)
            pong_received.set()
            if payload == data:
                self.latency = now - sent_at
                return

    def terminate_pending_pings(self) -> None:
        """Release the pings that asked for it once the connection is closed."""
        waiting = [waiter for waiter, _, ack in self.pending_pings.values() if ack]
        self.pending_pings.clear()
        for pong_received in waiting:
            pong_received.set()

    def start_keepalive(self) -> None:
        """Start :meth:`keepalive` in a thread, if ``ping_interval`` is set."""
        if self.ping_interval is not None:
            self.keepalive_thread = threading.Thread(
                target=self.keepalive,
                name=f"websocket-keepalive-{self.id}",
                daemon=True,
            )
            self.keepalive_thread.start()

    def keepalive(self) -> None:
        """Ping every ``ping_interval``; fail the connection if a pong is late."""
        interval = self.ping_interval
        assert interval is not None
        # Joining the reading thread is a sleep that ends with the connection.
        reading = self.recv_events_thread
        try:
            while True:
                # Pings leave every interval, whatever the round trip.
                reading.join(interval - self.latency)
                if not reading.is_alive():
                    return
                self.keepalive_ping()
        except Exception as exc:
            # The end of the connection ends keepalive; anything else is a bug.
            if not isinstance(exc, ConnectionClosed):
                self.logger.error("keepalive ping failed", exc_info=True)

    def keepalive_ping(self) -> None:
        """Send a ping; fail the connection if the pong is late."""
        pong_received = self.ping(ack_on_close=True)
        debug = self.debug
        if debug:
            self.logger.debug("% sent keepalive ping")
        if self.ping_timeout is None:
            return
        if not pong_received.wait(self.ping_timeout):
            if debug:
                self.logger.debug("- timed out waiting for keepalive pong")
            self.fail_connection(CloseCode.INTERNAL_ERROR, "keepalive ping timeout")
        else:
            if debug:
                self.logger.debug("% received keepalive pong")

    @contextlib.contextmanager
    def send_context(
        self,
        *,
        expected_state: State = OPEN,  # CONNECTING for the opening handshake
    ) -> Iterator[None]:
        """
        Run a call that makes the protocol send something, then send it::

            with self.send_context():
                self.protocol.send_ping(data)

        The body runs under :attr:`protocol_mutex`, and only if the state is
        ``expected_state``. Then what the protocol queued goes to the socket,
        and, if the call started the closing handshake, the context waits for
        the end of the TCP connection.

        An error with which the protocol refuses a wrong call (see
        ``CALLER_ERRORS``) goes to the caller, and the connection goes on.

        Raises:
            ConnectionClosed: If the state isn't ``expected_state``, if the
                protocol fails unexpectedly or if writing fails; once the
                connection is closed, so that the exception has the close
                frames.

        """
        failure: Exception | None = None
        closing = False
        mark = 0
        with self.protocol_mutex:
            allowed = self.protocol.state is expected_state
            if allowed:
                try:
                    yield
                except CALLER_ERRORS:
                    raise
                except Exception as exc:
                    failure = exc
                else:
                    closing = self.protocol.close_expected()
                    if closing:
                        self.set_close_deadline()
                    self.send_data()
                    mark = self.chunks_queued
        if not allowed:
            self.reject_call()
        if failure is not None:
            self.logger.error("unexpected internal error", exc_info=failure)
            self.abort_and_raise(failure)
        self.complete_send(mark, closing)

    def complete_send(self, mark: int, closing: bool) -> None:
        """
        Write what the protocol queued, up to chunk number ``mark`` at least.

        If ``closing``, that is, if the protocol expects the TCP connection to
        close, wait until it's closed, within ``close_timeout``.

        Raises:
            ConnectionClosed: If writing fails or the closing handshake
                times out.

        """
        timeout = None
        if closing:
            assert self.close_deadline is not None
            timeout = self.close_deadline.timeout(raise_if_elapsed=False)
            if timeout is not None:
                # A write blocked by a peer that doesn't read mustn't outlast
                # the closing handshake.
                timeout = max(timeout, 0.001)
                with contextlib.suppress(OSError):
                    self.socket.settimeout(timeout)
        try:
            self.flush(timeout)
        except Exception as exc:
            if self.debug:
                self.logger.debug("! error while sending data", exc_info=True)
            # Failing to write what another thread queued after this call's
            # data, like the answer to a close frame, isn't this call's
            # failure: the reading thread notices it.
            if self.chunks_written < mark:
                self.abort_and_raise(exc)
        if closing:
            self.wait_for_close()

    def send_fragments(self, chunks: Iterator[DataLike], text: bool | None) -> None:
        """Send the items of ``chunks`` as the fragments of one message."""
        try:
            chunk = next(chunks)
        except StopIteration:
            return  # no item: not even an empty message

        # The first item sets the type of the message. A mistake in it is
        # caught before anything goes out: the connection stays usable.
        strings = fragments_are_strings(chunk)
        if text is None:
            text = strings
        start = self.protocol.send_text if text else self.protocol.send_binary
        with self.protocol_mutex:
            if self.send_in_progress:
                raise ConcurrencyError(
                    "cannot call send while another thread is already running send"
                )
            self.send_in_progress = True
        try:
            with self.send_context():
                start(fragment_payload(chunk, strings), fin=False)
            try:
                for chunk in chunks:
                    payload = fragment_payload(chunk, strings)
                    with self.send_context():
                        self.protocol.send_continuation(payload, fin=False)
                with self.send_context():
                    self.protocol.send_continuation(b"", fin=True)
            except BaseException:
                # The peer has seen the start of the message; nothing can take
                # it back: the connection is over.
                self.fail_connection(
                    CloseCode.INTERNAL_ERROR, "error in fragmented message"
                )
                raise
        finally:
            self.send_in_progress = False

    def fail_connection(self, code: int, reason: str) -> None:
        """
        Fail the connection (:rfc:`6455#section-7.1.7`) and wait until it's
        closed; do nothing if it's closed or closing already.
        """
        try:
            with self.send_context():
                self.protocol.fail(code, reason)
        except ConnectionClosed:
            pass

    def recv_failed(self, exc: Exception, method: str) -> NoReturn:
        """Turn an error of the assembler into the error of :meth:`recv`."""
        if isinstance(exc, ConcurrencyError):
            raise ConcurrencyError(
                f"cannot call {method} while another thread "
                "is already running recv or recv_streaming"
            ) from None
        if isinstance(exc, UnicodeDecodeError):
            # decode=True on a binary message that isn't UTF-8: the peer sent
            # data that isn't consistent with the type of the message (1007).
            self.fail_connection(
                CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}"
            )
        self.raise_close_exc()

    def reject_call(self) -> NoReturn:
        """
        Raise :exc:`~ws_frames.exceptions.ConnectionClosed` for a call that
        the state doesn't allow, once the connection is closed: if the closing
        handshake is under way, within ``close_timeout``; otherwise, at once.
        """
        with self.protocol_mutex:
            closing = self.protocol.state is CLOSING
            if closing:
                self.set_close_deadline()
        if closing:
            self.wait_for_close()
        self.close_socket()
        self.raise_close_exc()

    def wait_for_close(self) -> None:
        """
        Wait until the reading thread sees the end of the TCP connection, at
        most until the close deadline.

        Raises:
            ConnectionClosed: If the deadline passes first.

        """
        assert self.close_deadline is not None
        self.recv_events_thread.join(
            self.close_deadline.timeout(raise_if_elapsed=False)
        )
        if self.recv_events_thread.is_alive():
            self.abort_and_raise(TimeoutError("timed out while closing connection"))

    def abort_and_raise(self, cause: BaseException) -> NoReturn:
        """
        Close the socket after an error that breaks the connection, and raise
        :exc:`~ws_frames.exceptions.ConnectionClosed` from that error.
        """
        with self.protocol_mutex:
            self.set_recv_exc(cause)
        self.close_socket()
        self.raise_close_exc(cause)

    def raise_close_exc(self, cause: BaseException | None = None) -> NoReturn:
        """Wait until the connection is closed and raise :meth:`close_exc`."""
        # The reading thread leaves the state CLOSED when it ends.
        self.recv_events_thread.join()
        raise self.close_exc(cause)

    def close_exc(self, cause: BaseException | None = None) -> ConnectionClosed:
        """
        Exception telling how the connection closed, once it's closed.

        The protocol chains to it the error it found in the data received, if
        any. Otherwise, ``cause`` or the network error recorded earlier explain
        more than the end of the stream that followed.

        """
        exc = self.protocol.close_exc
        if cause is None:
            cause = self.recv_exc
        if cause is not None and (
            exc.__cause__ is None or isinstance(exc.__cause__, EOFError)
        ):
            exc.__cause__ = cause
        return exc

    def set_close_deadline(self) -> None:
        """
        Give the closing handshake ``close_timeout`` seconds, after which the
        reading thread stops waiting (:rfc:`6455#section-7.1.1`); later calls
        change nothing. The caller holds :attr:`protocol_mutex`.
        """
        if self.close_deadline is None:
            self.close_deadline = Deadline(self.close_timeout)
        # The peer's close frame may be behind frames that flow control left
        # unread: read on, keeping for recv() what the queue holds.
        self.recv_messages.discard_overflow()

    def send_data(self) -> None:
        """
        Queue what the protocol has to send, for :meth:`flush` to write.

        The caller holds :attr:`protocol_mutex`, which keeps the chunks in the
        order the protocol produced them.

        """
        chunks = self.protocol.data_to_send()
        self.outgoing.extend(chunks)
        self.chunks_queued += len(chunks)

    def set_recv_exc(self, exc: BaseException | None) -> None:
        """Record the first error that broke the connection; hold :attr:`protocol_mutex`."""
        if self.recv_exc is None:
            self.recv_exc = exc

    def handle_received(self) -> None:
        """
        Queue what the protocol answers to the data it received, and route the
        events that it decoded; hold :attr:`protocol_mutex`.
        """
        protocol = self.protocol
        events = protocol.events_received()
        # Answers such as pongs or a close frame; most data calls for none,
        # and testing for them spares a call.
        if protocol.writes:
            self.send_data()
        for event in events:
            self.process_event(event)
        # After the events: messages that came in front of a close frame are
        # queued before the closing handshake starts dropping the overflow.
        if protocol.close_expected():
            self.set_close_deadline()

    def pause_reading(self) -> None:
        """
        Stop the reading thread before its next read; called from that thread
        by :attr:`recv_messages`.
        """
        self.recv_flow_control.acquire()

    def resume_reading(self) -> None:
        """Let the reading thread read again; called by :attr:`recv_messages`."""
        self.recv_flow_control.release()

    def flush(self, timeout: float | None = None) -> None:
        """
        Write the queued chunks to the socket.

        One thread writes at a time. When another one is writing, wait for it
        up to ``timeout`` seconds (:obj:`None` waits as long as needed, ``0``
        doesn't wait), then leave: that thread writes every chunk queued
        before it lets go of :attr:`send_mutex`, unless a peer that doesn't
        read blocks it. An empty chunk stands for the end of the stream.

        Raises:
            OSError: If writing fails, now or earlier: after a failed write,
                the socket is unusable.

        """
        outgoing = self.outgoing
        send_mutex = self.send_mutex
        blocking = timeout is None or timeout > 0
        wait = -1 if timeout is None or timeout <= 0 else timeout
        while True:
            if self.write_exc is not None:
                outgoing.clear()
                raise self.write_exc
            if not (outgoing or self.pongs_held) or not send_mutex.acquire(
                blocking, wait
            ):
                return
            try:
                while outgoing:
                    chunk = outgoing.popleft()
                    if chunk:
                        self.socket.sendall(chunk)
                    else:
                        with contextlib.suppress(OSError):
                            self.socket.shutdown(socket.SHUT_WR)
                    self.chunks_written += 1
                if self.pongs_held:
                    # The writer caught up: the pong of the last ping goes
                    # out in the next round of the loop.
                    with self.protocol_mutex:
                        self.pongs_held = False
                        self.protocol.hold_pongs(False)
                        self.send_data()
            except BaseException as exc:
                self.write_exc = exc
            finally:
                send_mutex.release()

    def recv_events(self) -> None:
        """
        Read the socket and feed the protocol until the connection ends.

        Runs in :attr:`recv_events_thread`.

        """
        try:
            while True:
                # When flow control paused reading, this waits until the
                # application drains the queue.
                with self.recv_flow_control:
                    pass
                try:
                    deadline = self.close_deadline
                    if deadline is not None:
                        # Don't wait for the peer past the closing handshake.
                        self.socket.settimeout(deadline.timeout())
                    data = self.socket.recv(self.recv_bufsize)
                except Exception as exc:
                    if self.debug:
                        self.logger.debug("! error while receiving data", exc_info=True)
                    with self.protocol_mutex:
                        self.set_recv_exc(exc)
                    break
                if not data:
                    break

                with self.protocol_mutex:
                    self.protocol.receive_data(data)
                    self.handle_received()
                try:
                    # Don't wait behind a thread that is stuck writing to a
                    # peer that doesn't read: it writes these after its own.
                    self.flush(0)
                except Exception as exc:
                    if self.debug:
                        self.logger.debug("! error while sending data", exc_info=True)
                    with self.protocol_mutex:
                        self.set_recv_exc(exc)
                    break
                if self.outgoing and not self.pongs_held:
                    # Another thread is writing. A peer that sends pings
                    # and doesn't read would make outgoing grow with pongs:
                    # until that thread catches up, only the pong of the
                    # last ping is kept.
                    with self.protocol_mutex:
                        self.pongs_held = True
                        self.protocol.hold_pongs(True)

            with self.protocol_mutex:
                self.protocol.receive_eof()
                # A handshake response without Content-Length ends with the
                # stream.
                self.handle_received()
            with contextlib.suppress(OSError):
                self.flush(0)

        except Exception as exc:
            # A bug: record it for recv(), then end the connection.
            with self.protocol_mutex:
                self.set_recv_exc(exc)
            self.logger.error("unexpected internal error", exc_info=True)
        finally:
            self.close_socket()

    def close_socket(self) -> None:
        """
        Close the socket and end the stream of incoming messages.

        Any thread may call it, more than once.

        """
        # shutdown() wakes up the threads blocked in recv() or sendall() on
        # this socket; close() doesn't.
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()
        with self.protocol_mutex:
            self.protocol.receive_eof()
            # receive_eof() leaves a server CONNECTING while a request waits
            # for its response: it's too late to send one now.
            self.protocol.state = CLOSED
            self.outgoing.clear()
            self.terminate_pending_pings()
        self.recv_messages.close()


def fragments_are_strings(chunk: object) -> bool:
    """
    Tell whether the first fragment of a message is a string or bytes.

    Raises:
        TypeError: If it's neither.

    """
    if isinstance(chunk, str):
        return True
    if isinstance(chunk, BYTES_LIKE):
        return False
    raise TypeError("iterable must contain bytes or str")


def fragment_payload(chunk: object, strings: bool) -> BytesLike:
    """
    Return the payload of a fragment, which must have the type of the first.

    Raises:
        TypeError: If it doesn't.

    """
    if strings and isinstance(chunk, str):
        return chunk.encode()
    if not strings and isinstance(chunk, BYTES_LIKE):
        return chunk
    raise TypeError("iterable must contain uniform types")


def control_payload(data: DataLike) -> bytes:
    """
    Return the payload of a ping or a pong.

    Raises:
        TypeError: If ``data`` is neither a string nor bytes-like.

    """
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, BYTES_LIKE):
        return bytes(data)
    raise TypeError("data must be str or bytes-like")


def broadcast(
    connections: Iterable[Connection],
    message: str | BytesLike,
    *,
    raise_exceptions: bool = False,
    text: bool | None = None,
    **kwargs: Any,
) -> None:
    """
    Send a message to many connections.

    The message goes to every connection that is open and isn't sending a
    fragmented message. The frame is built once and the same bytes go to every
    server connection that uses no extension; the others, client connections,
    which mask their frames, and connections with compression, build their
    own.

    Writing happens in the calling thread, one connection after the other: a
    peer that doesn't read delays the next ones.

    A connection that can't take the message is skipped, with a warning in
    its log; with ``raise_exceptions=True``, the errors are raised together in
    an :exc:`ExceptionGroup` at the end instead.

    Args:
        connections: Connections, server or client ones.
        message: A :class:`str` goes out as a text frame, a bytes-like object
            as a binary frame.
        raise_exceptions: Raise the errors rather than log them.
        text: ``True`` sends UTF-8 bytes as text, ``False`` a string as
            binary.

    Raises:
        TypeError: If ``message`` isn't a string or bytes-like.
        ProtocolError: If ``text`` is set and ``message`` isn't UTF-8.

    """
    if kwargs:
        raise TypeError(
            f"broadcast() got an unexpected keyword argument {next(iter(kwargs))!r}"
        )
    frame = broadcast_frame(message, text)
    if raise_exceptions and sys.version_info < (3, 11):  # pragma: no cover
        raise ValueError("raise_exceptions requires at least Python 3.11")

    # The frame without masking nor extensions, made on first use.
    shared: bytes | None = None
    errors: list[Exception] = []

    for connection in connections:
        protocol = connection.protocol
        failure: Exception | None = None
        with connection.protocol_mutex:
            if protocol.state is not OPEN:
                continue
            if connection.send_in_progress:
                skip_broadcast(
                    connection,
                    ConcurrencyError("sending a fragmented message"),
                    errors if raise_exceptions else None,
                )
                continue
            try:
                if (
                    protocol.side is SERVER
                    and not protocol.extensions
                    and not protocol.debug
                    and not protocol.expect_continuation_frame
                ):
                    if shared is None:
                        shared = frame.serialize(mask=False)
                    connection.outgoing.append(shared)
                    connection.chunks_queued += 1
                else:
                    if frame.opcode is OP_TEXT:
                        protocol.send_text(frame.data)
                    else:
                        protocol.send_binary(frame.data)
                    connection.send_data()
            except Exception as exc:
                failure = exc
        if failure is None:
            try:
                connection.flush()
            except Exception as exc:
                failure = exc
                # The socket is unusable: close the connection, which tells
                # its reader why.
                with connection.protocol_mutex:
                    connection.set_recv_exc(exc)
                connection.close_socket()
        if failure is not None:
            skip_broadcast(connection, failure, errors if raise_exceptions else None)

    if errors:
        raise ExceptionGroup("skipped broadcast", errors)  # noqa: F821


def skip_broadcast(
    connection: Connection, exc: Exception, errors: list[Exception] | None
) -> None:
    """Report a connection that :func:`broadcast` skipped."""
    if isinstance(exc, ConcurrencyError):
        error: Exception = exc
        problem = "sending a fragmented message"
    else:
        error = RuntimeError("failed to write message")
        error.__cause__ = exc
        problem = (
            "failed to write message: "
            + "".join(traceback.format_exception_only(type(exc), exc)).strip()
        )
    if errors is None:
        connection.logger.warning("skipped broadcast: %s", problem)
    else:
        errors.append(error)

"""A WebSocket connection driven by threads: the part shared by clients and servers."""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import struct
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NoReturn, overload

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedOK,
    ProtocolError,
)
from ws_frames.frames import CloseCode, Frame, Opcode
from ws_frames.protocol import Protocol, State
from ws_frames.typing import BytesLike, Data, DataLike, LoggerLike, Subprotocol

from .messages import Assembler
from .utils import Deadline


if TYPE_CHECKING:
    from ws_http.http11 import Request, Response

if sys.version_info >= (3, 11):
    from typing import Self
elif TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self


__all__ = ["Connection"]

CONNECTING = State.CONNECTING
OPEN = State.OPEN
CLOSING = State.CLOSING
CLOSED = State.CLOSED

OP_TEXT = Opcode.TEXT
OP_BINARY = Opcode.BINARY
OP_CONT = Opcode.CONT
OP_PONG = Opcode.PONG

# isinstance() checks against BytesLike.
BYTES_LIKE = (bytes, bytearray, memoryview)


class Connection:
    """
    Threaded implementation of a WebSocket connection.

    A background thread reads the socket and feeds the sans-I/O
    :class:`~ws_frames.protocol.Protocol`; application threads call
    :meth:`recv`, :meth:`send`, :meth:`ping`, :meth:`close`. Every call into
    the protocol happens under :attr:`protocol_mutex`. Writing to the socket
    happens outside that mutex, so that a send blocked by a peer that stops
    reading never prevents the background thread from processing what the
    peer sends, in particular its close frame.

    Args:
        socket: Connected socket.
        protocol: Sans-I/O connection.
        ping_interval: Delay between keepalive pings in seconds;
            :obj:`None` disables keepalive.
        ping_timeout: Time-out for keepalive pings in seconds; :obj:`None`
            disables the time-out.
        close_timeout: Time-out for the closing handshake in seconds;
            :obj:`None` waits forever.
        max_queue: High-water mark of the queue of incoming frames, or a
            ``(high, low)`` pair; :obj:`None` disables flow control.

    """

    recv_bufsize = 65536

    def __init__(
        self,
        sock: socket.socket,
        protocol: Protocol,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None | tuple[int | None, int | None] = 16,
    ) -> None:
        self.socket = sock
        self.protocol = protocol
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        if isinstance(max_queue, int) or max_queue is None:
            max_queue = (max_queue, None)
        self.max_queue = max_queue

        # Log records carry the connection, for filters and formatters.
        self.protocol.logger = logging.LoggerAdapter(
            self.protocol.logger, {"websocket": self}
        )

        self.id: uuid.UUID = self.protocol.id
        """Unique identifier of the connection. Useful in logs."""
        self.logger: LoggerLike = self.protocol.logger
        """Logger for this connection."""
        self.debug = self.protocol.debug

        self.request: Request | None = None
        """Opening handshake request."""
        self.response: Response | None = None
        """Opening handshake response."""

        # Held around every call into the protocol.
        self.protocol_mutex = threading.Lock()
        # Held by the thread that writes to the socket; see flush().
        self.send_mutex = threading.Lock()
        # Bytes produced by the protocol, in order, waiting to be written.
        self.outgoing: deque[bytes] = deque()
        # Chunks queued and written so far, so that a thread that writes the
        # data of others doesn't blame their write errors on its own send.
        self.chunks_queued = 0
        self.chunks_written = 0
        # First write error; the socket is unusable after it.
        self.write_exc: BaseException | None = None

        # Held while reading is paused; the reading thread acquires and
        # releases it before each read.
        self.recv_flow_control = threading.Lock()
        self.recv_messages = Assembler(
            *max_queue,
            pause=self.recv_flow_control.acquire,
            resume=self.recv_flow_control.release,
        )

        self.close_deadline: Deadline | None = None

        # Set while send() is in the middle of a fragmented message.
        self.send_in_progress = False

        # Payload -> (pong received, time sent, set when the connection closes).
        self.pending_pings: dict[bytes, tuple[threading.Event, float, bool]] = {}

        self.latency: float = 0.0
        """
        Latency of the connection, in seconds.

        Latency is the round-trip time of the last ping that received a pong;
        ``0`` until then.

        """

        self.keepalive_thread: threading.Thread | None = None

        # Addresses remain available after the socket is closed.
        self._local_address: Any = self.socket.getsockname()
        try:
            self._remote_address: Any = self.socket.getpeername()
        except OSError:  # pragma: no cover - the peer is already gone
            self._remote_address = None

        # Exception raised while reading or writing, chained to ConnectionClosed.
        self.recv_exc: BaseException | None = None

        # Start reading only once every attribute above exists.
        self.recv_events_thread = threading.Thread(
            target=self.recv_events,
            name=f"websocket-recv-{self.id}",
            daemon=True,
        )
        self.recv_events_thread.start()

    # Public attributes

    @property
    def local_address(self) -> Any:
        """
        Local address of the connection.

        For IPv4 connections, this is a ``(host, port)`` tuple. The format
        depends on the address family; see :meth:`~socket.socket.getsockname`.

        """
        return self._local_address

    @property
    def remote_address(self) -> Any:
        """
        Remote address of the connection.

        For IPv4 connections, this is a ``(host, port)`` tuple. The format
        depends on the address family; see :meth:`~socket.socket.getpeername`.

        """
        return self._remote_address

    @property
    def state(self) -> State:
        """State of the WebSocket connection, defined in :rfc:`6455`."""
        return self.protocol.state

    @property
    def subprotocol(self) -> Subprotocol | None:
        """Subprotocol negotiated during the opening handshake, if any."""
        return self.protocol.subprotocol

    @property
    def close_code(self) -> int | None:
        """Code of the closing handshake; :obj:`None` until the connection is closed."""
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """Reason of the closing handshake; :obj:`None` until the connection is closed."""
        return self.protocol.close_reason

    # Public methods

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.close(CloseCode.INTERNAL_ERROR)

    def __iter__(self) -> Iterator[Data]:
        """
        Iterate on incoming messages.

        The iterator calls :meth:`recv` and yields messages until the
        connection closes with 1000 (OK), 1001 (going away) or without a close
        code; it raises :exc:`~ws_frames.exceptions.ConnectionClosedError`
        after a protocol error or a network failure.

        """
        try:
            while True:
                yield self.recv()
        except ConnectionClosedOK:
            return

    @overload
    def recv(self, timeout: float | None, decode: Literal[True]) -> str: ...

    @overload
    def recv(self, timeout: float | None, decode: Literal[False]) -> bytes: ...

    @overload
    def recv(self, timeout: float | None = None, *, decode: Literal[True]) -> str: ...

    @overload
    def recv(
        self, timeout: float | None = None, *, decode: Literal[False]
    ) -> bytes: ...

    @overload
    def recv(
        self, timeout: float | None = None, decode: bool | None = None
    ) -> Data: ...

    def recv(self, timeout: float | None = None, decode: bool | None = None) -> Data:
        """
        Receive the next message.

        A fragmented message is returned once all its fragments arrived.
        Messages received before the connection closed are returned before
        :exc:`~ws_frames.exceptions.ConnectionClosed` is raised.

        Args:
            timeout: Time to wait in seconds; :obj:`None` waits forever and
                ``0`` only returns a message that already arrived.
            decode: :obj:`True` returns :class:`str` and :obj:`False` returns
                :class:`bytes` whatever the frame type; :obj:`None` returns
                :class:`str` for a Text frame and :class:`bytes` for a Binary
                frame.

        Raises:
            ConnectionClosed: When the connection is closed: ``OK`` after a
                normal closure, ``Error`` after a protocol error or a network
                failure.
            ConcurrencyError: If two threads call :meth:`recv` or
                :meth:`recv_streaming` concurrently.
            TimeoutError: If no message arrives within ``timeout``.

        """
        try:
            return self.recv_messages.get(timeout, decode)
        except EOFError:
            pass
        except ConcurrencyError:
            raise ConcurrencyError(
                "cannot call recv while another thread "
                "is already running recv or recv_streaming"
            ) from None
        except UnicodeDecodeError as exc:
            self.fail_invalid_data(exc)
        self.raise_close_exc()

    def recv_streaming(self, decode: bool | None = None) -> Iterator[Data]:
        """
        Receive the next message frame by frame.

        The iterator must be consumed entirely, or else the connection becomes
        unusable. It raises the same exceptions as :meth:`recv`.

        Args:
            decode: As in :meth:`recv`.

        """
        try:
            yield from self.recv_messages.get_iter(decode)
            return
        except EOFError:
            pass
        except ConcurrencyError:
            raise ConcurrencyError(
                "cannot call recv_streaming while another thread "
                "is already running recv or recv_streaming"
            ) from None
        except UnicodeDecodeError as exc:
            self.fail_invalid_data(exc)
        self.raise_close_exc()

    def send(
        self,
        message: DataLike | Iterable[DataLike],
        *,
        text: bool | None = None,
    ) -> None:
        """
        Send a message.

        A :class:`str` is sent as a Text frame, a bytes-like object as a
        Binary frame; ``text`` overrides the frame type (the data must then
        be valid UTF-8 for a Text frame). An iterable of :class:`str` or of
        bytes-like objects is sent as a fragmented message, one frame per
        item; all items must have the same type, or else :exc:`TypeError` is
        raised and the connection is closed, because the message cannot be
        completed.

        Dict-like objects are rejected, because sending their keys is rarely
        what the caller meant; pass ``d.keys()`` for that.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If another thread is sending a fragmented message.
            TypeError: If ``message`` doesn't have a supported type.

        """
        if isinstance(message, str):
            with self.send_context():
                if self.send_in_progress:
                    raise ConcurrencyError(
                        "cannot call send while another thread is already running send"
                    )
                if text is False:
                    self.protocol.send_binary(message.encode())
                else:
                    self.protocol.send_text(message.encode())

        elif isinstance(message, BYTES_LIKE):
            with self.send_context():
                if self.send_in_progress:
                    raise ConcurrencyError(
                        "cannot call send while another thread is already running send"
                    )
                if text is True:
                    self.protocol.send_text(message)
                else:
                    self.protocol.send_binary(message)

        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")

        elif isinstance(message, Iterable):
            self.send_fragments(iter(message), text)

        else:
            raise TypeError("data must be str, bytes, or iterable")

    def send_fragments(self, chunks: Iterator[DataLike], text: bool | None) -> None:
        """Send a fragmented message, one frame per chunk."""
        try:
            chunk = next(chunks)
        except StopIteration:
            # An empty iterable sends nothing, like an empty for loop.
            return

        if isinstance(chunk, str):
            encode = True
        elif isinstance(chunk, BYTES_LIKE):
            encode = False
        else:
            raise TypeError("iterable must contain bytes or str")
        if text is None:
            text = encode

        def to_bytes(chunk: DataLike) -> BytesLike:
            if encode:
                if not isinstance(chunk, str):
                    raise TypeError("iterable must contain uniform types")
                return chunk.encode()
            if not isinstance(chunk, BYTES_LIKE):
                raise TypeError("iterable must contain uniform types")
            return chunk

        with self.send_context():
            if self.send_in_progress:
                raise ConcurrencyError(
                    "cannot call send while another thread is already running send"
                )
            self.send_in_progress = True
            if text:
                self.protocol.send_text(to_bytes(chunk), fin=False)
            else:
                self.protocol.send_binary(to_bytes(chunk), fin=False)

        try:
            for chunk in chunks:
                data = to_bytes(chunk)
                with self.send_context():
                    self.protocol.send_continuation(data, fin=False)
            with self.send_context():
                self.protocol.send_continuation(b"", fin=True)
                self.send_in_progress = False
        except ConnectionClosed:
            self.send_in_progress = False
            raise
        except BaseException:
            # The message can't be completed, because of an item of the wrong
            # type or an error in the caller's iterator: the connection is
            # unusable.
            self.send_in_progress = False
            with contextlib.suppress(ConnectionClosed):
                with self.send_context():
                    self.protocol.fail(
                        CloseCode.INTERNAL_ERROR, "error in fragmented message"
                    )
            raise

    def close(
        self, code: CloseCode | int = CloseCode.NORMAL_CLOSURE, reason: str = ""
    ) -> None:
        """
        Perform the closing handshake.

        :meth:`close` waits for the other end to complete the handshake and
        for the TCP connection to terminate, within ``close_timeout``.
        Messages received before the close frame remain available to
        :meth:`recv`. :meth:`close` is idempotent.

        Args:
            code: WebSocket close code.
            reason: WebSocket close reason.

        Raises:
            ProtocolError: If ``code`` or ``reason`` aren't valid.

        """
        # Reading must reach the peer's close frame even if nobody reads
        # the messages queued before it.
        self.recv_messages.lift_flow_control()
        try:
            with self.send_context():
                if self.send_in_progress:
                    self.protocol.fail(
                        CloseCode.INTERNAL_ERROR,
                        "close during fragmented message",
                    )
                else:
                    self.protocol.send_close(code, reason)
        except ConnectionClosed:
            # The connection is closed, which is what the caller asked for.
            pass

    def ping(
        self, data: DataLike | None = None, *, ack_on_close: bool = False
    ) -> threading.Event:
        """
        Send a Ping_.

        .. _Ping: https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.2

        A ping may serve as a keepalive or as a check that the peer received
        everything sent so far. Per :rfc:`6455` section 5.5.3, a pong
        acknowledges the ping with the same payload and every earlier one.

        Args:
            data: Payload of the ping; a :class:`str` is encoded to UTF-8;
                :obj:`None` picks four random bytes.
            ack_on_close: Whether to set the event when the connection closes
                before the pong arrives.

        Returns:
            An event set when the corresponding pong is received.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If another ping with the same payload is still
                waiting for its pong.

        """
        if isinstance(data, BYTES_LIKE):
            data = bytes(data)
        elif isinstance(data, str):
            data = data.encode()
        elif data is not None:
            raise TypeError("data must be str or bytes-like")

        with self.send_context():
            if data in self.pending_pings:
                raise ConcurrencyError("already waiting for a pong with the same data")
            while data is None or data in self.pending_pings:
                data = struct.pack("!I", random.getrandbits(32))
            pong_received = threading.Event()
            self.pending_pings[data] = (pong_received, time.monotonic(), ack_on_close)
            self.protocol.send_ping(data)
            return pong_received

    def pong(self, data: DataLike = b"") -> None:
        """
        Send a Pong_.

        .. _Pong: https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.3

        An unsolicited pong may serve as a unidirectional heartbeat.

        Args:
            data: Payload of the pong; a :class:`str` is encoded to UTF-8.

        Raises:
            ConnectionClosed: When the connection is closed.

        """
        if isinstance(data, BYTES_LIKE):
            data = bytes(data)
        elif isinstance(data, str):
            data = data.encode()
        else:
            raise TypeError("data must be str or bytes-like")

        with self.send_context():
            self.protocol.send_pong(data)

    # Private methods

    def process_event(self, event: Any) -> None:
        """
        Process one incoming event; runs in the reading thread, under
        :attr:`protocol_mutex`.

        """
        assert isinstance(event, Frame)
        opcode = event.opcode
        if opcode is OP_TEXT or opcode is OP_BINARY or opcode is OP_CONT:
            try:
                self.recv_messages.put(event)
            except EOFError:
                # close_socket() ran in another thread: nothing reads anymore.
                pass
        elif opcode is OP_PONG:
            self.acknowledge_pings(bytes(event.data))

    def acknowledge_pings(self, data: bytes) -> None:
        """Acknowledge the ping with this payload and every ping sent before it."""
        if data not in self.pending_pings:
            return
        pong_timestamp = time.monotonic()
        # Pings are stored in the order they were sent.
        acknowledged = []
        for ping_id, (pong_received, ping_timestamp, _) in self.pending_pings.items():
            acknowledged.append(ping_id)
            pong_received.set()
            if ping_id == data:
                self.latency = pong_timestamp - ping_timestamp
                break
        for ping_id in acknowledged:
            del self.pending_pings[ping_id]

    def terminate_pending_pings(self) -> None:
        """Release the pings that asked for it when the connection closes."""
        for pong_received, _, ack_on_close in self.pending_pings.values():
            if ack_on_close:
                pong_received.set()
        self.pending_pings.clear()

    def keepalive(self) -> None:
        """Send a ping every ``ping_interval``; fail the connection on a missing pong."""
        assert self.ping_interval is not None
        try:
            while True:
                # Measure the interval from the previous pong, not the ping.
                self.recv_events_thread.join(max(self.ping_interval - self.latency, 0))
                if not self.recv_events_thread.is_alive():
                    break
                try:
                    pong_received = self.ping(ack_on_close=True)
                except ConnectionClosed:
                    break
                if self.debug:
                    self.logger.debug("% sent keepalive ping")
                if self.ping_timeout is not None:
                    if pong_received.wait(self.ping_timeout):
                        if self.debug:
                            self.logger.debug("% received keepalive pong")
                    else:
                        if self.debug:
                            self.logger.debug("- timed out waiting for keepalive pong")
                        with contextlib.suppress(ConnectionClosed):
                            with self.send_context():
                                self.protocol.fail(
                                    CloseCode.INTERNAL_ERROR,
                                    "keepalive ping timeout",
                                )
                        break
        except Exception:
            self.logger.error("keepalive ping failed", exc_info=True)

    def start_keepalive(self) -> None:
        """Start the keepalive thread, if ``ping_interval`` is set."""
        if self.ping_interval is not None:
            self.keepalive_thread = threading.Thread(
                target=self.keepalive,
                name=f"websocket-keepalive-{self.id}",
                daemon=True,
            )
            self.keepalive_thread.start()

    def recv_events(self) -> None:
        """
        Read the socket and feed the protocol until the connection closes.

        Runs in :attr:`recv_events_thread`.

        """
        try:
            while True:
                try:
                    # Blocks while the queue of incoming frames is full.
                    with self.recv_flow_control:
                        pass
                    if self.close_deadline is not None:
                        self.socket.settimeout(self.close_deadline.timeout())
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
                    events = self.protocol.events_received()
                    self.send_data()
                    if self.close_deadline is None and self.protocol.close_expected():
                        self.close_deadline = Deadline(self.close_timeout)
                    for event in events:
                        self.process_event(event)

                try:
                    # Don't wait for a thread that's blocked writing to a peer
                    # that stopped reading: it writes our data after its own.
                    self.flush(0)
                except Exception as exc:
                    if self.debug:
                        self.logger.debug("! error while sending data", exc_info=True)
                    with self.protocol_mutex:
                        self.set_recv_exc(exc)
                    break

            with self.protocol_mutex:
                self.protocol.receive_eof()
                self.send_data()
            with contextlib.suppress(OSError):
                self.flush(0)

        except Exception as exc:
            self.logger.error("unexpected internal error", exc_info=True)
            with self.protocol_mutex:
                self.set_recv_exc(exc)
        finally:
            self.close_socket()

    @contextlib.contextmanager
    def send_context(self, *, expected_state: State = OPEN) -> Iterator[None]:
        """
        Run a call into the protocol, then write what it produced.

        The body runs under :attr:`protocol_mutex` if the connection is in
        ``expected_state``. When the body starts the closing handshake, wait
        for it to complete within ``close_timeout``.

        Raises:
            ConnectionClosed: If the connection isn't in ``expected_state``,
                if writing fails, or if the closing handshake times out.

        """
        wait_for_close = False
        raise_close_exc = False
        original_exc: BaseException | None = None
        # Number of chunks to write before what this call sent is written.
        mark = 0

        with self.protocol_mutex:
            if self.protocol.state is expected_state:
                try:
                    yield
                except (ProtocolError, ConcurrencyError, TypeError, ValueError):
                    # Invalid arguments leave the protocol unchanged.
                    raise
                except Exception as exc:
                    self.logger.error("unexpected internal error", exc_info=True)
                    raise_close_exc = True
                    original_exc = exc
                if self.protocol.close_expected():
                    wait_for_close = True
                    if self.close_deadline is None:
                        self.close_deadline = Deadline(self.close_timeout)
                self.send_data()
                mark = self.chunks_queued
            elif self.protocol.state is CLOSING:
                # The closing handshake is in progress: let it finish.
                wait_for_close = True
                raise_close_exc = True
                if self.close_deadline is None:
                    self.close_deadline = Deadline(self.close_timeout)
            else:
                # Either the connection is closed or the opening handshake
                # isn't complete: there's no closing handshake to wait for.
                raise_close_exc = True

        flush_timeout: float | None = None
        if wait_for_close:
            assert self.close_deadline is not None
            flush_timeout = self.close_deadline.timeout(raise_if_elapsed=False)
            if flush_timeout is not None:
                # Writing to a peer that stopped reading mustn't outlast the
                # closing handshake.
                flush_timeout = max(flush_timeout, 0.001)
                with contextlib.suppress(OSError):
                    self.socket.settimeout(flush_timeout)

        if not raise_close_exc or wait_for_close:
            try:
                self.flush(flush_timeout)
            except Exception as exc:
                if self.debug:
                    self.logger.debug("! error while sending data", exc_info=True)
                # An error writing what another thread queued after this
                # call's data, e.g. a reply to the peer's close frame, isn't
                # this call's failure; the reading thread notices it.
                if self.chunks_written < mark:
                    raise_close_exc = True
                    if original_exc is None:
                        original_exc = exc

        if wait_for_close:
            assert self.close_deadline is not None
            self.recv_events_thread.join(
                self.close_deadline.timeout(raise_if_elapsed=False)
            )
            if self.recv_events_thread.is_alive():
                raise_close_exc = True
                if original_exc is None:
                    original_exc = TimeoutError("timed out while closing connection")

        if raise_close_exc:
            if original_exc is not None:
                with self.protocol_mutex:
                    self.set_recv_exc(original_exc)
            self.close_socket()
            self.raise_close_exc(original_exc)

    def send_data(self) -> None:
        """
        Queue the data produced by the protocol for writing.

        The caller holds :attr:`protocol_mutex`, which keeps the bytes in the
        order the protocol produced them; :meth:`flush` writes them.

        """
        chunks = self.protocol.data_to_send()
        self.outgoing.extend(chunks)
        self.chunks_queued += len(chunks)

    def flush(self, timeout: float | None = None) -> None:
        """
        Write queued data to the socket.

        Only one thread writes at a time. If another thread is writing, wait
        up to ``timeout`` seconds (``0``: don't wait, :obj:`None`: no limit)
        for it, then give up: that thread checks for more data after it
        releases :attr:`send_mutex`, so nothing stays behind unless it's stuck
        on a peer that stopped reading.

        Raises:
            OSError: If writing fails.

        """
        outgoing = self.outgoing
        send_mutex = self.send_mutex
        if self.write_exc is not None:
            outgoing.clear()
            raise self.write_exc
        while outgoing:
            if timeout is None:
                send_mutex.acquire()
            elif not send_mutex.acquire(timeout > 0, timeout if timeout > 0 else -1):
                return
            try:
                if self.write_exc is not None:
                    raise self.write_exc
                while outgoing:
                    data = outgoing.popleft()
                    if data:
                        self.socket.sendall(data)
                    else:
                        # An empty chunk stands for the end of the stream.
                        with contextlib.suppress(OSError):
                            self.socket.shutdown(socket.SHUT_WR)
                    self.chunks_written += 1
            except BaseException as exc:
                if self.write_exc is None:
                    self.write_exc = exc
                outgoing.clear()
                raise
            finally:
                send_mutex.release()

    def set_recv_exc(self, exc: BaseException | None) -> None:
        """Record the first error that broke the connection; hold :attr:`protocol_mutex`."""
        assert self.protocol_mutex.locked()
        if self.recv_exc is None:
            self.recv_exc = exc

    def close_socket(self) -> None:
        """Close the socket and end the stream of incoming messages."""
        # shutdown() wakes up a thread blocked in recv() or sendall().
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()

        # receive_eof() is idempotent and guarantees that the state is CLOSED.
        with self.protocol_mutex:
            self.protocol.receive_eof()
            self.outgoing.clear()
            self.terminate_pending_pings()

        self.recv_messages.close()

    def fail_invalid_data(self, exc: UnicodeDecodeError) -> None:
        """Close with 1007 after receiving a message that isn't valid UTF-8."""
        with contextlib.suppress(ConnectionClosed):
            with self.send_context():
                self.protocol.fail(
                    CloseCode.INVALID_DATA,
                    f"{exc.reason} at position {exc.start}",
                )

    def raise_close_exc(self, original_exc: BaseException | None = None) -> NoReturn:
        """Raise the exception that describes how the connection closed."""
        # close_exc is only available once the protocol state is CLOSED,
        # which the reading thread guarantees when it ends.
        if threading.current_thread() is not self.recv_events_thread:
            self.recv_events_thread.join()
        exc = self.protocol.close_exc
        if original_exc is None:
            original_exc = self.recv_exc
        # The protocol chains the error found while parsing; an end of stream
        # says less than the I/O error that caused it, if any.
        if original_exc is not None and (
            exc.__cause__ is None or isinstance(exc.__cause__, EOFError)
        ):
            raise exc from original_exc
        raise exc


def __getattr__(name: str) -> Any:
    # broadcast() belongs to the server module, which imports this one.
    if name == "broadcast":
        from .server import broadcast

        return broadcast
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

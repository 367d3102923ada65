"""
The asyncio WebSocket connection, shared by clients and servers.

:class:`Connection` is an :class:`asyncio.Protocol`: the event loop hands it
the bytes read from the socket in :meth:`~Connection.data_received`, it feeds
them straight to the sans-I/O :class:`~ws_frames.protocol.Protocol`, writes
whatever the protocol wants to send, and routes the events: data frames to the
message :class:`~ws_asyncio.messages.Assembler`, pongs to the pending pings.
No task runs per connection apart from the optional keepalive.

"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import struct
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidState,
    ProtocolError,
)
from ws_frames.frames import DATA_OPCODES, OP_PONG, CloseCode, Frame
from ws_frames.protocol import CLOSED, OPEN, Event, Protocol, State
from ws_frames.typing import BytesLike, Data, DataLike, LoggerLike, Subprotocol

from .compatibility import asyncio_timeout
from .messages import Assembler


if TYPE_CHECKING:
    # Only for annotations, which aren't evaluated at run time.
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

from ws_http.http11 import Request, Response


__all__ = ["Connection"]


class Connection(asyncio.Protocol):
    """
    :mod:`asyncio` implementation of a WebSocket connection.

    :class:`Connection` provides the APIs shared by WebSocket servers and
    clients. Don't use it directly: use
    :class:`~ws_asyncio.client.ClientConnection` or
    :class:`~ws_asyncio.server.ServerConnection`.

    Args:
        protocol: Sans-I/O protocol driven by this connection.
        ping_interval: Delay between keepalive pings in seconds; :obj:`None`
            disables keepalive.
        ping_timeout: Time-out for keepalive pings in seconds; when it
            elapses, the connection fails with close code 1011. :obj:`None`
            disables the time-out.
        close_timeout: Time-out for the closing handshake and the end of the
            TCP connection in seconds; :obj:`None` waits forever.
        max_queue: High-water mark of the buffer of incoming frames, or a
            ``(high, low)`` pair. Above it, the connection stops reading from
            the network until the application catches up. :obj:`None`
            disables flow control.
        write_limit: High-water mark of the write buffer in bytes, or a
            ``(high, low)`` pair. Above it, :meth:`send` waits until the
            buffer drains.

    """

    def __init__(
        self,
        protocol: Protocol,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None | tuple[int | None, int | None] = 16,
        write_limit: int | tuple[int, int | None] = 2**15,
    ) -> None:
        self.protocol = protocol
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        if isinstance(max_queue, int) or max_queue is None:
            self.max_queue_high, self.max_queue_low = max_queue, None
        else:
            self.max_queue_high, self.max_queue_low = max_queue
        if isinstance(write_limit, int):
            self.write_limit_high, self.write_limit_low = write_limit, None
        else:
            self.write_limit_high, self.write_limit_low = write_limit

        # Log records carry the connection, so handlers can tell them apart.
        self.protocol.logger = logging.LoggerAdapter(
            self.protocol.logger, {"websocket": self}
        )

        self.id: uuid.UUID = self.protocol.id
        """Unique identifier of the connection. Useful in logs."""
        self.logger: LoggerLike = self.protocol.logger
        """Logger for this connection."""
        self.debug = self.protocol.debug

        # HTTP handshake request and response.
        self.request: Request | None = None
        """Opening handshake request."""
        self.response: Response | None = None
        """Opening handshake response."""

        self.loop = asyncio.get_running_loop()

        # Incoming data frames wait here until recv() takes them.
        self.recv_messages = Assembler(
            self.max_queue_high,
            self.max_queue_low,
            pause=self.pause_reading,
            resume=self.resume_reading,
        )

        # Deadline for the closing handshake.
        self.close_deadline: float | None = None
        self.close_timer: asyncio.TimerHandle | None = None

        # Set while the fragments of a message are being sent, so that other
        # messages wait instead of interleaving with them.
        self.send_in_progress: asyncio.Future[None] | None = None

        # Ping payload -> (pong waiter, time sent), oldest first.
        self.pending_pings: dict[bytes, tuple[asyncio.Future[float], float]] = {}

        self.latency: float = 0
        """
        Round-trip time of the last ping answered, in seconds; ``0`` until
        then. Keepalive pings update it, and so do calls to :meth:`ping`.
        """

        # Task that sends keepalive pings. None when ping_interval is None.
        self.keepalive_task: asyncio.Task[None] | None = None

        # Why the transport went away, chained to ConnectionClosed so that
        # users see the network error behind it.
        self.recv_exc: BaseException | None = None

        # Done once the transport is gone and the protocol state is CLOSED.
        self.connection_lost_waiter: asyncio.Future[None] = self.loop.create_future()

        # Write flow control: the transport calls pause_writing() and
        # resume_writing() around its high- and low-water marks.
        self.paused: bool = False
        self.drain_waiters: collections.deque[asyncio.Future[None]] = (
            collections.deque()
        )

        # Tells whether the protocol has already been told about the EOF.
        self.eof_fed = False

        self.transport: asyncio.Transport

    # Public attributes

    @property
    def local_address(self) -> Any:
        """
        Local address of the connection, as returned by
        :meth:`~socket.socket.getsockname`: ``(host, port)`` for IPv4.
        """
        return self.transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """
        Remote address of the connection, as returned by
        :meth:`~socket.socket.getpeername`: ``(host, port)`` for IPv4.
        """
        return self.transport.get_extra_info("peername")

    @property
    def state(self) -> State:
        """
        State of the connection: ``CONNECTING``, ``OPEN``, ``CLOSING`` or
        ``CLOSED`` (:rfc:`6455#section-4`).

        Applications rarely need it: :exc:`~ws_frames.exceptions.ConnectionClosed`
        tells them when the connection is over.
        """
        return self.protocol.state

    @property
    def subprotocol(self) -> Subprotocol | None:
        """
        Subprotocol agreed on during the opening handshake, if any.
        """
        return self.protocol.subprotocol

    @property
    def close_code(self) -> int | None:
        """
        Close code received from the peer (:rfc:`6455#section-7.1.5`).

        :obj:`None` until the connection is closed; 1006 when it ended without a
        close frame.
        """
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """
        Close reason received from the peer (:rfc:`6455#section-7.1.6`).

        :obj:`None` until the connection is closed.
        """
        return self.protocol.close_reason

    # Public methods

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.close()
        else:
            await self.close(CloseCode.INTERNAL_ERROR)

    async def __aiter__(self) -> AsyncIterator[Data]:
        """
        Iterate over incoming messages until the connection closes.

        The iteration ends quietly after a normal closure (codes 1000 and 1001)
        and raises :exc:`~ws_frames.exceptions.ConnectionClosedError` otherwise.
        """
        try:
            while True:
                yield await self.recv()
        except ConnectionClosedOK:
            return

    @overload
    async def recv(self, decode: Literal[True]) -> str: ...

    @overload
    async def recv(self, decode: Literal[False]) -> bytes: ...

    @overload
    async def recv(self, decode: bool | None = None) -> Data: ...

    async def recv(self, decode: bool | None = None) -> Data:
        """
        Return the next message.

        Text messages come out as :class:`str` and binary messages as
        :class:`bytes`; fragmented messages are reassembled first. ``decode``
        overrides this: :obj:`False` returns the raw UTF-8 of a text message as
        :class:`bytes`, which spares a decoding step when the application parses
        bytes anyway; :obj:`True` decodes a binary message as UTF-8.

        Messages received before the closing handshake are all returned before
        :meth:`recv` raises :exc:`~ws_frames.exceptions.ConnectionClosed`.

        Cancellation is safe: no message or fragment is lost, so a time-out can
        wrap :meth:`recv`, for example with :func:`asyncio.wait_for`.

        Args:
            decode: Force :class:`str` (:obj:`True`) or :class:`bytes`
                (:obj:`False`) instead of following the frame type.

        Raises:
            ConnectionClosedOK: After a normal closure, once every message
                received before it was returned.
            ConnectionClosedError: After a protocol error or a network failure.
            ConcurrencyError: If another coroutine is already in :meth:`recv` or
                :meth:`recv_streaming`.
        """
        try:
            return await self.recv_messages.get(decode)
        except EOFError:
            pass
        except ConcurrencyError:
            raise ConcurrencyError(
                "cannot call recv while another coroutine "
                "is already running recv or recv_streaming"
            ) from None
        except UnicodeDecodeError as exc:
            async with self.send_context():
                self.protocol.fail(
                    CloseCode.INVALID_DATA,
                    f"{exc.reason} at position {exc.start}",
                )

        # Wait for the protocol state to be CLOSED before accessing close_exc.
        await asyncio.shield(self.connection_lost_waiter)
        raise self.close_exc()

    @overload
    def recv_streaming(self, decode: Literal[True]) -> AsyncIterator[str]: ...

    @overload
    def recv_streaming(self, decode: Literal[False]) -> AsyncIterator[bytes]: ...

    @overload
    def recv_streaming(self, decode: bool | None = None) -> AsyncIterator[Data]: ...

    async def recv_streaming(self, decode: bool | None = None) -> AsyncIterator[Data]:
        """
        Return the next message fragment by fragment, as frames arrive.

        Text fragments are decoded incrementally, so that a character split
        between two frames comes out whole; ``decode`` works as in :meth:`recv`.

        Consume the iterator to the end. Cancelling before the first fragment is
        safe; cancelling later leaves the rest of the message unreadable, and the
        connection should then be closed.

        Raises:
            ConnectionClosed: As :meth:`recv` does.
            ConcurrencyError: If another coroutine is already in :meth:`recv` or
                :meth:`recv_streaming`.
        """
        try:
            async for frame in self.recv_messages.get_iter(decode):
                yield frame
            return
        except EOFError:
            pass
        except ConcurrencyError:
            raise ConcurrencyError(
                "cannot call recv_streaming while another coroutine "
                "is already running recv or recv_streaming"
            ) from None
        except UnicodeDecodeError as exc:
            async with self.send_context():
                self.protocol.fail(
                    CloseCode.INVALID_DATA,
                    f"{exc.reason} at position {exc.start}",
                )

        # Wait for the protocol state to be CLOSED before accessing close_exc.
        await asyncio.shield(self.connection_lost_waiter)
        raise self.close_exc()

    async def send(
        self,
        message: DataLike | Iterable[DataLike] | AsyncIterable[DataLike],
        *,
        text: bool | None = None,
    ) -> None:
        """
        Send a message.

        A :class:`str` goes out in a text frame; :class:`bytes`,
        :class:`bytearray` and :class:`memoryview` go out in a binary frame
        (:rfc:`6455#section-5.6`). ``text`` overrides the frame type: ``True``
        sends bytes that are already UTF-8 as text, ``False`` sends a string as
        binary.

        An iterable or an async iterable of strings or of bytes-like objects is
        sent as a fragmented message, one frame per item (:rfc:`6455#section-5.4`).
        Items must all have the type of the first one; otherwise :meth:`send`
        raises :exc:`TypeError` and, if fragments were already sent, fails the
        connection with code 1011. Mappings are refused, since iterating one
        sends its keys, which is almost never intended.

        When the write buffer is above its high-water mark, :meth:`send` waits
        until it drains. Other messages wait while a fragmented message is being
        sent. Rather than cancelling a :meth:`send` that waits, close the
        connection: a message interrupted half-way can't be completed.

        Args:
            message: What to send.
            text: Force a text (:obj:`True`) or binary (:obj:`False`) frame.

        Raises:
            ConnectionClosed: If the connection is closed or closing.
            TypeError: If ``message`` has an unsupported type.
        """
        # A message must not start between the fragments of another one.
        while self.send_in_progress is not None:
            await asyncio.shield(self.send_in_progress)

        # Strings and bytes-like objects are iterable: test them first.
        if isinstance(message, str):
            async with self.send_context():
                if text is False:
                    self.protocol.send_binary(message.encode())
                else:
                    self.protocol.send_text(message.encode())

        elif isinstance(message, (bytes, bytearray, memoryview)):
            async with self.send_context():
                if text is True:
                    self.protocol.send_text(message)
                else:
                    self.protocol.send_binary(message)

        # Iterating a mapping would send its keys, which is rarely meant.
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")

        elif isinstance(message, Iterable):
            await self.send_fragments(iter(message), text)

        elif isinstance(message, AsyncIterable):
            await self.send_async_fragments(aiter(message), text)

        else:
            raise TypeError("data must be str, bytes, iterable, or async iterable")

    async def send_fragments(
        self, chunks: Iterable[DataLike], text: bool | None
    ) -> None:
        """Send the items of an iterable as the fragments of one message."""
        iterator = iter(chunks)
        try:
            chunk = next(iterator)
        except StopIteration:
            return

        # The first fragment decides the type of the message; checking it
        # before anything is sent keeps the connection usable on a mistake.
        encode = check_fragment_type(chunk)
        if text is None:
            text = encode

        assert self.send_in_progress is None
        self.send_in_progress = self.loop.create_future()
        try:
            async with self.send_context():
                self.send_first_fragment(chunk, encode, text)
            for chunk in iterator:
                async with self.send_context():
                    self.protocol.send_continuation(
                        encode_fragment(chunk, encode), fin=False
                    )
            async with self.send_context():
                self.protocol.send_continuation(b"", fin=True)
        except Exception:
            # The peer has seen the start of the message and can't be told
            # to forget it: the connection can't go on.
            await self.fail_fragmented_message()
            raise
        finally:
            self.send_in_progress.set_result(None)
            self.send_in_progress = None

    async def send_async_fragments(
        self, chunks: AsyncIterator[DataLike], text: bool | None
    ) -> None:
        """Send the items of an async iterable as the fragments of one message."""
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            return

        encode = check_fragment_type(chunk)
        if text is None:
            text = encode

        assert self.send_in_progress is None
        self.send_in_progress = self.loop.create_future()
        try:
            async with self.send_context():
                self.send_first_fragment(chunk, encode, text)
            async for chunk in chunks:
                async with self.send_context():
                    self.protocol.send_continuation(
                        encode_fragment(chunk, encode), fin=False
                    )
            async with self.send_context():
                self.protocol.send_continuation(b"", fin=True)
        except BaseException:
            # Cancellation included: the message can't be completed.
            await self.fail_fragmented_message()
            raise
        finally:
            self.send_in_progress.set_result(None)
            self.send_in_progress = None

    def send_first_fragment(self, chunk: DataLike, encode: bool, text: bool) -> None:
        data = encode_fragment(chunk, encode)
        if text:
            self.protocol.send_text(data, fin=False)
        else:
            self.protocol.send_binary(data, fin=False)

    async def fail_fragmented_message(self) -> None:
        """Fail the connection after an error in the middle of a message."""
        if self.protocol.state is OPEN:
            self.protocol.fail(CloseCode.INTERNAL_ERROR, "error in fragmented message")
            self.set_close_deadline()
            try:
                self.send_data()
            except Exception:  # pragma: no cover
                self.transport.abort()

    async def close(
        self,
        code: CloseCode | int = CloseCode.NORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        Run the closing handshake (:rfc:`6455#section-7.1.2`) and wait until the
        TCP connection is closed.

        If the peer doesn't answer within ``close_timeout``, the TCP connection
        is aborted. Closing an already closed connection does nothing. Closing in
        the middle of a fragmented message fails the connection with code 1011.

        Args:
            code: Close code.
            reason: Close reason, at most 123 bytes of UTF-8.

        Raises:
            ProtocolError: If ``code`` isn't a valid close code or ``reason``
                is too long.
        """
        try:
            async with self.send_context():
                if self.send_in_progress is not None:
                    self.protocol.fail(
                        CloseCode.INTERNAL_ERROR,
                        "close during fragmented message",
                    )
                else:
                    self.protocol.send_close(code, reason)
        except ConnectionClosed:
            # Already closed, or closed while waiting: either way, done.
            pass

    async def wait_closed(self) -> None:
        """
        Wait until the closing handshake is over and the TCP connection closed,
        whoever started it.
        """
        await asyncio.shield(self.connection_lost_waiter)

    async def ping(self, data: DataLike | None = None) -> Awaitable[float]:
        """
        Send a Ping frame (:rfc:`6455#section-5.5.2`).

        A ping checks that the peer is alive and has processed everything sent
        before it, and measures the round-trip time.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8. :obj:`None` picks
                four random bytes that no pending ping uses.

        Returns:
            An awaitable that completes with the latency in seconds when the
            matching pong arrives; ignoring it is fine::

                pong_waiter = await websocket.ping()
                latency = await pong_waiter

        Raises:
            ConnectionClosed: If the connection is closed or closing.
            ConcurrencyError: If a ping with the same payload still waits for
                its pong.
        """
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
        elif isinstance(data, str):
            data = data.encode()
        elif data is not None:
            raise TypeError("data must be str or bytes-like")

        async with self.send_context():
            # Two pings with the same payload couldn't be told apart.
            if data in self.pending_pings:
                raise ConcurrencyError("already waiting for a pong with the same data")

            while data is None or data in self.pending_pings:
                data = struct.pack("!I", random.getrandbits(32))

            pong_waiter = self.loop.create_future()
            # perf_counter(), not loop.time(), whose resolution is a
            # millisecond with uvloop: too coarse for latency on a LAN.
            self.pending_pings[data] = (pong_waiter, time.perf_counter())
            self.protocol.send_ping(data)
            return pong_waiter

    async def pong(self, data: DataLike = b"") -> None:
        """
        Send an unsolicited Pong frame (:rfc:`6455#section-5.5.3`), for example as
        a one-way heartbeat. Pings from the peer are answered automatically.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8.

        Raises:
            ConnectionClosed: If the connection is closed or closing.
        """
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
        elif isinstance(data, str):
            data = data.encode()
        else:
            raise TypeError("data must be str or bytes-like")

        async with self.send_context():
            self.protocol.send_pong(data)

    # Private methods

    def close_exc(self) -> ConnectionClosed:
        """Exception to raise once the connection is closed, with its cause."""
        exc = self.protocol.close_exc
        # A network error explains more than the EOF the protocol saw.
        if self.recv_exc is not None:
            exc.__cause__ = self.recv_exc
        return exc

    def process_event(self, event: Event) -> None:
        """
        Process one incoming event.

        This method is overridden in subclasses to handle the handshake.

        """
        assert isinstance(event, Frame)
        if event.opcode in DATA_OPCODES:
            self.recv_messages.put(event)

        if event.opcode is OP_PONG:
            self.acknowledge_pings(bytes(event.data))

    def acknowledge_pings(self, data: bytes) -> None:
        """
        Acknowledge pings when receiving a pong.

        A pong acknowledges its ping and every ping sent before it, since the
        peer answers pings in order (:rfc:`6455#section-5.5.3`).

        """
        # An unsolicited pong is a heartbeat (RFC 6455, 5.5.3): nothing to do.
        if data not in self.pending_pings:
            return

        pong_timestamp = time.perf_counter()

        ping_id = None
        ping_ids = []
        for ping_id, (pong_waiter, ping_timestamp) in self.pending_pings.items():
            ping_ids.append(ping_id)
            latency = pong_timestamp - ping_timestamp
            if not pong_waiter.done():
                pong_waiter.set_result(latency)
            if ping_id == data:
                self.latency = latency
                break
        else:  # pragma: no cover
            raise AssertionError("solicited pong not found in pings")

        for ping_id in ping_ids:
            del self.pending_pings[ping_id]

    def terminate_pending_pings(self) -> None:
        """Raise ConnectionClosed in pending pings when the connection is closed."""
        assert self.protocol.state is CLOSED
        exc = self.close_exc()

        for pong_waiter, _ping_timestamp in self.pending_pings.values():
            if not pong_waiter.done():
                pong_waiter.set_exception(exc)
                # Mark the exception as retrieved: callers often drop the
                # waiter, and asyncio would log it at garbage collection.
                pong_waiter.exception()

        self.pending_pings.clear()

    async def keepalive(self) -> None:
        """Send a Ping frame and wait for a Pong frame at regular intervals."""
        assert self.ping_interval is not None
        latency = 0.0
        try:
            while True:
                # Keep one ping per interval, measured from ping to ping.
                await asyncio.sleep(self.ping_interval - latency)

                try:
                    pong_waiter = await self.ping()
                except ConnectionClosed:
                    return
                if self.debug:
                    self.logger.debug("% sent keepalive ping")

                if self.ping_timeout is not None:
                    try:
                        async with asyncio_timeout(self.ping_timeout):
                            latency = await pong_waiter
                        if self.debug:
                            self.logger.debug("% received keepalive pong")
                    except TimeoutError:
                        if self.debug:
                            self.logger.debug("- timed out waiting for keepalive pong")
                        async with self.send_context():
                            self.protocol.fail(
                                CloseCode.INTERNAL_ERROR,
                                "keepalive ping timeout",
                            )
                        return
        except ConnectionClosed:
            pass
        except Exception:
            self.logger.error("keepalive ping failed", exc_info=True)

    def start_keepalive(self) -> None:
        """Run :meth:`keepalive` in a task, unless it's disabled."""
        if self.ping_interval is not None:
            self.keepalive_task = self.loop.create_task(self.keepalive())

    @contextlib.asynccontextmanager
    async def send_context(
        self,
        *,
        expected_state: State = OPEN,  # CONNECTING during the opening handshake
    ) -> AsyncIterator[None]:
        """
        Wrap a call into the protocol that produces data to send.

        The body runs only if the state is ``expected_state``; afterwards,
        the data that the protocol queued is written to the transport and
        flow control is applied::

            async with self.send_context():
                self.protocol.send_text(message.encode())

        If the state isn't the expected one, if the call started the closing
        handshake, or if writing failed, the context waits until the TCP
        connection is closed (at most ``close_timeout``), so that it can raise
        :exc:`~ws_frames.exceptions.ConnectionClosed` with the final codes.

        """
        wait_for_close = False
        raise_close_exc = False
        original_exc: BaseException | None = None

        if self.protocol.state is expected_state:
            try:
                yield
            except (
                ProtocolError,
                ConcurrencyError,
                InvalidState,
                ValueError,
                TypeError,
            ):
                # Misuse by the caller: the protocol refused the call and
                # its state is unchanged, so the connection goes on.
                raise
            except Exception as exc:
                self.logger.error("unexpected internal error", exc_info=True)
                # Nothing else is expected from the protocol; if it happens,
                # the state is unknown and the connection can't be trusted.
                raise_close_exc = True
                original_exc = exc
            else:
                if self.protocol.close_expected():
                    wait_for_close = True
                    self.set_close_deadline()

                try:
                    self.send_data()
                    await self.drain()
                except Exception as exc:
                    if self.debug:
                        self.logger.debug("! error while sending data", exc_info=True)
                    raise_close_exc = True
                    original_exc = exc

        else:
            # Closing or closed: ConnectionClosed can only be raised with the
            # right code once the closing handshake is over.
            wait_for_close = True
            self.set_close_deadline()
            raise_close_exc = True

        # The close timer aborts the transport if the peer takes too long.
        if wait_for_close:
            await asyncio.shield(self.connection_lost_waiter)

        if raise_close_exc:
            self.transport.abort()
            await asyncio.shield(self.connection_lost_waiter)
            close_exc = self.close_exc()
            if original_exc is not None:
                raise close_exc from original_exc
            raise close_exc

    def set_close_deadline(self) -> None:
        """
        Arm the close timer, unless it's armed already.

        When ``close_timeout`` elapses and the TCP connection is still up, the
        transport is aborted: the peer had its chance to complete the closing
        handshake (:rfc:`6455#section-7.1.1`).

        """
        if self.close_deadline is None and self.close_timeout is not None:
            self.close_deadline = self.loop.time() + self.close_timeout
            self.close_timer = self.loop.call_at(
                self.close_deadline, self.abort_transport
            )
        # The closing handshake needs the peer's close frame, which may sit
        # behind data frames that flow control stopped reading: read them.
        # They're kept for recv(), since nothing received is dropped.
        if self.recv_messages.paused and not self.transport.is_closing():
            self.transport.resume_reading()

    def abort_transport(self) -> None:
        if self.debug:
            self.logger.debug("! timed out waiting for TCP close")
        self.transport.abort()

    def send_data(self) -> None:
        """
        Send outgoing data.

        Raises:
            OSError: When a socket operations fails.

        """
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            else:
                # SEND_EOF: half-close TCP; TLS can't, so close it instead.
                if self.transport.can_write_eof():
                    if self.debug:
                        self.logger.debug("x half-closing TCP connection")
                    # uvloop raises RuntimeError on a closing transport.
                    try:
                        self.transport.write_eof()
                    except (OSError, RuntimeError):  # pragma: no cover
                        pass
                else:  # pragma: no cover
                    if self.debug:
                        self.logger.debug("x closing TCP connection")
                    self.transport.close()

    def set_recv_exc(self, exc: BaseException | None) -> None:
        """
        Set recv_exc, if not set yet.

        This method must be called only from connection callbacks.

        """
        if self.recv_exc is None:
            self.recv_exc = exc

    # asyncio.Protocol methods

    # Connection callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        transport.set_write_buffer_limits(
            self.write_limit_high,
            self.write_limit_low,
        )
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        # Feed the end of the stream to the protocol unless eof_received did,
        # so that its state becomes CLOSED.
        if not self.eof_fed:
            self.eof_fed = True
            self.protocol.receive_eof()
        if self.protocol.state is not CLOSED:  # pragma: no cover
            self.protocol.state = CLOSED

        self.connection_lost_waiter.set_result(None)

        # Python 3.10's TLS transport doesn't notice that it's closed when
        # the connection is lost, and warns about it when collected.
        if not self.transport.is_closing():  # pragma: no cover
            self.transport.close()

        self.set_recv_exc(exc)
        self.recv_messages.close()
        self.terminate_pending_pings()

        if self.keepalive_task is not None:
            self.keepalive_task.cancel()
        if self.close_timer is not None:
            self.close_timer.cancel()

        # Data still buffered when the transport went away was never sent:
        # senders blocked on a full buffer must not believe otherwise.
        self.paused = False
        for waiter in self.drain_waiters:
            if not waiter.done():
                waiter.set_exception(
                    ConnectionError("connection lost") if exc is None else exc
                )

    # Flow control callbacks

    def pause_writing(self) -> None:
        assert not self.paused
        self.paused = True

    def resume_writing(self) -> None:
        assert self.paused
        self.paused = False
        for waiter in self.drain_waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def drain(self) -> None:
        """Wait until the write buffer is below the low-water mark."""
        if self.paused:
            waiter = self.loop.create_future()
            self.drain_waiters.append(waiter)
            try:
                await waiter
            finally:
                self.drain_waiters.remove(waiter)

    def pause_reading(self) -> None:
        """Stop reading from the network; called by the assembler."""
        # Once closing, reading must go on until the peer's close frame.
        if self.protocol.state is OPEN:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        """Resume reading from the network; called by the assembler."""
        # Reading can't resume once the transport is closing.
        if not self.transport.is_closing():
            self.transport.resume_reading()

    # Streaming protocol callbacks

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)

        events = self.protocol.events_received()

        # Replies queued by the protocol: pongs, close frames.
        try:
            self.send_data()
        except Exception as exc:
            if self.debug:
                self.logger.debug("! error while sending data", exc_info=True)
            self.set_recv_exc(exc)

        if self.protocol.close_expected():
            self.set_close_deadline()

        for event in events:
            self.process_event(event)

    def eof_received(self) -> None:
        self.eof_fed = True
        self.protocol.receive_eof()

        events = self.protocol.events_received()
        self.send_data()

        # A handshake response without Content-Length ends at EOF.
        for event in events:
            self.process_event(event)

        # Returning None lets the transport close: after the peer's EOF
        # there is nothing left to say (RFC 6455, 7.1.1), and TLS
        # transports can't stay half-open anyway.


def check_fragment_type(chunk: Any) -> bool:
    """
    Tell whether a fragment must be encoded, that is, whether it's a string.

    Raises:
        TypeError: If ``chunk`` is neither a string nor bytes-like.

    """
    if isinstance(chunk, str):
        return True
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return False
    raise TypeError("data iterable must contain bytes or str")


def encode_fragment(chunk: Any, encode: bool) -> BytesLike:
    """
    Return the payload of a fragment, checking it has the message's type.

    Raises:
        TypeError: If ``chunk`` doesn't have the same type as the first
            fragment.

    """
    if encode:
        if isinstance(chunk, str):
            return chunk.encode()
        raise TypeError("all fragments must be of the same type")
    if isinstance(chunk, (bytes, bytearray, memoryview)):
        return chunk
    raise TypeError("all fragments must be of the same type")


# As much as asyncio's selector transports read at once.
READ_BUFFER_SIZE = 2**18

_thread_state = threading.local()


def read_buffer() -> memoryview:
    """
    Buffer that transports read into, one per thread.

    Reading into a buffer that stays allocated spares the allocation of a
    fresh, large ``bytes`` for every read, which costs more than the read
    itself for small messages. Sharing it is safe because a transport hands
    the data over in :meth:`BufferedReader.buffer_updated` right after
    filling the buffer, on the thread of its event loop.

    """
    try:
        return _thread_state.read_buffer  # type: ignore[no-any-return]
    except AttributeError:
        buffer = _thread_state.read_buffer = memoryview(bytearray(READ_BUFFER_SIZE))
        return buffer


class BufferedReader(asyncio.BufferedProtocol):
    """
    The side of a :class:`Connection` that faces the transport.

    Transports read into the buffer of a :class:`asyncio.BufferedProtocol`
    instead of allocating a new ``bytes`` for every read. The connection
    itself stays an :class:`asyncio.Protocol`, as its API promises; this
    adapter forwards the transport's callbacks to it.

    """

    __slots__ = ("connection",)

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connection.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection.connection_lost(exc)

    def pause_writing(self) -> None:
        self.connection.pause_writing()

    def resume_writing(self) -> None:
        self.connection.resume_writing()

    def get_buffer(self, sizehint: int) -> memoryview:
        return read_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        # The buffer is shared: copy out what was read before returning.
        self.connection.data_received(read_buffer()[:nbytes].tobytes())

    def eof_received(self) -> None:
        self.connection.eof_received()


def __getattr__(name: str) -> Any:
    # broadcast() belongs to the server module, which imports this one.
    if name == "broadcast":
        from .server import broadcast

        return broadcast
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

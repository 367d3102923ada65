"""
The asyncio connection, shared by clients and servers.

:class:`Connection` is the :class:`asyncio.Protocol` of a WebSocket
connection. The event loop hands it the bytes read from the socket; it feeds
them to the sans-I/O :class:`~ws_frames.protocol.Protocol`, writes whatever
the protocol answers, and routes what the protocol decodes: data frames to the
:class:`~ws_asyncio.messages.Assembler` that ``recv()`` reads, pongs to the
pings that wait for them. Apart from the optional keepalive, no task runs for
a connection.

``ws_sync.connection`` is the threading twin of this module: the same methods
in the same order, with a lock or a thread where this one awaits.

"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypeAlias, cast, overload

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

from .compatibility import asyncio_timeout
from .messages import Assembler


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
BufferLimits: TypeAlias = int | tuple[int, int | None]


class Connection(asyncio.Protocol):
    """
    :mod:`asyncio` implementation of a WebSocket connection.

    This class holds what clients and servers share. Applications get a
    :class:`~ws_asyncio.client.ClientConnection` or a
    :class:`~ws_asyncio.server.ServerConnection`, never this class itself.

    Args:
        protocol: The sans-I/O protocol that this connection drives.
        ping_interval: Seconds between keepalive pings; :obj:`None` turns
            keepalive off.
        ping_timeout: Seconds to wait for the pong of a keepalive ping before
            failing the connection with code 1011; :obj:`None` waits forever.
        close_timeout: Seconds that the closing handshake and the end of the
            TCP connection may take before the connection is aborted;
            :obj:`None` waits forever.
        max_queue: High-water mark of the queue of received frames, or a
            ``(high, low)`` pair. Above it, the connection stops reading from
            the network until the application catches up. :obj:`None` turns
            this off.
        write_limit: High-water mark of the write buffer in bytes, or a
            ``(high, low)`` pair. Above it, sending waits for the buffer to
            drain.

    """

    # Attributes that change only on rare events start as class attributes:
    # an idle connection then holds few enough instance attributes to stay in
    # CPython's compact, shared-keys layout, about 1.2 KiB less than a full
    # dictionary.

    # First network error; chained to ConnectionClosed.
    recv_exc: BaseException | None = None
    # While a message goes out in fragments, other messages wait for this
    # future, so that their frames don't interleave.
    send_in_progress: asyncio.Future[None] | None = None
    # The callback that writes the messages that send() held back.
    burst: asyncio.Handle | None = None
    # Keepalive: a task runs only while a ping is out.
    keepalive_task: asyncio.Task[None] | None = None
    # Closing: close_deadline is set once, when the closing handshake starts;
    # close_timer aborts the TCP connection then.
    close_deadline: float | None = None
    close_timer: asyncio.TimerHandle | None = None

    def __init__(
        self,
        protocol: Protocol,
        *,
        ping_interval: Seconds = 20,
        ping_timeout: Seconds = 20,
        close_timeout: Seconds = 10,
        max_queue: QueueLimits = 16,
        write_limit: BufferLimits = 2**15,
    ) -> None:
        self.protocol = protocol
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.close_timeout = close_timeout
        self.max_queue_high, self.max_queue_low = (
            max_queue if isinstance(max_queue, tuple) else (max_queue, None)
        )
        self.write_limit_high, self.write_limit_low = (
            write_limit if isinstance(write_limit, tuple) else (write_limit, None)
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

        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport  # see connection_made()

        # Receiving.
        self.recv_messages = Assembler(
            self.max_queue_high,
            self.max_queue_low,
            pause=self.pause_reading,
            resume=self.resume_reading,
        )

        # Sending. The transport sets paused above the high-water mark of its buffer;
        # drain() waits on the future at the end of drain_waiters until it
        # clears it. A list, not a deque: it rarely holds more than one
        # future, and an empty deque takes 600 bytes on each idle connection.
        self.paused = False
        self.drain_waiters: list[asyncio.Future[None]] = []
        # Write coalescing, see send(): whether a message went out since data
        # last arrived; the callback that writes the messages held back, and
        # their size.
        self.sent_since_read = False
        self.burst_size = 0

        # Pings waiting for their pong, oldest first: payload -> (future of
        # the latency, time sent).
        self.pending_pings: dict[bytes, tuple[asyncio.Future[float], float]] = {}
        self.latency: float = 0
        """
        Round-trip time of the last ping that got its pong, in seconds; ``0``
        before that. Keepalive pings update it, and so do calls to :meth:`ping`.
        """
        # Keepalive waits on a timer.
        self.keepalive_timer: asyncio.TimerHandle | None = None

        # Done once the TCP connection is closed; the state is CLOSED then.
        self.connection_lost_waiter: asyncio.Future[None] = self.loop.create_future()

    # Attributes

    @property
    def local_address(self) -> Any:
        """
        Local address of the socket: ``(host, port)`` for IPv4, as
        :meth:`~socket.socket.getsockname` returns it for other families.
        """
        return self.transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """
        Address of the peer: ``(host, port)`` for IPv4, as
        :meth:`~socket.socket.getpeername` returns it for other families.
        """
        return self.transport.get_extra_info("peername")

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

    async def __aenter__(self) -> Self:
        """Leaving the ``async with`` block closes the connection."""
        return self

    async def __aexit__(
        self, exc_type: object, exc_value: object, traceback: object
    ) -> None:
        # An exception in the block is an error on this side: 1011.
        await self.close(
            CloseCode.NORMAL_CLOSURE if exc_type is None else CloseCode.INTERNAL_ERROR
        )

    async def __aiter__(self) -> AsyncIterator[Data]:
        """
        Yield incoming messages until the connection closes.

        The loop ends quietly after a normal closure (1000 or 1001) and raises
        :exc:`~ws_frames.exceptions.ConnectionClosedError` after an error.
        """
        while True:
            try:
                message = await self.recv()
            except ConnectionClosedOK:
                return
            yield message

    @overload
    async def recv(self, decode: Literal[True]) -> str:
        """Text, whatever the type of the message."""

    @overload
    async def recv(self, decode: Literal[False]) -> bytes:
        """Bytes, whatever the type of the message."""

    @overload
    async def recv(self, decode: bool | None = None) -> Data:
        """Text or bytes, as the message was sent."""

    async def recv(self, decode: bool | None = None) -> Data:
        """
        Return the next message, once all its fragments arrived.

        A text message comes out as :class:`str`, a binary message as
        :class:`bytes`. ``decode=False`` returns a text message as its UTF-8
        bytes, which spares decoding it when the application parses bytes
        anyway; ``decode=True`` decodes a binary message as UTF-8.

        Every message that arrived before the connection closed comes out
        before :meth:`recv` raises
        :exc:`~ws_frames.exceptions.ConnectionClosed`. Cancelling :meth:`recv`
        loses nothing, so a time-out may wrap it.

        Raises:
            ConnectionClosedOK: After a normal closure, once every message
                that arrived before it was returned.
            ConnectionClosedError: After a protocol error or a network failure.
            ConcurrencyError: If another coroutine is in :meth:`recv` or
                :meth:`recv_streaming`.

        """
        try:
            return await self.recv_messages.get(decode)
        except (EOFError, ConcurrencyError, UnicodeDecodeError) as exc:
            await self.recv_failed(exc, "recv")

    @overload
    def recv_streaming(self, decode: Literal[True]) -> AsyncIterator[str]:
        """Text fragments, whatever the type of the message."""

    @overload
    def recv_streaming(self, decode: Literal[False]) -> AsyncIterator[bytes]:
        """Bytes fragments, whatever the type of the message."""

    @overload
    def recv_streaming(self, decode: bool | None = None) -> AsyncIterator[Data]:
        """Text or bytes fragments, as the message was sent."""

    async def recv_streaming(self, decode: bool | None = None) -> AsyncIterator[Data]:
        """
        Yield the fragments of the next message as they arrive.

        Text is decoded incrementally: a character split between two frames
        comes out whole. ``decode`` works as in :meth:`recv`.

        Read the iterator to the end: after a reader that stops half-way, the
        rest of the message can't be read. Cancelling before the first fragment
        is safe.

        Raises:
            ConnectionClosed: As :meth:`recv` does.
            ConcurrencyError: If another coroutine is in :meth:`recv` or
                :meth:`recv_streaming`.

        """
        try:
            async for fragment in self.recv_messages.get_iter(decode):
                yield fragment
        except (EOFError, ConcurrencyError, UnicodeDecodeError) as exc:
            await self.recv_failed(exc, "recv_streaming")

    async def send(
        self,
        message: DataLike | Iterable[DataLike] | AsyncIterable[DataLike],
        *,
        text: bool | None = None,
    ) -> None:
        """
        Send a message, whole or in fragments.

        A :class:`str` goes out as a text frame; :class:`bytes`,
        :class:`bytearray` and :class:`memoryview` go out as a binary frame.
        ``text=True`` sends bytes that are already UTF-8 as text;
        ``text=False`` sends a string as binary.

        An iterable or an async iterable of strings or of bytes-like objects
        goes out as a fragmented message, a frame per item
        (:rfc:`6455#section-5.4`). The first item sets the type of the
        message; a later item of the other type raises :exc:`TypeError` and,
        since the message can't be completed, fails the connection with code
        1011. Dict-like objects are refused: iterating one would send its keys.

        :meth:`send` waits while the write buffer is above its high-water
        mark, and while another coroutine sends a fragmented message. Don't
        cancel a :meth:`send` that waits; close the connection instead.

        Messages sent one after the other without anything received in
        between go out together, at the next round of the event loop or once
        they reach the write buffer's high-water mark: the first one goes out
        at once. A coroutine that blocks the loop right after sending delays
        all but the first.

        Raises:
            ConnectionClosed: If the connection is closing or closed.
            TypeError: If ``message`` doesn't have a supported type.

        """
        while self.send_in_progress is not None:
            await asyncio.shield(self.send_in_progress)

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
            await self.send_fragments(aiter_over(message), text, "iterable")
            return
        elif isinstance(message, AsyncIterable):
            await self.send_fragments(aiter(message), text, "async iterable")
            return
        else:
            raise TypeError("data must be str, bytes, iterable, or async iterable")

        # This is send_context() written out: on the path of every message, a
        # context manager costs more than the rest of the work on a small one.
        # A data frame doesn't start the closing handshake: closing is False.
        protocol = self.protocol
        if protocol.state is not OPEN:
            await self.reject_call()
        try:
            if as_text:
                protocol.send_text(payload)
            else:
                protocol.send_binary(payload)
        except CALLER_ERRORS:
            raise
        except Exception as exc:
            self.logger.error("unexpected internal error", exc_info=exc)
            await self.abort_and_raise(exc)
        # Messages sent one after the other, as by a task that streams them,
        # would cost a system call each. The first one since data arrived goes
        # out at once: an echo or a request mustn't wait. Those that follow
        # stay with the protocol until the next round of the event loop, or
        # until they fill the write limit, and go out in one write.
        if not self.paused and (self.burst is not None or self.sent_since_read):
            size = self.burst_size + len(protocol.writes[-1])
            if size <= self.write_limit_high:
                self.burst_size = size
                if self.burst is None:
                    self.burst = self.loop.call_soon(self.end_burst)
                return
        self.sent_since_read = True
        # complete_send(False) written out, for the same reason: awaiting it
        # costs a coroutine, while a drain is rarely needed.
        try:
            self.send_data()
        except Exception as exc:
            if self.debug:
                self.logger.debug("! error while sending data", exc_info=True)
            await self.abort_and_raise(exc)
        if self.paused:
            await self.complete_send(False)

    async def close(
        self,
        code: CloseCode | int = CloseCode.NORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        Run the closing handshake (:rfc:`6455#section-7.1.2`) and wait until
        the TCP connection is closed.

        When the peer doesn't answer within ``close_timeout``, the TCP
        connection is aborted. Closing a connection that is closed already does
        nothing. Closing while a fragmented message is being sent fails the
        connection with code 1011.

        Args:
            code: Close code.
            reason: Close reason, up to 123 bytes once encoded to UTF-8.

        Raises:
            ProtocolError: If ``code`` isn't a valid close code or ``reason``
                is too long.

        """
        try:
            async with self.send_context():
                if self.send_in_progress is not None:
                    self.protocol.fail(
                        CloseCode.INTERNAL_ERROR, "close during fragmented message"
                    )
                else:
                    self.protocol.send_close(code, reason)
        except ConnectionClosed:
            # Closed already, or meanwhile: the caller gets what it wanted.
            pass

    async def wait_closed(self) -> None:
        """
        Wait until the connection is closed, whichever side closed it.

        That's once the closing handshake is over and the TCP connection is
        closed.
        """
        await asyncio.shield(self.connection_lost_waiter)

    async def ping(self, data: DataLike | None = None) -> Awaitable[float]:
        """
        Send a ping (:rfc:`6455#section-5.5.2`).

        A ping tells whether the peer is alive and has read everything sent
        before it, and how long a round trip takes.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8. :obj:`None`
                picks four random bytes that no waiting ping uses.

        Returns:
            An awaitable that returns the latency in seconds once the pong
            arrives; there's no need to await it::

                pong_waiter = await websocket.ping()
                latency = await pong_waiter

        Raises:
            ConnectionClosed: If the connection is closing or closed.
            ConcurrencyError: If a ping with the same payload waits for its
                pong.

        """
        payload = None if data is None else control_payload(data)
        async with self.send_context():
            if payload is not None and payload in self.pending_pings:
                raise ConcurrencyError("already waiting for a pong with the same data")
            while payload is None or payload in self.pending_pings:
                payload = random.getrandbits(32).to_bytes(4, "big")
            self.protocol.send_ping(payload)
            # The pong can't be processed before this returns: register the
            # ping only once the protocol has accepted it.
            pong_waiter: asyncio.Future[float] = self.loop.create_future()
            # perf_counter() rather than loop.time(), whose resolution is a
            # millisecond with uvloop: too coarse for a local network.
            self.pending_pings[payload] = (pong_waiter, time.perf_counter())
        return pong_waiter

    async def pong(self, data: DataLike = b"") -> None:
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
        async with self.send_context():
            self.protocol.send_pong(payload)

    # Internals, in the same order as in ws_sync.connection.

    def process_event(self, event: Event) -> None:
        """
        Route an event of the protocol: data frames to :meth:`recv`, pongs to
        the pings they answer.

        Subclasses override it to take the opening handshake first.

        """
        assert isinstance(event, Frame)
        opcode = event.opcode
        # Identity tests in order of frequency: this runs for every frame.
        if opcode is OP_TEXT or opcode is OP_BINARY or opcode is OP_CONT:
            self.recv_messages.put(event)
        elif opcode is OP_PONG:
            self.acknowledge_pings(bytes(event.data))

    def acknowledge_pings(self, data: bytes) -> None:
        """
        Resolve the ping whose payload is ``data`` and every older one.

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
            pong_waiter, sent_at = pending.pop(payload)
            if not pong_waiter.done():
                pong_waiter.set_result(now - sent_at)
            if payload == data:
                self.latency = now - sent_at
                return

    def terminate_pending_pings(self) -> None:
        """Fail the pings still waiting for a pong once the connection is closed."""
        if not self.pending_pings:
            return
        waiting = [waiter for waiter, _ in self.pending_pings.values()]
        self.pending_pings.clear()
        exc = self.close_exc()
        for pong_waiter in waiting:
            if pong_waiter.done():
                continue  # cancelled by the caller
            pong_waiter.set_exception(exc)
            # Callers often ignore the waiter; unless the exception is marked
            # as retrieved, asyncio logs it when the waiter is collected.
            pong_waiter.exception()

    def start_keepalive(self) -> None:
        """Schedule the next keepalive ping, if ``ping_interval`` is set."""
        if self.ping_interval is not None:
            # Pings leave every interval, whatever the round trip.
            self.keepalive_timer = self.loop.call_later(
                self.ping_interval - self.latency, self.keepalive_due
            )

    def keepalive_due(self) -> None:
        """Run :meth:`keepalive` in a task, now that a ping is due."""
        self.keepalive_task = self.loop.create_task(self.keepalive())

    async def keepalive(self) -> None:
        """Send a keepalive ping, wait for its pong, then schedule the next one."""
        try:
            await self.keepalive_ping()
        except Exception as exc:
            # The end of the connection ends keepalive; anything else is a bug.
            if not isinstance(exc, ConnectionClosed):
                self.logger.error("keepalive ping failed", exc_info=True)
        else:
            self.start_keepalive()

    async def keepalive_ping(self) -> None:
        """Send a ping; fail the connection if the pong is late."""
        pong_waiter = await self.ping()
        debug = self.debug
        if debug:
            self.logger.debug("% sent keepalive ping")
        if self.ping_timeout is None:
            return
        try:
            async with asyncio_timeout(self.ping_timeout):
                await pong_waiter
        except TimeoutError:
            if debug:
                self.logger.debug("- timed out waiting for keepalive pong")
            await self.fail_connection(
                CloseCode.INTERNAL_ERROR, "keepalive ping timeout"
            )
        else:
            if debug:
                self.logger.debug("% received keepalive pong")

    @contextlib.asynccontextmanager
    async def send_context(
        self,
        *,
        expected_state: State = OPEN,  # CONNECTING for the opening handshake
    ) -> AsyncIterator[None]:
        """
        Run a call that makes the protocol send something, then send it::

            async with self.send_context():
                self.protocol.send_ping(data)

        The body runs only if the state is ``expected_state``. Then what the
        protocol queued goes to the transport, and the context waits for the
        write buffer to drain, and, if the call started the closing handshake,
        for the end of the TCP connection.

        An error with which the protocol refuses a wrong call (see
        ``CALLER_ERRORS``) goes to the caller, and the connection goes on.

        Raises:
            ConnectionClosed: If the state isn't ``expected_state``, if the
                protocol fails unexpectedly or if writing fails; once the
                connection is closed, so that the exception has the close
                frames.

        """
        if self.protocol.state is not expected_state:
            await self.reject_call()
        try:
            yield
        except CALLER_ERRORS:
            raise
        except Exception as exc:
            self.logger.error("unexpected internal error", exc_info=exc)
            await self.abort_and_raise(exc)
        await self.complete_send(self.protocol.close_expected())

    async def complete_send(self, closing: bool) -> None:
        """
        Write what the protocol queued and wait for the write buffer to drain.

        If ``closing``, that is, if the protocol expects the TCP connection to
        close, arm the close timer and wait until it's closed.

        Raises:
            ConnectionClosed: If writing fails.

        """
        if closing:
            self.set_close_deadline()
        try:
            self.send_data()
            if self.paused:
                await self.drain()
        except Exception as exc:
            if self.debug:
                self.logger.debug("! error while sending data", exc_info=True)
            await self.abort_and_raise(exc)
        if closing:
            await self.wait_for_close()

    async def send_fragments(
        self, chunks: AsyncIterator[DataLike], text: bool | None, source: str
    ) -> None:
        """
        Send the items of ``chunks`` as the fragments of one message;
        ``source`` names what they come from, in errors.
        """
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            return  # no item: not even an empty message

        # The first item sets the type of the message. A mistake in it is
        # caught before anything goes out: the connection stays usable.
        strings = fragments_are_strings(chunk, source)
        if text is None:
            text = strings
        start = self.protocol.send_text if text else self.protocol.send_binary
        self.send_in_progress = self.loop.create_future()
        try:
            async with self.send_context():
                start(fragment_payload(chunk, strings, source), fin=False)
            try:
                async for chunk in chunks:
                    payload = fragment_payload(chunk, strings, source)
                    async with self.send_context():
                        self.protocol.send_continuation(payload, fin=False)
                async with self.send_context():
                    self.protocol.send_continuation(b"", fin=True)
            except BaseException:
                # Cancellation included. The peer has seen the start of the
                # message; nothing can take it back: the connection is over.
                await self.fail_connection(
                    CloseCode.INTERNAL_ERROR, "error in fragmented message"
                )
                raise
        finally:
            self.send_in_progress.set_result(None)
            self.send_in_progress = None

    async def fail_connection(self, code: int, reason: str) -> None:
        """
        Fail the connection (:rfc:`6455#section-7.1.7`) and wait until it's
        closed; do nothing if it's closed or closing already.
        """
        try:
            async with self.send_context():
                self.protocol.fail(code, reason)
        except ConnectionClosed:
            pass

    async def recv_failed(self, exc: Exception, method: str) -> NoReturn:
        """Turn an error of the assembler into the error of :meth:`recv`."""
        if isinstance(exc, ConcurrencyError):
            raise ConcurrencyError(
                f"cannot call {method} while another coroutine "
                "is already running recv or recv_streaming"
            ) from None
        if isinstance(exc, UnicodeDecodeError):
            # decode=True on a binary message that isn't UTF-8: the peer sent
            # data that isn't consistent with the type of the message (1007).
            await self.fail_connection(
                CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}"
            )
        await self.raise_close_exc()

    async def reject_call(self) -> NoReturn:
        """
        Raise :exc:`~ws_frames.exceptions.ConnectionClosed` for a call that
        the state doesn't allow, once the connection is closed: if the closing
        handshake is under way, within ``close_timeout``; otherwise, at once.
        """
        if self.protocol.state is CLOSING:
            self.set_close_deadline()
            await self.wait_for_close()
        self.transport.abort()
        await self.raise_close_exc()

    async def wait_for_close(self) -> None:
        """
        Wait until the TCP connection is closed; the close timer aborts it at
        the close deadline.
        """
        await asyncio.shield(self.connection_lost_waiter)

    async def abort_and_raise(self, cause: BaseException) -> NoReturn:
        """
        Abort the TCP connection after an error that breaks it, and raise
        :exc:`~ws_frames.exceptions.ConnectionClosed` from that error.
        """
        self.set_recv_exc(cause)
        self.transport.abort()
        await self.raise_close_exc(cause)

    async def raise_close_exc(self, cause: BaseException | None = None) -> NoReturn:
        """Wait until the connection is closed and raise :meth:`close_exc`."""
        await asyncio.shield(self.connection_lost_waiter)
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
        Give the closing handshake ``close_timeout`` seconds, then abort the
        TCP connection (:rfc:`6455#section-7.1.1`); later calls change nothing.
        """
        if self.close_deadline is None and self.close_timeout is not None:
            self.close_deadline = self.loop.time() + self.close_timeout
            self.close_timer = self.loop.call_at(
                self.close_deadline, self.close_timed_out
            )
        # The peer's close frame may be behind frames that flow control left
        # unread: read on, keeping for recv() what the queue holds.
        self.recv_messages.discard_overflow()

    def close_timed_out(self) -> None:
        if self.debug:
            self.logger.debug("! timed out waiting for TCP close")
        # From now on, ConnectionClosed names the time-out as its cause.
        self.set_recv_exc(TimeoutError("timed out while closing connection"))
        self.transport.abort()

    def send_data(self) -> None:
        """
        Write to the transport what the protocol has to send.

        The empty chunk that stands for the end of the stream half-closes TCP,
        or, when the transport can't do that, as with TLS, closes it.

        """
        transport = self.transport
        writes = self.protocol.data_to_send()
        self.burst_size = 0
        # Frames that send() held back go out in one write: see send().
        if len(writes) > 1 and all(writes):
            transport.writelines(writes)
            return
        for data in writes:
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                if self.debug:
                    self.logger.debug("x half-closing TCP connection")
                # uvloop raises RuntimeError when the transport is closing.
                with contextlib.suppress(OSError, RuntimeError):
                    transport.write_eof()
            else:  # pragma: no cover
                if self.debug:
                    self.logger.debug("x closing TCP connection")
                transport.close()

    def end_burst(self) -> None:
        """
        Write the messages that :meth:`send` held back.

        It has no twin in ``ws_sync.connection``, where nothing would write
        them later: each ``send()`` writes its message before it returns.
        """
        self.burst = None
        self.sent_since_read = False
        self.send_data_outside_send()

    def send_data_outside_send(self) -> None:
        """
        Write what the protocol queued, from a callback rather than from a
        caller of ``send()``: a failure goes to the reader, which reports it.
        """
        try:
            self.send_data()
        except Exception as exc:
            self.set_recv_exc(exc)
            if self.debug:
                self.logger.debug("! error while sending data", exc_info=True)

    def set_recv_exc(self, exc: BaseException | None) -> None:
        """Record the first error that broke the connection."""
        if self.recv_exc is None:
            self.recv_exc = exc

    def handle_received(self) -> None:
        """
        Send what the protocol answers to the data it received, and route the
        events that it decoded.
        """
        protocol = self.protocol
        events = protocol.events_received()
        # Answers such as pongs or a close frame; most data calls for none,
        # and testing for them spares a call.
        if protocol.writes:
            self.send_data_outside_send()
        for event in events:
            self.process_event(event)
        # After the events: messages that came in front of a close frame are
        # queued before the closing handshake starts dropping the overflow.
        if protocol.close_expected():
            self.set_close_deadline()

    async def drain(self) -> None:
        """Wait while the write buffer is above its high-water mark."""
        if self.paused:
            # Shielded: a sender that is cancelled mustn't cancel the wait of
            # the others.
            await asyncio.shield(self.drain_waiters[-1])

    def pause_reading(self) -> None:
        """Stop reading from the network; called by :attr:`recv_messages`."""
        self.transport.pause_reading()

    def resume_reading(self) -> None:
        """Read from the network again; called by :attr:`recv_messages`."""
        # Once the transport is closing, it reads nothing anymore.
        if not self.transport.is_closing():
            self.transport.resume_reading()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(
            self.write_limit_high, self.write_limit_low
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.protocol.receive_eof()
        # receive_eof() leaves a server CONNECTING while a request waits for
        # its response: it's too late to send one now.
        self.protocol.state = CLOSED
        self.set_recv_exc(exc)
        self.connection_lost_waiter.set_result(None)

        # Python 3.10's TLS transport doesn't see that it's closed when the
        # connection is lost, and warns when it's collected.
        if not self.transport.is_closing():  # pragma: no cover
            self.transport.close()

        self.recv_messages.close()
        self.terminate_pending_pings()
        if self.keepalive_timer is not None:
            self.keepalive_timer.cancel()
        if self.keepalive_task is not None:
            self.keepalive_task.cancel()
        if self.close_timer is not None:
            self.close_timer.cancel()
        if self.burst is not None:
            self.burst.cancel()

        # What the write buffer held was never sent: senders that wait for it
        # to drain must fail rather than believe it went out.
        self.paused = False
        error = ConnectionError("connection lost") if exc is None else exc
        while self.drain_waiters:
            drain_waiter = self.drain_waiters.pop(0)
            drain_waiter.set_exception(error)
            drain_waiter.exception()  # retrieved, even if nobody waits

    def eof_received(self) -> None:
        self.protocol.receive_eof()
        # A handshake response without Content-Length ends with the stream.
        self.handle_received()
        # Returning None closes the transport: after the peer's EOF, nothing
        # is left to say (RFC 6455, 7.1.1), and TLS can't stay half-open.

    def pause_writing(self) -> None:
        self.paused = True
        self.drain_waiters.append(self.loop.create_future())
        # A peer that sends pings and doesn't read would fill the buffer with
        # pongs; reading goes on, for a peer may stream while it's streamed
        # to, but only the pong of the last ping waits for the buffer to drain.
        self.protocol.hold_pongs(True)

    def resume_writing(self) -> None:
        self.paused = False
        while self.drain_waiters:
            self.drain_waiters.pop(0).set_result(None)
        self.protocol.hold_pongs(False)
        self.send_data()

    def data_received(self, data: bytes) -> None:
        self.sent_since_read = False
        self.protocol.receive_data(data)
        self.handle_received()


async def aiter_over(items: Iterable[DataLike]) -> AsyncIterator[DataLike]:
    """Iterate asynchronously over the items of an iterable."""
    for item in items:
        yield item


def fragments_are_strings(chunk: object, source: str) -> bool:
    """
    Tell whether the first fragment of a message, an item of ``source``, is
    a string or bytes.

    Raises:
        TypeError: If it's neither.

    """
    if isinstance(chunk, str):
        return True
    if isinstance(chunk, BYTES_LIKE):
        return False
    raise TypeError(f"{source} must contain bytes or str")


def fragment_payload(chunk: object, strings: bool, source: str) -> BytesLike:
    """
    Return the payload of a fragment, an item of ``source``, which must have
    the type of the first.

    Raises:
        TypeError: If it doesn't.

    """
    if strings and isinstance(chunk, str):
        return chunk.encode()
    if not strings and isinstance(chunk, BYTES_LIKE):
        return chunk
    raise TypeError(f"{source} must contain uniform types")


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
    text: bool | None = None,
    raise_exceptions: bool = False,
) -> None:
    """
    Send a message to many connections at once, without waiting.

    The message goes to every connection that is open and isn't sending a
    fragmented message, and straight to its transport: :func:`broadcast`
    doesn't wait for a slow peer, whose write buffer grows instead. The frame
    is built once and the same bytes go to every server connection that uses
    no extension; the others, client connections, which mask their frames, and
    connections with compression, build their own.

    A connection that can't take the message is skipped, with a warning in
    its log; with ``raise_exceptions=True`` (Python 3.11 and later), the
    errors are raised together in an :exc:`ExceptionGroup` at the end instead.

    Args:
        connections: Connections, server or client ones.
        message: A :class:`str` goes out as a text frame, a bytes-like object
            as a binary frame.
        text: ``True`` sends UTF-8 bytes as text, ``False`` a string as
            binary.
        raise_exceptions: Raise the errors rather than log them.

    Raises:
        TypeError: If ``message`` isn't a string or bytes-like.
        ProtocolError: If ``text`` is set and ``message`` isn't UTF-8.

    """
    frame = broadcast_frame(message, text)
    if raise_exceptions and sys.version_info < (3, 11):  # pragma: no cover
        raise ValueError("raise_exceptions requires at least Python 3.11")

    # The frame without masking nor extensions, made on first use.
    shared: bytes | None = None
    errors: list[Exception] = []

    for connection in connections:
        protocol = connection.protocol
        if protocol.state is not OPEN:
            continue
        if connection.send_in_progress is not None:
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
                # Messages that send() holds back go first.
                and not protocol.writes
            ):
                if shared is None:
                    shared = frame.serialize(mask=False)
                connection.transport.write(shared)
            else:
                if frame.opcode is OP_TEXT:
                    protocol.send_text(frame.data)
                else:
                    protocol.send_binary(frame.data)
                connection.send_data()
        except Exception as exc:
            skip_broadcast(connection, exc, errors if raise_exceptions else None)

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
        problem = f"failed to write message: {type(exc).__name__}: {exc}"
    if errors is None:
        connection.logger.warning("skipped broadcast: %s", problem)
    else:
        errors.append(error)


# Selector transports read up to this much at once.
READ_BUFFER_SIZE = 2**18

_per_thread = threading.local()


def read_buffer() -> memoryview:
    """
    Return the buffer that transports read into, one per thread.

    Reading into a buffer that stays allocated spares allocating a large
    :class:`bytes` for every read, which costs more than the read itself for
    small messages. Transports of the same event loop can share it: each one
    hands over what it read, in :meth:`BufferedReader.buffer_updated`, before
    the next one reads.

    """
    try:
        buffer: memoryview = _per_thread.read_buffer
    except AttributeError:
        buffer = _per_thread.read_buffer = memoryview(bytearray(READ_BUFFER_SIZE))
    return buffer


class BufferedReader(asyncio.BufferedProtocol):
    """
    The face of a :class:`Connection` that the transport sees.

    The transport reads into the buffer of a
    :class:`~asyncio.BufferedProtocol` rather than allocating a new
    :class:`bytes` for every read. The connection stays an
    :class:`asyncio.Protocol`, as its API says: this adapter passes it the
    transport's calls.

    """

    # The buffer that get_buffer() returned, which buffer_updated() reads.
    __slots__ = ("buffer", "connection")

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.buffer: memoryview

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connection.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection.connection_lost(exc)

    def pause_writing(self) -> None:
        self.connection.pause_writing()

    def resume_writing(self) -> None:
        self.connection.resume_writing()

    def get_buffer(self, sizehint: int) -> memoryview:
        self.buffer = buffer = read_buffer()
        return buffer

    def buffer_updated(self, nbytes: int) -> None:
        # The buffer is shared: copy what was read out of it right away.
        self.connection.data_received(self.buffer[:nbytes].tobytes())

    def eof_received(self) -> None:
        self.connection.eof_received()

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
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal, cast, overload

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


if sys.version_info >= (3, 11):  # pragma: no branch
    from typing import Self
else:  # pragma: no cover
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
        Latency of the connection, in seconds.

        Latency is defined as the round-trip time of the connection. It is
        measured by sending a Ping frame and waiting for a matching Pong frame.
        Before the first measurement, :attr:`latency` is ``0``.

        By default, websockets enables a keepalive mechanism that sends Ping
        frames automatically at regular intervals. You can also send Ping
        frames and measure latency with :meth:`ping`.
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
        Local address of the connection.

        For IPv4 connections, this is a ``(host, port)`` tuple.

        The format of the address depends on the address family.
        See :meth:`~socket.socket.getsockname`.

        """
        return self.transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """
        Remote address of the connection.

        For IPv4 connections, this is a ``(host, port)`` tuple.

        The format of the address depends on the address family.
        See :meth:`~socket.socket.getpeername`.

        """
        return self.transport.get_extra_info("peername")

    @property
    def state(self) -> State:
        """
        State of the WebSocket connection, defined in :rfc:`6455`.

        This attribute is provided for completeness. Typical applications
        shouldn't check its value. Instead, they should call :meth:`~recv` or
        :meth:`send` and handle :exc:`~ws_frames.exceptions.ConnectionClosed`
        exceptions.

        """
        return self.protocol.state

    @property
    def subprotocol(self) -> Subprotocol | None:
        """
        Subprotocol negotiated during the opening handshake.

        :obj:`None` if no subprotocol was negotiated.

        """
        return self.protocol.subprotocol

    @property
    def close_code(self) -> int | None:
        """
        State of the WebSocket connection, defined in :rfc:`6455`.

        This attribute is provided for completeness. Typical applications
        shouldn't check its value. Instead, they should inspect attributes
        of :exc:`~ws_frames.exceptions.ConnectionClosed` exceptions.

        """
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """
        State of the WebSocket connection, defined in :rfc:`6455`.

        This attribute is provided for completeness. Typical applications
        shouldn't check its value. Instead, they should inspect attributes
        of :exc:`~ws_frames.exceptions.ConnectionClosed` exceptions.

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
        Iterate on incoming messages.

        The iterator calls :meth:`recv` and yields messages asynchronously in
        an infinite loop.

        It exits when the connection is closed normally. It raises a
        :exc:`~ws_frames.exceptions.ConnectionClosedError` exception after a
        protocol error or a network failure.

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
        Receive the next message.

        When the connection is closed, :meth:`recv` raises
        :exc:`~ws_frames.exceptions.ConnectionClosed`. Specifically, it raises
        :exc:`~ws_frames.exceptions.ConnectionClosedOK` after a normal closure
        and :exc:`~ws_frames.exceptions.ConnectionClosedError` after a protocol
        error or a network failure. This is how you detect the end of the
        message stream. Every message received before the closing handshake is
        returned first.

        Canceling :meth:`recv` is safe. There's no risk of losing data. The next
        invocation of :meth:`recv` will return the next message.

        This makes it possible to enforce a timeout by wrapping :meth:`recv` in
        :func:`~asyncio.timeout` or :func:`~asyncio.wait_for`.

        When the message is fragmented, :meth:`recv` waits until all fragments
        are received, reassembles them, and returns the whole message.

        Args:
            decode: Set this flag to override the default behavior of returning
                :class:`str` or :class:`bytes`. See below for details.

        Returns:
            A string (:class:`str`) for a Text_ frame or a bytestring
            (:class:`bytes`) for a Binary_ frame.

            .. _Text: https://datatracker.ietf.org/doc/html/rfc6455#section-5.6
            .. _Binary: https://datatracker.ietf.org/doc/html/rfc6455#section-5.6

            You may override this behavior with the ``decode`` argument:

            * Set ``decode=False`` to disable UTF-8 decoding of Text_ frames and
              return a bytestring (:class:`bytes`). This improves performance
              when decoding isn't needed, for example if the message contains
              JSON and you're using a JSON library that expects a bytestring.
            * Set ``decode=True`` to force UTF-8 decoding of Binary_ frames
              and return a string (:class:`str`). This may be useful for
              servers that send binary frames instead of text frames.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If two coroutines call :meth:`recv` or
                :meth:`recv_streaming` concurrently.

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
        Receive the next message frame by frame.

        Canceling :meth:`recv_streaming` before receiving the first frame is
        safe. Canceling it after receiving one or more frames leaves the
        iterator in a partially consumed state, making the connection unusable.
        Instead, you should close the connection with :meth:`close`.

        Args:
            decode: Set this flag to override the default behavior of returning
                :class:`str` or :class:`bytes`. See :meth:`recv` for details.

        Returns:
            An iterator of strings (:class:`str`) for a Text_ frame or
            bytestrings (:class:`bytes`) for a Binary_ frame.

            .. _Text: https://datatracker.ietf.org/doc/html/rfc6455#section-5.6
            .. _Binary: https://datatracker.ietf.org/doc/html/rfc6455#section-5.6

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If two coroutines call :meth:`recv` or
                :meth:`recv_streaming` concurrently.

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

        A string (:class:`str`) is sent as a Text_ frame. A bytestring or
        bytes-like object (:class:`bytes`, :class:`bytearray`, or
        :class:`memoryview`) is sent as a Binary_ frame.

        .. _Text: https://datatracker.ietf.org/doc/html/rfc6455#section-5.6
        .. _Binary: https://datatracker.ietf.org/doc/html/rfc6455#section-5.6

        You may override this behavior with the ``text`` argument:

        * Set ``text=True`` to send an UTF-8 bytestring or bytes-like object
          (:class:`bytes`, :class:`bytearray`, or :class:`memoryview`) in a
          Text_ frame. This improves performance when the message is already
          UTF-8 encoded, for example if the message contains JSON and you're
          using a JSON library that produces a bytestring.
        * Set ``text=False`` to send a string (:class:`str`) in a Binary_
          frame. This may be useful for servers that expect binary frames
          instead of text frames.

        :meth:`send` also accepts an iterable or asynchronous iterable of
        strings, bytestrings, or bytes-like objects to enable fragmentation_.
        Each item is treated as a message fragment and sent in its own frame.
        All items must be of the same type, or else :meth:`send` will raise a
        :exc:`TypeError` and the connection will be closed.

        .. _fragmentation: https://datatracker.ietf.org/doc/html/rfc6455#section-5.4

        :meth:`send` rejects dict-like objects because this is often an error.
        (If you really want to send the keys of a dict-like object as fragments,
        call its :meth:`~dict.keys` method and pass the result to :meth:`send`.)

        Canceling :meth:`send` is discouraged. Instead, you should close the
        connection with :meth:`close`. Indeed, there are only two situations
        where :meth:`send` may yield control to the event loop and then get
        canceled; in both cases, :meth:`close` has the same effect and is
        more clear:

        1. The write buffer is full. If you don't want to wait until enough
           data is sent, your only alternative is to close the connection.
           :meth:`close` will likely time out then abort the TCP connection.
        2. ``message`` is an asynchronous iterator that yields control.
           Stopping in the middle of a fragmented message will cause a
           protocol error and the connection will be closed.

        When the connection is closed, :meth:`send` raises
        :exc:`~ws_frames.exceptions.ConnectionClosed`. Specifically, it
        raises :exc:`~ws_frames.exceptions.ConnectionClosedOK` after a normal
        connection closure and
        :exc:`~ws_frames.exceptions.ConnectionClosedError` after a protocol
        error or a network failure.

        Args:
            message: Message to send.
            text: Override the frame type chosen from the type of ``message``.

        Raises:
            ConnectionClosed: When the connection is closed.
            TypeError: If ``message`` doesn't have a supported type.

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
        Perform the closing handshake.

        :meth:`close` waits for the other end to complete the handshake and
        for the TCP connection to terminate.

        :meth:`close` is idempotent: it doesn't do anything once the
        connection is closed.

        Args:
            code: WebSocket close code.
            reason: WebSocket close reason.

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
        Wait until the connection is closed.

        :meth:`wait_closed` waits for the closing handshake to complete and for
        the TCP connection to terminate.

        """
        await asyncio.shield(self.connection_lost_waiter)

    async def ping(self, data: DataLike | None = None) -> Awaitable[float]:
        """
        Send a Ping_.

        .. _Ping: https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.2

        A ping may serve as a keepalive or as a check that the remote endpoint
        received all messages up to this point

        Args:
            data: Payload of the ping. A :class:`str` will be encoded to UTF-8.
                If ``data`` is :obj:`None`, the payload is four random bytes.

        Returns:
            A future that will be completed when the corresponding pong is
            received. You can ignore it if you don't intend to wait. The result
            of the future is the latency of the connection in seconds.

            ::

                pong_waiter = await ws.ping()
                # only if you want to wait for the corresponding pong
                latency = await pong_waiter

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If another ping was sent with the same data and
                the corresponding pong wasn't received yet.

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
            self.pending_pings[data] = (pong_waiter, self.loop.time())
            self.protocol.send_ping(data)
            return pong_waiter

    async def pong(self, data: DataLike = b"") -> None:
        """
        Send a Pong_.

        .. _Pong: https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.3

        An unsolicited pong may serve as a unidirectional heartbeat.

        Args:
            data: Payload of the pong. A :class:`str` will be encoded to UTF-8.

        Raises:
            ConnectionClosed: When the connection is closed.

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

        pong_timestamp = self.loop.time()

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
                    except asyncio.TimeoutError:
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
        Create a context for writing to the connection from user code.

        On entry, :meth:`send_context` checks that the connection is open; on
        exit, it writes outgoing data to the socket::

            async with self.send_context():
                self.protocol.send_text(message.encode())

        When the connection isn't open on entry, when the connection is expected
        to close on exit, or when an unexpected error happens, terminating the
        connection, :meth:`send_context` waits until the connection is closed
        then raises :exc:`~ws_frames.exceptions.ConnectionClosed`.

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

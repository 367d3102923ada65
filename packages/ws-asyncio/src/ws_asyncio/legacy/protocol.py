"""
The data transfer phase of a WebSocket connection (legacy API).

See sections 5 to 7 of RFC 6455. Frames are read and written with
:mod:`ws_asyncio.legacy.framing`, i.e. with the codec of
:class:`ws_frames.frames.Frame`.

"""

from __future__ import annotations

import asyncio
import codecs
import collections
import logging
import random
import ssl
import struct
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any, cast

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from ws_frames.extensions import Extension
from ws_frames.frames import OK_CLOSE_CODES, Close, CloseCode, Opcode
from ws_frames.protocol import State
from ws_frames.typing import BytesLike, Data, DataLike, LoggerLike, Subprotocol
from ws_http.datastructures import Headers

from .framing import Frame, prepare_ctrl, prepare_data


__all__ = ["WebSocketCommonProtocol", "broadcast"]


def _get_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        # Protocols built outside a running loop use the current one, as
        # loop.run_until_complete(serve(...)) did with older versions.
        return asyncio.get_event_loop_policy().get_event_loop()


class WebSocketCommonProtocol(asyncio.Protocol):
    """
    WebSocket connection.

    :class:`WebSocketCommonProtocol` provides APIs shared between WebSocket
    servers and clients. You shouldn't use it directly. Instead, use
    :class:`~ws_asyncio.legacy.client.WebSocketClientProtocol` or
    :class:`~ws_asyncio.legacy.server.WebSocketServerProtocol`.

    Once the connection is open, a Ping frame is sent every ``ping_interval``
    seconds as a keepalive. If the corresponding Pong frame isn't received
    within ``ping_timeout`` seconds, the connection is considered unusable and
    is closed with code 1011. Set either to :obj:`None` to disable it.

    ``close_timeout`` is the maximum wait time for completing the closing
    handshake and terminating the TCP connection. For legacy reasons,
    :meth:`close` completes in at most ``5 * close_timeout`` seconds for
    clients and ``4 * close_timeout`` for servers.

    ``max_size`` is the maximum size of incoming messages in bytes; a larger
    message closes the connection with code 1009. ``max_queue`` is the maximum
    number of incoming messages held before :meth:`recv` is called; when the
    queue is full, the protocol stops reading from the network. ``read_limit``
    and ``write_limit`` are the high-water marks of the buffers for incoming
    and outgoing bytes.

    Args:
        logger: Logger for this connection; defaults to
            ``logging.getLogger("websockets.protocol")``.
        ping_interval: Delay between keepalive pings in seconds.
        ping_timeout: Timeout for keepalive pings in seconds.
        close_timeout: Timeout for closing the connection in seconds.
        max_size: Maximum size of incoming messages in bytes.
        max_queue: Maximum number of incoming messages in receive buffer.
        read_limit: High-water mark of read buffer in bytes.
        write_limit: High-water mark of write buffer in bytes.

    """

    # There are only two differences between the client-side and server-side
    # behavior: masking the payload and closing the underlying TCP connection.
    is_client: bool
    side: str = "undefined"

    def __init__(
        self,
        *,
        logger: LoggerLike | None = None,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = None,
        max_size: int | None = 2**20,
        max_queue: int | None = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        # The following arguments are kept only for backwards compatibility.
        host: str | None = None,
        port: int | None = None,
        secure: bool | None = None,
        legacy_recv: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout: float | None = None,
    ) -> None:
        if legacy_recv:
            warnings.warn("legacy_recv is deprecated", DeprecationWarning, stacklevel=2)

        # close_timeout used to be called timeout; close_timeout wins.
        if timeout is None:
            timeout = 10
        else:
            warnings.warn(
                "rename timeout to close_timeout", DeprecationWarning, stacklevel=2
            )
        if close_timeout is None:
            close_timeout = timeout

        if loop is None:
            loop = _get_loop()
        else:
            warnings.warn("remove loop argument", DeprecationWarning, stacklevel=2)

        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        self.max_size = max_size
        self.max_queue = max_queue
        self.read_limit = read_limit
        self.write_limit = write_limit

        # Unique identifier, for logs.
        self.id: uuid.UUID = uuid.uuid4()

        if logger is None:
            logger = logging.getLogger("websockets.protocol")
        self.logger: LoggerLike = logging.LoggerAdapter(logger, {"websocket": self})
        """Logger for this connection."""

        # Checking isEnabledFor once avoids formatting debug messages for nothing.
        self.debug = logger.isEnabledFor(logging.DEBUG)

        self.loop = loop

        self._host = host
        self._port = port
        self._secure = secure
        self.legacy_recv = legacy_recv

        # The StreamReader pauses the transport when its buffer exceeds twice
        # its limit, so the high-water mark is read_limit.
        self.reader = asyncio.StreamReader(limit=read_limit // 2, loop=loop)

        # Write flow control, as in asyncio's FlowControlMixin.
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._drain_lock = asyncio.Lock()

        # Set by connection_made().
        self.transport: asyncio.Transport

        # This class implements the data transfer and closing handshake, which
        # are shared between the client-side and the server-side. Subclasses
        # implement the opening handshake and, on success, call connection_open().
        self.state = State.CONNECTING
        if self.debug:
            self.logger.debug("= connection is CONNECTING")

        # HTTP protocol parameters.
        self.path: str
        """Path of the opening handshake request."""
        self.request_headers: Headers
        """Opening handshake request headers."""
        self.response_headers: Headers
        """Opening handshake response headers."""

        # WebSocket protocol parameters.
        self.extensions: list[Extension] = []
        self.subprotocol: Subprotocol | None = None
        """Subprotocol, if one was negotiated."""

        # Close frames received and sent, with the order in which it happened.
        self.close_rcvd: Close | None = None
        self.close_sent: Close | None = None
        self.close_rcvd_then_sent: bool | None = None

        # Completed when the TCP connection is closed, in connection_lost().
        self.connection_lost_waiter: asyncio.Future[None] = loop.create_future()

        # Queue of received messages and the futures that coordinate recv()
        # with transfer_data().
        self.messages: collections.deque[Data] = collections.deque()
        self._pop_message_waiter: asyncio.Future[None] | None = None
        self._put_message_waiter: asyncio.Future[None] | None = None

        # Set while send() is sending a fragmented message, which must not be
        # interleaved with other data frames.
        self._fragmented_message_waiter: asyncio.Future[None] | None = None

        # Pings awaiting a pong: payload -> (waiter, timestamp of the ping).
        self.pings: dict[bytes, tuple[asyncio.Future[float], float]] = {}

        self.latency: float = 0
        """
        Latency of the connection, in seconds.

        Updated when a pong matching a ping is received; ``0`` before that.

        """

        # Tasks of the data transfer phase, started by connection_open().
        self.transfer_data_task: asyncio.Task[None]
        self.transfer_data_exc: BaseException | None = None
        self.keepalive_ping_task: asyncio.Task[None]
        self.close_connection_task: asyncio.Task[None]

    # Flow control for writes, on the model of asyncio's FlowControlMixin.

    async def _drain_helper(self) -> None:
        if self.connection_lost_waiter.done():
            raise ConnectionResetError("connection lost")
        if not self._paused:
            return
        waiter = self._drain_waiter
        assert waiter is None or waiter.cancelled()
        waiter = self.loop.create_future()
        self._drain_waiter = waiter
        await waiter
        # connection_lost() wakes up the waiter too; then nothing was sent.
        if self.connection_lost_waiter.done():
            raise ConnectionResetError("connection lost")

    async def _drain(self) -> None:
        exc = self.reader.exception()
        if exc is not None:
            raise exc
        if self.transport.is_closing():
            # Yield once so that connection_lost() runs if it's pending; then
            # _drain_helper() raises ConnectionResetError.
            await asyncio.sleep(0)
        await self._drain_helper()

    async def drain(self) -> None:
        """
        Wait until the write buffer is below the high-water mark.

        Raises:
            ConnectionClosed: When the connection is closed.

        """
        try:
            # Several coroutines may write at once; serializing the wait keeps
            # only one drain waiter at a time.
            async with self._drain_lock:
                await self._drain()
        except ConnectionError:
            # The socket died: fail the connection, then wait until it's closed
            # to raise ConnectionClosed with the right code and reason.
            self.fail_connection()
            await self.ensure_open()

    # Public API

    @property
    def host(self) -> str | None:
        alternative = "remote_address" if self.is_client else "local_address"
        warnings.warn(
            f"use {alternative}[0] instead of host", DeprecationWarning, stacklevel=2
        )
        return self._host

    @property
    def port(self) -> int | None:
        alternative = "remote_address" if self.is_client else "local_address"
        warnings.warn(
            f"use {alternative}[1] instead of port", DeprecationWarning, stacklevel=2
        )
        return self._port

    @property
    def secure(self) -> bool | None:
        warnings.warn("don't use secure", DeprecationWarning, stacklevel=2)
        return self._secure

    @property
    def local_address(self) -> Any:
        """
        Local address of the connection.

        For IPv4 connections, this is a ``(host, port)`` tuple. The format
        depends on the address family; see :meth:`~socket.socket.getsockname`.
        :obj:`None` if the TCP connection isn't established yet.

        """
        try:
            transport = self.transport
        except AttributeError:
            return None
        return transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """
        Remote address of the connection.

        For IPv4 connections, this is a ``(host, port)`` tuple. The format
        depends on the address family; see :meth:`~socket.socket.getpeername`.
        :obj:`None` if the TCP connection isn't established yet.

        """
        try:
            transport = self.transport
        except AttributeError:
            return None
        return transport.get_extra_info("peername")

    @property
    def open(self) -> bool:
        """
        :obj:`True` when the connection is open; :obj:`False` otherwise.

        Both :attr:`open` and :attr:`closed` are :obj:`False` during the
        opening and closing sequences.

        """
        return self.state is State.OPEN and not self.transfer_data_task.done()

    @property
    def closed(self) -> bool:
        """
        :obj:`True` when the connection is closed; :obj:`False` otherwise.

        """
        return self.state is State.CLOSED

    @property
    def close_code(self) -> int | None:
        """
        WebSocket close code, defined in section 7.1.5 of RFC 6455.

        :obj:`None` if the connection isn't closed yet.

        """
        if self.state is not State.CLOSED:
            return None
        elif self.close_rcvd is None:
            return CloseCode.ABNORMAL_CLOSURE
        else:
            return self.close_rcvd.code

    @property
    def close_reason(self) -> str | None:
        """
        WebSocket close reason, defined in section 7.1.6 of RFC 6455.

        :obj:`None` if the connection isn't closed yet.

        """
        if self.state is not State.CLOSED:
            return None
        elif self.close_rcvd is None:
            return ""
        else:
            return self.close_rcvd.reason

    async def __aiter__(self) -> AsyncIterator[Data]:
        """
        Iterate on incoming messages.

        The iterator exits normally when the connection is closed with close
        code 1000 (OK) or 1001 (going away) or without a close code. It raises
        :exc:`~ws_frames.exceptions.ConnectionClosedError` otherwise.

        """
        try:
            while True:
                yield await self.recv()
        except ConnectionClosedOK:
            return

    async def recv(self) -> Data:
        """
        Receive the next message.

        Canceling :meth:`recv` is safe: the next message isn't lost, the next
        call returns it. Messages received before the connection was closed
        are returned before :exc:`~ws_frames.exceptions.ConnectionClosed`.

        Returns:
            A string (:class:`str`) for a Text frame; a bytestring
            (:class:`bytes`) for a Binary frame.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If two coroutines call :meth:`recv` concurrently.

        """
        if self._pop_message_waiter is not None:
            raise ConcurrencyError(
                "cannot call recv while another coroutine "
                "is already waiting for the next message"
            )

        # Don't check the state here: messages may be waiting in the queue
        # even though the connection is closing or closed.
        while not self.messages:
            # Once transfer_data_task exits, no message will ever come.
            if self.transfer_data_task.done():
                if self.legacy_recv:
                    return None  # type: ignore
                # Wait until the connection is closed to raise
                # ConnectionClosed with the correct code and reason.
                await self.ensure_open()

            # transfer_data() completes this future when it queues a message;
            # _wake_up_recv() completes it when transfer_data_task exits.
            pop_message_waiter: asyncio.Future[None] = self.loop.create_future()
            self._pop_message_waiter = pop_message_waiter
            try:
                await pop_message_waiter
            finally:
                self._pop_message_waiter = None

        message = self.messages.popleft()

        # Tell transfer_data() there's room in the queue again.
        if self._put_message_waiter is not None:
            self._put_message_waiter.set_result(None)
            self._put_message_waiter = None

        return message

    async def send(
        self,
        message: DataLike | Iterable[DataLike] | AsyncIterable[DataLike],
    ) -> None:
        """
        Send a message.

        A string (:class:`str`) is sent as a Text frame. A bytestring or
        bytes-like object (:class:`bytes`, :class:`bytearray`, or
        :class:`memoryview`) is sent as a Binary frame.

        An iterable or an asynchronous iterable of such objects is sent as a
        fragmented message, each item in its own frame. All items must be of
        the same type, or else :meth:`send` raises :exc:`TypeError` and the
        connection is closed. Dict-like objects are rejected because passing
        one is usually a mistake.

        Raises:
            ConnectionClosed: When the connection is closed.
            TypeError: If ``message`` doesn't have a supported type.

        """
        await self.ensure_open()

        # A fragmented message being sent blocks other data frames.
        while self._fragmented_message_waiter is not None:
            await asyncio.shield(self._fragmented_message_waiter)

        if isinstance(message, (str, bytes, bytearray, memoryview)):
            opcode, data = prepare_data(message)
            await self.write_frame(True, opcode, data)

        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")

        elif isinstance(message, Iterable):
            iter_message = iter(message)
            try:
                fragment = next(iter_message)
            except StopIteration:
                return
            opcode, data = prepare_data(fragment)

            self._fragmented_message_waiter = self.loop.create_future()
            try:
                await self.write_frame(False, opcode, data)
                for fragment in iter_message:
                    confirm_opcode, data = prepare_data(fragment)
                    if confirm_opcode != opcode:
                        raise TypeError("data contains inconsistent types")
                    await self.write_frame(False, Opcode.CONT, data)
                await self.write_frame(True, Opcode.CONT, b"")
            except (Exception, asyncio.CancelledError):
                # A fragmented message can't be abandoned halfway: the
                # connection is unusable now (section 5.4 of RFC 6455).
                self.fail_connection(CloseCode.INTERNAL_ERROR)
                raise
            finally:
                self._fragmented_message_waiter.set_result(None)
                self._fragmented_message_waiter = None

        elif isinstance(message, AsyncIterable):
            aiter_message = message.__aiter__()
            try:
                fragment = await aiter_message.__anext__()
            except StopAsyncIteration:
                return
            opcode, data = prepare_data(fragment)

            self._fragmented_message_waiter = self.loop.create_future()
            try:
                await self.write_frame(False, opcode, data)
                async for fragment in aiter_message:
                    confirm_opcode, data = prepare_data(fragment)
                    if confirm_opcode != opcode:
                        raise TypeError("data contains inconsistent types")
                    await self.write_frame(False, Opcode.CONT, data)
                await self.write_frame(True, Opcode.CONT, b"")
            except (Exception, asyncio.CancelledError):
                self.fail_connection(CloseCode.INTERNAL_ERROR)
                raise
            finally:
                self._fragmented_message_waiter.set_result(None)
                self._fragmented_message_waiter = None

        else:
            raise TypeError("data must be str, bytes-like, or iterable")

    async def close(
        self,
        code: int = CloseCode.NORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        Perform the closing handshake.

        :meth:`close` waits for the other end to complete the handshake and
        for the TCP connection to terminate, so there's no need to await
        :meth:`wait_closed` afterwards. It's idempotent.

        Args:
            code: WebSocket close code.
            reason: WebSocket close reason.

        """
        try:
            await asyncio.wait_for(
                self.write_close_frame(Close(code, reason)),
                self.close_timeout,
            )
        except asyncio.TimeoutError:
            # The write buffer is full: give up on the closing handshake.
            self.fail_connection()

        # If no close frame is received within the timeout, wait_for()
        # cancels the data transfer task and raises TimeoutError. If the
        # connection was already failed, the task was cancelled already.
        try:
            await asyncio.wait_for(self.transfer_data_task, self.close_timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass

        # Wait for close_connection_task to close the TCP connection.
        await asyncio.shield(self.close_connection_task)

    async def wait_closed(self) -> None:
        """
        Wait until the connection is closed.

        This is identical to :attr:`closed`, except it can be awaited.

        """
        await asyncio.shield(self.connection_lost_waiter)

    async def ping(self, data: DataLike | None = None) -> Awaitable[float]:
        """
        Send a Ping; see section 5.5.2 of RFC 6455.

        Args:
            data: Payload of the ping; a string is encoded to UTF-8; with
                :obj:`None`, the payload is four random bytes.

        Returns:
            A future completed when the corresponding pong is received, with
            the latency of the connection in seconds as its result. Canceling
            it has no effect on the connection.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If another ping was sent with the same data and
                the corresponding pong wasn't received yet.

        """
        await self.ensure_open()

        if data is not None:
            data = prepare_ctrl(data)

        if data in self.pings:
            raise ConcurrencyError("already waiting for a pong with the same data")

        # Generate a payload that no pending ping uses.
        while data is None or data in self.pings:
            data = struct.pack("!I", random.getrandbits(32))

        pong_waiter: asyncio.Future[float] = self.loop.create_future()
        # perf_counter() is monotonic and precise, which suits latency.
        ping_timestamp = time.perf_counter()
        self.pings[data] = (pong_waiter, ping_timestamp)

        await self.write_frame(True, Opcode.PING, data)

        return asyncio.shield(pong_waiter)

    async def pong(self, data: DataLike = b"") -> None:
        """
        Send a Pong; see section 5.5.3 of RFC 6455.

        An unsolicited pong may serve as a unidirectional heartbeat.

        Args:
            data: Payload of the pong; a string is encoded to UTF-8.

        Raises:
            ConnectionClosed: When the connection is closed.

        """
        await self.ensure_open()

        data = prepare_ctrl(data)

        await self.write_frame(True, Opcode.PONG, data)

    # Private methods, no guarantees.

    def connection_closed_exc(self) -> ConnectionClosed:
        """The exception that describes how the connection was closed."""
        exc: ConnectionClosed
        if (
            self.close_rcvd is not None
            and self.close_rcvd.code in OK_CLOSE_CODES
            and self.close_sent is not None
            and self.close_sent.code in OK_CLOSE_CODES
        ):
            exc = ConnectionClosedOK(
                self.close_rcvd,
                self.close_sent,
                self.close_rcvd_then_sent,
            )
        else:
            exc = ConnectionClosedError(
                self.close_rcvd,
                self.close_sent,
                self.close_rcvd_then_sent,
            )
        # Chain to the exception that terminated data transfer, if any.
        exc.__cause__ = self.transfer_data_exc
        return exc

    async def ensure_open(self) -> None:
        """
        Check that the WebSocket connection is open.

        Raises:
            ConnectionClosed: When the connection is closed, once the code and
                reason are known.

        """
        if self.state is State.OPEN:
            # If transfer_data_task exited without a closing handshake,
            # close_connection_task may be closing the connection, going
            # straight from OPEN to CLOSED.
            if self.transfer_data_task.done():
                await asyncio.shield(self.close_connection_task)
                raise self.connection_closed_exc()
            else:
                return

        if self.state is State.CLOSED:
            raise self.connection_closed_exc()

        if self.state is State.CLOSING:
            # Wait for the closing handshake to complete to know the close
            # code and reason; this takes at most 4 or 5 * close_timeout.
            await asyncio.shield(self.close_connection_task)
            raise self.connection_closed_exc()

        # Only reached before the opening handshake completes.
        raise InvalidState("WebSocket connection isn't established yet")

    async def transfer_data(self) -> None:
        """
        Read incoming messages and put them in a queue.

        This coroutine runs in a task until the closing handshake is started.

        """
        try:
            while True:
                message = await self.read_message()

                # Exit the loop when receiving a close frame.
                if message is None:
                    break

                # Wait until there's room in the queue; meanwhile, incoming
                # bytes accumulate in the reader, which pauses the transport.
                if self.max_queue is not None:
                    while len(self.messages) >= self.max_queue:
                        self._put_message_waiter = self.loop.create_future()
                        try:
                            await asyncio.shield(self._put_message_waiter)
                        finally:
                            self._put_message_waiter = None

                self.messages.append(message)

                # Wake up recv() if it's waiting.
                self._wake_up_recv()

        except asyncio.CancelledError as exc:
            self.transfer_data_exc = exc
            # fail_connection() or close() cancelled this task.
            raise

        except ProtocolError as exc:
            self.transfer_data_exc = exc
            self.fail_connection(CloseCode.PROTOCOL_ERROR)

        except (ConnectionError, TimeoutError, EOFError, ssl.SSLError) as exc:
            # readexactly() raises IncompleteReadError, an EOFError, at the end
            # of the stream, or ConnectionResetError if the connection breaks.
            self.transfer_data_exc = exc
            self.fail_connection(CloseCode.ABNORMAL_CLOSURE)

        except UnicodeDecodeError as exc:
            self.transfer_data_exc = exc
            self.fail_connection(CloseCode.INVALID_DATA)

        except PayloadTooBig as exc:
            self.transfer_data_exc = exc
            self.fail_connection(CloseCode.MESSAGE_TOO_BIG)

        except Exception as exc:
            # This shouldn't happen often because exceptions expected under
            # regular circumstances are handled above.
            self.logger.error("data transfer failed", exc_info=True)
            self.transfer_data_exc = exc
            self.fail_connection(CloseCode.INTERNAL_ERROR)

    def _wake_up_recv(self, task: asyncio.Task[None] | None = None) -> None:
        pop_message_waiter = self._pop_message_waiter
        # The waiter may be cancelled already when recv() is being cancelled.
        if pop_message_waiter is not None and not pop_message_waiter.done():
            pop_message_waiter.set_result(None)
        self._pop_message_waiter = None

    async def read_message(self) -> Data | None:
        """
        Read a single message from the connection.

        Re-assemble data frames if the message is fragmented.

        Returns:
            The message, or :obj:`None` when the closing handshake is started.

        """
        frame = await self.read_data_frame(max_size=self.max_size)

        # A close frame was received.
        if frame is None:
            return None

        if frame.opcode == Opcode.TEXT:
            text = True
        elif frame.opcode == Opcode.BINARY:
            text = False
        else:  # frame.opcode == Opcode.CONT
            raise ProtocolError("unexpected opcode")

        # Shortcut for the common case: no fragmentation.
        if frame.fin:
            return bytes(frame.data).decode() if text else bytes(frame.data)

        # 5.4. Fragmentation: reassemble, enforcing max_size on the whole
        # message and validating UTF-8 incrementally.
        fragments: list[Data] = []
        max_size = self.max_size
        if text:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")

            def append(frame: Frame) -> None:
                nonlocal fragments, max_size
                fragments.append(decoder.decode(frame.data, frame.fin))
                if max_size is not None:
                    max_size -= len(frame.data)

        else:

            def append(frame: Frame) -> None:
                nonlocal fragments, max_size
                fragments.append(bytes(frame.data))
                if max_size is not None:
                    max_size -= len(frame.data)

        append(frame)

        while not frame.fin:
            next_frame = await self.read_data_frame(max_size=max_size)
            if next_frame is None:
                raise ProtocolError("incomplete fragmented message")
            if next_frame.opcode != Opcode.CONT:
                raise ProtocolError("unexpected opcode")
            frame = next_frame
            append(frame)

        if text:
            return "".join(cast("list[str]", fragments))
        else:
            return b"".join(cast("list[bytes]", fragments))

    async def read_data_frame(self, max_size: int | None) -> Frame | None:
        """
        Read a single data frame from the connection.

        Process control frames received before the next data frame.

        Returns:
            The data frame, or :obj:`None` if a close frame is encountered
            before any data frame.

        """
        # 6.2. Receiving Data
        while True:
            frame = await self.read_frame(max_size)

            # 5.5. Control Frames
            if frame.opcode == Opcode.CLOSE:
                # 7.1.5.  The WebSocket Connection Close Code
                # 7.1.6.  The WebSocket Connection Close Reason
                self.close_rcvd = Close.parse(frame.data)
                if self.close_sent is not None:
                    self.close_rcvd_then_sent = False
                try:
                    # Echo the payload as received: re-serializing an empty
                    # close frame would fail on its synthesized 1005 code.
                    await self.write_close_frame(self.close_rcvd, frame.data)
                except ConnectionClosed:
                    # The connection closed before the close frame was echoed.
                    pass
                return None

            elif frame.opcode == Opcode.PING:
                # Answer pings, unless the connection is CLOSING.
                if self.state is State.OPEN:
                    try:
                        await self.pong(frame.data)
                    except ConnectionClosed:
                        # The connection closed while draining the write buffer.
                        pass

            elif frame.opcode == Opcode.PONG:
                pong_data = bytes(frame.data)
                if pong_data in self.pings:
                    pong_timestamp = time.perf_counter()
                    # A pong may answer only the most recent ping, which
                    # acknowledges all the previous ones too (section 5.5.3).
                    ping_ids = list(self.pings)
                    answered = ping_ids[: ping_ids.index(pong_data) + 1]
                    for ping_id in answered:
                        pong_waiter, ping_timestamp = self.pings.pop(ping_id)
                        pong_waiter.set_result(pong_timestamp - ping_timestamp)
                    self.latency = pong_timestamp - ping_timestamp

            # 5.6. Data Frames
            else:
                return frame

    async def read_frame(self, max_size: int | None) -> Frame:
        """
        Read a single frame from the connection.

        """
        frame = await Frame.read(
            self.reader.readexactly,
            mask=not self.is_client,
            max_size=max_size,
            extensions=self.extensions,
        )
        if self.debug:
            self.logger.debug("< %s", frame)
        return frame

    def write_frame_sync(self, fin: bool, opcode: int, data: BytesLike) -> None:
        """Write a frame to the transport without waiting for the buffer."""
        frame = Frame(fin, Opcode(opcode), data)
        if self.debug:
            self.logger.debug("> %s", frame)
        frame.write(
            self.transport.write,
            mask=self.is_client,
            extensions=self.extensions,
        )

    async def write_frame(
        self,
        fin: bool,
        opcode: int,
        data: BytesLike,
        *,
        _state: int = State.OPEN,
    ) -> None:
        """Write a frame, then wait until the write buffer drains."""
        # Defensive check: frames are only sent in the expected state.
        if self.state is not _state:
            raise InvalidState(
                f"cannot write to a WebSocket in the {self.state.name} state"
            )
        self.write_frame_sync(fin, opcode, data)
        await self.drain()

    async def write_close_frame(
        self, close: Close, data: BytesLike | None = None
    ) -> None:
        """
        Write a close frame if and only if the connection state is OPEN.

        This dedicated coroutine must be used for writing close frames to
        ensure that at most one close frame is sent on a given connection.

        """
        # Test and set the state before writing, so that concurrent calls
        # can't send two close frames.
        if self.state is State.OPEN:
            # 7.1.3. The WebSocket Closing Handshake is Started
            self.state = State.CLOSING
            if self.debug:
                self.logger.debug("= connection is CLOSING")

            self.close_sent = close
            if self.close_rcvd is not None:
                self.close_rcvd_then_sent = True
            if data is None:
                data = close.serialize()

            # 7.1.2. Start the WebSocket Closing Handshake
            await self.write_frame(True, Opcode.CLOSE, data, _state=State.CLOSING)

    async def keepalive_ping(self) -> None:
        """
        Send a Ping frame and wait for a Pong frame at regular intervals.

        This coroutine exits when the connection terminates and one of the
        following happens:

        - :meth:`ping` raises :exc:`~ws_frames.exceptions.ConnectionClosed`, or
        - :meth:`close_connection` cancels :attr:`keepalive_ping_task`.

        """
        if self.ping_interval is None:
            return

        try:
            while True:
                await asyncio.sleep(self.ping_interval)

                pong_waiter = await self.ping()

                if self.ping_timeout is not None:
                    try:
                        await asyncio.wait_for(pong_waiter, self.ping_timeout)
                        if self.debug:
                            self.logger.debug("% received keepalive pong")
                    except asyncio.TimeoutError:
                        if self.debug:
                            self.logger.debug("- timed out waiting for keepalive pong")
                        self.fail_connection(
                            CloseCode.INTERNAL_ERROR,
                            "keepalive ping timeout",
                        )
                        break
        except ConnectionClosed:
            pass
        except Exception:
            self.logger.error("keepalive ping failed", exc_info=True)

    async def close_connection(self) -> None:
        """
        7.1.1. Close the WebSocket Connection

        When the opening handshake succeeds, :meth:`connection_open` starts
        this coroutine in a task. It waits for the data transfer phase to
        complete then it closes the TCP connection cleanly.

        When the opening handshake fails, :meth:`fail_connection` does the
        same. There's no data transfer phase in that case.

        """
        try:
            # Wait for the data transfer phase to complete.
            if hasattr(self, "transfer_data_task"):
                try:
                    await self.transfer_data_task
                except asyncio.CancelledError:
                    pass

            # Cancel the keepalive ping task.
            if hasattr(self, "keepalive_ping_task"):
                self.keepalive_ping_task.cancel()

            # A client should wait for a TCP close from the server (section
            # 7.1.1 of RFC 6455), so that the server keeps the TIME_WAIT state.
            if self.is_client and hasattr(self, "transfer_data_task"):
                if await self.wait_for_connection_lost():
                    return
                if self.debug:
                    self.logger.debug("- timed out waiting for TCP close")

            # Half-close the TCP connection if possible (when there's no TLS).
            if self.transport.can_write_eof():
                if self.debug:
                    self.logger.debug("x half-closing TCP connection")
                self.transport.write_eof()

                if await self.wait_for_connection_lost():
                    return
                if self.debug:
                    self.logger.debug("- timed out waiting for TCP close")

        finally:
            # The try/finally ensures that the transport never remains open,
            # even if this coroutine is cancelled.
            await self.close_transport()

    async def close_transport(self) -> None:
        """
        Close the TCP connection.

        """
        # If connection_lost() was called, the TCP connection is closed.
        # However, with TLS, the transport still needs closing or asyncio
        # complains about an unclosed transport.
        if self.connection_lost_waiter.done() and self.transport.is_closing():
            return

        # Close the TCP connection. Buffers are flushed asynchronously.
        if self.debug:
            self.logger.debug("x closing TCP connection")
        self.transport.close()

        if await self.wait_for_connection_lost():
            return
        if self.debug:
            self.logger.debug("- timed out waiting for TCP close")

        # Abort the TCP connection. Buffers are discarded.
        if self.debug:
            self.logger.debug("x aborting TCP connection")
        self.transport.abort()

        # connection_lost() is called quickly after aborting.
        await self.wait_for_connection_lost()

    async def wait_for_connection_lost(self) -> bool:
        """
        Wait until the TCP connection is closed or ``self.close_timeout`` elapses.

        Returns:
            :obj:`True` if the connection is closed and :obj:`False` otherwise.

        """
        if not self.connection_lost_waiter.done():
            try:
                await asyncio.wait_for(
                    asyncio.shield(self.connection_lost_waiter),
                    self.close_timeout,
                )
            except asyncio.TimeoutError:
                pass
        # Re-check synchronously: connection_lost() may have run between the
        # timeout and the moment this coroutine resumes.
        return self.connection_lost_waiter.done()

    def fail_connection(
        self,
        code: int = CloseCode.ABNORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        7.1.7. Fail the WebSocket Connection

        This requires:

        1. Stopping all processing of incoming data, which means cancelling
           :attr:`transfer_data_task`. The close code will be 1006 unless a
           close frame was received earlier.

        2. Sending a close frame with an appropriate code if the opening
           handshake succeeded and the other side is likely to process it.

        3. Closing the connection. :meth:`close_connection` takes care of
           this once :attr:`transfer_data_task` exits after being cancelled.

        (The specification describes these steps in the opposite order.)

        """
        if self.debug:
            self.logger.debug("! failing connection with code %d", code)

        # Cancel transfer_data_task if the opening handshake succeeded.
        # cancel() is idempotent and ignored if the task is done already.
        if hasattr(self, "transfer_data_task"):
            self.transfer_data_task.cancel()

        # Send a close frame when the state is OPEN (a close frame was sent
        # already if it's CLOSING), except when failing because of a network
        # error: then the connection is broken.
        if code != CloseCode.ABNORMAL_CLOSURE and self.state is State.OPEN:
            close = Close(code, reason)

            # Write without draining the write buffer: keeping this method
            # synchronous guarantees it can't get stuck.
            self.state = State.CLOSING
            if self.debug:
                self.logger.debug("= connection is CLOSING")

            self.close_sent = close
            if self.close_rcvd is not None:
                self.close_rcvd_then_sent = True

            self.write_frame_sync(True, Opcode.CLOSE, close.serialize())

        # Start close_connection_task if the opening handshake didn't succeed.
        if not hasattr(self, "close_connection_task"):
            self.close_connection_task = self.loop.create_task(self.close_connection())

    def abort_pings(self) -> None:
        """
        Raise ConnectionClosed in pending pings.

        They'll never receive a pong once the connection is closed.

        """
        assert self.state is State.CLOSED
        exc = self.connection_closed_exc()

        # Waiters are only ever completed here or when their pong arrives,
        # which removes them from self.pings; callers get shielded copies.
        for pong_waiter, _ping_timestamp in self.pings.values():
            pong_waiter.set_exception(exc)
            # Mark the exception as retrieved: nobody may be awaiting the
            # waiter and asyncio would log it when it's garbage-collected.
            pong_waiter.exception()

        # No pong can be received once the connection is closed.
        self.pings.clear()

    def connection_open(self) -> None:
        """
        Callback when the WebSocket opening handshake completes.

        Enter the OPEN state and start the data transfer phase.

        """
        # 4.1. The WebSocket Connection is Established.
        assert self.state is State.CONNECTING
        self.state = State.OPEN
        if self.debug:
            self.logger.debug("= connection is OPEN")
        # Start the task that receives incoming WebSocket messages.
        self.transfer_data_task = self.loop.create_task(self.transfer_data())
        # When the data transfer phase ends, recv() stops waiting for messages.
        self.transfer_data_task.add_done_callback(self._wake_up_recv)
        # Start the task that sends pings at regular intervals.
        self.keepalive_ping_task = self.loop.create_task(self.keepalive_ping())
        # Start the task that eventually closes the TCP connection.
        self.close_connection_task = self.loop.create_task(self.close_connection())

    # asyncio.Protocol methods

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """
        Configure write buffer limits.

        The high-water limit is defined by ``self.write_limit``. The low-water
        limit currently defaults to ``self.write_limit // 4`` in
        :meth:`~asyncio.WriteTransport.set_write_buffer_limits`.

        """
        transport = cast(asyncio.Transport, transport)
        transport.set_write_buffer_limits(self.write_limit)
        self.transport = transport

        # Link the reader to the transport so it can pause reading.
        self.reader.set_transport(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        """
        7.1.4. The WebSocket Connection is Closed.

        """
        self.state = State.CLOSED
        self.logger.debug("= connection is CLOSED")

        self.abort_pings()

        # connection_lost() is called once, so the waiter is still pending.
        self.connection_lost_waiter.set_result(None)

        if exc is None:
            self.reader.feed_eof()
        else:
            self.reader.set_exception(exc)

        # Wake up a coroutine waiting in drain(), as FlowControlMixin does.
        if not self._paused:
            return
        waiter = self._drain_waiter
        if waiter is None:
            return
        self._drain_waiter = None
        if waiter.done():
            return
        if exc is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(exc)

    def pause_writing(self) -> None:
        assert not self._paused
        self._paused = True

    def resume_writing(self) -> None:
        assert self._paused
        self._paused = False

        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.reader.feed_data(data)

    def eof_received(self) -> None:
        """
        Close the transport after receiving EOF.

        The WebSocket protocol has its own closing handshake: endpoints close
        the TCP or TLS connection after sending and receiving a close frame.
        As a consequence, they never need to write after receiving EOF, so
        there's no reason to keep the transport open by returning :obj:`True`.

        Besides, that doesn't work on TLS connections.

        """
        self.reader.feed_eof()


def broadcast(
    websockets: Iterable[WebSocketCommonProtocol],
    message: DataLike,
    raise_exceptions: bool = False,
) -> None:
    """
    Broadcast a message to several WebSocket connections.

    A string (:class:`str`) is sent as a Text frame; a bytestring or
    bytes-like object as a Binary frame.

    :func:`broadcast` pushes the message synchronously to all connections
    even if their write buffers are overflowing: there's no backpressure.
    It skips connections that aren't open and connections that are in the
    middle of sending a fragmented message.

    Args:
        websockets: WebSocket connections to which the message will be sent.
        message: Message to send.
        raise_exceptions: Whether to raise an exception in case a connection
            is skipped; by default, a warning is logged instead.

    Raises:
        TypeError: If ``message`` doesn't have a supported type.
        ExceptionGroup: With ``raise_exceptions``, if connections were skipped.

    """
    if not isinstance(message, (str, bytes, bytearray, memoryview)):
        raise TypeError("data must be str or bytes-like")

    if raise_exceptions:
        if sys.version_info[:2] < (3, 11):  # pragma: no cover
            raise ValueError("raise_exceptions requires at least Python 3.11")
        exceptions: list[Exception] = []

    opcode, data = prepare_data(message)

    for websocket in websockets:
        if websocket.state is not State.OPEN:
            continue

        if websocket._fragmented_message_waiter is not None:
            if raise_exceptions:
                exceptions.append(ConcurrencyError("sending a fragmented message"))
            else:
                websocket.logger.warning(
                    "skipped broadcast: sending a fragmented message",
                )
            continue

        try:
            websocket.write_frame_sync(True, opcode, data)
        except Exception as write_exception:
            if raise_exceptions:
                exception = RuntimeError("failed to write message")
                exception.__cause__ = write_exception
                exceptions.append(exception)
            else:
                websocket.logger.warning(
                    "skipped broadcast: failed to write message: %s",
                    traceback.format_exception_only(
                        type(write_exception), write_exception
                    )[0].strip(),
                )

    if raise_exceptions and exceptions:
        raise ExceptionGroup("skipped broadcast", exceptions)  # noqa: F821

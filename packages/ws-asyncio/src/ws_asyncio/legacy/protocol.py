"""
The legacy connection, :class:`WebSocketCommonProtocol`: data transfer and
closing, on top of the sans-I/O core of this project.

Framing, fragmentation rules, UTF-8 validation, size limits, answers to pings
and to close frames all belong to :class:`ws_frames.protocol.Protocol`, the
same core as the new asyncio and threading connections. This module adds the
legacy API around it:

* :meth:`~WebSocketCommonProtocol.data_received` feeds the bytes received to
  the core, writes what the core answers and queues the frames it decodes;
* a task running :meth:`~WebSocketCommonProtocol.transfer_data` turns these
  frames into messages, through the overridable
  :meth:`~WebSocketCommonProtocol.read_message`,
  :meth:`~WebSocketCommonProtocol.read_data_frame` and
  :meth:`~WebSocketCommonProtocol.read_frame`, and queues messages for
  :meth:`~WebSocketCommonProtocol.recv`;
* a task running :meth:`~WebSocketCommonProtocol.keepalive_ping` sends pings;
* a task running :meth:`~WebSocketCommonProtocol.close_connection` closes the
  TCP connection once data transfer ends, with the time-outs of the legacy
  API.

Subclasses run the opening handshake, reading the HTTP message from
:attr:`~WebSocketCommonProtocol.reader`, and then call
:meth:`~WebSocketCommonProtocol.connection_open`.

"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import ssl
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Generator,
    Iterable,
    Mapping,
)
from typing import Any, TypeVar, Union, cast

from ws_frames import frames
from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    TooManyFragments,
)
from ws_frames.extensions import Extension
from ws_frames.frames import OK_CLOSE_CODES, Close, CloseCode, Opcode
from ws_frames.protocol import Protocol, Side, State
from ws_frames.streams import StreamReader
from ws_frames.typing import BytesLike, Data, DataLike, LoggerLike, Subprotocol
from ws_http.datastructures import Headers

from .framing import Frame, PayloadTooBig, ProtocolError, prepare_ctrl, prepare_data


__all__ = ["WebSocketCommonProtocol", "broadcast"]

T = TypeVar("T")

Seconds = Union[float, None]
"""A duration in seconds; :obj:`None` for no limit."""

Limit = Union[int, None]
"""A number of bytes or of messages; :obj:`None` for no limit."""

# What a frame waiting in the queue of decoded frames costs beyond its
# payload, roughly: counting it keeps read_limit a bound on memory when a
# peer sends empty frames.
_FRAME_COST = 256


class _Core(Protocol):
    """
    The sans-I/O core as the legacy API uses it.

    When the data received breaks the protocol, the legacy API closes with
    the close code alone, without a reason: the peer learns what it did wrong
    from the code, and the exception on this side keeps the details.
    :meth:`WebSocketCommonProtocol.fail_connection` calls
    :meth:`Protocol.fail` directly when it has a reason to give.

    """

    def fail(self, code: CloseCode | int, reason: str = "") -> None:
        super().fail(code)


def _current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        # A protocol built before the loop runs, as in
        # loop.run_until_complete(serve(...)), belongs to the current loop.
        return asyncio.get_event_loop()


def _close_code_for(exc: BaseException) -> int:
    """Close code for an error that ended :meth:`transfer_data`."""
    if isinstance(exc, ProtocolError):
        return CloseCode.PROTOCOL_ERROR
    if isinstance(exc, UnicodeDecodeError):
        return CloseCode.INVALID_DATA
    if isinstance(exc, (PayloadTooBig, TooManyFragments)):
        return CloseCode.MESSAGE_TOO_BIG
    if isinstance(exc, (ConnectionError, TimeoutError, EOFError, ssl.SSLError)):
        # The network failed: nothing can be sent anymore.
        return CloseCode.ABNORMAL_CLOSURE
    return CloseCode.INTERNAL_ERROR


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


def _fragments_of(message: Any) -> AsyncIterator[DataLike]:
    """The fragments of a message, whether it's iterable or async iterable."""
    if isinstance(message, Mapping):
        # Sending the keys of a dict is rarely what was meant.
        raise TypeError("data is a dict-like object")
    if isinstance(message, Iterable):
        return _async_iterator(message)
    if isinstance(message, AsyncIterable):
        return aiter(message)
    raise TypeError("data must be str, bytes-like, or iterable")


def _payload_of_kind(kind: int, fragment: DataLike) -> BytesLike:
    """The payload of a fragment, which must be text or binary like the first."""
    fragment_kind, data = prepare_data(fragment)
    if fragment_kind != kind:
        raise TypeError("data contains inconsistent types")
    return data


async def _async_iterator(items: Iterable[DataLike]) -> AsyncIterator[DataLike]:
    for item in items:
        yield item


class WebSocketCommonProtocol(asyncio.Protocol):
    """
    A WebSocket connection of the legacy API, on either side.

    Use :class:`~ws_asyncio.legacy.client.WebSocketClientProtocol` and
    :class:`~ws_asyncio.legacy.server.WebSocketServerProtocol`, which add the
    opening handshake of each side; this class has what they share.

    Once the connection is open, a ping goes out every ``ping_interval``
    seconds, to keep it alive through proxies and to check on the peer: if
    the pong doesn't come within ``ping_timeout`` seconds, the connection is
    closed with code 1011. :obj:`None` turns either off.

    ``close_timeout`` bounds each step of closing: sending the close frame,
    waiting for the peer's, waiting for the TCP connection to end. Hence
    :meth:`close` takes at most ``5 * close_timeout`` seconds on a client and
    ``4 * close_timeout`` on a server.

    ``max_size`` is the largest message accepted, in bytes; a larger one
    closes the connection with code 1009. ``max_queue`` is how many messages
    wait for :meth:`recv` at most; beyond that, frames wait in a buffer of
    ``read_limit`` bytes, and when that is full the connection stops reading
    from the network until :meth:`recv` makes room again. :obj:`None`
    removes either limit. ``write_limit`` is the high-water mark of the
    buffer of outgoing bytes; :meth:`send` waits while it's above.

    Args:
        logger: Logger for this connection; by default
            ``logging.getLogger("websockets.protocol")``.
        ping_interval: Seconds between keepalive pings.
        ping_timeout: Seconds to wait for the pong of a keepalive ping.
        close_timeout: Seconds each step of closing may take.
        max_size: Largest incoming message, in bytes.
        max_queue: Most messages waiting for :meth:`recv`.
        read_limit: High-water mark of the buffer of incoming frames, in bytes.
        write_limit: High-water mark of the buffer of outgoing bytes.

    ``host``, ``port``, ``secure``, ``legacy_recv``, ``loop`` and ``timeout``
    are deprecated; ``timeout`` is the former name of ``close_timeout``.

    """

    is_client: bool
    side: str = "undefined"

    def __init__(
        self,
        *,
        logger: LoggerLike | None = None,
        ping_interval: Seconds = 20,
        ping_timeout: Seconds = 20,
        close_timeout: Seconds = None,
        max_size: Limit = 1 << 20,
        max_queue: Limit = 32,
        read_limit: int = 1 << 16,
        write_limit: int = 1 << 16,
        # Deprecated:
        host: str | None = None,
        port: int | None = None,
        secure: bool | None = None,
        legacy_recv: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout: Seconds = None,
    ) -> None:
        if legacy_recv:
            warnings.warn("legacy_recv is deprecated", DeprecationWarning, stacklevel=2)
        if timeout is not None:
            warnings.warn(
                "rename timeout to close_timeout", DeprecationWarning, stacklevel=2
            )
        if close_timeout is None:
            close_timeout = 10 if timeout is None else timeout
        if loop is not None:
            warnings.warn("remove loop argument", DeprecationWarning, stacklevel=2)
        else:
            loop = _current_loop()

        self.loop = loop
        self.legacy_recv = legacy_recv
        self._host, self._port, self._secure = host, port, secure
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.close_timeout = close_timeout
        self.max_queue = max_queue
        self.read_limit, self.write_limit = read_limit, write_limit

        self.logger: LoggerLike = logging.LoggerAdapter(
            logger or logging.getLogger("websockets.protocol"), {"websocket": self}
        )
        """Logger for this connection."""
        # Asking the logger for every frame would cost more than the frame.
        self.debug = self.logger.isEnabledFor(logging.DEBUG)
        self.id = uuid.uuid4()
        """Identifier of the connection, for logs."""

        # The opening handshake reads the HTTP message from this buffer;
        # what follows it goes to the core when the connection opens.
        self.reader = StreamReader()
        """Bytes received during the opening handshake."""

        # WebSocketCommonProtocol itself has no side: it acts as a server.
        is_client = getattr(self, "is_client", False)
        self.core = _Core(
            Side.CLIENT if is_client else Side.SERVER,
            state=State.CONNECTING,
            max_size=max_size,
            logger=self.logger,
        )
        """The sans-I/O connection that this protocol drives."""

        self.transport: asyncio.Transport

        self.path: str
        """Path of the request of the opening handshake."""
        self.request_headers: Headers
        """Headers of the request of the opening handshake."""
        self.response_headers: Headers
        """Headers of the response of the opening handshake."""
        self.subprotocol: Subprotocol | None = None
        """Subprotocol of the connection, if one was negotiated."""

        # Frames decoded by the core and not read yet, their total size, and
        # what to raise when no more frames will come.
        self._frames: collections.deque[frames.Frame] = collections.deque()
        self._frames_size = 0
        self._frames_waiter: asyncio.Future[None] | None = None
        self._frames_end: BaseException | None = None
        self._reading_paused = False

        # Bytes go to the reader until the handshake is over; the handshake
        # waits for them on the future.
        self._handshaking = True
        self._http_waiter: asyncio.Future[None] | None = None

        # Messages for recv(); recv() and transfer_data() wait on each other
        # when the queue is empty and when it is full.
        self.messages: collections.deque[Data] = collections.deque()
        self._recv_waiter: asyncio.Future[None] | None = None
        self._room_waiter: asyncio.Future[None] | None = None

        # Set while send() sends the fragments of a message.
        self._fragmented_message_waiter: asyncio.Future[None] | None = None

        # Writing pauses above write_limit; every writer waits on one future.
        self._paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

        self.pings: dict[bytes, tuple[asyncio.Future[float], float]] = {}
        """Pings waiting for a pong: payload -> (future, time of the ping)."""
        self.latency: float = 0
        """Seconds between the last ping answered and its pong; 0 at first."""

        self.connection_lost_waiter: asyncio.Future[None] = loop.create_future()
        self.transfer_data_exc: BaseException | None = None
        self.transfer_data_task: asyncio.Task[None]
        self.keepalive_ping_task: asyncio.Task[None]
        self.close_connection_task: asyncio.Task[None]

    # Properties

    @property
    def state(self) -> State:
        """
        State of the connection.

        It's :attr:`~ws_frames.protocol.State.CLOSED` once the TCP connection
        is closed, and :attr:`~ws_frames.protocol.State.CLOSING` from the
        first close frame until then.

        """
        if self.connection_lost_waiter.done():
            return State.CLOSED
        state = self.core.state
        return State.CLOSING if state is State.CLOSED else state

    @property
    def extensions(self) -> list[Extension]:
        """Extensions negotiated in the opening handshake."""
        return self.core.extensions

    @extensions.setter
    def extensions(self, extensions: list[Extension]) -> None:
        self.core.extensions = extensions

    @property
    def max_size(self) -> int | None:
        """Largest incoming message, in bytes; :obj:`None` for no limit."""
        return self.core.max_message_size

    @max_size.setter
    def max_size(self, max_size: int | None) -> None:
        self.core.max_message_size = max_size

    @property
    def close_rcvd(self) -> Close | None:
        """Close frame received, if any."""
        return self.core.close_rcvd

    @close_rcvd.setter
    def close_rcvd(self, close: Close | None) -> None:
        self.core.close_rcvd = close

    @property
    def close_sent(self) -> Close | None:
        """Close frame sent, if any."""
        return self.core.close_sent

    @close_sent.setter
    def close_sent(self, close: Close | None) -> None:
        self.core.close_sent = close

    @property
    def close_rcvd_then_sent(self) -> bool | None:
        """With both close frames, whether the received one came first."""
        return self.core.close_rcvd_then_sent

    @close_rcvd_then_sent.setter
    def close_rcvd_then_sent(self, value: bool | None) -> None:
        self.core.close_rcvd_then_sent = value

    @property
    def host(self) -> str | None:
        """Deprecated: see :attr:`remote_address` or :attr:`local_address`."""
        where = "remote_address" if self.is_client else "local_address"
        warnings.warn(
            f"use {where}[0] instead of host", DeprecationWarning, stacklevel=2
        )
        return self._host

    @property
    def port(self) -> int | None:
        """Deprecated: see :attr:`remote_address` or :attr:`local_address`."""
        where = "remote_address" if self.is_client else "local_address"
        warnings.warn(
            f"use {where}[1] instead of port", DeprecationWarning, stacklevel=2
        )
        return self._port

    @property
    def secure(self) -> bool | None:
        """Deprecated."""
        warnings.warn("don't use secure", DeprecationWarning, stacklevel=2)
        return self._secure

    @property
    def local_address(self) -> Any:
        """
        Local address of the connection, as :meth:`socket.socket.getsockname`
        gives it; :obj:`None` before the TCP connection exists.

        """
        transport = getattr(self, "transport", None)
        return None if transport is None else transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """
        Remote address of the connection, as :meth:`socket.socket.getpeername`
        gives it; :obj:`None` before the TCP connection exists.

        """
        transport = getattr(self, "transport", None)
        return None if transport is None else transport.get_extra_info("peername")

    @property
    def open(self) -> bool:
        """
        Whether messages can be exchanged.

        Both :attr:`open` and :attr:`closed` are :obj:`False` while the
        connection opens and while it closes.

        """
        return self.state is State.OPEN and not self.transfer_data_task.done()

    @property
    def closed(self) -> bool:
        """Whether the TCP connection is closed."""
        return self.connection_lost_waiter.done()

    @property
    def close_code(self) -> int | None:
        """
        Close code received, as defined in section 7.1.5 of RFC 6455; 1006
        when none was; :obj:`None` until the connection is closed.

        """
        if not self.closed:
            return None
        close = self.close_rcvd
        return CloseCode.ABNORMAL_CLOSURE if close is None else close.code

    @property
    def close_reason(self) -> str | None:
        """
        Close reason received, as defined in section 7.1.6 of RFC 6455; empty
        when no close frame was; :obj:`None` until the connection is closed.

        """
        if not self.closed:
            return None
        close = self.close_rcvd
        return "" if close is None else close.reason

    # Receiving

    async def __aiter__(self) -> AsyncIterator[Data]:
        """
        Iterate on the messages received.

        The iteration stops when the connection closes with code 1000 or
        1001, or without a close frame from the peer; it raises
        :exc:`~ws_frames.exceptions.ConnectionClosedError` otherwise.

        """
        while True:
            try:
                message = await self.recv()
            except ConnectionClosedOK:
                return
            yield message

    async def recv(self) -> Data:
        """
        Return the next message: a :class:`str` for a text message, a
        :class:`bytes` for a binary one.

        Every message received before the connection closed comes out before
        :exc:`~ws_frames.exceptions.ConnectionClosed`. Cancelling
        :meth:`recv` loses nothing: the next call returns the message.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If another coroutine is in :meth:`recv`.

        """
        if self._recv_waiter is not None:
            raise ConcurrencyError(
                "cannot call recv while another coroutine "
                "is already waiting for the next message"
            )
        while not self.messages:
            if self.transfer_data_task.done():
                if self.legacy_recv:
                    return None  # type: ignore[return-value]
                await self.ensure_open()
            self._recv_waiter = self.loop.create_future()
            try:
                await self._recv_waiter
            finally:
                self._recv_waiter = None
        # There's room in the queue for one more message now.
        _wake(self._room_waiter)
        return self.messages.popleft()

    # Sending

    async def send(
        self,
        message: DataLike | Iterable[DataLike] | AsyncIterable[DataLike],
    ) -> None:
        """
        Send ``message``.

        A :class:`str` goes in a text frame; :class:`bytes`,
        :class:`bytearray` and :class:`memoryview` go in a binary frame. An
        iterable or an asynchronous iterable of them is a fragmented message,
        one frame per item; the items must all be text or all be binary, or
        :exc:`TypeError` is raised and the connection closes. Mappings are
        refused, since sending their keys is rarely what was meant.

        Raises:
            ConnectionClosed: When the connection is closed.
            TypeError: If ``message`` has another type.

        """
        await self.ensure_open()
        # The frames of a fragmented message can't be interleaved with others.
        while (fragmenting := self._fragmented_message_waiter) is not None:
            await asyncio.shield(fragmenting)
        if isinstance(message, (str, bytes, bytearray, memoryview)):
            await self.write_frame(True, *prepare_data(message))
        else:
            await self._send_fragments(_fragments_of(message))

    async def _send_fragments(self, fragments: AsyncIterator[DataLike]) -> None:
        try:
            first = await anext(fragments)
        except StopAsyncIteration:
            return
        kind, data = prepare_data(first)

        done = self.loop.create_future()
        self._fragmented_message_waiter = done
        try:
            await self.write_frame(False, kind, data)
            async for fragment in fragments:
                data = _payload_of_kind(kind, fragment)
                await self.write_frame(False, Opcode.CONT, data)
            await self.write_frame(True, Opcode.CONT, b"")
        except (Exception, asyncio.CancelledError):
            # Half a message can't be taken back (RFC 6455, section 5.4).
            self.fail_connection(CloseCode.INTERNAL_ERROR)
            raise
        finally:
            self._fragmented_message_waiter = None
            done.set_result(None)

    async def ping(self, data: DataLike | None = None) -> Awaitable[float]:
        """
        Send a ping.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8; :obj:`None`
                means four random bytes.

        Returns:
            A future resolving to the latency, in seconds, when the pong
            arrives. Cancelling it has no effect on the connection.

        Raises:
            ConnectionClosed: When the connection is closed.
            ConcurrencyError: If a ping with the same payload waits for its
                pong.

        """
        await self.ensure_open()
        if data is None:
            payload = self._unused_ping_payload()
        else:
            payload = prepare_ctrl(data)
            if payload in self.pings:
                raise ConcurrencyError("already waiting for a pong with the same data")

        sent_at = time.perf_counter()
        self.write_frame_sync(True, Opcode.PING, payload)
        pong = self.loop.create_future()
        self.pings[payload] = (pong, sent_at)
        await self.drain()
        return asyncio.shield(pong)

    def _unused_ping_payload(self) -> bytes:
        while True:
            payload = random.getrandbits(32).to_bytes(4, "big")
            if payload not in self.pings:
                return payload

    async def pong(self, data: DataLike = b"") -> None:
        """
        Send a pong; an unsolicited one serves as a one-way heartbeat.

        Args:
            data: Payload; a :class:`str` is encoded to UTF-8.

        Raises:
            ConnectionClosed: When the connection is closed.

        """
        await self.ensure_open()
        await self.write_frame(True, Opcode.PONG, prepare_ctrl(data))

    # Closing

    async def close(
        self,
        code: int = CloseCode.NORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        Close the connection: send a close frame, wait for the peer's, wait
        for the TCP connection to end.

        There is no need to call :meth:`wait_closed` afterwards. Calling
        :meth:`close` again does nothing.

        Args:
            code: Close code.
            reason: Close reason.

        """
        try:
            await asyncio.wait_for(
                self.write_close_frame(Close(code, reason)), self.close_timeout
            )
        except asyncio.TimeoutError:
            # The close frame is stuck in a full buffer: give up on it.
            self.fail_connection()

        # The peer's close frame ends transfer_data(); if it doesn't come in
        # time, stop waiting for it.
        task = self.transfer_data_task
        done, _ = await asyncio.wait({task}, timeout=self.close_timeout)
        if not done:
            task.cancel()

        await asyncio.shield(self.close_connection_task)

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is closed, for whatever reason."""
        await asyncio.shield(self.connection_lost_waiter)

    # Private methods, subject to change.

    def connection_closed_exc(self) -> ConnectionClosed:
        """The exception telling how the connection was closed."""
        rcvd, sent = self.close_rcvd, self.close_sent
        normal = (
            rcvd is not None
            and sent is not None
            and rcvd.code in OK_CLOSE_CODES
            and sent.code in OK_CLOSE_CODES
        )
        exc_type = ConnectionClosedOK if normal else ConnectionClosedError
        exc = exc_type(rcvd, sent, self.close_rcvd_then_sent)
        exc.__cause__ = self.transfer_data_exc
        return exc

    async def ensure_open(self) -> None:
        """
        Return if the connection is open; else raise how it closed.

        Raises:
            ConnectionClosed: Once the connection is closed, so that the
                close code and reason are known.
            InvalidState: Before the opening handshake completes.

        """
        state = self.state
        if state is State.OPEN and not self.transfer_data_task.done():
            return
        if state is State.OPEN or state is State.CLOSING:
            # Closing takes a few close_timeout at most.
            await asyncio.shield(self.close_connection_task)
        elif state is not State.CLOSED:
            raise InvalidState("WebSocket connection isn't established yet")
        raise self.connection_closed_exc()

    async def drain(self) -> None:
        """
        Wait while the buffer of outgoing bytes is above ``write_limit``.

        Raises:
            ConnectionClosed: When the connection is closed.

        """
        try:
            if self.connection_lost_waiter.done():
                raise ConnectionResetError("connection lost")
            if self.transport.is_closing():
                # Let connection_lost() run if it's about to.
                await asyncio.sleep(0)
                if self.connection_lost_waiter.done():
                    raise ConnectionResetError("connection lost")
            if self._paused:
                if self._drain_waiter is None:
                    self._drain_waiter = self.loop.create_future()
                await asyncio.shield(self._drain_waiter)
                if self.connection_lost_waiter.done():
                    raise ConnectionResetError("connection lost")
        except ConnectionError:
            self.fail_connection()
            await self.ensure_open()

    async def transfer_data(self) -> None:
        """
        Queue the messages received for :meth:`recv`, until a close frame
        arrives or the connection fails.

        """
        try:
            while (message := await self.read_message()) is not None:
                await self._room_for_message()
                self.messages.append(message)
                _wake(self._recv_waiter)
        except asyncio.CancelledError as exc:
            self.transfer_data_exc = exc
            raise
        except Exception as exc:
            self.transfer_data_exc = exc
            code = _close_code_for(exc)
            if code == CloseCode.INTERNAL_ERROR:
                self.logger.error("data transfer failed", exc_info=True)
            self.fail_connection(code)

    async def _room_for_message(self) -> None:
        """Wait while ``max_queue`` messages wait for :meth:`recv`."""
        limit = self.max_queue
        while limit is not None and len(self.messages) >= limit:
            self._room_waiter = self.loop.create_future()
            try:
                await self._room_waiter
            finally:
                self._room_waiter = None

    async def read_message(self) -> Data | None:
        """
        Read a message, joining its fragments.

        Returns:
            The message, or :obj:`None` once a close frame is received.

        """
        frame = await self.read_data_frame(max_size=self.max_size)
        if frame is None:
            return None
        text = frame.opcode == Opcode.TEXT
        # The core checked the order of the frames, their size and UTF-8.
        if frame.fin:
            return str(frame.data, "utf-8") if text else bytes(frame.data)
        fragments = [frame.data]
        while not frame.fin:
            next_frame = await self.read_data_frame(max_size=self.max_size)
            if next_frame is None:
                raise ProtocolError("incomplete fragmented message")
            frame = next_frame
            fragments.append(frame.data)
        payload = b"".join(fragments)
        return str(payload, "utf-8") if text else payload

    async def read_data_frame(self, max_size: int | None) -> Frame | None:
        """
        Read the next data frame, handling the control frames before it.

        The core already answered pings and close frames; pongs complete
        the pings they answer.

        Returns:
            The frame, or :obj:`None` for a close frame.

        """
        while True:
            frame = await self.read_frame(max_size)
            opcode = frame.opcode
            if opcode == Opcode.CLOSE:
                return None
            if opcode == Opcode.PONG:
                self._pong_received(bytes(frame.data))
            elif opcode != Opcode.PING:
                return frame

    def _pong_received(self, data: bytes) -> None:
        if data not in self.pings:
            return
        now = time.perf_counter()
        # RFC 6455, section 5.5.3: a pong may answer only the latest of
        # several pings; it answers the earlier ones too.
        waiting = list(self.pings)
        for payload in waiting[: waiting.index(data) + 1]:
            pong, sent_at = self.pings.pop(payload)
            self.latency = now - sent_at
            pong.set_result(self.latency)

    async def read_frame(self, max_size: int | None) -> Frame:
        """
        Read the next frame decoded by the core.

        ``max_size`` is there for subclasses; the core enforces
        :attr:`max_size` as bytes arrive.

        Raises:
            Exception: What ended the data received, for example the
                :exc:`~ws_frames.exceptions.ProtocolError` of a bad frame or
                :exc:`EOFError` when the stream ended.

        """
        queue = self._frames
        while not queue:
            if self._frames_end is not None:
                raise self._frames_end
            self._frames_waiter = self.loop.create_future()
            try:
                await self._frames_waiter
            finally:
                self._frames_waiter = None
        frame = queue.popleft()
        self._frames_size -= len(frame.data) + _FRAME_COST
        if self._reading_paused and self._frames_size <= self.read_limit // 2:
            self._reading_paused = False
            self.transport.resume_reading()
        return Frame(
            frame.fin, frame.opcode, frame.data, frame.rsv1, frame.rsv2, frame.rsv3
        )

    def write_frame_sync(self, fin: bool, opcode: int, data: BytesLike) -> None:
        """Have the core write a frame, without waiting for the buffer."""
        core = self.core
        if opcode == Opcode.BINARY:
            core.send_binary(data, fin)
        elif opcode == Opcode.TEXT:
            core.send_text(data, fin)
        elif opcode == Opcode.CONT:
            core.send_continuation(data, fin)
        elif opcode == Opcode.PING:
            core.send_ping(data)
        elif opcode == Opcode.PONG:
            core.send_pong(data)
        elif data:
            close = Close.parse(data)
            core.send_close(close.code, close.reason)
        else:
            core.send_close()
        self._write_output()

    async def write_frame(
        self, fin: bool, opcode: int, data: BytesLike, *, _state: int = State.OPEN
    ) -> None:
        """Write a frame, then wait for the buffer to drain."""
        state = self.state
        if state is not _state:
            raise InvalidState(f"cannot write to a WebSocket in the {state.name} state")
        self.write_frame_sync(fin, opcode, data)
        await self.drain()

    async def write_close_frame(
        self, close: Close, data: BytesLike | None = None
    ) -> None:
        """
        Send a close frame, unless one was sent or received already.

        ``data``, the payload, defaults to ``close`` serialized; an empty one
        is a close frame without a code.

        """
        if self.state is not State.OPEN:
            return
        if data is not None and not data:
            self.core.send_close()
        else:
            self.core.send_close(close.code, close.reason)
        self._write_output()
        await self.drain()

    async def keepalive_ping(self) -> None:
        """
        Send a ping every ``ping_interval`` seconds; fail the connection if
        its pong doesn't come within ``ping_timeout`` seconds.

        """
        if self.ping_interval is None:
            return
        try:
            while True:
                await asyncio.sleep(self.ping_interval)
                pong = await self.ping()
                if self.ping_timeout is None:
                    continue
                try:
                    await asyncio.wait_for(pong, self.ping_timeout)
                except asyncio.TimeoutError:
                    if self.debug:
                        self.logger.debug("- timed out waiting for keepalive pong")
                    self.fail_connection(
                        CloseCode.INTERNAL_ERROR, "keepalive ping timeout"
                    )
                    return
                if self.debug:
                    self.logger.debug("% received keepalive pong")
        except ConnectionClosed:
            pass
        except Exception:
            self.logger.error("keepalive ping failed", exc_info=True)

    async def close_connection(self) -> None:
        """
        Close the TCP connection once data transfer ends (RFC 6455, section
        7.1.1), or at once if the opening handshake failed.

        A client gives the server ``close_timeout`` seconds to close first,
        so that the server keeps the TIME_WAIT state. Then either side
        half-closes, when the transport can, and waits again before closing.

        """
        try:
            if self.core.state is not State.CONNECTING:
                # Waiting doesn't raise the exception of the task.
                await asyncio.wait({self.transfer_data_task})
                self.keepalive_ping_task.cancel()
                if self.is_client and await self._lost_in_time():
                    return
            if self.transport.can_write_eof():
                self._debug("x half-closing TCP connection")
                self.transport.write_eof()
                if await self._lost_in_time():
                    return
        finally:
            # Even when cancelled, never leave the transport open.
            await self.close_transport()

    async def close_transport(self) -> None:
        """Close the TCP connection; abort it if closing takes too long."""
        # After connection_lost(), a TLS transport may still need closing.
        if not (self.closed and self.transport.is_closing()):
            self._debug("x closing TCP connection")
            self.transport.close()
            if not await self._lost_in_time():
                self._debug("x aborting TCP connection")
                self.transport.abort()
                await self.wait_for_connection_lost()

    async def _lost_in_time(self) -> bool:
        if await self.wait_for_connection_lost():
            return True
        self._debug("- timed out waiting for TCP close")
        return False

    def _debug(self, message: str) -> None:
        if self.debug:
            self.logger.debug(message)

    async def wait_for_connection_lost(self) -> bool:
        """
        Wait ``close_timeout`` seconds at most for the TCP connection to end.

        Returns:
            Whether it ended.

        """
        lost = self.connection_lost_waiter
        if not lost.done():
            await asyncio.wait({lost}, timeout=self.close_timeout)
        return lost.done()

    def fail_connection(
        self,
        code: int = CloseCode.ABNORMAL_CLOSURE,
        reason: str = "",
    ) -> None:
        """
        Fail the connection (RFC 6455, section 7.1.7).

        Stop reading messages; send a close frame with ``code`` and
        ``reason`` unless a close frame was sent already or ``code`` is 1006,
        which means the network failed; close the TCP connection.

        """
        if self.debug:
            self.logger.debug("! failing connection with code %d", code)
        if self.core.state is State.OPEN:
            Protocol.fail(self.core, code, reason)
            self._write_output()
        if hasattr(self, "transfer_data_task"):
            self.transfer_data_task.cancel()
        elif not hasattr(self, "close_connection_task"):
            # The opening handshake failed: close the TCP connection now.
            self.close_connection_task = self.loop.create_task(self.close_connection())

    def abort_pings(self) -> None:
        """Fail the pings still waiting: no pong comes after the end."""
        exc = self.connection_closed_exc()
        # Callers only have shields of these futures: they're still pending.
        for pong, _ in self.pings.values():
            pong.set_exception(exc)
            # Nobody may ever look at it; don't let asyncio complain.
            pong.exception()
        self.pings.clear()

    def connection_open(self) -> None:
        """
        Switch to data transfer, once the opening handshake succeeded.

        """
        assert self.state is State.CONNECTING
        self.core.state = State.OPEN
        self.transfer_data_task = self.loop.create_task(self.transfer_data())
        self.transfer_data_task.add_done_callback(lambda _: _wake(self._recv_waiter))
        self.keepalive_ping_task = self.loop.create_task(self.keepalive_ping())
        self.close_connection_task = self.loop.create_task(self.close_connection())

        # Frames may have come right after the handshake. They're decoded
        # in the next iteration of the loop, as frames that come later, so
        # that the connection is open when the handshake returns; meanwhile,
        # bytes received go to the buffer after them.
        self.loop.call_soon(self._end_of_handshake)

    def _end_of_handshake(self) -> None:
        if not self._handshaking:
            return
        self._handshaking = False
        closing = self.core.state is State.CLOSING
        reader = self.reader
        if reader.buffer:
            data = bytes(reader.buffer)
            reader.discard()
            self.core.receive_data(data)
        if reader.eof:
            self.core.receive_eof()
        self._read_output(closing)
        if self._reading_paused and self._frames_size <= self.read_limit:
            self._reading_paused = False
            self.transport.resume_reading()

    async def _read_http(self, parser: Generator[None, None, T]) -> T:
        """Run a parser of HTTP messages on :attr:`reader` as bytes arrive."""
        while True:
            try:
                parser.send(None)
            except StopIteration as done:
                result: T = done.value
                return result
            # The parser took every complete line: what's left is less than
            # a line, and more must come.
            if self._reading_paused:
                self._reading_paused = False
                self.transport.resume_reading()
            self._http_waiter = self.loop.create_future()
            try:
                await self._http_waiter
            finally:
                self._http_waiter = None

    def _log_http(
        self, arrow: str, start: str, headers: Headers, body: bytes | None = None
    ) -> None:
        """Log an HTTP message of the opening handshake, when debugging."""
        if not self.debug:
            return
        self.logger.debug("%s %s", arrow, start)
        for name, value in headers.raw_items():
            self.logger.debug("%s %s: %s", arrow, name, value)
        if body is not None:
            self.logger.debug("%s [body] (%d bytes)", arrow, len(body))

    def _write_output(self) -> None:
        # The end of stream that the core may ask for is left to
        # close_connection(), which has the time-outs of the legacy API.
        for data in self.core.data_to_send():
            if data:
                self.transport.write(data)

    def _read_output(self, closing: bool) -> None:
        """Write what the core answered to the data received; queue frames."""
        core = self.core
        for data in core.data_to_send():
            # Once it sent a close frame, the legacy API doesn't answer pings
            # anymore, and only pongs can come out of the core then.
            if data and not closing:
                self.transport.write(data)
        # A data-transfer protocol has no HTTP events, only frames.
        received = cast("list[frames.Frame]", core.events_received())
        if received:
            self._frames.extend(received)
            for frame in received:
                self._frames_size += len(frame.data) + _FRAME_COST
            if self._frames_size > self.read_limit and not self._reading_paused:
                self._reading_paused = True
                self.transport.pause_reading()
        if self._frames_end is None and core.parser_exc is not None:
            self._frames_end = core.parser_exc
        _wake(self._frames_waiter)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; set its high-water mark to ``write_limit``."""
        transport = cast(asyncio.Transport, transport)
        transport.set_write_buffer_limits(self.write_limit)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Record the end of the TCP connection and wake everyone waiting."""
        if self.debug:
            self.logger.debug("= connection is CLOSED")
        self.connection_lost_waiter.set_result(None)

        if self.core.state is State.CONNECTING:
            if not self.reader.eof:
                self.reader.feed_eof()
            _wake(self._http_waiter)
        else:
            self._end_of_handshake()
            # A network error ends the data received, before the core's EOF.
            if self._frames_end is None and exc is not None:
                self._frames_end = exc
            self.core.receive_eof()
            # Nothing can be written anymore.
            self._read_output(closing=True)
            if self._frames_end is None:
                self._frames_end = EOFError("connection lost")
                _wake(self._frames_waiter)

        self.abort_pings()
        _wake(self._drain_waiter)
        self._drain_waiter = None

    def pause_writing(self) -> None:
        self._paused = True
        # A peer that sends pings and doesn't read would fill the buffer with
        # pongs: only the pong of the last ping waits for it to drain.
        self.core.hold_pongs(True)

    def resume_writing(self) -> None:
        self._paused = False
        _wake(self._drain_waiter)
        self._drain_waiter = None
        self.core.hold_pongs(False)
        self._write_output()

    def data_received(self, data: bytes) -> None:
        if self._handshaking:
            self.reader.feed_data(data)
            if len(self.reader.buffer) > self.read_limit and not self._reading_paused:
                self._reading_paused = True
                self.transport.pause_reading()
            _wake(self._http_waiter)
        elif not self.transfer_data_task.done():
            # Hot path: the core decodes frames straight from data.
            closing = self.core.state is State.CLOSING
            self.core.receive_data(data)
            self._read_output(closing)

    def eof_received(self) -> None:
        """
        Take the end of the stream; the transport then closes.

        Endpoints close the TCP connection after the closing handshake, so
        there's never anything to write after the peer's end of stream.

        """
        if self._handshaking:
            self.reader.feed_eof()
            _wake(self._http_waiter)
        elif not self.transfer_data_task.done():
            closing = self.core.state is State.CLOSING
            self.core.receive_eof()
            self._read_output(closing)


def broadcast(
    websockets: Iterable[WebSocketCommonProtocol],
    message: DataLike,
    raise_exceptions: bool = False,
) -> None:
    """
    Send a message to several connections at once, without waiting.

    A :class:`str` goes in a text frame; a bytes-like object in a binary
    frame. Each open connection gets the message at once, whatever the state
    of its buffer: there is no backpressure. A connection that isn't open or
    that is sending a fragmented message is skipped, as is one whose
    transport fails to take the message.

    Args:
        websockets: The connections.
        message: The message.
        raise_exceptions: Raise an :exc:`ExceptionGroup` of the reasons why
            connections were skipped, instead of logging a warning for each.

    Raises:
        TypeError: If ``message`` isn't a :class:`str` or bytes-like.

    """
    if not isinstance(message, (str, bytes, bytearray, memoryview)):
        raise TypeError("data must be str or bytes-like")
    if raise_exceptions and sys.version_info < (3, 11):  # pragma: no cover
        raise ValueError("raise_exceptions requires at least Python 3.11")
    opcode, data = prepare_data(message)

    skipped: list[Exception] = []
    for websocket in websockets:
        if websocket.state is not State.OPEN:
            continue
        problem = _broadcast_to(websocket, opcode, data)
        if problem is None:
            pass
        elif raise_exceptions:
            skipped.append(problem)
        else:
            cause = problem.__cause__
            if cause is not None:
                detail = traceback.format_exception_only(type(cause), cause)[0]
                problem = RuntimeError(f"{problem}: {detail.strip()}")
            websocket.logger.warning("skipped broadcast: %s", problem)
    if skipped:
        raise ExceptionGroup("skipped broadcast", skipped)  # noqa: F821


def _broadcast_to(
    websocket: WebSocketCommonProtocol, opcode: int, data: BytesLike
) -> Exception | None:
    """Send a message to one connection; return why it's skipped, if it is."""
    if websocket._fragmented_message_waiter is not None:
        return ConcurrencyError("sending a fragmented message")
    try:
        websocket.write_frame_sync(True, opcode, data)
    except Exception as exc:
        problem = RuntimeError("failed to write message")
        problem.__cause__ = exc
        return problem
    return None

"""
Reassembly of incoming frames into messages, with flow control.

The connection puts every data frame it receives into an :class:`Assembler`;
``recv()`` and ``recv_streaming()`` take them out again as whole messages or
as fragments. The assembler counts the frames that it holds and asks the
connection to stop reading from the network above a high-water mark and to
resume at or below a low-water mark, so that a fast peer slows down to the
pace of the application instead of filling memory.

"""

from __future__ import annotations

import asyncio
import codecs
import collections
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Generic, Literal, TypeVar, overload

from ws_frames.exceptions import ConcurrencyError
from ws_frames.frames import OP_TEXT, Frame
from ws_frames.typing import Data


__all__ = ["Assembler"]

UTF8Decoder = codecs.getincrementaldecoder("utf-8")

T = TypeVar("T")


class SimpleQueue(Generic[T]):
    """
    Unbounded FIFO queue with a single consumer that can be woken up on close.

    :class:`asyncio.Queue` doesn't let a consumer put items back at the front,
    which :meth:`Assembler.get` needs for cancellation safety, and doesn't let
    the producer fail a waiting consumer.

    """

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.get_waiter: asyncio.Future[None] | None = None
        self.queue: collections.deque[T] = collections.deque()

    def __len__(self) -> int:
        return len(self.queue)

    def put(self, item: T) -> None:
        """Put an item into the queue and wake up the consumer if it waits."""
        self.queue.append(item)
        if self.get_waiter is not None and not self.get_waiter.done():
            self.get_waiter.set_result(None)

    async def get(self, block: bool = True) -> T:
        """
        Remove and return the first item of the queue.

        Args:
            block: Wait for an item when the queue is empty.

        Raises:
            EOFError: If the queue is empty and ``block`` is :obj:`False`, or
                if :meth:`abort` is called while waiting.

        """
        if not self.queue:
            if not block:
                raise EOFError("stream of frames ended")
            assert self.get_waiter is None, "cannot call get() concurrently"
            self.get_waiter = self.loop.create_future()
            try:
                await self.get_waiter
            finally:
                self.get_waiter.cancel()
                self.get_waiter = None
        return self.queue.popleft()

    def reset(self, items: Iterable[T]) -> None:
        """Put items back at the front of the queue, in order."""
        assert self.get_waiter is None, "cannot reset() while get() is running"
        self.queue.extendleft(reversed(list(items)))

    def abort(self) -> None:
        """Make a waiting :meth:`get` raise :exc:`EOFError`."""
        if self.get_waiter is not None and not self.get_waiter.done():
            self.get_waiter.set_exception(EOFError("stream of frames ended"))


class Assembler:
    """
    Assemble messages from frames.

    :class:`Assembler` expects only data frames. The stream of frames must
    respect the protocol: a message starts with a text or binary frame and
    goes on with continuation frames until one has ``fin`` set. The
    :class:`~ws_frames.protocol.Protocol` guarantees this.

    Args:
        high: Pause reading when more than ``high`` frames are buffered.
            ``None`` disables flow control. When only one of ``high`` and
            ``low`` is given, the other is derived from it (``low = high // 4``
            or ``high = low * 4``).
        low: Resume reading when ``low`` frames or fewer are buffered.
        pause: Called to stop reading from the network.
        resume: Called to resume reading from the network.

    Raises:
        ValueError: If ``low`` is negative or ``high`` is below ``low``.

    """

    def __init__(
        self,
        high: int | None = None,
        low: int | None = None,
        pause: Callable[[], Any] = lambda: None,
        resume: Callable[[], Any] = lambda: None,
    ) -> None:
        self.frames: SimpleQueue[Frame] = SimpleQueue()

        if high is not None and low is None:
            low = high // 4
        if high is None and low is not None:
            high = low * 4
        if high is not None and low is not None:
            if low < 0:
                raise ValueError("low must be positive or equal to zero")
            if high < low:
                raise ValueError("high must be greater than or equal to low")
        self.high, self.low = high, low
        self.pause = pause
        self.resume = resume
        self.paused = False

        # This flag prevents concurrent calls to get() by user code.
        self.get_in_progress = False

        # This flag marks the end of the connection.
        self.closed = False

    @overload
    async def get(self, decode: Literal[True]) -> str: ...

    @overload
    async def get(self, decode: Literal[False]) -> bytes: ...

    @overload
    async def get(self, decode: bool | None = None) -> Data: ...

    async def get(self, decode: bool | None = None) -> Data:
        """
        Read the next message.

        :meth:`get` returns a single :class:`str` or :class:`bytes`. If the
        message is fragmented, it waits for all the fragments and joins them.

        Cancelling :meth:`get` loses nothing: fragments already taken from the
        queue are put back, and the next call returns the whole message.

        Args:
            decode: :obj:`False` returns :class:`bytes`, :obj:`True` returns
                :class:`str`, :obj:`None` decides from the opcode: text
                frames give :class:`str` and binary frames :class:`bytes`.

        Raises:
            EOFError: If the stream of frames has ended.
            UnicodeDecodeError: If a message to decode isn't valid UTF-8.
            ConcurrencyError: If two coroutines run :meth:`get` or
                :meth:`get_iter` concurrently.

        """
        if self.get_in_progress:
            raise ConcurrencyError("get() or get_iter() is already running")
        self.get_in_progress = True

        # Frames are taken one by one so that cancellation can put them back.
        try:
            frame = await self.frames.get(not self.closed)
            self.maybe_resume()
            if decode is None:
                decode = frame.opcode is OP_TEXT
            if frame.fin:
                data = frame.data
            else:
                frames = [frame]
                while not frame.fin:
                    try:
                        frame = await self.frames.get(not self.closed)
                    except asyncio.CancelledError:
                        self.frames.reset(frames)
                        raise
                    self.maybe_resume()
                    frames.append(frame)
                data = b"".join([frame.data for frame in frames])
        finally:
            self.get_in_progress = False

        if decode:
            return bytes(data).decode() if type(data) is memoryview else data.decode()
        return data if type(data) is bytes else bytes(data)

    @overload
    def get_iter(self, decode: Literal[True]) -> AsyncIterator[str]: ...

    @overload
    def get_iter(self, decode: Literal[False]) -> AsyncIterator[bytes]: ...

    @overload
    def get_iter(self, decode: bool | None = None) -> AsyncIterator[Data]: ...

    async def get_iter(self, decode: bool | None = None) -> AsyncIterator[Data]:
        """
        Stream the next message.

        Yield each fragment as soon as it arrives, decoding text fragments
        incrementally, so that a multi-byte character split between two
        frames comes out whole.

        Cancelling before the first fragment is yielded loses nothing.
        Cancelling later leaves the rest of the message in the queue and the
        assembler unusable, because the fragments already yielded are gone.

        Args:
            decode: As in :meth:`get`.

        Raises:
            EOFError: If the stream of frames has ended.
            UnicodeDecodeError: If a message to decode isn't valid UTF-8.
            ConcurrencyError: If two coroutines run :meth:`get` or
                :meth:`get_iter` concurrently.

        """
        if self.get_in_progress:
            raise ConcurrencyError("get() or get_iter() is already running")
        self.get_in_progress = True

        try:
            frame = await self.frames.get(not self.closed)
        except BaseException:
            self.get_in_progress = False
            raise
        self.maybe_resume()

        if decode is None:
            decode = frame.opcode is OP_TEXT
        if decode:
            decoder = UTF8Decoder()
            yield decoder.decode(frame.data, frame.fin)
        else:
            yield bytes(frame.data)

        while not frame.fin:
            # Once fragments have been handed out, cancellation can't be
            # undone: get_in_progress stays set and later calls fail loudly
            # rather than returning the tail of a message as a message.
            frame = await self.frames.get(not self.closed)
            self.maybe_resume()
            if decode:
                yield decoder.decode(frame.data, frame.fin)
            else:
                yield bytes(frame.data)

        self.get_in_progress = False

    def put(self, frame: Frame) -> None:
        """
        Add ``frame`` to the next message.

        Raises:
            EOFError: If the stream of frames has ended.

        """
        if self.closed:
            raise EOFError("stream of frames ended")
        self.frames.put(frame)
        self.maybe_pause()

    def maybe_pause(self) -> None:
        """Pause the writer if the queue is above the high-water mark."""
        # Skip the length computation when flow control is off.
        if self.high is None:
            return
        if len(self.frames) > self.high and not self.paused:
            self.paused = True
            self.pause()

    def maybe_resume(self) -> None:
        """Resume the writer if the queue is at or below the low-water mark."""
        if self.low is None:
            return
        if len(self.frames) <= self.low and self.paused:
            self.paused = False
            self.resume()

    def close(self) -> None:
        """
        End the stream of frames.

        Frames already queued can still be read; once they are consumed,
        :meth:`get` and :meth:`get_iter` raise :exc:`EOFError`.

        """
        if self.closed:
            return
        self.closed = True
        # Wake up a consumer waiting on an empty queue.
        self.frames.abort()

"""
Incoming messages, between the event loop and ``recv()``.

:class:`~ws_asyncio.connection.Connection` puts each data frame it receives
into an :class:`Assembler`; ``recv()`` and ``recv_streaming()`` take whole
messages or fragments out of it. The assembler counts the frames it holds and
tells the connection to stop reading from the network when there are too many,
and to read again once the application has caught up: a peer can't make the
queue grow past the high-water mark, whatever it sends. Once the closing
handshake started, reading can't stop, and the queue drops what overflows.

``ws_sync.messages`` is the threading twin of this module, method for method.

"""

from __future__ import annotations

import asyncio
import codecs
import collections
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Generic, TypeVar

from ws_frames.exceptions import ConcurrencyError
from ws_frames.frames import OP_CONT, OP_TEXT, Frame
from ws_frames.messages import flow_control_marks, to_fragment, to_message
from ws_frames.typing import Data


__all__ = ["Assembler"]

UTF8Decoder = codecs.getincrementaldecoder("utf-8")

T = TypeVar("T")


def nothing() -> None:
    """Default flow control callback."""


# A deque allocates a block of 64 slots as soon as it exists: 600 bytes that
# a connection that receives nothing doesn't need. Queues share this empty one
# until their first item; it's never appended to.
_NO_ITEMS: collections.deque[Any] = collections.deque()


class SimpleQueue(Generic[T]):
    """
    Queue with a single consumer, which the producer can wake up for good.

    :class:`asyncio.Queue` can't put items back at the front, which a reader
    cancelled in the middle of a message needs, nor end the wait of its reader
    with an error, which the end of the connection needs.

    """

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: collections.deque[T] = _NO_ITEMS
        # Resolved by put() or failed by abort() while get() waits.
        self.get_waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self.queue)

    def put(self, item: T) -> None:
        """Append an item; wake up the consumer if it waits."""
        if self.queue is _NO_ITEMS:
            self.queue = collections.deque()
        self.queue.append(item)
        waiter = self.get_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self, block: bool = True) -> T:
        """
        Remove the first item and return it.

        Args:
            block: Wait for an item when the queue is empty.

        Raises:
            EOFError: If the queue is empty and ``block`` is off, or if
                :meth:`abort` ends the wait.

        """
        queue = self.queue
        while not queue:
            if not block:
                raise EOFError("stream of frames ended")
            assert self.get_waiter is None, "get() doesn't support concurrent calls"
            waiter = self.get_waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                self.get_waiter = None
            # put() replaces the shared empty deque with one of its own.
            queue = self.queue
        return queue.popleft()

    def reset(self, items: Iterable[T]) -> None:
        """Put items back at the front, keeping their order."""
        assert self.get_waiter is None, "reset() while get() waits"
        if self.queue is _NO_ITEMS:
            self.queue = collections.deque()
        self.queue.extendleft(reversed(list(items)))

    def abort(self) -> None:
        """End the wait of :meth:`get`, if any, with :exc:`EOFError`."""
        waiter = self.get_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(EOFError("stream of frames ended"))


class Assembler:
    """
    Queue of incoming data frames, read back as messages or as fragments.

    The connection calls :meth:`put` with each data frame, in the order the
    protocol delivers them: a text or binary frame, then continuation frames
    until one has ``fin`` set. One reader at a time calls :meth:`get` or
    :meth:`get_iter`; two readers would each get part of a message.

    Args:
        high: Call ``pause`` when more than ``high`` frames wait.
        low: Call ``resume`` when ``low`` frames or fewer wait.
        pause: Stops reading from the network.
        resume: Starts reading from the network again.

    When only one mark is given, the other one is derived from it; when neither
    is, flow control is off.

    Raises:
        ValueError: If the marks are inconsistent.

    """

    def __init__(
        self,
        high: int | None = None,
        low: int | None = None,
        pause: Callable[[], Any] = nothing,
        resume: Callable[[], Any] = nothing,
    ) -> None:
        self.high, self.low = flow_control_marks(high, low)
        self.pause = pause
        self.resume = resume
        self.paused = False
        # Set by discard_overflow(); then, whether the frames of a message
        # that overflowed are being dropped.
        self.overflow_discarded = False
        self.dropping = False

        self.frames: SimpleQueue[Frame] = SimpleQueue()

        # Set while a reader is in get() or get_iter().
        self.get_in_progress = False

        # Set once the connection is closed: no frame will arrive anymore.
        self.closed = False

    async def get_next_frame(self) -> Frame:
        """
        Wait for the next frame and take it out of the queue.

        Raises:
            EOFError: If the connection is closed and the queue is empty.

        """
        frame = await self.frames.get(not self.closed)
        self.maybe_resume()
        return frame

    def reset_queue(self, frames: Iterable[Frame]) -> None:
        """Put frames taken by a reader back at the front of the queue."""
        self.frames.reset(frames)

    def skip_message(self, frame: Frame) -> None:
        """Drop the frames of the message of ``frame`` that are in the queue."""
        queue = self.frames.queue
        while not frame.fin and queue:
            frame = queue.popleft()
        self.maybe_resume()

    async def get(self, decode: bool | None = None) -> Data:
        """
        Return the next message, once all its fragments are here.

        A cancelled call loses nothing: the fragments it took go back to the
        queue.

        Args:
            decode: :obj:`True` for :class:`str`, :obj:`False` for
                :class:`bytes`, :obj:`None` for the type of the message.

        Raises:
            EOFError: If the connection is closed and the queue is empty.
            UnicodeDecodeError: If the message must be decoded and isn't
                valid UTF-8.
            ConcurrencyError: If another reader is in :meth:`get` or
                :meth:`get_iter`.

        """
        if self.get_in_progress:
            raise ConcurrencyError("get() or get_iter() is already running")

        frames = self.frames
        queue = frames.queue
        if not queue and not self.closed:
            # Hot path: wait for the first frame here, on the future itself,
            # rather than in get_next_frame() and SimpleQueue.get(): two
            # coroutines less. Cancelling loses nothing: nothing was taken.
            self.get_in_progress = True
            waiter = frames.get_waiter = frames.loop.create_future()
            try:
                await waiter
            finally:
                frames.get_waiter = None
                self.get_in_progress = False
            # put() replaces the shared empty deque with one of its own.
            queue = frames.queue

        # Hot path: a message in one frame is here. Taking it without
        # suspending spares a future and a trip through the event loop.
        if queue and queue[0].fin:
            frame = queue.popleft()
            if self.paused:
                self.maybe_resume()
            text = frame.opcode is OP_TEXT if decode is None else decode
            return to_message(frame.data, text)

        # Here, the queue starts with the first frame of a fragmented
        # message, or the connection is closed and the queue is empty.
        self.get_in_progress = True
        try:
            first = frame = await self.get_next_frame()
            taken = [frame]
            try:
                while not frame.fin:
                    frame = await self.get_next_frame()
                    taken.append(frame)
            except asyncio.CancelledError:
                self.reset_queue(taken)
                raise
            data = b"".join([fragment.data for fragment in taken])
        finally:
            self.get_in_progress = False

        text = first.opcode is OP_TEXT if decode is None else decode
        return to_message(data, text)

    async def get_iter(self, decode: bool | None = None) -> AsyncIterator[Data]:
        """
        Yield the fragments of the next message as they arrive.

        Text is decoded incrementally: a character split between two frames
        comes out whole, with the second one.

        A reader that stops before the last fragment leaves the rest of the
        message in the queue; the assembler then refuses every other read
        rather than return that rest as if it were a message. Cancelling
        before the first fragment is safe.

        Args:
            decode: As in :meth:`get`.

        Raises:
            EOFError: If the connection is closed and the queue is empty.
            UnicodeDecodeError: If the message must be decoded and isn't
                valid UTF-8.
            ConcurrencyError: If another reader is in :meth:`get` or
                :meth:`get_iter`.

        """
        if self.get_in_progress:
            raise ConcurrencyError("get() or get_iter() is already running")
        self.get_in_progress = True
        try:
            frame = await self.get_next_frame()
        except BaseException:
            self.get_in_progress = False
            raise
        if decode is None:
            decode = frame.opcode is OP_TEXT
        decoder = UTF8Decoder() if decode else None
        while True:
            try:
                fragment = to_fragment(frame, decoder)
            except UnicodeDecodeError:
                # The next read must start with the next message.
                self.skip_message(frame)
                self.get_in_progress = False
                raise
            if frame.fin:
                self.get_in_progress = False
                yield fragment
                return
            yield fragment
            # A reader that stops at the yield above keeps the assembler
            # busy: the rest of the message mustn't come out as a message.
            try:
                frame = await self.get_next_frame()
            except EOFError:
                # The connection is over: nothing is left to protect.
                self.get_in_progress = False
                raise

    def put(self, frame: Frame) -> None:
        """
        Queue a data frame.

        Raises:
            EOFError: If the connection is closed.

        """
        if self.closed:
            raise EOFError("stream of frames ended")
        if self.dropping:
            self.dropping = not frame.fin
            return
        # SimpleQueue.put() written out: this runs for every frame received.
        frames = self.frames
        queue = frames.queue
        if queue is _NO_ITEMS:
            queue = frames.queue = collections.deque()
        queue.append(frame)
        waiter = frames.get_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.high is not None and len(queue) > self.high:
            self.maybe_pause()

    def maybe_pause(self) -> None:
        """
        Stop reading from the network if the queue is above ``high``; after
        :meth:`discard_overflow`, drop the message that the last frame starts
        instead.
        """
        if self.high is None or self.paused:
            return
        if len(self.frames) > self.high:
            if not self.overflow_discarded:
                self.paused = True
                self.pause()
            elif self.frames.queue[-1].opcode is not OP_CONT:
                # The rest of a message that is queued already must follow it.
                frame = self.frames.queue.pop()
                self.dropping = not frame.fin

    def maybe_resume(self) -> None:
        """Read from the network again if the queue is down to ``low``."""
        if not self.paused:
            return
        if self.low is None or len(self.frames) <= self.low:
            self.paused = False
            self.resume()

    def discard_overflow(self) -> None:
        """
        Never pause reading from the network again, and resume it if needed;
        from now on, drop the messages that begin above ``high``.

        The closing handshake needs the peer's close frame, which may come
        behind messages that nobody reads. Reading must go on to find it, yet
        a peer that keeps sending mustn't make the queue grow: messages that
        arrive while the queue is full are dropped, whole. Those queued stay
        for the application, and so does the rest of a message partly queued.

        """
        self.overflow_discarded = True
        if self.paused:
            self.paused = False
            self.resume()

    def close(self) -> None:
        """
        End the stream of frames.

        Frames already in the queue can still be read; after them, readers get
        :exc:`EOFError`. Calling :meth:`close` again does nothing.

        """
        if self.closed:
            return
        self.closed = True
        self.frames.abort()
        # Nobody will drain the queue anymore: reading must go on until the
        # end of the connection.
        self.discard_overflow()

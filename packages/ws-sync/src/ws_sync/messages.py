"""
Incoming messages, between the reading thread and ``recv()``.

:class:`~ws_sync.connection.Connection` puts each data frame it receives into
an :class:`Assembler`; ``recv()`` and ``recv_streaming()`` take whole messages
or fragments out of it. The assembler counts the frames it holds and tells the
connection to stop reading from the network when there are too many, and to
read again once the application has caught up: a peer can't make the queue
grow past the high-water mark, whatever it sends. Once the closing handshake
started, reading can't stop, and the queue drops what overflows.

``ws_asyncio.messages`` is the asyncio twin of this module, method for method.

"""

from __future__ import annotations

import codecs
import collections
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ws_frames.exceptions import ConcurrencyError
from ws_frames.frames import OP_CONT, OP_TEXT, Frame
from ws_frames.messages import flow_control_marks, to_fragment, to_message
from ws_frames.typing import Data

from .utils import Deadline


__all__ = ["Assembler"]

UTF8Decoder = codecs.getincrementaldecoder("utf-8")


def nothing() -> None:
    """Default flow control callback."""


class Assembler:
    """
    Queue of incoming data frames, read back as messages or as fragments.

    The reading thread calls :meth:`put` with each data frame, in the order
    the protocol delivers them: a text or binary frame, then continuation
    frames until one has ``fin`` set. One application thread at a time calls
    :meth:`get` or :meth:`get_iter`; two readers would each get part of a
    message.

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

        # The mutex guards every attribute; the condition wakes up a reader.
        self.mutex = threading.Lock()
        self.frames_changed = threading.Condition(self.mutex)
        self.frames: collections.deque[Frame] = collections.deque()

        # Set while a reader is in get() or get_iter().
        self.get_in_progress = False

        # Set once the connection is closed: no frame will arrive anymore.
        self.closed = False

    def get_next_frame(self, timeout: float | None = None) -> Frame:
        """
        Wait for the next frame and take it out of the queue.

        Args:
            timeout: Seconds to wait; :obj:`None` waits forever, ``0`` or
                less doesn't wait.

        Raises:
            EOFError: If the connection is closed and the queue is empty.
            TimeoutError: If no frame arrives within ``timeout``.

        """
        with self.mutex:
            frames = self.frames
            if timeout is None:
                # recv() waits like this for most messages: a loop costs less
                # than wait_for().
                while not frames and not self.closed:
                    self.frames_changed.wait()
            elif timeout > 0:
                self.frames_changed.wait_for(lambda: frames or self.closed, timeout)
            if frames:
                frame = frames.popleft()
                self.maybe_resume()
                return frame
            if self.closed:
                raise EOFError("stream of frames ended")
            raise TimeoutError(f"timed out in {max(timeout or 0, 0):.1f}s")

    def reset_queue(self, frames: Iterable[Frame]) -> None:
        """Put frames taken by a reader back at the front of the queue."""
        with self.mutex:
            self.frames.extendleft(reversed(list(frames)))

    def skip_message(self, frame: Frame) -> None:
        """Drop the frames of the message of ``frame`` that are in the queue."""
        with self.mutex:
            frames = self.frames
            while not frame.fin and frames:
                frame = frames.popleft()
            self.maybe_resume()

    def get(self, timeout: float | None = None, decode: bool | None = None) -> Data:
        """
        Return the next message, once all its fragments are here.

        A call that times out loses nothing: the fragments it took go back to
        the queue.

        Args:
            timeout: Seconds to wait; :obj:`None` waits forever, ``0`` or less
                returns only a message that is already here.
            decode: :obj:`True` for :class:`str`, :obj:`False` for
                :class:`bytes`, :obj:`None` for the type of the message.

        Raises:
            EOFError: If the connection is closed and the queue is empty.
            UnicodeDecodeError: If the message must be decoded and isn't
                valid UTF-8.
            ConcurrencyError: If another reader is in :meth:`get` or
                :meth:`get_iter`.
            TimeoutError: If the message doesn't arrive within ``timeout``.

        """
        with self.mutex:
            if self.get_in_progress:
                raise ConcurrencyError("get() or get_iter() is already running")

            frames = self.frames
            if timeout is None and not frames and not self.closed:
                # Hot path: wait for the first frame here, under the lock held
                # already, rather than in get_next_frame(), which takes it
                # again, behind a Deadline. Timing out loses nothing: nothing
                # was taken.
                self.get_in_progress = True
                try:
                    while not frames and not self.closed:
                        self.frames_changed.wait()
                finally:
                    self.get_in_progress = False

            # Hot path: a message in one frame is here. Taking it under the
            # same lock spares a wait on the condition.
            if frames and frames[0].fin:
                frame: Frame | None = frames.popleft()
                if self.paused:
                    self.maybe_resume()
            else:
                frame = None
                self.get_in_progress = True

        if frame is not None:
            text = frame.opcode is OP_TEXT if decode is None else decode
            return to_message(frame.data, text)

        # Here, the queue starts with the first frame of a fragmented
        # message, or it's empty: the connection is closed, or a timeout is
        # set.
        try:
            deadline = Deadline(timeout)
            first = frame = self.get_next_frame(
                deadline.timeout(raise_if_elapsed=False)
            )
            if frame.fin:
                data = frame.data
            else:
                taken = [frame]
                try:
                    while not frame.fin:
                        frame = self.get_next_frame(
                            deadline.timeout(raise_if_elapsed=False)
                        )
                        taken.append(frame)
                except TimeoutError:
                    self.reset_queue(taken)
                    raise
                data = b"".join([fragment.data for fragment in taken])
        finally:
            self.get_in_progress = False

        text = first.opcode is OP_TEXT if decode is None else decode
        return to_message(data, text)

    def get_iter(self, decode: bool | None = None) -> Iterator[Data]:
        """
        Yield the fragments of the next message as they arrive.

        Text is decoded incrementally: a character split between two frames
        comes out whole, with the second one.

        A reader that stops before the last fragment leaves the rest of the
        message in the queue; the assembler then refuses every other read
        rather than return that rest as if it were a message.

        Args:
            decode: As in :meth:`get`.

        Raises:
            EOFError: If the connection is closed and the queue is empty.
            UnicodeDecodeError: If the message must be decoded and isn't
                valid UTF-8.
            ConcurrencyError: If another reader is in :meth:`get` or
                :meth:`get_iter`.

        """
        with self.mutex:
            if self.get_in_progress:
                raise ConcurrencyError("get() or get_iter() is already running")
            self.get_in_progress = True
        try:
            frame = self.get_next_frame()
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
                frame = self.get_next_frame()
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
        with self.mutex:
            if self.closed:
                raise EOFError("stream of frames ended")
            if self.dropping:
                self.dropping = not frame.fin
                return
            self.frames.append(frame)
            self.frames_changed.notify()
            # Inline test: this runs for every frame received.
            if self.high is not None and len(self.frames) > self.high:
                self.maybe_pause()

    def maybe_pause(self) -> None:
        """
        Stop reading from the network if the queue is above ``high``; after
        :meth:`discard_overflow`, drop the message that the last frame starts
        instead.
        """
        # The caller holds the mutex.
        if self.high is None or self.paused:
            return
        if len(self.frames) > self.high:
            if not self.overflow_discarded:
                self.paused = True
                self.pause()
            elif self.frames[-1].opcode is not OP_CONT:
                # The rest of a message that is queued already must follow it.
                frame = self.frames.pop()
                self.dropping = not frame.fin

    def maybe_resume(self) -> None:
        """Read from the network again if the queue is down to ``low``."""
        # The caller holds the mutex.
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
        with self.mutex:
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
        with self.mutex:
            if self.closed:
                return
            self.closed = True
            self.frames_changed.notify_all()
        # Nobody will drain the queue anymore: reading must go on until the
        # end of the connection.
        self.discard_overflow()

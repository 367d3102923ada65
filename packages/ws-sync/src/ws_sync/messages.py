"""Reassembly of incoming frames into messages, with flow control."""

from __future__ import annotations

import codecs
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from ws_frames.exceptions import ConcurrencyError
from ws_frames.frames import Frame, Opcode
from ws_frames.typing import Data

from .utils import Deadline


__all__ = ["Assembler"]

OP_TEXT = Opcode.TEXT

UTF8Decoder = codecs.getincrementaldecoder("utf-8")


def _no_op() -> None:
    return None


class Assembler:
    """
    Queue of incoming frames, read back as whole messages or fragment by fragment.

    The thread that reads the socket calls :meth:`put` for each data frame;
    the application's thread calls :meth:`get` or :meth:`get_iter`. Only one
    reader at a time is allowed, because two readers would each receive a
    part of the same fragmented message.

    Flow control counts frames: when more than ``high`` frames wait in the
    queue, :meth:`put` calls ``pause``; when the queue drains to ``low`` or
    fewer, the reading side calls ``resume``.

    Args:
        high: High-water mark of the queue, in frames; :obj:`None` disables
            flow control.
        low: Low-water mark; defaults to ``high // 4``.
        pause: Called to stop reading from the network.
        resume: Called to start reading from the network again.

    """

    def __init__(
        self,
        high: int | None = None,
        low: int | None = None,
        pause: Callable[[], Any] = _no_op,
        resume: Callable[[], Any] = _no_op,
    ) -> None:
        # Protects every attribute below; frames_changed wakes up a waiting reader.
        self.mutex = threading.Lock()
        self.frames_changed = threading.Condition(self.mutex)
        self.frames: deque[Frame] = deque()

        if high is not None and low is None:
            low = high // 4
        if high is None and low is not None:
            high = low * 4
        if high is not None and low is not None:
            if low < 0:
                raise ValueError("low must be positive or equal to zero")
            if high < low:
                raise ValueError("high must be greater than or equal to low")
        self.high = high
        self.low = low
        self.pause = pause
        self.resume = resume
        self.paused = False

        self.get_in_progress = False
        self.closed = False

    def get_next_frame(self, timeout: float | None = None) -> Frame:
        """
        Wait for the next frame and remove it from the queue.

        Raises:
            EOFError: If the stream of frames has ended.
            TimeoutError: If no frame arrives within ``timeout`` seconds.

        """
        with self.mutex:
            if not self.frames:
                if self.closed:
                    raise EOFError("stream of frames ended")
                if timeout is None:
                    while not self.frames and not self.closed:
                        self.frames_changed.wait()
                elif timeout > 0:
                    self.frames_changed.wait_for(
                        lambda: self.frames or self.closed, timeout
                    )
                if not self.frames:
                    if self.closed:
                        raise EOFError("stream of frames ended")
                    raise TimeoutError(f"timed out in {max(timeout or 0, 0):.1f}s")
            frame = self.frames.popleft()
            if self.paused:
                self.maybe_resume()
            return frame

    def reset_queue(self, frames: Iterable[Frame]) -> None:
        """Put back frames at the head of the queue, after a time-out mid-message."""
        with self.mutex:
            self.frames.extendleft(reversed(list(frames)))

    def _start_get(self) -> None:
        with self.mutex:
            if self.get_in_progress:
                raise ConcurrencyError("get() or get_iter() is already running")
            self.get_in_progress = True

    def get(self, timeout: float | None = None, decode: bool | None = None) -> Data:
        """
        Read the next message.

        A fragmented message is returned once all its fragments arrived. When
        the time-out elapses in the middle of a fragmented message, the
        fragments received so far stay in the queue for the next call.

        Args:
            timeout: Time to wait in seconds; :obj:`None` waits forever and
                ``0`` only returns a message that is already there.
            decode: :obj:`True` returns :class:`str`, :obj:`False` returns
                :class:`bytes`; :obj:`None` follows the frame type.

        Raises:
            EOFError: If the stream of frames has ended.
            UnicodeDecodeError: If a message to decode isn't valid UTF-8.
            ConcurrencyError: If two threads run :meth:`get` or
                :meth:`get_iter` concurrently.
            TimeoutError: If the time-out elapses.

        """
        self._start_get()
        try:
            deadline = Deadline(timeout)
            frame = self.get_next_frame(deadline.timeout(raise_if_elapsed=False))
            if decode is None:
                decode = frame.opcode is OP_TEXT
            if frame.fin:
                data = frame.data
            else:
                frames = [frame]
                while not frame.fin:
                    try:
                        frame = self.get_next_frame(
                            deadline.timeout(raise_if_elapsed=False)
                        )
                    except TimeoutError:
                        self.reset_queue(frames)
                        raise
                    frames.append(frame)
                data = b"".join([frame.data for frame in frames])
        finally:
            self.get_in_progress = False

        if decode:
            return str(data, "utf-8")
        # Skip a copy in the common case where the frame already holds bytes.
        return data if type(data) is bytes else bytes(data)

    def get_iter(self, decode: bool | None = None) -> Iterator[Data]:
        """
        Stream the next message, fragment by fragment.

        Text is decoded incrementally, so a UTF-8 sequence split across two
        fragments is yielded whole with the second one.

        Args:
            decode: :obj:`True` yields :class:`str`, :obj:`False` yields
                :class:`bytes`; :obj:`None` follows the frame type.

        Raises:
            EOFError: If the stream of frames has ended.
            UnicodeDecodeError: If a message to decode isn't valid UTF-8.
            ConcurrencyError: If two threads run :meth:`get` or
                :meth:`get_iter` concurrently.

        """
        self._start_get()
        try:
            frame = self.get_next_frame()
            if decode is None:
                decode = frame.opcode is OP_TEXT
            if decode:
                decoder = UTF8Decoder()
                yield decoder.decode(frame.data, frame.fin)
                while not frame.fin:
                    frame = self.get_next_frame()
                    yield decoder.decode(frame.data, frame.fin)
            else:
                yield bytes(frame.data)
                while not frame.fin:
                    frame = self.get_next_frame()
                    yield bytes(frame.data)
        finally:
            self.get_in_progress = False

    def put(self, frame: Frame) -> None:
        """
        Add a data frame to the queue.

        Raises:
            EOFError: If the stream of frames has ended.

        """
        with self.mutex:
            if self.closed:
                raise EOFError("stream of frames ended")
            self.frames.append(frame)
            self.frames_changed.notify()
            if self.high is not None and not self.paused:
                self.maybe_pause()

    def maybe_pause(self) -> None:
        """Pause reading from the network if the queue went above the high-water mark."""
        # The caller holds the mutex.
        if self.high is None:
            return
        if len(self.frames) > self.high and not self.paused:
            self.paused = True
            self.pause()

    def maybe_resume(self) -> None:
        """Resume reading from the network if the queue fell to the low-water mark."""
        # The caller holds the mutex.
        if self.low is None:
            return
        if len(self.frames) <= self.low and self.paused:
            self.paused = False
            self.resume()

    def close(self) -> None:
        """
        End the stream of frames.

        Frames already queued can still be read; once they're consumed,
        :meth:`get` and :meth:`get_iter` raise :exc:`EOFError`.

        """
        with self.mutex:
            if self.closed:
                return
            self.closed = True
            self.frames_changed.notify_all()
            # Reading must go on until the end of the stream: nothing will
            # drain the queue from the other side anymore.
            if self.paused:
                self.paused = False
                self.resume()

    def lift_flow_control(self) -> None:
        """
        Stop pausing reads, e.g. while the closing handshake is in progress.

        Closing requires reading the peer's close frame, which may sit behind
        messages that nobody reads anymore.

        """
        with self.mutex:
            self.high = self.low = None
            if self.paused:
                self.paused = False
                self.resume()

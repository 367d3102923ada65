from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from ws_asyncio.compatibility import asyncio_timeout, asyncio_timeout_at
from ws_asyncio.messages import Assembler, SimpleQueue
from ws_frames.exceptions import ConcurrencyError
from ws_frames.frames import OP_BINARY, OP_CONT, OP_TEXT, Frame


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 5))


def text_frames(text: str, sizes: list[int]) -> list[Frame]:
    """Split the UTF-8 encoding of ``text`` into frames, anywhere in a character."""
    data = text.encode()
    chunks: list[bytes] = []
    pos = 0
    for size in sizes:
        chunks.append(data[pos : pos + size])
        pos += size
    chunks.append(data[pos:])
    frames = [
        Frame(OP_TEXT if i == 0 else OP_CONT, c, fin=False)
        for i, c in enumerate(chunks)
    ]
    frames[-1] = Frame(frames[-1].opcode, frames[-1].data, fin=True)
    return frames


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def pause(self) -> None:
        self.events.append("pause")

    def resume(self) -> None:
        self.events.append("resume")


# SimpleQueue


def test_simple_queue_put_get() -> None:
    async def main() -> None:
        queue: SimpleQueue[int] = SimpleQueue()
        queue.put(1)
        queue.put(2)
        assert len(queue) == 2
        assert await queue.get() == 1
        assert await queue.get() == 2

    run(main())


def test_simple_queue_get_waits_for_put() -> None:
    async def main() -> None:
        queue: SimpleQueue[int] = SimpleQueue()
        task = asyncio.create_task(queue.get())
        await asyncio.sleep(0)
        assert not task.done()
        queue.put(42)
        assert await task == 42

    run(main())


def test_simple_queue_get_non_blocking_on_empty_raises_eof() -> None:
    async def main() -> None:
        queue: SimpleQueue[int] = SimpleQueue()
        with pytest.raises(EOFError, match="stream of frames ended"):
            await queue.get(block=False)

    run(main())


def test_simple_queue_abort_wakes_getter() -> None:
    async def main() -> None:
        queue: SimpleQueue[int] = SimpleQueue()
        task = asyncio.create_task(queue.get())
        await asyncio.sleep(0)
        queue.abort()
        with pytest.raises(EOFError):
            await task
        # Aborting with no getter does nothing.
        queue.abort()

    run(main())


def test_simple_queues_dont_share_items() -> None:
    async def main() -> None:
        # Empty queues share one empty deque until they get an item.
        first: SimpleQueue[int] = SimpleQueue()
        second: SimpleQueue[int] = SimpleQueue()
        third: SimpleQueue[int] = SimpleQueue()
        first.put(1)
        second.reset([2])
        assert (len(first), len(second), len(third)) == (1, 1, 0)
        assert await first.get() == 1
        assert await second.get() == 2
        with pytest.raises(EOFError):
            await third.get(block=False)

    run(main())


def test_simple_queue_reset_puts_items_in_front() -> None:
    async def main() -> None:
        queue: SimpleQueue[int] = SimpleQueue()
        queue.put(3)
        queue.reset([1, 2])
        assert [await queue.get() for _ in range(3)] == [1, 2, 3]

    run(main())


# Assembler.get


def test_get_text_and_binary() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, "café".encode()))
        assembler.put(Frame(OP_BINARY, b"\x01\x02"))
        assert await assembler.get() == "café"
        assert await assembler.get() == b"\x01\x02"

    run(main())


def test_get_decode_override() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, b"abc"))
        assembler.put(Frame(OP_BINARY, b"def"))
        assembler.put(Frame(OP_BINARY, bytearray(b"ghi")))
        assembler.put(Frame(OP_BINARY, memoryview(b"jkl")))
        assert await assembler.get(decode=False) == b"abc"
        assert await assembler.get(decode=True) == "def"
        assert await assembler.get(decode=True) == "ghi"
        got = await assembler.get()
        assert got == b"jkl" and type(got) is bytes

    run(main())


def test_get_memoryview_text() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, memoryview(b"xyz")))
        assert await assembler.get() == "xyz"

    run(main())


def test_get_fragmented_message() -> None:
    async def main() -> None:
        assembler = Assembler()
        task = asyncio.create_task(assembler.get())
        assembler.put(Frame(OP_BINARY, b"a", fin=False))
        await asyncio.sleep(0)
        assembler.put(Frame(OP_CONT, b"b", fin=False))
        await asyncio.sleep(0)
        assert not task.done()
        assembler.put(Frame(OP_CONT, b"c"))
        assert await task == b"abc"

    run(main())


def test_get_invalid_utf8_raises_unicode_decode_error() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_BINARY, b"\xff"))
        with pytest.raises(UnicodeDecodeError):
            await assembler.get(decode=True)
        # The assembler stays usable.
        assembler.put(Frame(OP_TEXT, b"ok"))
        assert await assembler.get() == "ok"

    run(main())


def test_get_cancelled_mid_message_loses_nothing() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, b"he", fin=False))
        assembler.put(Frame(OP_CONT, b"ll", fin=False))
        task = asyncio.create_task(assembler.get())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assembler.put(Frame(OP_CONT, b"o"))
        assert await assembler.get() == "hello"

    run(main())


def test_get_cancelled_before_message_loses_nothing() -> None:
    async def main() -> None:
        assembler = Assembler()
        task = asyncio.create_task(assembler.get())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assembler.put(Frame(OP_TEXT, b"x"))
        assert await assembler.get() == "x"

    run(main())


def test_get_concurrently_raises_concurrency_error() -> None:
    async def main() -> None:
        assembler = Assembler()
        task = asyncio.create_task(assembler.get())
        await asyncio.sleep(0)
        with pytest.raises(ConcurrencyError):
            await assembler.get()
        with pytest.raises(ConcurrencyError):
            async for _ in assembler.get_iter():
                pass  # pragma: no cover
        assembler.put(Frame(OP_TEXT, b"x"))
        assert await task == "x"

    run(main())


def test_get_after_close_returns_queued_then_raises_eof() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, b"before close"))
        assembler.close()
        assembler.close()  # idempotent
        assert await assembler.get() == "before close"
        with pytest.raises(EOFError):
            await assembler.get()
        with pytest.raises(EOFError):
            assembler.put(Frame(OP_TEXT, b"after close"))

    run(main())


def test_close_wakes_waiting_get() -> None:
    async def main() -> None:
        assembler = Assembler()
        task = asyncio.create_task(assembler.get())
        await asyncio.sleep(0)
        assembler.close()
        with pytest.raises(EOFError):
            await task

    run(main())


def test_close_during_fragmented_message_raises_eof() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, b"a", fin=False))
        task = asyncio.create_task(assembler.get())
        await asyncio.sleep(0)
        assembler.close()
        with pytest.raises(EOFError):
            await task

    run(main())


# Assembler.get_iter


def test_get_iter_fragments() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_BINARY, b"a", fin=False))
        assembler.put(Frame(OP_CONT, bytearray(b"b"), fin=False))
        assembler.put(Frame(OP_CONT, b"c"))
        assert [f async for f in assembler.get_iter()] == [b"a", b"b", b"c"]
        # get() works again after the iterator is consumed.
        assembler.put(Frame(OP_TEXT, b"next"))
        assert await assembler.get() == "next"

    run(main())


def test_get_iter_decodes_split_characters() -> None:
    async def main() -> None:
        assembler = Assembler()
        for frame in text_frames("€", [1, 1]):
            assembler.put(frame)
        assert [f async for f in assembler.get_iter(decode=True)] == ["", "", "€"]
        assembler.put(Frame(OP_TEXT, b"abc"))
        assert [f async for f in assembler.get_iter(decode=False)] == [b"abc"]
        assembler.put(Frame(OP_BINARY, b"abc", fin=False))
        assembler.put(Frame(OP_CONT, b"def"))
        assert [f async for f in assembler.get_iter(decode=True)] == ["abc", "def"]

    run(main())


def test_get_iter_cancelled_before_first_fragment() -> None:
    async def main() -> None:
        assembler = Assembler()

        async def consume() -> list[Any]:
            return [f async for f in assembler.get_iter()]

        task = asyncio.create_task(consume())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assembler.put(Frame(OP_TEXT, b"x"))
        assert await assembler.get() == "x"

    run(main())


def test_get_iter_after_close() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.close()
        with pytest.raises(EOFError):
            async for _ in assembler.get_iter():
                pass  # pragma: no cover

    run(main())


# Flow control


def test_flow_control_pauses_above_high_and_resumes_at_low() -> None:
    async def main() -> None:
        recorder = Recorder()
        assembler = Assembler(4, 2, pause=recorder.pause, resume=recorder.resume)
        for i in range(5):
            assembler.put(Frame(OP_BINARY, bytes([i])))
        assert recorder.events == ["pause"]
        assembler.put(Frame(OP_BINARY, b"more"))
        assert recorder.events == ["pause"]
        for _ in range(3):
            await assembler.get()
        assert recorder.events == ["pause"]
        await assembler.get()
        assert recorder.events == ["pause", "resume"]
        await assembler.get()
        assert recorder.events == ["pause", "resume"]

    run(main())


def test_flow_control_resumes_while_streaming() -> None:
    async def main() -> None:
        recorder = Recorder()
        assembler = Assembler(2, 0, pause=recorder.pause, resume=recorder.resume)
        assembler.put(Frame(OP_BINARY, b"a", fin=False))
        assembler.put(Frame(OP_CONT, b"b", fin=False))
        assembler.put(Frame(OP_CONT, b"c"))
        assert recorder.events == ["pause"]
        assert [f async for f in assembler.get_iter()] == [b"a", b"b", b"c"]
        assert recorder.events == ["pause", "resume"]

    run(main())


@pytest.mark.parametrize(
    ("high", "low", "expected"),
    [
        (None, None, (None, None)),
        (16, None, (16, 4)),
        (None, 4, (16, 4)),
        (10, 10, (10, 10)),
        (3, 0, (3, 0)),
    ],
)
def test_flow_control_marks(
    high: int | None, low: int | None, expected: tuple[int | None, int | None]
) -> None:
    async def main() -> None:
        assembler = Assembler(high, low)
        assert (assembler.high, assembler.low) == expected

    run(main())


@pytest.mark.parametrize(
    ("high", "low", "message"),
    [(1, 2, "high must be greater"), (None, -1, "low must be positive")],
)
def test_flow_control_invalid_marks(high: int | None, low: int, message: str) -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match=message):
            Assembler(high, low)

    run(main())


def test_flow_control_disabled_never_pauses() -> None:
    async def main() -> None:
        recorder = Recorder()
        assembler = Assembler(pause=recorder.pause, resume=recorder.resume)
        for _ in range(100):
            assembler.put(Frame(OP_BINARY, b""))
        for _ in range(100):
            await assembler.get()
        assert recorder.events == []

    run(main())


# Property-based: reassembly is exact for any fragmentation and interleaving.


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(
        st.tuples(st.text(max_size=20), st.lists(st.integers(0, 8), max_size=4)),
        max_size=5,
    ),
    streaming=st.booleans(),
    high=st.none() | st.integers(0, 4),
)
def test_reassembly_roundtrip(
    messages: list[tuple[str, list[int]]], streaming: bool, high: int | None
) -> None:
    async def main() -> None:
        state = {"paused": False}

        def pause() -> None:
            assert not state["paused"]
            state["paused"] = True

        def resume() -> None:
            assert state["paused"]
            state["paused"] = False

        assembler = Assembler(high, None if high is None else 0, pause, resume)
        for text, sizes in messages:
            for frame in text_frames(text, sizes):
                assembler.put(frame)
        got: list[str] = []
        for _ in messages:
            if streaming:
                parts = [f async for f in assembler.get_iter(decode=True)]
                assert all(isinstance(part, str) for part in parts)
                got.append("".join(part for part in parts if isinstance(part, str)))
            else:
                message = await assembler.get(decode=True)
                assert isinstance(message, str)
                got.append(message)
        assert got == [text for text, _ in messages]
        assert not state["paused"]

    run(main())


def test_compatibility_timeouts() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio_timeout_at(loop.time() + 0.01):
                await asyncio.sleep(1)
        async with asyncio_timeout(None):
            await asyncio.sleep(0)

    run(main())


def test_get_iter_abandoned_mid_message_blocks_reads() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_TEXT, b"a", fin=False))
        assembler.put(Frame(OP_CONT, b"b"))
        fragments = assembler.get_iter()
        assert await anext(fragments) == "a"
        await fragments.aclose()  # type: ignore[attr-defined]
        # The rest of the message isn't returned as if it were a message.
        with pytest.raises(ConcurrencyError):
            await assembler.get()

    run(main())


def test_maybe_pause_below_high_does_nothing() -> None:
    async def main() -> None:
        recorder = Recorder()
        assembler = Assembler(2, pause=recorder.pause, resume=recorder.resume)
        assembler.put(Frame(OP_TEXT, b"a"))
        assembler.maybe_pause()
        assert recorder.events == []

    run(main())


def test_get_iter_releases_after_close() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_BINARY, b"a", fin=False))
        fragments = assembler.get_iter()
        assert await anext(fragments) == b"a"
        assembler.close()
        with pytest.raises(EOFError):
            await anext(fragments)
        assert not assembler.get_in_progress

    run(main())


def test_get_iter_invalid_utf8_skips_the_message() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.put(Frame(OP_BINARY, b"\xff", fin=False))
        assembler.put(Frame(OP_CONT, b"rest"))
        assembler.put(Frame(OP_TEXT, b"next"))
        with pytest.raises(UnicodeDecodeError):
            async for _ in assembler.get_iter(decode=True):
                pass  # pragma: no cover
        assert await assembler.get() == "next"

    run(main())


def test_discard_overflow_resumes_and_stops_pausing() -> None:
    async def main() -> None:
        recorder = Recorder()
        assembler = Assembler(1, 0, pause=recorder.pause, resume=recorder.resume)
        assembler.put(Frame(OP_BINARY, b"a"))
        assembler.put(Frame(OP_BINARY, b"b"))
        assembler.discard_overflow()
        assert recorder.events == ["pause", "resume"]
        for _ in range(10):
            assembler.put(Frame(OP_BINARY, b"c"))
        assert recorder.events == ["pause", "resume"]
        assembler.discard_overflow()
        assert recorder.events == ["pause", "resume"]
        # The two frames queued before stay; what overflowed is gone.
        assert [await assembler.get(), await assembler.get()] == [b"a", b"b"]
        assert len(assembler.frames) == 0

    run(main())


def test_discard_overflow_drops_whole_messages() -> None:
    async def main() -> None:
        assembler = Assembler(2)
        assembler.discard_overflow()
        assembler.put(Frame(OP_BINARY, b"a"))
        assembler.put(Frame(OP_BINARY, b"b", fin=False))
        # Above high, the rest of a message that is queued stays with it...
        assembler.put(Frame(OP_CONT, b"c", fin=False))
        assembler.put(Frame(OP_CONT, b"d"))
        # ... and a message that starts above high is dropped, all of it.
        assembler.put(Frame(OP_BINARY, b"e", fin=False))
        assembler.put(Frame(OP_CONT, b"f", fin=False))
        assembler.put(Frame(OP_CONT, b"g"))
        assembler.put(Frame(OP_BINARY, b"h"))
        assert await assembler.get() == b"a"
        assert await assembler.get() == b"bcd"
        # Once the application reads, messages are queued again.
        assembler.put(Frame(OP_BINARY, b"i"))
        assert await assembler.get() == b"i"
        assert len(assembler.frames) == 0

    run(main())


def test_discard_overflow_without_flow_control_keeps_everything() -> None:
    async def main() -> None:
        assembler = Assembler()
        assembler.discard_overflow()
        for _ in range(100):
            assembler.put(Frame(OP_BINARY, b"a"))
        assert len(assembler.frames) == 100

    run(main())

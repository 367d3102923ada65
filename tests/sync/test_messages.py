from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import ConcurrencyError
from ws_frames.frames import Frame, Opcode
from ws_sync.messages import Assembler


def text(data: str, fin: bool = True) -> Frame:
    return Frame(Opcode.TEXT, data.encode(), fin)


def binary(data: bytes, fin: bool = True) -> Frame:
    return Frame(Opcode.BINARY, data, fin)


def cont(data: bytes, fin: bool = True) -> Frame:
    return Frame(Opcode.CONT, data, fin)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    chunks, start = [], 0
    for point in points:
        chunks.append(data[start:point])
        start = point
    chunks.append(data[start:])
    return chunks


def fragments(opcode: Opcode, chunks: list[bytes]) -> list[Frame]:
    frames = []
    for index, chunk in enumerate(chunks):
        frames.append(
            Frame(
                opcode if index == 0 else Opcode.CONT, chunk, index == len(chunks) - 1
            )
        )
    return frames


# get()


def test_get_text() -> None:
    assembler = Assembler()
    assembler.put(text("café"))
    assert assembler.get() == "café"


def test_get_binary() -> None:
    assembler = Assembler()
    assembler.put(binary(b"\x01\x02"))
    assert assembler.get() == b"\x01\x02"


def test_get_binary_from_bytearray_or_memoryview() -> None:
    assembler = Assembler()
    assembler.put(Frame(Opcode.BINARY, bytearray(b"ab")))
    assembler.put(Frame(Opcode.BINARY, memoryview(b"cd")))
    first, second = assembler.get(), assembler.get()
    assert (first, type(first)) == (b"ab", bytes)
    assert (second, type(second)) == (b"cd", bytes)


def test_get_decode_overrides_frame_type() -> None:
    assembler = Assembler()
    assembler.put(text("café"))
    assembler.put(binary("thé".encode()))
    assert assembler.get(decode=False) == "café".encode()
    assert assembler.get(decode=True) == "thé"


def test_get_invalid_utf8_raises() -> None:
    assembler = Assembler()
    assembler.put(binary(b"\xff"))
    with pytest.raises(UnicodeDecodeError):
        assembler.get(decode=True)


def test_get_fragmented() -> None:
    assembler = Assembler()
    for frame in [text("ca", fin=False), cont(b"f", fin=False), cont("é".encode())]:
        assembler.put(frame)
    assert assembler.get() == "café"


def test_get_waits_for_a_frame() -> None:
    assembler = Assembler()
    timer = threading.Timer(0.02, assembler.put, [text("late")])
    timer.start()
    try:
        assert assembler.get() == "late"
    finally:
        timer.join()


def test_get_waits_for_the_end_of_a_fragmented_message() -> None:
    assembler = Assembler()
    assembler.put(text("a", fin=False))
    timer = threading.Timer(0.02, assembler.put, [cont(b"b")])
    timer.start()
    try:
        assert assembler.get(timeout=5) == "ab"
    finally:
        timer.join()


def test_get_timeout_zero_polls() -> None:
    assembler = Assembler()
    with pytest.raises(TimeoutError, match="timed out in 0.0s"):
        assembler.get(timeout=0)
    assembler.put(text("ready"))
    assert assembler.get(timeout=0) == "ready"


def test_get_negative_timeout_polls() -> None:
    assembler = Assembler()
    with pytest.raises(TimeoutError):
        assembler.get(timeout=-1)


def test_get_timeout_elapses() -> None:
    assembler = Assembler()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="timed out"):
        assembler.get(timeout=0.02)
    assert time.monotonic() - start >= 0.02


def test_get_timeout_in_fragmented_message_keeps_fragments() -> None:
    assembler = Assembler()
    assembler.put(text("a", fin=False))
    assembler.put(cont(b"b", fin=False))
    with pytest.raises(TimeoutError):
        assembler.get(timeout=0.01)
    assembler.put(cont(b"c"))
    assert assembler.get(timeout=0) == "abc"


def test_get_concurrently_raises() -> None:
    assembler = Assembler()
    started = threading.Event()

    def first_reader() -> None:
        started.set()
        with pytest.raises(EOFError):
            assembler.get()

    thread = threading.Thread(target=first_reader)
    thread.start()
    started.wait()
    deadline = time.monotonic() + 5
    while not assembler.get_in_progress and time.monotonic() < deadline:
        time.sleep(0.001)
    with pytest.raises(ConcurrencyError, match="already running"):
        assembler.get()
    with pytest.raises(ConcurrencyError):
        next(assembler.get_iter())
    assembler.close()
    thread.join()


def test_get_after_close_drains_then_raises() -> None:
    assembler = Assembler()
    assembler.put(text("kept"))
    assembler.close()
    assert assembler.get() == "kept"
    with pytest.raises(EOFError, match="stream of frames ended"):
        assembler.get()
    with pytest.raises(EOFError):
        assembler.get(timeout=0)


def test_close_wakes_up_get() -> None:
    assembler = Assembler()
    timer = threading.Timer(0.02, assembler.close)
    timer.start()
    try:
        with pytest.raises(EOFError):
            assembler.get()
    finally:
        timer.join()


def test_close_wakes_up_get_with_timeout() -> None:
    assembler = Assembler()
    timer = threading.Timer(0.02, assembler.close)
    timer.start()
    try:
        with pytest.raises(EOFError):
            assembler.get(timeout=5)
    finally:
        timer.join()


def test_close_in_fragmented_message() -> None:
    assembler = Assembler()
    assembler.put(text("a", fin=False))
    assembler.close()
    with pytest.raises(EOFError):
        assembler.get()


def test_close_is_idempotent() -> None:
    assembler = Assembler()
    assembler.close()
    assembler.close()
    assert assembler.closed


def test_put_after_close_raises() -> None:
    assembler = Assembler()
    assembler.close()
    with pytest.raises(EOFError):
        assembler.put(text("too late"))


# get_iter()


def test_get_iter_text_decodes_incrementally() -> None:
    assembler = Assembler()
    data = "café".encode()
    # Split the two bytes of "é" across fragments.
    for frame in fragments(Opcode.TEXT, [data[:4], data[4:]]):
        assembler.put(frame)
    assert list(assembler.get_iter()) == ["caf", "é"]


def test_get_iter_binary() -> None:
    assembler = Assembler()
    for frame in fragments(Opcode.BINARY, [b"ab", b"", b"c"]):
        assembler.put(frame)
    assert list(assembler.get_iter()) == [b"ab", b"", b"c"]


def test_get_iter_single_frame() -> None:
    assembler = Assembler()
    assembler.put(binary(b"one"))
    assembler.put(text("two"))
    assert list(assembler.get_iter()) == [b"one"]
    assert list(assembler.get_iter(decode=False)) == [b"two"]


def test_get_iter_decode_binary() -> None:
    assembler = Assembler()
    assembler.put(binary(b"ab", fin=False))
    assembler.put(cont(b"c"))
    assert list(assembler.get_iter(decode=True)) == ["ab", "c"]


def test_get_iter_releases_after_close() -> None:
    assembler = Assembler()
    assembler.put(binary(b"a", fin=False))
    iterator = assembler.get_iter()
    assert next(iterator) == b"a"
    assembler.close()
    with pytest.raises(EOFError):
        next(iterator)
    assert not assembler.get_in_progress


# Flow control


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


def test_flow_control_pauses_above_high_and_resumes_at_low() -> None:
    recorder = Recorder()
    assembler = Assembler(4, 2, pause=recorder.pause, resume=recorder.resume)
    for index in range(5):
        assembler.put(binary(bytes([index])))
    assert recorder.calls == ["pause"]
    assembler.put(binary(b"more"))
    assert recorder.calls == ["pause"]
    for _ in range(3):
        assembler.get()
    assert recorder.calls == ["pause"]
    assembler.get()
    assert recorder.calls == ["pause", "resume"]
    assembler.get()
    assert recorder.calls == ["pause", "resume"]


def test_flow_control_default_low() -> None:
    assembler = Assembler(16)
    assert (assembler.high, assembler.low) == (16, 4)


def test_flow_control_default_high() -> None:
    assembler = Assembler(low=4)
    assert (assembler.high, assembler.low) == (16, 4)


def test_flow_control_disabled() -> None:
    recorder = Recorder()
    assembler = Assembler(pause=recorder.pause, resume=recorder.resume)
    for _ in range(100):
        assembler.put(binary(b""))
    for _ in range(100):
        assembler.get()
    assert recorder.calls == []
    assembler.maybe_pause()
    assembler.maybe_resume()
    assert recorder.calls == []


def test_flow_control_invalid_limits() -> None:
    with pytest.raises(ValueError, match="low must be positive"):
        Assembler(1, -1)
    with pytest.raises(ValueError, match="high must be greater than or equal to low"):
        Assembler(1, 2)


def test_close_resumes() -> None:
    recorder = Recorder()
    assembler = Assembler(1, 0, pause=recorder.pause, resume=recorder.resume)
    assembler.put(binary(b"a"))
    assembler.put(binary(b"b"))
    assert recorder.calls == ["pause"]
    assembler.close()
    assert recorder.calls == ["pause", "resume"]


def test_discard_overflow_resumes_and_stops_pausing() -> None:
    recorder = Recorder()
    assembler = Assembler(1, 0, pause=recorder.pause, resume=recorder.resume)
    assembler.put(binary(b"a"))
    assembler.put(binary(b"b"))
    assembler.discard_overflow()
    assert recorder.calls == ["pause", "resume"]
    for _ in range(10):
        assembler.put(binary(b"c"))
    assert recorder.calls == ["pause", "resume"]
    assembler.discard_overflow()
    assert recorder.calls == ["pause", "resume"]
    # The two frames queued before stay; what overflowed is gone.
    assert [assembler.get(0), assembler.get(0)] == [b"a", b"b"]
    with pytest.raises(TimeoutError):
        assembler.get(0)


def test_discard_overflow_drops_whole_messages() -> None:
    assembler = Assembler(2)
    assembler.discard_overflow()
    assembler.put(binary(b"a"))
    assembler.put(binary(b"b", fin=False))
    # Above high, the rest of a message that is queued stays with it...
    assembler.put(Frame(Opcode.CONT, b"c", fin=False))
    assembler.put(Frame(Opcode.CONT, b"d"))
    # ... and a message that starts above high is dropped, all of it.
    assembler.put(binary(b"e", fin=False))
    assembler.put(Frame(Opcode.CONT, b"f", fin=False))
    assembler.put(Frame(Opcode.CONT, b"g"))
    assembler.put(binary(b"h"))
    assert assembler.get(0) == b"a"
    assert assembler.get(0) == b"bcd"
    # Once the application reads, messages are queued again.
    assembler.put(binary(b"i"))
    assert assembler.get(0) == b"i"
    with pytest.raises(TimeoutError):
        assembler.get(0)


def test_discard_overflow_without_flow_control_keeps_everything() -> None:
    assembler = Assembler()
    assembler.discard_overflow()
    for _ in range(100):
        assembler.put(binary(b"a"))
    assert len(assembler.frames) == 100


# Properties


@settings(max_examples=60, deadline=None)
@given(
    message=st.text(max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_fragmented_text_round_trip(message: str, cuts: list[int]) -> None:
    chunks = split(message.encode(), cuts)
    assembler = Assembler()
    for frame in fragments(Opcode.TEXT, chunks):
        assembler.put(frame)
    for frame in fragments(Opcode.TEXT, chunks):
        assembler.put(frame)
    assert assembler.get() == message
    streamed = list(assembler.get_iter())
    assert all(isinstance(part, str) for part in streamed)
    assert "".join(streamed) == message  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=40), max_size=5),
    cuts=st.lists(st.integers(min_value=0, max_value=50), max_size=4),
    high=st.integers(min_value=1, max_value=8),
)
def test_binary_messages_in_order_under_flow_control(
    messages: list[bytes], cuts: list[int], high: int
) -> None:
    recorder = Recorder()
    assembler = Assembler(high, pause=recorder.pause, resume=recorder.resume)
    for message in messages:
        for frame in fragments(Opcode.BINARY, split(message, cuts)):
            assembler.put(frame)
    received = [assembler.get(timeout=0) for _ in messages]
    assert received == messages
    # Every pause is followed by a resume once the queue is drained.
    assert recorder.calls.count("pause") == recorder.calls.count("resume")


def test_flow_control_default_callbacks() -> None:
    assembler = Assembler(1, 0)
    assembler.put(binary(b"a"))
    assembler.put(binary(b"b"))
    assert assembler.paused
    assembler.get()
    assembler.get()
    assert not assembler.paused


def test_get_iter_abandoned_mid_message_blocks_reads() -> None:
    assembler = Assembler()
    assembler.put(text("a", fin=False))
    assembler.put(cont(b"b"))
    fragments = assembler.get_iter()
    assert next(fragments) == "a"
    fragments.close()  # type: ignore[attr-defined]
    # The rest of the message isn't returned as if it were a message.
    with pytest.raises(ConcurrencyError):
        assembler.get()


def test_maybe_pause_below_high_does_nothing() -> None:
    recorder = Recorder()
    assembler = Assembler(2, pause=recorder.pause, resume=recorder.resume)
    assembler.put(text("a"))
    assembler.maybe_pause()
    assert recorder.calls == []


def test_get_iter_invalid_utf8_skips_the_message() -> None:
    assembler = Assembler()
    assembler.put(binary(b"\xff", fin=False))
    assembler.put(cont(b"rest"))
    assembler.put(text("next"))
    with pytest.raises(UnicodeDecodeError):
        list(assembler.get_iter(decode=True))
    assert assembler.get() == "next"

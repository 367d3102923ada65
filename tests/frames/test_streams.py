from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.streams import StreamReader


T = TypeVar("T")


def run(coroutine: Generator[None, None, T]) -> T:
    """Run a generator-based coroutine that doesn't need more data."""
    try:
        next(coroutine)
    except StopIteration as exc:
        result: T = exc.value
        return result
    raise AssertionError("coroutine is waiting for data")


def waits(coroutine: Generator[None, None, object]) -> None:
    next(coroutine)  # raises StopIteration if the coroutine completes


def test_read_line() -> None:
    reader = StreamReader()
    reader.feed_data(b"spam\neggs\n")
    assert run(reader.read_line(32)) == b"spam\n"
    assert run(reader.read_line(32)) == b"eggs\n"


def test_read_line_need_more_data() -> None:
    reader = StreamReader()
    reader.feed_data(b"spa")
    coroutine = reader.read_line(32)
    waits(coroutine)
    reader.feed_data(b"m\neg")
    with pytest.raises(StopIteration) as raised:
        next(coroutine)
    assert raised.value.value == b"spam\n"
    assert reader.buffer == b"eg"


def test_read_line_not_enough_data() -> None:
    reader = StreamReader()
    reader.feed_data(b"spa")
    reader.feed_eof()
    with pytest.raises(EOFError, match="stream ends after 3 bytes, before end of line"):
        run(reader.read_line(32))


def test_read_line_too_long() -> None:
    reader = StreamReader()
    reader.feed_data(b"spam\neggs\n")
    with pytest.raises(
        RuntimeError, match="read 5 bytes, expected no more than 2 bytes"
    ):
        run(reader.read_line(2))


def test_read_line_too_long_need_more_data() -> None:
    reader = StreamReader()
    reader.feed_data(b"spa")
    with pytest.raises(ValueError, match="read 3 bytes, expected no more than 2 bytes"):
        run(reader.read_line(2, ValueError))


def test_read_exact() -> None:
    reader = StreamReader()
    reader.feed_data(b"spameggs")
    assert run(reader.read_exact(4)) == b"spam"
    assert run(reader.read_exact(4)) == b"eggs"


def test_read_exact_need_more_data() -> None:
    reader = StreamReader()
    reader.feed_data(b"spa")
    coroutine = reader.read_exact(4)
    waits(coroutine)
    reader.feed_data(b"meg")
    with pytest.raises(StopIteration) as raised:
        next(coroutine)
    assert raised.value.value == b"spam"
    assert reader.buffer == b"eg"


def test_read_exact_not_enough_data() -> None:
    reader = StreamReader()
    reader.feed_data(b"spa")
    reader.feed_eof()
    with pytest.raises(EOFError, match="stream ends after 3 bytes, expected 4 bytes"):
        run(reader.read_exact(4))


def test_read_to_eof() -> None:
    reader = StreamReader()
    coroutine = reader.read_to_eof(32)
    reader.feed_data(b"spam")
    waits(coroutine)
    reader.feed_eof()
    with pytest.raises(StopIteration) as raised:
        next(coroutine)
    assert raised.value.value == b"spam"
    assert reader.buffer == b""


def test_read_to_eof_at_eof() -> None:
    reader = StreamReader()
    reader.feed_eof()
    assert run(reader.read_to_eof(32)) == b""


def test_read_to_eof_too_long() -> None:
    reader = StreamReader()
    coroutine = reader.read_to_eof(2)
    reader.feed_data(b"spam")
    with pytest.raises(
        RuntimeError, match="read 4 bytes, expected no more than 2 bytes"
    ):
        next(coroutine)


def test_read_to_eof_too_long_at_eof() -> None:
    reader = StreamReader()
    reader.feed_data(b"spam")
    reader.feed_eof()
    with pytest.raises(ValueError, match="read 4 bytes, expected no more than 2 bytes"):
        run(reader.read_to_eof(2, ValueError))


def test_at_eof_after_feed_data() -> None:
    reader = StreamReader()
    coroutine = reader.at_eof()
    waits(coroutine)
    reader.feed_data(b"spam")
    with pytest.raises(StopIteration) as raised:
        next(coroutine)
    assert raised.value.value is False


def test_at_eof_after_feed_eof() -> None:
    reader = StreamReader()
    coroutine = reader.at_eof()
    waits(coroutine)
    reader.feed_eof()
    with pytest.raises(StopIteration) as raised:
        next(coroutine)
    assert raised.value.value is True


def test_feed_data_after_feed_eof() -> None:
    reader = StreamReader()
    reader.feed_eof()
    with pytest.raises(EOFError, match="stream ended"):
        reader.feed_data(b"spam")


def test_feed_eof_after_feed_eof() -> None:
    reader = StreamReader()
    reader.feed_eof()
    with pytest.raises(EOFError, match="stream ended"):
        reader.feed_eof()


def test_discard() -> None:
    reader = StreamReader()
    reader.feed_data(b"spam")
    reader.discard()
    assert reader.buffer == b""
    assert not reader.eof


@settings(deadline=None)
@given(
    lines=st.lists(st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"") + b"\n")),
    cuts=st.lists(st.integers(min_value=0, max_value=400)),
)
def test_read_line_any_chunking(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(lines)
    points = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    chunks = [data[a:b] for a, b in zip(points, points[1:], strict=False)]
    reader = StreamReader()
    result: list[bytes] = []
    coroutine = reader.read_line(64)
    for chunk in chunks:
        reader.feed_data(chunk)
        while True:
            try:
                next(coroutine)
            except StopIteration as exc:
                result.append(bytes(exc.value))
                coroutine = reader.read_line(64)
            else:
                break
    assert result == lines

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TypeVar

from ws_frames.streams import StreamReader


T = TypeVar("T")


class NeedMoreData(Exception):
    """The parser is waiting for bytes that were never fed."""


def drive(
    make_parser: Callable[[StreamReader], Generator[None, None, T]],
    chunks: Sequence[bytes],
    eof: bool = False,
) -> T:
    """
    Run a generator-based parser, feeding ``chunks`` one at a time.

    Raise :exc:`NeedMoreData` if the parser doesn't finish.

    """
    reader = StreamReader()
    parser = make_parser(reader)
    try:
        next(parser)
        for chunk in chunks:
            reader.feed_data(chunk)
            next(parser)
        if eof:
            reader.feed_eof()
            next(parser)
    except StopIteration as exc:
        return exc.value  # type: ignore[no-any-return]
    raise NeedMoreData


def split(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """Split ``data`` at the given offsets."""
    bounds = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    chunks = []
    start = 0
    for bound in bounds:
        chunks.append(data[start:bound])
        start = bound
    chunks.append(data[start:])
    return chunks

"""Bytes received, waiting for a generator-based parser to read them."""

from __future__ import annotations

from collections.abc import Generator


__all__ = ["StreamReader"]


class StreamReader:
    """
    Buffer between the network and the parsers of the sans-I/O protocols.

    The ``read_*`` methods are generator-based coroutines: a parser reads
    with ``yield from``, and they yield until :meth:`feed_data` or
    :meth:`feed_eof` brings what they wait for. One read at a time: a second
    parser reading concurrently would get interleaved bytes.

    Attributes:
        buffer: Bytes fed and not read yet. The data-transfer parser of
            :class:`~ws_frames.protocol.Protocol` decodes frames in place.
        eof: Whether :meth:`feed_eof` was called.

    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.eof = False

    def _take(self, size: int) -> bytearray:
        taken = self.buffer[:size]
        del self.buffer[:size]
        return taken

    @staticmethod
    def _limit(size: int, limit: int, exc_type: type[Exception]) -> None:
        if size > limit:
            raise exc_type(f"read {size} bytes, expected no more than {limit} bytes")

    def read_line(
        self,
        m: int,
        too_long_exc_type: type[Exception] = RuntimeError,
    ) -> Generator[None, None, bytearray]:
        """
        Read up to and including the next LF.

        Args:
            m: Most bytes that the line may take, LF included: a limit on
                what a peer may make us buffer.
            too_long_exc_type: Exception raised when the line goes beyond
                ``m``, as soon as that's known.

        Raises:
            EOFError: If the stream ends before a LF.

        """
        # Bytes before this one are known to hold no LF: don't search again.
        searched = 0
        while (newline := self.buffer.find(b"\n", searched)) < 0:
            searched = len(self.buffer)
            self._limit(searched, m, too_long_exc_type)
            if self.eof:
                raise EOFError(
                    f"stream ends after {searched} bytes, before end of line"
                )
            yield
        self._limit(newline + 1, m, too_long_exc_type)
        return self._take(newline + 1)

    def read_exact(self, n: int) -> Generator[None, None, bytearray]:
        """
        Read ``n`` bytes.

        Raises:
            EOFError: If the stream ends before ``n`` bytes.

        """
        while (size := len(self.buffer)) < n:
            if self.eof:
                raise EOFError(f"stream ends after {size} bytes, expected {n} bytes")
            yield
        return self._take(n)

    def read_to_eof(
        self,
        m: int,
        too_long_exc_type: type[Exception] = RuntimeError,
    ) -> Generator[None, None, bytearray]:
        """
        Read everything until the end of the stream.

        Args:
            m: Most bytes that the stream may hold: a limit on what a peer
                may make us buffer.
            too_long_exc_type: Exception raised when the stream goes beyond
                ``m``, as soon as that's known.

        """
        while True:
            self._limit(len(self.buffer), m, too_long_exc_type)
            if self.eof:
                return self._take(len(self.buffer))
            yield

    def at_eof(self) -> Generator[None, None, bool]:
        """
        Wait for bytes or for the end of the stream, and tell which came.

        Returns:
            :obj:`True` if the stream ended and every byte was read.

        """
        while not self.buffer:
            if self.eof:
                return True
            yield
        return False

    def _before_eof(self) -> None:
        if self.eof:
            raise EOFError("stream ended")

    def feed_data(self, data: bytes | bytearray) -> None:
        """
        Add bytes received to the buffer.

        Raises:
            EOFError: After :meth:`feed_eof`.

        """
        self._before_eof()
        self.buffer += data

    def feed_eof(self) -> None:
        """
        Record the end of the stream.

        Raises:
            EOFError: If it was already recorded.

        """
        self._before_eof()
        self.eof = True

    def discard(self) -> None:
        """Drop the bytes in the buffer; the stream goes on."""
        del self.buffer[:]

"""Buffer for the generator-based parsers of the opening handshake and frames."""

from __future__ import annotations

from collections.abc import Generator


__all__ = ["StreamReader"]


class StreamReader:
    """
    Generator-based stream reader.

    This class doesn't support concurrent calls to :meth:`read_line`,
    :meth:`read_exact`, or :meth:`read_to_eof`. Make sure calls are
    serialized.

    Attributes:
        buffer: Bytes received and not read yet. The data-transfer parser of
            :class:`~ws_frames.protocol.Protocol` reads frames straight from
            it.
        eof: Whether the end of the stream was received.

    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.eof = False

    def read_line(
        self,
        m: int,
        too_long_exc_type: type[Exception] = RuntimeError,
    ) -> Generator[None, None, bytearray]:
        """
        Read a LF-terminated line from the stream.

        This is a generator-based coroutine. The return value includes the LF
        character.

        Args:
            m: Maximum number bytes to read; this is a security limit.
            too_long_exc_type: Exception to raise if the line ends in more
                than ``m`` bytes; defaults to :exc:`RuntimeError`.

        Raises:
            EOFError: If the stream ends without a LF.
            RuntimeError: If the line ends in more than ``m`` bytes (or
                ``too_long_exc_type`` when given).

        """
        searched = 0  # bytes already known not to contain a LF
        while True:
            end = self.buffer.find(b"\n", searched) + 1
            if end > 0:
                break
            searched = len(self.buffer)
            if searched > m:
                raise too_long_exc_type(
                    f"read {searched} bytes, expected no more than {m} bytes"
                )
            if self.eof:
                raise EOFError(
                    f"stream ends after {searched} bytes, before end of line"
                )
            yield
        if end > m:
            raise too_long_exc_type(
                f"read {end} bytes, expected no more than {m} bytes"
            )
        line = self.buffer[:end]
        del self.buffer[:end]
        return line

    def read_exact(self, n: int) -> Generator[None, None, bytearray]:
        """
        Read a given number of bytes from the stream.

        This is a generator-based coroutine.

        Args:
            n: How many bytes to read.

        Raises:
            EOFError: If the stream ends in less than ``n`` bytes.

        """
        assert n >= 0
        while len(self.buffer) < n:
            if self.eof:
                size = len(self.buffer)
                raise EOFError(f"stream ends after {size} bytes, expected {n} bytes")
            yield
        data = self.buffer[:n]
        del self.buffer[:n]
        return data

    def read_to_eof(
        self,
        m: int,
        too_long_exc_type: type[Exception] = RuntimeError,
    ) -> Generator[None, None, bytearray]:
        """
        Read all bytes from the stream.

        This is a generator-based coroutine.

        Args:
            m: Maximum number bytes to read; this is a security limit.
            too_long_exc_type: Exception to raise if the stream ends in more
                than ``m`` bytes; defaults to :exc:`RuntimeError`.

        Raises:
            RuntimeError: If the stream ends in more than ``m`` bytes (or
                ``too_long_exc_type`` when given).

        """
        while not self.eof:
            size = len(self.buffer)
            if size > m:
                raise too_long_exc_type(
                    f"read {size} bytes, expected no more than {m} bytes"
                )
            yield
        size = len(self.buffer)
        if size > m:
            raise too_long_exc_type(
                f"read {size} bytes, expected no more than {m} bytes"
            )
        data = self.buffer[:]
        del self.buffer[:]
        return data

    def at_eof(self) -> Generator[None, None, bool]:
        """
        Tell whether the stream has ended and all data was read.

        This is a generator-based coroutine: it waits until there is either
        data to read or the end of the stream.

        """
        while True:
            if self.buffer:
                return False
            if self.eof:
                return True
            # All data was read but the stream hasn't ended: wait for either.
            yield

    def feed_data(self, data: bytes | bytearray) -> None:
        """
        Write data to the stream.

        :meth:`feed_data` cannot be called after :meth:`feed_eof`.

        Args:
            data: Data to write.

        Raises:
            EOFError: If the stream has ended.

        """
        if self.eof:
            raise EOFError("stream ended")
        self.buffer += data

    def feed_eof(self) -> None:
        """
        End the stream.

        :meth:`feed_eof` cannot be called more than once.

        Raises:
            EOFError: If the stream has ended.

        """
        if self.eof:
            raise EOFError("stream ended")
        self.eof = True

    def discard(self) -> None:
        """Discard all buffered data, but don't end the stream."""
        del self.buffer[:]

"""Helpers for the threading implementation."""

from __future__ import annotations

import time


__all__ = ["Deadline"]


class Deadline:
    """
    Manage a time budget shared by several blocking operations.

    Opening a connection resolves a name, connects a socket, negotiates TLS
    and runs the opening handshake; ``open_timeout`` bounds all of them
    together, so each step asks the deadline how much time remains.

    Args:
        timeout: Time available in seconds or :obj:`None` for no limit.

    """

    def __init__(self, timeout: float | None) -> None:
        self.deadline: float | None
        if timeout is None:
            self.deadline = None
        else:
            self.deadline = time.monotonic() + timeout

    def timeout(self, *, raise_if_elapsed: bool = True) -> float | None:
        """
        Calculate a timeout from the deadline.

        Args:
            raise_if_elapsed: Whether to raise :exc:`TimeoutError` when the
                deadline has passed.

        Returns:
            The time remaining in seconds, or :obj:`None` for no limit.

        Raises:
            TimeoutError: If the deadline has passed and ``raise_if_elapsed``
                is set.

        """
        if self.deadline is None:
            return None
        remaining = self.deadline - time.monotonic()
        if raise_if_elapsed and remaining <= 0:
            raise TimeoutError("timed out")
        return remaining

"""Small helpers of the threading layer."""

from __future__ import annotations

import time


__all__ = ["Deadline"]


class Deadline:
    """
    A moment in time that several blocking steps must meet together.

    ``open_timeout``, for example, covers resolving the name, connecting,
    negotiating TLS and the opening handshake: each step asks how much time is
    left rather than getting the whole budget again.

    Args:
        timeout: Seconds from now; :obj:`None` sets no limit.

    """

    def __init__(self, timeout: float | None) -> None:
        self.deadline: float | None = (
            None if timeout is None else time.monotonic() + timeout
        )

    def timeout(self, *, raise_if_elapsed: bool = True) -> float | None:
        """
        Return the seconds left, negative once the deadline has passed, or
        :obj:`None` when there's no limit.

        Raises:
            TimeoutError: If the deadline has passed and ``raise_if_elapsed``
                is set.

        """
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0 and raise_if_elapsed:
            raise TimeoutError("timed out")
        return left

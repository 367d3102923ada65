"""
Time-out helpers that behave the same on every supported Python version.

``asyncio.timeout`` and ``asyncio.timeout_at`` appeared in Python 3.11; on
3.10 this module provides equivalents with the same semantics for the way this
package uses them: the block is cancelled when the deadline passes and the
cancellation surfaces as :exc:`TimeoutError`.

"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


__all__ = ["asyncio_timeout", "asyncio_timeout_at"]


if sys.version_info >= (3, 11):  # pragma: no branch

    def asyncio_timeout(delay: float | None) -> asyncio.Timeout:
        """Cancel the enclosed block after ``delay`` seconds (``None``: never)."""
        return asyncio.timeout(delay)

    def asyncio_timeout_at(when: float | None) -> asyncio.Timeout:
        """Cancel the enclosed block at loop time ``when`` (``None``: never)."""
        return asyncio.timeout_at(when)

else:  # pragma: no cover

    @asynccontextmanager
    async def asyncio_timeout_at(when: float | None) -> AsyncIterator[None]:
        if when is None:
            yield
            return
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        handle = loop.call_at(when, expire)
        try:
            yield
        except asyncio.CancelledError as exc:
            if expired:
                raise TimeoutError from exc
            raise
        finally:
            handle.cancel()

    def asyncio_timeout(delay: float | None) -> AsyncIterator[None]:  # type: ignore[misc]
        if delay is None:
            return asyncio_timeout_at(None)
        return asyncio_timeout_at(asyncio.get_running_loop().time() + delay)

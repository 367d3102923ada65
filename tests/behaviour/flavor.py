"""
The interface that the shared behaviour tests drive, once per I/O flavour.

Every behaviour of the asyncio and threading layers is written once, as an
``async`` test against :class:`Flavor` and :class:`Conn`, and runs against
both implementations:

* ``flavor_asyncio.py`` maps it onto :mod:`ws_asyncio` directly;
* ``flavor_sync.py`` maps it onto :mod:`ws_sync`, running each blocking call
  in a worker thread (``asyncio.to_thread``) and each server handler in its own
  event loop inside the connection's thread.

Tests receive a ``flavor`` fixture (see conftest.py) and run their coroutine
with :func:`run`, which bounds it in time.

"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, Protocol, TypeVar

from ws_frames.typing import DataLike


T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0


def run(coro: Coroutine[Any, Any, T], timeout: float = DEFAULT_TIMEOUT) -> T:
    """Run a behaviour test's coroutine to completion, within ``timeout``."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class Mailbox(Generic[T]):
    """
    A queue from a handler to the test, whatever loop or thread each runs in.

    Server handlers of the sync flavour run in their own event loop in
    another thread, where :class:`asyncio.Queue` doesn't work.

    """

    def __init__(self) -> None:
        self.queue: queue.Queue[T] = queue.Queue()

    async def put(self, item: T) -> None:
        self.queue.put(item)

    async def get(self, timeout: float = 5) -> T:
        return await asyncio.to_thread(self.queue.get, timeout=timeout)


class Conn(Protocol):
    """A client or server connection, whichever the flavour."""

    @property
    def raw(self) -> Any:
        """The underlying connection object of the flavour."""

    @property
    def close_code(self) -> int | None: ...

    @property
    def close_reason(self) -> str | None: ...

    @property
    def subprotocol(self) -> str | None: ...

    @property
    def request(self) -> Any: ...

    @property
    def response(self) -> Any: ...

    @property
    def local_address(self) -> Any: ...

    @property
    def remote_address(self) -> Any: ...

    async def send(
        self,
        message: DataLike | Iterable[DataLike],
        text: bool | None = None,
    ) -> None: ...

    async def recv(
        self, timeout: float | None = None, decode: bool | None = None
    ) -> str | bytes:
        """Receive a message; ``TimeoutError`` when ``timeout`` elapses."""

    async def recv_streaming(self, decode: bool | None = None) -> list[str | bytes]:
        """Receive the fragments of the next message."""

    def messages(self) -> AsyncIterator[str | bytes]:
        """Iterate over incoming messages until the connection closes normally."""

    async def ping(self, data: DataLike | None = None) -> float:
        """Send a ping, wait for the pong, return the latency in seconds."""

    async def pong(self, data: DataLike = b"") -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...

    async def wait_closed(self) -> None: ...


Handler = Callable[[Conn], Awaitable[None]]


class Server(Protocol):
    @property
    def uri(self) -> str:
        """``ws://host:port`` (or ``wss://``) of the listening socket."""

    @property
    def raw(self) -> Any: ...

    async def close(self) -> None:
        """Shut the server down, closing open connections with 1001."""


class Flavor(Protocol):
    name: str

    def serve(
        self, handler: Handler, **kwargs: Any
    ) -> AbstractAsyncContextManager[Server]:
        """Serve on 127.0.0.1, an ephemeral port; ``kwargs`` go to ``serve``."""

    def connect(self, uri: str, **kwargs: Any) -> AbstractAsyncContextManager[Conn]:
        """Connect; ``kwargs`` go to ``connect``; close on exit."""

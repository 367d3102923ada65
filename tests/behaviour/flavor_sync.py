"""
The threading flavour of the behaviour tests: :mod:`ws_sync` behind coroutines.

Blocking calls run in worker threads with :func:`asyncio.to_thread`. Each
server connection runs its behaviour handler in its own event loop, inside
the thread that :mod:`ws_sync` starts for the connection.

"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from ws_frames.exceptions import ConnectionClosedOK
from ws_frames.typing import DataLike
from ws_sync.client import connect
from ws_sync.connection import Connection
from ws_sync.server import Server, ServerConnection, serve

from .flavor import Conn, Handler


class SyncConn:
    """:class:`~tests.behaviour.flavor.Conn` over a ws_sync connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @property
    def raw(self) -> Any:
        return self.connection

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    @property
    def close_reason(self) -> str | None:
        return self.connection.close_reason

    @property
    def subprotocol(self) -> str | None:
        return self.connection.subprotocol

    @property
    def request(self) -> Any:
        return self.connection.request

    @property
    def response(self) -> Any:
        return self.connection.response

    @property
    def local_address(self) -> Any:
        return self.connection.local_address

    @property
    def remote_address(self) -> Any:
        return self.connection.remote_address

    async def send(
        self,
        message: DataLike | Iterable[DataLike],
        text: bool | None = None,
    ) -> None:
        await asyncio.to_thread(self.connection.send, message, text=text)

    async def recv(
        self, timeout: float | None = None, decode: bool | None = None
    ) -> str | bytes:
        return await asyncio.to_thread(self.connection.recv, timeout, decode)

    async def recv_streaming(self, decode: bool | None = None) -> list[str | bytes]:
        return await asyncio.to_thread(
            lambda: list(self.connection.recv_streaming(decode))
        )

    async def messages(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                message = await asyncio.to_thread(self.connection.recv)
            except ConnectionClosedOK:
                return
            yield message

    async def ping(self, data: DataLike | None = None) -> float:
        pong_received = await asyncio.to_thread(self.connection.ping, data)
        await asyncio.to_thread(pong_received.wait)
        return self.connection.latency

    async def pong(self, data: DataLike = b"") -> None:
        await asyncio.to_thread(self.connection.pong, data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await asyncio.to_thread(self.connection.close, code, reason)

    async def wait_closed(self) -> None:
        await asyncio.to_thread(self.connection.recv_events_thread.join)


class SyncServer:
    def __init__(self, server: Server, secure: bool = False) -> None:
        self.server = server
        self.secure = secure

    @property
    def uri(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"{'wss' if self.secure else 'ws'}://{host}:{port}"

    @property
    def raw(self) -> Any:
        return self.server

    async def close(self) -> None:
        await asyncio.to_thread(self.server.shutdown)


class SyncFlavor:
    name = "sync"

    @asynccontextmanager
    async def serve(self, handler: Handler, **kwargs: Any) -> AsyncIterator[SyncServer]:
        def raw_handler(connection: ServerConnection) -> None:
            async def main() -> None:
                await handler(SyncConn(connection))

            asyncio.run(main())

        secure = kwargs.get("ssl") is not None
        server = await asyncio.to_thread(serve, raw_handler, "127.0.0.1", 0, **kwargs)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        heartbeat = asyncio.create_task(self.heartbeat())
        try:
            yield SyncServer(server, secure)
        finally:
            await asyncio.to_thread(server.shutdown)
            await asyncio.to_thread(thread.join)
            heartbeat.cancel()

    @staticmethod
    async def heartbeat() -> None:
        """
        Wake up the test's event loop periodically.

        Handlers run in other event loops, in other threads. When they hand
        results to the test through asyncio primitives of the test's loop,
        like :class:`asyncio.Queue`, the wake-up is scheduled without waking
        up the loop's selector; this makes the loop notice it soon.

        """
        while True:
            await asyncio.sleep(0.005)

    @asynccontextmanager
    async def connect(self, uri: str, **kwargs: Any) -> AsyncIterator[Conn]:
        connection = await asyncio.to_thread(connect, uri, **kwargs)
        # Like `with connect(...) as connection:`, which tells __exit__ how
        # the block ended.
        try:
            yield SyncConn(connection)
        except BaseException as exc:
            await asyncio.to_thread(
                connection.__exit__, type(exc), exc, exc.__traceback__
            )
            raise
        await asyncio.to_thread(connection.__exit__, None, None, None)


FLAVOR = SyncFlavor()

"""The asyncio flavour of the behaviour tests: :mod:`ws_asyncio` as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from ws_asyncio.client import ClientConnection, connect
from ws_asyncio.compatibility import asyncio_timeout
from ws_asyncio.connection import Connection
from ws_asyncio.server import Server, ServerConnection, serve
from ws_frames.typing import DataLike

from .flavor import Conn, Handler


class AsyncioConn:
    """:class:`~tests.behaviour.flavor.Conn` over a ws_asyncio connection."""

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
        await self.connection.send(message, text=text)

    async def recv(
        self, timeout: float | None = None, decode: bool | None = None
    ) -> str | bytes:
        async with asyncio_timeout(timeout):
            return await self.connection.recv(decode)

    async def recv_streaming(self, decode: bool | None = None) -> list[str | bytes]:
        return [fragment async for fragment in self.connection.recv_streaming(decode)]

    async def messages(self) -> AsyncIterator[str | bytes]:
        async for message in self.connection:
            yield message

    async def ping(self, data: DataLike | None = None) -> float:
        pong_waiter = await self.connection.ping(data)
        return await pong_waiter

    async def pong(self, data: DataLike = b"") -> None:
        await self.connection.pong(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.connection.close(code, reason)

    async def wait_closed(self) -> None:
        await self.connection.wait_closed()


class AsyncioServer:
    def __init__(self, server: Server, secure: bool = False) -> None:
        self.server = server
        self.secure = secure

    @property
    def uri(self) -> str:
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"{'wss' if self.secure else 'ws'}://{host}:{port}"

    @property
    def raw(self) -> Any:
        return self.server

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


class AsyncioFlavor:
    name = "asyncio"

    @asynccontextmanager
    async def serve(
        self, handler: Handler, **kwargs: Any
    ) -> AsyncIterator[AsyncioServer]:
        async def raw_handler(connection: ServerConnection) -> None:
            await handler(AsyncioConn(connection))

        secure = kwargs.get("ssl") is not None
        async with serve(raw_handler, "127.0.0.1", 0, **kwargs) as server:
            yield AsyncioServer(server, secure)

    @asynccontextmanager
    async def connect(self, uri: str, **kwargs: Any) -> AsyncIterator[Conn]:
        connection: ClientConnection
        async with connect(uri, **kwargs) as connection:
            yield AsyncioConn(connection)


FLAVOR = AsyncioFlavor()

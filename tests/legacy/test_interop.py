"""The legacy API against the new asyncio API, both ways."""

from __future__ import annotations

import pytest

from ws_asyncio.client import connect as new_connect
from ws_asyncio.connection import Connection
from ws_asyncio.legacy.client import connect as legacy_connect
from ws_asyncio.legacy.server import WebSocketServerProtocol
from ws_asyncio.server import ServerConnection, serve as new_serve
from ws_frames.exceptions import ConnectionClosedOK
from ws_frames.typing import Subprotocol

from .utils import async_test, get_uri, legacy_server


async def new_echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


@async_test
async def test_legacy_client_new_server() -> None:
    async with new_serve(
        new_echo, "127.0.0.1", 0, subprotocols=[Subprotocol("chat")]
    ) as server:
        port = server.sockets[0].getsockname()[1]
        async with legacy_connect(
            f"ws://127.0.0.1:{port}/", subprotocols=[Subprotocol("chat")]
        ) as websocket:
            assert websocket.subprotocol == "chat"
            assert [ext.name for ext in websocket.extensions] == ["permessage-deflate"]
            await websocket.send("text")
            assert await websocket.recv() == "text"
            await websocket.send(b"\x00" * 100_000)
            assert await websocket.recv() == b"\x00" * 100_000
            await websocket.send(["frag", "ments"])
            assert await websocket.recv() == "fragments"
            assert await (await websocket.ping()) >= 0
        assert websocket.close_code == 1000


@async_test
async def test_new_client_legacy_server() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        async for message in websocket:
            await websocket.send(message)
        assert websocket.close_code is None

    async with legacy_server(handler, subprotocols=[Subprotocol("chat")]) as server:
        async with new_connect(
            get_uri(server, "/path"), subprotocols=[Subprotocol("chat")]
        ) as connection:
            assert isinstance(connection, Connection)
            assert connection.subprotocol == "chat"
            await connection.send("text")
            assert await connection.recv() == "text"
            await connection.send(b"\xff" * 100_000)
            assert await connection.recv() == b"\xff" * 100_000
            await connection.send(["frag", "ments"])
            assert await connection.recv() == "fragments"
            assert await (await connection.ping()) >= 0


@async_test
async def test_legacy_server_closes_new_client() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        await websocket.send("bye")
        await websocket.close(1001, "going away")

    async with legacy_server(handler) as server:
        async with new_connect(get_uri(server)) as connection:
            assert await connection.recv() == "bye"
            with pytest.raises(ConnectionClosedOK) as raised:
                await connection.recv()
            assert raised.value.rcvd is not None
            assert raised.value.rcvd.reason == "going away"


@async_test
async def test_new_server_closes_legacy_client() -> None:
    async def handler(connection: ServerConnection) -> None:
        await connection.send("bye")
        await connection.close(1001, "going away")

    async with new_serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with legacy_connect(f"ws://127.0.0.1:{port}/") as websocket:
            assert await websocket.recv() == "bye"
            with pytest.raises(ConnectionClosedOK):
                await websocket.recv()
            assert websocket.close_code == 1001
            assert websocket.close_reason == "going away"

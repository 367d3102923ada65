"""
Per-message control of compression, through the familiar API of both I/O
layers: a size threshold set on the server's factory, and one message sent
uncompressed on purpose.

"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from websockets.asyncio.client import connect as asyncio_connect
from websockets.asyncio.server import ServerConnection, serve as asyncio_serve
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame
from websockets.sync.client import connect as sync_connect
from websockets.sync.server import (
    ServerConnection as SyncServerConnection,
    serve as sync_serve,
)
from ws_deflate.permessage_deflate import get_permessage_deflate


SMALL, LARGE = "x" * 10, "y" * 200
# Below the threshold, above it, and above it but sent uncompressed on purpose.
EXPECTED_RSV1 = [False, True, False]


class RecordingDeflate(PerMessageDeflate):
    """Records whether each data frame received was compressed."""

    compressed: list[bool]

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        if frame.opcode <= 2:
            self.compressed.append(frame.rsv1)
        return super().decode(frame, max_size=max_size)


def record(protocol: Any) -> list[bool]:
    extension = get_permessage_deflate(protocol.extensions)
    assert extension is not None
    extension.__class__ = RecordingDeflate
    compressed: list[bool] = []
    extension.compressed = compressed  # type: ignore[attr-defined]
    return compressed


def server_factory() -> ServerPerMessageDeflateFactory:
    factory = ServerPerMessageDeflateFactory()
    factory.compression_threshold = 100
    return factory


def test_asyncio() -> None:
    async def handler(websocket: ServerConnection) -> None:
        await websocket.recv()  # the client records from now on
        await websocket.send(SMALL)
        await websocket.send(LARGE)
        extension = get_permessage_deflate(websocket.protocol.extensions)
        assert extension is not None
        with extension.uncompressed():
            await websocket.send(LARGE)
        await websocket.wait_closed()

    async def main() -> list[bool]:
        async with asyncio_serve(
            handler, "127.0.0.1", 0, extensions=[server_factory()]
        ) as server:
            port = server.sockets[0].getsockname()[1]
            async with asyncio_connect(f"ws://127.0.0.1:{port}") as websocket:
                compressed = record(websocket.protocol)
                await websocket.send("go")
                assert [await websocket.recv() for _ in range(3)] == [
                    SMALL,
                    LARGE,
                    LARGE,
                ]
        return compressed

    assert asyncio.run(asyncio.wait_for(main(), 10)) == EXPECTED_RSV1


def test_sync() -> None:
    def handler(websocket: SyncServerConnection) -> None:
        websocket.recv()  # the client records from now on
        websocket.send(SMALL)
        websocket.send(LARGE)
        extension = get_permessage_deflate(websocket.protocol.extensions)
        assert extension is not None
        with extension.uncompressed():
            websocket.send(LARGE)
        for _ in websocket:
            pass

    with sync_serve(handler, "127.0.0.1", 0, extensions=[server_factory()]) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            port = server.socket.getsockname()[1]
            with sync_connect(f"ws://127.0.0.1:{port}") as websocket:
                compressed = record(websocket.protocol)
                websocket.send("go")
                assert [websocket.recv(timeout=10) for _ in range(3)] == [
                    SMALL,
                    LARGE,
                    LARGE,
                ]
        finally:
            server.shutdown()
            thread.join(10)
    assert compressed == EXPECTED_RSV1

"""
Adapter for the implementations of the websockets API.

The same code runs this project (``websockets`` is then our meta-package, in
the ``bench`` environment or a ``--previous`` checkout's environment) and
websockets 17.x (in ``.bench/ws17``): which one depends only on the
interpreter. Options are the libraries' defaults (keepalive pings included)
except the message size limit and compression, which every workload sets.

"""

from __future__ import annotations

import importlib.metadata
import threading
from typing import Any

from _harness import (
    Channel,
    ClientRun,
    CoroutineClient,
    Listening,
    ServerStats,
    Tally,
    clock,
)
from _workloads import (
    MAX_MESSAGE,
    CheckFailed,
    Workload,
    binary_payload,
    messages,
)

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.protocol import Protocol, Side
from websockets.sync.client import connect as sync_connect
from websockets.sync.server import (
    ServerConnection as SyncServerConnection,
    serve as sync_serve,
)


def options(workload: Workload) -> dict[str, Any]:
    return {
        "compression": "deflate" if workload.deflate else None,
        "max_size": MAX_MESSAGE,
    }


class Adapter:
    def describe(self) -> dict[str, str]:
        return {
            "module": websockets.__file__ or "",
            "version": importlib.metadata.version("websockets"),
        }

    async def serve(self, workload: Workload, stats: ServerStats) -> Listening:
        if workload.kind == "sync-echo":
            return serve_threads(workload, stats)
        handler = HANDLERS[workload.kind](workload, stats)
        server = await serve(handler, "127.0.0.1", 0, **options(workload))

        async def close() -> None:
            server.close()
            await server.wait_closed()

        return Listening(server.sockets[0].getsockname()[1], close)

    def client(self, workload: Workload, port: int) -> ClientRun:
        if workload.kind == "sync-echo":
            return SyncEchoClient(workload, port)
        if workload.kind == "framing":
            return FramingClient(workload)
        uri = f"ws://127.0.0.1:{port}/"
        settings = options(workload)

        async def dial() -> Channel:
            connection = await connect(uri, **settings)
            return Channel(
                connection.send,
                connection.send,
                connection.recv,
                connection.recv,
                connection.close,
                lambda: connection.close_code == 1000,
            )

        return CoroutineClient(workload, dial)


# Servers: one handler per kind of workload.


def echo_handler(workload: Workload, stats: ServerStats) -> Any:
    async def handler(connection: ServerConnection) -> None:
        stats.live += 1
        stats.opened += 1
        try:
            async for message in connection:
                await connection.send(message)
        finally:
            stats.live -= 1

    return handler


def feed_handler(workload: Workload, stats: ServerStats) -> Any:
    payload = binary_payload(workload.size)

    async def handler(connection: ServerConnection) -> None:
        stats.opened += 1
        async for request in connection:
            for _ in range(int(request)):
                await connection.send(payload)

    return handler


def sink_handler(workload: Workload, stats: ServerStats) -> Any:
    expected = binary_payload(workload.size)

    async def handler(connection: ServerConnection) -> None:
        stats.opened += 1
        count = 0
        async for message in connection:
            if isinstance(message, str):
                await connection.send(str(count))
                count = 0
            elif message == expected:
                count += 1
            else:
                stats.fail("the server received a corrupted message")

    return handler


HANDLERS = {
    "echo": echo_handler,
    "open-close": echo_handler,
    "idle": echo_handler,
    "feed": feed_handler,
    "sink": sink_handler,
}


def serve_threads(workload: Workload, stats: ServerStats) -> Listening:
    def handler(connection: SyncServerConnection) -> None:
        stats.opened += 1
        for message in connection:
            connection.send(message)

    server = sync_serve(handler, "127.0.0.1", 0, **options(workload))
    thread = threading.Thread(target=server.serve_forever)
    thread.start()

    async def close() -> None:
        server.shutdown()
        thread.join()

    return Listening(server.socket.getsockname()[1], close)


# Clients that don't fit the coroutine flows.


class SyncEchoClient:
    """The threading client; it blocks the worker's event loop, which is idle."""

    def __init__(self, workload: Workload, port: int) -> None:
        self.workload = workload
        self.uri = f"ws://127.0.0.1:{port}/"
        self.connection: Any = None

    async def prepare(self) -> None:
        self.connection = sync_connect(self.uri, **options(self.workload))

    async def run(self, deadline: float) -> Tally:
        send, recv = self.connection.send, self.connection.recv
        [message] = messages(self.workload)
        batch = self.workload.batch
        tally = Tally()
        while True:
            for _ in range(batch):
                send(message)
                if recv() != message:
                    raise CheckFailed("the echo differs from the message")
            tally.count += batch
            if clock() >= deadline:
                break
        tally.nbytes = tally.count * self.workload.size
        return tally

    async def finish(self) -> None:
        self.connection.close()


class FramingClient:
    """The sans-I/O client protocol framing messages, with no connection."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload

    async def prepare(self) -> None:
        pass

    async def run(self, deadline: float) -> Tally:
        payload = binary_payload(self.workload.size)
        protocol = Protocol(Side.CLIENT, max_size=None)
        protocol.send_binary(payload)
        [frame] = protocol.data_to_send()
        # 2**20 bytes take a 2 + 8 bytes header, then the 4 bytes of the mask.
        if unmask(frame[14:], frame[10:14]) != payload:
            raise CheckFailed("the framed message doesn't unmask to the payload")
        tally = Tally()
        while True:
            for _ in range(8):
                protocol.send_binary(payload)
                protocol.data_to_send()
            tally.count += 8
            if clock() >= deadline:
                break
        tally.nbytes = tally.count * len(payload)
        return tally

    async def finish(self) -> None:
        pass


def unmask(data: bytes, mask: bytes) -> bytes:
    """XOR with the mask, independently of the library under test."""
    size = len(data)
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(
        size, "big"
    )

"""
The reference: asyncio protocols over bare TCP, with no WebSocket at all.

Its echo of 32 bytes is the ceiling of the event loop for the echo-32
workload; its open + close is the cost of a bare TCP connection, and its idle
connections the memory of an asyncio transport.

"""

from __future__ import annotations

import asyncio
import platform
from typing import cast

from _harness import Listening, ServerStats, Tally, clock
from _workloads import CheckFailed, Workload, text_payload


class Adapter:
    def describe(self) -> dict[str, str]:
        return {"version": platform.python_version()}

    async def serve(self, workload: Workload, stats: ServerStats) -> Listening:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: EchoServer(stats), "127.0.0.1", 0)

        async def close() -> None:
            server.close()
            await server.wait_closed()

        return Listening(server.sockets[0].getsockname()[1], close)

    def client(self, workload: Workload, port: int) -> Client:
        return Client(workload, port)


class EchoServer(asyncio.BufferedProtocol):
    """
    Echo what arrives, read with ``recv_into`` into a buffer that stays.

    A buffered protocol spares the allocation of a new ``bytes`` for every
    read, which costs more than the read itself for small messages: this is
    the fastest an asyncio protocol can echo. Connections share the buffer:
    what arrives is copied out before the next read.

    """

    buffer = memoryview(bytearray(2**16))

    def __init__(self, stats: ServerStats) -> None:
        self.stats = stats

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports don't inherit asyncio.Transport: no isinstance.
        self.transport = cast(asyncio.Transport, transport)
        self.stats.live += 1
        self.stats.opened += 1

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        # A copy: the transport may keep what it can't send at once.
        self.transport.write(self.buffer[:nbytes].tobytes())

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.live -= 1


class ClientProtocol(asyncio.BufferedProtocol):
    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.lost: asyncio.Future[Exception | None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.buffer = memoryview(bytearray(2**16))
        self.received = 0
        self.message = b""
        self.remaining = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set_result(exc)

    def echo(self, message: bytes, count: int) -> asyncio.Future[None]:
        self.done = asyncio.get_running_loop().create_future()
        self.message = message
        self.remaining = count
        self.transport.write(message)
        return self.done

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer[self.received :]

    def buffer_updated(self, nbytes: int) -> None:
        self.received += nbytes
        size = len(self.message)
        if self.received < size:
            return
        if self.received > size or self.buffer[:size] != self.message:
            self.done.set_exception(CheckFailed("the echo differs from the message"))
            return
        self.received = 0
        self.remaining -= 1
        if self.remaining:
            self.transport.write(self.message)
        else:
            self.done.set_result(None)

    async def close(self) -> None:
        self.transport.close()
        if await self.lost is not None:
            raise CheckFailed("the connection was lost with an error")


class Client:
    def __init__(self, workload: Workload, port: int) -> None:
        self.workload = workload
        self.port = port
        self.protocols: list[ClientProtocol] = []

    async def dial(self) -> ClientProtocol:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(
            ClientProtocol, "127.0.0.1", self.port
        )
        return protocol

    async def prepare(self) -> None:
        if self.workload.kind == "echo":
            self.protocols = [await self.dial()]

    async def finish(self) -> None:
        protocols, self.protocols = self.protocols, []
        for protocol in protocols:
            await protocol.close()

    async def run(self, deadline: float) -> Tally:
        workload = self.workload
        tally = Tally()
        if workload.kind == "echo":
            [protocol] = self.protocols
            message = text_payload(workload.size).encode()
            while True:
                await protocol.echo(message, workload.batch)
                tally.count += workload.batch
                if clock() >= deadline:
                    break
        elif workload.kind == "open-close":
            counts = await asyncio.gather(
                *[self.open_close(deadline) for _ in range(workload.connections)]
            )
            tally.count = sum(counts)
        elif workload.kind == "idle":
            while len(self.protocols) < workload.connections:
                batch = min(20, workload.connections - len(self.protocols))
                self.protocols.extend(
                    await asyncio.gather(*[self.dial() for _ in range(batch)])
                )
            tally.count = len(self.protocols)
        tally.nbytes = tally.count * workload.size
        return tally

    async def open_close(self, deadline: float) -> int:
        done = 0
        while clock() < deadline:
            protocol = await self.dial()
            await protocol.close()
            done += 1
        return done

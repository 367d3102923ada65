"""Size limits, flow control and peers that stop reading, for every I/O flavour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import pytest

from ws_frames.exceptions import ConnectionClosed, ConnectionClosedError
from ws_frames.frames import Frame, Opcode
from ws_frames.protocol import State
from ws_http.client import ClientProtocol
from ws_http.uri import parse_uri

from .flavor import Conn, Flavor, Mailbox, run


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


async def echo(conn: Conn) -> None:
    async for message in conn.messages():
        await conn.send(message)


class RawClient:
    """A client that completes the opening handshake, then reads only on demand."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        protocol: ClientProtocol,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol = protocol

    async def send_frame(self, frame: Frame) -> None:
        self.protocol.send_frame(frame)
        for data in self.protocol.data_to_send():
            self.writer.write(data)
        await self.writer.drain()


@asynccontextmanager
async def raw_client(uri: str) -> AsyncIterator[RawClient]:
    ws_uri = parse_uri(uri)
    reader, writer = await asyncio.open_connection(ws_uri.host, ws_uri.port)
    protocol = ClientProtocol(ws_uri, max_size=None)
    protocol.send_request(protocol.connect())
    for data in protocol.data_to_send():
        writer.write(data)
    try:
        while protocol.state is State.CONNECTING:
            data = await reader.read(4096)
            assert data, "server closed the connection during the handshake"
            protocol.receive_data(data)
        assert protocol.handshake_exc is None
        yield RawClient(reader, writer, protocol)
    finally:
        writer.close()


# max_size


def test_max_size_at_the_limit_is_accepted(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=1024) as server:
            async with flavor.connect(server.uri, max_size=1024) as conn:
                await conn.send(b"\x00" * 1024)
                assert await conn.recv() == b"\x00" * 1024
                await conn.send("é" * 512)
                assert await conn.recv() == "é" * 512

    run(body())


def test_max_size_on_server(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=1024) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.send(b"\x00" * 1025)
                with pytest.raises(ConnectionClosedError) as raised:
                    await conn.recv()
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 1009

    run(body())


def test_max_size_on_client(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            with suppress(ConnectionClosed):
                await conn.send(b"\x00" * 2048)
            await conn.wait_closed()

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri, max_size=1024) as conn:
                with pytest.raises(ConnectionClosedError) as raised:
                    await conn.recv()
                assert raised.value.sent is not None
                assert raised.value.sent.code == 1009

    run(body())


def test_max_size_counts_every_fragment(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=1024) as server:
            async with flavor.connect(server.uri) as conn:
                with pytest.raises(ConnectionClosedError) as raised:
                    # The server may fail the connection as soon as the second
                    # fragment arrives, before the client finishes sending.
                    await conn.send([b"\x00" * 600, b"\x00" * 600])
                    await conn.recv()
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 1009

    run(body())


def test_max_size_applies_after_decompression(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=2**16) as server:
            async with flavor.connect(server.uri) as conn:
                with pytest.raises(ConnectionClosedError) as raised:
                    # Compresses to about 1 KiB; the server may fail the
                    # connection while the client is still sending it.
                    await conn.send(b"\x00" * 2**20)
                    await conn.recv()
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 1009

    run(body())


def test_max_size_none_disables_limit(flavor: Flavor) -> None:
    async def body() -> None:
        message = b"\x01\x02" * 2**21
        async with flavor.serve(echo, max_size=None, compression=None) as server:
            async with flavor.connect(server.uri, max_size=None) as conn:
                await conn.send(message)
                assert await conn.recv() == message

    run(body())


def test_max_size_message_and_fragment_limits(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=(4096, 1024)) as server:
            async with flavor.connect(server.uri) as conn:
                # Short fragments add up to a long message: accepted.
                await conn.send([b"\x00" * 1000] * 4)
                assert await conn.recv() == b"\x00" * 4000
                # One fragment above the fragment limit: rejected.
                await conn.send(b"\x00" * 2000)
                with pytest.raises(ConnectionClosedError) as raised:
                    await conn.recv()
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 1009

    run(body())


# max_queue


@pytest.mark.parametrize("max_queue", [1, 4, (8, 2), None])
def test_max_queue_loses_nothing(flavor: Flavor, max_queue: object) -> None:
    async def body() -> None:
        count = 200
        received: Mailbox[list[str | bytes]] = Mailbox()

        async def handler(conn: Conn) -> None:
            # Let the queue fill up before reading.
            await conn.recv()
            await asyncio.sleep(0.1)
            messages = [await conn.recv() for _ in range(count)]
            await received.put(messages)

        async with flavor.serve(handler, max_queue=max_queue) as server:
            async with flavor.connect(server.uri, max_queue=max_queue) as conn:
                await conn.send("go")
                for index in range(count):
                    await conn.send(str(index))
                assert await received.get() == [str(i) for i in range(count)]

    run(body())


# Peers that stop reading


def test_sending_to_peer_that_stops_reading_doesnt_block_receiving(
    flavor: Flavor,
) -> None:
    async def body() -> None:
        received: Mailbox[str | bytes] = Mailbox()

        async def handler(conn: Conn) -> None:
            async def flood() -> None:
                with suppress(ConnectionClosed):
                    while True:
                        await conn.send(b"\x00" * 2**16)

            task = asyncio.create_task(flood())
            received_message = await conn.recv()
            await received.put(received_message)
            with suppress(ConnectionClosed):
                await conn.recv()
            await task

        async with flavor.serve(handler, compression=None, close_timeout=0.5) as server:
            async with raw_client(server.uri) as client:
                # Give the server time to fill the socket buffers.
                await asyncio.sleep(0.3)
                await client.send_frame(Frame(Opcode.TEXT, b"still listening"))
                assert await received.get() == "still listening"
                # Shutting down completes within the close timeout even though
                # the client never reads the close frame.
                loop = asyncio.get_running_loop()
                start = loop.time()
                await server.close()
                assert loop.time() - start < 5

    run(body())


def test_closing_with_full_queue_is_prompt(flavor: Flavor) -> None:
    async def body() -> None:
        stop = asyncio.Event()
        sent_enough: Mailbox[bool] = Mailbox()

        async def handler(conn: Conn) -> None:
            # Never read, until the test says so; then return, which closes
            # the connection while the incoming queue is full.
            await sent_enough.get()

        async with flavor.serve(
            handler, max_queue=1, compression=None, close_timeout=2
        ) as server:
            async with flavor.connect(
                server.uri, close_timeout=2, compression=None
            ) as conn:

                async def flood() -> None:
                    with suppress(ConnectionClosed):
                        while not stop.is_set():
                            await conn.send(b"\x00" * 2**16)

                task = asyncio.create_task(flood())
                # Sending blocks once the buffers are full.
                await asyncio.sleep(0.3)
                assert not task.done()
                stop.set()
                loop = asyncio.get_running_loop()
                start = loop.time()
                await sent_enough.put(True)
                await asyncio.wait_for(task, 5)
                await conn.wait_closed()
                assert conn.close_code == 1000
                assert loop.time() - start < 1.5

    run(body())

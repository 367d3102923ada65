"""Server shutdown with open connections and handler failures, for every I/O flavour."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import pytest

from ws_frames.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
)

from .flavor import Conn, Flavor, Mailbox, Server, run
from .test_limits import raw_client


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


def test_shutdown_closes_every_connection_with_1001(flavor: Flavor) -> None:
    async def body() -> None:
        codes: Mailbox[int | None] = Mailbox()
        ready: Mailbox[bool] = Mailbox()

        async def handler(conn: Conn) -> None:
            await ready.put(True)
            with pytest.raises(ConnectionClosedOK):
                await conn.recv()
            await codes.put(conn.close_code)

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as first:
                async with flavor.connect(server.uri) as second:
                    for _ in range(2):
                        await ready.get()
                    await server.close()
                    for conn in (first, second):
                        with pytest.raises(ConnectionClosedOK):
                            await conn.recv()
                        assert conn.close_code == 1001
            assert [await codes.get(), await codes.get()] == [1001, 1001]

    run(body())


def test_messages_sent_before_shutdown_are_delivered(flavor: Flavor) -> None:
    async def body() -> None:
        ready: Mailbox[bool] = Mailbox()

        async def handler(conn: Conn) -> None:
            for index in range(10):
                await conn.send(str(index))
            await ready.put(True)
            await conn.wait_closed()

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                await ready.get()
                await server.close()
                assert [message async for message in conn.messages()] == [
                    str(index) for index in range(10)
                ]
                assert conn.close_code == 1001

    run(body())


def test_no_connections_after_shutdown(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            uri = server.uri
            await server.close()
            with pytest.raises(OSError):
                async with flavor.connect(uri, open_timeout=2):
                    pass  # pragma: no cover

    run(body())


def test_shutdown_is_idempotent(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri) as conn:
                await server.close()
                await server.close()
                await conn.wait_closed()
                assert conn.close_code == 1001

    run(body())


def test_shutdown_with_unresponsive_client(flavor: Flavor) -> None:
    async def body() -> None:
        ready: Mailbox[bool] = Mailbox()

        async def handler(conn: Conn) -> None:
            await ready.put(True)
            with suppress(ConnectionClosed):
                await conn.recv()

        async with flavor.serve(handler, close_timeout=0.2) as server:
            async with raw_client(server.uri):
                await ready.get()
                loop = asyncio.get_running_loop()
                start = loop.time()
                # The client never answers the close frame.
                await server.close()
                assert loop.time() - start < 3

    run(body())


REQUEST = (
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


@asynccontextmanager
async def accepted_client(
    server: Server,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """Open a TCP connection and wait until the server has accepted it."""
    host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        while not server.raw.all_connections:
            await asyncio.sleep(0.01)
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def shutdown_started(server: Server) -> None:
    """Wait until the shutdown of the server has begun."""

    def started() -> bool:
        raw = server.raw
        if hasattr(raw, "socket_closed"):  # ws_sync
            return bool(raw.socket_closed.is_set())
        return raw.close_task is not None  # ws_asyncio

    while not started():
        await asyncio.sleep(0.01)


def test_request_during_shutdown_gets_503(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait, open_timeout=5) as server:
            async with accepted_client(server) as (reader, writer):
                closing = asyncio.create_task(server.close())
                await shutdown_started(server)
                # The client was accepted before the shutdown and sends its
                # request during it.
                writer.write(REQUEST)
                answer = await asyncio.wait_for(reader.read(), 5)
                assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
                assert answer.endswith(b"\r\n\r\nServer is shutting down.\n")
                writer.close()
                await asyncio.wait_for(closing, 5)

    run(body())


def test_shutdown_gives_silent_clients_until_open_timeout(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait, open_timeout=1) as server:
            async with accepted_client(server) as (reader, _):
                loop = asyncio.get_running_loop()
                start = loop.time()
                await server.close()
                # Its request could be on the way: the client isn't dropped
                # before open_timeout.
                assert 0.5 < loop.time() - start < 3
                assert await asyncio.wait_for(reader.read(), 5) == b""

    run(body())


def test_handler_exception_is_logged_and_closes_with_1011(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.recv()
            raise ValueError("handler failed on purpose")

        with caplog.at_level(logging.ERROR, logger="websockets.server"):
            async with flavor.serve(handler) as server:
                async with flavor.connect(server.uri) as conn:
                    await conn.send("trigger")
                    with pytest.raises(ConnectionClosedError) as raised:
                        await conn.recv()
                    assert raised.value.rcvd is not None
                    assert raised.value.rcvd.code == 1011
                # Other connections aren't affected.
                async with flavor.connect(server.uri) as conn:
                    await conn.send("again")
                    with pytest.raises(ConnectionClosedError):
                        await conn.recv()

        records = [
            record
            for record in caplog.records
            if record.exc_info is not None
            and isinstance(record.exc_info[1], ValueError)
        ]
        assert len(records) == 2
        assert all(record.levelno == logging.ERROR for record in records)

    run(body())


def test_handler_that_ignores_closing_still_finishes(flavor: Flavor) -> None:
    async def body() -> None:
        finished: Mailbox[bool] = Mailbox()
        ready: Mailbox[bool] = Mailbox()

        async def handler(conn: Conn) -> None:
            await ready.put(True)
            try:
                async for _ in conn.messages():
                    pass  # pragma: no cover
            finally:
                await finished.put(True)

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri):
                await ready.get()
                await server.close()
                assert await finished.get() is True

    run(body())

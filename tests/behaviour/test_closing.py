"""The closing handshake and connection termination, for every I/O flavour."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from ws_frames.exceptions import ConnectionClosedError, ConnectionClosedOK
from ws_frames.protocol import CONNECTING
from ws_http.http11 import Request
from ws_http.server import ServerProtocol

from .flavor import Conn, Flavor, Mailbox, run


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


def test_client_close_code_and_reason_reach_server(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[tuple[int | None, str | None]] = Mailbox()

        async def handler(conn: Conn) -> None:
            with pytest.raises(ConnectionClosedOK):
                await conn.recv()
            await seen.put((conn.close_code, conn.close_reason))

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.close(1001, "going away")
                assert conn.close_code == 1001
                assert conn.close_reason == "going away"
            assert await seen.get() == (1001, "going away")

    run(body())


def test_handler_return_closes_with_1000(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.send("bye")

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                assert await conn.recv() == "bye"
                with pytest.raises(ConnectionClosedOK):
                    await conn.recv()
                assert conn.close_code == 1000

    run(body())


def test_handler_exception_closes_with_1011(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            raise RuntimeError("handler bug")

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                with pytest.raises(ConnectionClosedError) as raised:
                    await conn.recv()
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 1011
                assert conn.close_code == 1011

    run(body())


def test_exception_in_client_block_closes_with_1011(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[int | None] = Mailbox()

        async def handler(conn: Conn) -> None:
            with pytest.raises(ConnectionClosedError):
                await conn.recv()
            await seen.put(conn.close_code)

        async with flavor.serve(handler) as server:
            with pytest.raises(LookupError):
                async with flavor.connect(server.uri):
                    raise LookupError("bug in the client")
            assert await seen.get() == 1011

    run(body())


def test_close_is_idempotent_and_send_after_close_fails(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.close()
                await conn.close()
                await conn.close(1001, "ignored")
                assert conn.close_code == 1000
                with pytest.raises(ConnectionClosedOK):
                    await conn.send("too late")
                with pytest.raises(ConnectionClosedOK):
                    await conn.recv()

    run(body())


def test_close_with_error_code_ends_iteration_with_error(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.send("first")
            await conn.close(4000, "application error")

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                received = []
                with pytest.raises(ConnectionClosedError) as raised:
                    async for message in conn.messages():
                        received.append(message)
                assert received == ["first"]
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 4000
                assert raised.value.rcvd.reason == "application error"

    run(body())


def test_wait_closed_returns_when_peer_closes(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.close()

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.wait_closed()
                assert conn.close_code == 1000

    run(body())


def test_abrupt_client_disconnect(flavor: Flavor) -> None:
    async def body() -> None:
        outcome: Mailbox[BaseException] = Mailbox()

        async def handler(conn: Conn) -> None:
            try:
                await conn.recv()
            except BaseException as exc:
                await outcome.put(exc)
                raise

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                raw = conn.raw
                transport = getattr(raw, "transport", None)
                if transport is not None:
                    transport.abort()
                else:
                    raw.socket.shutdown(socket.SHUT_RDWR)
                exc = await outcome.get()
                assert isinstance(exc, ConnectionClosedError)
                assert exc.rcvd is None

    run(body())


def test_server_close_closes_connections_with_1001(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri) as conn:
                await server.close()
                with pytest.raises(ConnectionClosedOK):
                    await conn.recv()
                assert conn.close_code == 1001

    run(body())


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """
    A server that completes the opening handshake, then reads and ignores
    everything, its client's close frame included, until the client leaves.

    """

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        protocol = ServerProtocol()
        try:
            while protocol.state is CONNECTING:
                data = await reader.read(4096)
                if not data:
                    return
                protocol.receive_data(data)
                for event in protocol.events_received():
                    assert isinstance(event, Request)
                    protocol.send_response(protocol.accept(event))
                for chunk in protocol.data_to_send():
                    writer.write(chunk)
            while await reader.read(4096):
                pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"ws://{host}:{port}"
    finally:
        server.close()


def test_close_timeout_is_the_cause_of_connection_closed(flavor: Flavor) -> None:
    async def body() -> None:
        async with silent_server() as uri:
            async with flavor.connect(uri, close_timeout=0.2) as conn:
                await conn.close()
                assert conn.close_code == 1006
                calls: list[Callable[[], Awaitable[object]]] = [
                    conn.recv,
                    lambda: conn.send("too late"),
                ]
                for call in calls:
                    with pytest.raises(ConnectionClosedError) as raised:
                        await call()
                    assert str(raised.value) == (
                        "sent 1000 (OK); no close frame received"
                    )
                    cause = raised.value.__cause__
                    assert isinstance(cause, TimeoutError)
                    assert str(cause) == "timed out while closing connection"

    run(body())

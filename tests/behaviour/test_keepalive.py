"""Pings, pongs and keepalive, for every I/O flavour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from ws_frames.exceptions import ConnectionClosedError
from ws_frames.frames import OP_PING, Frame
from ws_frames.protocol import CONNECTING
from ws_http.http11 import Request
from ws_http.server import ServerProtocol

from .flavor import Conn, Flavor, run


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


@asynccontextmanager
async def unresponsive_server() -> AsyncIterator[tuple[str, list[bytes]]]:
    """
    A server that completes the opening handshake, then never reads again,
    so it never answers pings; it records the pings it saw before stopping.

    """
    pings: list[bytes] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await accept_then_ignore(reader, writer)
        finally:
            writer.close()

    async def accept_then_ignore(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        protocol = ServerProtocol()
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
        # Read until the first ping to prove that the client sent it, then
        # go silent: no pong, no close, until the client gives up.
        while not pings:
            data = await reader.read(4096)
            if not data:
                return
            protocol.receive_data(data)
            for event in protocol.events_received():
                if isinstance(event, Frame) and event.opcode is OP_PING:
                    pings.append(bytes(event.data))
        await reader.read()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"ws://{host}:{port}", pings
    finally:
        server.close()


def test_ping_returns_latency(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri) as conn:
                latency = await conn.ping()
                assert 0 <= latency < 1
                assert await conn.ping("text payload") >= 0
                assert await conn.ping(b"bytes payload") >= 0
                assert conn.raw.latency > 0 or conn.raw.latency == latency

    run(body())


def test_unsolicited_pong_is_harmless(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.send(await conn.recv())

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.pong(b"heartbeat")
                await conn.pong("heartbeat")
                await conn.send("still works")
                assert await conn.recv() == "still works"

    run(body())


def test_keepalive_measures_latency(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri, ping_interval=0.05) as conn:
                for _ in range(100):
                    if conn.raw.latency > 0:
                        break
                    await asyncio.sleep(0.02)
                assert conn.raw.latency > 0

    run(body())


def test_keepalive_timeout_closes_with_1011(flavor: Flavor) -> None:
    async def body() -> None:
        async with unresponsive_server() as (uri, pings):
            async with flavor.connect(
                uri, ping_interval=0.05, ping_timeout=0.05, close_timeout=0.1
            ) as conn:
                with pytest.raises(ConnectionClosedError) as raised:
                    await conn.recv(timeout=5)
                assert raised.value.sent is not None
                assert raised.value.sent.code == 1011
                assert pings

    run(body())


def test_server_keepalive_keeps_idle_connection_open(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await asyncio.sleep(0.3)
            await conn.send("still here")

        async with flavor.serve(
            handler, ping_interval=0.05, ping_timeout=0.5
        ) as server:
            async with flavor.connect(server.uri) as conn:
                assert await conn.recv(timeout=5) == "still here"

    run(body())

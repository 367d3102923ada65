"""Sending and receiving messages, the same for every I/O flavour."""

from __future__ import annotations

import asyncio

import pytest

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
)

from ..frames.utils import odd_views
from .flavor import Conn, Flavor, run


async def echo(conn: Conn) -> None:
    async for message in conn.messages():
        await conn.send(message)


@pytest.mark.parametrize("compression", ["deflate", None])
def test_echo_text_and_binary(flavor: Flavor, compression: str | None) -> None:
    async def body() -> None:
        async with flavor.serve(echo, compression=compression) as server:
            async with flavor.connect(server.uri, compression=compression) as conn:
                messages: list[str | bytes] = ["", "hé ☕", b"", b"\x00\xff" * 100]
                for message in messages:
                    await conn.send(message)
                    assert await conn.recv() == message

    run(body())


def test_large_messages(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=2**21) as server:
            async with flavor.connect(server.uri, max_size=2**21) as conn:
                for size in [2**10, 2**16, 2**20]:
                    message = bytes(range(256)) * (size // 256)
                    await conn.send(message)
                    assert await conn.recv() == message

    run(body())


def test_text_and_decode_overrides(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.send(b"sent as text", text=True)
                assert await conn.recv() == "sent as text"
                await conn.send("sent as binary", text=False)
                assert await conn.recv() == b"sent as binary"
                await conn.send("decoded or not")
                assert await conn.recv(decode=False) == b"decoded or not"
                await conn.send(b"forced")
                assert await conn.recv(decode=True) == "forced"

    run(body())


def test_fragmented_messages(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            fragments = await conn.recv_streaming()
            await conn.send(["|".join(str(f) for f in fragments)])
            await conn.send([b"a", b"b", b"c"])
            await conn.wait_closed()

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.send(["fra", "gmen", "ted"])
                assert await conn.recv() == "fra|gmen|ted|"
                fragments = await conn.recv_streaming()
                assert b"".join(f for f in fragments if isinstance(f, bytes)) == b"abc"
                assert fragments[:3] == [b"a", b"b", b"c"]

    run(body())


def test_messages_sent_before_close_are_received(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            for i in range(10):
                await conn.send(f"message {i}")
            await conn.close(1000, "done")

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                # Give the server time to send everything and close.
                await asyncio.sleep(0.1)
                received = [message async for message in conn.messages()]
                assert received == [f"message {i}" for i in range(10)]
                assert conn.close_code == 1000
                assert conn.close_reason == "done"
                with pytest.raises(ConnectionClosedOK):
                    await conn.recv()

    run(body())


def test_recv_timeout_loses_nothing(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.recv()
            await conn.send("late")
            await conn.wait_closed()

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri) as conn:
                with pytest.raises(TimeoutError):
                    await conn.recv(timeout=0.05)
                await conn.send("go")
                assert await conn.recv(timeout=5) == "late"

    run(body())


def test_message_too_big_closes_with_1009(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_size=1000) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.send(b"x" * 1000)
                assert await conn.recv() == b"x" * 1000
                await conn.send(b"x" * 1001)
                with pytest.raises(ConnectionClosedError) as raised:
                    await conn.recv()
                assert raised.value.rcvd is not None
                assert raised.value.rcvd.code == 1009

    run(body())


def test_many_messages_in_order(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo, max_queue=4) as server:
            async with flavor.connect(server.uri, max_queue=4) as conn:
                for i in range(200):
                    await conn.send(str(i))
                received = [await conn.recv() for _ in range(200)]
                assert received == [str(i) for i in range(200)]

    run(body())


def test_call_refused_by_protocol_reaches_caller(flavor: Flavor) -> None:
    # The protocol refuses a call with InvalidState without changing its
    # state: the caller gets the exception and the connection goes on.
    async def body() -> None:
        async with flavor.serve(echo) as server:
            async with flavor.connect(server.uri) as conn:
                protocol = conn.raw.protocol

                def refuse(data: object, fin: bool = True) -> None:
                    raise InvalidState("refused by the protocol")

                protocol.send_binary = protocol.send_ping = refuse
                with pytest.raises(InvalidState, match="refused by the protocol"):
                    await conn.send(b"refused")
                with pytest.raises(InvalidState, match="refused by the protocol"):
                    await conn.ping(b"refused")
                del protocol.send_binary, protocol.send_ping
                await conn.send(b"accepted")
                assert await conn.recv() == b"accepted"
                assert await conn.ping(b"refused") >= 0
                await conn.close()
                assert conn.close_code == 1000

    run(body())


@pytest.mark.parametrize("compression", ["deflate", None])
def test_memoryviews_of_any_layout(flavor: Flavor, compression: str | None) -> None:
    # A memoryview with a step, over items larger than a byte, or in several
    # dimensions, goes out as its bytes in order, from either side.
    payload = "café!".encode()

    async def body() -> None:
        async def handler(conn: Conn) -> None:
            for view in odd_views(payload):
                assert await conn.ping(view) >= 0
                await conn.pong(view)
            for view in odd_views(payload):
                await conn.send(view)
                await conn.send(view, text=True)
                await conn.send([view, view])
            await echo(conn)

        async with flavor.serve(handler, compression=compression) as server:
            async with flavor.connect(server.uri, compression=compression) as conn:
                for _ in odd_views(payload):
                    assert await conn.recv() == payload
                    assert await conn.recv() == "café!"
                    assert await conn.recv() == payload * 2
                for view in odd_views(payload):
                    await conn.send(view)
                    assert await conn.recv() == payload
                    await conn.send([view, view], text=True)
                    assert await conn.recv() == "café!café!"
                    assert await conn.ping(view) >= 0

    run(body())


def test_concurrent_reads_are_refused(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server:
            async with flavor.connect(server.uri) as conn:
                first = asyncio.create_task(conn.recv())
                while not conn.raw.recv_messages.get_in_progress:
                    await asyncio.sleep(0.001)
                other = "thread" if flavor.name == "sync" else "coroutine"
                with pytest.raises(ConcurrencyError) as raised:
                    await conn.recv()
                assert str(raised.value) == (
                    f"cannot call recv while another {other} "
                    "is already running recv or recv_streaming"
                )
                with pytest.raises(ConcurrencyError) as raised:
                    await conn.recv_streaming()
                assert str(raised.value) == (
                    f"cannot call recv_streaming while another {other} "
                    "is already running recv or recv_streaming"
                )
                await conn.send("first")
                assert await first == "first"

    run(body())


def test_fragments_of_wrong_types(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server:
            async with flavor.connect(server.uri) as conn:
                # A first fragment of the wrong type is refused before anything
                # goes out: the connection goes on.
                with pytest.raises(TypeError) as raised:
                    await conn.send([1, 2])  # type: ignore[list-item]
                assert str(raised.value) == "iterable must contain bytes or str"
                await conn.send("still open")
                assert await conn.recv() == "still open"
                # A later one can't take back the fragments sent: the
                # connection fails.
                with pytest.raises(TypeError) as raised:
                    await conn.send(["text", b"bytes"])
                assert str(raised.value) == "iterable must contain uniform types"
                with pytest.raises(ConnectionClosedError) as closed:
                    await conn.recv()
                assert closed.value.sent is not None
                assert closed.value.sent.code == 1011
                assert closed.value.sent.reason == "error in fragmented message"

    run(body())

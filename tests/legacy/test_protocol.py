"""Data transfer and closing handshake, with client/server pairs on loopback."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ws_asyncio.legacy.client import WebSocketClientProtocol, connect
from ws_asyncio.legacy.framing import Frame, PayloadTooBig, ProtocolError
from ws_asyncio.legacy.protocol import WebSocketCommonProtocol, broadcast
from ws_asyncio.legacy.server import WebSocketServerProtocol
from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
)
from ws_frames.frames import Close, Opcode
from ws_frames.protocol import State

from .utils import (
    accept_handshake,
    async_test,
    get_uri,
    legacy_server,
    raw_server,
    until,
)


async def read_raw_frame(reader: asyncio.StreamReader) -> Frame:
    return await Frame.read(reader.readexactly, mask=True)


def write_raw_frame(writer: asyncio.StreamWriter, frame: Frame) -> None:
    frame.write(writer.write, mask=False)


@async_test
async def test_send_and_recv_text_and_binary() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.send("café")
            assert await websocket.recv() == "café"
            await websocket.send(b"\x00\xff")
            assert await websocket.recv() == b"\x00\xff"
            await websocket.send(bytearray(b"ba"))
            assert await websocket.recv() == b"ba"
            await websocket.send(memoryview(b"xmvx")[1:3])
            assert await websocket.recv() == b"mv"


@async_test
async def test_send_fragmented_messages() -> None:
    async def fragments() -> AsyncIterator[str]:
        for part in ["a", "é", "z"]:
            await asyncio.sleep(0)
            yield part

    async def no_fragments() -> AsyncIterator[bytes]:
        parts: list[bytes] = []
        for part in parts:  # pragma: no cover
            yield part

    def gen() -> Iterator[bytes | bytearray | memoryview]:
        yield b"1"
        yield bytearray(b"2")
        yield memoryview(b"3")

    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.send(["x", "y"])
            assert await websocket.recv() == "xy"
            await websocket.send(gen())
            assert await websocket.recv() == b"123"
            await websocket.send(fragments())
            assert await websocket.recv() == "aéz"
            # Empty iterables send nothing.
            await websocket.send([])
            await websocket.send(no_fragments())
            await websocket.send("after")
            assert await websocket.recv() == "after"


@async_test
async def test_fragments_are_not_interleaved() -> None:
    gate = asyncio.Event()

    async def slow_fragments() -> AsyncIterator[str]:
        yield "a"
        await gate.wait()
        yield "b"

    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            fragmented = asyncio.create_task(websocket.send(slow_fragments()))
            await until(lambda: websocket._fragmented_message_waiter is not None)
            other = asyncio.create_task(websocket.send("c"))
            await asyncio.sleep(0.01)
            # broadcast() skips a connection sending a fragmented message.
            broadcast([websocket], "skipped")
            assert not other.done()
            gate.set()
            await fragmented
            await other
            assert await websocket.recv() == "ab"
            assert await websocket.recv() == "c"


@async_test
async def test_send_rejects_invalid_types() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            with pytest.raises(TypeError, match="dict-like"):
                await websocket.send({"a": "b"})
            with pytest.raises(TypeError, match="str, bytes-like, or iterable"):
                await websocket.send(42)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="str or bytes-like"):
                await websocket.send([1])  # type: ignore[list-item]
            await websocket.send("still open")
            assert await websocket.recv() == "still open"


@async_test
async def test_inconsistent_fragments_fail_the_connection() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            with pytest.raises(TypeError, match="inconsistent types"):
                await websocket.send(["a", b"b"])
            with pytest.raises(ConnectionClosedError) as raised:
                await websocket.recv()
            assert raised.value.sent == Close(1011, "")

    async def mixed() -> AsyncIterator[str | bytes]:
        yield b"a"
        yield "b"

    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            with pytest.raises(TypeError, match="inconsistent types"):
                await websocket.send(mixed())
            await websocket.wait_closed()
            # Failing the connection stops reading: the peer's echo is ignored.
            assert websocket.close_code == 1006
            assert websocket.close_sent == Close(1011, "")


@async_test
async def test_send_on_closed_connection() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.close()
            with pytest.raises(ConnectionClosedOK):
                await websocket.send("x")
            with pytest.raises(ConnectionClosedOK):
                await websocket.ping()
            with pytest.raises(ConnectionClosedOK):
                await websocket.pong()
            with pytest.raises(ConnectionClosedOK):
                await websocket.recv()


@async_test
async def test_messages_received_before_close_are_delivered() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        for i in range(3):
            await websocket.send(str(i))
        await websocket.close(1000, "bye")

    async with legacy_server(handler) as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.wait_closed()
            assert [await websocket.recv() for _ in range(3)] == ["0", "1", "2"]
            with pytest.raises(ConnectionClosedOK) as raised:
                await websocket.recv()
            assert raised.value.rcvd == Close(1000, "bye")
            assert websocket.close_code == 1000
            assert websocket.close_reason == "bye"


@async_test
async def test_async_iteration() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        await websocket.send("a")
        await websocket.send("b")
        code = int(await websocket.recv())
        await websocket.close(code)

    async with legacy_server(handler) as server:
        async with connect(get_uri(server)) as websocket:
            received = []
            async for message in websocket:
                received.append(message)
                if len(received) == 2:
                    await websocket.send("1001")
            assert received == ["a", "b"]

        async with connect(get_uri(server)) as websocket:
            with pytest.raises(ConnectionClosedError) as raised:
                async for message in websocket:
                    if message == "b":
                        await websocket.send("1011")
            assert raised.value.rcvd is not None
            assert raised.value.rcvd.code == 1011


@async_test
async def test_open_closed_close_code_properties() -> None:
    async with legacy_server() as server:
        websocket = await connect(get_uri(server))
        assert websocket.open
        assert not websocket.closed
        assert websocket.close_code is None
        assert websocket.close_reason is None
        assert websocket.local_address[0] == "127.0.0.1"
        assert websocket.remote_address == list(server.sockets)[0].getsockname()
        await websocket.write_close_frame(Close(4000, "custom"))
        assert not websocket.open
        assert not websocket.closed
        await websocket.close()
        assert websocket.closed
        assert websocket.close_code == 4000
        assert websocket.close_reason == "custom"
        # close() is idempotent.
        await websocket.close()
        await websocket.wait_closed()
        with pytest.raises(ConnectionClosedError):
            await websocket.recv()


def test_addresses_before_connection() -> None:
    async def run() -> None:
        protocol = WebSocketClientProtocol()
        assert protocol.local_address is None
        assert protocol.remote_address is None
        assert protocol.side == "client"
        assert WebSocketCommonProtocol.side == "undefined"
        with pytest.raises(InvalidState):
            await protocol.ensure_open()

    asyncio.run(run())


@async_test
async def test_deprecated_host_port_secure() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            port = list(server.sockets)[0].getsockname()[1]
            with pytest.warns(DeprecationWarning, match="remote_address"):
                assert websocket.host == "127.0.0.1"
            with pytest.warns(DeprecationWarning, match="remote_address"):
                assert websocket.port == port
            with pytest.warns(DeprecationWarning, match="secure"):
                assert websocket.secure is False


@async_test
async def test_ping_and_pong() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            assert websocket.latency == 0
            pong_waiter = await websocket.ping()
            latency = await pong_waiter
            assert latency > 0
            assert websocket.latency == latency

            pong_waiter = await websocket.ping("text")
            assert await pong_waiter > 0
            pong_waiter = await websocket.ping(b"bytes")
            with pytest.raises(ConcurrencyError, match="same data"):
                await websocket.ping(b"bytes")
            await pong_waiter

            # An unsolicited pong is ignored by the peer.
            await websocket.pong("unsolicited")
            await websocket.send("still open")
            assert await websocket.recv() == "still open"


@async_test
async def test_pong_for_later_ping_acknowledges_earlier_pings() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        first = await read_raw_frame(reader)
        second = await read_raw_frame(reader)
        # Answer only the second ping, plus a pong nobody asked for.
        write_raw_frame(writer, Frame(True, Opcode.PONG, b"unknown"))
        write_raw_frame(writer, Frame(True, Opcode.PONG, second.data))
        assert first.opcode == second.opcode == Opcode.PING
        await reader.read()

    async with raw_server(handler) as uri:
        websocket = await connect(uri, compression=None, close_timeout=0.1)
        first_waiter = await websocket.ping(b"1")
        second_waiter = await websocket.ping(b"2")
        assert await first_waiter > 0
        assert await second_waiter > 0
        assert websocket.pings == {}
        websocket.transport.abort()
        await websocket.wait_closed()


@async_test
async def test_pending_pings_fail_when_connection_closes() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        await read_raw_frame(reader)

    async with raw_server(handler) as uri:
        websocket = await connect(uri, compression=None, close_timeout=0.1)
        pong_waiter = await websocket.ping()
        with pytest.raises(ConnectionClosedError):
            await pong_waiter
        assert websocket.close_code == 1006


@async_test
async def test_server_answers_pings() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        await reader.read()

    async with legacy_server() as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        response = await reader.readuntil(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 101 ")
        Frame(True, Opcode.PING, b"hi").write(writer.write, mask=True)
        pong = await Frame.read(reader.readexactly, mask=False)
        assert pong == Frame(True, Opcode.PONG, b"hi")
        Frame(True, Opcode.CLOSE, b"").write(writer.write, mask=True)
        close = await Frame.read(reader.readexactly, mask=False)
        # An empty close frame is echoed as received.
        assert close == Frame(True, Opcode.CLOSE, b"")
        assert await reader.read() == b""
        writer.close()


@async_test
async def test_keepalive() -> None:
    async with legacy_server(ping_interval=0.02) as server:
        async with connect(get_uri(server), ping_interval=0.02) as websocket:
            await until(lambda: websocket.latency > 0)
            assert websocket.latency > 0
            assert websocket.open


@async_test
async def test_keepalive_timeout() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        # Never answer pings nor close frames.
        await reader.read()

    async with raw_server(handler) as uri:
        websocket = await connect(
            uri, ping_interval=0.01, ping_timeout=0.01, close_timeout=0.05
        )
        await websocket.wait_closed()
        assert websocket.close_code == 1006
        with pytest.raises(ConnectionClosedError) as raised:
            await websocket.recv()
        assert raised.value.sent == Close(1011, "keepalive ping timeout")


@async_test
async def test_keepalive_disabled() -> None:
    async with legacy_server(ping_interval=None) as server:
        async with connect(get_uri(server), ping_interval=None) as websocket:
            await websocket.keepalive_ping_task
            assert websocket.pings == {}


@async_test
async def test_keepalive_logs_unexpected_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server), ping_interval=0.01) as websocket:

            async def broken_ping(data: object = None) -> None:
                raise RuntimeError("boom")

            websocket.ping = broken_ping  # type: ignore[assignment,method-assign]
            await websocket.keepalive_ping_task
        assert "keepalive ping failed" in caplog.text


@async_test
async def test_client_close_timeout_bound() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        await asyncio.sleep(10)

    async with raw_server(handler) as uri:
        websocket = await connect(uri, close_timeout=0.1, ping_interval=None)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await websocket.close()
        elapsed = loop.time() - start
        # Documented bound: 5 * close_timeout on the client side.
        assert 0.1 <= elapsed < 5 * 0.1 + 0.15
        assert websocket.close_code == 1006


@async_test
async def test_server_close_timeout_bound() -> None:
    done = asyncio.Event()
    elapsed: list[float] = []

    async def handler(websocket: WebSocketServerProtocol) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await websocket.close()
        elapsed.append(loop.time() - start)
        done.set()

    async with legacy_server(handler, close_timeout=0.1) as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        # Read everything but never answer the close frame.
        await done.wait()
        # Documented bound: 4 * close_timeout on the server side.
        assert 0.1 <= elapsed[0] < 4 * 0.1 + 0.15
        writer.close()


@async_test
async def test_max_size() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        await websocket.send("x" * 20)
        await websocket.send(["y" * 10, "y" * 10])
        await websocket.wait_closed()

    async with legacy_server(handler, compression=None) as server:
        async with connect(get_uri(server), max_size=20) as websocket:
            assert await websocket.recv() == "x" * 20
            assert await websocket.recv() == "y" * 20

        async with connect(get_uri(server), max_size=19) as websocket:
            with pytest.raises(ConnectionClosedError) as raised:
                await websocket.recv()
            assert raised.value.sent == Close(1009, "")
            assert isinstance(raised.value.__cause__, PayloadTooBig)

    async def fragmented(websocket: WebSocketServerProtocol) -> None:
        await websocket.send([b"y" * 10, b"y" * 10])
        await websocket.wait_closed()

    async with legacy_server(fragmented) as server:
        async with connect(get_uri(server), max_size=15) as websocket:
            with pytest.raises(ConnectionClosedError) as raised:
                await websocket.recv()
            assert raised.value.sent == Close(1009, "")

    async with legacy_server(handler) as server:
        async with connect(get_uri(server), max_size=None) as websocket:
            assert await websocket.recv() == "x" * 20
            assert await websocket.recv() == "y" * 20


@async_test
async def test_max_queue() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        for i in range(10):
            await websocket.send(str(i))
        await websocket.close()

    async with legacy_server(handler) as server:
        async with connect(get_uri(server), max_queue=2) as websocket:
            await until(lambda: len(websocket.messages) == 2)
            await asyncio.sleep(0.02)
            assert len(websocket.messages) == 2
            received = [message async for message in websocket]
            assert received == [str(i) for i in range(10)]

        async with connect(get_uri(server), max_queue=None) as websocket:
            await websocket.wait_closed()
            assert len(websocket.messages) == 10


@async_test
async def test_concurrent_recv() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            first = asyncio.create_task(websocket.recv())
            await asyncio.sleep(0)
            with pytest.raises(ConcurrencyError):
                await websocket.recv()
            with pytest.raises(RuntimeError):
                await websocket.recv()
            await websocket.send("x")
            assert await first == "x"


@async_test
async def test_recv_cancellation_loses_nothing() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(websocket.recv(), 0.01)
            await websocket.send("x")
            assert await websocket.recv() == "x"


@async_test
async def test_legacy_recv() -> None:
    async with legacy_server() as server:
        with pytest.warns(DeprecationWarning, match="legacy_recv"):
            websocket = await connect(get_uri(server), legacy_recv=True)
        await websocket.close()
        assert await websocket.recv() is None


@pytest.mark.parametrize(
    "frame, code, cause",
    [
        (Frame(True, Opcode.TEXT, b"\xff"), 1007, UnicodeDecodeError),
        (Frame(True, Opcode.CONT, b"x"), 1002, ProtocolError),
        (Frame(True, Opcode.CLOSE, b"\x03"), 1002, ProtocolError),
        (Frame(True, Opcode.CLOSE, b"\x03\xe8\xff"), 1007, UnicodeDecodeError),
    ],
)
def test_bad_input_fails_the_connection(
    frame: Frame, code: int, cause: type[Exception]
) -> None:
    @async_test
    async def run() -> None:
        async def handler(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            await accept_handshake(reader, writer)
            write_raw_frame(writer, Frame(True, Opcode.TEXT, b"before"))
            write_raw_frame(writer, frame)
            close = await read_raw_frame(reader)
            assert Close.parse(close.data).code == code
            writer.close()

        async with raw_server(handler) as uri:
            websocket = await connect(uri, compression=None, close_timeout=1)
            await websocket.wait_closed()
            assert await websocket.recv() == "before"
            with pytest.raises(ConnectionClosedError) as raised:
                await websocket.recv()
            assert raised.value.sent is not None
            assert raised.value.sent.code == code
            assert isinstance(raised.value.__cause__, cause)

    run()


@async_test
async def test_fragmented_message_errors() -> None:
    cases = [
        # A new data frame in the middle of a fragmented message.
        [Frame(False, Opcode.TEXT, b"a"), Frame(True, Opcode.TEXT, b"b")],
        # A close frame in the middle of a fragmented message.
        [Frame(False, Opcode.BINARY, b"a"), Frame(True, Opcode.CLOSE, b"")],
        # Invalid UTF-8 across fragments.
        [Frame(False, Opcode.TEXT, b"\xc3"), Frame(True, Opcode.CONT, b"(")],
    ]
    # A close frame in the middle of a fragmented message breaks the rules of
    # fragmentation: the incomplete message is dropped and the connection
    # fails with 1002, like for any other protocol error.
    for frames, code in zip(cases, [1002, 1002, 1007], strict=True):

        async def handler(
            reader: asyncio.StreamReader,
            writer: asyncio.StreamWriter,
            frames: list[Frame] = frames,
        ) -> None:
            await accept_handshake(reader, writer)
            for frame in frames:
                write_raw_frame(writer, frame)
            await reader.read()

        async with raw_server(handler) as uri:
            websocket = await connect(uri, compression=None, close_timeout=0.1)
            with pytest.raises(ConnectionClosed) as raised:
                await websocket.recv()
            assert raised.value.sent is not None
            assert raised.value.sent.code == code
            assert isinstance(
                raised.value.__cause__, (ProtocolError, UnicodeDecodeError)
            )


@async_test
async def test_fragmented_text_is_decoded() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        write_raw_frame(writer, Frame(False, Opcode.TEXT, b"caf\xc3"))
        # Control frames may be interleaved with fragments.
        write_raw_frame(writer, Frame(True, Opcode.PING, b""))
        write_raw_frame(writer, Frame(True, Opcode.CONT, b"\xa9"))
        await reader.read()

    async with raw_server(handler) as uri:
        websocket = await connect(uri, compression=None, close_timeout=0.1)
        assert await websocket.recv() == "café"
        websocket.transport.abort()
        await websocket.wait_closed()


@async_test
async def test_abrupt_tcp_close() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        write_raw_frame(writer, Frame(True, Opcode.TEXT, b"last words"))
        await writer.drain()

    async with raw_server(handler) as uri:
        websocket = await connect(uri, compression=None)
        assert await websocket.recv() == "last words"
        with pytest.raises(ConnectionClosedError) as raised:
            await websocket.recv()
        assert raised.value.rcvd is None
        assert raised.value.sent is None
        assert isinstance(raised.value.__cause__, EOFError)
        assert websocket.close_code == 1006
        assert websocket.close_reason == ""
        with pytest.raises(ConnectionClosedError):
            await websocket.send("x")


@async_test
async def test_write_flow_control() -> None:
    release = asyncio.Event()

    async def handler(websocket: WebSocketServerProtocol) -> None:
        await release.wait()
        async for _message in websocket:
            pass

    async with legacy_server(
        handler, read_limit=2**10, max_size=None, compression=None
    ) as server:
        async with connect(get_uri(server), write_limit=2**10, compression=None) as ws:
            sending = asyncio.create_task(ws.send(b"x" * 2**25))
            try:
                await until(lambda: ws._paused)
                # The write buffer is above its limit: send() waits for it.
                assert not sending.done()
                assert ws._paused
            finally:
                release.set()
            await sending
            assert not ws._paused


@async_test
async def test_connection_lost_while_waiting_for_drain() -> None:
    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        await asyncio.sleep(10)

    async with raw_server(handler) as uri:
        websocket = await connect(
            uri, write_limit=2**10, compression=None, close_timeout=0.1
        )
        sending = asyncio.create_task(websocket.send(b"x" * 2**24))
        await until(lambda: websocket._paused)
        assert not sending.done()
        websocket.transport.abort()
        with pytest.raises(ConnectionClosedError):
            await sending


@async_test
async def test_broadcast() -> None:
    async with legacy_server() as server:
        clients = [await connect(get_uri(server)) for _ in range(3)]
        await clients[2].close()
        server_connections = list(server.websockets)
        broadcast(server_connections, "hello")
        broadcast(server_connections, b"bytes")
        for client in clients[:2]:
            assert await client.recv() == "hello"
            assert await client.recv() == b"bytes"
        with pytest.raises(TypeError):
            broadcast(server_connections, 42)  # type: ignore[arg-type]
        for client in clients:
            await client.close()


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="ExceptionGroup requires Python 3.11"
)
@async_test
async def test_broadcast_reports_skipped_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[str]:
        yield "a"
        await gate.wait()
        yield "b"

    async with legacy_server() as server:
        async with connect(get_uri(server)) as busy, connect(get_uri(server)) as broken:
            sending = asyncio.create_task(busy.send(slow()))
            await until(lambda: busy._fragmented_message_waiter is not None)

            class FailingWrites:
                # uvloop's transports don't let an attribute be replaced.
                def __init__(self, transport: asyncio.Transport) -> None:
                    self.transport = transport

                def write(self, data: bytes | bytearray | memoryview) -> None:
                    raise OSError("write failed")

                def __getattr__(self, name: str) -> Any:
                    return getattr(self.transport, name)

            real_transport = broken.transport
            broken.transport = FailingWrites(real_transport)  # type: ignore[assignment]

            with caplog.at_level(logging.WARNING):
                broadcast([busy, broken], "x")
            assert "sending a fragmented message" in caplog.text
            assert "failed to write message: OSError: write failed" in caplog.text

            with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
                broadcast([busy, broken], "x", raise_exceptions=True)
            errors = raised.value.exceptions
            assert isinstance(errors[0], ConcurrencyError)
            assert isinstance(errors[1], RuntimeError)
            assert isinstance(errors[1].__cause__, OSError)

            broken.transport = real_transport
            gate.set()
            await sending


@async_test
async def test_unexpected_error_in_data_transfer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenClientProtocol(WebSocketClientProtocol):
        async def read_message(self) -> str | bytes | None:
            raise ZeroDivisionError

    async with legacy_server() as server:
        async with connect(
            get_uri(server), create_protocol=BrokenClientProtocol
        ) as websocket:
            with pytest.raises(ConnectionClosedError) as raised:
                await websocket.recv()
            assert raised.value.sent == Close(1011, "")
            assert isinstance(raised.value.__cause__, ZeroDivisionError)
    assert "data transfer failed" in caplog.text


@async_test
async def test_write_frame_in_wrong_state() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            with pytest.raises(InvalidState, match="in the OPEN state"):
                await websocket.write_frame(
                    True, Opcode.TEXT, b"", _state=State.CLOSING
                )


def test_deprecated_protocol_arguments() -> None:
    async def run() -> None:
        loop = asyncio.get_running_loop()
        with pytest.warns(DeprecationWarning, match="rename timeout to close_timeout"):
            protocol = WebSocketClientProtocol(timeout=3)
        assert protocol.close_timeout == 3
        with pytest.warns(DeprecationWarning, match="rename timeout"):
            protocol = WebSocketClientProtocol(timeout=3, close_timeout=4)
        assert protocol.close_timeout == 4
        with pytest.warns(DeprecationWarning, match="remove loop argument"):
            protocol = WebSocketClientProtocol(loop=loop)
        assert protocol.loop is loop

    asyncio.run(run())


def test_protocol_built_outside_a_running_loop() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        protocol = WebSocketClientProtocol()
        assert protocol.loop is loop
        assert protocol.close_timeout == 10
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@async_test
async def test_debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.legacy.debug")
    logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="test.legacy.debug"):
        async with legacy_server(logger=logger) as server:
            async with connect(get_uri(server), logger=logger) as websocket:
                await websocket.send("x")
                await websocket.recv()
                websocket.fail_connection(1011)
    assert "= connection is OPEN" in caplog.text
    assert "> GET / HTTP/1.1" in caplog.text
    assert "< HTTP/1.1 101 Switching Protocols" in caplog.text
    assert "! failing connection with code 1011" in caplog.text


def test_connection_closed_exc_kinds() -> None:
    async def run() -> None:
        protocol = WebSocketClientProtocol()
        protocol.close_rcvd = Close(1000, "")
        protocol.close_sent = Close(1001, "")
        protocol.close_rcvd_then_sent = True
        assert isinstance(protocol.connection_closed_exc(), ConnectionClosedOK)
        protocol.close_sent = Close(1011, "")
        assert isinstance(protocol.connection_closed_exc(), ConnectionClosedError)
        assert isinstance(protocol.connection_closed_exc(), ConnectionClosed)

    asyncio.run(run())


@async_test
async def test_fragmented_message_without_max_size() -> None:
    async with legacy_server(max_size=None) as server:
        async with connect(get_uri(server), max_size=None) as websocket:
            await websocket.send([b"a" * 10, b"b" * 10])
            assert await websocket.recv() == b"a" * 10 + b"b" * 10
            await websocket.send(["é", "è"])
            assert await websocket.recv() == "éè"


@async_test
async def test_keepalive_without_timeout() -> None:
    async with legacy_server() as server:
        async with connect(
            get_uri(server), ping_interval=0.01, ping_timeout=None
        ) as websocket:
            await until(lambda: websocket.latency > 0)
            assert websocket.latency > 0


@async_test
async def test_timeouts_are_logged_in_debug_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.legacy.timeouts")
    logger.setLevel(logging.DEBUG)

    async def handler(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await accept_handshake(reader, writer)
        await asyncio.sleep(10)

    with caplog.at_level(logging.DEBUG, logger="test.legacy.timeouts"):
        async with legacy_server(ping_interval=0.01) as server:
            async with connect(
                get_uri(server), ping_interval=0.01, logger=logger
            ) as websocket:
                await until(lambda: websocket.latency > 0)
        async with raw_server(handler) as uri:
            websocket = await connect(
                uri,
                logger=logger,
                ping_interval=0.01,
                ping_timeout=0.01,
                close_timeout=0.02,
            )
            await websocket.wait_closed()
    assert "% received keepalive pong" in caplog.text
    assert "- timed out waiting for keepalive pong" in caplog.text
    assert "- timed out waiting for TCP close" in caplog.text
    assert "x closing TCP connection" in caplog.text

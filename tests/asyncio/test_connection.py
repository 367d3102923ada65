from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from ws_asyncio.connection import Connection, broadcast
from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    ProtocolError,
)
from ws_frames.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Close,
    CloseCode,
    Frame,
)
from ws_frames.protocol import CLIENT, CLOSED, OPEN, SERVER, Protocol

from ..frames.utils import odd_views
from .utils import SHORT, break_writes, connection_and_raw_peer, connection_pair, run


# Sending and receiving messages.


def test_send_recv_text_and_binary() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.send("café")
        await client.send(b"\x00\x01")
        await client.send(bytearray(b"ba"))
        await client.send(memoryview(b"mv"))
        assert await server.recv() == "café"
        assert await server.recv() == b"\x00\x01"
        assert await server.recv() == b"ba"
        assert await server.recv() == b"mv"
        await client.close()

    run(main())


def test_send_text_override_and_recv_decode_override() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.send(b"utf-8 bytes", text=True)
        await client.send("a string", text=False)
        assert await server.recv() == "utf-8 bytes"
        assert await server.recv() == b"a string"
        await client.send("text")
        await client.send(b"binary")
        assert await server.recv(decode=False) == b"text"
        assert await server.recv(decode=True) == "binary"
        await client.close()

    run(main())


def test_send_fragmented_iterable() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.send(["caf", "é"])
        await client.send([b"a", bytearray(b"b"), memoryview(b"c")])
        await client.send([b"t", b"xt"], text=True)
        await client.send([])  # nothing at all
        assert await server.recv() == "café"
        assert await server.recv() == b"abc"
        assert await server.recv() == "txt"
        await client.send(["s", "tr"], text=False)
        assert await server.recv() == b"str"
        await client.close()

    run(main())


def test_send_fragmented_async_iterable() -> None:
    async def fragments() -> AsyncIterator[str]:
        for chunk in ["he", "ll", "o"]:
            await asyncio.sleep(0)
            yield chunk

    async def empty() -> AsyncIterator[bytes]:
        return
        yield  # pragma: no cover

    async def main() -> None:
        client, server = await connection_pair()
        await client.send(fragments())
        await client.send(empty())
        assert await server.recv() == "hello"
        await client.close()

    run(main())


def test_recv_streaming_yields_fragments() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.send(["a", "b", "c"])
        assert [f async for f in server.recv_streaming()] == ["a", "b", "c", ""]
        await client.send([b"x", b"y"])
        assert [f async for f in server.recv_streaming(decode=True)] == ["x", "y", ""]
        await client.close()

    run(main())


def test_send_rejects_wrong_types() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        with pytest.raises(TypeError, match="dict-like"):
            await client.send({"a": 1})
        with pytest.raises(TypeError, match="data must be"):
            await client.send(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="^iterable must contain bytes or str$"):
            await client.send([1, 2])  # type: ignore[list-item]

        async def numbers() -> AsyncIterator[int]:
            yield 1

        with pytest.raises(
            TypeError, match="^async iterable must contain bytes or str$"
        ):
            await client.send(numbers())  # type: ignore[arg-type]
        # Nothing was sent: the connection is still usable.
        assert client.state is OPEN
        await client.send("fine")
        assert await server.recv() == "fine"
        await client.close()

    run(main())


def test_send_invalid_first_fragment_keeps_connection() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        with pytest.raises(ProtocolError):
            await client.send([b"\xff", b"\xfe"], text=True)
        # Nothing was sent: the connection goes on.
        assert client.state is OPEN
        assert client.send_in_progress is None
        await client.send(["fine"])
        assert await server.recv() == "fine"
        await client.close()

    run(main())


@pytest.mark.parametrize("asynchronous", [False, True])
def test_send_mixed_fragments_fails_connection(asynchronous: bool) -> None:
    async def mixed() -> AsyncIterator[str | bytes]:
        yield "text"
        yield b"bytes"

    async def main() -> None:
        client, server = await connection_pair()
        source = "async iterable" if asynchronous else "iterable"
        with pytest.raises(TypeError, match=f"^{source} must contain uniform types$"):
            if asynchronous:
                await client.send(mixed())
            else:
                await client.send(["text", b"bytes"])
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv()
        assert raised.value.rcvd is not None
        assert raised.value.rcvd.code == CloseCode.INTERNAL_ERROR
        await client.wait_closed()

    run(main())


def test_send_waits_for_fragmented_message() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        release = asyncio.Event()

        async def slow() -> AsyncIterator[str]:
            yield "first "
            await release.wait()
            yield "message"

        first = asyncio.create_task(client.send(slow()))
        await asyncio.sleep(0)
        second = asyncio.create_task(client.send("second message"))
        await asyncio.sleep(SHORT)
        assert not second.done()
        release.set()
        await first
        await second
        assert await server.recv() == "first message"
        assert await server.recv() == "second message"
        await client.close()

    run(main())


def test_close_during_fragmented_message() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        release = asyncio.Event()

        async def stalled() -> AsyncIterator[str]:
            yield "start"
            await release.wait()
            yield "never sent"  # pragma: no cover

        sending = asyncio.create_task(client.send(stalled()))
        await asyncio.sleep(SHORT)
        await client.close()
        # The client failed the connection: it ignores the server's reply.
        assert client.close_code == CloseCode.ABNORMAL_CLOSURE
        assert client.protocol.close_sent == Close(
            CloseCode.INTERNAL_ERROR, "close during fragmented message"
        )
        sending.cancel()
        with pytest.raises((asyncio.CancelledError, ConnectionClosed)):
            await sending
        with pytest.raises(ConnectionClosedError):
            await server.recv()

    run(main())


def test_cancel_async_fragmented_send_fails_connection() -> None:
    async def main() -> None:
        client, server = await connection_pair()

        async def stalled() -> AsyncIterator[str]:
            yield "start"
            await asyncio.Event().wait()
            yield "never"  # pragma: no cover

        sending = asyncio.create_task(client.send(stalled()))
        await asyncio.sleep(SHORT)
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv()
        assert raised.value.rcvd is not None
        assert raised.value.rcvd.reason == "error in fragmented message"

    run(main())


# recv: cancellation, concurrency, delivery before close.


def test_recv_cancel_safe_with_timeout() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(server.recv(), SHORT)
        await client.send("after the timeout")
        assert await server.recv() == "after the timeout"
        await client.close()

    run(main())


def test_recv_cancel_safe_mid_fragmented_message() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        peer.protocol.send_text(b"frag", fin=False)
        peer.send_protocol_data()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.recv(), SHORT)
        peer.protocol.send_continuation(b"mented", fin=True)
        peer.send_protocol_data()
        assert await client.recv() == "fragmented"
        client.transport.abort()
        peer.close()

    run(main())


def test_concurrent_recv_raises_concurrency_error() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        pending = asyncio.create_task(server.recv())
        await asyncio.sleep(0)
        with pytest.raises(ConcurrencyError, match="recv while"):
            await server.recv()
        with pytest.raises(ConcurrencyError, match="recv_streaming while"):
            async for _ in server.recv_streaming():
                pass  # pragma: no cover
        await client.send("one")
        assert await pending == "one"
        await client.close()

    run(main())


def test_messages_before_close_are_delivered() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        for i in range(3):
            await client.send(f"message {i}")
        await client.close()
        assert [await server.recv() for _ in range(3)] == [
            "message 0",
            "message 1",
            "message 2",
        ]
        with pytest.raises(ConnectionClosedOK):
            await server.recv()
        with pytest.raises(ConnectionClosedOK):
            async for _ in server.recv_streaming():
                pass  # pragma: no cover

    run(main())


def test_async_iteration_stops_on_normal_close() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        for i in range(3):
            await client.send(str(i))
        await client.close()
        assert [m async for m in server] == ["0", "1", "2"]

    run(main())


def test_async_iteration_raises_on_error_close() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.send("last")
        await client.close(CloseCode.INTERNAL_ERROR, "boom")
        received = []
        with pytest.raises(ConnectionClosedError) as raised:
            async for message in server:
                received.append(message)
        assert received == ["last"]
        assert raised.value.rcvd == Close(CloseCode.INTERNAL_ERROR, "boom")

    run(main())


# Closing.


def test_close_code_reason_and_state() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        assert client.state is OPEN
        assert client.close_code is None and client.close_reason is None
        await client.close(CloseCode.GOING_AWAY, "bye")
        await server.wait_closed()
        assert client.state is CLOSED and server.state is CLOSED
        assert client.close_code == server.close_code == 1001
        assert client.close_reason == server.close_reason == "bye"
        await client.close()  # idempotent
        with pytest.raises(ConnectionClosedOK):
            await client.send("too late")
        with pytest.raises(ConnectionClosedOK):
            await client.ping()
        with pytest.raises(ConnectionClosedOK):
            await client.pong()

    run(main())


def test_close_rejects_invalid_code() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        with pytest.raises(ProtocolError):
            await client.close(999)
        assert client.state is OPEN
        await client.close()

    run(main())


def test_close_times_out_when_peer_is_silent() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT, close_timeout=SHORT)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await client.close()
        assert SHORT * 0.9 <= loop.time() - start < 2
        assert client.state is CLOSED
        # A close frame was sent, no close frame was received.
        assert client.close_code == CloseCode.ABNORMAL_CLOSURE
        frames = await peer.read_frames()
        assert frames[0].opcode is OP_CLOSE
        peer.close()

    run(main())


def test_server_side_close_sends_eof() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await server.close()
        assert server.state is CLOSED
        await client.wait_closed()
        with pytest.raises(ConnectionClosedOK):
            await client.recv()

    run(main())


def test_context_manager_closes_with_1000_or_1011() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        async with client as entered:
            assert entered is client
        await server.wait_closed()
        assert server.close_code == 1000

        client, server = await connection_pair()
        with pytest.raises(RuntimeError):
            async with client:
                raise RuntimeError("boom")
        await server.wait_closed()
        assert server.close_code == CloseCode.INTERNAL_ERROR

    run(main())


def test_abrupt_disconnect() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.send("sent before the disconnect")
        await asyncio.sleep(SHORT)
        client.transport.abort()
        assert await server.recv() == "sent before the disconnect"
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv()
        assert raised.value.rcvd is None and raised.value.sent is None
        assert server.close_code == CloseCode.ABNORMAL_CLOSURE
        with pytest.raises(ConnectionClosedError):
            await server.send("nobody listens")

    run(main())


def test_connection_lost_with_error_is_chained() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        error = ConnectionResetError("reset by test")
        server.connection_lost(error)
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv()
        assert raised.value.__cause__ is error
        client.transport.abort()
        server.transport.abort()

    run(main())


# Bad input from the peer.


def test_invalid_frame_from_peer_fails_with_1002() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        peer.protocol.send_text(b"valid message")
        peer.send_protocol_data()
        peer.write(b"\x83\x00")  # reserved opcode 3
        assert await client.recv() == "valid message"
        # The client fails the connection, then waits for the server to close.
        frames = await peer.read_frames()
        assert frames[0].opcode is OP_CLOSE
        assert Close.parse(frames[0].data).code == CloseCode.PROTOCOL_ERROR
        peer.close()
        with pytest.raises(ConnectionClosedError) as raised:
            await client.recv()
        assert raised.value.sent is not None
        assert raised.value.sent.code == CloseCode.PROTOCOL_ERROR
        assert isinstance(raised.value.__cause__, ProtocolError)

    run(main())


def test_invalid_utf8_from_peer_fails_with_1007() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT, close_timeout=SHORT)
        peer.protocol.send_frame(Frame(OP_TEXT, b"\xff"))
        peer.send_protocol_data()
        with pytest.raises(ConnectionClosedError) as raised:
            await client.recv()
        assert raised.value.sent is not None
        assert raised.value.sent.code == CloseCode.INVALID_DATA
        peer.close()

    run(main())


def test_decoding_invalid_binary_fails_with_1007() -> None:
    async def main() -> None:
        client, server = await connection_pair(server_kwargs={"close_timeout": SHORT})
        await client.send(b"\xff\xfe")
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv(decode=True)
        assert raised.value.sent is not None
        assert raised.value.sent.code == CloseCode.INVALID_DATA

        client, server = await connection_pair(server_kwargs={"close_timeout": SHORT})
        await client.send([b"\xff", b"\xfe"])
        with pytest.raises(ConnectionClosedError):
            async for _ in server.recv_streaming(decode=True):
                pass  # pragma: no cover
        # Receiving again tells that the connection is closed.
        with pytest.raises(ConnectionClosedError):
            await server.recv()

    run(main())


def test_message_too_big_fails_with_1009() -> None:
    async def main() -> None:
        client, server = await connection_pair(max_size=1024)
        await client.send(b"x" * 1024)
        await client.send(b"x" * 1025)
        assert len(await server.recv()) == 1024
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv()
        assert raised.value.sent is not None
        assert raised.value.sent.code == CloseCode.MESSAGE_TOO_BIG

    run(main())


# Ping and pong.


def test_ping_returns_latency() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        assert client.latency == 0
        pong_waiter = await client.ping()
        serving = asyncio.create_task(server.recv())
        latency = await pong_waiter
        assert isinstance(latency, float) and 0 <= latency < 1
        assert client.latency == latency
        pong_waiter = await client.ping("text payload")
        await pong_waiter
        pong_waiter = await client.ping(bytearray(b"bytes payload"))
        await pong_waiter
        serving.cancel()
        await client.close()

    run(main())


def test_ping_duplicate_payload_and_bad_type() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        await client.ping(b"same")
        with pytest.raises(ConcurrencyError):
            await client.ping(b"same")
        with pytest.raises(TypeError):
            await client.ping(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await client.pong(42)  # type: ignore[arg-type]
        client.transport.abort()
        peer.close()

    run(main())


def test_pong_acknowledges_earlier_pings_and_ignores_unsolicited() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        first = await client.ping(b"1")
        second = await client.ping(b"2")
        third = await client.ping(b"3")
        peer.protocol.send_pong(b"unsolicited")
        peer.protocol.send_pong(b"2")
        peer.send_protocol_data()
        await asyncio.wait_for(second, 1)
        # The pong for "2" acknowledges "1" as well.
        assert isinstance(first, asyncio.Future) and first.done()
        await first
        await asyncio.sleep(SHORT)
        assert isinstance(third, asyncio.Future) and not third.done()
        client.transport.abort()
        with pytest.raises(ConnectionClosedError):
            await third
        peer.close()

    run(main())


def test_pong_is_sent() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        await client.pong("heartbeat")
        await client.pong(memoryview(b"beat"))
        frames = await peer.read_frames()
        while len(frames) < 2:
            frames += await peer.read_frames()
        assert [(f.opcode, bytes(f.data)) for f in frames] == [
            (OP_PONG, b"heartbeat"),
            (OP_PONG, b"beat"),
        ]
        client.transport.abort()
        peer.close()

    run(main())


def test_pending_pings_fail_when_connection_closes() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        # Abort before the pong can arrive.
        pong_waiter = await client.ping()
        client.transport.abort()
        with pytest.raises(ConnectionClosed):
            await pong_waiter
        server.transport.abort()

    run(main())


# Keepalive.


def test_keepalive_measures_latency() -> None:
    async def main() -> None:
        client, server = await connection_pair(client_kwargs={"ping_interval": SHORT})
        client.start_keepalive()
        server_recv = asyncio.create_task(server.recv())
        await asyncio.sleep(SHORT * 4)
        assert client.latency > 0
        server_recv.cancel()
        await client.close()
        assert client.keepalive_task is not None
        await asyncio.sleep(0)
        assert client.keepalive_task.done()

    run(main())


def test_keepalive_runs_no_task_between_pings() -> None:
    async def main() -> None:
        client, server = await connection_pair(client_kwargs={"ping_interval": SHORT})
        server_recv = asyncio.create_task(server.recv())
        client.start_keepalive()
        # Until a ping is due, a timer waits, not a task.
        assert client.keepalive_timer is not None
        assert client.keepalive_task is None
        while client.latency == 0:
            await asyncio.sleep(SHORT / 5)
        await asyncio.sleep(0)
        # The pong came back: the task ended and the next ping has a timer.
        assert client.keepalive_task is not None
        assert client.keepalive_task.done()
        assert not client.keepalive_timer.cancelled()
        server_recv.cancel()
        await client.close()
        assert client.keepalive_timer.cancelled()

    run(main())


def test_keepalive_timeout_fails_connection_with_1011() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(
            CLIENT, ping_interval=SHORT, ping_timeout=SHORT, close_timeout=SHORT
        )
        client.start_keepalive()
        # The raw peer never answers pings.
        with pytest.raises(ConnectionClosedError) as raised:
            await client.recv()
        assert raised.value.sent is not None
        assert raised.value.sent.code == CloseCode.INTERNAL_ERROR
        assert raised.value.sent.reason == "keepalive ping timeout"
        frames = await peer.read_frames()
        assert frames[0].opcode is OP_PING
        peer.close()

    run(main())


def test_keepalive_without_timeout_keeps_pinging() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(
            CLIENT, ping_interval=SHORT, ping_timeout=None
        )
        client.start_keepalive()
        pings = 0
        while pings < 2:
            pings += sum(f.opcode is OP_PING for f in await peer.read_frames())
        client.transport.abort()
        await client.wait_closed()
        peer.close()

    run(main())


def test_keepalive_disabled() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        client.start_keepalive()
        assert client.keepalive_timer is None
        assert client.keepalive_task is None
        await client.close()

    run(main())


def test_keepalive_logs_unexpected_errors(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        client, server = await connection_pair(client_kwargs={"ping_interval": 0})

        async def broken_ping(data: object = None) -> object:
            raise RuntimeError("broken")

        client.ping = broken_ping  # type: ignore[method-assign,assignment]
        client.start_keepalive()
        await asyncio.sleep(SHORT)
        await client.close()

    with caplog.at_level(logging.ERROR):
        run(main())
    assert "keepalive ping failed" in caplog.text


# Flow control.


def test_max_queue_pauses_reading_and_resumes() -> None:
    async def main() -> None:
        client, server = await connection_pair(server_kwargs={"max_queue": (4, 1)})
        for i in range(10):
            await client.send(str(i))
        await asyncio.sleep(SHORT)
        assert server.recv_messages.paused
        assert not server.transport.is_reading()
        received = [await server.recv() for _ in range(10)]
        assert received == [str(i) for i in range(10)]
        assert server.transport.is_reading()
        await client.close()

    run(main())


def test_max_queue_none_disables_flow_control() -> None:
    async def main() -> None:
        client, server = await connection_pair(server_kwargs={"max_queue": None})
        for i in range(100):
            await client.send(str(i))
        await asyncio.sleep(SHORT)
        assert server.transport.is_reading()
        assert len(server.recv_messages.frames) == 100
        await client.close()

    run(main())


def test_write_limit_makes_send_wait_for_drain() -> None:
    async def main() -> None:
        client, server = await connection_pair(
            client_kwargs={"write_limit": (2**14, 2**12)},
            server_kwargs={"max_queue": 1},
        )
        assert (client.write_limit_high, client.write_limit_low) == (2**14, 2**12)
        # The server stops reading after a couple of messages; the kernel
        # buffers fill up, then the client's write buffer, then send() waits.
        sending = asyncio.gather(*[client.send(b"x" * 2**16) for _ in range(64)])
        await asyncio.sleep(SHORT * 2)
        assert not sending.done()
        assert client.paused
        for _ in range(64):
            assert len(await server.recv()) == 2**16
        await sending
        await client.close()

    run(main())


def test_close_while_blocked_on_drain() -> None:
    async def main() -> None:
        client, server = await connection_pair(
            client_kwargs={"write_limit": 2**12, "close_timeout": SHORT},
            server_kwargs={"max_queue": 1},
        )
        # The server stops reading after two messages; the client's sends
        # end up waiting for the write buffer to drain.
        sending = asyncio.gather(*[client.send(b"x" * 2**16) for _ in range(256)])
        await asyncio.sleep(SHORT)
        assert not sending.done()
        assert client.paused
        client.transport.abort()
        with pytest.raises(ConnectionClosedError):
            await sending
        server.transport.abort()

    run(main())


# Attributes.


def test_attributes() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        assert client.id != server.id
        assert isinstance(client.logger, logging.LoggerAdapter)
        assert client.subprotocol is None
        assert client.request is None and client.response is None
        assert client.local_address == server.remote_address
        assert server.protocol.side is SERVER
        await client.close()

    run(main())


def test_unexpected_error_in_send_context_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        client, server = await connection_pair(client_kwargs={"close_timeout": SHORT})

        def broken(data: object, fin: bool = True) -> None:
            raise RuntimeError("bug")

        client.protocol.send_binary = broken  # type: ignore[method-assign]
        with pytest.raises(ConnectionClosedError) as raised:
            await client.send(b"x")
        assert isinstance(raised.value.__cause__, RuntimeError)
        server.transport.abort()

    with caplog.at_level(logging.ERROR):
        run(main())
    assert "unexpected internal error" in caplog.text


@pytest.mark.parametrize("debug", [False, True])
def test_send_data_error_while_receiving_is_chained(
    caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT, close_timeout=SHORT)
        client.debug = debug
        error = OSError("write failed")
        break_writes(client, error)
        # A ping makes the client queue a pong, which fails to be written.
        peer.protocol.send_ping(b"ping")
        peer.send_protocol_data()
        await asyncio.sleep(SHORT)
        assert client.recv_exc is error
        client.transport.abort()
        with pytest.raises(ConnectionClosedError) as raised:
            await client.recv()
        assert raised.value.__cause__ is error
        peer.close()

    with caplog.at_level(logging.DEBUG):
        run(main())
    assert ("error while sending data" in caplog.text) is debug


def test_unexpected_error_in_other_calls_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        client, server = await connection_pair(client_kwargs={"close_timeout": SHORT})

        def broken(data: object) -> None:
            raise RuntimeError("bug")

        client.protocol.send_ping = broken  # type: ignore[method-assign]
        with pytest.raises(ConnectionClosedError) as raised:
            await client.ping()
        assert isinstance(raised.value.__cause__, RuntimeError)
        server.transport.abort()

    with caplog.at_level(logging.ERROR):
        run(main())
    assert "unexpected internal error" in caplog.text


def test_fragments_after_close() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await client.close()
        with pytest.raises(ConnectionClosedOK):
            await client.send(["never", "sent"])
        # Nothing is in progress.
        assert client.send_in_progress is None

    run(main())


def test_drain_without_backpressure_returns_at_once() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        assert not client.paused
        await client.drain()
        await client.close()

    run(main())


def test_keepalive_on_closed_connection_ends_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        client, server = await connection_pair(client_kwargs={"ping_interval": 0})
        await client.close()
        client.start_keepalive()
        # The ping is due at once; a task sends it.
        assert client.keepalive_task is None
        await asyncio.sleep(SHORT)
        assert client.keepalive_task is not None
        await client.keepalive_task

    with caplog.at_level(logging.ERROR):
        run(main())
    assert caplog.text == ""


def test_direct_use_of_connection_class() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        assert type(client) is Connection
        await client.close()

    run(main())


def test_close_received_while_sending_fragments() -> None:
    async def main() -> None:
        client, server = await connection_pair()

        async def fragments() -> AsyncIterator[bytes]:
            yield b"a"
            await server.close()
            yield b"b"

        with pytest.raises(ConnectionClosed):
            await client.send(fragments())
        await client.wait_closed()

    run(main())


def test_binary_frames_from_raw_peer() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        peer.protocol.send_frame(Frame(OP_BINARY, b"raw"))
        peer.send_protocol_data()
        assert await client.recv() == b"raw"
        peer.close()
        with pytest.raises(ConnectionClosedError):
            await client.recv()

    run(main())


def test_fragment_type_mismatch_bytes_then_str() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        with pytest.raises(TypeError, match="^iterable must contain uniform types$"):
            await client.send([b"bytes", "str"])
        await client.wait_closed()
        server.transport.abort()

    run(main())


def test_async_fragments_with_text_override() -> None:
    async def fragments() -> AsyncIterator[bytes]:
        yield b"as "
        yield b"text"

    async def main() -> None:
        client, server = await connection_pair()
        await client.send(fragments(), text=True)
        assert await server.recv() == "as text"
        await client.close()

    run(main())


def test_cancelled_pong_waiter_is_acknowledged_quietly() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        pong_waiter = await client.ping(b"cancelled")
        assert isinstance(pong_waiter, asyncio.Future)
        pong_waiter.cancel()
        peer.protocol.send_pong(b"cancelled")
        peer.send_protocol_data()
        await asyncio.sleep(SHORT)
        assert client.pending_pings == {}
        client.transport.abort()
        peer.close()

    run(main())


def test_debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        logger = logging.getLogger("test.debug")
        logger.setLevel(logging.DEBUG)
        loop = asyncio.get_running_loop()
        client_sock, server_sock = socket.socketpair()
        _, client = await loop.create_connection(
            lambda: Connection(
                Protocol(CLIENT, logger=logger),
                ping_interval=SHORT,
                ping_timeout=SHORT * 4,
                close_timeout=SHORT,
            ),
            sock=client_sock,
        )
        _, server = await loop.create_connection(
            lambda: Connection(Protocol(SERVER, logger=logger), ping_interval=None),
            sock=server_sock,
        )
        client.start_keepalive()
        await asyncio.sleep(SHORT * 3)
        # The server half-closes TCP after the closing handshake.
        await server.close()
        await client.wait_closed()

    with caplog.at_level(logging.DEBUG, "test.debug"):
        run(main())
    assert "sent keepalive ping" in caplog.text
    assert "received keepalive pong" in caplog.text
    assert "half-closing TCP connection" in caplog.text


def test_debug_logging_of_failures(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        logger = logging.getLogger("test.debug.failures")
        logger.setLevel(logging.DEBUG)
        loop = asyncio.get_running_loop()
        sock, peer_sock = socket.socketpair()
        _, client = await loop.create_connection(
            lambda: Connection(
                Protocol(CLIENT, logger=logger),
                ping_interval=SHORT,
                ping_timeout=SHORT,
                close_timeout=SHORT,
            ),
            sock=sock,
        )
        reader, writer = await asyncio.open_connection(sock=peer_sock)
        client.start_keepalive()
        # The silent peer lets the keepalive ping time out, then the close
        # timer fires.
        await client.wait_closed()

        error = OSError("write failed")
        client2, server2 = await connection_pair()
        client2.protocol.debug = client2.debug = True
        client2.logger = logger
        break_writes(client2, error)
        with pytest.raises(ConnectionClosedError):
            await client2.send("x")
        server2.transport.abort()
        writer.close()

    with caplog.at_level(logging.DEBUG, "test.debug.failures"):
        run(main())
    assert "timed out waiting for keepalive pong" in caplog.text
    assert "timed out waiting for TCP close" in caplog.text
    assert "error while sending data" in caplog.text


def test_keepalive_stops_when_closing() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(
            CLIENT, ping_interval=SHORT, ping_timeout=SHORT * 2, close_timeout=SHORT * 6
        )
        client.start_keepalive()
        frames = await peer.read_frames()
        assert frames[0].opcode is OP_PING
        # Closing while the keepalive waits for its pong: the ping times out
        # during the closing handshake, and keepalive doesn't outlive it.
        await client.close()
        assert client.keepalive_task is not None
        await asyncio.sleep(0)
        assert client.keepalive_task.done()
        peer.close()

    run(main())


def test_keepalive_ping_after_close_started() -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(
            CLIENT, ping_interval=SHORT, ping_timeout=None, close_timeout=SHORT * 4
        )
        client.protocol.send_close(1000, "")
        client.send_data()
        client.start_keepalive()
        await client.wait_closed()
        assert client.keepalive_task is not None
        await asyncio.sleep(0)
        assert client.keepalive_task.done()
        peer.close()

    run(main())


def test_flow_control_while_closing() -> None:
    async def main() -> None:
        client, server = await connection_pair(server_kwargs={"max_queue": (2, 0)})
        # Frames beyond the high-water mark arrive once the server is closing:
        # reading isn't paused, so the close frame can come through.
        server.protocol.send_close(1000, "")
        server.send_data()
        for i in range(5):
            try:
                await client.send(str(i))
            except ConnectionClosed:
                break
        await server.wait_closed()
        assert server.transport.is_closing()
        server.resume_reading()

    run(main())


@settings(max_examples=25, deadline=None)
@given(
    messages=st.lists(st.text(max_size=50) | st.binary(max_size=50), max_size=6),
    cuts=st.lists(st.integers(1, 40), max_size=20),
)
def test_arbitrary_chunking_of_incoming_bytes(
    messages: list[str | bytes], cuts: list[int]
) -> None:
    async def main() -> None:
        client, peer = await connection_and_raw_peer(CLIENT)
        for message in messages:
            if isinstance(message, str):
                peer.protocol.send_text(message.encode())
            else:
                peer.protocol.send_binary(message)
        peer.protocol.send_close(1000, "")
        stream = b"".join(peer.protocol.data_to_send())
        # Deliver the bytes in arbitrary pieces, as TCP may.
        pos = 0
        for cut in cuts:
            client.data_received(stream[pos : pos + cut])
            pos += cut
        client.data_received(stream[pos:])
        received = [await client.recv() for _ in messages]
        assert received == messages
        peer.close()
        with pytest.raises(ConnectionClosedOK):
            await client.recv()

    run(main())


# Coalescing the writes of messages sent in a row.


def test_messages_sent_in_a_row_go_out_in_one_write() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        recording = record_writes(server)
        for message in ["one", "two", "three", "four"]:
            await server.send(message)
        # The first message went out at once; the others wait for the loop.
        assert recording.written == [Frame(OP_TEXT, b"one").serialize(mask=False)]
        for message in ["one", "two", "three", "four"]:
            assert await client.recv() == message
        assert recording.written[1:] == [
            b"".join(
                Frame(OP_TEXT, data).serialize(mask=False)
                for data in [b"two", b"three", b"four"]
            )
        ]
        # After data arrived, the next message goes out at once again.
        await client.send("ping")
        assert await server.recv() == "ping"
        await server.send("pong")
        assert len(recording.written) == 3
        assert await client.recv() == "pong"
        await client.close()

    run(main())


def test_messages_sent_in_a_row_go_out_when_they_fill_the_write_limit() -> None:
    async def main() -> None:
        client, server = await connection_pair(server_kwargs={"write_limit": 100})
        recording = record_writes(server)
        payload = b"x" * 40
        for _ in range(6):
            await server.send(payload)
        # One at once, then two held back until the third would go over 100
        # bytes, then the rest of the row, which waits for the loop.
        assert len(recording.written) == 2
        for _ in range(6):
            assert await client.recv() == payload
        assert len(recording.written) == 3
        await client.close()

    run(main())


def test_control_frames_go_out_after_messages_held_back() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        await server.send("one")
        await server.send("two")
        broadcast([server], "three")
        await server.close()
        assert [message async for message in client] == ["one", "two", "three"]

    run(main())


@pytest.mark.parametrize("debug", [False, True])
def test_failure_to_write_a_message_or_a_ping_is_chained(
    caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    async def main() -> None:
        for send in ["send", "ping"]:
            client, server = await connection_pair()
            client.debug = debug
            error = OSError("write failed")
            break_writes(client, error)
            with pytest.raises(ConnectionClosedError) as raised:
                await getattr(client, send)("x")
            assert raised.value.__cause__ is error
            await server.wait_closed()

    with caplog.at_level(logging.DEBUG):
        run(main())
    assert ("error while sending data" in caplog.text) is debug


@pytest.mark.parametrize("debug", [False, True])
def test_failure_to_write_messages_held_back_is_chained(
    caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    async def main() -> None:
        client, server = await connection_pair()
        server.debug = debug
        await server.send("one")
        error = OSError("write failed")
        break_writes(server, error)
        await server.send("two")
        await server.send("three")
        assert await client.recv() == "one"
        assert server.recv_exc is error
        server.transport.abort()
        with pytest.raises(ConnectionClosedError) as raised:
            await server.recv()
        assert raised.value.__cause__ is error
        await client.wait_closed()

    with caplog.at_level(logging.DEBUG):
        run(main())
    assert ("error while sending data" in caplog.text) is debug


def test_messages_held_back_are_dropped_when_the_connection_is_lost() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        server.transport.abort()
        await server.send("one")
        await server.send("two")
        assert server.burst is not None
        await server.wait_closed()
        assert server.burst.cancelled()
        with pytest.raises(ConnectionClosedError):
            await client.recv()

    run(main())


# broadcast.


class RecordingTransport:
    """Wrap a transport to record what is written to it."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self.transport.write(data)

    def writelines(self, data: list[bytes]) -> None:
        self.written.append(b"".join(data))
        self.transport.writelines(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def record_writes(connection: Connection) -> RecordingTransport:
    recording = RecordingTransport(connection.transport)
    connection.transport = recording  # type: ignore[assignment]
    return recording


def test_broadcast_to_servers_and_clients() -> None:
    async def main() -> None:
        pairs = [await connection_pair() for _ in range(3)]
        servers = [server for _, server in pairs]
        clients = [client for client, _ in pairs]
        broadcast(servers, "to clients")
        broadcast(servers, b"bytes", text=True)
        broadcast(servers, "string", text=False)
        broadcast(clients, memoryview(b"to servers"))
        for client in clients:
            assert await client.recv() == "to clients"
            assert await client.recv() == "bytes"
            assert await client.recv() == b"string"
        for server in servers:
            assert await server.recv() == b"to servers"
        # Closed connections are skipped.
        await clients[0].close()
        broadcast(servers, "to the others")
        for client in clients[1:]:
            assert await client.recv() == "to the others"
            await client.close()

    run(main())


def test_broadcast_frames_once_for_servers_without_extensions() -> None:
    async def main() -> None:
        pairs = [await connection_pair() for _ in range(3)]
        recordings = [record_writes(server) for _, server in pairs]
        broadcast([server for _, server in pairs], "once")
        first, second, third = (recording.written for recording in recordings)
        assert first == [Frame(OP_TEXT, b"once").serialize(mask=False)]
        assert first[0] is second[0] is third[0]
        # Clients mask each frame with its own key.
        recordings = [record_writes(client) for client, _ in pairs]
        broadcast([client for client, _ in pairs], "masked")
        first, second, third = (recording.written for recording in recordings)
        assert first[0] is not second[0] is not third[0]
        for client, server in pairs:
            assert await client.recv() == "once"
            assert await server.recv() == "masked"
            await client.close()

    run(main())


def test_broadcast_doesnt_break_a_fragmented_frame_sequence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        client, server = await connection_pair()
        # A fragmented message started on the protocol directly.
        server.protocol.send_text(b"frag", fin=False)
        server.send_data()
        with caplog.at_level(logging.WARNING):
            broadcast([server], "not now")
        assert "failed to write message: ProtocolError" in caplog.text
        server.protocol.send_continuation(b"ment", fin=True)
        server.send_data()
        assert await client.recv() == "fragment"
        await client.close()

    run(main())


def test_broadcast_rejects_bad_messages() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        with pytest.raises(TypeError, match="^data must be str or bytes$"):
            broadcast([server], 42)  # type: ignore[arg-type]
        with pytest.raises(ProtocolError, match="isn't valid UTF-8"):
            broadcast([server], b"\xff", text=True)
        # Nothing was sent.
        broadcast([server], "valid")
        assert await client.recv() == "valid"
        await client.close()

    run(main())


def test_broadcast_memoryviews_of_any_layout() -> None:
    async def main() -> None:
        client, server = await connection_pair()
        for view in odd_views("café!".encode()):
            broadcast([server], view)
            broadcast([server], view, text=True)
            broadcast([client], view, text=True)
            assert await client.recv() == "café!".encode()
            assert await client.recv() == "café!"
            assert await server.recv() == "café!"
        await client.close()

    run(main())


def test_broadcast_skips_fragmented_messages(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        client, server = await connection_pair()
        release = asyncio.Event()

        async def fragments() -> AsyncIterator[str]:
            yield "frag"
            await release.wait()
            yield "ment"

        sending = asyncio.create_task(server.send(fragments()))
        await asyncio.sleep(SHORT)
        with caplog.at_level(logging.WARNING):
            broadcast([server], "skipped")
        assert "skipped broadcast: sending a fragmented message" in caplog.text
        if sys.version_info >= (3, 11):
            with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
                broadcast([server], "skipped", raise_exceptions=True)
            (exc,) = raised.value.exceptions
            assert isinstance(exc, ConcurrencyError)
        release.set()
        await sending
        assert await client.recv() == "fragment"
        await client.close()

    run(main())


def test_broadcast_write_errors(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        client, server = await connection_pair()
        break_writes(server, OSError("write failed"))
        break_writes(client, OSError("write failed"))
        with caplog.at_level(logging.WARNING):
            broadcast([server, client], "fails")
        assert caplog.text.count("skipped broadcast: failed to write message") == 2
        assert "OSError: write failed" in caplog.text
        if sys.version_info >= (3, 11):
            with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
                broadcast([server, client], "fails", raise_exceptions=True)
            for exc in raised.value.exceptions:
                assert isinstance(exc, RuntimeError)
                assert isinstance(exc.__cause__, OSError)
        client.transport.abort()
        server.transport.abort()

    run(main())


def test_connection_module_doesnt_import_server_module() -> None:
    code = (
        "import sys, ws_asyncio.connection; "
        "assert 'ws_asyncio.server' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

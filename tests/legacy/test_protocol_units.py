"""Transport-level behaviours of the legacy protocol, with a fake transport."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import pytest

from ws_asyncio.legacy.client import WebSocketClientProtocol
from ws_asyncio.legacy.framing import Frame, serialize_close
from ws_asyncio.legacy.protocol import WebSocketCommonProtocol
from ws_frames.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    PayloadTooBig,
    ProtocolError,
)
from ws_frames.frames import Close, Opcode
from ws_frames.protocol import State

from .utils import async_test


class FakeTransport(asyncio.Transport):
    """Records writes; closing it reports the connection lost soon after."""

    def __init__(self, protocol: WebSocketCommonProtocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def can_write_eof(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def set_write_buffer_limits(
        self, high: int | None = None, low: int | None = None
    ) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def open_protocol(
    protocol_class: type[WebSocketClientProtocol] = WebSocketClientProtocol,
    **kwargs: Any,
) -> tuple[WebSocketClientProtocol, FakeTransport]:
    kwargs.setdefault("close_timeout", 0.01)
    kwargs.setdefault("ping_interval", None)
    protocol = protocol_class(**kwargs)
    transport = FakeTransport(protocol)
    protocol.connection_made(transport)
    protocol.connection_open()
    return protocol, transport


def test_default_logger() -> None:
    async def run() -> None:
        protocol = WebSocketCommonProtocol()
        assert protocol.logger.logger.name == "websockets.protocol"  # type: ignore[union-attr]

    asyncio.run(run())


@async_test
async def test_drain_waits_while_paused() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    draining = asyncio.create_task(protocol.drain())
    await asyncio.sleep(0)
    assert not draining.done()
    protocol.resume_writing()
    await draining
    # Resuming without a waiter is harmless.
    protocol.pause_writing()
    protocol.resume_writing()
    transport.close()
    await protocol.wait_closed()


@async_test
async def test_connection_lost_with_error_while_draining() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    draining = asyncio.create_task(protocol.drain())
    await asyncio.sleep(0)
    transport.closing = True
    protocol.connection_lost(ConnectionResetError("reset"))
    with pytest.raises(ConnectionClosedError):
        await draining
    # The reader holds the error now; drain() reports it too.
    with pytest.raises(ConnectionClosedError):
        await protocol.drain()
    assert protocol.closed


@async_test
async def test_connection_lost_while_paused_without_waiter() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    transport.closing = True
    protocol.connection_lost(None)
    with pytest.raises(ConnectionClosedError):
        await protocol.drain()


@async_test
async def test_drain_on_closing_transport() -> None:
    protocol, transport = open_protocol()
    transport.closing = True
    # Not lost yet: drain() yields once and returns.
    await protocol.drain()
    protocol.connection_lost(None)
    await protocol.wait_closed()


@async_test
async def test_close_when_write_buffer_is_full() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    await protocol.close()
    assert protocol.closed
    assert protocol.close_code == 1006
    # The close frame was written, but the buffer never drained.
    assert transport.written[0][:1] == b"\x88"


@async_test
async def test_send_after_data_transfer_stopped() -> None:
    protocol, transport = open_protocol()
    protocol.transfer_data_task.cancel()
    await asyncio.sleep(0)
    assert protocol.state is State.OPEN
    assert not protocol.open
    with pytest.raises(ConnectionClosedError):
        await protocol.send("x")
    assert protocol.closed


@async_test
async def test_ping_while_closing_is_not_answered() -> None:
    protocol, transport = open_protocol()
    await protocol.write_close_frame(Close(1000, ""))
    written = len(transport.written)
    for frame in [Frame(True, Opcode.PING, b"p"), Frame(True, Opcode.CLOSE, b"")]:
        frame.write(protocol.data_received, mask=False)
    await protocol.wait_closed()
    # Nothing was sent after the close frame: no pong.
    assert len(transport.written) == written
    assert protocol.close_code == 1005


@async_test
async def test_fail_connection_after_close_frame_received() -> None:
    protocol, transport = open_protocol()
    protocol.close_rcvd = Close(1000, "")
    protocol.fail_connection(1011, "late")
    assert protocol.close_rcvd_then_sent is True
    assert protocol.close_sent == Close(1011, "late")
    await protocol.wait_closed()


@async_test
async def test_eof_is_abnormal_closure() -> None:
    protocol, transport = open_protocol()
    protocol.eof_received()
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert isinstance(raised.value.__cause__, EOFError)
    assert protocol.close_code == 1006


class StubbornTransport(FakeTransport):
    """Closing it does nothing; only aborting it ends the connection."""

    aborted = False

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.aborted = True
        asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)


@async_test
async def test_transport_aborted_when_closing_hangs() -> None:
    protocol = WebSocketClientProtocol(close_timeout=0.01, ping_interval=None)
    transport = StubbornTransport(protocol)
    protocol.connection_made(transport)
    protocol.connection_open()
    await protocol.close_transport()
    assert transport.aborted
    assert protocol.closed


@async_test
async def test_close_frames_written_as_frames() -> None:
    protocol, transport = open_protocol()
    await protocol.write_frame(True, Opcode.CLOSE, serialize_close(1001, "bye"))
    assert protocol.close_sent == Close(1001, "bye")
    assert protocol.state is State.CLOSING

    # An empty payload is a close frame without a code, both ways.
    async def with_write_frame(protocol: WebSocketClientProtocol) -> None:
        await protocol.write_frame(True, Opcode.CLOSE, b"")

    async def with_write_close_frame(protocol: WebSocketClientProtocol) -> None:
        await protocol.write_close_frame(Close(1005, ""), b"")

    for write in [with_write_frame, with_write_close_frame]:
        protocol, transport = open_protocol()
        await write(protocol)
        assert protocol.close_sent == Close(1005, "")
        # FIN and close opcode, masked, no payload.
        assert transport.written[-1][:2] == b"\x88\x80"
        transport.close()
        await protocol.wait_closed()


@async_test
async def test_drain_when_the_connection_is_about_to_be_lost() -> None:
    protocol, transport = open_protocol()
    transport.closing = True
    asyncio.get_running_loop().call_soon(protocol.connection_lost, None)
    with pytest.raises(ConnectionClosedError):
        await protocol.drain()


@async_test
async def test_concurrent_drains_wait_together() -> None:
    protocol, transport = open_protocol()
    protocol.pause_writing()
    drains = [asyncio.create_task(protocol.drain()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(drain.done() for drain in drains)
    protocol.resume_writing()
    await asyncio.gather(*drains)
    transport.close()
    await protocol.wait_closed()


@async_test
async def test_failing_twice_before_opening() -> None:
    protocol = WebSocketClientProtocol(close_timeout=0.01, ping_interval=None)
    protocol.connection_made(FakeTransport(protocol))
    protocol.fail_connection()
    closing = protocol.close_connection_task
    protocol.fail_connection()
    assert protocol.close_connection_task is closing
    await protocol.wait_closed()


@async_test
async def test_max_size_can_change() -> None:
    protocol, transport = open_protocol()
    protocol.max_size = 4
    assert protocol.max_size == 4
    Frame(True, Opcode.BINARY, b"12345").write(protocol.data_received, mask=False)
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert raised.value.sent == Close(1009, "")
    assert isinstance(raised.value.__cause__, PayloadTooBig)


class InterruptedFragments(WebSocketClientProtocol):
    """Reads nothing after the first fragment of a message."""

    async def read_data_frame(self, max_size: int | None) -> Frame | None:
        frame = await super().read_data_frame(max_size)
        if frame is not None and frame.opcode == Opcode.CONT:
            return None
        return frame


@async_test
async def test_message_interrupted_by_read_data_frame() -> None:
    protocol, transport = open_protocol(InterruptedFragments)
    Frame(False, Opcode.TEXT, b"a").write(protocol.data_received, mask=False)
    Frame(True, Opcode.CONT, b"b").write(protocol.data_received, mask=False)
    with pytest.raises(ConnectionClosedError) as raised:
        await protocol.recv()
    assert isinstance(raised.value.__cause__, ProtocolError)
    assert raised.value.sent == Close(1002, "")


@async_test
async def test_ping_payloads_are_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    protocol, transport = open_protocol()
    values = iter([1, 1, 2])
    monkeypatch.setattr(random, "getrandbits", lambda bits: next(values))
    await protocol.ping()
    await protocol.ping()
    assert list(protocol.pings) == [b"\x00\x00\x00\x01", b"\x00\x00\x00\x02"]
    transport.close()
    await protocol.wait_closed()


@async_test
async def test_keepalive_stops_quietly_when_the_connection_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protocol, transport = open_protocol(ping_interval=0)

    async def closed_ping(data: object = None) -> None:
        raise ConnectionClosedOK(Close(1000, ""), Close(1000, ""), True)

    protocol.ping = closed_ping  # type: ignore[assignment,method-assign]
    with caplog.at_level(logging.ERROR):
        await protocol.keepalive_ping_task
    assert caplog.text == ""
    transport.close()
    await protocol.wait_closed()

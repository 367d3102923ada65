"""Transport-level behaviours of the legacy protocol, with a fake transport."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ws_asyncio.legacy.client import WebSocketClientProtocol
from ws_asyncio.legacy.framing import Frame
from ws_asyncio.legacy.protocol import WebSocketCommonProtocol
from ws_frames.exceptions import ConnectionClosedError
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


def open_protocol(**kwargs: Any) -> tuple[WebSocketClientProtocol, FakeTransport]:
    protocol = WebSocketClientProtocol(close_timeout=0.01, ping_interval=None, **kwargs)
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

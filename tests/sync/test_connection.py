from __future__ import annotations

import logging
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    ProtocolError,
)
from ws_frames.frames import Close, CloseCode, Frame, Opcode
from ws_frames.protocol import Protocol, Side, State
from ws_sync.connection import Connection, broadcast

from ..frames.utils import odd_views
from .helpers import SHORT, connection_pair, raw_pair, run_in_thread, wait_for


# Sending and receiving messages


def test_send_and_recv_text_and_binary() -> None:
    with connection_pair() as (client, server):
        client.send("café")
        client.send(b"\x00\x01")
        client.send(bytearray(b"ba"))
        client.send(memoryview(b"mv"))
        assert server.recv() == "café"
        assert server.recv() == b"\x00\x01"
        assert server.recv() == b"ba"
        assert server.recv() == b"mv"


def test_send_text_argument_overrides_type() -> None:
    with connection_pair() as (client, server):
        client.send("as binary", text=False)
        client.send(b"as text", text=True)
        assert server.recv() == b"as binary"
        assert server.recv() == "as text"


def test_recv_decode_argument() -> None:
    with connection_pair() as (client, server):
        client.send("text")
        client.send(b"binary")
        assert server.recv(decode=False) == b"text"
        assert server.recv(decode=True) == "binary"


def test_send_fragmented_text_and_binary() -> None:
    with connection_pair() as (client, server):
        client.send(["ca", "f", "é"])
        client.send([b"a", bytearray(b"b"), memoryview(b"c")])
        client.send(iter(["x", "y"]), text=False)
        assert server.recv() == "café"
        assert server.recv() == b"abc"
        assert server.recv() == b"xy"


def test_send_empty_iterable_sends_nothing() -> None:
    with connection_pair() as (client, server):
        client.send([])
        client.send("after")
        assert server.recv() == "after"


def test_recv_streaming() -> None:
    with connection_pair() as (client, server):
        client.send(["ca", "f", "é"])
        client.send(b"single")
        # The final frame of a fragmented message sent by send() is empty.
        assert list(server.recv_streaming()) == ["ca", "f", "é", ""]
        assert list(server.recv_streaming()) == [b"single"]


def test_recv_streaming_decode() -> None:
    with connection_pair() as (client, server):
        client.send([b"a", b"b"])
        assert list(server.recv_streaming(decode=True)) == ["a", "b", ""]


def test_send_dict_raises_type_error() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TypeError, match="dict-like"):
            client.send({"a": 1})
        assert client.state is State.OPEN


def test_send_unsupported_type_raises_type_error() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TypeError, match="data must be str, bytes, or iterable"):
            client.send(42)  # type: ignore[arg-type]
        assert client.state is State.OPEN


def test_send_iterable_of_unsupported_type_raises_type_error() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TypeError, match="^iterable must contain bytes or str$"):
            client.send([1, 2])  # type: ignore[list-item]
        assert client.state is State.OPEN


def test_send_mixed_iterable_closes_connection() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TypeError, match="^iterable must contain uniform types$"):
            client.send(["text", b"bytes"])
        with pytest.raises(ConnectionClosedError):
            server.recv()
        assert server.close_code == CloseCode.INTERNAL_ERROR
        assert server.close_reason == "error in fragmented message"


def test_send_invalid_first_fragment_keeps_connection() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(ProtocolError):
            client.send([b"\xff", b"\xfe"], text=True)
        # Nothing was sent: the connection goes on.
        assert client.state is State.OPEN
        assert not client.send_in_progress
        client.send(["fine"])
        assert server.recv() == "fine"


def test_send_failing_iterator_closes_connection() -> None:
    def chunks() -> Iterator[str]:
        yield "a"
        raise RuntimeError("boom")

    with connection_pair() as (client, server):
        with pytest.raises(RuntimeError, match="boom"):
            client.send(chunks())
        with pytest.raises(ConnectionClosedError):
            server.recv()
        assert server.close_code == CloseCode.INTERNAL_ERROR


def test_send_during_fragmented_message_raises_concurrency_error() -> None:
    proceed = threading.Event()
    sending = threading.Event()

    def chunks() -> Iterator[str]:
        yield "a"
        sending.set()
        proceed.wait()
        yield "b"

    with connection_pair() as (client, server):
        thread, outcome = run_in_thread(lambda: client.send(chunks()))
        sending.wait()
        with pytest.raises(
            ConcurrencyError,
            match="^cannot call send while another thread is already running send$",
        ):
            client.send("c")
        with pytest.raises(ConcurrencyError):
            client.send(b"c")
        with pytest.raises(ConcurrencyError):
            client.send(["c"])
        assert isinstance(ConcurrencyError("x"), RuntimeError)
        proceed.set()
        thread.join()
        assert outcome == [None]
        assert server.recv() == "ab"


def test_close_during_fragmented_message_fails_connection() -> None:
    proceed = threading.Event()
    sending = threading.Event()

    def chunks() -> Iterator[bytes]:
        yield b"a"
        sending.set()
        proceed.wait()
        yield b"b"

    with connection_pair() as (client, server):
        thread, outcome = run_in_thread(lambda: client.send(chunks()))
        sending.wait()
        client.close()
        proceed.set()
        thread.join()
        assert isinstance(outcome[0], ConnectionClosed)
        assert client.protocol.close_sent == Close(
            CloseCode.INTERNAL_ERROR, "close during fragmented message"
        )
        with pytest.raises(ConnectionClosedError):
            server.recv()
        assert server.close_code == CloseCode.INTERNAL_ERROR


def test_send_after_close_raises_connection_closed_ok() -> None:
    with connection_pair() as (client, server):
        client.close()
        with pytest.raises(ConnectionClosedOK):
            client.send("late")
        with pytest.raises(ConnectionClosedOK):
            client.ping()
        with pytest.raises(ConnectionClosedOK):
            client.pong()


# recv() timeouts and concurrency


def test_recv_timeout() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TimeoutError):
            server.recv(timeout=0.01)
        with pytest.raises(TimeoutError):
            server.recv(timeout=0)
        client.send("now")
        wait_for(lambda: len(server.recv_messages.frames) == 1)
        assert server.recv(timeout=0) == "now"


def test_recv_concurrently_raises_concurrency_error() -> None:
    with connection_pair() as (client, server):
        thread, outcome = run_in_thread(server.recv)
        wait_for(lambda: server.recv_messages.get_in_progress)
        with pytest.raises(ConcurrencyError, match="cannot call recv"):
            server.recv()
        with pytest.raises(ConcurrencyError, match="cannot call recv_streaming"):
            list(server.recv_streaming())
        client.send("unblock")
        thread.join()
        assert outcome == ["unblock"]


def test_recv_wakes_up_when_connection_closes() -> None:
    with connection_pair() as (client, server):
        thread, outcome = run_in_thread(server.recv)
        wait_for(lambda: server.recv_messages.get_in_progress)
        client.close()
        thread.join()
        assert isinstance(outcome[0], ConnectionClosedOK)


def test_recv_streaming_after_close() -> None:
    with connection_pair() as (client, server):
        client.close()
        with pytest.raises(ConnectionClosedOK):
            list(server.recv_streaming())


def test_recv_invalid_utf8_with_decode_fails_connection() -> None:
    with connection_pair() as (client, server):
        client.send(b"\xff")
        with pytest.raises(ConnectionClosedError):
            server.recv(decode=True)
        assert server.protocol.close_sent is not None
        assert server.protocol.close_sent.code == CloseCode.INVALID_DATA
        with pytest.raises(ConnectionClosedError):
            client.recv()
        assert client.close_code == CloseCode.INVALID_DATA


def test_recv_streaming_invalid_utf8_with_decode_fails_connection() -> None:
    with connection_pair() as (client, server):
        client.send([b"\xff", b"\xfe"])
        with pytest.raises(ConnectionClosedError):
            list(server.recv_streaming(decode=True))
        assert server.protocol.close_sent is not None
        assert server.protocol.close_sent.code == CloseCode.INVALID_DATA
        # Receiving again tells that the connection is closed.
        with pytest.raises(ConnectionClosedError):
            server.recv()


# Iteration


def test_iteration_stops_on_normal_closure() -> None:
    with connection_pair() as (client, server):
        client.send("one")
        client.send("two")
        client.close()
        assert list(server) == ["one", "two"]


def test_iteration_raises_on_error_closure() -> None:
    with connection_pair() as (client, server):
        client.send("one")
        client.close(CloseCode.INTERNAL_ERROR, "oops")
        messages = []
        with pytest.raises(ConnectionClosedError) as raised:
            for message in server:
                messages.append(message)
        assert messages == ["one"]
        assert raised.value.rcvd is not None
        assert raised.value.rcvd.code == CloseCode.INTERNAL_ERROR


# Closing


def test_close_performs_closing_handshake() -> None:
    with connection_pair() as (client, server):
        client.close(CloseCode.GOING_AWAY, "bye")
        assert client.state is State.CLOSED
        assert client.close_code == CloseCode.GOING_AWAY
        assert client.close_reason == "bye"
        assert not client.recv_events_thread.is_alive()
        with pytest.raises(ConnectionClosedOK):
            server.recv()
        assert server.close_code == CloseCode.GOING_AWAY


def test_close_is_idempotent() -> None:
    with connection_pair() as (client, server):
        client.close()
        client.close()
        client.close(CloseCode.INTERNAL_ERROR)
        assert client.close_code == CloseCode.NORMAL_CLOSURE


def test_close_from_both_sides() -> None:
    with connection_pair() as (client, server):
        t1, o1 = run_in_thread(client.close)
        t2, o2 = run_in_thread(server.close)
        t1.join()
        t2.join()
        assert o1 == o2 == [None]
        assert client.state is server.state is State.CLOSED


def test_close_invalid_code_raises_protocol_error() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(ProtocolError):
            client.close(999)
        assert client.state is State.OPEN


def test_messages_received_before_close_are_delivered() -> None:
    with connection_pair() as (client, server):
        for index in range(5):
            client.send(str(index))
        client.close()
        server.close()
        assert [server.recv() for _ in range(5)] == ["0", "1", "2", "3", "4"]
        with pytest.raises(ConnectionClosedOK):
            server.recv()


def test_close_with_full_queue_completes() -> None:
    # The peer's close frame arrives behind messages that nobody reads.
    with connection_pair(max_queue=2) as (client, server):
        for index in range(10):
            client.send(str(index))
        wait_for(lambda: server.recv_messages.paused)
        start = time.monotonic()
        server.close()
        assert time.monotonic() - start < 1
        assert server.close_code == CloseCode.NORMAL_CLOSURE
        received = []
        with pytest.raises(ConnectionClosedOK):
            while True:
                received.append(server.recv())
        # What the queue held when reading paused is kept. Messages still
        # unread then may have arrived after the close frame was sent, while
        # the queue was full: those are dropped, whole, in a bounded queue.
        assert received[:3] == ["0", "1", "2"]
        assert received == [str(i) for i in range(len(received))]


def test_close_when_peer_queue_is_full_times_out() -> None:
    # The peer doesn't read, so it doesn't see the close frame.
    with connection_pair(max_queue=2, close_timeout=SHORT) as (client, server):
        for index in range(10):
            client.send(str(index))
        wait_for(lambda: server.recv_messages.paused)
        client.close()
        assert client.close_code == CloseCode.ABNORMAL_CLOSURE
        # Messages that arrived remain available to the peer.
        assert [server.recv() for _ in range(10)] == [str(i) for i in range(10)]


def test_close_timeout_when_peer_doesnt_answer() -> None:
    with raw_pair(close_timeout=SHORT) as (connection, peer):
        start = time.monotonic()
        connection.close()
        assert time.monotonic() - start < 2
        assert connection.state is State.CLOSED
        assert connection.close_code == CloseCode.ABNORMAL_CLOSURE
        with pytest.raises(ConnectionClosedError) as raised:
            connection.recv()
        assert isinstance(raised.value.__cause__, TimeoutError)


def test_context_manager_closes() -> None:
    with connection_pair() as (client, server):
        with client as entered:
            assert entered is client
        assert client.close_code == CloseCode.NORMAL_CLOSURE


def test_context_manager_closes_with_error() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(ZeroDivisionError):
            with client:
                1 / 0  # noqa: B018
        assert client.close_code == CloseCode.INTERNAL_ERROR


def test_peer_closes_tcp_abruptly() -> None:
    with raw_pair() as (connection, peer):
        peer.send_frame(Frame(Opcode.TEXT, b"before"))
        peer.sock.shutdown(socket.SHUT_RDWR)
        assert connection.recv() == "before"
        with pytest.raises(ConnectionClosedError):
            connection.recv()
        assert connection.close_code == CloseCode.ABNORMAL_CLOSURE


def test_protocol_error_from_peer() -> None:
    with raw_pair(close_timeout=SHORT) as (connection, peer):
        # A reserved opcode.
        peer.send_raw(b"\x83\x00")
        with pytest.raises(ConnectionClosedError) as raised:
            connection.recv()
        assert connection.protocol.close_sent is not None
        assert connection.protocol.close_sent.code == CloseCode.PROTOCOL_ERROR
        assert isinstance(raised.value.__cause__, ProtocolError)


def test_peer_sends_close_frame() -> None:
    with raw_pair() as (connection, peer):
        peer.send_frame(Frame(Opcode.TEXT, b"last"))
        peer.send_frame(Frame(Opcode.CLOSE, Close(1001, "away").serialize()))
        reply = peer.receive_until(lambda frame: frame.opcode is Opcode.CLOSE)
        assert Close.parse(reply.data) == Close(1001, "away")
        peer.sock.shutdown(socket.SHUT_WR)
        assert connection.recv() == "last"
        with pytest.raises(ConnectionClosedOK):
            connection.recv()
        assert connection.close_code == 1001


# Ping and pong


def test_ping_returns_event_set_on_pong() -> None:
    with connection_pair() as (client, server):
        thread, _ = run_in_thread(lambda: list(server))
        pong_received = client.ping()
        assert pong_received.wait(2)
        assert client.latency > 0
        assert client.ping("text payload").wait(2)
        assert client.ping(b"bytes payload").wait(2)
        assert client.ping(bytearray(b"ba")).wait(2)
        client.close()
        thread.join()


def test_ping_duplicate_payload_raises() -> None:
    with raw_pair() as (connection, peer):
        connection.ping(b"same")
        with pytest.raises(ConcurrencyError, match="already waiting"):
            connection.ping(b"same")
        with pytest.raises(RuntimeError):
            connection.ping("same")


def test_ping_invalid_type() -> None:
    with raw_pair() as (connection, peer):
        with pytest.raises(TypeError):
            connection.ping(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            connection.pong(42)  # type: ignore[arg-type]


def test_pong_acknowledges_earlier_pings() -> None:
    with raw_pair() as (connection, peer):
        peer.auto_reply = False
        first = connection.ping(b"1")
        second = connection.ping(b"2")
        third = connection.ping(b"3")
        peer.receive_until(lambda frame: frame.data == b"3")
        # An unrelated pong is ignored.
        peer.send_frame(Frame(Opcode.PONG, b"unknown"))
        peer.send_frame(Frame(Opcode.PONG, b"2"))
        assert second.wait(2)
        assert first.is_set()
        assert not third.is_set()
        assert list(connection.pending_pings) == [b"3"]


def test_pong_sends_pong() -> None:
    with raw_pair() as (connection, peer):
        connection.pong("heartbeat")
        connection.pong(b"bytes")
        frame = peer.receive_until(lambda frame: frame.opcode is Opcode.PONG)
        assert frame.data == b"heartbeat"


def test_pending_pings_released_on_close_only_if_asked() -> None:
    with raw_pair(close_timeout=SHORT) as (connection, peer):
        plain = connection.ping(b"plain")
        acked = connection.ping(b"acked", ack_on_close=True)
        peer.close()
        connection.close()
        assert acked.is_set()
        assert not plain.is_set()


# Keepalive


def test_keepalive_sends_pings() -> None:
    with connection_pair(ping_interval=0.02, ping_timeout=1) as (client, server):
        thread, _ = run_in_thread(lambda: list(server))
        client.start_keepalive()
        wait_for(lambda: client.latency > 0)
        client.close()
        thread.join()
        assert client.keepalive_thread is not None
        client.keepalive_thread.join(2)
        assert not client.keepalive_thread.is_alive()


def test_keepalive_timeout_fails_connection() -> None:
    # The peer never reads, so it never answers pings.
    with raw_pair(ping_interval=0.02, ping_timeout=0.05, close_timeout=SHORT) as (
        connection,
        peer,
    ):
        connection.start_keepalive()
        with pytest.raises(ConnectionClosedError):
            connection.recv(timeout=5)
        assert connection.protocol.close_sent is not None
        assert connection.protocol.close_sent.code == CloseCode.INTERNAL_ERROR
        assert connection.protocol.close_sent.reason == "keepalive ping timeout"


def test_keepalive_without_timeout() -> None:
    with raw_pair(ping_interval=0.01, ping_timeout=None) as (connection, peer):
        connection.start_keepalive()
        wait_for(lambda: len(connection.pending_pings) >= 2)
        connection.close_socket()
        assert connection.keepalive_thread is not None
        connection.keepalive_thread.join(2)
        assert not connection.keepalive_thread.is_alive()


def test_keepalive_disabled() -> None:
    with connection_pair(ping_interval=None) as (client, server):
        client.start_keepalive()
        assert client.keepalive_thread is None


# Flow control and peers that stop reading


def test_flow_control_pauses_reading() -> None:
    with connection_pair(max_queue=(4, 1)) as (client, server):
        for index in range(20):
            client.send(str(index))
        wait_for(lambda: server.recv_messages.paused)
        assert [server.recv(timeout=2) for _ in range(20)] == [
            str(i) for i in range(20)
        ]
        assert not server.recv_messages.paused


def test_flow_control_disabled() -> None:
    with connection_pair(max_queue=None) as (client, server):
        assert server.recv_messages.high is None
        for index in range(50):
            client.send(str(index))
        wait_for(lambda: len(server.recv_messages.frames) == 50)


def test_send_blocked_by_peer_doesnt_block_reading() -> None:
    with raw_pair(close_timeout=SHORT) as (connection, peer):
        # The peer never reads: sending eventually blocks.
        blob = b"\x00" * 2**20

        def send_until_blocked() -> None:
            for _ in range(64):
                connection.send(blob)

        thread, outcome = run_in_thread(send_until_blocked)
        wait_for(lambda: connection.send_mutex.locked())
        time.sleep(0.05)
        assert thread.is_alive()
        # Meanwhile, messages from the peer still arrive.
        peer.send_frame(Frame(Opcode.TEXT, b"still reading"))
        assert connection.recv(timeout=2) == "still reading"
        # And closing completes within the close timeout.
        start = time.monotonic()
        connection.close()
        assert time.monotonic() - start < 2
        thread.join(2)
        assert isinstance(outcome[0], ConnectionClosedError)


def test_peer_close_while_send_blocked() -> None:
    with raw_pair(close_timeout=SHORT) as (connection, peer):
        blob = b"\x00" * 2**20

        def send_until_blocked() -> None:
            for _ in range(64):
                connection.send(blob)

        thread, outcome = run_in_thread(send_until_blocked)
        wait_for(lambda: connection.send_mutex.locked())
        peer.send_frame(Frame(Opcode.CLOSE, Close(1000, "").serialize()))
        peer.sock.shutdown(socket.SHUT_WR)
        with pytest.raises(ConnectionClosed):
            connection.recv(timeout=5)
        thread.join(5)
        assert isinstance(outcome[0], ConnectionClosed)


# Attributes


def test_attributes() -> None:
    with connection_pair() as (client, server):
        assert client.id == client.protocol.id
        assert isinstance(client.logger, logging.LoggerAdapter)
        assert client.logger.extra == {"websocket": client}
        assert client.local_address == client.socket.getsockname()
        assert client.remote_address == client.socket.getpeername()
        assert client.state is State.OPEN
        assert client.subprotocol is None
        assert client.request is None and client.response is None
        assert client.close_code is None and client.close_reason is None
        assert client.max_queue == (16, None)


def test_unexpected_error_in_reading_thread(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Connection):
        def process_event(self, event: object) -> None:
            raise RuntimeError("bug")

    client_sock, server_sock = socket.socketpair()
    client = Connection(client_sock, Protocol(Side.CLIENT), ping_interval=None)
    server = Broken(server_sock, Protocol(Side.SERVER), ping_interval=None)
    try:
        with caplog.at_level(logging.ERROR):
            client.send("trigger")
            with pytest.raises(ConnectionClosedError) as raised:
                server.recv(timeout=5)
        assert isinstance(raised.value.__cause__, RuntimeError)
        assert "unexpected internal error" in caplog.text
    finally:
        client.close_socket()
        server.close_socket()


def test_unexpected_error_in_send_closes(caplog: pytest.LogCaptureFixture) -> None:
    with connection_pair() as (client, server):

        def broken(data: object, fin: bool = True) -> None:
            raise RuntimeError("bug")

        client.protocol.send_binary = broken  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR):
            with pytest.raises(ConnectionClosedError) as raised:
                client.send(b"x")
        assert isinstance(raised.value.__cause__, RuntimeError)
        assert "unexpected internal error" in caplog.text
        assert client.state is State.CLOSED


def test_frame_received_after_close_socket_is_dropped() -> None:
    with connection_pair() as (client, server):
        client.close_socket()
        # The reading thread may still process a frame when another thread
        # has just closed the socket.
        with client.protocol_mutex:
            client.process_event(Frame(Opcode.TEXT, b"late"))
        with pytest.raises(ConnectionClosedError):
            client.recv()


def test_unexpected_error_in_send_context(caplog: pytest.LogCaptureFixture) -> None:
    with connection_pair() as (client, server):
        with caplog.at_level(logging.ERROR):
            with pytest.raises(ConnectionClosedError) as raised:
                with client.send_context():
                    raise KeyError("bug")
        assert isinstance(raised.value.__cause__, KeyError)
        assert client.state is State.CLOSED


def test_write_error_raises_connection_closed() -> None:
    with raw_pair() as (connection, peer):
        peer.close()
        with pytest.raises(ConnectionClosedError):
            for _ in range(100):
                connection.send(b"\x00" * 65536)
                time.sleep(0.001)


def test_keepalive_logs_pongs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.ws_sync.keepalive")
    logger.setLevel(logging.DEBUG)
    client_sock, server_sock = socket.socketpair()
    client = Connection(
        client_sock,
        Protocol(Side.CLIENT, logger=logger),
        ping_interval=0.01,
        ping_timeout=2,
    )
    server = Connection(server_sock, Protocol(Side.SERVER), ping_interval=None)
    try:
        with caplog.at_level(logging.DEBUG, logger="test.ws_sync.keepalive"):
            client.start_keepalive()
            wait_for(lambda: "% received keepalive pong" in caplog.text)
            client.close()
    finally:
        client.close_socket()
        server.close_socket()


def test_keepalive_ends_with_the_connection(caplog: pytest.LogCaptureFixture) -> None:
    with connection_pair(ping_interval=0.01) as (client, server):

        def closed(*args: Any, **kwargs: Any) -> Any:
            client.close()
            return Connection.ping(client, *args, **kwargs)

        client.ping = closed  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR):
            client.start_keepalive()
            assert client.keepalive_thread is not None
            client.keepalive_thread.join(2)
        assert not client.keepalive_thread.is_alive()
        assert caplog.text == ""


def test_keepalive_logs_unexpected_errors(caplog: pytest.LogCaptureFixture) -> None:
    with connection_pair(ping_interval=0.01) as (client, server):

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("broken")

        client.ping = broken  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR):
            client.start_keepalive()
            assert client.keepalive_thread is not None
            client.keepalive_thread.join(2)
        assert "keepalive ping failed" in caplog.text


def test_close_without_close_timeout() -> None:
    with connection_pair(close_timeout=None) as (client, server):
        client.close()
        assert client.close_code == CloseCode.NORMAL_CLOSURE


def test_fragments_after_close() -> None:
    with connection_pair() as (client, server):
        client.close()
        with pytest.raises(ConnectionClosedOK):
            client.send(["never", "sent"])
        assert not client.send_in_progress


@pytest.mark.parametrize("debug", [False, True])
def test_write_errors_in_reading_thread(
    caplog: pytest.LogCaptureFixture, debug: bool
) -> None:
    logger = logging.getLogger("test.ws_sync.debug_write")
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    client_sock, peer_sock = socket.socketpair()
    client = Connection(
        client_sock, Protocol(Side.CLIENT, logger=logger), ping_interval=None
    )
    real_socket = client.socket
    client.socket = BrokenSocket(real_socket)  # type: ignore[assignment]
    peer = Protocol(Side.SERVER)
    try:
        with caplog.at_level(logging.DEBUG, logger="test.ws_sync.debug_write"):
            # The answer to a ping fails to be written in the reading thread.
            peer.send_ping(b"ping")
            peer_sock.sendall(b"".join(peer.data_to_send()))
            with pytest.raises(ConnectionClosedError) as raised:
                client.recv(timeout=5)
            assert isinstance(raised.value.__cause__, BrokenPipeError)
            # Then sending fails at once.
            with pytest.raises(ConnectionClosed):
                client.send("fails")
        assert caplog.text.count("! error while sending data") == debug
    finally:
        client.close_socket()
        peer_sock.close()


def test_debug_logging_of_send_errors(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.ws_sync.debug_send")
    logger.setLevel(logging.DEBUG)
    client_sock, peer_sock = socket.socketpair()
    client = Connection(
        client_sock, Protocol(Side.CLIENT, logger=logger), ping_interval=None
    )
    client.socket = BrokenSocket(client.socket)  # type: ignore[assignment]
    try:
        with caplog.at_level(logging.DEBUG, logger="test.ws_sync.debug_send"):
            with pytest.raises(ConnectionClosedError) as raised:
                client.send("fails")
            assert isinstance(raised.value.__cause__, BrokenPipeError)
        assert "! error while sending data" in caplog.text
    finally:
        client.close_socket()
        peer_sock.close()


def test_debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.ws_sync.debug")
    logger.setLevel(logging.DEBUG)
    client_sock, server_sock = socket.socketpair()
    try:
        with caplog.at_level(logging.DEBUG, logger="test.ws_sync.debug"):
            client = Connection(
                client_sock,
                Protocol(Side.CLIENT, logger=logger),
                ping_interval=0.01,
                ping_timeout=0.05,
                close_timeout=SHORT,
            )
            client.start_keepalive()
            with pytest.raises(ConnectionClosedError):
                client.recv(timeout=5)
        assert "% sent keepalive ping" in caplog.text
        assert "- timed out waiting for keepalive pong" in caplog.text
    finally:
        client.close_socket()
        server_sock.close()


def test_send_iterable_bytes_then_str_closes_connection() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TypeError, match="^iterable must contain uniform types$"):
            client.send([b"bytes", "text"])
        with pytest.raises(ConnectionClosedError):
            server.recv()


def test_send_while_closing_waits_then_raises() -> None:
    with raw_pair(close_timeout=SHORT) as (connection, peer):
        closer, outcome = run_in_thread(connection.close)
        wait_for(lambda: connection.state is State.CLOSING)
        with pytest.raises(ConnectionClosedError):
            connection.send("during closing handshake")
        closer.join()
        assert outcome == [None]


def test_write_error_after_own_data_isnt_reported() -> None:
    with raw_pair() as (connection, peer):
        real_socket = connection.socket
        calls: list[bytes] = []

        class Socket:
            def sendall(self, data: bytes) -> None:
                calls.append(bytes(data))
                if len(calls) == 1:
                    real_socket.sendall(data)
                    # Another thread queues data meanwhile.
                    connection.outgoing.append(b"queued by another thread")
                    connection.chunks_queued += 1
                else:
                    raise BrokenPipeError

            def __getattr__(self, name: str) -> object:
                return getattr(real_socket, name)

        connection.socket = Socket()  # type: ignore[assignment]
        # This call's data was written: the error isn't its own.
        connection.send("mine")
        assert len(calls) == 2
        assert isinstance(connection.write_exc, BrokenPipeError)
        # The next call fails at once.
        with pytest.raises(ConnectionClosedError) as raised:
            connection.send("next")
        assert isinstance(raised.value.__cause__, BrokenPipeError)
        connection.socket = real_socket


def test_debug_logging_of_io_errors(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.ws_sync.debug_io")
    logger.setLevel(logging.DEBUG)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client_sock = socket.create_connection(listener.getsockname())
        server_sock, _ = listener.accept()
    with caplog.at_level(logging.DEBUG, logger="test.ws_sync.debug_io"):
        client = Connection(
            client_sock,
            Protocol(Side.CLIENT, logger=logger),
            ping_interval=None,
        )
        try:
            # Reset the TCP connection.
            server_sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            server_sock.close()
            with pytest.raises(ConnectionClosedError) as raised:
                client.recv(timeout=5)
            assert isinstance(raised.value.__cause__, ConnectionResetError)
        finally:
            client.close_socket()
    assert "! error while receiving data" in caplog.text


# broadcast()


class RecordingSocket:
    """Wrap a socket to record what is written to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.written: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.written.append(data)
        self.sock.sendall(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class BrokenSocket(RecordingSocket):
    def sendall(self, data: bytes) -> None:
        raise BrokenPipeError("write failed")


def test_broadcast_to_servers_and_clients() -> None:
    with (
        connection_pair() as (client1, server1),
        connection_pair() as (
            client2,
            server2,
        ),
    ):
        broadcast([server1, server2], "to clients")
        broadcast([server1, server2], b"bytes", text=True)
        broadcast([server1, server2], "string", text=False)
        broadcast([client1, client2], memoryview(b"to servers"))
        for client in (client1, client2):
            assert client.recv(timeout=2) == "to clients"
            assert client.recv(timeout=2) == "bytes"
            assert client.recv(timeout=2) == b"string"
        for server in (server1, server2):
            assert server.recv(timeout=2) == b"to servers"
        # Closed connections are skipped.
        client1.close()
        broadcast([server1, server2], "to the other")
        assert client2.recv(timeout=2) == "to the other"


def test_broadcast_memoryviews_of_any_layout() -> None:
    with connection_pair() as (client, server):
        for view in odd_views("café!".encode()):
            broadcast([server], view)
            broadcast([server], view, text=True)
            broadcast([client], view, text=True)
            assert client.recv(timeout=2) == "café!".encode()
            assert client.recv(timeout=2) == "café!"
            assert server.recv(timeout=2) == "café!"


def test_broadcast_frames_once_for_servers_without_extensions() -> None:
    with (
        connection_pair() as (client1, server1),
        connection_pair() as (
            client2,
            server2,
        ),
    ):
        recordings = [RecordingSocket(server.socket) for server in (server1, server2)]
        server1.socket, server2.socket = recordings  # type: ignore[assignment]
        broadcast([server1, server2], "once")
        first, second = (recording.written for recording in recordings)
        assert first == [Frame(Opcode.TEXT, b"once").serialize(mask=False)]
        assert first[0] is second[0]
        # Clients mask each frame with its own key.
        recordings = [RecordingSocket(client.socket) for client in (client1, client2)]
        client1.socket, client2.socket = recordings  # type: ignore[assignment]
        broadcast([client1, client2], "masked")
        first, second = (recording.written for recording in recordings)
        assert first[0] is not second[0]
        for client, server in [(client1, server1), (client2, server2)]:
            assert client.recv(timeout=2) == "once"
            assert server.recv(timeout=2) == "masked"
            client.socket = client.socket.sock  # type: ignore[attr-defined]
            server.socket = server.socket.sock  # type: ignore[attr-defined]


def test_broadcast_doesnt_break_a_fragmented_frame_sequence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with connection_pair() as (client, server):
        # A fragmented message started on the protocol directly.
        with server.protocol_mutex:
            server.protocol.send_text(b"frag", fin=False)
            server.send_data()
        server.flush()
        with caplog.at_level(logging.WARNING):
            broadcast([server], "not now")
        assert "failed to write message: ws_frames.exceptions.ProtocolError" in (
            caplog.text
        )
        with server.protocol_mutex:
            server.protocol.send_continuation(b"ment", fin=True)
            server.send_data()
        server.flush()
        assert client.recv(timeout=2) == "fragment"


def test_broadcast_rejects_bad_arguments() -> None:
    with connection_pair() as (client, server):
        with pytest.raises(TypeError, match="^data must be str or bytes$"):
            broadcast([server], 42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="unexpected keyword argument 'other'"):
            broadcast([server], "x", other=True)
        with pytest.raises(ProtocolError, match="isn't valid UTF-8"):
            broadcast([server], b"\xff", text=True)
        # Nothing was sent.
        broadcast([server], "valid")
        assert client.recv(timeout=2) == "valid"


def test_broadcast_skips_fragmented_messages(caplog: pytest.LogCaptureFixture) -> None:
    sending = threading.Event()
    proceed = threading.Event()

    def chunks() -> Iterator[str]:
        yield "frag"
        sending.set()
        proceed.wait()
        yield "ment"

    with connection_pair() as (client, server):
        thread, outcome = run_in_thread(lambda: server.send(chunks()))
        sending.wait()
        with caplog.at_level(logging.WARNING):
            broadcast([server], "skipped")
        assert "skipped broadcast: sending a fragmented message" in caplog.text
        if sys.version_info >= (3, 11):
            with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
                broadcast([server], "skipped", raise_exceptions=True)
            (exc,) = raised.value.exceptions
            assert isinstance(exc, ConcurrencyError)
        proceed.set()
        thread.join()
        assert client.recv(timeout=2) == "fragment"


def test_broadcast_write_errors(caplog: pytest.LogCaptureFixture) -> None:
    with (
        connection_pair() as (client1, server1),
        connection_pair() as (
            client2,
            server2,
        ),
    ):
        for connection in (server1, client2):
            connection.socket = BrokenSocket(connection.socket)  # type: ignore[assignment]
        with caplog.at_level(logging.WARNING):
            broadcast([server1, client2], "fails")
        assert caplog.text.count("skipped broadcast: failed to write message") == 2
        assert "BrokenPipeError: write failed" in caplog.text
        # The connections are closed.
        with pytest.raises(ConnectionClosedError) as closed:
            server1.recv(timeout=2)
        assert isinstance(closed.value.__cause__, BrokenPipeError)
        with pytest.raises(ConnectionClosedError):
            client2.recv(timeout=2)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needs ExceptionGroup")
def test_broadcast_write_errors_raised() -> None:
    with connection_pair() as (client, server):
        server.socket = BrokenSocket(server.socket)  # type: ignore[assignment]
        with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
            broadcast([server], "fails", raise_exceptions=True)
        (exc,) = raised.value.exceptions
        assert isinstance(exc, RuntimeError)
        assert isinstance(exc.__cause__, BrokenPipeError)


def test_connection_module_doesnt_import_server_module() -> None:
    code = "import sys, ws_sync.connection; assert 'ws_sync.server' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


message_strategy = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300),
    st.lists(st.text(max_size=50), min_size=1, max_size=4),
    st.lists(st.binary(max_size=50), min_size=1, max_size=4),
)


@settings(max_examples=30, deadline=None)
@given(messages=st.lists(message_strategy, max_size=8))
def test_messages_round_trip(messages: list[Any]) -> None:
    with connection_pair() as (client, server):
        for message in messages:
            client.send(message)
        for message in messages:
            if isinstance(message, list):
                expected = (
                    "".join(message)
                    if isinstance(message[0], str)
                    else b"".join(message)
                )
            else:
                expected = message
            assert server.recv(timeout=5) == expected
        client.close()
        with pytest.raises(ConnectionClosedOK):
            server.recv(timeout=5)

"""Helpers for the tests of ws_sync: connections over socket pairs and raw peers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ws_frames.frames import Frame
from ws_frames.protocol import Protocol, Side
from ws_sync.connection import Connection


# Short enough to keep the tests fast, long enough for a loaded machine.
SHORT = 0.2


@contextmanager
def connection_pair(**kwargs: Any) -> Iterator[tuple[Connection, Connection]]:
    """Yield a client and a server connection over a socket pair."""
    client_sock, server_sock = socket.socketpair()
    kwargs.setdefault("ping_interval", None)
    kwargs.setdefault("close_timeout", 2)
    client = Connection(client_sock, Protocol(Side.CLIENT), **kwargs)
    server = Connection(server_sock, Protocol(Side.SERVER), **kwargs)
    try:
        yield client, server
    finally:
        client.close_socket()
        server.close_socket()
        client.recv_events_thread.join()
        server.recv_events_thread.join()


class RawPeer:
    """The other end of a connection, driven frame by frame by the test."""

    def __init__(self, sock: socket.socket, side: Side) -> None:
        self.sock = sock
        self.protocol = Protocol(side, max_size=None)
        # Whether to send what the protocol answers, like pongs and close frames.
        self.auto_reply = True

    def send_frame(self, frame: Frame) -> None:
        self.protocol.send_frame(frame)
        self.flush()

    def flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)
            else:
                self.sock.shutdown(socket.SHUT_WR)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self, timeout: float = 2) -> list[Frame]:
        """Read once from the socket and return the frames received."""
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        events = self.protocol.events_received()
        if self.auto_reply:
            self.flush()
        else:
            self.protocol.data_to_send()
        return [event for event in events if isinstance(event, Frame)]

    def receive_until(
        self, predicate: Callable[[Frame], bool], timeout: float = 2
    ) -> Frame:
        """Read until a frame matches ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.receive(max(deadline - time.monotonic(), 0.001)):
                if predicate(frame):
                    return frame

    def close(self) -> None:
        self.sock.close()


@contextmanager
def raw_pair(**kwargs: Any) -> Iterator[tuple[Connection, RawPeer]]:
    """Yield a client connection and a raw server peer over a socket pair."""
    client_sock, server_sock = socket.socketpair()
    kwargs.setdefault("ping_interval", None)
    kwargs.setdefault("close_timeout", 2)
    connection = Connection(client_sock, Protocol(Side.CLIENT), **kwargs)
    peer = RawPeer(server_sock, Side.SERVER)
    try:
        yield connection, peer
    finally:
        connection.close_socket()
        connection.recv_events_thread.join()
        peer.close()


def run_in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``target`` in a thread; the list receives its result or exception."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(target())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_for(predicate: Callable[[], bool], timeout: float = 5) -> None:
    """Poll until ``predicate`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.001)

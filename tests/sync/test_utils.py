from __future__ import annotations

import contextlib
import ssl
import time

import pytest

from ws_sync.utils import Deadline


def test_no_timeout() -> None:
    deadline = Deadline(None)
    assert deadline.deadline is None
    assert deadline.timeout() is None
    assert deadline.timeout(raise_if_elapsed=False) is None


def test_timeout_decreases() -> None:
    deadline = Deadline(10)
    first = deadline.timeout()
    assert first is not None and 9 < first <= 10
    time.sleep(0.01)
    second = deadline.timeout()
    assert second is not None and second < first


def test_elapsed_raises() -> None:
    deadline = Deadline(0)
    with pytest.raises(TimeoutError, match="timed out"):
        deadline.timeout()


def test_elapsed_without_raising() -> None:
    deadline = Deadline(-1)
    remaining = deadline.timeout(raise_if_elapsed=False)
    assert remaining is not None and remaining < 0


def test_tls_socket_round_trip_and_eof() -> None:
    import socket
    import threading

    from ws_sync.client import SSLSSLSocket as TLSSocket
    from ws_sync.server import ServerSSLSocket

    from .servers import client_ssl_context, server_ssl_context

    raw_client, raw_server = socket.socketpair()
    server_box: list[ServerSSLSocket] = []
    thread = threading.Thread(
        target=lambda: server_box.append(
            ServerSSLSocket(raw_server, server_ssl_context())
        )
    )
    thread.start()
    client = TLSSocket(raw_client, client_ssl_context(), server_hostname="localhost")
    thread.join()
    (server,) = server_box
    client.sendall(b"hello" * 10000)
    received = b""
    while len(received) < 50000:
        received += server.recv(65536)
    assert received == b"hello" * 10000
    assert client.send(b"!") == 1
    assert server.recv(10) == b"!"
    # The end of the stream, without close_notify.
    raw_client.shutdown(socket.SHUT_WR)
    assert server.recv(10) == b""
    # Other attributes come from the underlying socket.
    assert server.fileno() == raw_server.fileno()
    raw_client.close()
    raw_server.close()


def test_tls_socket_clean_close() -> None:
    import socket
    import threading

    from ws_sync.client import SSLSSLSocket as TLSSocket
    from ws_sync.server import ServerSSLSocket

    from .servers import client_ssl_context, server_ssl_context

    raw_client, raw_server = socket.socketpair()
    server_box: list[ServerSSLSocket] = []
    thread = threading.Thread(
        target=lambda: server_box.append(
            ServerSSLSocket(raw_server, server_ssl_context())
        )
    )
    thread.start()
    client = TLSSocket(raw_client, client_ssl_context(), server_hostname="localhost")
    thread.join()
    (server,) = server_box
    # Send close_notify: the other side sees the end of the stream.
    with client.lock, contextlib.suppress(ssl.SSLWantReadError):
        client.ssl_object.unwrap()
    raw_client.sendall(client.outgoing.read())
    assert server.recv(10) == b""
    raw_client.close()
    raw_server.close()

from __future__ import annotations

import array
import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

from ws_sync.client import SSLSSLSocket
from ws_sync.tls import TLSSocket

from .servers import client_ssl_context, server_ssl_context


T = TypeVar("T")


def in_thread(func: Callable[[], T]) -> Callable[[], T]:
    """Run ``func`` in a thread; return a function that joins it."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(func())
        except BaseException as exc:  # pragma: no cover - shown by join
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()

    def join() -> T:
        thread.join(10)
        assert not thread.is_alive()
        if errors:  # pragma: no cover
            raise errors[0]
        return results[0]

    return join


def handshake(
    client_sock: Any,
    server_sock: Any,
    client_context: ssl.SSLContext | None = None,
    server_context: ssl.SSLContext | None = None,
) -> tuple[TLSSocket, TLSSocket]:
    """Run the TLS handshake between two connected sockets."""
    server_join = in_thread(
        lambda: TLSSocket(
            server_sock, server_context or server_ssl_context(), server_side=True
        )
    )
    client = TLSSocket(client_sock, client_context or client_ssl_context(), "localhost")
    return client, server_join()


@pytest.fixture
def pair() -> Iterator[tuple[TLSSocket, TLSSocket]]:
    raw_client, raw_server = socket.socketpair()
    raw_client.settimeout(10)
    raw_server.settimeout(10)
    with raw_client, raw_server:
        yield handshake(raw_client, raw_server)


def recv_exactly(sock: TLSSocket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(65536)
        assert chunk, "unexpected end of stream"
        data += chunk
    return bytes(data)


def test_former_name() -> None:
    assert SSLSSLSocket is TLSSocket


def test_exchange(pair: tuple[TLSSocket, TLSSocket]) -> None:
    client, server = pair
    client.sendall(b"hello")
    assert recv_exactly(server, 5) == b"hello"
    assert server.send(b"world!") == 6
    assert recv_exactly(client, 6) == b"world!"


def test_sendall_takes_any_bytes_like(pair: tuple[TLSSocket, TLSSocket]) -> None:
    client, server = pair
    words = array.array("H", [0x4142, 0x4344])
    client.sendall(memoryview(words))
    client.sendall(bytearray(b"ef"))
    client.sendall(memoryview(b"..gh")[2:])
    assert recv_exactly(server, 8) == words.tobytes() + b"efgh"


def test_session_information(pair: tuple[TLSSocket, TLSSocket]) -> None:
    client, server = pair
    assert client.server_side is False
    assert server.server_side is True
    assert client.server_hostname == "localhost"
    assert server.server_hostname is None
    assert isinstance(client.context, ssl.SSLContext)
    assert client.version() == server.version()
    assert client.version() in ("TLSv1.2", "TLSv1.3")
    cipher = client.cipher()
    assert cipher is not None and cipher == server.cipher()
    certificate = client.getpeercert()
    assert certificate is not None
    assert ("DNS", "localhost") in certificate["subjectAltName"]
    binary = client.getpeercert(binary_form=True)
    assert isinstance(binary, bytes) and binary
    # The client didn't present a certificate.
    assert server.getpeercert() is None
    assert client.selected_alpn_protocol() is None


def test_alpn() -> None:
    client_context = client_ssl_context()
    client_context.set_alpn_protocols(["h2", "http/1.1"])
    server_context = server_ssl_context()
    server_context.set_alpn_protocols(["http/1.1"])
    raw_client, raw_server = socket.socketpair()
    with raw_client, raw_server:
        client, server = handshake(
            raw_client, raw_server, client_context, server_context
        )
        assert client.selected_alpn_protocol() == "http/1.1"
        assert server.selected_alpn_protocol() == "http/1.1"


def test_other_attributes_come_from_the_socket(
    pair: tuple[TLSSocket, TLSSocket],
) -> None:
    client, _ = pair
    assert client.fileno() == client.ssl_socket.fileno()
    assert client.family == socket.AF_UNIX
    client.settimeout(1.5)
    assert client.ssl_socket.gettimeout() == 1.5


def test_end_of_stream_without_close_notify(
    pair: tuple[TLSSocket, TLSSocket],
) -> None:
    client, server = pair
    client.sendall(b"last")
    client.ssl_socket.shutdown(socket.SHUT_WR)
    assert recv_exactly(server, 4) == b"last"
    assert server.recv(10) == b""
    assert server.recv(10) == b""


def test_end_of_stream_with_close_notify(
    pair: tuple[TLSSocket, TLSSocket],
) -> None:
    client, server = pair
    with contextlib.suppress(ssl.SSLWantReadError):
        client.ssl_object.unwrap()
    client.ssl_socket.sendall(client.outgoing.read())
    assert server.recv(10) == b""


def test_read_and_write_from_two_threads_at_once(
    pair: tuple[TLSSocket, TLSSocket],
) -> None:
    client, server = pair
    size = 2_000_000
    upload = bytes(range(250)) * (size // 250)
    download = upload[::-1]

    # Each end writes in one thread while another thread reads, both ways
    # at once, in chunks of assorted sizes.
    def write(sock: TLSSocket, data: bytes) -> None:
        offset, step = 0, 1
        while offset < len(data):
            sock.sendall(data[offset : offset + step])
            offset += step
            step = step * 7 % 40_000 + 1

    joins = [
        in_thread(lambda: write(client, upload)),
        in_thread(lambda: write(server, download)),
        in_thread(lambda: recv_exactly(server, size)),
        in_thread(lambda: recv_exactly(client, size)),
    ]
    results = [join() for join in joins]
    assert results[2] == upload
    assert results[3] == download


def test_threads_take_turns_reading(pair: tuple[TLSSocket, TLSSocket]) -> None:
    client, server = pair
    # Two threads wait for data: one reads the socket, the other waits for
    # its turn, then looks at what the first one received before reading.
    first = in_thread(lambda: server.recv(10))
    second = in_thread(lambda: server.recv(10))
    time.sleep(0.1)
    client.sendall(b"one")
    time.sleep(0.1)
    client.sendall(b"two")
    assert {first(), second()} == {b"one", b"two"}


def test_tls_over_tls(pair: tuple[TLSSocket, TLSSocket]) -> None:
    outer_client, outer_server = pair
    inner_client, inner_server = handshake(outer_client, outer_server)
    inner_client.sendall(b"inside" * 10_000)
    assert recv_exactly(inner_server, 60_000) == b"inside" * 10_000
    inner_server.sendall(b"back")
    assert recv_exactly(inner_client, 4) == b"back"


def test_handshake_failure_alerts_the_peer() -> None:
    raw_client, raw_server = socket.socketpair()
    raw_client.settimeout(10)
    raw_server.settimeout(10)
    with raw_client, raw_server:
        server_join = in_thread(
            lambda: pytest.raises(
                ssl.SSLError,
                TLSSocket,
                raw_server,
                server_ssl_context(),
                server_side=True,
            )
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            TLSSocket(raw_client, ssl.create_default_context(), "localhost")
        raw_client.close()
        # The server learns why rather than seeing the connection end.
        assert server_join().value.reason == "TLSV1_ALERT_UNKNOWN_CA"


def test_handshake_times_out() -> None:
    raw_client, raw_server = socket.socketpair()
    with raw_client, raw_server:
        raw_client.settimeout(0.05)
        with pytest.raises(TimeoutError):
            TLSSocket(raw_client, client_ssl_context(), "localhost")


def test_handshake_fails_when_the_peer_leaves() -> None:
    raw_client, raw_server = socket.socketpair()
    with raw_client:
        raw_server.close()
        with pytest.raises(OSError):
            TLSSocket(raw_client, client_ssl_context(), "localhost")

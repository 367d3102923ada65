"""Servers for the tests of ws_sync: WebSocket servers in threads and small proxies."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import trustme

from ws_sync.server import Server, ServerConnection, serve


CA = trustme.CA()
SERVER_CERT = CA.issue_cert("localhost", "127.0.0.1")


def server_ssl_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    SERVER_CERT.configure_cert(context)
    return context


def client_ssl_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    CA.configure_trust(context)
    return context


def echo(connection: ServerConnection) -> None:
    for message in connection:
        connection.send(message)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """Run ``server`` in a thread; shut it down on exit."""
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def run_server(
    handler: Callable[[ServerConnection], None] = echo, **kwargs: Any
) -> Iterator[Server]:
    """Serve ``handler`` on 127.0.0.1 and an ephemeral port."""
    kwargs.setdefault("ping_interval", None)
    with running(serve(handler, "127.0.0.1", 0, **kwargs)) as server:
        yield server


def uri(server: Server, scheme: str = "ws") -> str:
    host, port = server.socket.getsockname()[:2]
    return f"{scheme}://{host}:{port}"


def pipe(source: socket.socket, destination: socket.socket) -> None:
    """Copy bytes from ``source`` to ``destination`` until EOF."""
    with suppress(OSError):
        while data := source.recv(65536):
            destination.sendall(data)
    with suppress(OSError):
        destination.shutdown(socket.SHUT_WR)


class TCPServer:
    """Accept TCP connections on 127.0.0.1 and handle each in a thread."""

    def __init__(
        self,
        handle: Callable[[socket.socket], None],
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.handle = handle
        self.ssl_context = ssl_context
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.sockets: list[socket.socket] = []
        self.requests: list[bytes] = []
        self.accept_thread = threading.Thread(target=self.accept)
        self.accept_thread.start()

    def accept(self) -> None:
        while True:
            try:
                sock, _ = self.sock.accept()
            except OSError:
                return
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    sock.close()
                    continue
            self.sockets.append(sock)
            thread = threading.Thread(target=self.handle_safely, args=(sock,))
            self.threads.append(thread)
            thread.start()

    def handle_safely(self, sock: socket.socket) -> None:
        with suppress(OSError), sock:
            self.handle(sock)

    def close(self) -> None:
        # On Linux, shutdown() wakes up accept(); close() doesn't.
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.accept_thread.join()
        for sock in self.sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self.threads:
            thread.join()


def read_request(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@contextmanager
def http_proxy(
    answer: bytes | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[TCPServer]:
    """
    An HTTP proxy that supports CONNECT, or that sends ``answer`` instead.

    An empty ``answer`` means never answering.

    """

    def handle(sock: socket.socket) -> None:
        request = read_request(sock)
        server.requests.append(request)
        if answer is not None:
            if answer:
                sock.sendall(answer)
            else:
                sock.recv(1)
            return
        target = request.split(b" ")[1].decode()
        host, port = target.rsplit(":", 1)
        with socket.create_connection((host, int(port))) as upstream:
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            relay(sock, upstream)

    server = TCPServer(handle, ssl_context)
    try:
        yield server
    finally:
        server.close()


def relay(client: socket.socket, upstream: socket.socket) -> None:
    thread = threading.Thread(target=pipe, args=(upstream, client))
    thread.start()
    pipe(client, upstream)
    thread.join()


@contextmanager
def socks5_proxy(refuse: bool = False) -> Iterator[TCPServer]:
    """A SOCKS5 proxy without authentication (RFC 1928)."""

    def recv_exact(sock: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def handle(sock: socket.socket) -> None:
        version, count = recv_exact(sock, 2)
        recv_exact(sock, count)
        sock.sendall(b"\x05\x00")
        _, command, _, address_type = recv_exact(sock, 4)
        if address_type == 1:
            host = socket.inet_ntoa(recv_exact(sock, 4))
        elif address_type == 3:
            (length,) = recv_exact(sock, 1)
            host = recv_exact(sock, length).decode()
        else:  # pragma: no cover
            raise AssertionError("unsupported address type")
        (port,) = struct.unpack("!H", recv_exact(sock, 2))
        server.requests.append(f"{host}:{port}".encode())
        if refuse:
            # Connection refused.
            sock.sendall(b"\x05\x05\x00\x01" + bytes(6))
            return
        with socket.create_connection((host, port)) as upstream:
            sock.sendall(b"\x05\x00\x00\x01" + bytes(6))
            relay(sock, upstream)

    server = TCPServer(handle)
    try:
        yield server
    finally:
        server.close()

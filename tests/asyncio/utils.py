"""Helpers for the asyncio tests: connection pairs over real sockets."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Coroutine
from typing import Any, TypeVar

import trustme

from ws_asyncio.compatibility import asyncio_timeout
from ws_asyncio.connection import Connection
from ws_frames.frames import Frame
from ws_frames.protocol import CLIENT, SERVER, Protocol


T = TypeVar("T")

# Short enough to keep the suite fast, long enough for a loaded machine.
SHORT = 0.05
TIMEOUT = 5.0


def run(coro: Coroutine[Any, Any, T], timeout: float = TIMEOUT) -> T:
    """Run a test coroutine in a new event loop, bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def connection_pair(
    client_kwargs: dict[str, Any] | None = None,
    server_kwargs: dict[str, Any] | None = None,
    max_size: int | None = 2**20,
) -> tuple[Connection, Connection]:
    """Two open connections talking over a socketpair, with keepalive off."""
    loop = asyncio.get_running_loop()
    client_sock, server_sock = socket.socketpair()
    ckw = {"ping_interval": None, **(client_kwargs or {})}
    skw = {"ping_interval": None, **(server_kwargs or {})}
    _, client = await loop.create_connection(
        lambda: Connection(Protocol(CLIENT, max_size=max_size), **ckw),
        sock=client_sock,
    )
    _, server = await loop.create_connection(
        lambda: Connection(Protocol(SERVER, max_size=max_size), **skw),
        sock=server_sock,
    )
    return client, server


class RawPeer:
    """
    The far end of a socketpair, driven by hand: send crafted bytes, read raw
    frames with a sans-I/O protocol, or stay silent.

    """

    def __init__(
        self, side: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.protocol = Protocol(side)
        self.reader = reader
        self.writer = writer

    async def read_frames(self, timeout: float = TIMEOUT) -> list[Frame]:
        """Read until at least one frame arrives; return the frames."""
        async with asyncio_timeout(timeout):
            while True:
                data = await self.reader.read(65536)
                if not data:
                    self.protocol.receive_eof()
                else:
                    self.protocol.receive_data(data)
                events = self.protocol.events_received()
                frames = [e for e in events if isinstance(e, Frame)]
                if frames or not data:
                    return frames

    def write(self, data: bytes) -> None:
        self.writer.write(data)

    def send_protocol_data(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.writer.write(data)
            else:
                self.writer.write_eof()

    def close(self) -> None:
        self.writer.close()


async def connection_and_raw_peer(
    side: Any = CLIENT, **kwargs: Any
) -> tuple[Connection, RawPeer]:
    """A connection on ``side`` facing a raw peer on the other side."""
    loop = asyncio.get_running_loop()
    sock, peer_sock = socket.socketpair()
    kwargs.setdefault("ping_interval", None)
    _, connection = await loop.create_connection(
        lambda: Connection(Protocol(side), **kwargs), sock=sock
    )
    reader, writer = await asyncio.open_connection(sock=peer_sock)
    peer_side = SERVER if side is CLIENT else CLIENT
    return connection, RawPeer(peer_side, reader, writer)


def tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Server and client TLS contexts with a certificate made for the test."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1", "::1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_context)
    return server_context, client_context


def server_uri(server: Any, scheme: str = "ws") -> str:
    host, port = server.sockets[0].getsockname()[:2]
    return f"{scheme}://{host}:{port}"


async def http_get(
    uri: str, path: str = "/", headers: str = ""
) -> tuple[int, str, bytes]:
    """Plain HTTP/1.1 GET without upgrade; return status, headers, body."""
    host, port = uri.split("//")[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode())
        data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, _, header_block = head.decode().partition("\r\n")
    return int(status_line.split()[1]), header_block, body


class BrokenTransport:
    """
    Wrap a transport so that writing fails with ``error``.

    Wrapping rather than patching works with uvloop, whose transports don't
    accept new attributes.

    """

    def __init__(self, transport: Any, error: Exception) -> None:
        self.transport = transport
        self.error = error

    def write(self, data: object) -> None:
        raise self.error

    def writelines(self, data: object) -> None:
        raise self.error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def break_writes(connection: Connection, error: Exception) -> None:
    """Make every write of ``connection`` fail with ``error``."""
    connection.transport = BrokenTransport(connection.transport, error)  # type: ignore[assignment]

"""Helpers for the asyncio tests: connection pairs over real sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any, TypeVar

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

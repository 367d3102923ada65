"""Proxies that the clients find in the environment, for every I/O flavour."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from .flavor import Conn, Flavor, run


async def echo(conn: Conn) -> None:
    async for message in conn.messages():
        await conn.send(message)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment without any proxy setting, in either case."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def read_connect(reader: asyncio.StreamReader) -> tuple[str, int]:
    # CONNECT host:port HTTP/1.1, then headers.
    request = await reader.readuntil(b"\r\n\r\n")
    host, _, port = request.split(b" ")[1].decode().rpartition(":")
    return host, int(port)


async def read_socks5(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> tuple[str, int]:
    # RFC 1928: the greeting, answered with "no authentication"; then the
    # request, with an IPv4 address or a domain name.
    _, methods = await reader.readexactly(2)
    await reader.readexactly(methods)
    writer.write(b"\x05\x00")
    _, _, _, address_type = await reader.readexactly(4)
    if address_type == 1:
        host = socket.inet_ntoa(await reader.readexactly(4))
    else:
        assert address_type == 3, f"unexpected address type {address_type}"
        length = (await reader.readexactly(1))[0]
        host = (await reader.readexactly(length)).decode()
    port = int.from_bytes(await reader.readexactly(2), "big")
    return host, port


@asynccontextmanager
async def tunnel(kind: str) -> AsyncIterator[tuple[str, list[str]]]:
    """
    Run a proxy on loopback that records where each client asks to go.

    ``kind`` is ``"http"`` for an HTTP proxy with ``CONNECT``, ``"socks"``
    for a SOCKS5 proxy. Yield the address of the proxy, ``host:port``, and
    the list of targets.

    """
    targets: list[str] = []
    relays: list[asyncio.Task[None]] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if kind == "http":
            host, port = await read_connect(reader)
            answer = b"HTTP/1.1 200 Connection established\r\n\r\n"
        else:
            host, port = await read_socks5(reader, writer)
            answer = b"\x05\x00\x00\x01" + bytes(6)
        targets.append(f"{host}:{port}")
        server_reader, server_writer = await asyncio.open_connection(host, port)
        writer.write(answer)
        relays.append(asyncio.create_task(relay(reader, server_writer)))
        relays.append(asyncio.create_task(relay(server_reader, writer)))

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = proxy.sockets[0].getsockname()[:2]
    try:
        yield f"{host}:{port}", targets
    finally:
        proxy.close()
        if relays:
            await asyncio.wait(relays, timeout=5)


async def exchange(flavor: Flavor, uri: str) -> None:
    async with flavor.connect(uri) as conn:
        await conn.send("through")
        assert await conn.recv(timeout=5) == "through"


def test_ws_proxy(flavor: Flavor, environ: pytest.MonkeyPatch) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server, tunnel("http") as (proxy, targets):
            environ.setenv("ws_proxy", f"http://{proxy}")
            # ws_proxy comes first; this one would fail.
            environ.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
            await exchange(flavor, server.uri)
            assert targets == [server.uri.removeprefix("ws://")]

    run(body())


def test_ws_proxy_in_upper_case(flavor: Flavor, environ: pytest.MonkeyPatch) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server, tunnel("http") as (proxy, targets):
            environ.setenv("WS_PROXY", f"http://{proxy}")
            await exchange(flavor, server.uri)
            assert targets == [server.uri.removeprefix("ws://")]

    run(body())


def test_socks_proxy(flavor: Flavor, environ: pytest.MonkeyPatch) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server, tunnel("socks") as (proxy, targets):
            # As many tools write it: http:// for a SOCKS proxy.
            environ.setenv("socks_proxy", f"http://{proxy}")
            # socks_proxy comes before https_proxy; this one would fail.
            environ.setenv("https_proxy", f"http://127.0.0.1:{closed_port()}")
            await exchange(flavor, server.uri)
            assert targets == [server.uri.removeprefix("ws://")]

    run(body())


def test_https_proxy_for_ws(flavor: Flavor, environ: pytest.MonkeyPatch) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server, tunnel("http") as (proxy, targets):
            environ.setenv("https_proxy", f"http://{proxy}")
            await exchange(flavor, server.uri)
            assert targets == [server.uri.removeprefix("ws://")]

    run(body())


def test_no_proxy(flavor: Flavor, environ: pytest.MonkeyPatch) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server:
            unreachable = f"http://127.0.0.1:{closed_port()}"
            for name in ["ws_proxy", "socks_proxy", "https_proxy", "http_proxy"]:
                environ.setenv(name, unreachable)
            environ.setenv("no_proxy", "127.0.0.1")
            await exchange(flavor, server.uri)

    run(body())


def test_socks_proxy_default_port(flavor: Flavor, environ: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 1080)) == 0:  # pragma: no cover
            pytest.skip("something listens on port 1080")

    async def body() -> None:
        with pytest.raises(OSError) as raised:
            async with flavor.connect(
                "ws://127.0.0.1:1/", proxy="socks5h://127.0.0.1", open_timeout=5
            ):
                pass  # pragma: no cover
        # 1080 is the port of SOCKS (RFC 1928 section 3).
        assert "127.0.0.1:1080" in str(raised.value)

    run(body())

"""The opening handshake and its options, for every I/O flavour."""

from __future__ import annotations

import asyncio
import http
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ws_frames.exceptions import InvalidHandshake, InvalidStatus, SecurityError

from .flavor import Conn, Flavor, Mailbox, run


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


def basic_auth(flavor: Flavor, **kwargs: Any) -> Any:
    """The ``basic_auth`` of the flavour under test."""
    if flavor.name == "sync":
        from ws_sync.server import basic_auth as sync_basic_auth

        return sync_basic_auth(**kwargs)
    from ws_asyncio.server import basic_auth as asyncio_basic_auth

    return asyncio_basic_auth(**kwargs)


def rejecting(status: int, **headers: str) -> Any:
    """A ``process_request`` that answers ``status`` instead of the handshake."""

    def process_request(connection: Any, request: Any) -> Any:
        response = connection.respond(status, f"status {status}\n")
        for name, value in headers.items():
            response.headers[name] = value
        return response

    return process_request


async def connect_status(flavor: Flavor, uri: str, **kwargs: Any) -> InvalidStatus:
    """Connect, expecting a rejection; return the exception."""
    with pytest.raises(InvalidStatus) as raised:
        async with flavor.connect(uri, **kwargs):
            pass  # pragma: no cover
    return raised.value


async def raw_http(uri: str, request: bytes) -> bytes:
    """Send raw bytes to the server and read its answer until it closes."""
    host, port = uri.removeprefix("ws://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await reader.read()
    finally:
        writer.close()


# Subprotocols


def test_subprotocol_negotiated(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[str | None] = Mailbox()

        async def handler(conn: Conn) -> None:
            await seen.put(conn.subprotocol)

        async with flavor.serve(handler, subprotocols=["chat", "superchat"]) as server:
            async with flavor.connect(
                server.uri, subprotocols=["superchat", "chat"]
            ) as conn:
                # The server's preference wins.
                assert conn.subprotocol == "chat"
                assert conn.response.headers["Sec-WebSocket-Protocol"] == "chat"
            assert await seen.get() == "chat"

    run(body())


def test_subprotocol_none_when_client_offers_none(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri, subprotocols=["chat"]) as conn:
                assert conn.subprotocol is None
            async with flavor.connect(server.uri) as conn:
                assert conn.subprotocol is None
                assert "Sec-WebSocket-Protocol" not in conn.request.headers

    run(body())


def test_select_subprotocol_receives_connection(flavor: Flavor) -> None:
    async def body() -> None:
        offered: list[list[str]] = []

        def select_subprotocol(connection: Any, subprotocols: Any) -> Any:
            assert connection.request is not None
            offered.append(list(subprotocols))
            return subprotocols[-1]

        async with flavor.serve(wait, select_subprotocol=select_subprotocol) as server:
            async with flavor.connect(server.uri, subprotocols=["a", "b"]) as conn:
                assert conn.subprotocol == "b"
        assert offered == [["a", "b"]]

    run(body())


def test_invalid_subprotocol_argument(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            with pytest.raises(TypeError):
                async with flavor.connect(server.uri, subprotocols="chat"):
                    pass  # pragma: no cover

    run(body())


# Origins


def test_origins(flavor: Flavor) -> None:
    async def body() -> None:
        origins = ["https://good.example", re.compile(r"https://.*\.trusted\.example")]
        async with flavor.serve(wait, origins=origins) as server:
            async with flavor.connect(
                server.uri, origin="https://good.example"
            ) as conn:
                assert conn.request.headers["Origin"] == "https://good.example"
            async with flavor.connect(server.uri, origin="https://a.trusted.example"):
                pass
            exc = await connect_status(
                flavor, server.uri, origin="https://evil.example"
            )
            assert exc.response.status_code == 403
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 403

    run(body())


def test_origins_accepting_none(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait, origins=[None]) as server:
            async with flavor.connect(server.uri):
                pass
            exc = await connect_status(flavor, server.uri, origin="https://a.example")
            assert exc.response.status_code == 403

    run(body())


# Headers


def test_additional_headers_reach_server(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[str] = Mailbox()

        async def handler(conn: Conn) -> None:
            await seen.put(conn.request.headers["X-Token"])

        async with flavor.serve(handler) as server:
            async with flavor.connect(
                server.uri, additional_headers={"X-Token": "secret"}
            ):
                assert await seen.get() == "secret"
            async with flavor.connect(
                server.uri, additional_headers=[("X-Token", "listed")]
            ):
                assert await seen.get() == "listed"

    run(body())


def test_user_agent_header(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri) as conn:
                assert re.fullmatch(
                    r"Python/3\.\d+ websockets/\S+",
                    conn.request.headers["User-Agent"],
                )
            async with flavor.connect(server.uri, user_agent_header="bot/1") as conn:
                assert conn.request.headers["User-Agent"] == "bot/1"
            async with flavor.connect(server.uri, user_agent_header=None) as conn:
                assert "User-Agent" not in conn.request.headers

    run(body())


def test_server_header(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            async with flavor.connect(server.uri) as conn:
                assert conn.response.headers["Server"].startswith("Python/3.")
        async with flavor.serve(wait, server_header="srv/2") as server:
            async with flavor.connect(server.uri) as conn:
                assert conn.response.headers["Server"] == "srv/2"
        async with flavor.serve(wait, server_header=None) as server:
            async with flavor.connect(server.uri) as conn:
                assert "Server" not in conn.response.headers

    run(body())


def test_handshake_attributes(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[tuple[Any, Any, Any, Any]] = Mailbox()

        async def handler(conn: Conn) -> None:
            await seen.put(
                (conn.request, conn.response, conn.local_address, conn.remote_address)
            )

        async with flavor.serve(handler) as server:
            async with flavor.connect(server.uri + "/path?query=1") as conn:
                request, response, local, remote = await seen.get()
                assert request.path == "/path?query=1"
                assert response.status_code == 101
                assert conn.response.status_code == 101
                assert conn.request.path == "/path?query=1"
                assert local == conn.remote_address
                assert remote == conn.local_address

    run(body())


# process_request and process_response


def test_process_request_rejects(flavor: Flavor) -> None:
    async def body() -> None:
        process_request = rejecting(http.HTTPStatus.FORBIDDEN)
        async with flavor.serve(wait, process_request=process_request) as server:
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 403
            assert exc.response.body == b"status 403\n"

    run(body())


@pytest.mark.parametrize("status", [400, 404, 429, 500, 503])
def test_rejection_statuses(flavor: Flavor, status: int) -> None:
    async def body() -> None:
        async with flavor.serve(wait, process_request=rejecting(status)) as server:
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == status
            assert f"{status}" in str(exc)

    run(body())


def test_process_request_accepts(flavor: Flavor) -> None:
    async def body() -> None:
        paths: list[str] = []

        def process_request(connection: Any, request: Any) -> None:
            paths.append(request.path)

        async def handler(conn: Conn) -> None:
            await conn.send("accepted")

        async with flavor.serve(handler, process_request=process_request) as server:
            async with flavor.connect(server.uri + "/accepted") as conn:
                assert await conn.recv() == "accepted"
        assert paths == ["/accepted"]

    run(body())


def test_process_request_raises_returns_500(flavor: Flavor) -> None:
    async def body() -> None:
        def process_request(connection: Any, request: Any) -> None:
            raise RuntimeError("bug in process_request")

        async with flavor.serve(wait, process_request=process_request) as server:
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 500

    run(body())


def test_process_response_modifies_response(flavor: Flavor) -> None:
    async def body() -> None:
        def process_response(connection: Any, request: Any, response: Any) -> None:
            response.headers["X-Extra"] = "added"

        async with flavor.serve(wait, process_response=process_response) as server:
            async with flavor.connect(server.uri) as conn:
                assert conn.response.headers["X-Extra"] == "added"

    run(body())


def test_process_response_replaces_response(flavor: Flavor) -> None:
    async def body() -> None:
        def process_response(connection: Any, request: Any, response: Any) -> Any:
            return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "later\n")

        async with flavor.serve(wait, process_response=process_response) as server:
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 503

    run(body())


def test_process_response_raises_returns_500(flavor: Flavor) -> None:
    async def body() -> None:
        def process_response(connection: Any, request: Any, response: Any) -> None:
            raise RuntimeError("bug in process_response")

        async with flavor.serve(wait, process_response=process_response) as server:
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 500

    run(body())


# Basic authentication


def test_basic_auth(flavor: Flavor) -> None:
    async def body() -> None:
        usernames: Mailbox[str] = Mailbox()

        async def handler(conn: Conn) -> None:
            await usernames.put(conn.raw.username)

        process_request = basic_auth(
            flavor, realm="test", credentials=[("alice", "s3cret"), ("bob", "pw")]
        )
        async with flavor.serve(handler, process_request=process_request) as server:
            host_port = server.uri.removeprefix("ws://")
            async with flavor.connect(f"ws://alice:s3cret@{host_port}"):
                assert await usernames.get() == "alice"

            exc = await connect_status(flavor, f"ws://alice:wrong@{host_port}")
            assert exc.response.status_code == 401
            assert exc.response.headers["WWW-Authenticate"] == (
                'Basic realm="test", charset="UTF-8"'
            )
            exc = await connect_status(flavor, f"ws://mallory:s3cret@{host_port}")
            assert exc.response.status_code == 401

            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 401
            assert "WWW-Authenticate" in exc.response.headers

            exc = await connect_status(
                flavor, server.uri, additional_headers={"Authorization": "Bearer x"}
            )
            assert exc.response.status_code == 401

    run(body())


def test_basic_auth_check_credentials(flavor: Flavor) -> None:
    async def body() -> None:
        def check_credentials(username: str, password: str) -> bool:
            return password == username[::-1]

        process_request = basic_auth(flavor, check_credentials=check_credentials)
        async with flavor.serve(wait, process_request=process_request) as server:
            host_port = server.uri.removeprefix("ws://")
            async with flavor.connect(f"ws://abc:cba@{host_port}"):
                pass
            exc = await connect_status(flavor, f"ws://abc:abc@{host_port}")
            assert exc.response.status_code == 401

    run(body())


def test_basic_auth_invalid_arguments(flavor: Flavor) -> None:
    with pytest.raises(ValueError):
        basic_auth(flavor)
    with pytest.raises(ValueError):
        basic_auth(flavor, credentials=("a", "b"), check_credentials=lambda u, p: True)
    with pytest.raises(TypeError):
        basic_auth(flavor, credentials=42)
    with pytest.raises(TypeError):
        basic_auth(flavor, credentials=[("a", "b"), "c"])


# Compression


def test_compression_on_by_default(flavor: Flavor) -> None:
    async def body() -> None:
        async def echo(conn: Conn) -> None:
            async for message in conn.messages():
                await conn.send(message)

        async with flavor.serve(echo) as server:
            async with flavor.connect(server.uri) as conn:
                assert (
                    "permessage-deflate"
                    in conn.request.headers["Sec-WebSocket-Extensions"]
                )
                assert (
                    "permessage-deflate"
                    in conn.response.headers["Sec-WebSocket-Extensions"]
                )
                message = "compressible " * 1000
                await conn.send(message)
                assert await conn.recv() == message

    run(body())


@pytest.mark.parametrize(
    ("client", "server"), [(None, "deflate"), ("deflate", None), (None, None)]
)
def test_compression_off(
    flavor: Flavor, client: str | None, server: str | None
) -> None:
    async def body() -> None:
        async def echo(conn: Conn) -> None:
            async for message in conn.messages():
                await conn.send(message)

        async with flavor.serve(echo, compression=server) as srv:
            async with flavor.connect(srv.uri, compression=client) as conn:
                assert "Sec-WebSocket-Extensions" not in conn.response.headers
                await conn.send(b"\x00" * 1000)
                assert await conn.recv() == b"\x00" * 1000

    run(body())


def test_unsupported_compression(flavor: Flavor) -> None:
    async def body() -> None:
        with pytest.raises(ValueError, match="unsupported compression"):
            async with flavor.connect("ws://127.0.0.1:1/", compression="gzip"):
                pass  # pragma: no cover

    run(body())


# Redirects


def test_redirect_is_followed(flavor: Flavor) -> None:
    async def body() -> None:
        async def handler(conn: Conn) -> None:
            await conn.send(conn.request.path)

        async with flavor.serve(handler) as target:
            location = target.uri + "/target"
            for status in [300, 301, 302, 303, 307, 308]:
                process_request = rejecting(status, Location=location)
                async with flavor.serve(
                    wait, process_request=process_request
                ) as origin:
                    async with flavor.connect(origin.uri + "/origin") as conn:
                        assert await conn.recv() == "/target"

    run(body())


def test_relative_redirect(flavor: Flavor) -> None:
    async def body() -> None:
        def process_request(connection: Any, request: Any) -> Any:
            if request.path == "/old":
                response = connection.respond(302, "moved\n")
                response.headers["Location"] = "/new"
                return response
            return None

        async def handler(conn: Conn) -> None:
            await conn.send(conn.request.path)

        async with flavor.serve(handler, process_request=process_request) as server:
            async with flavor.connect(server.uri + "/old") as conn:
                assert await conn.recv() == "/new"

    run(body())


def test_redirect_loop_is_bounded(flavor: Flavor) -> None:
    async def body() -> None:
        def process_request(connection: Any, request: Any) -> Any:
            response = connection.respond(302, "again\n")
            response.headers["Location"] = request.path
            return response

        async with flavor.serve(wait, process_request=process_request) as server:
            with pytest.raises(SecurityError, match="redirects"):
                async with flavor.connect(server.uri + "/loop"):
                    pass  # pragma: no cover

    run(body())


def test_redirect_without_location_is_rejection(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait, process_request=rejecting(302)) as server:
            exc = await connect_status(flavor, server.uri)
            assert exc.response.status_code == 302

    run(body())


# Invalid handshakes


def test_plain_http_request_gets_426(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            answer = await raw_http(
                server.uri, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
            )
            assert answer.startswith(b"HTTP/1.1 426 ")

    run(body())


def test_garbage_request_is_refused(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            answer = await raw_http(server.uri, b"\x16\x03\x01garbage\r\n\r\n")
            assert answer == b"" or answer.startswith(b"HTTP/1.1 400 ")
            # The server keeps serving.
            async with flavor.connect(server.uri):
                pass

    run(body())


def test_server_that_isnt_websocket(flavor: Flavor) -> None:
    async def body() -> None:
        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
            await writer.drain()
            writer.close()

        http_server = await asyncio.start_server(handle, "127.0.0.1", 0)
        host, port = http_server.sockets[0].getsockname()[:2]
        try:
            with pytest.raises(InvalidStatus) as raised:
                async with flavor.connect(f"ws://{host}:{port}/"):
                    pass  # pragma: no cover
            assert raised.value.response.status_code == 200
        finally:
            http_server.close()

    run(body())


def test_server_closes_during_handshake(flavor: Flavor) -> None:
    async def body() -> None:
        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.close()

        silent = await asyncio.start_server(handle, "127.0.0.1", 0)
        host, port = silent.sockets[0].getsockname()[:2]
        try:
            with pytest.raises(InvalidHandshake):
                async with flavor.connect(f"ws://{host}:{port}/"):
                    pass  # pragma: no cover
        finally:
            silent.close()

    run(body())


@asynccontextmanager
async def mute_server() -> AsyncIterator[str]:
    """A TCP server that accepts connections and never answers."""
    connections: list[asyncio.StreamWriter] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connections.append(writer)
        await reader.read()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"ws://{host}:{port}/"
    finally:
        for writer in connections:
            writer.close()
        server.close()


def test_client_open_timeout(flavor: Flavor) -> None:
    async def body() -> None:
        async with mute_server() as uri:
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(TimeoutError):
                async with flavor.connect(uri, open_timeout=0.2):
                    pass  # pragma: no cover
            assert loop.time() - start < 2

    run(body())


def test_server_open_timeout(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait, open_timeout=0.2) as server:
            host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                # The server gives up on a client that never sends a request.
                assert await asyncio.wait_for(reader.read(), 5) == b""
            finally:
                writer.close()

    run(body())


def test_connection_refused(flavor: Flavor) -> None:
    async def body() -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with pytest.raises(OSError):
            async with flavor.connect(f"ws://127.0.0.1:{port}/", open_timeout=2):
                pass  # pragma: no cover

    run(body())

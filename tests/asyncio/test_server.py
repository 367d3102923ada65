from __future__ import annotations

import asyncio
import http
import logging
import os
import re
import socket
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

import pytest

from ws_asyncio.client import connect, unix_connect
from ws_asyncio.server import (
    Server,
    ServerConnection,
    basic_auth,
    broadcast,
    is_credentials,
    serve,
    unix_serve,
)
from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
)
from ws_frames.typing import Origin, Subprotocol
from ws_http.headers import build_authorization_basic
from ws_http.http11 import SERVER, Request, Response

from .utils import SHORT, break_writes, http_get, run, server_uri, tls_contexts


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def wait(connection: ServerConnection) -> None:
    await connection.wait_closed()


# Serving.


def test_serve_as_context_manager_and_awaitable() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            assert isinstance(server, Server)
            assert server.is_serving()
            async with connect(server_uri(server)) as client:
                await client.send("hello")
                assert await client.recv() == "hello"
        assert not server.is_serving()

        server = await serve(echo, "127.0.0.1", 0)
        async with connect(server_uri(server)) as client:
            await client.send("again")
            assert await client.recv() == "again"
        server.close()
        await server.wait_closed()

    run(main())


def test_connection_attributes() -> None:
    async def main() -> None:
        seen: list[ServerConnection] = []

        async def handler(connection: ServerConnection) -> None:
            seen.append(connection)
            await connection.wait_closed()

        async with serve(handler, "127.0.0.1", 0) as server:
            async with connect(server_uri(server)) as client:
                await asyncio.sleep(SHORT)
                (connection,) = seen
                assert server.connections == {connection}
                assert connection.server is server
                assert isinstance(connection.request, Request)
                assert isinstance(connection.response, Response)
                assert connection.response.headers["Server"] == SERVER
                assert connection.remote_address == client.local_address
                assert connection.local_address == client.remote_address
                assert connection.subprotocol is None
            await asyncio.sleep(SHORT)
            assert server.connections == set()

    run(main())


@pytest.mark.parametrize("server_header", [None, "", "custom/1.0"])
def test_server_header(server_header: str | None) -> None:
    async def main() -> None:
        async with serve(wait, "127.0.0.1", 0, server_header=server_header) as server:
            async with connect(server_uri(server)) as client:
                assert client.response is not None
                assert client.response.headers.get("Server") == (server_header or None)

    run(main())


def test_logs_listening_addresses(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.bind(("::1", 0))
        async with serve(echo, "127.0.0.1", 0):
            pass
        async with serve(echo, sock=sock):
            pass

    with caplog.at_level(logging.INFO, "websockets.server"):
        run(main())
    assert re.search(r"server listening on 127\.0\.0\.1:\d+", caplog.text)
    assert re.search(r"server listening on \[::1\]:\d+", caplog.text)
    assert caplog.text.count("server closing") == 2
    assert caplog.text.count("server closed") == 2


def test_start_serving_later_and_serve_forever() -> None:
    async def main() -> None:
        server = await serve(echo, "127.0.0.1", 0, start_serving=False)
        assert not server.is_serving()
        await server.start_serving()
        assert server.is_serving()
        forever = asyncio.create_task(server.serve_forever())
        async with connect(server_uri(server)) as client:
            await client.send("x")
            assert await client.recv() == "x"
        forever.cancel()
        with pytest.raises(asyncio.CancelledError):
            await forever
        assert not server.is_serving()

    run(main())


def test_unix_serve_and_connect() -> None:
    async def main() -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "ws.sock")
            async with unix_serve(echo, path):
                async with unix_connect(path) as client:
                    await client.send("over unix")
                    assert await client.recv() == "over unix"
                async with unix_connect(path, "ws://localhost/path") as client:
                    assert client.request is not None
                    assert client.request.path == "/path"

    run(main())


def test_tls() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        async with serve(echo, "127.0.0.1", 0, ssl=server_context) as server:
            uri = server_uri(server, "wss")
            async with connect(uri, ssl=client_context) as client:
                await client.send("secret")
                assert await client.recv() == "secret"
                await client.send(b"x" * 2**20)
                assert await client.recv() == b"x" * 2**20
            # Unix socket with TLS: the URI defaults to wss://localhost/.
            with tempfile.TemporaryDirectory() as directory:
                path = os.path.join(directory, "wss.sock")
                async with unix_serve(echo, path, ssl=server_context):
                    async with unix_connect(path, ssl=client_context) as client:
                        await client.send("secret")
                        assert await client.recv() == "secret"

    run(main())


def test_compression_options() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            async with connect(server_uri(server)) as client:
                assert client.response is not None
                assert "permessage-deflate" in client.response.headers.get(
                    "Sec-WebSocket-Extensions", ""
                )
        async with serve(echo, "127.0.0.1", 0, compression=None) as server:
            async with connect(server_uri(server)) as client:
                assert client.response is not None
                assert "Sec-WebSocket-Extensions" not in client.response.headers
        with pytest.raises(ValueError, match="unsupported compression"):
            serve(echo, "127.0.0.1", 0, compression="zstd")

    run(main())


def test_subprotocols_and_select_subprotocol() -> None:
    async def main() -> None:
        async with serve(
            echo, "127.0.0.1", 0, subprotocols=[Subprotocol("chat")]
        ) as server:
            async with connect(
                server_uri(server),
                subprotocols=[Subprotocol("other"), Subprotocol("chat")],
            ) as client:
                assert client.subprotocol == "chat"

        calls: list[tuple[ServerConnection, Sequence[Subprotocol]]] = []

        def select(
            connection: ServerConnection, subprotocols: Sequence[Subprotocol]
        ) -> Subprotocol | None:
            calls.append((connection, subprotocols))
            return subprotocols[-1]

        async with serve(echo, "127.0.0.1", 0, select_subprotocol=select) as server:
            async with connect(
                server_uri(server), subprotocols=[Subprotocol("a"), Subprotocol("b")]
            ) as client:
                assert client.subprotocol == "b"
        assert isinstance(calls[0][0], ServerConnection)
        assert list(calls[0][1]) == ["a", "b"]

    run(main())


def test_origins() -> None:
    async def main() -> None:
        origins: list[Origin | re.Pattern[str] | None] = [
            Origin("https://good.example"),
            re.compile(r"https://.*\.ok\.example"),
            None,
        ]
        async with serve(echo, "127.0.0.1", 0, origins=origins) as server:
            uri = server_uri(server)
            async with connect(uri, origin=Origin("https://good.example")):
                pass
            async with connect(uri, origin=Origin("https://a.ok.example")):
                pass
            async with connect(uri):
                pass
            with pytest.raises(InvalidStatus) as raised:
                await connect(uri, origin=Origin("https://evil.example"))
            assert raised.value.response.status_code == 403

    run(main())


# process_request and process_response.


@pytest.mark.parametrize("asynchronous", [False, True])
def test_process_request_health_check(asynchronous: bool) -> None:
    def health(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(http.HTTPStatus.OK, "OK\n")
        return None

    async def async_health(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        await asyncio.sleep(0)
        return health(connection, request)

    async def main() -> None:
        process_request = async_health if asynchronous else health
        async with serve(
            echo, "127.0.0.1", 0, process_request=process_request
        ) as server:
            status, _, body = await http_get(server_uri(server), "/healthz")
            assert (status, body) == (200, b"OK\n")
            async with connect(server_uri(server) + "/ws") as client:
                await client.send("x")
                assert await client.recv() == "x"

    run(main())


def test_process_request_error_answers_500(caplog: pytest.LogCaptureFixture) -> None:
    def broken(connection: ServerConnection, request: Request) -> Response | None:
        raise RuntimeError("bug in process_request")

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, process_request=broken) as server:
            with pytest.raises(InvalidStatus) as raised:
                await connect(server_uri(server))
            assert raised.value.response.status_code == 500

    with caplog.at_level(logging.ERROR):
        run(main())
    (record,) = caplog.records
    assert record.getMessage() == "process_request failed"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "bug in process_request"


@pytest.mark.parametrize("asynchronous", [False, True])
def test_process_response_modifies_or_replaces(asynchronous: bool) -> None:
    def modify(
        connection: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        response.headers["X-Extra"] = "yes"
        return None

    async def replace(
        connection: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        return connection.respond(http.HTTPStatus.FORBIDDEN, "no\n")

    async def main() -> None:
        if not asynchronous:
            async with serve(echo, "127.0.0.1", 0, process_response=modify) as server:
                async with connect(server_uri(server)) as client:
                    assert client.response is not None
                    assert client.response.headers["X-Extra"] == "yes"
        else:
            async with serve(echo, "127.0.0.1", 0, process_response=replace) as server:
                with pytest.raises(InvalidStatus) as raised:
                    await connect(server_uri(server))
                assert raised.value.response.status_code == 403

    run(main())


def test_process_response_error_answers_500(caplog: pytest.LogCaptureFixture) -> None:
    def broken(
        connection: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        raise RuntimeError("bug in process_response")

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, process_response=broken) as server:
            with pytest.raises(InvalidStatus) as raised:
                await connect(server_uri(server))
            assert raised.value.response.status_code == 500

    with caplog.at_level(logging.ERROR):
        run(main())
    (record,) = caplog.records
    assert record.getMessage() == "process_response failed"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "bug in process_response"


def test_bug_while_sending_the_response_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(ServerConnection):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)

            def send_response(response: Response) -> None:
                raise ZeroDivisionError

            self.protocol.send_response = send_response  # type: ignore[method-assign]

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, create_connection=Broken) as server:
            with pytest.raises(InvalidMessage):
                await connect(server_uri(server))

    with caplog.at_level(logging.ERROR):
        run(main())
    # Then the handshake fails with ConnectionClosed, logged at the INFO level.
    assert [record.getMessage() for record in caplog.records] == [
        "unexpected internal error"
    ]


def test_handshake_on_a_closed_connection(caplog: pytest.LogCaptureFixture) -> None:
    class Closing(ServerConnection):
        async def choose_response(self, *args: Any) -> Response:
            response = await super().choose_response(*args)
            self.transport.abort()
            await self.wait_closed()
            return response

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, create_connection=Closing) as server:
            with pytest.raises(InvalidMessage):
                await connect(server_uri(server))

    with caplog.at_level(logging.ERROR):
        run(main())
    assert caplog.records == []


def test_bug_during_handshake_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(ServerConnection):
        async def choose_response(self, *args: Any) -> Response:
            raise ZeroDivisionError

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, create_connection=Broken) as server:
            with pytest.raises(InvalidMessage):
                await connect(server_uri(server))

    with caplog.at_level(logging.ERROR):
        run(main())
    (record,) = caplog.records
    assert record.getMessage() == "opening handshake failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


def test_select_subprotocol_error_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(
        connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        raise RuntimeError("bug in select_subprotocol")

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, select_subprotocol=broken) as server:
            with pytest.raises(InvalidStatus) as raised:
                await connect(server_uri(server), subprotocols=[Subprotocol("x")])
            assert raised.value.response.status_code == 500

    with caplog.at_level(logging.ERROR):
        run(main())
    (record,) = caplog.records
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "bug in select_subprotocol"


# Bad handshakes and time-outs.


def test_invalid_request_answers_400(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            status, _, _ = await http_get(server_uri(server))
            # A GET without Upgrade isn't a WebSocket handshake.
            assert status == 426 or 400 <= status < 500
            host, port = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"garbage\r\n\r\n")
            data = await reader.read()
            writer.close()
            assert data.startswith(b"HTTP/1.1 400")

    with caplog.at_level(logging.INFO):
        run(main())
    assert "opening handshake failed: did not receive a valid HTTP request" in (
        caplog.text
    )


def test_open_timeout_aborts_silent_clients(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, open_timeout=SHORT) as server:
            host, port = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(host, port)
            assert await asyncio.wait_for(reader.read(), 2) == b""
            writer.close()

    with caplog.at_level(logging.INFO):
        run(main())
    assert "opening handshake timed out" in caplog.text


def test_connection_lost_before_request() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            host, port = server.sockets[0].getsockname()[:2]
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            await asyncio.sleep(SHORT)
            assert server.connections == set()

    run(main())


def test_handler_exception_is_logged_and_closes_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(connection: ServerConnection) -> None:
        raise RuntimeError("bug in handler")

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            async with connect(server_uri(server)) as client:
                await client.wait_closed()
                assert client.close_code == 1011

    with caplog.at_level(logging.ERROR):
        run(main())
    assert "connection handler failed" in caplog.text


def test_handshake_cancelled_by_shutdown() -> None:
    async def main() -> None:
        started = asyncio.Event()

        async def stuck(connection: ServerConnection, request: Request) -> None:
            started.set()
            await asyncio.Event().wait()

        server = await serve(echo, "127.0.0.1", 0, process_request=stuck)
        client_task = asyncio.create_task(connect(server_uri(server)).__await_impl__())
        await started.wait()
        for task in server.handler_tasks.values():
            task.cancel()
        with pytest.raises(Exception):  # noqa: B017
            await client_task
        server.close()
        await server.wait_closed()

    run(main())


# Shutdown.


def test_close_closes_connections_with_1001() -> None:
    async def main() -> None:
        server = await serve(echo, "127.0.0.1", 0)
        client = await connect(server_uri(server))
        server.close()
        server.close()  # idempotent
        with pytest.raises(ConnectionClosedOK):
            await client.recv()
        assert client.close_code == 1001
        await server.wait_closed()
        assert not server.is_serving()

    run(main())


def test_close_with_custom_code() -> None:
    async def main() -> None:
        server = await serve(echo, "127.0.0.1", 0)
        client = await connect(server_uri(server))
        server.close(code=1012, reason="restarting")
        await server.wait_closed()
        await client.wait_closed()
        assert (client.close_code, client.close_reason) == (1012, "restarting")

    run(main())


def test_close_without_closing_connections_waits_for_handlers() -> None:
    async def main() -> None:
        async def handler(connection: ServerConnection) -> None:
            await connection.send(await connection.recv())

        server = await serve(handler, "127.0.0.1", 0)
        client = await connect(server_uri(server))
        server.close(close_connections=False)
        waiting = asyncio.create_task(server.wait_closed())
        await asyncio.sleep(SHORT)
        assert not waiting.done()
        await client.send("still served")
        assert await client.recv() == "still served"
        await waiting
        await client.close()

    run(main())


def test_handshake_during_shutdown_answers_503() -> None:
    async def main() -> None:
        arrived = asyncio.Event()
        release = asyncio.Event()

        async def slow(connection: ServerConnection, request: Request) -> None:
            arrived.set()
            await release.wait()

        server = await serve(echo, "127.0.0.1", 0, process_request=slow)
        connecting = asyncio.create_task(connect(server_uri(server)).__await_impl__())
        await arrived.wait()
        server.close()
        await asyncio.sleep(SHORT)
        release.set()
        with pytest.raises(InvalidStatus) as raised:
            await connecting
        assert raised.value.response.status_code == 503
        await server.wait_closed()

    run(main())


def test_wait_closed_before_start_starts() -> None:
    async def main() -> None:
        server = serve(echo, "127.0.0.1", 0)
        waiting = asyncio.create_task(server.wait_closed())
        await asyncio.sleep(SHORT)
        assert server.is_serving()
        server.close()
        await waiting

    run(main())


# basic_auth.


def test_basic_auth() -> None:
    async def main() -> None:
        seen: list[str] = []

        async def handler(connection: ServerConnection) -> None:
            seen.append(connection.username)

        auth = basic_auth(realm="test", credentials=("hello", "iloveyou"))
        async with serve(handler, "127.0.0.1", 0, process_request=auth) as server:
            uri = server_uri(server)
            with pytest.raises(InvalidStatus) as raised:
                await connect(uri)
            response = raised.value.response
            assert response.status_code == 401
            assert isinstance(response, Response)
            assert response.headers["WWW-Authenticate"] == (
                'Basic realm="test", charset="UTF-8"'
            )
            assert response.body == b"Missing credentials\n"

            with pytest.raises(InvalidStatus) as raised:
                await connect(uri.replace("//", "//hello:wrong@"))
            assert isinstance(raised.value.response, Response)
            assert raised.value.response.body == b"Invalid credentials\n"

            with pytest.raises(InvalidStatus) as raised:
                await connect(uri.replace("//", "//nobody:iloveyou@"))
            assert raised.value.response.status_code == 401

            with pytest.raises(InvalidStatus) as raised:
                await connect(uri, additional_headers={"Authorization": "Bearer token"})
            assert isinstance(raised.value.response, Response)
            assert raised.value.response.body == b"Unsupported credentials\n"

            async with connect(uri.replace("//", "//hello:iloveyou@")) as client:
                await client.wait_closed()
        assert seen == ["hello"]

    run(main())


@pytest.mark.parametrize("asynchronous", [False, True])
def test_basic_auth_check_credentials(asynchronous: bool) -> None:
    def check(username: str, password: str) -> bool:
        return password == username[::-1]

    async def async_check(username: str, password: str) -> bool:
        return check(username, password)

    async def main() -> None:
        auth = basic_auth(check_credentials=async_check if asynchronous else check)
        async with serve(wait, "127.0.0.1", 0, process_request=auth) as server:
            uri = server_uri(server)
            async with connect(uri.replace("//", "//été:été@")):
                pass
            headers = {"Authorization": build_authorization_basic("abc", "cba")}
            async with connect(uri, additional_headers=headers):
                pass
            with pytest.raises(InvalidStatus):
                await connect(uri.replace("//", "//abc:abc@"))

    run(main())


def test_basic_auth_credentials_list() -> None:
    async def main() -> None:
        auth = basic_auth(credentials=[("a", "1"), ("b", "2")])
        async with serve(wait, "127.0.0.1", 0, process_request=auth) as server:
            uri = server_uri(server)
            async with connect(uri.replace("//", "//b:2@")):
                pass

    run(main())


def test_basic_auth_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="either credentials or check_credentials"):
        basic_auth()
    with pytest.raises(ValueError, match="either credentials or check_credentials"):
        basic_auth(credentials=("a", "b"), check_credentials=lambda u, p: True)
    with pytest.raises(TypeError, match="invalid credentials"):
        basic_auth(credentials=[("a", "b"), ("c",)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="invalid credentials"):
        basic_auth(credentials=42)  # type: ignore[arg-type]
    assert is_credentials(("a", "b"))
    assert not is_credentials(("a", 1))
    assert not is_credentials("ab")
    assert not is_credentials(None)


# broadcast.


def test_broadcast() -> None:
    async def main() -> None:
        async with serve(wait, "127.0.0.1", 0) as server:
            clients = [await connect(server_uri(server)) for _ in range(3)]
            await asyncio.sleep(SHORT)
            assert len(server.connections) == 3
            broadcast(server.connections, "to all")
            broadcast(server.connections, b"bytes to all")
            broadcast(server.connections, b"as text", text=True)
            broadcast(server.connections, "as bytes", text=False)
            for client in clients:
                assert await client.recv() == "to all"
                assert await client.recv() == b"bytes to all"
                assert await client.recv() == "as text"
                assert await client.recv() == b"as bytes"
            # Closed connections are skipped.
            await clients[0].close()
            await asyncio.sleep(SHORT)
            broadcast(list(server.handler_tasks) + [clients[0]], "to the rest")
            for client in clients[1:]:
                assert await client.recv() == "to the rest"
                await client.close()
            with pytest.raises(TypeError):
                broadcast([], 42)  # type: ignore[arg-type]

    run(main())


def test_broadcast_skips_fragmented_messages(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with serve(wait, "127.0.0.1", 0) as server:
            client = await connect(server_uri(server))
            release = asyncio.Event()

            async def fragments() -> object:
                yield "start"
                await release.wait()
                yield "end"

            sending = asyncio.create_task(client.send(fragments()))  # type: ignore[arg-type]
            await asyncio.sleep(SHORT)
            broadcast([client], "skipped")
            if sys.version_info >= (3, 11):
                with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
                    broadcast([client], "skipped", raise_exceptions=True)
                (exc,) = raised.value.exceptions
                assert isinstance(exc, ConcurrencyError)
            release.set()
            await sending
            await client.close()

    with caplog.at_level(logging.WARNING):
        run(main())
    assert "skipped broadcast: sending a fragmented message" in caplog.text


def test_broadcast_write_errors(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with serve(wait, "127.0.0.1", 0) as server:
            client = await connect(server_uri(server))

            break_writes(client, OSError("write failed"))
            broadcast([client], "fails")
            if sys.version_info >= (3, 11):
                with pytest.raises(ExceptionGroup) as raised:  # noqa: F821
                    broadcast([client], "fails", raise_exceptions=True)
                (exc,) = raised.value.exceptions
                assert isinstance(exc, RuntimeError)
                assert isinstance(exc.__cause__, OSError)
            client.transport.abort()

    with caplog.at_level(logging.WARNING):
        run(main())
    assert "skipped broadcast: failed to write message" in caplog.text


def test_broadcast_never_blocks_on_slow_client() -> None:
    async def main() -> None:
        async with serve(
            wait, "127.0.0.1", 0, write_limit=2**10, compression=None
        ) as server:
            client = await connect(server_uri(server), max_queue=1, compression=None)
            await asyncio.sleep(SHORT)
            # The client doesn't read: its buffers and the server's fill up,
            # and broadcast still returns at once every time.
            message = os.urandom(2**16)
            for _ in range(300):
                broadcast(server.connections, message)
            connection = next(iter(server.handler_tasks))
            assert connection.paused
            client.transport.abort()

    run(main())


def test_create_connection_subclass() -> None:
    class Custom(ServerConnection):
        pass

    async def main() -> None:
        seen: list[ServerConnection] = []

        async def handler(connection: ServerConnection) -> None:
            seen.append(connection)

        async with serve(handler, "127.0.0.1", 0, create_connection=Custom) as server:
            async with connect(server_uri(server)) as client:
                await client.wait_closed()
        assert isinstance(seen[0], Custom)

    run(main())


def test_rejected_handshake_is_an_invalid_handshake() -> None:
    async def main() -> None:
        def reject(connection: ServerConnection, request: Request) -> Response:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "nothing here\n")

        async with serve(echo, "127.0.0.1", 0, process_request=reject) as server:
            with pytest.raises(InvalidHandshake):
                await connect(server_uri(server))
            status, _, body = await http_get(server_uri(server))
            assert (status, body) == (404, b"nothing here\n")

    run(main())


def test_answers_chosen_by_hooks_are_not_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        auth = basic_auth(credentials=("user", "pass"))
        async with serve(echo, "127.0.0.1", 0, process_request=auth) as server:
            with pytest.raises(InvalidStatus):
                await connect(server_uri(server))

    with caplog.at_level(logging.ERROR):
        run(main())
    assert caplog.records == []


def test_frames_sent_along_with_the_request() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, compression=None) as server:
            host, port = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(host, port)
            request = (
                f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
            # A masked text frame "hi" with an all-zero mask, right behind.
            frame = b"\x81\x82\x00\x00\x00\x00hi"
            writer.write(request + frame)
            response = await reader.readuntil(b"\r\n\r\n")
            assert response.startswith(b"HTTP/1.1 101")
            assert await reader.readexactly(4) == b"\x81\x02hi"
            writer.close()

    run(main())


def test_server_details(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        server = serve(echo, "127.0.0.1", 0)
        assert server.get_loop() is asyncio.get_running_loop()
        with pytest.raises(AssertionError):
            server.sockets  # noqa: B018

        async def create_server() -> asyncio.Server:
            return await asyncio.get_running_loop().create_server(
                asyncio.Protocol, "127.0.0.1", 0
            )

        async def handler(connection: ServerConnection) -> None:  # pragma: no cover
            pass

        bare = Server(create_server, handler)
        assert bare.logger is logging.getLogger("websockets.server")
        async with bare:
            assert len(bare.sockets) == 1

        with tempfile.TemporaryDirectory() as directory:
            async with unix_serve(echo, os.path.join(directory, "log.sock")):
                pass

    with caplog.at_level(logging.INFO, "websockets.server"):
        run(main())
    assert re.search(r"server listening on .*log\.sock", caplog.text)


def test_close_from_process_response_answers_503() -> None:
    # The response was chosen before the shutdown started: it becomes a 503
    # rather than a 101 followed by a close frame.
    async def main() -> None:
        ran: list[bool] = []

        async def handler(connection: ServerConnection) -> None:
            ran.append(True)  # pragma: no cover

        def close_server(
            connection: ServerConnection, request: Request, response: Response
        ) -> None:
            connection.server.close(close_connections=False)

        server = await serve(handler, "127.0.0.1", 0, process_response=close_server)
        with pytest.raises(InvalidStatus) as raised:
            await connect(server_uri(server))
        assert raised.value.response.status_code == 503
        await server.wait_closed()
        assert ran == []

    run(main())


def test_connection_accepted_before_close_gets_503() -> None:
    async def main() -> None:
        server = await serve(echo, "127.0.0.1", 0, open_timeout=5)
        host, port = server.sockets[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        while not server.handler_tasks:
            await asyncio.sleep(SHORT)
        server.close()
        await asyncio.sleep(SHORT)
        writer.write(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        assert (await reader.read()).startswith(b"HTTP/1.1 503 ")
        writer.close()
        await server.wait_closed()

    run(main())


def test_cancelling_serve_forever_closes_the_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        server = await serve(wait, "127.0.0.1", 0)
        host, port = server.sockets[0].getsockname()[:2]
        client = await connect(server_uri(server))
        forever = asyncio.create_task(server.serve_forever())
        await asyncio.sleep(SHORT)
        forever.cancel()
        with pytest.raises(asyncio.CancelledError):
            await forever
        # Closed, not only left: connections got 1001 and no more are accepted.
        await client.wait_closed()
        assert client.close_code == 1001
        with pytest.raises(OSError):
            await asyncio.open_connection(host, port)
        await asyncio.wait_for(server.wait_closed(), SHORT)

    with caplog.at_level(logging.INFO, "websockets.server"):
        run(main())
    assert "server closed" in caplog.text


def test_serve_with_sock_rejects_host_and_port() -> None:
    async def main() -> None:
        with socket.create_server(("127.0.0.1", 0)) as sock:
            with pytest.raises(ValueError):
                await serve(echo, "127.0.0.1", sock=sock)
            with pytest.raises(ValueError):
                await serve(echo, port=0, sock=sock)

    run(main())


def test_open_timeout_bounds_the_tls_handshake() -> None:
    async def main() -> None:
        server_context, _ = tls_contexts()
        async with serve(
            echo, "127.0.0.1", 0, ssl=server_context, open_timeout=SHORT
        ) as server:
            host, port = server.sockets[0].getsockname()[:2]
            # A TCP connection that never starts TLS.
            reader, writer = await asyncio.open_connection(host, port)
            assert await asyncio.wait_for(reader.read(), 2) == b""
            writer.close()

    run(main())


def test_open_timeout_none_keeps_the_tls_default() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        async with serve(
            echo, "127.0.0.1", 0, ssl=server_context, open_timeout=None
        ) as server:
            async with connect(server_uri(server, "wss"), ssl=client_context) as ws:
                await ws.send("no limit")
                assert await ws.recv() == "no limit"

    run(main())


def test_early_close_from_client_that_keeps_tcp_open() -> None:
    # The client sends a message and a close frame right behind its request,
    # then never closes the TCP connection.
    async def main() -> None:
        received: list[str] = []

        async def handler(connection: ServerConnection) -> None:
            received.extend([str(message) async for message in connection])

        async with serve(
            handler, "127.0.0.1", 0, close_timeout=0.2, compression=None
        ) as server:
            host, port = server.sockets[0].getsockname()[:2]
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(
                b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
                # Masked with zeros: a text frame "hi" and a close frame.
                b"\x81\x82\x00\x00\x00\x00hi\x88\x80\x00\x00\x00\x00"
            )
            data = await reader.read()
            assert data.startswith(b"HTTP/1.1 101 ")
            while not received:
                await asyncio.sleep(SHORT)
            assert received == ["hi"]
            writer.close()

    run(main())


def test_broadcast_is_the_connection_modules() -> None:
    import ws_asyncio.connection
    import ws_asyncio.server

    assert ws_asyncio.server.broadcast is ws_asyncio.connection.broadcast

from __future__ import annotations

import asyncio
import http
import logging
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trustme

from ws_asyncio.client import (
    MAX_REDIRECTS,
    ClientConnection,
    HTTPProxyConnection,
    connect,
    process_exception,
)
from ws_asyncio.connection import BufferedReader
from ws_asyncio.server import ServerConnection, serve
from ws_frames.exceptions import (
    ConnectionClosedError,
    InvalidMessage,
    InvalidProxyMessage,
    InvalidProxyStatus,
    InvalidStatus,
    InvalidURI,
    ProxyError,
    SecurityError,
)
from ws_frames.protocol import OPEN
from ws_http.client import ClientProtocol
from ws_http.datastructures import Headers
from ws_http.http11 import USER_AGENT, Request, Response
from ws_http.proxy import parse_proxy
from ws_http.uri import parse_uri

from .utils import SHORT, run, server_uri, tls_contexts


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def wait(connection: ServerConnection) -> None:
    await connection.wait_closed()


def fast_delays() -> Generator[float]:
    while True:
        yield 0.0


# Connecting.


def test_connect_await_and_context_manager() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            client = await connect(server_uri(server))
            assert isinstance(client, ClientConnection)
            await client.send("awaited")
            assert await client.recv() == "awaited"
            await client.close()
            async with connect(server_uri(server)) as client:
                await client.send("managed")
                assert await client.recv() == "managed"
            assert client.close_code == 1000

    run(main())


def test_connection_lost_before_the_request() -> None:
    class Aborting(ClientConnection):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            self.transport.abort()

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            with pytest.raises(ConnectionClosedError):
                await connect(server_uri(server), create_connection=Aborting)

    run(main())


def test_response_after_the_handshake_gave_up() -> None:
    async def slowly(connection: ServerConnection, request: Request) -> None:
        await asyncio.sleep(SHORT)

    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0, process_request=slowly) as server:
            host, port = server.sockets[0].getsockname()[:2]
            protocol = ClientProtocol(parse_uri(f"ws://{host}:{port}/"))
            _, reader = await asyncio.get_running_loop().create_connection(
                lambda: BufferedReader(ClientConnection(protocol)), host, port
            )
            client = reader.connection
            assert isinstance(client, ClientConnection)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(client.handshake(), timeout=SHORT / 5)
            # The response arrives all the same, and the connection opens.
            while client.response is None:
                await asyncio.sleep(SHORT / 5)
            assert client.state is OPEN
            await client.close()

    run(main())


def test_request_headers() -> None:
    async def main() -> None:
        requests: list[Request] = []

        def record(connection: ServerConnection, request: Request) -> None:
            requests.append(request)

        async with serve(wait, "127.0.0.1", 0, process_request=record) as server:
            uri = server_uri(server)
            async with connect(uri):
                pass
            async with connect(
                uri + "/path?query",
                additional_headers={"X-Custom": "1"},
                user_agent_header="agent/2",
                origin="https://origin.example",  # type: ignore[arg-type]
            ):
                pass
            async with connect(
                uri,
                additional_headers=Headers([("X-A", "1"), ("X-A", "2")]),
                user_agent_header=None,
            ):
                pass
            async with connect(uri, additional_headers=[("User-Agent", "mine")]):
                pass
        assert requests[0].headers["User-Agent"] == USER_AGENT
        assert requests[1].path == "/path?query"
        assert requests[1].headers["X-Custom"] == "1"
        assert requests[1].headers["User-Agent"] == "agent/2"
        assert requests[1].headers["Origin"] == "https://origin.example"
        assert requests[2].headers.get_all("X-A") == ["1", "2"]
        assert "User-Agent" not in requests[2].headers
        assert requests[3].headers.get_all("User-Agent") == ["mine"]

    run(main())


def test_connect_with_explicit_host_port_and_sock() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            host, port = server.sockets[0].getsockname()[:2]
            async with connect("ws://example.invalid/", host=host, port=port) as client:
                assert client.request is not None
                assert client.request.headers["Host"] == "example.invalid"
            sock = socket.create_connection((host, port))
            async with connect("ws://example.invalid/", sock=sock) as client:
                await client.send("via sock")
                assert await client.recv() == "via sock"

    run(main())


def test_invalid_arguments() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="unsupported compression"):
            connect("ws://localhost/", compression="br")
        with pytest.raises(ValueError, match="ssl=None"):
            await connect("wss://localhost/", ssl=None)
        with pytest.raises(ValueError, match="ssl argument"):
            await connect("ws://localhost/", ssl=True)
        with pytest.raises(InvalidURI):
            await connect("http://localhost/")
        connect("ws://localhost/", subprotocols=["chat"])  # type: ignore[list-item]

    run(main())


def test_connection_refused() -> None:
    async def main() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        with pytest.raises(OSError):
            await connect(f"ws://127.0.0.1:{port}/")

    run(main())


def test_wss_with_default_context_fails_on_untrusted_certificate() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        async with serve(echo, "127.0.0.1", 0, ssl=server_context) as server:
            uri = server_uri(server, "wss")
            with pytest.raises(OSError):
                await connect(uri)
            async with connect(
                uri.replace("127.0.0.1", "localhost"),
                ssl=client_context,
                host="127.0.0.1",
            ) as client:
                await client.send("ok")
                assert await client.recv() == "ok"
            async with connect(
                uri, ssl=client_context, server_hostname="localhost"
            ) as client:
                await client.send("ok")
                assert await client.recv() == "ok"

    run(main())


# Handshake failures and time-outs.


@asynccontextmanager
async def raw_server(response: bytes, close: bool = True) -> AsyncIterator[str]:
    """A TCP server that answers every request with ``response``."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        if close:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server_uri(server)
    finally:
        server.close()
        for writer in writers:
            writer.close()


def test_invalid_response_raises_invalid_message() -> None:
    async def main() -> None:
        async with raw_server(b"garbage\r\n\r\n") as uri:
            with pytest.raises(InvalidMessage):
                await connect(uri)
        async with raw_server(b"") as uri:
            with pytest.raises(InvalidMessage) as raised:
                await connect(uri)
            assert isinstance(raised.value.__cause__, EOFError)

    run(main())


def test_rejected_handshake_raises_invalid_status() -> None:
    async def main() -> None:
        def reject(connection: ServerConnection, request: Request) -> Response:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found\n")

        async with serve(echo, "127.0.0.1", 0, process_request=reject) as server:
            with pytest.raises(InvalidStatus) as raised:
                await connect(server_uri(server))
            assert raised.value.response.status_code == 404

    run(main())


def test_response_without_content_length_read_until_eof() -> None:
    async def main() -> None:
        response = b"HTTP/1.1 500 Internal Server Error\r\n\r\nbody until EOF"
        async with raw_server(response) as uri:
            with pytest.raises(InvalidStatus) as raised:
                await connect(uri)
            assert raised.value.response.status_code == 500

    run(main())


def test_open_timeout() -> None:
    async def main() -> None:
        async with raw_server(b"", close=False) as uri:
            with pytest.raises(
                TimeoutError, match="timed out during opening handshake"
            ):
                await connect(uri, open_timeout=SHORT)

    run(main())


def test_cancel_during_handshake() -> None:
    async def main() -> None:
        async with raw_server(b"", close=False) as uri:
            task = asyncio.ensure_future(connect(uri))
            await asyncio.sleep(SHORT)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    run(main())


# Redirects.


def redirecting(location: str, status: int = 302) -> Any:
    def process_request(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        if request.path == "/old":
            response = connection.respond(status, "")
            response.headers["Location"] = location
            return response
        return None

    return process_request


def test_same_origin_redirect_keeps_credentials() -> None:
    async def main() -> None:
        requests: list[Request] = []
        redirect = redirecting("/new")

        def record(connection: ServerConnection, request: Request) -> Response | None:
            requests.append(request)
            response: Response | None = redirect(connection, request)
            return response

        async with serve(echo, "127.0.0.1", 0, process_request=record) as server:
            async with connect(
                server_uri(server) + "/old", additional_headers={"Cookie": "session"}
            ):
                pass
        assert [r.headers.get("Cookie") for r in requests] == ["session", "session"]

    run(main())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_follows_redirect(status: int) -> None:
    async def main() -> None:
        async with serve(
            echo, "127.0.0.1", 0, process_request=redirecting("/new", status)
        ) as server:
            async with connect(server_uri(server) + "/old") as client:
                assert client.request is not None
                assert client.request.path == "/new"

    run(main())


def test_cross_origin_redirect() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as target:
            location = server_uri(target) + "/new"
            async with serve(
                echo, "127.0.0.1", 0, process_request=redirecting(location)
            ) as server:
                async with connect(
                    server_uri(server).replace("//", "//user:pass@") + "/old",
                    additional_headers={"Cookie": "session", "X-Kept": "yes"},
                ) as client:
                    assert client.request is not None
                    # Credentials stay with their origin.
                    assert "Authorization" not in client.request.headers
                    assert "Cookie" not in client.request.headers
                    assert client.request.headers["X-Kept"] == "yes"
                with pytest.raises(ValueError, match="explicit host or port"):
                    host, port = server.sockets[0].getsockname()[:2]
                    await connect("ws://example.invalid/old", host=host, port=port)

    run(main())


def test_cross_origin_redirect_forgets_server_hostname() -> None:
    async def main() -> None:
        ca = trustme.CA()
        client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        ca.configure_trust(client_context)
        origin_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("origin.test").configure_cert(origin_context)
        target_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost").configure_cert(target_context)
        async with serve(echo, "127.0.0.1", 0, ssl=target_context) as target:
            port = target.sockets[0].getsockname()[1]
            location = f"wss://localhost:{port}/new"
            async with serve(
                echo,
                "127.0.0.1",
                0,
                ssl=origin_context,
                process_request=redirecting(location),
            ) as server:
                # The name given for the first server doesn't fit the second.
                async with connect(
                    server_uri(server, "wss") + "/old",
                    ssl=client_context,
                    server_hostname="origin.test",
                ) as client:
                    await client.send("redirected")
                    assert await client.recv() == "redirected"

    run(main())


def test_redirect_loop_is_bounded() -> None:
    async def main() -> None:
        def loop(connection: ServerConnection, request: Request) -> Response:
            response = connection.respond(302, "")
            response.headers["Location"] = request.path + "x"
            return response

        async with serve(echo, "127.0.0.1", 0, process_request=loop) as server:
            with pytest.raises(
                SecurityError, match=f"more than {MAX_REDIRECTS} redirects"
            ):
                await connect(server_uri(server))

    run(main())


def test_redirect_restrictions() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        async with serve(
            echo,
            "127.0.0.1",
            0,
            ssl=server_context,
            process_request=redirecting("ws://127.0.0.1/"),
        ) as server:
            with pytest.raises(SecurityError, match="non-secure"):
                await connect(server_uri(server, "wss") + "/old", ssl=client_context)

        async with serve(
            echo, "127.0.0.1", 0, process_request=redirecting("/new")
        ) as server:
            host, port = server.sockets[0].getsockname()[:2]
            sock = socket.create_connection((host, port))
            with pytest.raises(ValueError, match="preexisting socket"):
                await connect(server_uri(server) + "/old", sock=sock)

        # A redirect without Location isn't followed.
        def no_location(connection: ServerConnection, request: Request) -> Response:
            return connection.respond(302, "")

        async with serve(echo, "127.0.0.1", 0, process_request=no_location) as server:
            with pytest.raises(InvalidStatus):
                await connect(server_uri(server))

    run(main())


def test_process_redirect_unix_cross_origin() -> None:
    client = connect("ws://localhost/old", unix=True, path="/nonexistent")
    response = Response(302, "Found", Headers({"Location": "ws://elsewhere/"}))
    result = client.process_redirect(InvalidStatus(response))
    assert isinstance(result, ValueError)
    assert "Unix socket" in str(result)
    response = Response(302, "Found", Headers({"Location": "/new"}))
    assert client.process_redirect(InvalidStatus(response)) == "ws://localhost/new"
    assert client.ws_uri == parse_uri("ws://localhost/old")
    other = RuntimeError("not a redirect")
    assert client.process_redirect(other) is other


# Reconnection.


def test_process_exception() -> None:
    assert process_exception(EOFError()) is None
    assert process_exception(OSError()) is None
    assert process_exception(asyncio.TimeoutError()) is None
    eof_message = InvalidMessage("eof")
    eof_message.__cause__ = EOFError()
    assert process_exception(eof_message) is None
    for status in [500, 502, 503, 504]:
        assert process_exception(InvalidStatus(Response(status, "", Headers()))) is None
    fatal = InvalidStatus(Response(404, "", Headers()))
    assert process_exception(fatal) is fatal
    other = ValueError()
    assert process_exception(other) is other


def test_reconnect_after_transient_errors(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        attempts = 0

        def flaky(connection: ServerConnection, request: Request) -> Response | None:
            nonlocal attempts
            attempts += 1
            if attempts < 3:
                return connection.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "")
            return None

        async with serve(echo, "127.0.0.1", 0, process_request=flaky) as server:
            iterations = 0
            async for client in connect(
                server_uri(server), reconnect_delays=fast_delays
            ):
                await client.send("x")
                assert await client.recv() == "x"
                iterations += 1
                if iterations == 2:
                    break
        assert attempts == 4

    with caplog.at_level(logging.INFO, "websockets.client"):
        run(main())
    assert "connect failed; reconnecting in 0.0 seconds" in caplog.text


def test_reconnect_fatal_errors() -> None:
    async def main() -> None:
        def reject(connection: ServerConnection, request: Request) -> Response:
            return connection.respond(http.HTTPStatus.FORBIDDEN, "")

        async with serve(echo, "127.0.0.1", 0, process_request=reject) as server:
            uri = server_uri(server)
            with pytest.raises(InvalidStatus):
                async for _ in connect(uri, reconnect_delays=fast_delays):
                    pass  # pragma: no cover

            def replace(exc: Exception) -> Exception | None:
                return RuntimeError("replaced")

            with pytest.raises(RuntimeError, match="replaced") as raised:
                async for _ in connect(uri, process_exception=replace):
                    pass  # pragma: no cover
            assert isinstance(raised.value.__cause__, InvalidStatus)

            def raising(exc: Exception) -> Exception | None:
                raise KeyError("raised")

            with pytest.raises(KeyError):
                async for _ in connect(uri, process_exception=raising):
                    pass  # pragma: no cover

            def retry_all(exc: Exception) -> Exception | None:
                return None

            def two_delays() -> Generator[float]:
                yield 0.0
                yield 0.0

            with pytest.raises(InvalidStatus):
                async for _ in connect(
                    uri, process_exception=retry_all, reconnect_delays=two_delays
                ):
                    pass  # pragma: no cover

    run(main())


# Proxies.


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:  # pragma: no cover
        pass
    finally:
        writer.close()


@asynccontextmanager
async def http_proxy(
    status: bytes = b"200 OK", garbage: bool = False
) -> AsyncIterator[tuple[str, list[bytes]]]:
    """An HTTP CONNECT proxy on loopback, recording the requests it gets."""
    requests: list[bytes] = []
    tasks: list[asyncio.Task[Any]] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        requests.append(request)
        if garbage:
            writer.write(b"not http\r\n\r\n")
            writer.close()
            return
        if not status.startswith(b"200"):
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        host, port = request.split(b" ")[1].decode().rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        tasks.append(asyncio.create_task(pipe(reader, up_writer)))
        tasks.append(asyncio.create_task(pipe(up_reader, writer)))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}", requests
    finally:
        server.close()
        for task in tasks:
            await task


def test_http_proxy() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            async with http_proxy() as (proxy, requests):
                async with connect(
                    server_uri(server), proxy=proxy.replace("//", "//u:p@")
                ) as client:
                    await client.send("through the proxy")
                    assert await client.recv() == "through the proxy"
        assert requests[0].startswith(b"CONNECT 127.0.0.1:")
        assert b"Proxy-Authorization: Basic dTpw" in requests[0]

    run(main())


def test_http_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            async with http_proxy() as (proxy, requests):
                monkeypatch.setenv("http_proxy", proxy)
                monkeypatch.delenv("no_proxy", raising=False)
                monkeypatch.delenv("NO_PROXY", raising=False)
                async with connect(server_uri(server)) as client:
                    await client.send("env")
                    assert await client.recv() == "env"
                async with connect(server_uri(server), proxy=None) as client:
                    await client.send("direct")
                    assert await client.recv() == "direct"
        assert len(requests) == 1

    run(main())


def test_http_proxy_with_tls_to_server() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        async with serve(echo, "127.0.0.1", 0, ssl=server_context) as server:
            async with http_proxy() as (proxy, _):
                async with connect(
                    server_uri(server, "wss"), proxy=proxy, ssl=client_context
                ) as client:
                    await client.send("tls through the proxy")
                    assert await client.recv() == "tls through the proxy"

    run(main())


def test_https_proxy() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        requests: list[bytes] = []

        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            request = await reader.readuntil(b"\r\n\r\n")
            requests.append(request)
            host, port = request.split(b" ")[1].decode().rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        proxy_server = await asyncio.start_server(
            handle, "127.0.0.1", 0, ssl=server_context
        )
        host, port = proxy_server.sockets[0].getsockname()[:2]
        proxy = f"https://localhost:{port}"
        async with serve(echo, "127.0.0.1", 0) as server:
            async with connect(
                server_uri(server),
                proxy=f"https://127.0.0.1:{port}",
                proxy_ssl=client_context,
                proxy_server_hostname="localhost",
            ) as client:
                await client.send("https proxy")
                assert await client.recv() == "https proxy"
        proxy_server.close()
        assert requests
        with pytest.raises(ValueError, match="proxy_ssl=None"):
            await connect("ws://localhost/", proxy=proxy, proxy_ssl=None)
        with pytest.raises(ValueError, match="proxy_ssl argument"):
            await connect("ws://localhost/", proxy="http://localhost:1", proxy_ssl=True)

    run(main())


def test_http_proxy_errors() -> None:
    async def main() -> None:
        async with http_proxy(status=b"407 Proxy Authentication Required") as (
            proxy,
            _,
        ):
            with pytest.raises(InvalidProxyStatus):
                await connect("ws://127.0.0.1:1/", proxy=proxy)
        async with http_proxy(garbage=True) as (proxy, _):
            with pytest.raises(InvalidProxyMessage):
                await connect("ws://127.0.0.1:1/", proxy=proxy)
        async with raw_server(b"", close=True) as uri:
            with pytest.raises(InvalidProxyMessage):
                await connect("ws://127.0.0.1:1/", proxy=uri.replace("ws:", "http:"))

    run(main())


def test_http_proxy_connection_lost_with_error() -> None:
    async def main() -> None:
        protocol = HTTPProxyConnection(parse_uri("ws://h/"), parse_proxy("http://p:1"))
        protocol.connection_lost(ConnectionResetError("reset"))
        with pytest.raises(InvalidProxyMessage) as raised:
            await protocol.response
        assert isinstance(raised.value.__cause__, ConnectionResetError)
        protocol.data_received(b"ignored after the outcome is known")

    run(main())


@asynccontextmanager
async def socks5_proxy() -> AsyncIterator[tuple[str, list[tuple[str, int]]]]:
    """A SOCKS5 proxy without authentication, recording its destinations."""
    destinations: list[tuple[str, int]] = []
    tasks: list[asyncio.Task[Any]] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        version, count = await reader.readexactly(2)
        await reader.readexactly(count)
        writer.write(b"\x05\x00")
        _, command, _, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        else:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        destinations.append((host, port))
        if host == "refused.invalid":
            writer.write(b"\x05\x05\x00\x01" + b"\x00" * 6)
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(host, port)
        writer.write(
            b"\x05\x00\x00\x01" + b"\x7f\x00\x00\x01" + struct.pack("!H", port)
        )
        tasks.append(asyncio.create_task(pipe(reader, up_writer)))
        tasks.append(asyncio.create_task(pipe(up_reader, writer)))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"socks5h://{host}:{port}", destinations
    finally:
        server.close()
        for task in tasks:
            await task


def test_socks_proxy() -> None:
    async def main() -> None:
        async with serve(echo, "127.0.0.1", 0) as server:
            async with socks5_proxy() as (proxy, destinations):
                async with connect(server_uri(server), proxy=proxy) as client:
                    await client.send("socks")
                    assert await client.recv() == "socks"
                with pytest.raises(ProxyError):
                    await connect("ws://refused.invalid/", proxy=proxy)
        assert destinations[0][0] == "127.0.0.1"

    run(main())


def test_custom_logger_and_connection_class() -> None:
    class Custom(ClientConnection):
        pass

    async def main() -> None:
        logger = logging.getLogger("test.client")
        async with serve(echo, "127.0.0.1", 0) as server:
            async with connect(
                server_uri(server), logger=logger, create_connection=Custom
            ) as client:
                assert isinstance(client, Custom)
                assert isinstance(client.logger, logging.LoggerAdapter)
                assert client.logger.logger is logger

    run(main())


def test_http_proxy_options() -> None:
    async def main() -> None:
        server_context, _ = tls_contexts()
        async with serve(echo, "127.0.0.1", 0, ssl=server_context) as server:
            async with http_proxy() as (proxy, requests):
                # Options without a prefix go to the connection to the proxy.
                with pytest.raises(ssl.SSLCertVerificationError):
                    await connect(
                        server_uri(server, "wss"), proxy=proxy, family=socket.AF_INET
                    )
        assert len(requests) == 1

    run(main())


def test_socks_proxy_unreachable() -> None:
    async def main() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        with pytest.raises(OSError):
            await connect("ws://127.0.0.1:1/", proxy=f"socks5://127.0.0.1:{port}")

    run(main())


def test_http_proxy_closes_without_answer() -> None:
    async def main() -> None:
        protocol = HTTPProxyConnection(parse_uri("ws://h/"), parse_proxy("http://p:1"))
        protocol.connection_lost(None)
        with pytest.raises(InvalidProxyMessage, match="did not receive a valid HTTP"):
            await protocol.response

    run(main())

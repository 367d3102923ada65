"""Legacy client: connect, redirects, reconnection, handshake checks."""

from __future__ import annotations

import asyncio
import http
import socket
import ssl

import pytest
import trustme

from ws_asyncio.legacy.client import Connect, WebSocketClientProtocol, connect
from ws_asyncio.legacy.exceptions import InvalidStatusCode, RedirectHandshake
from ws_asyncio.legacy.server import HTTPResponse, WebSocketServerProtocol
from ws_deflate.permessage_deflate import ClientPerMessageDeflateFactory
from ws_frames.exceptions import (
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidURI,
    NegotiationError,
    SecurityError,
)
from ws_frames.typing import Subprotocol
from ws_http.datastructures import Headers

from .utils import async_test, get_uri, legacy_server, raw_server


async def headers_handler(websocket: WebSocketServerProtocol) -> None:
    await websocket.send(str(websocket.request_headers))


@async_test
async def test_await_connect() -> None:
    async with legacy_server() as server:
        websocket = await connect(get_uri(server))
        assert isinstance(websocket, WebSocketClientProtocol)
        assert websocket.is_client
        await websocket.send("x")
        assert await websocket.recv() == "x"
        await websocket.close()
        assert websocket.closed


@async_test
async def test_connect_as_context_manager_closes() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            assert websocket.open
        assert websocket.closed
        assert websocket.close_code == 1000


@async_test
async def test_request_headers() -> None:
    async with legacy_server(headers_handler) as server:
        async with connect(
            get_uri(server).replace("ws://", "ws://user:pass@"),
            origin="https://origin.example",  # type: ignore[arg-type]
            extra_headers=Headers({"X-A": "1"}),
            subprotocols=[Subprotocol("chat")],
        ) as websocket:
            request = await websocket.recv()
            assert isinstance(request, str)
            assert "Origin: https://origin.example\r\n" in request
            assert "X-A: 1\r\n" in request
            assert "Authorization: Basic dXNlcjpwYXNz\r\n" in request
            assert "Sec-WebSocket-Protocol: chat\r\n" in request
            assert "Sec-WebSocket-Extensions: permessage-deflate" in request
            assert "User-Agent: " in request


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidURI):
        connect("http://localhost/")
    with pytest.raises(ValueError, match="use a wss:// URI"):
        connect("ws://localhost/", ssl=ssl.create_default_context())
    with pytest.raises(ValueError, match="unsupported compression: br"):
        connect("ws://localhost/", compression="br")
    with pytest.raises(ValueError):
        connect("ws://localhost/", subprotocols=[Subprotocol("bad proto")])


@async_test
async def test_connect_with_sock_and_host_override() -> None:
    async with legacy_server() as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        sock = socket.create_connection((host, port))
        async with connect("ws://example.invalid/", sock=sock) as websocket:
            await websocket.send("sock")
            assert await websocket.recv() == "sock"
        async with connect(
            "ws://example.invalid:1234/", host=host, port=port
        ) as websocket:
            assert websocket.request_headers["Host"] == "example.invalid:1234"


@async_test
async def test_invalid_status() -> None:
    async def process_request(path: str, headers: Headers) -> HTTPResponse:
        return http.HTTPStatus.FORBIDDEN, [("X-Reason", "nope")], b"forbidden"

    async with legacy_server(process_request=process_request) as server:
        with pytest.raises(InvalidStatusCode) as raised:
            await connect(get_uri(server))
        assert raised.value.status_code == 403
        assert raised.value.headers["X-Reason"] == "nope"


@async_test
async def test_invalid_response() -> None:
    async def garbage(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nGarbage\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with raw_server(garbage) as uri:
        with pytest.raises(
            InvalidMessage, match="did not receive a valid HTTP response"
        ):
            await connect(uri)

    async def bad_accept(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\n\r\n"
        )
        await writer.drain()
        await reader.read()

    async with raw_server(bad_accept) as uri:
        with pytest.raises(InvalidHeaderValue, match="Sec-WebSocket-Accept"):
            await connect(uri)


@async_test
async def test_open_timeout() -> None:
    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()

    async with raw_server(silent) as uri:
        with pytest.raises(asyncio.TimeoutError):
            await connect(uri, open_timeout=0.05)


def redirecting(target: str, status: int = 302) -> object:
    async def process_request(path: str, headers: Headers) -> HTTPResponse:
        return status, [("Location", target)], b""

    return process_request


@async_test
async def test_redirects() -> None:
    # The target echoes, so that it doesn't close the connection by itself.
    async with legacy_server() as target:
        target_uri = get_uri(target, "/target")
        for status in (301, 302, 303, 307, 308):
            async with legacy_server(
                process_request=redirecting(target_uri, status)
            ) as origin:
                async with connect(get_uri(origin, "/start")) as websocket:
                    assert websocket.path == "/target"
                    assert websocket.open


@async_test
async def test_relative_redirect() -> None:
    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        if path == "/old":
            return http.HTTPStatus.FOUND, [("Location", "/new")], b""
        return None

    async with legacy_server(process_request=process_request) as server:
        async with connect(get_uri(server, "/old")) as websocket:
            assert websocket.path == "/new"


@async_test
async def test_redirect_errors() -> None:
    async with legacy_server(process_request=redirecting("/loop")) as server:
        with pytest.raises(SecurityError, match="too many redirects"):
            await connect(get_uri(server))

    async def no_location(path: str, headers: Headers) -> HTTPResponse:
        return http.HTTPStatus.FOUND, [], b""

    async with legacy_server(process_request=no_location) as server:
        with pytest.raises(InvalidHeader, match="missing Location header"):
            await connect(get_uri(server))


def test_handle_redirect() -> None:
    client = Connect("wss://secure.example/a")
    with pytest.raises(SecurityError, match="redirect from WSS to WS"):
        client.handle_redirect("ws://secure.example/b")

    client = Connect("ws://plain.example/a", host="127.0.0.1", port=1)
    # Same origin: connection overrides are kept.
    client.handle_redirect("/b")
    assert client._wsuri.path == "/b"
    assert (client._host, client._port) == ("127.0.0.1", 1)
    # TLS upgrade on another origin.
    client.handle_redirect("wss://other.example:8443/c")
    assert (client._host, client._port) == ("other.example", 8443)
    assert client._kwargs["ssl"] is True
    assert client._factory.keywords["secure"] is True
    assert client._factory.keywords["host"] == "other.example"


def test_redirect_exception() -> None:
    assert str(RedirectHandshake("ws://x/")) == "redirect to ws://x/"


@async_test
async def test_reconnect() -> None:
    attempts = 0

    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        nonlocal attempts
        attempts += 1
        if attempts in (1, 2, 3, 5):
            return http.HTTPStatus.SERVICE_UNAVAILABLE, [], b""
        return None

    class FastConnect(Connect):
        BACKOFF_INITIAL = 0.01
        BACKOFF_MIN = 0.01
        BACKOFF_FACTOR = 2.0
        BACKOFF_MAX = 0.02

    connections = 0
    async with legacy_server(process_request=process_request) as server:
        async for websocket in FastConnect(get_uri(server)):
            connections += 1
            await websocket.send("x")
            assert await websocket.recv() == "x"
            if connections == 2:
                break
    assert attempts == 6


@async_test
async def test_client_protocol_process_extensions() -> None:
    factory = ClientPerMessageDeflateFactory()
    headers = Headers({"Sec-WebSocket-Extensions": "permessage-deflate"})
    extensions = WebSocketClientProtocol.process_extensions(headers, [factory])
    assert [extension.name for extension in extensions] == ["permessage-deflate"]
    assert WebSocketClientProtocol.process_extensions(Headers(), None) == []
    with pytest.raises(NegotiationError, match="no extensions supported"):
        WebSocketClientProtocol.process_extensions(headers, None)
    with pytest.raises(NegotiationError, match="unsupported extension"):
        WebSocketClientProtocol.process_extensions(
            Headers({"Sec-WebSocket-Extensions": "x-unknown"}), [factory]
        )
    with pytest.raises(NegotiationError, match="unsupported extension"):
        WebSocketClientProtocol.process_extensions(
            Headers({"Sec-WebSocket-Extensions": "permessage-deflate; bogus"}),
            [factory],
        )


def test_client_protocol_process_subprotocol() -> None:
    chat = Subprotocol("chat")
    headers = Headers({"Sec-WebSocket-Protocol": "chat"})
    assert WebSocketClientProtocol.process_subprotocol(headers, [chat]) == chat
    assert WebSocketClientProtocol.process_subprotocol(Headers(), None) is None
    with pytest.raises(NegotiationError, match="no subprotocols supported"):
        WebSocketClientProtocol.process_subprotocol(headers, None)
    with pytest.raises(NegotiationError, match="unsupported subprotocol: chat"):
        WebSocketClientProtocol.process_subprotocol(headers, [Subprotocol("other")])
    with pytest.raises(InvalidHeader, match="multiple values"):
        WebSocketClientProtocol.process_subprotocol(
            Headers({"Sec-WebSocket-Protocol": "chat, other"}), [chat]
        )


@async_test
async def test_handshake_failure_closes_socket() -> None:
    async def extension_server(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        from ws_asyncio.legacy.handshake import build_response, check_request
        from ws_asyncio.legacy.http import read_request

        _, request_headers = await read_request(reader)
        response_headers = Headers()
        build_response(response_headers, check_request(request_headers))
        response_headers["Sec-WebSocket-Protocol"] = "unexpected"
        writer.write(f"HTTP/1.1 101 Switching Protocols\r\n{response_headers}".encode())
        await writer.drain()
        assert await reader.read() == b""

    async with raw_server(extension_server) as uri:
        with pytest.raises(NegotiationError):
            await connect(uri)


@async_test
async def test_tls() -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async with legacy_server(ssl=server_context) as server:
        port = list(server.sockets)[0].getsockname()[1]
        async with connect(f"wss://localhost:{port}/", ssl=client_context) as websocket:
            with pytest.warns(DeprecationWarning):
                assert websocket.secure is True
            await websocket.send("secret")
            assert await websocket.recv() == "secret"

        sock = socket.create_connection(("127.0.0.1", port))
        async with connect(
            f"wss://localhost:{port}/", ssl=client_context, sock=sock
        ) as websocket:
            assert websocket.open


@async_test
async def test_deprecated_connect_arguments() -> None:
    class Custom(WebSocketClientProtocol):
        pass

    async with legacy_server() as server:
        with pytest.warns(DeprecationWarning) as warnings:
            websocket = await connect(get_uri(server), timeout=2, klass=Custom)
        messages = {str(warning.message) for warning in warnings}
        assert messages == {
            "rename timeout to close_timeout",
            "rename klass to create_protocol",
        }
        # The warnings point to the caller of connect().
        assert {warning.filename for warning in warnings} == {__file__}
        assert isinstance(websocket, Custom)
        assert websocket.close_timeout == 2
        await websocket.close()

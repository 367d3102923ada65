"""Legacy server: opening handshake, hooks, lifecycle; on loopback."""

from __future__ import annotations

import asyncio
import http
import logging
import os
import socket
import tempfile
from collections.abc import Sequence

import pytest

from ws_asyncio.legacy.client import connect, unix_connect
from ws_asyncio.legacy.exceptions import AbortHandshake, InvalidStatusCode
from ws_asyncio.legacy.framing import Frame
from ws_asyncio.legacy.server import (
    HTTPResponse,
    WebSocketServer,
    WebSocketServerProtocol,
    remove_path_argument,
    serve,
    unix_serve,
)
from ws_frames.exceptions import (
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidHeader,
    InvalidOrigin,
    NegotiationError,
)
from ws_frames.frames import Opcode
from ws_frames.typing import Origin, Subprotocol
from ws_http.datastructures import Headers

from .utils import async_test, echo, get_uri, legacy_server, until


REQUEST = (
    b"GET /path HTTP/1.1\r\n"
    b"Host: localhost\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
)


async def raw_request(server: WebSocketServer, request: bytes) -> bytes:
    """Send raw bytes to the server and return everything it answers."""
    host, port = list(server.sockets)[0].getsockname()[:2]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    try:
        return await reader.read()
    finally:
        writer.close()


async def path_handler(websocket: WebSocketServerProtocol) -> None:
    await websocket.send(websocket.path)


@async_test
async def test_handler_with_one_argument() -> None:
    async with legacy_server(path_handler) as server:
        async with connect(get_uri(server, "/chat?room=1")) as websocket:
            assert await websocket.recv() == "/chat?room=1"


@async_test
async def test_handler_with_two_arguments_is_deprecated() -> None:
    async def handler(websocket: WebSocketServerProtocol, path: str) -> None:
        await websocket.send(path)

    with pytest.warns(DeprecationWarning, match="remove second argument of ws_handler"):
        server = await serve(handler, "127.0.0.1", 0)
    async with server:
        async with connect(get_uri(server, "/old")) as websocket:
            assert await websocket.recv() == "/old"


def test_remove_path_argument_keeps_one_argument_handlers() -> None:
    assert remove_path_argument(echo) is echo

    async def odd(websocket: WebSocketServerProtocol, path: str, extra: int) -> None:
        pass  # pragma: no cover

    # Neither form: left alone, the call will fail and be logged.
    assert remove_path_argument(odd) is odd  # type: ignore[arg-type,comparison-overlap]


@async_test
async def test_request_and_response_attributes() -> None:
    seen: list[WebSocketServerProtocol] = []

    async def handler(websocket: WebSocketServerProtocol) -> None:
        seen.append(websocket)
        await websocket.send(websocket.request_headers["X-Client"])

    async with legacy_server(handler, server_header="TestServer/1") as server:
        async with connect(
            get_uri(server, "/p"),
            extra_headers={"X-Client": "yes"},
            user_agent_header="TestClient/1",
        ) as websocket:
            assert await websocket.recv() == "yes"
            assert websocket.path == "/p"
            assert websocket.request_headers["User-Agent"] == "TestClient/1"
            assert websocket.response_headers["Server"] == "TestServer/1"
            assert "Date" in websocket.response_headers
            assert websocket.remote_address == seen[0].local_address
            assert seen[0].request_headers["Host"].startswith("127.0.0.1:")
            assert seen[0].response_headers is not None


@async_test
async def test_no_server_and_user_agent_headers() -> None:
    async with legacy_server(server_header=None) as server:
        async with connect(get_uri(server), user_agent_header=None) as websocket:
            assert "Server" not in websocket.response_headers
            assert "User-Agent" not in websocket.request_headers


@async_test
async def test_compression() -> None:
    async with legacy_server() as server:
        async with connect(get_uri(server)) as websocket:
            assert [ext.name for ext in websocket.extensions] == ["permessage-deflate"]
            await websocket.send("x" * 1000)
            assert await websocket.recv() == "x" * 1000
        async with connect(get_uri(server), compression=None) as websocket:
            assert websocket.extensions == []
    async with legacy_server(compression=None) as server:
        async with connect(get_uri(server)) as websocket:
            assert websocket.extensions == []


def test_unsupported_compression() -> None:
    with pytest.raises(ValueError, match="unsupported compression: xz"):
        serve(echo, "127.0.0.1", 0, compression="xz")


@async_test
async def test_subprotocols() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        await websocket.send(str(websocket.subprotocol))

    chat, superchat = Subprotocol("chat"), Subprotocol("superchat")
    async with legacy_server(handler, subprotocols=[superchat, chat]) as server:
        async with connect(get_uri(server), subprotocols=[chat, superchat]) as ws:
            # Equal weight to client and server preferences; ties keep order.
            assert ws.subprotocol in {chat, superchat}
            assert await ws.recv() == ws.subprotocol
        async with connect(get_uri(server), subprotocols=[chat]) as ws:
            assert ws.subprotocol == chat
        async with connect(get_uri(server), subprotocols=[Subprotocol("x")]) as ws:
            assert ws.subprotocol is None
            assert await ws.recv() == "None"
        async with connect(get_uri(server)) as ws:
            assert ws.subprotocol is None


@async_test
async def test_select_subprotocol_argument_and_subclass() -> None:
    def select(
        client: Sequence[Subprotocol], server: Sequence[Subprotocol]
    ) -> Subprotocol:
        return client[-1]

    protocols = [Subprotocol("a"), Subprotocol("b")]
    async with legacy_server(
        subprotocols=protocols, select_subprotocol=select
    ) as server:
        async with connect(get_uri(server), subprotocols=protocols) as websocket:
            assert websocket.subprotocol == "b"

    class LastProtocol(WebSocketServerProtocol):
        def select_subprotocol(
            self,
            client_subprotocols: Sequence[Subprotocol],
            server_subprotocols: Sequence[Subprotocol],
        ) -> Subprotocol | None:
            return server_subprotocols[-1]

    async with legacy_server(
        subprotocols=protocols, create_protocol=LastProtocol
    ) as server:
        async with connect(get_uri(server), subprotocols=protocols) as websocket:
            assert websocket.subprotocol == "b"


def test_default_select_subprotocol_weights() -> None:
    async def run() -> None:
        protocol = WebSocketServerProtocol(echo, WebSocketServer())
        a, b, c = Subprotocol("a"), Subprotocol("b"), Subprotocol("c")
        assert protocol.select_subprotocol([a, b, c], [b, c]) == b
        assert protocol.select_subprotocol([a], [b]) is None

    asyncio.run(run())


@async_test
async def test_origins() -> None:
    allowed = Origin("https://allowed.example")
    async with legacy_server(origins=[allowed, None]) as server:
        async with connect(get_uri(server), origin=allowed) as websocket:
            assert websocket.origin == allowed
        async with connect(get_uri(server)) as websocket:
            assert websocket.open
        with pytest.raises(InvalidStatusCode) as raised:
            await connect(get_uri(server), origin=Origin("https://evil.example"))
        assert raised.value.status_code == 403
        response = await raw_request(
            server, REQUEST + b"Origin: a\r\nOrigin: b\r\n\r\n"
        )
        assert response.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert b"invalid Origin header: multiple values" in response


def test_process_origin() -> None:
    headers = Headers({"Origin": "https://a"})
    assert WebSocketServerProtocol.process_origin(headers) == "https://a"
    with pytest.raises(InvalidOrigin):
        WebSocketServerProtocol.process_origin(headers, [Origin("https://b")])
    headers["Origin"] = "https://b"
    with pytest.raises(InvalidHeader):
        WebSocketServerProtocol.process_origin(headers)


@async_test
async def test_empty_string_origin_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="use None instead of ''"):
        protocol = WebSocketServerProtocol(
            echo, WebSocketServer(), origins=[Origin("")]
        )
    assert protocol.origins == [None]


@async_test
async def test_extra_headers() -> None:
    async with legacy_server(extra_headers={"X-Extra": "1"}) as server:
        async with connect(get_uri(server)) as websocket:
            assert websocket.response_headers["X-Extra"] == "1"

    def dynamic(path: str, request_headers: Headers) -> list[tuple[str, str]]:
        return [("X-Path", path), ("X-Echo", request_headers["X-Ask"])]

    async with legacy_server(extra_headers=dynamic) as server:
        async with connect(
            get_uri(server, "/dyn"), extra_headers=[("X-Ask", "q")]
        ) as websocket:
            assert websocket.response_headers["X-Path"] == "/dyn"
            assert websocket.response_headers["X-Echo"] == "q"


@async_test
async def test_process_request_argument() -> None:
    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        if path == "/health":
            return http.HTTPStatus.OK, [("X-Health", "ok")], b"OK\n"
        if path == "/int":
            return 404, {}, b""
        return None

    async with legacy_server(process_request=process_request) as server:
        response = await raw_request(server, b"GET /health HTTP/1.1\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"X-Health: ok\r\n" in response
        assert b"Content-Length: 3\r\n" in response
        assert response.endswith(b"\r\n\r\nOK\n")

        with pytest.raises(InvalidStatusCode) as raised:
            await connect(get_uri(server, "/int"))
        assert raised.value.status_code == 404
        assert str(raised.value) == "server rejected WebSocket connection: HTTP 404"

        async with connect(get_uri(server, "/ws")) as websocket:
            assert websocket.open


@async_test
async def test_process_request_as_plain_function_is_deprecated() -> None:
    def process_request(path: str, headers: Headers) -> HTTPResponse:
        return http.HTTPStatus.FORBIDDEN, [], b""

    async with legacy_server(process_request=process_request) as server:
        with pytest.warns(DeprecationWarning, match="declare process_request"):
            with pytest.raises(InvalidStatusCode):
                await connect(get_uri(server))


@async_test
async def test_process_request_subclass() -> None:
    class HealthProtocol(WebSocketServerProtocol):
        async def process_request(
            self, path: str, request_headers: Headers
        ) -> HTTPResponse | None:
            if path == "/health":
                return http.HTTPStatus.OK, [], b"healthy"
            return await super().process_request(path, request_headers)

    async with legacy_server(create_protocol=HealthProtocol) as server:
        response = await raw_request(server, b"GET /health HTTP/1.1\r\n\r\n")
        assert response.endswith(b"healthy")
        async with connect(get_uri(server)) as websocket:
            assert isinstance(list(server.websockets)[0], HealthProtocol)
            assert websocket.open


@async_test
async def test_process_request_abort_handshake() -> None:
    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        raise AbortHandshake(http.HTTPStatus.FORBIDDEN, {"X-Why": "no"}, b"denied")

    async with legacy_server(process_request=process_request) as server:
        response = await raw_request(server, REQUEST + b"\r\n")
        assert response.startswith(b"HTTP/1.1 403 Forbidden\r\n")
        assert b"X-Why: no\r\n" in response
        assert response.endswith(b"denied")


@async_test
async def test_process_request_crash(caplog: pytest.LogCaptureFixture) -> None:
    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        raise ZeroDivisionError

    async with legacy_server(process_request=process_request) as server:
        response = await raw_request(server, REQUEST + b"\r\n")
        assert response.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
        assert b"See server log" in response
    assert "opening handshake failed" in caplog.text


@pytest.mark.parametrize(
    "request_bytes, status, text",
    [
        (b"GARBAGE\r\n\r\n", 400, b"did not receive a valid HTTP request"),
        (b"POST / HTTP/1.1\r\n\r\n", 400, b"unsupported HTTP method: POST"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 426, b"missing Connection header"),
        (
            REQUEST.replace(b"13", b"8") + b"\r\n",
            400,
            b"invalid Sec-WebSocket-Version header: 8",
        ),
        (
            REQUEST + b"Sec-WebSocket-Extensions: ;;\r\n\r\n",
            400,
            b"Sec-WebSocket-Extensions",
        ),
    ],
)
def test_bad_requests(request_bytes: bytes, status: int, text: bytes) -> None:
    @async_test
    async def run() -> None:
        async with legacy_server() as server:
            response = await raw_request(server, request_bytes)
            assert response.startswith(f"HTTP/1.1 {status} ".encode())
            assert text in response
            assert b"Connection: close\r\n" in response
            assert b"Content-Type: text/plain\r\n" in response

    run()


@async_test
async def test_open_timeout() -> None:
    async with legacy_server(open_timeout=0.05) as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        # The server closes the connection without a response.
        assert await reader.read() == b""
        writer.close()


@async_test
async def test_client_disconnects_during_handshake() -> None:
    async with legacy_server() as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET / HTTP/1.1\r\n")
        await until(lambda: len(server.websockets) == 1)
        writer.close()
        await writer.wait_closed()
        await until(lambda: server.websockets == set())


@async_test
async def test_connection_dropped_during_process_request() -> None:
    proceed = asyncio.Event()
    entered = asyncio.Event()

    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        entered.set()
        await proceed.wait()
        return None

    async with legacy_server(process_request=process_request) as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(REQUEST + b"\r\n")
        await entered.wait()
        writer.transport.abort()
        protocol = list(server.websockets)[0]
        await until(lambda: protocol.closed)
        proceed.set()
        await until(lambda: server.websockets == set())


@async_test
async def test_handler_crash(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        raise ZeroDivisionError

    async with legacy_server(handler) as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.wait_closed()
            assert websocket.close_code == 1011
    assert "connection handler failed" in caplog.text


@async_test
async def test_handler_closes_connection() -> None:
    async def handler(websocket: WebSocketServerProtocol) -> None:
        await websocket.close(1000, "done")

    async with legacy_server(handler) as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.wait_closed()
            assert websocket.close_reason == "done"


@async_test
async def test_server_close_closes_connections_with_1001() -> None:
    handler_saw: list[BaseException] = []

    async def handler(websocket: WebSocketServerProtocol) -> None:
        try:
            await websocket.recv()
        except ConnectionClosedOK as exc:
            handler_saw.append(exc)

    server = await serve(handler, "127.0.0.1", 0)
    websocket = await connect(get_uri(server))
    assert server.is_serving()
    server.close()
    server.close()  # idempotent
    await server.wait_closed()
    assert not server.is_serving()
    await websocket.wait_closed()
    assert websocket.close_code == 1001
    assert len(handler_saw) == 1


@async_test
async def test_handshake_during_shutdown_gets_503() -> None:
    async with legacy_server() as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        await until(lambda: len(server.websockets) == 1)
        server.close()
        await until(lambda: not server.is_serving())
        writer.write(REQUEST + b"\r\n")
        response = await reader.read()
        assert response.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert response.endswith(b"Server is shutting down.\n")
        writer.close()


@async_test
async def test_close_without_closing_connections() -> None:
    async with legacy_server() as server:
        websocket = await connect(get_uri(server))
        server.close(close_connections=False)
        await asyncio.sleep(0.01)
        await websocket.send("still there")
        assert await websocket.recv() == "still there"
        await websocket.close()
        await server.wait_closed()


@async_test
async def test_start_serving_and_serve_forever() -> None:
    server = await serve(echo, "127.0.0.1", 0, start_serving=False)
    assert not server.is_serving()
    await server.start_serving()
    assert server.is_serving()
    assert server.get_loop() is asyncio.get_running_loop()
    forever = asyncio.create_task(server.serve_forever())
    async with connect(get_uri(server)) as websocket:
        await websocket.send("x")
        assert await websocket.recv() == "x"
    forever.cancel()
    with pytest.raises(asyncio.CancelledError):
        await forever
    server.close()
    await server.wait_closed()


@async_test
async def test_websocket_server_as_context_manager() -> None:
    server = await serve(echo, "127.0.0.1", 0)
    async with server as entered:
        assert entered is server
        async with connect(get_uri(server)) as websocket:
            assert websocket.open
    assert not server.is_serving()


@async_test
async def test_ipv6_and_logging(caplog: pytest.LogCaptureFixture) -> None:
    if not socket.has_ipv6:  # pragma: no cover
        pytest.skip("IPv6 unavailable")
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        try:
            server = await serve(echo, "::1", 0)
        except OSError:  # pragma: no cover
            pytest.skip("IPv6 loopback unavailable")
        async with server:
            port = list(server.sockets)[0].getsockname()[1]
            async with connect(f"ws://[::1]:{port}/") as websocket:
                await websocket.send("6")
                assert await websocket.recv() == "6"
    assert f"server listening on [::1]:{port}" in caplog.text
    assert "server closed" in caplog.text


@async_test
async def test_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ws.sock")
        async with unix_serve(path_handler, path, close_timeout=1):
            async with unix_connect(path, "ws://localhost/unix") as websocket:
                assert await websocket.recv() == "/unix"
                assert websocket.remote_address == path


@async_test
async def test_deprecated_serve_arguments() -> None:
    loop = asyncio.get_running_loop()

    class Custom(WebSocketServerProtocol):
        pass

    with pytest.warns(DeprecationWarning) as warnings:
        server = await serve(
            echo,
            "127.0.0.1",
            0,
            timeout=2,
            klass=Custom,
            loop=loop,
        )
    messages = {str(warning.message) for warning in warnings}
    assert "rename timeout to close_timeout" in messages
    assert "rename klass to create_protocol" in messages
    assert "remove loop argument" in messages
    # The warnings point to the caller of serve().
    assert {warning.filename for warning in warnings} == {__file__}
    async with server:
        with pytest.warns(DeprecationWarning, match="remove loop argument"):
            websocket = await connect(get_uri(server), loop=loop)
        protocol = list(server.websockets)[0]
        assert isinstance(protocol, Custom)
        assert protocol.close_timeout == 2
        await websocket.close()


@async_test
async def test_legacy_recv_on_server() -> None:
    results: list[object] = []

    async def handler(websocket: WebSocketServerProtocol) -> None:
        await websocket.wait_closed()
        results.append(await websocket.recv())

    with pytest.warns(DeprecationWarning, match="legacy_recv"):
        async with legacy_server(handler, legacy_recv=True) as server:
            async with connect(get_uri(server)):
                pass
    assert results == [None]


def test_process_extensions() -> None:
    from ws_deflate.permessage_deflate import ServerPerMessageDeflateFactory

    factory = ServerPerMessageDeflateFactory()
    headers = Headers(
        [
            ("Sec-WebSocket-Extensions", "x-unknown, permessage-deflate; foo=1"),
            ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ]
    )
    header, extensions = WebSocketServerProtocol.process_extensions(headers, [factory])
    assert header == "permessage-deflate"
    assert len(extensions) == 1
    assert WebSocketServerProtocol.process_extensions(headers, None) == (None, [])
    assert WebSocketServerProtocol.process_extensions(Headers(), [factory]) == (
        None,
        [],
    )


def test_exceptions_are_handshake_errors() -> None:
    assert issubclass(AbortHandshake, InvalidHandshake)
    assert issubclass(InvalidStatusCode, InvalidHandshake)
    exc = AbortHandshake(404, [("A", "b")], b"xyz")
    assert exc.status is http.HTTPStatus.NOT_FOUND
    assert str(exc) == "HTTP 404, 1 headers, 3 bytes"
    assert isinstance(NegotiationError("x"), InvalidHandshake)


def test_legacy_exception_aliases() -> None:
    from ws_asyncio.legacy import exceptions
    from ws_frames import exceptions as shared

    assert exceptions.WebSocketProtocolError is shared.ProtocolError
    assert exceptions.InvalidHandshake is shared.InvalidHandshake
    assert exceptions.InvalidMessage is shared.InvalidMessage
    assert str(InvalidStatusCode(500, Headers())) == (
        "server rejected WebSocket connection: HTTP 500"
    )


@async_test
async def test_process_request_subclass_plain_function_is_deprecated() -> None:
    class PlainProtocol(WebSocketServerProtocol):
        def process_request(  # type: ignore[override]
            self, path: str, request_headers: Headers
        ) -> HTTPResponse | None:
            return None

    async with legacy_server(create_protocol=PlainProtocol) as server:
        with pytest.warns(DeprecationWarning, match="declare process_request"):
            async with connect(get_uri(server)) as websocket:
                assert websocket.open


@async_test
async def test_rejections_are_logged_in_debug_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.legacy.rejections")
    logger.setLevel(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger="test.legacy.rejections"):
        async with legacy_server(
            logger=logger, origins=[Origin("https://a")], server_header=None
        ) as server:
            await raw_request(server, REQUEST + b"Origin: https://b\r\n\r\n")
            await raw_request(server, b"GET / HTTP/1.1\r\n\r\n")
            await raw_request(server, b"BAD\r\n\r\n")
    assert "! invalid origin" in caplog.text
    assert "! invalid upgrade" in caplog.text
    assert "! invalid handshake" in caplog.text
    assert "> [body]" in caplog.text


@async_test
async def test_failing_closing_handshake_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenClose(WebSocketServerProtocol):
        async def close(self, code: int = 1000, reason: str = "") -> None:
            raise ZeroDivisionError

    async def handler(websocket: WebSocketServerProtocol) -> None:
        pass

    async with legacy_server(handler, create_protocol=BrokenClose) as server:
        async with connect(get_uri(server)) as websocket:
            await websocket.wait_closed()
    assert "closing handshake failed" in caplog.text


@async_test
async def test_reading_pauses_during_a_large_handshake() -> None:
    async with legacy_server(read_limit=64) as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        # Above read_limit, in the middle of a line: reading pauses, then
        # resumes once the complete lines are parsed.
        writer.write(REQUEST[:100])
        await asyncio.sleep(0.01)
        # Above read_limit again, up to the end: reading resumes when the
        # connection opens.
        writer.write(REQUEST[100:] + b"X-Padding: " + b"p" * 200 + b"\r\n\r\n")
        response = await reader.readuntil(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 101 ")
        Frame(True, Opcode.TEXT, b"hi").write(writer.write, mask=True)
        assert await Frame.read(reader.readexactly, mask=False) == Frame(
            True, Opcode.TEXT, b"hi"
        )
        writer.close()

"""The examples of the seed documents of the legacy API, through ``websockets``."""

from __future__ import annotations

import asyncio
import importlib
import logging
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

import websockets
import websockets.client
import websockets.protocol
import websockets.server
from ws_asyncio.legacy import protocol as legacy_protocol
from ws_asyncio.legacy.client import Connect
from ws_asyncio.legacy.server import Serve

from .utils import async_test


def import_deprecated(name: str) -> ModuleType:
    """Import a deprecated module afresh and check that it warns."""
    # The modules of websockets.legacy warn through their package, once.
    fresh = "websockets.legacy" if name.startswith("websockets.legacy.") else name
    for module in list(sys.modules):
        if module == fresh or module.startswith(f"{fresh}."):
            del sys.modules[module]
    with pytest.warns(DeprecationWarning):
        return importlib.import_module(name)


def test_legacy_package_itself_does_not_warn() -> None:
    # A fresh interpreter, with every warning turned into an error.
    modules = ", ".join(
        f"ws_asyncio.legacy.{name}"
        for name in ["protocol", "server", "client", "auth", "framing", "handshake"]
    )
    subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {modules}"],
        check=True,
    )


def test_legacy_modules_warn_and_reexport() -> None:
    for name in ["protocol", "server", "client", "auth", "exceptions"]:
        module = import_deprecated(f"websockets.legacy.{name}")
        ours = importlib.import_module(f"ws_asyncio.legacy.{name}")
        for attribute in getattr(module, "__all__", []):
            assert getattr(module, attribute) is getattr(ours, attribute)


def test_older_module_paths() -> None:
    framing = import_deprecated("websockets.framing")
    handshake = import_deprecated("websockets.handshake")
    http = import_deprecated("websockets.http")
    from ws_asyncio.legacy import framing as ours_framing, http as ours_http
    from ws_http.datastructures import Headers, MultipleValuesError

    assert framing.Frame is ours_framing.Frame
    assert (
        handshake.build_request
        is importlib.import_module("ws_asyncio.legacy.handshake").build_request
    )
    assert http.read_request is ours_http.read_request
    assert http.Headers is Headers
    assert http.MultipleValuesError is MultipleValuesError
    assert (
        deprecated(websockets.protocol, "WebSocketCommonProtocol")
        is legacy_protocol.WebSocketCommonProtocol
    )


def deprecated(module: Any, name: str) -> Any:
    with pytest.warns(DeprecationWarning):
        return getattr(module, name)


def test_deprecated_aliases() -> None:
    assert deprecated(websockets.server, "serve") is Serve
    assert deprecated(websockets.client, "connect") is Connect
    assert (
        deprecated(websockets, "WebSocketServerProtocol").__module__
        == "ws_asyncio.legacy.server"
    )


@async_test
async def test_seed_003_serve_connect_and_iterate() -> None:
    # "Since there's no useful way to propagate exceptions triggered in
    # handlers, they're sent to the 'websockets.server' logger instead."
    logger = logging.getLogger("websockets.server")
    logger.setLevel(logging.ERROR)
    handler = logging.StreamHandler()
    logger.addHandler(handler)

    serve = deprecated(websockets.server, "serve")
    connect = deprecated(websockets.client, "connect")

    # "It must be a coroutine accepting two arguments: a
    # WebSocketServerProtocol and the request URI."
    async def ws_handler(websocket: Any, path: str) -> None:
        async for message in websocket:
            await websocket.send(f"{path}: {message}")

    try:
        with pytest.warns(DeprecationWarning, match="remove second argument"):
            server = await serve(ws_handler, "localhost", 0)
        port = list(server.sockets)[0].getsockname()[1]

        async with connect(f"ws://localhost:{port}/seed") as websocket:
            await websocket.send("hello")
            assert await websocket.recv() == "/seed: hello"

            pong_waiter = await websocket.ping()
            await pong_waiter  # only if you want to wait for the pong

            # Seed 004: "The result of the future is the latency".
            pong_waiter = await websocket.ping()
            latency = await pong_waiter
            assert latency == websocket.latency

        # "When a server is closed with close(), it closes all connections
        # with close code 1001 (going away)."
        websocket = await connect(f"ws://localhost:{port}/")
        server.close()
        await server.wait_closed()
        assert websocket.close_code == 1001
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


@async_test
async def test_seed_003_serve_as_context_manager() -> None:
    serve = deprecated(websockets.server, "serve")
    connect = deprecated(websockets.client, "connect")

    async def echo(websocket: Any) -> None:
        async for message in websocket:
            await websocket.send(message)

    async with serve(echo, "localhost", 0) as server:
        port = list(server.sockets)[0].getsockname()[1]
        websocket = await connect(f"ws://localhost:{port}/")
        await websocket.send(b"\x00")
        assert await websocket.recv() == b"\x00"
        await websocket.close()


@async_test
async def test_seed_003_basic_auth() -> None:
    serve = deprecated(websockets.server, "serve")
    connect = deprecated(websockets.client, "connect")
    basic_auth_protocol_factory = deprecated(websockets, "basic_auth_protocol_factory")
    InvalidStatusCode = deprecated(websockets, "InvalidStatusCode")

    async def handler(websocket: Any) -> None:
        await websocket.send(websocket.username)

    async with serve(
        handler,
        "localhost",
        0,
        create_protocol=basic_auth_protocol_factory(
            realm="my dev server",
            credentials=("hello", "iloveyou"),
        ),
    ) as server:
        port = list(server.sockets)[0].getsockname()[1]
        async with connect(f"ws://hello:iloveyou@localhost:{port}/") as websocket:
            assert await websocket.recv() == "hello"
        with pytest.raises(InvalidStatusCode) as raised:
            await connect(f"ws://localhost:{port}/")
        assert raised.value.status_code == 401


def test_seed_003_handshake_helpers() -> None:
    handshake = import_deprecated("websockets.handshake")
    http = import_deprecated("websockets.http")

    # "To open a connection, a client must: send a GET request to the server
    # with the headers created by build_request(), ..."
    request_headers = http.Headers()
    key = handshake.build_request(request_headers)
    # "To accept a connection, a server must: ... check the headers with
    # check_request(), send a 101 response with build_response()."
    assert handshake.check_request(request_headers) == key
    response_headers = http.Headers()
    handshake.build_response(response_headers, key)
    # "... check the headers with check_response()."
    handshake.check_response(response_headers, key)

    request_headers["X-Multi"] = "1"
    request_headers["X-Multi"] = "2"
    with pytest.raises(http.MultipleValuesError):
        request_headers["X-Multi"]

    async def read() -> tuple[str, Any]:
        stream = asyncio.StreamReader()
        stream.feed_data(f"GET /chat HTTP/1.1\r\n{request_headers}".encode())
        return await http.read_request(stream)  # type: ignore[no-any-return]

    path, headers = asyncio.run(read())
    assert path == "/chat"
    assert headers.get_all("X-Multi") == ["1", "2"]


def test_seed_003_framing_helpers() -> None:
    framing = import_deprecated("websockets.framing")

    assert framing.encode_data("é") == b"\xc3\xa9"
    assert framing.prepare_data(b"x") == (2, b"x")
    assert framing.parse_close(framing.serialize_close(1001, "bye")) == (1001, "bye")

    written: list[bytes] = []
    frame = framing.Frame(True, 1, b"hi")
    frame.write(written.append, mask=False)

    async def read() -> Any:
        stream = asyncio.StreamReader()
        stream.feed_data(written[0])
        return await framing.Frame.read(stream.readexactly, mask=False)

    assert asyncio.run(read()) == frame
    assert frame.fin and frame.opcode == 1 and frame.data == b"hi"

"""HTTP Basic Auth on the legacy server."""

from __future__ import annotations

import asyncio
import http

import pytest

from ws_asyncio.legacy.auth import (
    BasicAuthWebSocketServerProtocol,
    basic_auth_protocol_factory,
    is_credentials,
)
from ws_asyncio.legacy.client import connect
from ws_asyncio.legacy.exceptions import InvalidStatusCode
from ws_asyncio.legacy.server import HTTPResponse, WebSocketServerProtocol
from ws_http.datastructures import Headers

from .utils import async_test, get_uri, legacy_server


async def whoami(websocket: WebSocketServerProtocol) -> None:
    assert isinstance(websocket, BasicAuthWebSocketServerProtocol)
    await websocket.send(str(websocket.username))


def with_credentials(uri: str, user_info: str) -> str:
    return uri.replace("ws://", f"ws://{user_info}@")


@async_test
async def test_credentials_pair() -> None:
    factory = basic_auth_protocol_factory(
        realm="dev", credentials=("hello", "iloveyou")
    )
    async with legacy_server(whoami, create_protocol=factory) as server:
        uri = get_uri(server)
        async with connect(with_credentials(uri, "hello:iloveyou")) as websocket:
            assert await websocket.recv() == "hello"

        with pytest.raises(InvalidStatusCode) as raised:
            await connect(uri)
        assert raised.value.status_code == 401
        assert raised.value.headers["WWW-Authenticate"] == (
            'Basic realm="dev", charset="UTF-8"'
        )

        with pytest.raises(InvalidStatusCode) as raised:
            await connect(with_credentials(uri, "hello:wrong"))
        assert raised.value.status_code == 401

        with pytest.raises(InvalidStatusCode) as raised:
            await connect(with_credentials(uri, "nobody:iloveyou"))
        assert raised.value.status_code == 401


@async_test
async def test_list_of_credentials_and_non_ascii() -> None:
    factory = basic_auth_protocol_factory(
        credentials=[("alice", "wonder"), ("bob", "pässword")]
    )
    async with legacy_server(whoami, create_protocol=factory) as server:
        uri = get_uri(server)
        async with connect(with_credentials(uri, "alice:wonder")) as websocket:
            assert await websocket.recv() == "alice"
        async with connect(with_credentials(uri, "bob:p%C3%A4ssword")) as websocket:
            assert await websocket.recv() == "bob"


@async_test
async def test_check_credentials_coroutine() -> None:
    async def check(username: str, password: str) -> bool:
        await asyncio.sleep(0)
        return password == username[::-1]

    factory = basic_auth_protocol_factory(check_credentials=check)
    async with legacy_server(whoami, create_protocol=factory) as server:
        uri = get_uri(server)
        async with connect(with_credentials(uri, "abc:cba")) as websocket:
            assert await websocket.recv() == "abc"
        with pytest.raises(InvalidStatusCode):
            await connect(with_credentials(uri, "abc:abc"))


async def raw_status(uri: str, authorization: str) -> bytes:
    host, port = uri[len("ws://") :].rstrip("/").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\n\r\n".encode()
    )
    response = await reader.read()
    writer.close()
    return response


@async_test
async def test_unsupported_and_missing_credentials() -> None:
    factory = basic_auth_protocol_factory(credentials=("a", "b"))
    async with legacy_server(whoami, create_protocol=factory) as server:
        response = await raw_status(get_uri(server), "Bearer token")
        assert response.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
        assert response.endswith(b"Unsupported credentials\n")
        assert b'WWW-Authenticate: Basic realm="", charset="UTF-8"' in response


@async_test
async def test_missing_credentials_body() -> None:
    factory = basic_auth_protocol_factory(credentials=("a", "b"))
    async with legacy_server(whoami, create_protocol=factory) as server:
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        response = await reader.read()
        writer.close()
        assert response.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
        assert response.endswith(b"Missing credentials\n")


@async_test
async def test_subclass_and_health_check() -> None:
    class Protocol(BasicAuthWebSocketServerProtocol):
        async def check_credentials(self, username: str, password: str) -> bool:
            return username == "admin"

        async def process_request(
            self, path: str, request_headers: Headers
        ) -> HTTPResponse | None:
            if path == "/health":
                return http.HTTPStatus.OK, [], b"ok"
            return await super().process_request(path, request_headers)

    seen: list[str | None] = []

    async def process_request(path: str, headers: Headers) -> HTTPResponse | None:
        # Runs after authentication only.
        seen.append(headers["Authorization"])
        return None

    factory = basic_auth_protocol_factory(
        realm="r",
        check_credentials=lambda u, p: asyncio.sleep(0, False),
        create_protocol=Protocol,
    )
    async with legacy_server(
        whoami, create_protocol=factory, process_request=process_request
    ) as server:
        uri = get_uri(server)
        async with connect(with_credentials(uri, "admin:x")) as websocket:
            assert await websocket.recv() == "admin"
        with pytest.raises(InvalidStatusCode):
            await connect(with_credentials(uri, "guest:x"))
        assert seen == ["Basic YWRtaW46eA=="]
        host, port = list(server.sockets)[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /health HTTP/1.1\r\n\r\n")
        assert (await reader.read()).endswith(b"ok")
        writer.close()


@async_test
async def test_protocol_without_check_credentials_rejects_everyone() -> None:
    async with legacy_server(
        whoami, create_protocol=BasicAuthWebSocketServerProtocol
    ) as server:
        with pytest.raises(InvalidStatusCode):
            await connect(with_credentials(get_uri(server), "a:b"))


def test_factory_argument_errors() -> None:
    async def check(username: str, password: str) -> bool:
        return True  # pragma: no cover

    with pytest.raises(
        TypeError, match="provide either credentials or check_credentials"
    ):
        basic_auth_protocol_factory()
    with pytest.raises(TypeError, match="provide either"):
        basic_auth_protocol_factory(credentials=("a", "b"), check_credentials=check)
    with pytest.raises(TypeError, match="invalid credentials argument"):
        basic_auth_protocol_factory(credentials=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invalid credentials argument"):
        basic_auth_protocol_factory(credentials=[("a", "b"), ("c",)])  # type: ignore[list-item]


def test_is_credentials() -> None:
    assert is_credentials(("a", "b"))
    assert not is_credentials(("a", 1))
    assert not is_credentials("ab")
    assert not is_credentials(None)
    assert not is_credentials(("a", "b", "c"))


def test_realm_attribute() -> None:
    assert BasicAuthWebSocketServerProtocol.realm == ""
    assert BasicAuthWebSocketServerProtocol.username is None

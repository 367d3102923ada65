from __future__ import annotations

import os
import tempfile
import uuid

import pytest
from werkzeug.routing import Map, Rule

from ws_asyncio.client import connect, unix_connect
from ws_asyncio.router import Router, route, unix_route
from ws_asyncio.server import ServerConnection
from ws_frames.exceptions import InvalidStatus
from ws_http.http11 import Request, Response

from .utils import http_get, run, server_uri, tls_contexts


async def hello(connection: ServerConnection) -> None:
    await connection.send("hello")


async def channel(connection: ServerConnection, channel_id: uuid.UUID) -> None:
    await connection.send(f"channel {channel_id}")


def url_map() -> Map:
    return Map(
        [
            Rule("/", endpoint=hello),
            Rule("/channel/<uuid:channel_id>", endpoint=channel),
            Rule("/dir/", endpoint=hello),
            Rule("/old", redirect_to="/"),
        ]
    )


def test_route_dispatches_with_parameters() -> None:
    async def main() -> None:
        async with route(url_map(), "127.0.0.1", 0) as server:
            uri = server_uri(server)
            async with connect(uri + "/") as client:
                assert await client.recv() == "hello"
            channel_id = uuid.uuid4()
            async with connect(f"{uri}/channel/{channel_id}?q=1") as client:
                assert await client.recv() == f"channel {channel_id}"

    run(main())


def test_route_not_found_and_redirects() -> None:
    async def main() -> None:
        async with route(url_map(), "127.0.0.1", 0) as server:
            uri = server_uri(server)
            with pytest.raises(InvalidStatus) as raised:
                await connect(uri + "/nowhere")
            assert raised.value.response.status_code == 404
            # Redirects are followed by the client.
            async with connect(uri + "/dir") as client:
                assert client.request is not None
                assert client.request.path == "/dir/"
                assert await client.recv() == "hello"
            async with connect(uri + "/old") as client:
                assert await client.recv() == "hello"

    run(main())


def test_route_server_name_and_scheme() -> None:
    async def main() -> None:
        async with route(
            url_map(), "127.0.0.1", 0, server_name="example.com", ssl=True
        ) as server:
            status, headers, _ = await http_get(
                server_uri(server),
                "/dir",
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n",
            )
            assert status == 302
            assert "Location: wss://example.com/dir/" in headers

    run(main())


@pytest.mark.parametrize("asynchronous", [False, True])
def test_route_with_process_request(asynchronous: bool) -> None:
    def deny_secret(connection: ServerConnection, request: Request) -> Response | None:
        if request.path.startswith("/dir"):
            return connection.respond(403, "Forbidden\n")
        return None

    async def async_deny_secret(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        return deny_secret(connection, request)

    async def main() -> None:
        process_request = async_deny_secret if asynchronous else deny_secret
        async with route(
            url_map(), "127.0.0.1", 0, process_request=process_request
        ) as server:
            uri = server_uri(server)
            with pytest.raises(InvalidStatus) as raised:
                await connect(uri + "/dir/")
            assert raised.value.response.status_code == 403
            async with connect(uri + "/") as client:
                assert await client.recv() == "hello"

    run(main())


def test_custom_router_and_unix_route() -> None:
    class Custom(Router):
        def not_found(self, connection: ServerConnection) -> Response:
            return connection.respond(410, "Gone\n")

    async def main() -> None:
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "router.sock")
            async with unix_route(url_map(), path, create_router=Custom):
                async with unix_connect(path) as client:
                    assert await client.recv() == "hello"
                with pytest.raises(InvalidStatus) as raised:
                    await unix_connect(path, "ws://localhost/missing")
                assert raised.value.response.status_code == 410

    run(main())


def test_rules_are_marked_websocket() -> None:
    rules = url_map()
    Router(rules)
    assert all(rule.websocket for rule in rules.iter_rules())


def test_route_tls() -> None:
    async def main() -> None:
        server_context, client_context = tls_contexts()
        async with route(url_map(), "127.0.0.1", 0, ssl=server_context) as server:
            async with connect(
                server_uri(server, "wss") + "/", ssl=client_context
            ) as client:
                assert await client.recv() == "hello"

    run(main())

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from werkzeug.routing import Map, Rule

from ws_frames.exceptions import InvalidStatus
from ws_http.http11 import Request, Response
from ws_sync.client import connect, unix_connect
from ws_sync.router import Router, route, unix_route
from ws_sync.server import ServerConnection

from .servers import client_ssl_context, running, server_ssl_context, uri


def hello(connection: ServerConnection) -> None:
    connection.send("hello")


def channel(connection: ServerConnection, channel_id: uuid.UUID) -> None:
    connection.send(f"channel {channel_id}")


URL_MAP = Map(
    [
        Rule("/", endpoint=hello),
        Rule("/channel/<uuid:channel_id>", endpoint=channel),
        Rule("/dir/", endpoint=hello),
    ]
)


def test_route_to_handler() -> None:
    with running(route(URL_MAP, "127.0.0.1", 0)) as server:
        with connect(uri(server) + "/") as websocket:
            assert websocket.recv() == "hello"


def test_route_with_arguments_and_query() -> None:
    channel_id = uuid.uuid4()
    with running(route(URL_MAP, "127.0.0.1", 0)) as server:
        with connect(f"{uri(server)}/channel/{channel_id}?x=1") as websocket:
            assert websocket.recv() == f"channel {channel_id}"


def test_route_not_found() -> None:
    with running(route(URL_MAP, "127.0.0.1", 0)) as server:
        with pytest.raises(InvalidStatus) as raised:
            connect(uri(server) + "/missing")
        assert raised.value.response.status_code == 404


def test_route_redirect_is_followed() -> None:
    with running(route(URL_MAP, "127.0.0.1", 0)) as server:
        # The rule has a trailing slash; the client follows the redirect.
        with connect(uri(server) + "/dir") as websocket:
            assert websocket.recv() == "hello"
            assert websocket.request is not None
            assert websocket.request.path == "/dir/"


def test_route_redirect_uses_server_name_and_scheme() -> None:
    locations: list[str] = []

    class RecordingRouter(Router):
        def redirect(self, connection: ServerConnection, url: str) -> Response:
            locations.append(url)
            return super().redirect(connection, url)

    with running(
        route(
            URL_MAP,
            "127.0.0.1",
            0,
            server_name="localhost",
            ssl=True,
            create_router=RecordingRouter,
        )
    ) as server:
        # The redirect goes to port 443, where nothing listens.
        with pytest.raises(OSError):
            connect(uri(server) + "/dir", open_timeout=2, proxy=None)
    assert locations == ["wss://localhost/dir/"]


def test_route_process_request_runs_first() -> None:
    def process_request(connection: ServerConnection, request: Request) -> Any:
        if request.path == "/forbidden":
            return connection.respond(403, "Forbidden\n")
        return None

    url_map = Map([Rule("/", endpoint=hello), Rule("/forbidden", endpoint=hello)])
    with running(
        route(url_map, "127.0.0.1", 0, process_request=process_request)
    ) as server:
        with connect(uri(server) + "/") as websocket:
            assert websocket.recv() == "hello"
        with pytest.raises(InvalidStatus) as raised:
            connect(uri(server) + "/forbidden")
        assert raised.value.response.status_code == 403


def test_route_tls() -> None:
    with running(route(URL_MAP, "127.0.0.1", 0, ssl=server_ssl_context())) as server:
        with connect(uri(server, "wss") + "/", ssl=client_ssl_context()) as websocket:
            assert websocket.recv() == "hello"


def test_unix_route(tmp_path: Path) -> None:
    path = str(tmp_path / "router.sock")
    with running(unix_route(URL_MAP, path)):
        with unix_connect(path, "ws://localhost/") as websocket:
            assert websocket.recv() == "hello"

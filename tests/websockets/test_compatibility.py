"""
Names that websockets deprecated, which the building blocks don't have, live
on in the meta-package, with a warning where websockets has one.

"""

from __future__ import annotations

import subprocess
import sys

import pytest

import websockets.client
import websockets.headers
import websockets.http11
import websockets.server
from ws_frames.exceptions import InvalidHeader
from ws_http.client import ClientProtocol
from ws_http.datastructures import Headers
from ws_http.server import ServerProtocol
from ws_http.uri import parse_uri


def test_client_connection_is_a_deprecated_client_protocol() -> None:
    with pytest.warns(DeprecationWarning, match="ClientConnection was renamed"):
        client = websockets.client.ClientConnection(parse_uri("ws://example.com/"))
    assert isinstance(client, ClientProtocol)


def test_server_connection_is_a_deprecated_server_protocol() -> None:
    with pytest.warns(DeprecationWarning, match="ServerConnection was renamed"):
        server = websockets.server.ServerConnection(subprotocols=["chat"])
    assert isinstance(server, ServerProtocol)
    assert server.available_subprotocols == ["chat"]


def test_request_exception_is_deprecated() -> None:
    server = ServerProtocol()
    server.receive_data(b"GET / HTTP/1.1\r\n\r\n")
    [request] = server.events_received()
    assert isinstance(request, websockets.http11.Request)
    with pytest.warns(DeprecationWarning, match="use ServerProtocol.handshake_exc"):
        assert request.exception is None  # type: ignore[attr-defined]
    server.accept(request)
    assert isinstance(server.handshake_exc, InvalidHeader)
    with pytest.warns(DeprecationWarning, match=r"^Request\.exception is deprecated"):
        assert request.exception is server.handshake_exc  # type: ignore[attr-defined]


def test_response_exception_is_deprecated() -> None:
    client = ClientProtocol(parse_uri("ws://example.com/"))
    client.receive_data(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    [response] = client.events_received()
    assert isinstance(response, websockets.http11.Response)
    with pytest.warns(DeprecationWarning, match="use ClientProtocol.handshake_exc"):
        assert response.exception is client.handshake_exc  # type: ignore[attr-defined]


def test_request_exception_is_documented() -> None:
    doc = websockets.http11.Request.exception.__doc__  # type: ignore[attr-defined]
    assert doc is not None and "handshake_exc" in doc


def python(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_building_blocks_have_no_deprecated_members() -> None:
    code = (
        "from ws_http.http11 import Request, Response; "
        "print(hasattr(Request, 'exception'), hasattr(Response, 'exception'))"
    )
    assert python(code) == "False False"


@pytest.mark.parametrize(
    "module",
    ["websockets.asyncio.server", "websockets.sync.server", "websockets.server"],
)
def test_requests_of_the_api_have_the_deprecated_member(module: str) -> None:
    code = (
        f"import {module}; from ws_http.http11 import Request; "
        "print(hasattr(Request, 'exception'))"
    )
    assert python(code) == "True"


@pytest.mark.parametrize(
    "old, new",
    [
        ("build_extension_list", "build_extension"),
        ("build_subprotocol_list", "build_subprotocol"),
        ("parse_extension_list", "parse_extension"),
        ("parse_subprotocol_list", "parse_subprotocol"),
    ],
)
def test_former_names_of_list_headers(old: str, new: str) -> None:
    assert getattr(websockets.headers, old) is getattr(websockets.headers, new)


def test_former_names_of_list_headers_work() -> None:
    headers = Headers({"Sec-WebSocket-Protocol": "chat, superchat"})
    value = headers["Sec-WebSocket-Protocol"]
    assert websockets.headers.parse_subprotocol_list(value) == ["chat", "superchat"]

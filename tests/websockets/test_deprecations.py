"""
Deprecated import paths keep working and warn, pointing to the new name;
the current API never warns.

"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


# module, name, what the warning points to
DEPRECATED_ALIASES = [
    ("websockets", "AbortHandshake", "process_request"),
    ("websockets", "BasicAuthWebSocketServerProtocol", "websockets.asyncio.server.basic_auth"),
    ("websockets", "InvalidStatusCode", "websockets.exceptions.InvalidStatus"),
    ("websockets", "RedirectHandshake", "redirect"),
    ("websockets", "WebSocketClientProtocol", "websockets.asyncio.client.ClientConnection"),
    ("websockets", "WebSocketCommonProtocol", "websockets.asyncio.connection.Connection"),
    ("websockets", "WebSocketProtocolError", "websockets.exceptions.ProtocolError"),
    ("websockets", "WebSocketServer", "websockets.asyncio.server.Server"),
    ("websockets", "WebSocketServerProtocol", "websockets.asyncio.server.ServerConnection"),
    ("websockets", "basic_auth_protocol_factory", "websockets.asyncio.server.basic_auth"),
    ("websockets.client", "connect", "websockets.asyncio.client.connect"),
    ("websockets.client", "unix_connect", "websockets.asyncio.client.unix_connect"),
    ("websockets.client", "WebSocketClientProtocol", "websockets.asyncio.client.ClientConnection"),
    ("websockets.server", "serve", "websockets.asyncio.server.serve"),
    ("websockets.server", "unix_serve", "websockets.asyncio.server.unix_serve"),
    ("websockets.server", "broadcast", "websockets.asyncio.server.broadcast"),
    ("websockets.server", "WebSocketServer", "websockets.asyncio.server.Server"),
    ("websockets.server", "WebSocketServerProtocol", "websockets.asyncio.server.ServerConnection"),
    ("websockets.exceptions", "InvalidStatusCode", "websockets.exceptions.InvalidStatus"),
    ("websockets.protocol", "WebSocketCommonProtocol", "websockets.asyncio.connection.Connection"),
    ("websockets.sync.server", "WebSocketServer", "websockets.sync.server.Server"),
]  # fmt: skip

DEPRECATED_MODULES = [
    "websockets.auth",
    "websockets.connection",
    "websockets.framing",
    "websockets.handshake",
    "websockets.http",
    "websockets.legacy",
    "websockets.legacy.client",
    "websockets.legacy.server",
    "websockets.legacy.protocol",
    "websockets.legacy.auth",
    "websockets.legacy.exceptions",
    "websockets.legacy.framing",
    "websockets.legacy.handshake",
    "websockets.legacy.http",
]

CURRENT_MODULES = [
    "websockets",
    "websockets.asyncio.client",
    "websockets.asyncio.server",
    "websockets.asyncio.connection",
    "websockets.asyncio.router",
    "websockets.sync.client",
    "websockets.sync.server",
    "websockets.sync.connection",
    "websockets.sync.router",
    "websockets.client",
    "websockets.server",
    "websockets.protocol",
    "websockets.frames",
    "websockets.http11",
    "websockets.headers",
    "websockets.datastructures",
    "websockets.exceptions",
    "websockets.uri",
    "websockets.typing",
    "websockets.extensions.permessage_deflate",
    "websockets.streams",
    "websockets.utils",
    "websockets.cli",
    "websockets.version",
]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("module", "name", "replacement"), DEPRECATED_ALIASES)
def test_deprecated_alias_warns_and_works(
    module: str, name: str, replacement: str
) -> None:
    namespace = importlib.import_module(module)
    with pytest.warns(DeprecationWarning) as record:
        value = getattr(namespace, name)
    [message] = [
        str(warning.message)
        for warning in record
        if f"{module}.{name} is deprecated" in str(warning.message)
    ]
    assert replacement in message
    assert value is not None


@pytest.mark.parametrize("module", DEPRECATED_MODULES)
def test_deprecated_module_warns_on_import(module: str) -> None:
    proc = run_python(f"import {module}")
    assert proc.returncode != 0
    assert "DeprecationWarning" in proc.stderr
    # And it still works when the warning isn't an error.
    subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", f"import {module}"],
        check=True,
        timeout=60,
    )


def test_current_api_never_warns() -> None:
    imports = "; ".join(f"import {module}" for module in CURRENT_MODULES)
    names = "; ".join(
        "[getattr(websockets, name) for name in websockets.__all__]".split(";")
    )
    proc = run_python(f"{imports}; {names}")
    assert proc.returncode == 0, proc.stderr

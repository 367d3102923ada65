"""A page served by our own server, loaded by chromium, opening a WebSocket back to it.

The server answers the plain HTTP request for the page through
``process_request``, accepts the browser's Origin with a pattern in
``origins``, negotiates a subprotocol and talks with the page's script.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
import threading
from http import HTTPStatus
from typing import Any

import pytest

from tests.interop import browser, ours
from tests.interop.registry import unavailable


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>served by our server</title></head>
<body><script>
const ws = new WebSocket(`ws://${location.host}/socket`, ["superchat", "chat"]);
ws.binaryType = "arraybuffer";
ws.onopen = () => ws.send(`hello from ${location.origin} via ${ws.protocol} 😀`);
ws.onmessage = (event) => {
  if (typeof event.data !== "string") ws.send(event.data);
  else if (event.data === "please close") ws.close(4000, "done ✓");
  else ws.send(`unexpected ${event.data}`);
};
</script></body></html>
"""
BINARY = bytes(range(256)) * 300
TIMEOUT = 60.0


def page_response(connection: Any, request: Any) -> Any:
    if request.path == "/socket":
        return None
    if request.path != "/page":
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
    response = connection.respond(HTTPStatus.OK, PAGE)
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


def server_kwargs() -> dict[str, Any]:
    return {
        "origins": [re.compile(r"http://127\.0\.0\.1:\d+")],
        "subprotocols": ["chat"],
        "process_request": page_response,
    }


def received_close(exc: Any) -> tuple[int, str]:
    return exc.rcvd.code, exc.rcvd.reason


def talk_asyncio(events: list[Any]) -> Any:
    closed_exc = ours.connection_closed()

    async def handler(ws: Any) -> None:
        events.append(("origin", ws.request.headers["Origin"]))
        events.append(("greeting", await ws.recv()))
        await ws.send(BINARY)
        events.append(("echo ok", await ws.recv() == BINARY))
        pong = await ws.ping(b"from the server")
        await asyncio.wait_for(pong, TIMEOUT)
        events.append(("pong", True))
        await ws.send("please close")
        try:
            await ws.recv()
        except closed_exc as exc:
            events.append(("closed", *received_close(exc)))

    return handler


def talk_sync(events: list[Any]) -> Any:
    closed_exc = ours.connection_closed()

    def handler(ws: Any) -> None:
        events.append(("origin", ws.request.headers["Origin"]))
        events.append(("greeting", ws.recv(timeout=TIMEOUT)))
        ws.send(BINARY)
        events.append(("echo ok", ws.recv(timeout=TIMEOUT) == BINARY))
        events.append(("pong", ws.ping(b"from the server").wait(TIMEOUT)))
        ws.send("please close")
        try:
            ws.recv(timeout=TIMEOUT)
        except closed_exc as exc:
            events.append(("closed", *received_close(exc)))

    return handler


def load_page(url: str, done: threading.Event) -> str:
    """Runs chromium on ``url`` until ``done``; returns its output."""
    # Chromium's helper processes may still write to the profile while it's
    # being removed: leftovers in /tmp are no reason to fail a test.
    with tempfile.TemporaryDirectory(
        prefix="interop-page-", ignore_cleanup_errors=True
    ) as profile:
        with open(os.path.join(profile, "chromium.log"), "w+b") as log:
            process = subprocess.Popen(
                [browser.CHROMIUM, *browser.FLAGS, f"--user-data-dir={profile}", url],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                done.wait(TIMEOUT)
            finally:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.seek(0)
            return log.read().decode(errors="replace")[-3000:]


def expected_events(port: int) -> list[Any]:
    origin = f"http://127.0.0.1:{port}"
    return [
        ("origin", origin),
        ("greeting", f"hello from {origin} via chat 😀"),
        ("echo ok", True),
        ("pong", True),
        ("closed", 4000, "done ✓"),
    ]


def require_chromium() -> None:
    if not os.path.exists(browser.CHROMIUM):
        unavailable(f"{browser.CHROMIUM} is missing (apt-get install chromium)")


def load_layer(module: str) -> Any:
    try:
        return ours.load(module, "serve")
    except ours.LayerMissing as exc:
        pytest.skip(f"our server is not available: {exc}")


def test_asyncio_server_serves_page_to_chromium() -> None:
    server_module = load_layer("ws_asyncio.server")
    require_chromium()
    events: list[Any] = []
    done = threading.Event()
    handler = talk_asyncio(events)

    async def run(port_ready: threading.Event, ports: list[int]) -> None:
        async def handle(ws: Any) -> None:
            try:
                await handler(ws)
            finally:
                done.set()

        async with server_module.serve(
            handle, "127.0.0.1", 0, **server_kwargs()
        ) as server:
            ports.append(server.sockets[0].getsockname()[1])
            port_ready.set()
            while not done.is_set():
                await asyncio.sleep(0.05)

    port_ready, ports = threading.Event(), list[int]()
    thread = threading.Thread(target=asyncio.run, args=(run(port_ready, ports),))
    thread.start()
    try:
        assert port_ready.wait(TIMEOUT)
        output = load_page(f"http://127.0.0.1:{ports[0]}/page", done)
    finally:
        done.set()
        thread.join(TIMEOUT)
    assert events == expected_events(ports[0]), f"server saw {events}\n{output}"


def test_sync_server_serves_page_to_chromium() -> None:
    server_module = load_layer("ws_sync.server")
    require_chromium()
    events: list[Any] = []
    done = threading.Event()
    handler = talk_sync(events)

    def handle(ws: Any) -> None:
        try:
            handler(ws)
        finally:
            done.set()

    with server_module.serve(handle, "127.0.0.1", 0, **server_kwargs()) as server:
        port = server.socket.getsockname()[1]
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            output = load_page(f"http://127.0.0.1:{port}/page", done)
        finally:
            server.shutdown()
            thread.join(TIMEOUT)
    assert events == expected_events(port), f"server saw {events}\n{output}"

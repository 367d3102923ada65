"""
A small program written against the documented API type-checks with
``mypy --strict``: type checkers see every name through the meta-package.

"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


PROGRAM = textwrap.dedent(
    """
    from __future__ import annotations

    import asyncio
    import http

    import websockets
    from websockets.asyncio.client import ClientConnection, connect
    from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
    from websockets.datastructures import Headers
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.frames import CloseCode
    from websockets.http11 import Request, Response
    from websockets.sync.client import connect as sync_connect


    async def handler(websocket: ServerConnection) -> None:
        async for message in websocket:
            await websocket.send(message)


    def health(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(http.HTTPStatus.OK, "OK\\n")
        return None


    async def main() -> None:
        server: Server
        async with serve(handler, "127.0.0.1", 0, process_request=health) as server:
            port = server.sockets[0].getsockname()[1]
            websocket: ClientConnection
            async with connect(f"ws://127.0.0.1:{port}") as websocket:
                await websocket.send("Hello")
                reply: str | bytes = await websocket.recv()
                text: str = await websocket.recv(decode=True)
                latency: float = await (await websocket.ping())
                broadcast(server.connections, "news")
                print(reply, text, latency)
                await websocket.close(CloseCode.NORMAL_CLOSURE, "bye")
            try:
                async with connect(f"ws://127.0.0.1:{port}/missing"):
                    pass
            except InvalidStatus as exc:
                status: int = exc.response.status_code
                headers: Headers = exc.response.headers
                print(status, headers)
            except ConnectionClosed as exc:
                print(exc.code, exc.reason)


    def sync_main(port: int) -> None:
        with sync_connect(f"ws://127.0.0.1:{port}") as websocket:
            websocket.send(b"Hello")
            data: str | bytes = websocket.recv(timeout=1.0)
            print(data)


    closed: type[websockets.ConnectionClosed] = websockets.ConnectionClosedOK
    asyncio.run(main())
    """
)


@pytest.mark.timeout(300)
def test_user_program_type_checks(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    proc = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--strict", "--no-incremental",
            "--cache-dir", str(tmp_path / "cache"), str(program),
        ],
        capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr

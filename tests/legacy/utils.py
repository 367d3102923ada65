"""Helpers for the tests of the legacy asyncio API."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, ParamSpec

from ws_asyncio.legacy.handshake import build_response, check_request
from ws_asyncio.legacy.http import read_request
from ws_asyncio.legacy.server import WebSocketServer, WebSocketServerProtocol, serve
from ws_http.datastructures import Headers


# Upper bound for a whole test; loopback operations take milliseconds.
TEST_TIMEOUT = 10


P = ParamSpec("P")


def async_test(
    func: Callable[P, Coroutine[Any, Any, None]],
) -> Callable[P, None]:
    """Run a coroutine function as a synchronous test, with a time limit."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(asyncio.wait_for(func(*args, **kwargs), TEST_TIMEOUT))

    return wrapper


async def until(condition: Callable[[], bool], timeout: float = 2) -> None:
    """Wait until ``condition()`` is true; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.001)


async def echo(websocket: WebSocketServerProtocol) -> None:
    async for message in websocket:
        await websocket.send(message)


def get_uri(server: WebSocketServer, path: str = "/") -> str:
    host, port = list(server.sockets)[0].getsockname()[:2]
    return f"ws://{host}:{port}{path}"


@contextlib.asynccontextmanager
async def legacy_server(
    handler: Callable[[WebSocketServerProtocol], Awaitable[Any]] = echo,
    **kwargs: Any,
) -> AsyncIterator[WebSocketServer]:
    """Run a legacy server on a random loopback port."""
    kwargs.setdefault("close_timeout", 1)
    async with serve(handler, "127.0.0.1", 0, **kwargs) as server:
        yield server


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[str]:
    """Run a plain TCP server; yield its ws:// URI."""
    tasks: set[asyncio.Task[None]] = set()

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except asyncio.CancelledError:
            # Cancelled on purpose when the server shuts down.
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(run, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"ws://{host}:{port}/"
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await server.wait_closed()


async def accept_handshake(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Perform the server side of the opening handshake by hand."""
    _path, request_headers = await read_request(reader)
    key = check_request(request_headers)
    response_headers = Headers()
    build_response(response_headers, key)
    writer.write(f"HTTP/1.1 101 Switching Protocols\r\n{response_headers}".encode())
    await writer.drain()

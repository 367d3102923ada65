"""
Adapter for aiohttp: its web server with a WebSocket route, and the
WebSocket client of its ``ClientSession``.

Options are aiohttp's defaults except the message size limit, compression
(which every workload sets) and the access log, which is off: applications
that care about speed turn it off. The session's connector has no connection
limit, so that the idle-memory workload can hold a thousand connections.
aiohttp has no threading API and no sans-I/O protocol: those workloads are
not available.

"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import aiohttp
from _harness import Channel, ClientRun, CoroutineClient, Listening, ServerStats
from _workloads import MAX_MESSAGE, Workload, binary_payload
from aiohttp import WSMsgType, web


class Adapter:
    def describe(self) -> dict[str, str]:
        return {"version": importlib.metadata.version("aiohttp")}

    async def serve(self, workload: Workload, stats: ServerStats) -> Listening:
        handler = HANDLERS[workload.kind](workload, stats)
        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return Listening(port, runner.cleanup)

    def client(self, workload: Workload, port: int) -> ClientRun:
        return SessionClient(workload, f"http://127.0.0.1:{port}/")


class SessionClient(CoroutineClient):
    """The coroutine flows over the connections of one session."""

    def __init__(self, workload: Workload, uri: str) -> None:
        super().__init__(workload, self.dial)
        self.uri = uri
        self.compress = 15 if workload.deflate else 0
        self.session: aiohttp.ClientSession | None = None

    async def dial(self) -> Channel:
        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0)
            )
        ws = await self.session.ws_connect(
            self.uri, compress=self.compress, max_msg_size=MAX_MESSAGE
        )
        return Channel(
            ws.send_str,
            ws.send_bytes,
            ws.receive_str,
            ws.receive_bytes,
            ws.close,
            lambda: ws.close_code == 1000,
        )

    async def finish(self) -> None:
        await super().finish()
        if self.session is not None:
            await self.session.close()
            self.session = None


def response(workload: Workload) -> web.WebSocketResponse:
    return web.WebSocketResponse(compress=workload.deflate, max_msg_size=MAX_MESSAGE)


def echo_handler(workload: Workload, stats: ServerStats) -> Any:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = response(workload)
        await ws.prepare(request)
        stats.live += 1
        stats.opened += 1
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await ws.send_str(message.data)
                elif message.type is WSMsgType.BINARY:
                    await ws.send_bytes(message.data)
        finally:
            stats.live -= 1
        return ws

    return handler


def feed_handler(workload: Workload, stats: ServerStats) -> Any:
    payload = binary_payload(workload.size)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = response(workload)
        await ws.prepare(request)
        stats.opened += 1
        async for message in ws:
            for _ in range(int(message.data)):
                await ws.send_bytes(payload)
        return ws

    return handler


def sink_handler(workload: Workload, stats: ServerStats) -> Any:
    expected = binary_payload(workload.size)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = response(workload)
        await ws.prepare(request)
        stats.opened += 1
        count = 0
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await ws.send_str(str(count))
                count = 0
            elif message.data == expected:
                count += 1
            else:
                stats.fail("the server received a corrupted message")
        return ws

    return handler


HANDLERS = {
    "echo": echo_handler,
    "open-close": echo_handler,
    "idle": echo_handler,
    "feed": feed_handler,
    "sink": sink_handler,
}

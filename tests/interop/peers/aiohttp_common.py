"""The aiohttp side of the plan language, for aiohttp_client.py and aiohttp_server.py.

Runs in the peers' own virtual environment, never importing this project's packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp  # type: ignore[import-not-found, unused-ignore]

from tests.interop.plan import Closed, Message, Received, Unsupported


COMPRESS_BITS = {"off": 0, "default": 15, "tuned": 10}


class AiohttpConn:
    """Adapts an aiohttp WebSocket (client or server side, autoping off)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        # Frames that arrived while waiting for a pong, for the next recv().
        self.pending: list[Any] = []

    async def send(self, data: str | bytes, binary: bool) -> None:
        if binary:
            await self.ws.send_bytes(data)
        elif isinstance(data, bytes):
            await self.ws.send_str(data.decode())
        else:
            await self.ws.send_str(data)

    async def next_frame(self) -> Any:
        # autoping is off so that pongs are visible; answer pings here.
        while True:
            msg = await self.ws.receive()
            if msg.type == aiohttp.WSMsgType.PING:
                await self.ws.pong(msg.data)
                continue
            return msg

    async def recv(self) -> Received:
        while True:
            msg = self.pending.pop(0) if self.pending else await self.next_frame()
            if msg.type == aiohttp.WSMsgType.TEXT:
                return Message(False, msg.data)
            if msg.type == aiohttp.WSMsgType.BINARY:
                return Message(True, msg.data)
            if msg.type == aiohttp.WSMsgType.PONG:
                continue
            return await self.closed(msg)

    async def closed(self, msg: Any) -> Closed:
        if msg.type == aiohttp.WSMsgType.CLOSE:
            code, reason = msg.data, msg.extra or ""
            # Answer the closing handshake now; aiohttp would otherwise do it
            # on the next receive().
            await self.ws.close()
            return Closed(code, reason)
        if msg.type == aiohttp.WSMsgType.ERROR:
            await self.ws.close()
            return Closed(self.ws.close_code, f"error: {msg.data}")
        return Closed(self.ws.close_code, "")

    async def ping(self, text: str) -> str:
        await self.ws.ping(text.encode())
        while True:
            msg = await self.next_frame()
            if msg.type == aiohttp.WSMsgType.PONG:
                pong: bytes = msg.data
                return pong.decode()
            self.pending.append(msg)
            if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                raise RuntimeError(f"expected a pong, got {msg.type!r}")

    async def send_fragments(
        self, binary: bool, chunks: Sequence[bytes], ping: str | None
    ) -> str | None:
        raise Unsupported("aiohttp cannot send a fragmented message")

    async def close(self, code: int, reason: str) -> Closed:
        await self.ws.close(code=code, message=reason.encode())
        received_code: int | None = self.ws.close_code
        return Closed(received_code, "")

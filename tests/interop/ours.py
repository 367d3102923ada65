"""This project's sides of the plan language: asyncio and threading, client and server.

The layers are imported when a check runs, so that a missing layer skips the
checks that need it with the reason instead of breaking the collection.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from tests.interop.plan import (
    Closed,
    Event,
    Message,
    Received,
    Step,
    run_plan,
    run_sync_plan,
)


# How long a blocking call of ours may wait for the peer before the check gives up.
WAIT = 30.0


class LayerMissing(Exception):
    """One of this project's layers can't be imported (yet)."""


def load(module: str, *names: str) -> Any:
    """Imports ``module`` and checks that it provides ``names``."""
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        raise LayerMissing(f"{module} cannot be imported: {exc}") from exc
    missing = [name for name in names if not hasattr(loaded, name)]
    if missing:
        raise LayerMissing(f"{module} does not provide {', '.join(missing)}")
    return loaded


def handshake_kwargs(config: dict[str, Any], client: bool) -> dict[str, Any]:
    """Translates a side's configuration into connect() or serve() arguments."""
    kwargs: dict[str, Any] = {"subprotocols": config.get("subprotocols") or None}
    if config.get("max_size") is not None:
        kwargs["max_size"] = config["max_size"]
    compression = config["compression"]
    if compression == "off":
        kwargs["compression"] = None
    elif compression == "default":
        kwargs["compression"] = "deflate"
    elif compression == "tuned":
        deflate = load(
            "ws_deflate.permessage_deflate",
            "ClientPerMessageDeflateFactory",
            "ServerPerMessageDeflateFactory",
        )
        factory = (
            deflate.ClientPerMessageDeflateFactory
            if client
            else deflate.ServerPerMessageDeflateFactory
        )
        kwargs["compression"] = None
        kwargs["extensions"] = [
            factory(
                server_no_context_takeover=True,
                client_no_context_takeover=True,
                server_max_window_bits=10,
                client_max_window_bits=10,
            )
        ]
    else:
        raise ValueError(f"unknown compression {compression}")
    return kwargs


def connection_closed() -> type[Exception]:
    exceptions = load("ws_frames.exceptions", "ConnectionClosed")
    cls: type[Exception] = exceptions.ConnectionClosed
    return cls


def closed_from(exc: Any) -> Closed:
    rcvd, sent = exc.rcvd, exc.sent
    return Closed(
        None if rcvd is None else rcvd.code,
        "" if rcvd is None else rcvd.reason,
        None if sent is None else sent.code,
    )


def open_event(ws: Any) -> Event:
    response = ws.response
    extensions = (
        None if response is None else response.headers.get("Sec-WebSocket-Extensions")
    )
    return {"event": "open", "subprotocol": ws.subprotocol, "extensions": extensions}


class AsyncioConn:
    """Adapts a ws_asyncio connection."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.closed_exc = connection_closed()

    async def send(self, data: str | bytes, binary: bool) -> None:
        try:
            await self.ws.send(data, text=not binary)
        except self.closed_exc:
            # The peer may close while a large message is still being written,
            # e.g. because it's over its size limit; the next step sees it.
            pass

    async def recv(self) -> Received:
        try:
            data = await asyncio.wait_for(self.ws.recv(), WAIT)
        except self.closed_exc as exc:
            return closed_from(exc)
        return Message(isinstance(data, bytes), data)

    async def ping(self, text: str) -> str:
        pong = await self.ws.ping(text.encode())
        await asyncio.wait_for(pong, WAIT)
        return text

    async def send_fragments(
        self, binary: bool, chunks: Sequence[bytes], ping: str | None
    ) -> str | None:
        pongs: list[Any] = []

        async def fragments() -> AsyncIterator[bytes]:
            for index, chunk in enumerate(chunks):
                yield chunk
                if index == 0 and ping is not None:
                    # Between two fragments of the same message.
                    pongs.append(await self.ws.ping(ping.encode()))

        await self.ws.send(fragments(), text=not binary)
        if ping is None:
            return None
        await asyncio.wait_for(pongs[0], WAIT)
        return ping

    async def close(self, code: int, reason: str) -> Closed:
        await self.ws.close(code, reason)
        return Closed(self.ws.close_code, self.ws.close_reason or "", code)


class SyncConn:
    """Adapts a ws_sync connection; its methods block."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.closed_exc = connection_closed()

    def send(self, data: str | bytes, binary: bool) -> None:
        try:
            self.ws.send(data, text=not binary)
        except self.closed_exc:
            # The peer may close while a large message is still being written,
            # e.g. because it's over its size limit; the next step sees it.
            pass

    def recv(self) -> Received:
        try:
            data = self.ws.recv(timeout=WAIT)
        except self.closed_exc as exc:
            return closed_from(exc)
        return Message(isinstance(data, bytes), data)

    def ping(self, text: str) -> str:
        if not self.ws.ping(text.encode()).wait(WAIT):
            raise TimeoutError("no pong")
        return text

    def send_fragments(
        self, binary: bool, chunks: Sequence[bytes], ping: str | None
    ) -> str | None:
        pongs: list[threading.Event] = []

        def fragments() -> Iterator[bytes]:
            for index, chunk in enumerate(chunks):
                yield chunk
                if index == 0 and ping is not None:
                    # Between two fragments of the same message.
                    pongs.append(self.ws.ping(ping.encode()))

        self.ws.send(fragments(), text=not binary)
        if ping is None:
            return None
        if not pongs[0].wait(WAIT):
            raise TimeoutError("no pong")
        return ping

    def close(self, code: int, reason: str) -> Closed:
        self.ws.close(code, reason)
        return Closed(self.ws.close_code, self.ws.close_reason or "", code)


def record_errors(events: list[Event], run: Callable[[], None]) -> None:
    try:
        run()
    except Exception as exc:
        events.append({"event": "error", "message": repr(exc)})


async def run_asyncio_plan(ws: Any, plan: Sequence[Step], events: list[Event]) -> None:
    events.append(open_event(ws))
    try:
        await run_plan(AsyncioConn(ws), plan, events.append)
    except Exception as exc:
        events.append({"event": "error", "message": repr(exc)})


def run_threading_plan(ws: Any, plan: Sequence[Step], events: list[Event]) -> None:
    events.append(open_event(ws))
    record_errors(events, lambda: run_sync_plan(SyncConn(ws), plan, events.append))

"""The plan language that every interop peer runs, in Python.

A plan is a list of steps run in order on one open WebSocket connection. Each
step reports what it saw as a JSON-serialisable event. ``peers/plan_core.mjs``
implements the same language, payload generators and digests for Node and the
browser, so that what two different implementations saw can be compared byte
for byte.

This module uses the standard library only: the Python peers import it from
their own virtual environment, where none of this project's packages exist.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol, Union


__all__ = [
    "AsyncConn",
    "Closed",
    "Event",
    "Message",
    "Unsupported",
    "digest",
    "emit_json",
    "message_event",
    "payload",
    "run_plan",
]

Event = dict[str, Any]
Step = dict[str, Any]

UNICODE_CYCLE = "aé€😀𝄞ß中🎉"


class Unsupported(Exception):
    """Raised by a connection adapter for what its implementation cannot do."""


@dataclasses.dataclass
class Message:
    """A received message; ``data`` is kept as received so that it can be echoed."""

    binary: bool
    data: str | bytes


@dataclasses.dataclass
class Closed:
    """The end of a connection: the close code and reason received, if any."""

    code: int | None
    reason: str
    sent_code: int | None = None


Received = Union[Message, Closed]


class AsyncConn(Protocol):
    """What an implementation provides to run plans."""

    async def send(self, data: str | bytes, binary: bool) -> None: ...

    async def recv(self) -> Received: ...

    async def ping(self, text: str) -> str: ...

    async def send_fragments(
        self, binary: bool, chunks: Sequence[bytes], ping: str | None
    ) -> str | None: ...

    async def close(self, code: int, reason: str) -> Closed: ...


def payload(spec: dict[str, Any]) -> str | bytes:
    """Builds the message described by ``spec``: text is a str, binary is bytes."""
    size: int = spec.get("size", 0)
    gen = spec["gen"]
    if gen == "ascii":
        return "".join(chr(32 + (i * 7) % 95) for i in range(size))
    if gen == "unicode":
        return "".join(UNICODE_CYCLE[i % len(UNICODE_CYCLE)] for i in range(size))
    if gen == "bytes":
        pattern = bytes((i * 31 + 7) % 251 for i in range(251))
        return (pattern * (size // 251 + 1))[:size]
    if gen == "noise":
        out = bytearray(size)
        x = 2463534242
        for i in range(size):
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            out[i] = x & 255
        return bytes(out)
    if gen == "literal":
        text: str = spec["text"]
        return text
    raise ValueError(f"unknown payload generator {gen}")


def to_bytes(data: str | bytes) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


def digest(data: bytes) -> str:
    """The short digest that every peer reports for a message."""
    return hashlib.sha256(data).hexdigest()[:16]


def message_event(binary: bool, data: str | bytes) -> Event:
    raw = to_bytes(data)
    return {
        "event": "message",
        "type": "binary" if binary else "text",
        "len": len(raw),
        "sha": digest(raw),
    }


def close_event(closed: Closed) -> Event:
    event: Event = {"event": "close", "code": closed.code, "reason": closed.reason}
    if closed.sent_code is not None:
        event["sent_code"] = closed.sent_code
    return event


def emit_json(event: Event) -> None:
    """Prints an event as one JSON line, for the peers that run as processes."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def run_plan(
    conn: AsyncConn, steps: Sequence[Step], emit: Callable[[Event], None]
) -> None:
    """Runs ``steps`` on ``conn``, reporting each observation through ``emit``."""
    for step in steps:
        op = step["op"]
        if op == "send":
            data = payload(step["payload"])
            await conn.send(data, isinstance(data, bytes))
        elif op == "recv":
            received = await conn.recv()
            if isinstance(received, Closed):
                emit(close_event(received))
                return
            emit(message_event(received.binary, received.data))
        elif op == "echo":
            for _ in range(step["count"]):
                received = await conn.recv()
                if isinstance(received, Closed):
                    emit(close_event(received))
                    return
                if step.get("log"):
                    emit(message_event(received.binary, received.data))
                await conn.send(received.data, received.binary)
            emit({"event": "echoed", "count": step["count"]})
        elif op == "burst":
            ok, detail = True, ""
            count, window = step["count"], step["window"]
            for start in range(0, count, window):
                end = min(count, start + window)
                for i in range(start, end):
                    await conn.send(f"message {i}", False)
                for i in range(start, end):
                    received = await conn.recv()
                    if isinstance(received, Closed):
                        emit(close_event(received))
                        return
                    text = to_bytes(received.data).decode(errors="replace")
                    if received.binary or text != f"message {i}":
                        ok = False
                        kind = "binary" if received.binary else "text"
                        detail = f"expected message {i}, got {kind} {text[:40]!r}"
                        break
                if not ok:
                    break
            emit({"event": "burst", "count": count, "ok": ok, "detail": detail})
        elif op == "fragments":
            chunks = [bytes.fromhex(chunk) for chunk in step["chunks"]]
            pong = await conn.send_fragments(
                step["kind"] == "binary", chunks, step.get("ping")
            )
            if step.get("ping"):
                emit({"event": "pong", "data": pong})
        elif op == "ping":
            emit({"event": "pong", "data": await conn.ping(step["data"])})
        elif op == "close":
            emit(close_event(await conn.close(step["code"], step["reason"])))
            return
        elif op == "wait_close":
            while True:
                received = await conn.recv()
                if isinstance(received, Closed):
                    emit(close_event(received))
                    return
                emit(message_event(received.binary, received.data))
        else:
            raise ValueError(f"unknown step {op}")


def parse_close_payload(data: bytes) -> Closed:
    """Decodes the payload of a close frame (RFC 6455, section 5.5.1)."""
    if len(data) < 2:
        return Closed(1005, "")
    return Closed(int.from_bytes(data[:2], "big"), data[2:].decode(errors="replace"))


def run_sync_plan(
    conn: Any, steps: Sequence[Step], emit: Callable[[Event], None]
) -> None:
    """Runs a plan on a blocking adapter, calling it from worker threads."""
    asyncio.run(run_plan(ThreadedConn(conn), steps, emit))


class ThreadedConn:
    """Presents a blocking adapter (same methods, not coroutines) as an AsyncConn."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def send(self, data: str | bytes, binary: bool) -> None:
        await asyncio.to_thread(self.conn.send, data, binary)

    async def recv(self) -> Received:
        received: Received = await asyncio.to_thread(self.conn.recv)
        return received

    async def ping(self, text: str) -> str:
        pong: str = await asyncio.to_thread(self.conn.ping, text)
        return pong

    async def send_fragments(
        self, binary: bool, chunks: Sequence[bytes], ping: str | None
    ) -> str | None:
        pong: str | None = await asyncio.to_thread(
            self.conn.send_fragments, binary, chunks, ping
        )
        return pong

    async def close(self, code: int, reason: str) -> Closed:
        closed: Closed = await asyncio.to_thread(self.conn.close, code, reason)
        return closed

"""The clients that visit uvicorn: our asyncio client, Node's ``ws``, and a
raw socket for the opening handshake alone.

A test describes a visit once (``Visit``); each client carries it out and
reports the same ``Outcome``: the handshake response (or the rejection), the
messages received, and the close frame received from the server. Node's
client runs as a process (``node_client.mjs``) printing one JSON event per
line, so that a failure can show everything it saw.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Sequence
from typing import Any

from tests.interop.registry import peer_env
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol


NODE_CLIENT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "node_client.mjs"
)
VISIT_TIMEOUT = 20.0

Message = str | bytes
# A message sent in several frames.
Fragments = tuple[str, ...] | tuple[bytes, ...]


@dataclasses.dataclass(frozen=True)
class Visit:
    """One connection: what to offer, what to send, how to end."""

    path: str
    subprotocols: Sequence[str] = ()
    headers: Sequence[tuple[str, str]] = ()
    deflate: bool = True
    send: Sequence[Message | Fragments] = ()
    # How many messages to read before ending.
    replies: int = 0
    # The close frame to send; None waits for the server to close.
    close: tuple[int, str] | None = (1000, "")


@dataclasses.dataclass
class Outcome:
    """What a client saw. ``status`` is None when no HTTP response came."""

    status: int | None = None
    # Lower-cased names; repeated headers joined with ", " (as Node does).
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""
    subprotocol: str | None = None
    received: list[Message] = dataclasses.field(default_factory=list)
    # Code and reason of the close frame received; 1005 without a code,
    # 1006 without a close frame.
    close: tuple[int, str] | None = None
    error: str | None = None
    log: list[str] = dataclasses.field(default_factory=list)

    def describe(self) -> str:
        fields = dataclasses.asdict(self)
        fields["received"] = [summary(message) for message in self.received]
        return json.dumps(fields, ensure_ascii=False, default=repr, indent=1)


def summary(message: Message) -> str:
    kind = "text" if isinstance(message, str) else "binary"
    head = message[:40]
    return f"{kind} {len(message)}: {head!r}"


def joined(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


# Our asyncio client.


async def drive(connection: ClientConnection, visit: Visit, outcome: Outcome) -> None:
    try:
        for message in visit.send:
            if isinstance(message, tuple):
                await connection.send(list(message))
            else:
                await connection.send(message)
        for _ in range(visit.replies):
            outcome.received.append(await connection.recv())
        if visit.close is not None:
            await connection.close(*visit.close)
        else:
            while True:
                outcome.received.append(await connection.recv())
    except ConnectionClosed:
        pass


async def visit_ours(url: str, visit: Visit) -> Outcome:
    outcome = Outcome()
    try:
        async with connect(
            url,
            subprotocols=[Subprotocol(name) for name in visit.subprotocols] or None,
            additional_headers=list(visit.headers),
            compression="deflate" if visit.deflate else None,
            max_size=None,
            open_timeout=VISIT_TIMEOUT,
            close_timeout=VISIT_TIMEOUT,
        ) as connection:
            assert connection.response is not None
            outcome.status = connection.response.status_code
            outcome.headers = joined(list(connection.response.headers.raw_items()))
            outcome.subprotocol = connection.subprotocol
            await drive(connection, visit, outcome)
        assert connection.close_code is not None
        outcome.close = (connection.close_code, connection.close_reason or "")
    except InvalidStatus as exc:
        outcome.status = exc.response.status_code
        outcome.headers = joined(list(exc.response.headers.raw_items()))
        outcome.body = bytes(exc.response.body or b"")
        outcome.error = str(exc)
    except Exception as exc:
        outcome.error = f"{type(exc).__name__}: {exc}"
    return outcome


def run_ours(url: str, visit: Visit) -> Outcome:
    return asyncio.run(asyncio.wait_for(visit_ours(url, visit), VISIT_TIMEOUT))


# A client of a few lines, for the bytes on the wire.


def run_raw(url: str, visit: Visit) -> Outcome:
    """Sends the opening handshake with header values in ISO-8859-1, reads the
    response head (decoded the same way, so no byte is lost), hangs up."""
    assert not visit.send and not visit.subprotocols, "handshake only"
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {parts.path}?{parts.query} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in visit.headers),
    ]
    head = b""
    address = (parts.hostname, parts.port)
    with socket.create_connection(address, timeout=VISIT_TIMEOUT) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1"))
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    if not head:
        return Outcome(error="the server closed the connection without a response")
    status_line, *fields = (
        head.partition(b"\r\n\r\n")[0].decode("iso-8859-1").split("\r\n")
    )
    headers = [field.partition(":") for field in fields]
    return Outcome(
        status=int(status_line.split(" ")[1]),
        headers=joined([(name, value.strip()) for name, _, value in headers]),
    )


# Node's ws client.


def encode(message: Message | Fragments) -> dict[str, Any]:
    if isinstance(message, tuple):
        return {"fragments": [encode(chunk) for chunk in message]}
    if isinstance(message, str):
        return {"text": message}
    return {"binary": base64.b64encode(message).decode()}


def start_node(prefix: str, url: str, visit: Visit) -> subprocess.Popen[str]:
    node = shutil.which("node") or "node"
    config = {
        "url": url,
        "subprotocols": list(visit.subprotocols),
        "headers": dict(visit.headers),
        "deflate": visit.deflate,
        "send": [encode(message) for message in visit.send],
        "replies": visit.replies,
        "close": visit.close,
        "timeout_ms": int(VISIT_TIMEOUT * 1000),
    }
    # On stdin, from a file: messages near the size limit don't fit in an
    # argument, and a pipe could fill up before node reads it.
    with tempfile.TemporaryFile() as stdin:
        stdin.write(json.dumps(config).encode())
        stdin.seek(0)
        return subprocess.Popen(
            [node, NODE_CLIENT],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=peer_env({"INTEROP_NODE_PREFIX": prefix}),
        )


def finish_node(process: subprocess.Popen[str]) -> Outcome:
    try:
        stdout, stderr = process.communicate(timeout=VISIT_TIMEOUT + 5)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        return Outcome(error="node client timed out", log=[stdout, stderr])
    outcome = Outcome(log=[line for line in stderr.splitlines() if line])
    for line in stdout.splitlines():
        event: dict[str, Any] = json.loads(line)
        kind = event.pop("event")
        if kind in ("response", "rejected"):
            outcome.status = event["status"]
            outcome.headers = {
                name: ", ".join(value) if isinstance(value, list) else value
                for name, value in event["headers"].items()
            }
            outcome.body = base64.b64decode(event.get("body", ""))
        elif kind == "open":
            outcome.subprotocol = event["protocol"] or None
        elif kind == "message":
            data = base64.b64decode(event["data"])
            outcome.received.append(data if event["binary"] else data.decode())
        elif kind == "close":
            outcome.close = (event["code"], event["reason"])
        elif kind == "error":
            outcome.error = event["message"]
        else:
            outcome.log.append(line)
    return outcome


def run_node(prefix: str, url: str, visit: Visit) -> Outcome:
    return finish_node(start_node(prefix, url, visit))

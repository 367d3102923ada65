"""
The workloads of the benchmark suite, shared by the driver and its workers.

A workload says what the client and the server do, on what data, how the
result is scored and which target the project set for it. This module only
uses the standard library: workers import it in the virtual environment of
every implementation.

"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass


LOOPS = ("asyncio", "uvloop")

# Limits passed to every implementation on both sides, so that 1 MiB messages
# fit and no implementation rejects what another one accepts.
MAX_MESSAGE = 2**21


class CheckFailed(Exception):
    """A peer received something else than what the workload expects."""


@dataclass(frozen=True)
class Target:
    """
    The target of a workload, as a ratio against websockets 17.x.

    ``uvloop`` is either a ratio or ``"picows"``: at least what picows scores
    in the same run.

    """

    stdlib: float | None
    uvloop: float | str | None
    lower_is_better: bool = False

    def describe(self) -> str:
        """Short text: the stdlib target, then the uvloop one if it differs."""
        if self.stdlib is None:
            return "reference"
        sign = "<=" if self.lower_is_better else ""
        text = f"{sign}{self.stdlib:g}x"
        if isinstance(self.uvloop, str):
            text += f" / >={self.uvloop}"
        elif self.uvloop is not None and self.uvloop != self.stdlib:
            text += f" / {sign}{self.uvloop:g}x"
        return text


@dataclass(frozen=True)
class Workload:
    """
    One row of the suite.

    ``kind`` selects what the peers do:

    * ``echo``: the client sends a message and waits for it to come back, on
      ``connections`` connections at once, ``batch`` round trips per
      connection between two looks at the clock;
    * ``feed``: the client asks for ``batch`` messages, the server sends them
      in a row, the client checks each one, and asks again;
    * ``sink``: the client sends ``batch`` messages in a row then asks for
      the count; the server checks each message and answers the count;
    * ``open-close``: ``connections`` clients in flight each open and close a
      connection in a loop;
    * ``idle``: the client opens ``connections`` connections and keeps them;
      the figure is the growth of the server's memory;
    * ``sync-echo``: ``echo`` with the threading client and server;
    * ``framing``: the sans-I/O client protocol frames and masks messages in
      memory, with no connection.

    """

    key: str
    title: str
    kind: str
    unit: str
    target: Target
    size: int = 0
    text: bool = False
    deflate: bool = False
    connections: int = 1
    batch: int = 16
    loops: tuple[str, ...] = LOOPS
    client_cpu: bool = False
    """Score payload bytes per second of the client's CPU time, not wall time."""
    reference: bool = False
    """Compare the raw asyncio protocol, not the WebSocket implementations."""

    @property
    def memory(self) -> bool:
        return self.kind == "idle"

    @property
    def serverless(self) -> bool:
        return self.kind == "framing"


WORKLOADS: list[Workload] = [
    Workload(
        "echo-32",
        "echo 32 B text, one connection",
        "echo",
        "round trips/s",
        Target(2.3, "picows"),
        size=32,
        text=True,
    ),
    Workload(
        "echo-1k",
        "echo 1 KiB",
        "echo",
        "round trips/s",
        Target(2.5, "picows"),
        size=2**10,
    ),
    Workload(
        "echo-64k",
        "echo 64 KiB",
        "echo",
        "round trips/s",
        Target(2.5, "picows"),
        size=2**16,
        batch=4,
    ),
    Workload(
        "echo-1m",
        "echo 1 MiB",
        "echo",
        "round trips/s",
        Target(2.0, 2.0),
        size=2**20,
        batch=1,
    ),
    Workload(
        "stream-1k",
        "one-way stream of 1 KiB messages",
        "feed",
        "messages/s",
        Target(2.0, 2.0),
        size=2**10,
        batch=1000,
    ),
    Workload(
        "conns-100",
        "100 connections x 100 round trips, 64 B",
        "echo",
        "round trips/s",
        Target(3.5, "picows"),
        size=64,
        connections=100,
        batch=100,
    ),
    Workload(
        "open-close",
        "open + close, 20 in flight",
        "open-close",
        "connections/s",
        Target(2.0, 2.0),
        connections=20,
    ),
    Workload(
        "deflate-1k",
        "deflate echo 1 KiB JSON",
        "echo",
        "round trips/s",
        Target(2.0, 2.0),
        size=2**10,
        text=True,
        deflate=True,
    ),
    Workload(
        "sync-32",
        "threading echo 32 B",
        "sync-echo",
        "round trips/s",
        Target(2.5, None),
        size=32,
        text=True,
        loops=("asyncio",),
    ),
    Workload(
        "mask-1m",
        "client masks 1 MiB messages",
        "sink",
        "MB/s",
        Target(1.0, 1.0),
        size=2**20,
        batch=8,
        client_cpu=True,
    ),
    Workload(
        "framing-1m",
        "sans-I/O client framing of 1 MiB messages",
        "framing",
        "MB/s",
        Target(None, None),
        size=2**20,
        loops=("asyncio",),
    ),
    Workload(
        "mem-idle",
        "server memory per idle connection",
        "idle",
        "KiB",
        Target(0.6, 0.6, lower_is_better=True),
        connections=1000,
    ),
    Workload(
        "mem-idle-deflate",
        "idle connection memory, deflate negotiated",
        "idle",
        "KiB",
        Target(0.4, 0.4, lower_is_better=True),
        deflate=True,
        connections=1000,
    ),
    Workload(
        "raw-echo-32",
        "raw asyncio protocol, echo 32 B",
        "echo",
        "round trips/s",
        Target(None, None),
        size=32,
        text=True,
        reference=True,
    ),
]

BY_KEY = {workload.key: workload for workload in WORKLOADS}

WEBSOCKETS_API = ("ours", "previous", "ws17")
"""Implementations of the websockets API: every workload."""


def supported(impl: str, workload: Workload) -> bool:
    """Whether an implementation has what a workload needs."""
    if workload.reference:
        return impl == "raw"
    if impl in WEBSOCKETS_API:
        return True
    if impl == "raw":
        # Bare TCP has no handshake and no messages, only connections.
        return workload.kind in ("open-close", "idle") and not workload.deflate
    # picows and aiohttp have neither a threading API nor a sans-I/O
    # protocol; picows has no permessage-deflate.
    if workload.kind in ("sync-echo", "framing"):
        return False
    return not (impl == "picows" and workload.deflate)


def binary_payload(size: int) -> bytes:
    """Incompressible bytes, the same in every process for a given size."""
    return random.Random(size).randbytes(size)


def text_payload(size: int) -> str:
    """ASCII text, the same in every process for a given size."""
    rng = random.Random(size)
    return "".join(rng.choices(string.ascii_letters + string.digits, k=size))


def json_documents(size: int, count: int = 64) -> list[str]:
    """
    JSON documents of about ``size`` bytes, different from each other.

    With context takeover, a compressor finds a message sent recently in its
    history and shrinks it to a few bytes. Cycling through 64 KiB of
    documents, more than the largest window (32 KiB), keeps its work
    realistic.

    """
    rng = random.Random(size)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
    documents = []
    for _ in range(count):
        records: list[dict[str, object]] = []
        while len(json.dumps(records)) < size - 80:
            records.append(
                {
                    "id": rng.randrange(10**6),
                    "name": f"{rng.choice(words)}-{rng.choice(words)}",
                    "price": round(rng.uniform(0, 1000), 2),
                    "tags": rng.sample(words, 2),
                }
            )
        documents.append(json.dumps(records))
    return documents


def messages(workload: Workload) -> list[str] | list[bytes]:
    """The messages that the client sends, in turn, for a workload."""
    if workload.deflate:
        return json_documents(workload.size)
    if workload.text:
        return [text_payload(workload.size)]
    return [binary_payload(workload.size)]

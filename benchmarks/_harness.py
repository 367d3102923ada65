"""
What the workers of the benchmark suite share.

Each implementation has an adapter module (``_impl_*.py``) that starts its
servers and runs its clients. Libraries with a coroutine API (this project,
websockets, aiohttp) describe how to open a connection as a :class:`Channel`
of bound methods, and the client flows below drive it: the loops call the
libraries' own methods with no wrapper in between. Callback libraries (picows,
the raw asyncio protocol) implement the flows in their own style.

"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from _workloads import CheckFailed, Workload, binary_payload, messages


@dataclass
class ServerStats:
    """What a server saw, reported to the driver."""

    live: int = 0
    """Connections whose handler is running."""
    opened: int = 0
    errors: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        # Keep a few: one is enough to fail the measurement.
        if len(self.errors) < 5:
            self.errors.append(message)


@dataclass
class Tally:
    """What a client run achieved."""

    count: int = 0
    """Round trips, messages or connections, as the workload's unit says."""
    nbytes: int = 0
    """Payload bytes sent by the client."""


@dataclass
class Listening:
    """A server started for a workload."""

    port: int
    close: Callable[[], Awaitable[None]]


class ClientRun(Protocol):
    """The client side of one measurement: set up, timed part, tear down."""

    async def prepare(self) -> None: ...

    async def run(self, deadline: float) -> Tally: ...

    async def finish(self) -> None: ...


class Adapter(Protocol):
    """What a worker needs from an implementation."""

    def describe(self) -> dict[str, str]: ...

    async def serve(self, workload: Workload, stats: ServerStats) -> Listening: ...

    def client(self, workload: Workload, port: int) -> ClientRun: ...


def clock() -> float:
    return time.perf_counter()


@dataclass
class Channel:
    """The methods of one client connection of a coroutine library."""

    send_text: Callable[[Any], Awaitable[Any]]
    send_binary: Callable[[Any], Awaitable[Any]]
    recv_text: Callable[[], Awaitable[Any]]
    recv_binary: Callable[[], Awaitable[Any]]
    close: Callable[[], Awaitable[Any]]
    closed_cleanly: Callable[[], bool]


Dialer = Callable[[], Awaitable[Channel]]


async def dial_many(dial: Dialer, count: int, in_flight: int = 20) -> list[Channel]:
    """Open ``count`` connections, ``in_flight`` at a time."""
    channels: list[Channel] = []
    while len(channels) < count:
        batch = min(in_flight, count - len(channels))
        channels.extend(await asyncio.gather(*[dial() for _ in range(batch)]))
    return channels


async def close_all(channels: list[Channel]) -> None:
    for start in range(0, len(channels), 20):
        await asyncio.gather(
            *[channel.close() for channel in channels[start : start + 20]]
        )


class CoroutineClient:
    """The client flows of every workload, over a coroutine library."""

    def __init__(self, workload: Workload, dial: Dialer) -> None:
        self.workload = workload
        self.dial = dial
        self.channels: list[Channel] = []

    async def prepare(self) -> None:
        kind = self.workload.kind
        if kind in ("echo", "feed", "sink"):
            self.channels = await dial_many(self.dial, self.workload.connections)

    async def finish(self) -> None:
        channels, self.channels = self.channels, []
        await close_all(channels)

    async def run(self, deadline: float) -> Tally:
        kind = self.workload.kind
        if kind == "echo":
            return await self.echo(deadline)
        if kind == "feed":
            return await self.feed(deadline)
        if kind == "sink":
            return await self.sink(deadline)
        if kind == "open-close":
            return await self.open_close(deadline)
        if kind == "idle":
            self.channels = await dial_many(self.dial, self.workload.connections)
            return Tally(len(self.channels))
        raise ValueError(f"no coroutine flow for {kind}")

    async def echo(self, deadline: float) -> Tally:
        workload = self.workload
        sent = messages(workload)
        batch = workload.batch
        tally = Tally()
        if len(self.channels) == 1:
            channel = self.channels[0]
            while True:
                await round_trips(channel, sent, batch)
                tally.count += batch
                if clock() >= deadline:
                    break
        else:
            # A batch is the same number of round trips on every connection.
            while clock() < deadline:
                await asyncio.gather(
                    *[round_trips(channel, sent, batch) for channel in self.channels]
                )
                tally.count += batch * len(self.channels)
        tally.nbytes = tally.count * workload.size
        return tally

    async def feed(self, deadline: float) -> Tally:
        workload = self.workload
        expected = binary_payload(workload.size)
        channel = self.channels[0]
        request = str(workload.batch)
        tally = Tally()
        while clock() < deadline:
            await channel.send_text(request)
            for _ in range(workload.batch):
                if await channel.recv_binary() != expected:
                    raise CheckFailed("a streamed message differs from the payload")
            tally.count += workload.batch
        tally.nbytes = tally.count * workload.size
        return tally

    async def sink(self, deadline: float) -> Tally:
        workload = self.workload
        payload = binary_payload(workload.size)
        channel = self.channels[0]
        send = channel.send_binary
        tally = Tally()
        while clock() < deadline:
            for _ in range(workload.batch):
                await send(payload)
            await channel.send_text("count")
            received = await channel.recv_text()
            if received != str(workload.batch):
                raise CheckFailed(f"the server counted {received} messages")
            tally.count += workload.batch
        tally.nbytes = tally.count * workload.size
        return tally

    async def open_close(self, deadline: float) -> Tally:
        dial = self.dial

        async def cycle() -> int:
            done = 0
            while clock() < deadline:
                channel = await dial()
                await channel.close()
                if not channel.closed_cleanly():
                    raise CheckFailed("the closing handshake didn't complete")
                done += 1
            return done

        counts = await asyncio.gather(
            *[cycle() for _ in range(self.workload.connections)]
        )
        return Tally(sum(counts))


async def round_trips(
    channel: Channel, sent: list[str] | list[bytes], count: int
) -> None:
    """Send ``count`` messages one at a time, each after the echo of the last."""
    if isinstance(sent[0], str):
        send, recv = channel.send_text, channel.recv_text
    else:
        send, recv = channel.send_binary, channel.recv_binary
    # Every library is called the same way: its own send and receive methods,
    # one message out, one message in, compared with what went out.
    for index in range(count):
        message = sent[index % len(sent)]
        await send(message)
        if await recv() != message:
            raise CheckFailed("the echo differs from the message")

"""
Adapter for picows, written the way picows is meant to be used: listeners
whose callbacks react to each frame, with no coroutine per message.

picows has no permessage-deflate and no threading API: those workloads are
not available. Options are picows' defaults except ``max_frame_size``.

"""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Callable
from typing import Any

from _harness import Listening, ServerStats, Tally, clock
from _workloads import MAX_MESSAGE, CheckFailed, Workload, binary_payload, messages
from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    ws_connect,
    ws_create_server,
)


TEXT = WSMsgType.TEXT
BINARY = WSMsgType.BINARY
CLOSE = WSMsgType.CLOSE


def answer_close(transport: WSTransport, frame: WSFrame) -> None:
    """Complete a closing handshake that the peer started."""
    transport.send_close(frame.get_close_code(), frame.get_close_message())
    transport.disconnect()


class Adapter:
    def describe(self) -> dict[str, str]:
        return {"version": importlib.metadata.version("picows")}

    async def serve(self, workload: Workload, stats: ServerStats) -> Listening:
        listener: type[ServerListener] = {
            "feed": FeedServer,
            "sink": SinkServer,
        }.get(workload.kind, EchoServer)

        def factory(request: WSUpgradeRequest) -> ServerListener:
            return listener(workload, stats)

        server = await ws_create_server(
            factory, "127.0.0.1", 0, max_frame_size=MAX_MESSAGE
        )

        async def close() -> None:
            server.close()
            await server.wait_closed()

        return Listening(server.sockets[0].getsockname()[1], close)

    def client(self, workload: Workload, port: int) -> Client:
        return Client(workload, f"ws://127.0.0.1:{port}/")


# Servers.


class ServerListener(WSListener):
    def __init__(self, workload: Workload, stats: ServerStats) -> None:
        self.stats = stats

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.stats.live += 1
        self.stats.opened += 1

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.stats.live -= 1


class EchoServer(ServerListener):
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is CLOSE:
            answer_close(transport, frame)
            return
        transport.send(msg_type, frame.get_payload_as_memoryview())


class FeedServer(ServerListener):
    def __init__(self, workload: Workload, stats: ServerStats) -> None:
        super().__init__(workload, stats)
        self.payload = binary_payload(workload.size)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is CLOSE:
            answer_close(transport, frame)
            return
        payload = self.payload
        for _ in range(int(frame.get_payload_as_ascii_text())):
            transport.send(BINARY, payload)


class SinkServer(ServerListener):
    def __init__(self, workload: Workload, stats: ServerStats) -> None:
        super().__init__(workload, stats)
        self.expected = binary_payload(workload.size)
        self.count = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is BINARY:
            if frame.get_payload_as_bytes() == self.expected:
                self.count += 1
            else:
                self.stats.fail("the server received a corrupted message")
        elif msg_type is TEXT:
            transport.send(TEXT, str(self.count).encode())
            self.count = 0
        elif msg_type is CLOSE:
            answer_close(transport, frame)


# Clients.


class ClientListener(WSListener):
    """A client connection; each flow runs until it resolves ``done``."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self.close_code: WSCloseCode | None = None
        self.done: asyncio.Future[None] | None = None
        self.receive: Callable[[WSFrame], None] = self.unexpected
        self.remaining = 0
        self.sent: list[Any] = []
        self.text = False
        self.index = 0
        self.expected: Any = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is CLOSE:
            self.close_code = frame.get_close_code()
            transport.disconnect()
            return
        self.receive(frame)

    def start(
        self, receive: Callable[[WSFrame], None], remaining: int
    ) -> asyncio.Future[None]:
        self.receive = receive
        self.remaining = remaining
        self.done = asyncio.get_running_loop().create_future()
        return self.done

    def fail(self, message: str) -> None:
        assert self.done is not None
        if not self.done.done():
            self.done.set_exception(CheckFailed(message))

    def unexpected(self, frame: WSFrame) -> None:
        self.fail(f"unexpected {frame.msg_type.name} frame")

    # Echo: send a message, check its echo, send the next one.

    def echo(self, sent: list[Any], count: int) -> asyncio.Future[None]:
        """Run ``count`` round trips, cycling through ``sent``."""
        done = self.start(self.echo_received, count)
        self.sent = sent
        self.text = isinstance(sent[0], str)
        self.send_next()
        return done

    def send_next(self) -> None:
        assert self.transport is not None
        message = self.sent[self.index % len(self.sent)]
        self.index += 1
        self.expected = message
        if self.text:
            self.transport.send(TEXT, message.encode())
        else:
            self.transport.send(BINARY, message)

    def echo_received(self, frame: WSFrame) -> None:
        if self.text:
            received: Any = frame.get_payload_as_utf8_text()
        else:
            received = frame.get_payload_as_bytes()
        if received != self.expected:
            self.fail("the echo differs from the message")
            return
        self.remaining -= 1
        if self.remaining:
            self.send_next()
        else:
            assert self.done is not None
            self.done.set_result(None)

    # Feed: ask for messages and check each one.

    def feed(self, expected: bytes, count: int) -> asyncio.Future[None]:
        assert self.transport is not None
        done = self.start(self.feed_received, count)
        self.expected = expected
        self.transport.send(TEXT, str(count).encode())
        return done

    def feed_received(self, frame: WSFrame) -> None:
        if frame.get_payload_as_bytes() != self.expected:
            self.fail("a streamed message differs from the payload")
            return
        self.remaining -= 1
        if not self.remaining:
            assert self.done is not None
            self.done.set_result(None)

    # Sink: send messages, then ask how many arrived.

    def sink(self, payload: bytes, count: int) -> asyncio.Future[None]:
        assert self.transport is not None
        done = self.start(self.sink_received, count)
        send = self.transport.send
        for _ in range(count):
            send(BINARY, payload)
        send(TEXT, b"count")
        return done

    def sink_received(self, frame: WSFrame) -> None:
        received = frame.get_payload_as_ascii_text()
        if received != str(self.remaining):
            self.fail(f"the server counted {received} messages")
            return
        assert self.done is not None
        self.done.set_result(None)

    async def close(self) -> None:
        assert self.transport is not None
        self.transport.send_close(WSCloseCode.OK)
        await self.transport.wait_disconnected()


class Client:
    def __init__(self, workload: Workload, uri: str) -> None:
        self.workload = workload
        self.uri = uri
        self.listeners: list[ClientListener] = []

    async def dial(self) -> ClientListener:
        _, listener = await ws_connect(
            ClientListener, self.uri, max_frame_size=MAX_MESSAGE
        )
        assert isinstance(listener, ClientListener)
        return listener

    async def dial_many(self, count: int) -> list[ClientListener]:
        listeners: list[ClientListener] = []
        while len(listeners) < count:
            batch = min(20, count - len(listeners))
            listeners.extend(await asyncio.gather(*[self.dial() for _ in range(batch)]))
        return listeners

    async def prepare(self) -> None:
        if self.workload.kind in ("echo", "feed", "sink"):
            self.listeners = await self.dial_many(self.workload.connections)

    async def finish(self) -> None:
        listeners, self.listeners = self.listeners, []
        for start in range(0, len(listeners), 20):
            await asyncio.gather(
                *[item.close() for item in listeners[start : start + 20]]
            )

    async def run(self, deadline: float) -> Tally:
        workload = self.workload
        kind = workload.kind
        tally = Tally()
        if kind == "echo":
            sent = messages(workload)
            batch = workload.batch
            if len(self.listeners) == 1:
                [listener] = self.listeners
                while True:
                    await listener.echo(sent, batch)
                    tally.count += batch
                    if clock() >= deadline:
                        break
            else:
                while clock() < deadline:
                    await asyncio.gather(
                        *[item.echo(sent, batch) for item in self.listeners]
                    )
                    tally.count += batch * len(self.listeners)
        elif kind in ("feed", "sink"):
            payload = binary_payload(workload.size)
            [listener] = self.listeners
            flow = listener.feed if kind == "feed" else listener.sink
            while clock() < deadline:
                await flow(payload, workload.batch)
                tally.count += workload.batch
        elif kind == "open-close":
            counts = await asyncio.gather(
                *[self.open_close(deadline) for _ in range(workload.connections)]
            )
            tally.count = sum(counts)
        elif kind == "idle":
            self.listeners = await self.dial_many(workload.connections)
            tally.count = len(self.listeners)
        tally.nbytes = tally.count * workload.size
        return tally

    async def open_close(self, deadline: float) -> int:
        done = 0
        while clock() < deadline:
            listener = await self.dial()
            await listener.close()
            if listener.close_code is not WSCloseCode.OK:
                raise CheckFailed("the closing handshake didn't complete")
            done += 1
        return done

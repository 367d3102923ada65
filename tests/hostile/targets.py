"""
The connections under attack, one class per flavour: the asyncio, threading
and legacy servers, and their clients.

Each target runs in threads of its own (an event loop in a thread for the
asyncio flavours), so that the attacker in the test's thread writes and reads
with plain blocking sockets. :meth:`Target.held` adds up what the connection
object buffers, as the memory model in the READMEs counts it: the protocol's
read buffer and pending output, the frames waiting for ``recv()``, and the
bytes waiting to be written, in the transport's buffer or in the outgoing
queue of the threading layer. Every frame waiting in a queue is counted with
:data:`FRAME_COST` on top of its payload, since empty frames cost memory too.

"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from ws_asyncio.client import connect as asyncio_connect
from ws_asyncio.legacy.client import connect as legacy_connect
from ws_asyncio.legacy.protocol import WebSocketCommonProtocol
from ws_asyncio.legacy.server import WebSocketServerProtocol, serve as legacy_serve
from ws_asyncio.server import serve as asyncio_serve
from ws_frames.exceptions import ConnectionClosed
from ws_sync.client import connect as sync_connect
from ws_sync.server import serve as sync_serve

from .peers import listening_socket, small_buffers


FRAME_COST = 256
"""What a queued frame costs beyond its payload, roughly."""

BEHAVIOURS = ("idle", "recv", "close_after_first", "send_forever")
"""
What the application does with the connection: never read; read every
message; read one message, then close (a server's handler returns); send
large messages until the connection closes, never reading.
"""


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def wait_for_close_code(target: Target, timeout: float) -> bool:
    """Wait until the connection of ``target`` knows its close code."""
    return wait_until(
        lambda: (
            target.connection is not None and target.connection.close_code is not None
        ),
        timeout,
    )


def frames_size(frames: Any) -> int:
    return sum(len(frame.data) + FRAME_COST for frame in list(frames))


class Target:
    """A client or server of one flavour, with an application that behaves."""

    name: ClassVar[str]
    side: ClassVar[str]  # "server" or "client"

    def __init__(self, behaviour: str, **options: Any) -> None:
        assert behaviour in BEHAVIOURS
        self.behaviour = behaviour
        self.slow_request: float = options.pop("slow_request", 0)
        self.options = options
        self.connection: Any = None
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.error: BaseException | None = None
        self.port = 0
        self.listener: socket.socket | None = None

    # What the attacker sees.

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def held(self) -> int:
        """Bytes that the connection buffers now; 0 before it exists."""
        raise NotImplementedError

    def close_code(self) -> int | None:
        """Code of the close frame that the connection received."""
        return self.connection.close_code  # type: ignore[no-any-return]

    def wait_closed(self, timeout: float) -> bool:
        return self.closed.wait(timeout)

    # The application.

    def record_end(self, exc: BaseException | None = None) -> None:
        if exc is not None and not isinstance(exc, ConnectionClosed):
            self.error = exc
        self.closed.set()


class AsyncioTarget(Target):
    """A target whose event loop runs in a thread."""

    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.stopping = asyncio.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self.main(),)
        )
        self.thread.start()
        assert self.ready.wait(5)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(10)
        assert not self.thread.is_alive()
        self.loop.close()

    async def main(self) -> None:
        raise NotImplementedError

    def in_loop(self, function: Callable[[], int]) -> int:
        result: concurrent.futures.Future[int] = concurrent.futures.Future()

        def call() -> None:
            try:
                result.set_result(function())
            except BaseException as exc:  # pragma: no cover
                result.set_exception(exc)

        self.loop.call_soon_threadsafe(call)
        return result.result(5)

    async def behave(self, connection: Any, recv: Any, send: Any, close: Any) -> None:
        try:
            if self.behaviour == "idle":
                await self.stopping.wait()
            elif self.behaviour == "recv":
                while True:
                    await recv()
            elif self.behaviour == "close_after_first":
                await recv()
                await close()
            else:
                while True:
                    await send(b"\x00" * 2**18)
        except BaseException as exc:
            self.record_end(exc)
        else:
            self.record_end()


class AsyncioServer(AsyncioTarget):
    name = "asyncio_server"
    side = "server"

    async def main(self) -> None:
        listener = listening_socket()
        self.port = listener.getsockname()[1]

        async def process_request(connection: Any, request: Any) -> None:
            self.connection = connection
            self.connected.set()
            await asyncio.sleep(self.slow_request)

        async def handler(connection: Any) -> None:
            await self.behave(
                connection, connection.recv, connection.send, connection.close
            )

        async with asyncio_serve(
            handler,
            sock=listener,
            process_request=process_request,
            ping_interval=None,
            **self.options,
        ) as server:
            self.ready.set()
            await self.stopping.wait()
            server.close()
            self.closed.set()

    def held(self) -> int:
        connection = self.connection
        if connection is None:
            return 0

        def measure() -> int:
            protocol = connection.protocol
            return int(
                len(protocol.reader.buffer)
                + sum(map(len, protocol.writes))
                + frames_size(connection.recv_messages.frames.queue)
                + connection.transport.get_write_buffer_size()
            )

        return self.in_loop(measure)

    def wait_closed(self, timeout: float) -> bool:
        return wait_for_close_code(self, timeout)


class AsyncioClient(AsyncioTarget):
    name = "asyncio_client"
    side = "client"

    def start(self) -> None:
        self.listener = listening_socket()
        self.port = self.listener.getsockname()[1]
        super().start()

    def stop(self) -> None:
        super().stop()
        assert self.listener is not None
        self.listener.close()

    async def main(self) -> None:
        self.ready.set()
        sock = socket.socket()
        small_buffers(sock)
        sock.setblocking(False)
        try:
            await self.loop.sock_connect(sock, ("127.0.0.1", self.port))
            async with asyncio_connect(
                f"ws://127.0.0.1:{self.port}",
                sock=sock,
                ping_interval=None,
                **self.options,
            ) as connection:
                self.connection = connection
                self.connected.set()
                await self.behave(
                    connection, connection.recv, connection.send, connection.close
                )
        except BaseException as exc:
            self.record_end(exc)
        self.closed.set()
        await self.stopping.wait()

    held = AsyncioServer.held

    def wait_closed(self, timeout: float) -> bool:
        return wait_for_close_code(self, timeout)


class LegacyServer(AsyncioTarget):
    name = "legacy_server"
    side = "server"

    async def main(self) -> None:
        listener = listening_socket()
        self.port = listener.getsockname()[1]
        target = self

        class Recorder(WebSocketServerProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                target.connection = self
                target.connected.set()

        async def process_request(path: str, headers: Any) -> None:
            await asyncio.sleep(self.slow_request)

        async def handler(connection: Any) -> None:
            await self.behave(
                connection, connection.recv, connection.send, connection.close
            )

        async with legacy_serve(
            handler,
            sock=listener,
            create_protocol=Recorder,
            process_request=process_request,
            ping_interval=None,
            **self.options,
        ):
            self.ready.set()
            await self.stopping.wait()

    def held(self) -> int:
        connection = self.connection
        if connection is None:
            return 0

        def measure() -> int:
            core = connection.core
            return int(
                len(core.reader.buffer)
                + len(connection.reader.buffer)
                + sum(map(len, core.writes))
                + frames_size(connection._frames)
                + sum(len(message) + FRAME_COST for message in connection.messages)
                + connection.transport.get_write_buffer_size()
            )

        return self.in_loop(measure)

    def wait_closed(self, timeout: float) -> bool:
        return wait_until(
            lambda: self.connection is not None and self.connection.closed, timeout
        )


class LegacyClient(AsyncioClient):
    name = "legacy_client"
    side = "client"

    held = LegacyServer.held
    wait_closed = LegacyServer.wait_closed

    async def main(self) -> None:
        self.ready.set()
        sock = socket.socket()
        small_buffers(sock)
        sock.setblocking(False)
        try:
            await self.loop.sock_connect(sock, ("127.0.0.1", self.port))
            connection: WebSocketCommonProtocol = await legacy_connect(
                f"ws://127.0.0.1:{self.port}",
                sock=sock,
                ping_interval=None,
                **self.options,
            )
            self.connection = connection
            self.connected.set()
            await self.behave(
                connection, connection.recv, connection.send, connection.close
            )
            await connection.close()
        except BaseException as exc:
            self.record_end(exc)
        self.closed.set()
        await self.stopping.wait()


def sync_held(connection: Any) -> int:
    protocol = connection.protocol
    return (
        len(protocol.reader.buffer)
        + sum(map(len, list(protocol.writes)))
        + frames_size(connection.recv_messages.frames)
        + sum(map(len, list(connection.outgoing)))
    )


class SyncTarget(Target):
    def behave(self, connection: Any) -> None:
        try:
            if self.behaviour == "idle":
                connection.recv_events_thread.join()
            elif self.behaviour == "recv":
                while True:
                    connection.recv()
            elif self.behaviour == "close_after_first":
                connection.recv()
                connection.close()
            else:
                while True:
                    connection.send(b"\x00" * 2**18)
        except BaseException as exc:
            self.record_end(exc)
        else:
            self.record_end()

    def held(self) -> int:
        connection = self.connection
        return 0 if connection is None else sync_held(connection)

    def wait_closed(self, timeout: float) -> bool:
        return wait_for_close_code(self, timeout)


class SyncServer(SyncTarget):
    name = "sync_server"
    side = "server"

    def start(self) -> None:
        listener = listening_socket()
        self.port = listener.getsockname()[1]

        def process_request(connection: Any, request: Any) -> None:
            self.connection = connection
            self.connected.set()
            time.sleep(self.slow_request)

        self.server = sync_serve(
            self.behave,
            sock=listener,
            process_request=process_request,
            ping_interval=None,
            **self.options,
        )
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(10)
        assert not self.thread.is_alive()


class SyncClient(SyncTarget):
    name = "sync_client"
    side = "client"

    def start(self) -> None:
        self.listener = listening_socket()
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.main)
        self.thread.start()

    def main(self) -> None:
        sock = socket.socket()
        small_buffers(sock)
        try:
            sock.connect(("127.0.0.1", self.port))
            with sync_connect(
                f"ws://127.0.0.1:{self.port}",
                sock=sock,
                ping_interval=None,
                **self.options,
            ) as connection:
                self.connection = connection
                self.connected.set()
                self.behave(connection)
        except BaseException as exc:
            self.record_end(exc)
        self.closed.set()

    def stop(self) -> None:
        assert self.listener is not None
        self.listener.close()
        connection = self.connection
        if connection is not None:
            connection.close_socket()
        self.thread.join(10)
        assert not self.thread.is_alive()


TARGETS: list[type[Target]] = [
    AsyncioServer,
    SyncServer,
    LegacyServer,
    AsyncioClient,
    SyncClient,
    LegacyClient,
]

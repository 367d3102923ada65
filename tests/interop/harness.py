"""Runs one side of a plan each: processes for the peers, threads for this project.

A server side is started first and tells its port; then the client side is
started with the URL; both are waited for, and each one's report holds every
event it printed plus whatever it wrote to stderr, so that a failing check can
show what each side saw.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tests.interop import ours
from tests.interop.plan import Event


# Upper bound for one side to run its whole plan.
SIDE_TIMEOUT = 60.0
# How long the server may still run once the client is over.
SERVER_GRACE = 15.0
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclasses.dataclass
class Report:
    name: str
    events: list[Event]
    output: str = ""
    timed_out: bool = False

    def describe(self) -> str:
        lines = [f"--- {self.name}" + (" (timed out)" if self.timed_out else "")]
        for event in self.events:
            lines.append("  " + json.dumps(event, ensure_ascii=False)[:300])
        if self.output.strip():
            lines.append("  output:")
            lines.extend(
                "    " + line for line in self.output.strip().splitlines()[-40:]
            )
        return "\n".join(lines)


class Side(Protocol):
    name: str

    def start(self, config: dict[str, Any]) -> None: ...

    def port(self) -> int: ...

    def finish(self, timeout: float = SIDE_TIMEOUT) -> Report: ...


class ProcessSide:
    """A peer running as a process that prints JSON events, one per line."""

    def __init__(self, name: str, command: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = list(command)
        self.env = env
        self.events: list[Event] = []
        self.listening = threading.Event()
        self.listen_port = 0
        self.stderr = ""

    def start(self, config: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [*self.command, json.dumps(config)],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.started = time.monotonic()
        self.reader = threading.Thread(target=self.read_stdout, daemon=True)
        self.reader.start()
        self.err_reader = threading.Thread(target=self.read_stderr, daemon=True)
        self.err_reader.start()

    def read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                event = {"event": "stdout", "line": line.rstrip()}
            if event.get("event") == "listening":
                self.listen_port = event["port"]
                self.listening.set()
            else:
                self.events.append(event)
        # Never leave port() waiting for a process that has ended.
        self.listening.set()

    def read_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def port(self) -> int:
        self.listening.wait(SIDE_TIMEOUT)
        if not self.listen_port:
            self.finish()
            raise RuntimeError(
                f"{self.name} did not start listening:\n{self.stderr[-2000:]}"
            )
        return self.listen_port

    def finish(self, timeout: float = SIDE_TIMEOUT) -> Report:
        timed_out = False
        remaining = min(timeout, SIDE_TIMEOUT - (time.monotonic() - self.started))
        try:
            self.process.wait(max(remaining, 1.0))
        except subprocess.TimeoutExpired:
            timed_out = True
            self.process.kill()
            self.process.wait()
        self.reader.join(5)
        self.err_reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return Report(self.name, self.events, self.stderr, timed_out)


class ThreadSide:
    """One of this project's sides, running in a thread of the test process."""

    def __init__(self, name: str, target: Callable[[ThreadSide], None]) -> None:
        self.name = name
        self.target = target
        self.events: list[Event] = []
        self.listening = threading.Event()
        self.listen_port = 0
        self.done = threading.Event()
        # Set when the other side is over and this one should stop waiting.
        self.stop = threading.Event()
        self.config: dict[str, Any] = {}

    def start(self, config: dict[str, Any]) -> None:
        self.config = config
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        try:
            self.target(self)
        except Exception as exc:
            self.events.append({"event": "error", "message": repr(exc)})
        finally:
            self.listening.set()
            self.done.set()

    def port(self) -> int:
        self.listening.wait(SIDE_TIMEOUT)
        if not self.listen_port:
            raise RuntimeError(f"{self.name} did not start listening: {self.events}")
        return self.listen_port

    def finish(self, timeout: float = SIDE_TIMEOUT) -> Report:
        finished = self.done.wait(timeout)
        if not finished:
            self.stop.set()
            self.done.wait(5.0)
        return Report(self.name, list(self.events), "", not finished)

    def wait_handled(self, handled: threading.Event) -> None:
        deadline = time.monotonic() + SIDE_TIMEOUT
        while not handled.wait(0.05):
            if self.stop.is_set() or time.monotonic() > deadline:
                return


def asyncio_server(side: ThreadSide) -> None:
    server_module = ours.load("ws_asyncio.server", "serve")
    config = side.config

    async def main() -> None:
        handled = asyncio.Event()

        async def handler(ws: Any) -> None:
            try:
                await ours.run_asyncio_plan(ws, config["plan"], side.events)
            finally:
                handled.set()

        async with server_module.serve(
            handler, "127.0.0.1", 0, **ours.handshake_kwargs(config, client=False)
        ) as server:
            side.listen_port = server.sockets[0].getsockname()[1]
            side.listening.set()
            deadline = time.monotonic() + SIDE_TIMEOUT
            while not handled.is_set():
                if side.stop.is_set() or time.monotonic() > deadline:
                    return
                await asyncio.sleep(0.05)

    asyncio.run(main())


def asyncio_client(side: ThreadSide) -> None:
    client_module = ours.load("ws_asyncio.client", "connect")
    config = side.config

    async def main() -> None:
        async with client_module.connect(
            config["url"], **ours.handshake_kwargs(config, client=True)
        ) as ws:
            await asyncio.wait_for(
                ours.run_asyncio_plan(ws, config["plan"], side.events), SIDE_TIMEOUT
            )

    asyncio.run(main())


def threading_server(side: ThreadSide) -> None:
    server_module = ours.load("ws_sync.server", "serve")
    config = side.config
    handled = threading.Event()

    def handler(ws: Any) -> None:
        try:
            ours.run_threading_plan(ws, config["plan"], side.events)
        finally:
            handled.set()

    with server_module.serve(
        handler, "127.0.0.1", 0, **ours.handshake_kwargs(config, client=False)
    ) as server:
        side.listen_port = server.socket.getsockname()[1]
        side.listening.set()
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        serving.start()
        side.wait_handled(handled)
        server.shutdown()
        serving.join(SIDE_TIMEOUT)


def threading_client(side: ThreadSide) -> None:
    client_module = ours.load("ws_sync.client", "connect")
    config = side.config
    with client_module.connect(
        config["url"], **ours.handshake_kwargs(config, client=True)
    ) as ws:
        ours.run_threading_plan(ws, config["plan"], side.events)


def run_pair(
    client: Side,
    server: Side,
    client_config: dict[str, Any],
    server_config: dict[str, Any],
) -> tuple[Report, Report]:
    """Runs a server side and a client side against each other."""
    server.start(server_config)
    try:
        port = server.port()
    except RuntimeError:
        return Report(client.name, []), server.finish()
    client.start({**client_config, "url": f"ws://127.0.0.1:{port}/"})
    client_report = client.finish()
    # Once the client is over, the server has little left to do.
    server_report = server.finish(SERVER_GRACE)
    return client_report, server_report

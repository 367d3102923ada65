"""
A worker of the benchmark suite: one side (server or client) of one
implementation on one event loop, pinned to one CPU.

The driver (``suite.py``) starts it with the interpreter of the
implementation's virtual environment and talks to it in JSON lines: one
command on standard input, one answer on standard output. The first line the
worker prints describes what it runs.

Server commands: ``listen`` (start the server of a workload, answer its
port), ``usage`` (CPU time, resident memory, what the server saw), ``stop``.
Client commands: ``prepare`` (open the connections of a workload), ``run``
(the timed part, for a duration), ``finish`` (close the connections).

"""

from __future__ import annotations

import os
import sys


# Run as a script, the directory of this file comes first on sys.path, where
# a sibling module named like a standard or third-party one would shadow it:
# search it last.
if os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.append(sys.path.pop(0))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, cast  # noqa: E402

from _harness import Adapter, ClientRun, Listening, ServerStats, clock  # noqa: E402
from _workloads import BY_KEY, CheckFailed  # noqa: E402


ADAPTERS = {
    "ours": "_impl_wsapi",
    "previous": "_impl_wsapi",
    "ws17": "_impl_wsapi",
    "picows": "_impl_picows",
    "aiohttp": "_impl_aiohttp",
    "raw": "_impl_raw",
}
"""Adapter module of each implementation."""


def resident_memory() -> int:
    """Resident set size of this process, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


class Server:
    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.stats = ServerStats()
        self.listening: Listening | None = None
        self.profiler: cProfile.Profile | None = None

    async def listen(self, workload: str) -> dict[str, Any]:
        self.stats = ServerStats()
        self.listening = await self.adapter.serve(BY_KEY[workload], self.stats)
        return {"port": self.listening.port}

    async def usage(
        self, profile: str | None = None, collect: bool = False
    ) -> dict[str, Any]:
        cpu = time.process_time()
        if profile == "start":
            self.profiler = cProfile.Profile()
            self.profiler.enable()
        elif profile is not None and self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(profile)
            self.profiler = None
        if collect:
            # Memory figures count what the connections hold, not garbage.
            gc.collect()
        return {
            "cpu": cpu,
            "rss": resident_memory(),
            "live": self.stats.live,
            "opened": self.stats.opened,
            "errors": self.stats.errors,
        }

    async def stop(self) -> dict[str, Any]:
        if self.listening is not None:
            await self.listening.close()
            self.listening = None
        return {"errors": self.stats.errors, "opened": self.stats.opened}


class Client:
    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.current: ClientRun | None = None

    async def prepare(
        self, workload: str, port: int, connections: int | None = None
    ) -> dict[str, Any]:
        chosen = BY_KEY[workload]
        if connections is not None:
            chosen = dataclasses.replace(chosen, connections=connections)
        self.current = self.adapter.client(chosen, port)
        await self.current.prepare()
        return {}

    async def run(self, duration: float, profile: str | None = None) -> dict[str, Any]:
        assert self.current is not None, "prepare first"
        profiler = cProfile.Profile() if profile else None
        cpu_start = time.process_time()
        start = clock()
        if profiler is not None:
            profiler.enable()
        tally = await self.current.run(start + duration)
        if profiler is not None:
            profiler.disable()
        wall = clock() - start
        cpu = time.process_time() - cpu_start
        if profiler is not None and profile:
            profiler.dump_stats(profile)
        if tally.count <= 0:
            raise CheckFailed("the run completed nothing")
        return {"count": tally.count, "nbytes": tally.nbytes, "wall": wall, "cpu": cpu}

    async def finish(self) -> dict[str, Any]:
        current, self.current = self.current, None
        if current is not None:
            await current.finish()
        return {}


def reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def serve_commands(role: Server | Client, describe: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    describe["loop"] = f"{type(loop).__module__}.{type(loop).__qualname__}"
    reply(describe)
    commands: dict[str, Callable[..., Any]] = {
        name: getattr(role, name)
        for name in ["listen", "usage", "stop", "prepare", "run", "finish"]
        if hasattr(role, name)
    }
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        name = command.pop("cmd")
        try:
            answer = await commands[name](**command)
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        reply(answer)
    if isinstance(role, Server):
        await role.stop()
    else:
        await role.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description="worker of benchmarks/suite.py")
    parser.add_argument("--impl", required=True, choices=sorted(ADAPTERS))
    parser.add_argument("--role", required=True, choices=["server", "client"])
    parser.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop"])
    parser.add_argument("--cpu", type=int, default=-1)
    args = parser.parse_args()

    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    module = importlib.import_module(ADAPTERS[args.impl])
    adapter = cast(Adapter, module.Adapter())
    role: Server | Client = (
        Server(adapter) if args.role == "server" else Client(adapter)
    )
    describe: dict[str, Any] = {
        "impl": args.impl,
        "python": platform.python_version(),
        **adapter.describe(),
    }
    if args.loop == "uvloop":
        # Imported by name: uvloop is only in the benchmark environments.
        uvloop = importlib.import_module("uvloop")
        loop = uvloop.new_event_loop()
        describe["uvloop"] = uvloop.__version__
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(serve_commands(role, describe))
    finally:
        loop.close()


if __name__ == "__main__":
    main()

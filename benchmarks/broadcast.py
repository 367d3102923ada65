"""
Broadcast benchmark: one message to 1,000 connections, against websockets 17.x.

Each implementation serves on loopback in its own interpreter and opens 1,000
client connections to itself, for the asyncio layer and for the threading
layer. Compression is off, as most broadcasting servers configure it: the
frame is then the same for every connection. The figure is the CPU time that
one call to ``broadcast()`` takes in its thread, in microseconds, best of
``--repeat`` calls after a few that warm up (lower is better): the call frames
the message and hands it to each connection, and never waits for a client.
Clients read every message before the next call, so that buffers stay small.
CPU time of the calling thread leaves out the threads that read on the other
side and the other processes of a busy machine.

It also leaves out writes that a broadcast hands to other threads: websockets
17.x's threading broadcast() sends from a pool of threads and waits for them,
so its calling thread barely works. ``--metric wall`` measures the time the
call takes instead, which compares such designs fairly (on a quiet machine).

    python benchmarks/broadcast.py [--layers asyncio,sync] [--connections 1000]
                                   [--repeat 20] [--rounds 2] [--metric cpu|wall]
                                   [--baseline REVISION]

websockets 17.x runs in the virtual environment ``.bench/ws17``, created on
first use with ``uv``; this project runs in the interpreter running this
script. ``--baseline`` adds this project as it was at a git revision (``main``,
``HEAD~3``, a commit), installed from ``git archive`` by
``benchmarks/_baseline.py``, to compare before and after in the same run.

"""

from __future__ import annotations

import sys


# Keep this directory out of the path of the children: a module here could
# shadow one of the standard library that the code under test imports.
del sys.path[0]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "benchmarks"))

from _baseline import ensure_baseline  # noqa: E402
from _peers import ensure_peer  # noqa: E402


MESSAGES: dict[str, str | bytes] = {
    "16 B text": "x" * 16,
    "1 KiB text": "é" * 512,
    "16 KiB binary": os.urandom(2**14),
}

OPTIONS: dict[str, Any] = {"compression": None, "ping_interval": None}

# Calls not measured before each message: the first ones after connecting are
# slower, and not for reasons that depend on the implementation.
WARM_UP = 5


# Child side: runs inside the interpreter of one implementation.


def load(implementation: str, layer: str) -> tuple[Any, Any, Any]:
    """Return ``serve``, ``connect`` and ``broadcast`` of an implementation."""
    if implementation == "ws17":
        if layer == "asyncio":
            from websockets.asyncio.client import connect
            from websockets.asyncio.server import broadcast, serve
        else:
            from websockets.sync.client import connect  # type: ignore[assignment]
            from websockets.sync.server import (  # type: ignore[assignment]
                broadcast,
                serve,
            )
    elif layer == "asyncio":
        # Earlier revisions define broadcast() in the server module; the
        # connection module gives access to it all the same.
        from ws_asyncio.client import connect
        from ws_asyncio.connection import broadcast
        from ws_asyncio.server import serve
    else:
        from ws_sync.client import connect  # type: ignore[assignment]
        from ws_sync.connection import broadcast  # type: ignore[assignment]
        from ws_sync.server import serve  # type: ignore[assignment]
    return serve, connect, broadcast


# CPU time of this thread by default: neither the threads that read on the
# other side nor the other processes of a busy machine count.
clock = time.thread_time


def time_call(function: Any, *args: Any) -> float:
    start = clock()
    function(*args)
    return clock() - start


async def measure_asyncio(
    implementation: str, connections: int, repeat: int
) -> dict[str, float]:
    serve, connect, broadcast = load(implementation, "asyncio")
    registered: list[Any] = []
    everyone = asyncio.Event()

    async def handler(connection: Any) -> None:
        registered.append(connection)
        if len(registered) == connections:
            everyone.set()
        await connection.wait_closed()

    results: dict[str, float] = {}
    async with serve(handler, "127.0.0.1", 0, **OPTIONS) as server:
        port = server.sockets[0].getsockname()[1]
        clients = [
            await connect(f"ws://127.0.0.1:{port}/", **OPTIONS)
            for _ in range(connections)
        ]
        await asyncio.wait_for(everyone.wait(), 60)
        for label, message in MESSAGES.items():
            times = []
            for _ in range(WARM_UP + repeat):
                times.append(time_call(broadcast, registered, message))
                for client in clients:
                    assert await client.recv() == message
            results[label] = min(times[WARM_UP:]) * 1e6
        for client in clients:
            await client.close()
    return results


def measure_sync(
    implementation: str, connections: int, repeat: int
) -> dict[str, float]:
    serve, connect, broadcast = load(implementation, "sync")
    registered: list[Any] = []
    everyone = threading.Event()
    lock = threading.Lock()

    def handler(connection: Any) -> None:
        with lock:
            registered.append(connection)
            if len(registered) == connections:
                everyone.set()
        for _ in connection:
            pass

    results: dict[str, float] = {}
    server = serve(handler, "127.0.0.1", 0, **OPTIONS)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        port = server.socket.getsockname()[1]
        clients = [
            connect(f"ws://127.0.0.1:{port}/", **OPTIONS) for _ in range(connections)
        ]
        assert everyone.wait(60)
        for label, message in MESSAGES.items():
            times = []
            for _ in range(WARM_UP + repeat):
                times.append(time_call(broadcast, registered, message))
                for client in clients:
                    assert client.recv(timeout=10) == message
            results[label] = min(times[WARM_UP:]) * 1e6
        for client in clients:
            client.close()
    finally:
        server.shutdown()
        thread.join()
    return results


def child(
    implementation: str, layer: str, connections: int, repeat: int, metric: str
) -> None:
    global clock
    if metric == "wall":
        clock = time.perf_counter
    if layer == "asyncio":
        results = asyncio.run(measure_asyncio(implementation, connections, repeat))
    else:
        results = measure_sync(implementation, connections, repeat)
    json.dump(results, sys.stdout)


# Parent side: prepares environments, runs the children, prints the table.


def run_child(
    python: str, implementation: str, layer: str, args: argparse.Namespace
) -> dict[str, float]:
    command = [
        python,
        __file__,
        "--child",
        implementation,
        layer,
        "--connections",
        str(args.connections),
        "--repeat",
        str(args.repeat),
        "--metric",
        args.metric,
    ]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--layers", default="asyncio,sync")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--metric", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--baseline", metavar="REVISION")
    args = parser.parse_args()

    if args.child:
        implementation, layer = args.child
        child(implementation, layer, args.connections, args.repeat, args.metric)
        return

    # Label -> (interpreter, implementation that it runs).
    runs = {
        "after": (sys.executable, "ours"),
        "websockets 17": (str(ensure_peer("ws17")), "ws17"),
    }
    if args.baseline:
        commit, baseline_python = ensure_baseline(args.baseline)
        runs["before"] = (str(baseline_python), "ours")
        print(f"before: {args.baseline} ({commit})", file=sys.stderr)

    layers = args.layers.split(",")
    best: dict[tuple[str, str], dict[str, float]] = {}
    for round_number in range(args.rounds):
        order = list(runs.items())
        if round_number % 2:
            order.reverse()
        for layer in layers:
            for label, (python, implementation) in order:
                figures = run_child(python, implementation, layer, args)
                previous = best.setdefault((label, layer), figures)
                for case, value in figures.items():
                    previous[case] = min(previous[case], value)

    labels = list(runs)
    print(
        f"broadcast to {args.connections} connections, "
        f"{'CPU' if args.metric == 'cpu' else 'wall-clock'} µs per call "
        f"(best of {args.repeat} x {args.rounds}; lower is better)"
    )
    for layer in layers:
        print(f"\n{layer}")
        header = f"{'message':<16}" + "".join(f"{label:>15}" for label in labels)
        header += "".join(
            f"{label + ' / ws17':>18}" for label in labels if label != "websockets 17"
        )
        if "before" in runs:
            header += f"{'after / before':>16}"
        print(header)
        for case in MESSAGES:
            figures = {label: best[(label, layer)][case] for label in labels}
            row = f"{case:<16}" + "".join(
                f"{figures[label]:>15,.0f}" for label in labels
            )
            theirs = figures["websockets 17"]
            row += "".join(
                f"{figures[label] / theirs:>17.2f}x"
                for label in labels
                if label != "websockets 17"
            )
            if "before" in runs:
                row += f"{figures['after'] / figures['before']:>15.2f}x"
            print(row)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    if "--child" not in sys.argv:
        print(f"\n({time.perf_counter() - start:.0f} s)", file=sys.stderr)

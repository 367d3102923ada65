"""
asyncio echo benchmark: ws_asyncio against websockets 17.x.

Each implementation serves an echo handler and connects to it on loopback, in
its own interpreter, with the standard event loop and with uvloop:

* request/response on one connection: the client sends a binary message and
  waits for the echo, for 32 B, 1 KiB, 64 KiB and 1 MiB messages;
* 100 concurrent connections doing the same with 1 KiB messages.

Compression is off, so that the figures measure the connection, not zlib; with
``--deflate`` the same workloads run with permessage-deflate on (its default
settings) and incompressible payloads.

Figures are round trips per second of CPU time of the process, which runs
both ends (higher is better): on a shared machine, CPU time is much less noisy
than wall-clock time, and it charges each implementation for all the work it
does, system calls included. Each figure is the best of ``--repeat`` runs;
implementations alternate for ``--rounds`` rounds.

    python benchmarks/asyncio_echo.py [--quick] [--deflate] [--repeat N] [--rounds N]
                                      [--baseline REVISION]

Both implementations run in virtual environments under ``.bench/``, created on
first use with ``uv``: ``ws17`` for websockets 17.x and ``ws-asyncio`` for this
project's packages (installed editable); uvloop is added to both when it
installs, and the uvloop runs are skipped otherwise. ``--baseline`` adds this
project as it was at a git revision (``main``, ``HEAD~3``, a commit), installed
from ``git archive`` by ``benchmarks/_baseline.py``, to compare before and after
in the same run.

"""

from __future__ import annotations

import sys


# benchmarks/http.py would shadow the http module of the standard library,
# which the code under test imports: keep this directory out of the path.
del sys.path[0]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "benchmarks"))

from _baseline import ensure_baseline  # noqa: E402


BENCH = ROOT / ".bench"
PACKAGES = ["ws-frames", "ws-http", "ws-deflate", "ws-asyncio"]

SIZES = [32, 2**10, 2**16, 2**20]
CONCURRENCY = 100
CONCURRENT_SIZE = 2**10


# Child side: runs inside the interpreter of one implementation.


def implementation(name: str) -> tuple[Any, Any]:
    """Return ``(serve, connect)`` of an implementation."""
    if name == "ws17":
        from websockets.asyncio.client import connect
        from websockets.asyncio.server import serve
    else:
        from ws_asyncio.client import connect
        from ws_asyncio.server import serve
    return serve, connect


async def measure(
    name: str, deflate: bool, duration: float, repeat: int
) -> dict[str, float]:
    serve, connect = implementation(name)
    compression = "deflate" if deflate else None
    options: dict[str, Any] = {
        "compression": compression,
        "max_size": 2**21,
        "ping_interval": None,
    }

    async def echo(connection: Any) -> None:
        async for message in connection:
            await connection.send(message)

    results: dict[str, float] = {}
    async with serve(echo, "127.0.0.1", 0, **options) as server:
        port = server.sockets[0].getsockname()[1]
        uri = f"ws://127.0.0.1:{port}/"

        async def round_trips(client: Any, message: bytes, deadline: float) -> int:
            count = 0
            loop = asyncio.get_running_loop()
            while loop.time() < deadline:
                # Batches of round trips keep the clock out of the figures.
                for _ in range(10):
                    await client.send(message)
                    await client.recv()
                count += 10
            return count

        async with connect(uri, **options) as client:
            for size in SIZES:
                message = os.urandom(size)
                best = 0.0
                for _ in range(repeat):
                    loop = asyncio.get_running_loop()
                    start = time.process_time()
                    count = await round_trips(client, message, loop.time() + duration)
                    best = max(best, count / (time.process_time() - start))
                results[f"{size} B"] = best

        clients = [await connect(uri, **options) for _ in range(CONCURRENCY)]
        message = os.urandom(CONCURRENT_SIZE)
        best = 0.0
        for _ in range(repeat):
            loop = asyncio.get_running_loop()
            start = time.process_time()
            deadline = loop.time() + duration
            counts = await asyncio.gather(
                *[round_trips(c, message, deadline) for c in clients]
            )
            best = max(best, sum(counts) / (time.process_time() - start))
        results[f"{CONCURRENCY} conns x {CONCURRENT_SIZE} B"] = best
        for client in clients:
            await client.close()
    return results


def child(args: argparse.Namespace) -> None:
    if args.loop == "uvloop":
        # Imported by name: uvloop is only in the benchmark environments.
        importlib.import_module("uvloop").install()
    results = asyncio.run(measure(args.child, args.deflate, args.duration, args.repeat))
    json.dump(results, sys.stdout)


# Parent side: prepares environments, runs the children, prints the table.


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def uv() -> str:
    found = shutil.which("uv") or shutil.which(
        "uv", path=str(Path(sys.executable).parent)
    )
    if found is None:  # pragma: no cover
        raise SystemExit("this benchmark needs uv to create its environments")
    return found


def ensure_venv(name: str, requirements: list[str]) -> Path:
    venv = BENCH / name
    python = python_of(venv)
    if not python.exists():
        subprocess.run([uv(), "venv", "-q", str(venv)], check=True)
        subprocess.run(
            [uv(), "pip", "install", "-q", "--python", str(python), *requirements],
            check=True,
        )
    return python


def has_uvloop(python: Path) -> bool:
    """Install uvloop in an environment if possible; tell whether it's there."""
    check = [str(python), "-c", "import uvloop"]
    if subprocess.run(check, capture_output=True).returncode == 0:
        return True
    subprocess.run(
        [uv(), "pip", "install", "-q", "--python", str(python), "uvloop"],
        capture_output=True,
    )
    return subprocess.run(check, capture_output=True).returncode == 0


def run_child(
    python: Path, name: str, loop: str, args: argparse.Namespace
) -> dict[str, float]:
    command = [
        str(python),
        __file__,
        "--child",
        name,
        "--loop",
        loop,
        "--duration",
        str(args.duration),
        "--repeat",
        str(args.repeat),
    ]
    if args.deflate:
        command.append("--deflate")
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--loop", default="asyncio", help=argparse.SUPPRESS)
    parser.add_argument("--deflate", action="store_true")
    parser.add_argument("--duration", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--baseline", metavar="REVISION")
    args = parser.parse_args()

    if args.child:
        child(args)
        return

    if args.quick:
        args.duration, args.repeat, args.rounds = 0.2, 1, 1

    pythons = {
        "ws-asyncio": ensure_venv(
            "ws-asyncio",
            [arg for p in PACKAGES for arg in ("-e", str(ROOT / "packages" / p))],
        ),
        "ws17": ensure_venv("ws17", ["websockets==17.*"]),
    }
    if args.baseline:
        commit, pythons["before"] = ensure_baseline(args.baseline)
        print(f"before: {args.baseline} ({commit})", file=sys.stderr)
    loops = ["asyncio"]
    if all(has_uvloop(python) for python in pythons.values()):
        loops.append("uvloop")
    else:
        print("uvloop isn't available: skipping the uvloop runs", file=sys.stderr)

    best: dict[tuple[str, str], dict[str, float]] = {}
    for round_number in range(args.rounds):
        for loop in loops:
            # Alternate which implementation goes first, so that neither
            # always runs on a machine that was idle, or busy, just before.
            order = list(pythons.items())
            if round_number % 2:
                order.reverse()
            for name, python in order:
                figures = run_child(python, name, loop, args)
                if args.verbose:
                    print(name, loop, json.dumps(figures), file=sys.stderr)
                previous = best.setdefault((name, loop), {})
                for case, value in figures.items():
                    previous[case] = max(previous.get(case, 0.0), value)

    compression = "permessage-deflate" if args.deflate else "no compression"
    print(f"round trips per CPU second, {compression} (higher is better)")
    for loop in loops:
        print(f"\n{loop} event loop")
        header = f"{'case':<24}{'ws-asyncio':>12}{'websockets 17':>15}{'ratio':>8}"
        if "before" in pythons:
            header += f"{'before':>12}{'ratio':>8}{'after/before':>14}"
        print(header)
        ours, theirs = best[("ws-asyncio", loop)], best[("ws17", loop)]
        for case in ours:
            row = (
                f"{case:<24}{ours[case]:>12,.0f}{theirs[case]:>15,.0f}"
                f"{ours[case] / theirs[case]:>7.2f}x"
            )
            if "before" in pythons:
                before = best[("before", loop)][case]
                row += (
                    f"{before:>12,.0f}{before / theirs[case]:>7.2f}x"
                    f"{ours[case] / before:>13.2f}x"
                )
            print(row)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    if "--child" not in sys.argv:
        print(f"\n({time.perf_counter() - start:.0f} s)", file=sys.stderr)

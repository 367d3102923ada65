"""
Legacy asyncio echo benchmark: ws_asyncio.legacy against websockets.legacy 17.x.

A legacy server echoes binary messages to a legacy client on loopback, both in
one interpreter per implementation: one connection doing request/response with
32 B, 1 KiB, 64 KiB and 1 MiB messages, then 100 concurrent connections doing
the same with 1 KiB messages. Compression is off, so that the figures measure
the protocol, not zlib.

Figures are round trips per second of CPU time of the process, which runs both
ends (higher is better), after one round trip of each size; the best of
``--repeat`` runs; implementations take turns for ``--rounds`` rounds, in
alternating order.

    python benchmarks/legacy_echo.py [--quick] [--previous PATH]

``--previous PATH`` adds another checkout of this repository, for example the
parent commit, as a third implementation: the figures of this checkout and of
that one against websockets come from the same run.

Each implementation has its virtual environment under ``.bench/``:
``ws-asyncio`` for this checkout (editable), ``ws17`` for websockets 17.x and
``legacy-previous`` for ``--previous``, installed from a copy of its
``packages/`` taken under ``.bench/`` so that building never writes to PATH.

"""

from __future__ import annotations

import sys


# The directory of this script comes first on sys.path, where a benchmark
# module could shadow a module of the standard library: take it out.
del sys.path[0]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"
PACKAGES = ["ws-frames", "ws-http", "ws-deflate", "ws-asyncio"]

SIZES = [32, 2**10, 2**16, 2**20]
CONNECTIONS = 100
CONNECTION_SIZE = 2**10


# In the interpreter of one implementation.


def legacy_api(implementation: str) -> tuple[Any, Any]:
    """Return the legacy ``serve`` and ``connect`` of an implementation."""
    if implementation == "ws17":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from websockets.legacy.client import connect
            from websockets.legacy.server import serve
    else:
        from ws_asyncio.legacy.client import connect
        from ws_asyncio.legacy.server import serve
    return serve, connect


async def exchange(websocket: Any, message: bytes, deadline: float) -> int:
    """Do round trips until ``deadline``; return how many."""
    loop = asyncio.get_running_loop()
    done = 0
    while loop.time() < deadline:
        # Reading the clock once per ten round trips keeps it out of the cost.
        for _ in range(10):
            await websocket.send(message)
            await websocket.recv()
        done += 10
    return done


async def per_cpu_second(
    websockets: list[Any], message: bytes, duration: float, repeat: int
) -> float:
    """Best rate of round trips per CPU second over ``repeat`` runs."""
    loop = asyncio.get_running_loop()
    best = 0.0
    for _ in range(repeat):
        started = time.process_time()
        deadline = loop.time() + duration
        counts = await asyncio.gather(
            *[exchange(websocket, message, deadline) for websocket in websockets]
        )
        best = max(best, sum(counts) / (time.process_time() - started))
    return best


async def measure(
    implementation: str, duration: float, repeat: int
) -> dict[str, float]:
    serve, connect = legacy_api(implementation)
    options: dict[str, Any] = {
        "compression": None,
        "max_size": 2**21,
        "ping_interval": None,
    }

    async def echo(websocket: Any) -> None:
        async for message in websocket:
            await websocket.send(message)

    figures: dict[str, float] = {}
    server = await serve(echo, "127.0.0.1", 0, **options)
    try:
        port = list(server.sockets)[0].getsockname()[1]
        uri = f"ws://127.0.0.1:{port}/"

        client = await connect(uri, **options)
        # One round trip of each size first, so that every figure is taken
        # in the steady state of the process, whatever ran before: the C
        # allocator, for one, serves buffers of the size of what the event
        # loop reads (256 KiB) with a system call each until a large block is
        # freed, which the 1 MiB round trip does.
        for size in SIZES:
            await client.send(os.urandom(size))
            await client.recv()
        for size in SIZES:
            figures[f"{size} B"] = await per_cpu_second(
                [client], os.urandom(size), duration, repeat
            )
        await client.close()

        clients = [await connect(uri, **options) for _ in range(CONNECTIONS)]
        figures[f"{CONNECTIONS} conns x {CONNECTION_SIZE} B"] = await per_cpu_second(
            clients, os.urandom(CONNECTION_SIZE), duration, repeat
        )
        await asyncio.gather(*[client.close() for client in clients])
    finally:
        server.close()
        await server.wait_closed()
    return figures


# In the interpreter that runs the benchmark.


def find_uv() -> str:
    found = shutil.which("uv") or shutil.which(
        "uv", path=str(Path(sys.executable).parent)
    )
    if found is None:  # pragma: no cover
        raise SystemExit("this benchmark needs uv to create its environments")
    return found


def interpreter(venv: Path) -> Path:
    return venv / "bin" / "python"


def make_venv(venv: Path, requirements: list[str]) -> Path:
    """Create a virtual environment with ``requirements`` unless it exists."""
    python = interpreter(venv)
    if not python.exists():
        uv = find_uv()
        subprocess.run([uv, "venv", "-q", str(venv)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), *requirements],
            check=True,
        )
    return python


def editable(packages: Path) -> list[str]:
    return [arg for name in PACKAGES for arg in ("-e", str(packages / name))]


def fingerprint(packages: Path) -> str:
    """Digest of the sources of the packages, to tell when a copy is stale."""
    digest = hashlib.sha256()
    for name in PACKAGES:
        for path in sorted((packages / name).rglob("*")):
            if path.suffix in {".py", ".c", ".toml"} and path.is_file():
                digest.update(str(path.relative_to(packages)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def previous_venv(checkout: Path) -> Path:
    """Environment running the packages of another checkout, from a copy."""
    source = checkout / "packages"
    if not source.is_dir():
        raise SystemExit(f"{checkout} has no packages/ directory")
    copy = BENCH / "legacy-previous-src"
    venv = BENCH / "legacy-previous"
    stamp = BENCH / "legacy-previous.stamp"
    wanted = fingerprint(source)
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(venv, ignore_errors=True)
        shutil.copytree(
            source,
            copy,
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "dist", "build"),
        )
        make_venv(venv, editable(copy))
        stamp.write_text(wanted)
    return interpreter(venv)


def run_child(python: Path, implementation: str, args: argparse.Namespace) -> Any:
    command = [
        str(python),
        __file__,
        "--child",
        implementation,
        "--duration",
        str(args.duration),
        "--repeat",
        str(args.repeat),
    ]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def report(best: dict[str, dict[str, float]]) -> None:
    names = [name for name in ("ws-asyncio", "previous") if name in best]
    theirs = best["ws17"]
    print("legacy API, round trips per CPU second, no compression (higher is better)")
    header = f"{'case':<24}" + "".join(f"{name:>14}" for name in [*names, "ws17"])
    header += "".join(f"{'ratio ' + name:>20}" for name in names)
    print(header)
    for case, reference in theirs.items():
        line = f"{case:<24}"
        line += "".join(f"{best[name][case]:>14,.0f}" for name in names)
        line += f"{reference:>14,.0f}"
        line += "".join(f"{best[name][case] / reference:>19.2f}x" for name in names)
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--previous", type=Path, metavar="PATH")
    parser.add_argument("--duration", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    if args.child:
        figures = asyncio.run(measure(args.child, args.duration, args.repeat))
        json.dump(figures, sys.stdout)
        return

    if args.quick:
        args.duration, args.repeat, args.rounds = 0.2, 1, 1

    pythons = {
        "ws-asyncio": make_venv(BENCH / "ws-asyncio", editable(ROOT / "packages")),
        "ws17": make_venv(BENCH / "ws17", ["websockets==17.*"]),
    }
    if args.previous is not None:
        pythons["previous"] = previous_venv(args.previous.resolve())

    best: dict[str, dict[str, float]] = {}
    for number in range(args.rounds):
        order = list(pythons.items())
        if number % 2:
            order.reverse()
        for name, python in order:
            figures = run_child(python, name, args)
            if args.verbose:
                print(name, json.dumps(figures), file=sys.stderr)
            kept = best.setdefault(name, {})
            for case, value in figures.items():
                kept[case] = max(kept.get(case, 0.0), value)
    report(best)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    if "--child" not in sys.argv:
        print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)

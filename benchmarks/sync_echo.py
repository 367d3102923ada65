"""
Threading echo benchmark: ws_sync against websockets 17.x.

Each implementation serves an echo handler and connects to it on loopback, in
its own interpreter: the client sends a binary message and waits for the echo,
for 32 B and 64 KiB messages (``--sizes`` changes the list). Compression is
off by default, so that the figures measure the connection, not zlib;
``--deflate`` turns permessage-deflate on, with incompressible payloads.

Figures are round trips per second, of CPU time of the process, which runs
both ends (higher is better), and of wall-clock time. On a shared machine, CPU
time is much less noisy than wall-clock time, and it charges each
implementation for all the work it does, system calls and thread switches
included. Each figure is the best of ``--repeat`` runs; implementations
alternate for ``--rounds`` rounds.

    python benchmarks/sync_echo.py [--quick] [--deflate] [--sizes 32,65536]
                                   [--baseline REVISION]

websockets 17.x runs in the virtual environment ``.bench/ws17``, created on
first use with ``uv``; this project runs in the interpreter running this
script, which must have ws-sync installed. ``--baseline`` adds this project as
it was at a git revision (``main``, ``HEAD~3``, a commit), installed from
``git archive`` by ``benchmarks/_baseline.py``, to compare before and after in
the same run.

"""

from __future__ import annotations

import sys


# benchmarks/http.py would shadow the http module of the standard library,
# which the code under test imports: keep this directory out of the path.
del sys.path[0]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _baseline import ensure_baseline  # noqa: E402
from _peers import ensure_peer  # noqa: E402


DEFAULT_SIZES = [32, 2**16]


# Child side: runs inside the interpreter of one implementation.


def load(implementation: str) -> tuple[Any, Any]:
    """Return the ``serve`` and ``connect`` functions of an implementation."""
    if implementation == "ws_sync":
        from ws_sync.client import connect
        from ws_sync.server import serve
    else:
        from websockets.sync.client import connect
        from websockets.sync.server import serve
    return serve, connect


def child(implementation: str, size: int, count: int, deflate: bool) -> None:
    serve, connect = load(implementation)
    compression = "deflate" if deflate else None

    def echo(websocket: Any) -> None:
        for message in websocket:
            websocket.send(message)

    server = serve(
        echo,
        "127.0.0.1",
        0,
        compression=compression,
        ping_interval=None,
        max_size=None,
    )
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    port = server.socket.getsockname()[1]
    payload = os.urandom(size)
    try:
        with connect(
            f"ws://127.0.0.1:{port}/",
            compression=compression,
            ping_interval=None,
            max_size=None,
        ) as websocket:
            # Warm up.
            for _ in range(min(count // 10, 100)):
                websocket.send(payload)
                websocket.recv()
            cpu_start = time.process_time()
            wall_start = time.perf_counter()
            for _ in range(count):
                websocket.send(payload)
                received = websocket.recv()
            cpu = time.process_time() - cpu_start
            wall = time.perf_counter() - wall_start
            assert received == payload
    finally:
        server.shutdown()
        thread.join()
    print(json.dumps({"cpu": count / cpu, "wall": count / wall}))


# Parent side: runs the children and compares them.


def count_for(size: int, quick: bool) -> int:
    count = 20_000 if size <= 2**10 else 2_000 if size <= 2**16 else 200
    return count // 10 if quick else count


def measure(
    python: str, implementation: str, size: int, count: int, deflate: bool
) -> dict[str, float]:
    args = [python, __file__, "--child", implementation, str(size), str(count)]
    if deflate:
        args.append("--deflate")
    env = dict(os.environ)
    # Keep environment variables that change behavior out of the comparison.
    for name in ["http_proxy", "https_proxy", "all_proxy"]:
        env.pop(name, None)
        env.pop(name.upper(), None)
    result = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=3, metavar=("IMPL", "SIZE", "COUNT"))
    parser.add_argument("--deflate", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--sizes", default=",".join(str(size) for size in DEFAULT_SIZES)
    )
    parser.add_argument("--baseline", metavar="REVISION")
    options = parser.parse_args()

    if options.child:
        implementation, size, count = options.child
        child(implementation, int(size), int(count), options.deflate)
        return

    # Label -> (interpreter, implementation that it runs).
    runs = {
        "ws_sync": (sys.executable, "ws_sync"),
        "websockets": (str(ensure_peer("ws17")), "websockets"),
    }
    if options.baseline:
        commit, baseline_python = ensure_baseline(options.baseline)
        runs["before"] = (str(baseline_python), "ws_sync")
        print(f"before: {options.baseline} ({commit})", file=sys.stderr)
    sizes = [int(size) for size in options.sizes.split(",")]
    best: dict[tuple[str, int], dict[str, float]] = {}
    for _ in range(options.rounds):
        for size in sizes:
            count = count_for(size, options.quick)
            for _ in range(options.repeat):
                for label, (python, implementation) in runs.items():
                    figures = measure(
                        python, implementation, size, count, options.deflate
                    )
                    key = (label, size)
                    previous = best.setdefault(key, figures)
                    for metric in ["cpu", "wall"]:
                        previous[metric] = max(previous[metric], figures[metric])

    mode = "permessage-deflate" if options.deflate else "no compression"
    print(f"sync echo, round trips per second ({mode}; higher is better)")
    header = (
        f"{'size':>8}  {'metric':>6}  {'ws_sync':>10}  {'websockets':>10}  {'ratio':>6}"
    )
    if "before" in runs:
        header += f"  {'before':>10}  {'ratio':>6}  {'after/before':>12}"
    print(header)
    for size in sizes:
        for metric in ["cpu", "wall"]:
            ours = best[("ws_sync", size)][metric]
            theirs = best[("websockets", size)][metric]
            row = (
                f"{size:>8}  {metric:>6}  {ours:>10.0f}  {theirs:>10.0f}"
                f"  {ours / theirs:>6.2f}"
            )
            if "before" in runs:
                before = best[("before", size)][metric]
                row += (
                    f"  {before:>10.0f}  {before / theirs:>6.2f}"
                    f"  {ours / before:>12.2f}"
                )
            print(row)


if __name__ == "__main__":
    main()

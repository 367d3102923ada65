"""
Import time of ``import websockets``: this project against websockets 17.x.

Each interpreter imports ``websockets`` in a fresh process, many times; the
figure is the best time minus the best time of an empty interpreter, so that
interpreter start-up doesn't count. Both are measured in the same run.

    python benchmarks/import_time.py [--peer PYTHON] [--runs N]

``--peer`` is a Python whose ``websockets`` is the incumbent, installed in its
own virtual environment since it has the same import name as our meta-package;
by default the one of ``.bench/ws17``, created on first use (see ``_peers.py``).

"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from _peers import ensure_peer  # noqa: E402


def best_of(python: str, code: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([python, "-c", code], check=True)
        best = min(best, time.perf_counter() - start)
    return best


def import_cost(python: str, runs: int) -> tuple[float, str]:
    version = subprocess.run(
        [python, "-c", "import websockets; print(websockets.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    empty = best_of(python, "pass", runs)
    full = best_of(python, "import websockets", runs)
    return full - empty, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--peer", default=None)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    ours, our_version = import_cost(sys.executable, args.runs)
    peer = args.peer or str(ensure_peer("ws17"))
    theirs, their_version = import_cost(peer, args.runs)
    print(f"import websockets, best of {args.runs}, interpreter start-up excluded")
    print(f"  ours    ({our_version}): {ours * 1000:7.2f} ms")
    print(f"  websockets {their_version}: {theirs * 1000:7.2f} ms")
    print(f"  ratio (theirs / ours): {theirs / ours:.2f}x")


if __name__ == "__main__":
    main()

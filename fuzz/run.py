"""
Run the fuzz targets, one after the other, each in its own process::

    python -m fuzz.run [--seconds N] [TARGET ...]

The frame decoder runs twice: with the compiled speed-up of ws_frames and
with its pure-Python fallback. Each run starts from the seeds checked in under
``fuzz/corpus/TARGET`` and from what earlier runs found, kept in
``build/fuzz/corpus/TARGET``; an input that fails a check is saved in
``build/fuzz/artifacts`` and the run stops with a non-zero status.

"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from fuzz.engine import TARGETS


ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "corpus"
WORK = ROOT / "build" / "fuzz"


def runs(target: str) -> list[tuple[str, str, dict[str, str]]]:
    """Name, target and extra environment of each run of ``target``."""
    if target == "frames":
        return [
            ("frames", target, {}),
            ("frames (pure Python)", target, {"WS_FUZZ_PURE_PYTHON": "1"}),
        ]
    return [(target, target, {})]


def fuzz(name: str, target: str, env: dict[str, str], seconds: int) -> bool:
    corpus = WORK / "corpus" / target
    artifacts = WORK / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "fuzz.engine",
        target,
        str(corpus),
        str(SEEDS / target),
        f"-max_total_time={seconds}",
        "-timeout=30",
        "-rss_limit_mb=2048",
        "-max_len=4096",
        f"-artifact_prefix={artifacts}/{target}-",
        "-print_final_stats=1",
    ]
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        errors="replace",
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    done = re.search(r"Done (\d+) runs", output)
    count = done.group(1) if done else "?"
    status = "ok" if result.returncode == 0 else f"FAILED ({result.returncode})"
    print(f"{name:22} {count:>9} inputs in {elapsed:5.1f}s  {status}", flush=True)
    if result.returncode != 0:
        # Leave out libFuzzer's progress lines: the traceback is what matters.
        lines = [line for line in output.splitlines() if not line.startswith("#")]
        print("\n".join(lines[-80:]), flush=True)
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--seconds", type=int, default=3, help="per run")
    parser.add_argument("targets", nargs="*", help=f"among {', '.join(TARGETS)}")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    started = time.monotonic()
    ok = True
    for target in args.targets or TARGETS:
        for name, module, env in runs(target):
            ok = fuzz(name, module, env, args.seconds) and ok
    print(f"fuzzing took {time.monotonic() - started:.1f}s", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

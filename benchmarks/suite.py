"""
The benchmark suite: this project against websockets 17.x, picows and aiohttp,
on the standard event loop and on uvloop, in one run.

    hatch run bench:all [--quick] [--only KEY,...] [--json PATH] [--previous PATH]

Every implementation runs in its own interpreter and both ends of each
measurement run the same implementation: a server process pinned to CPU 0 and
a client process pinned to CPU 1 (see ``_worker.py``). "ours" runs from this
checkout, in the interpreter running this script (the ``bench`` environment);
websockets 17.x, picows and aiohttp run in virtual environments under
``.bench/``, created on first use, with uvloop. ``--previous PATH`` adds this
project as found in another checkout, installed in ``.bench/previous-*``, so
that before and after figures come from one run.

What is measured (the workloads are listed in ``_workloads.py``):

* Throughput, by default per CPU second of the client and the server
  together: the machine is shared, and CPU time is much less disturbed by
  other processes than wall-clock time, while it charges each implementation
  for all its work, system calls included. ``--metric wall`` uses wall-clock
  time instead (meaningful on an idle machine only). Both are recorded in the
  JSON output.
* "client masks 1 MiB messages": payload bytes per second of the client's CPU
  time, the client streaming 1 MiB messages to the server.
* Memory per idle connection: the growth of the server process's resident set
  size (RSS) per connection, with ``--connections`` (1,000) connections open,
  in a fresh server process. RSS, not tracemalloc: tracemalloc only sees
  Python's allocators, while uvloop, libuv and Cython extensions allocate with
  malloc; RSS is what the machine actually pays, for every implementation.
* CPU time per connection (open + close, client + server), from the open +
  close workload, and for bare TCP with a raw asyncio protocol.

Each figure is the median of ``--rounds`` rounds (5) of ``--duration``
seconds (0.8) per run. In each round, every implementation runs every workload
once; the order of the implementations reverses from one round to the next. A
ratio is the median of the per-round ratios against websockets 17.x, whose
run is the closest in time. Each worker's first run of a workload is a
warm-up, not counted. Memory, which varies by less than 1% from one round to
the next, is measured in ``--memory-rounds`` (3) of the rounds.

Every run checks what it receives (each echo against what was sent, each
streamed message against the payload, the counts, the closing handshakes) and
ends by itself: a worker that doesn't answer in time is killed and its
measurement reported as failed. ``--profile DIR`` adds one run of "ours" per
workload under cProfile, on both sides, and writes the statistics there.

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
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import selectors  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from _peers import BENCH, ROOT, ensure_peer  # noqa: E402
from _workloads import BY_KEY, WORKLOADS, Workload, supported  # noqa: E402


WORKER = Path(__file__).resolve().parent / "_worker.py"
BASELINE = "ws17"
SHOWN = ["ours", "previous", "picows", "aiohttp"]
"""Implementations that get a column, in this order."""
NAMES = {
    "ours": "ours",
    "previous": "prev",
    "ws17": "ws17",
    "picows": "picows",
    "aiohttp": "aiohttp",
    "raw": "bare TCP",
}
SERVER_CPU, CLIENT_CPU = 0, 1


class Failure(Exception):
    """A measurement didn't complete."""


# Processes.


def worker_environment() -> dict[str, str]:
    env = dict(os.environ)
    # Clients of some implementations honour proxy settings; loopback only.
    for name in ["http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy"]:
        env.pop(name, None)
        env.pop(name.upper(), None)
    return env


class Worker:
    """One worker process, driven with JSON lines, every answer awaited with a timeout."""

    def __init__(
        self, python: str, impl: str, role: str, loop: str, cpu: int, tag: str = ""
    ) -> None:
        self.label = f"{impl}-{loop}-{role}{tag}"
        logs = BENCH / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log = logs / f"{self.label}.log"
        command = [python, str(WORKER), "--impl", impl, "--role", role, "--loop", loop]
        if cpu >= 0:
            command += ["--cpu", str(cpu)]
        with open(self.log, "wb") as stderr:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=worker_environment(),
            )
        self.buffer = b""
        try:
            self.describe: dict[str, Any] = self.read(120)
        except Failure:
            self.kill()
            raise

    def read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise Failure(f"{self.label}: no answer in {timeout:.0f} s")
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise Failure(f"{self.label} exited; see {self.log}")
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise Failure(f"{self.label}: {answer['error']}")
        return answer

    def ask(self, timeout: float, cmd: str, **arguments: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(
                json.dumps({"cmd": cmd, **arguments}).encode() + b"\n"
            )
            self.process.stdin.flush()
        except BrokenPipeError:
            raise Failure(f"{self.label} exited; see {self.log}")
        return self.read(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.close()

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


@dataclasses.dataclass
class Implementation:
    name: str
    python: str
    loops: list[str]


class Pair:
    """The server and client workers of one implementation on one loop."""

    def __init__(self, impl: Implementation, loop: str) -> None:
        self.impl = impl
        self.loop = loop
        self.server: Worker | None = None
        self.client: Worker | None = None
        self.warm: set[str] = set()

    def start(self) -> tuple[Worker, Worker]:
        if self.server is None or self.client is None:
            self.stop()
            self.server = self.spawn("server", SERVER_CPU)
            self.client = self.spawn("client", CLIENT_CPU)
            self.warm = set()
        return self.server, self.client

    def spawn(self, role: str, cpu: int, tag: str = "") -> Worker:
        worker = Worker(self.impl.python, self.impl.name, role, self.loop, cpu, tag)
        check_origin(self.impl.name, worker.describe)
        return worker

    def stop(self) -> None:
        for worker in (self.server, self.client):
            if worker is not None:
                worker.close()
        self.server = self.client = None


def check_origin(impl: str, describe: dict[str, Any]) -> None:
    """Make sure that "ours" runs this checkout's code, and websockets doesn't."""
    module = describe.get("module")
    if module is None:
        return
    here = Path(module).resolve().is_relative_to(ROOT / "packages")
    if here != (impl == "ours"):
        raise SystemExit(f"{impl} runs the websockets module at {module}")


# Measurements.


def run_once(
    pair: Pair, workload: Workload, duration: float, profile: Path | None = None
) -> dict[str, Any]:
    """One timed run of a throughput workload; returns its raw figures."""
    server, client = pair.start()
    timeout = duration + 120
    if workload.serverless:
        client.ask(60, "prepare", workload=workload.key, port=0)
        result = client.ask(
            timeout, "run", duration=duration, profile=str(profile or "")
        )
        client.ask(60, "finish")
        result["server_cpu"] = 0.0
        return result
    port = server.ask(60, "listen", workload=workload.key)["port"]
    try:
        client.ask(120, "prepare", workload=workload.key, port=port)
        server_profile = str(profile.with_suffix(".server.pstats")) if profile else None
        before = server.ask(60, "usage", profile="start" if profile else None)
        client_profile = str(profile.with_suffix(".client.pstats")) if profile else ""
        result = client.ask(timeout, "run", duration=duration, profile=client_profile)
        after = server.ask(60, "usage", profile=server_profile)
        client.ask(120, "finish")
    finally:
        stopped = server.ask(60, "stop")
    if stopped["errors"]:
        raise Failure(f"server: {stopped['errors'][0]}")
    result["server_cpu"] = after["cpu"] - before["cpu"]
    return result


def measure_memory(pair: Pair, workload: Workload, connections: int) -> dict[str, Any]:
    """
    Growth of a fresh server's resident memory per idle connection.

    Both processes are new, and killed once the figure is read: closing a
    thousand connections would take as long as opening them, for nothing.

    """
    server = pair.spawn("server", SERVER_CPU, "-memory")
    client = pair.spawn("client", CLIENT_CPU, "-memory")
    try:
        port = server.ask(60, "listen", workload=workload.key)["port"]
        # Warm up: the first connections load code and fill caches that
        # every later connection shares.
        client.ask(60, "prepare", workload=workload.key, port=port, connections=10)
        client.ask(60, "run", duration=0.0)
        client.ask(60, "finish")
        before = wait_for_live(server, 0)
        client.ask(
            60, "prepare", workload=workload.key, port=port, connections=connections
        )
        opened = client.ask(300, "run", duration=0.0)
        after = wait_for_live(server, connections)
    finally:
        server.kill()
        client.kill()
    if opened["count"] != connections:
        raise Failure(f"opened {opened['count']} connections")
    return {
        "bytes_per_connection": (after["rss"] - before["rss"]) / connections,
        "connections": connections,
    }


def wait_for_live(server: Worker, live: int) -> dict[str, Any]:
    """Wait until the server counts ``live`` open connections."""
    deadline = time.monotonic() + 30
    while True:
        usage = server.ask(60, "usage", collect=True)
        if usage["live"] == live:
            return usage
        if time.monotonic() > deadline:
            raise Failure(f"the server has {usage['live']} connections, not {live}")
        time.sleep(0.05)


# Environments.


def has_module(python: str, module: str) -> bool:
    check = [python, "-c", f"import {module}"]
    return subprocess.run(check, capture_output=True).returncode == 0


def uv() -> str:
    found = shutil.which("uv") or shutil.which(
        "uv", path=str(Path(sys.executable).parent)
    )
    if found is None:
        raise SystemExit("the suite needs uv to create its environments")
    return found


def ensure_uvloop(python: str) -> bool:
    if not has_module(python, "uvloop"):
        subprocess.run(
            [uv(), "pip", "install", "-q", "--python", python, "uvloop>=0.21"],
            capture_output=True,
        )
    return has_module(python, "uvloop")


def checkout_fingerprint(path: Path) -> str:
    """Identify the state of a checkout: its commit and uncommitted changes."""
    digest = hashlib.sha256()
    for command in (["rev-parse", "HEAD"], ["diff", "HEAD"]):
        result = subprocess.run(["git", "-C", str(path), *command], capture_output=True)
        digest.update(result.stdout)
    if not digest.digest():  # pragma: no cover
        digest.update(str(time.time()).encode())
    return digest.hexdigest()


def ensure_previous(path: Path) -> str:
    """Install the packages of another checkout in a venv under .bench/."""
    path = path.resolve()
    packages = sorted(
        p.name for p in (path / "packages").iterdir() if (p / "pyproject.toml").exists()
    )
    if not packages:
        raise SystemExit(f"{path} has no packages/*/pyproject.toml")
    tag = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    venv = BENCH / f"previous-{path.name}-{tag}"
    python = venv / "bin" / "python"
    stamp = venv / "checkout.sha256"
    fingerprint = checkout_fingerprint(path)
    if python.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return str(python)
    print(f"installing the packages of {path} in {venv}", file=sys.stderr)
    subprocess.run([uv(), "venv", "-q", "--allow-existing", str(venv)], check=True)
    # Build from a copy: building writes next to the sources (compiled
    # modules, caches), and the other checkout isn't ours to write to.
    with tempfile.TemporaryDirectory() as copy:
        ignore = shutil.ignore_patterns(
            "__pycache__", "*.so", "*.pyd", "build", "dist", "*.egg-info"
        )
        shutil.copytree(path / "packages", Path(copy) / "packages", ignore=ignore)
        subprocess.run(
            [uv(), "pip", "install", "-q", "--reinstall", "--python", str(python)]
            + [str(Path(copy) / "packages" / name) for name in packages]
            + ["uvloop>=0.21"],
            check=True,
        )
    stamp.write_text(fingerprint)
    return str(python)


def implementations(args: argparse.Namespace) -> list[Implementation]:
    loops = ["asyncio"] if args.no_uvloop else ["asyncio", "uvloop"]
    pythons: dict[str, str] = {}
    if not has_module(sys.executable, "ws_asyncio"):
        raise SystemExit("run the suite in the bench environment: hatch run bench:all")
    for name in args.impls:
        try:
            if name in ("ours", "raw"):
                pythons[name] = sys.executable
            elif name == "previous":
                if args.previous is not None:
                    pythons[name] = ensure_previous(Path(args.previous))
            else:
                pythons[name] = str(ensure_peer(name))
        except (OSError, subprocess.CalledProcessError) as exc:
            if name == BASELINE:
                raise
            print(f"{name} is not available ({exc}): n/a", file=sys.stderr)
    result = []
    for name, python in pythons.items():
        usable = [loop for loop in loops if loop == "asyncio" or ensure_uvloop(python)]
        result.append(Implementation(name, python, usable))
    return result


# Scheduling.


@dataclasses.dataclass
class Sample:
    workload: str
    impl: str
    loop: str
    round: int
    figures: dict[str, Any]


def primary(workload: Workload, figures: dict[str, Any], metric: str) -> float:
    """The figure that the ratios compare, for one sample."""
    if workload.memory:
        return float(figures["bytes_per_connection"])
    if workload.client_cpu or workload.serverless:
        return float(figures["nbytes"]) / float(figures["cpu"])
    if metric == "wall":
        return float(figures["count"]) / float(figures["wall"])
    return float(figures["count"]) / float(figures["cpu"] + figures["server_cpu"])


def schedule(
    args: argparse.Namespace, impls: list[Implementation]
) -> Iterator[tuple[int, Workload, str, Implementation]]:
    """Every measurement of the run, in order: round, workload, loop, implementation."""
    memory_rounds = spread(min(args.memory_rounds, args.rounds), args.rounds)
    for number in range(args.rounds):
        for workload in (BY_KEY[key] for key in args.only):
            if workload.memory and number not in memory_rounds:
                continue
            for loop in workload.loops:
                order = [
                    impl
                    for impl in impls
                    if loop in impl.loops and supported(impl.name, workload)
                ]
                # Alternate, so that no implementation always runs first.
                if number % 2:
                    order.reverse()
                for impl in order:
                    yield number, workload, loop, impl


def run_suite(
    args: argparse.Namespace,
) -> tuple[list[Sample], list[str], dict[str, Any]]:
    impls = implementations(args)
    pairs = {
        (impl.name, loop): Pair(impl, loop) for impl in impls for loop in impl.loops
    }
    samples: list[Sample] = []
    failures: list[str] = []
    describe: dict[str, Any] = {}
    started = time.monotonic()
    current = 0
    try:
        for number, workload, loop, impl in schedule(args, impls):
            if number != current:
                report_progress(current, args.rounds, started)
                current = number
            pair = pairs[(impl.name, loop)]
            began = time.monotonic()
            try:
                figures = measure(args, pair, workload)
            except Failure as exc:
                failures.append(f"{workload.key} {impl.name} {loop}: {exc}")
                print(f"  failed: {failures[-1]}", file=sys.stderr)
                pair.stop()
                continue
            figures["seconds"] = time.monotonic() - began
            samples.append(Sample(workload.key, impl.name, loop, number, figures))
            if pair.client is not None:
                describe.setdefault(f"{impl.name}-{loop}", pair.client.describe)
            if args.verbose:
                figure = primary(workload, figures, args.metric)
                print(
                    f"  round {number + 1} {workload.key:<16} {impl.name:<8} {loop:<7}"
                    f" {figure:>14,.1f} ({figures['seconds']:.1f} s)",
                    file=sys.stderr,
                )
        report_progress(current, args.rounds, started)
        if args.profile is not None:
            profile_ours(args, pairs)
    finally:
        for pair in pairs.values():
            pair.stop()
    return samples, failures, describe


def report_progress(number: int, rounds: int, started: float) -> None:
    elapsed = time.monotonic() - started
    print(f"round {number + 1}/{rounds} done ({elapsed:.0f} s)", file=sys.stderr)


def spread(count: int, total: int) -> set[int]:
    """``count`` round numbers spread evenly over ``total`` rounds."""
    if count <= 1:
        return {0}
    return {round(i * (total - 1) / (count - 1)) for i in range(count)}


def measure(args: argparse.Namespace, pair: Pair, workload: Workload) -> dict[str, Any]:
    if workload.memory:
        return measure_memory(pair, workload, args.connections)
    if workload.key not in pair.warm:
        run_once(pair, workload, max(args.duration / 4, 0.05))
        pair.warm.add(workload.key)
    return run_once(pair, workload, args.duration)


def profile_ours(args: argparse.Namespace, pairs: dict[tuple[str, str], Pair]) -> None:
    """One more run of ours per workload and loop, under cProfile on both sides."""
    directory = Path(args.profile)
    directory.mkdir(parents=True, exist_ok=True)
    for workload in (BY_KEY[key] for key in args.only):
        if workload.memory or workload.reference:
            continue
        for loop in workload.loops:
            pair = pairs.get(("ours", loop))
            if pair is None:
                continue
            path = directory / f"{workload.key}-{loop}.pstats"
            try:
                run_once(pair, workload, args.duration, profile=path)
            except Failure as exc:
                print(f"  profiling failed: {exc}", file=sys.stderr)
                pair.stop()
            else:
                print(f"profiles: {path.with_suffix('.*.pstats')}", file=sys.stderr)


# Analysis.


def summarize(samples: list[Sample], metric: str) -> dict[str, Any]:
    """Medians per implementation and medians of per-round ratios to the baseline."""
    by_cell: dict[tuple[str, str, str], dict[int, float]] = {}
    for sample in samples:
        workload = BY_KEY[sample.workload]
        cell = by_cell.setdefault((sample.workload, sample.loop, sample.impl), {})
        cell[sample.round] = primary(workload, sample.figures, metric)
    summary: dict[str, Any] = {}
    for (key, loop, impl), values in by_cell.items():
        workload = BY_KEY[key]
        # The reference row compares the raw protocol with websockets' echo.
        base_key = "echo-32" if workload.reference else key
        baseline = by_cell.get((base_key, loop, BASELINE), {})
        ratios = [value / baseline[n] for n, value in values.items() if baseline.get(n)]
        summary.setdefault(key, {}).setdefault(loop, {})[impl] = {
            "median": statistics.median(values.values()),
            "values": [values[n] for n in sorted(values)],
            "ratio": statistics.median(ratios) if ratios else None,
            "ratios": ratios,
        }
    return summary


def handshake_costs(samples: list[Sample]) -> dict[str, dict[str, dict[str, float]]]:
    """CPU microseconds per connection opened and closed, by loop and implementation."""
    costs: dict[str, dict[str, dict[str, list[float]]]] = {}
    for sample in samples:
        if sample.workload != "open-close":
            continue
        count = sample.figures["count"]
        cell = costs.setdefault(sample.loop, {}).setdefault(
            sample.impl, {"client": [], "server": []}
        )
        cell["client"].append(sample.figures["cpu"] / count * 1e6)
        cell["server"].append(sample.figures["server_cpu"] / count * 1e6)
    return {
        loop: {
            impl: {
                "client": statistics.median(cell["client"]),
                "server": statistics.median(cell["server"]),
                "total": statistics.median(
                    c + s for c, s in zip(cell["client"], cell["server"], strict=True)
                ),
            }
            for impl, cell in impls.items()
        }
        for loop, impls in costs.items()
    }


def misses(workload: Workload, loop: str, cells: dict[str, Any]) -> bool | None:
    """Whether ours misses its target on a loop; None when there's no target."""
    target = workload.target.stdlib if loop == "asyncio" else workload.target.uvloop
    ours: float | None = cells.get("ours", {}).get("ratio")
    if target is None or ours is None:
        return None
    if target == "picows":
        picows: float | None = cells.get("picows", {}).get("ratio")
        return None if picows is None else ours < picows
    assert isinstance(target, float)
    return ours > target if workload.target.lower_is_better else ours < target


# Output.


def human(value: float, unit: str) -> str:
    if unit == "KiB":
        return f"{value / 1024:.1f} KiB"
    if unit == "MB/s":
        return f"{value / 1e6:,.0f} MB/s"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.1f}{suffix}/s"
    return f"{value:.0f}/s"


def render(
    summary: dict[str, Any],
    samples: list[Sample],
    describe: dict[str, Any],
    args: argparse.Namespace,
) -> str:
    version = describe.get(f"{BASELINE}-asyncio", {}).get("version", "17.x")
    basis = (
        "wall-clock second" if args.metric == "wall" else "CPU second (client + server)"
    )
    lines = [
        f"Ratios against websockets {version} in the same run, medians of {args.rounds}"
        " round(s).",
        f"Throughput per {basis}: higher is better. Memory: lower is better.",
        "Targets: stdlib loop / uvloop. * = ours misses its target on that loop;"
        " n/a = the implementation lacks the feature.",
        "",
    ]
    lines += ratio_table(summary, [s.impl for s in samples])
    lines += noise(summary)
    costs = handshake_costs(samples)
    if costs:
        lines += ["", "CPU time per connection, open + close, client + server"]
        lines += ["(µs, medians; lower is better)"]
        lines += cost_table(costs)
    memory = [w for w in WORKLOADS if w.memory and w.key in summary]
    if memory:
        lines += [
            "",
            f"Server RSS growth per idle connection ({args.connections} connections, KiB)",
        ]
        for workload in memory:
            for loop, cells in summary[workload.key].items():
                figures = "  ".join(
                    f"{NAMES[name]} {cells[name]['median'] / 1024:.1f}"
                    for name in ORDER
                    if name in cells
                )
                lines.append(f"{workload.key:<18}{loop:<9}{figures}")
    return "\n".join(lines)


ORDER = ["ours", "previous", BASELINE, "picows", "aiohttp", "raw"]


def ratio_table(summary: dict[str, Any], measured: list[str]) -> list[str]:
    loops = [
        loop
        for loop in ("asyncio", "uvloop")
        if any(loop in s for s in summary.values())
    ]
    shown = [name for name in SHOWN if name in measured]
    title = max(len(w.title) for w in WORKLOADS if w.key in summary) + 2
    cell, base, target = 8, 12, 17
    group = cell * len(shown) + base
    heads = {"asyncio": "stdlib asyncio", "uvloop": "uvloop"}
    lines = [
        " " * (title + target) + "".join(f"| {heads[loop]:<{group}}" for loop in loops),
        f"{'workload':<{title}}{'target':<{target}}"
        + "".join(
            "| "
            + "".join(f"{NAMES[name]:<{cell}}" for name in shown)
            + f"{'ws17':<{base}}"
            for _ in loops
        ),
    ]
    for workload in WORKLOADS:
        if workload.key not in summary:
            continue
        row = f"{workload.title:<{title}}{workload.target.describe():<{target}}"
        for loop in loops:
            cells = summary[workload.key].get(loop)
            row += "| "
            if cells is None:
                row += " " * group
                continue
            for name in shown:
                if workload.reference:
                    # One figure: the raw protocol, in the first column.
                    name = "raw" if name == shown[0] else ""
                text = format_ratio(cells.get(name, {}).get("ratio"))
                if name == "ours" and misses(workload, loop, cells):
                    text += "*"
                row += f"{text if name else '':<{cell}}"
            base_key = "echo-32" if workload.reference else workload.key
            baseline = summary.get(base_key, {}).get(loop, {}).get(BASELINE)
            figure = human(baseline["median"], workload.unit) if baseline else "n/a"
            row += f"{figure:<{base}}"
        lines.append(row.rstrip())
    return lines


def format_ratio(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}x"


def noise(summary: dict[str, Any]) -> list[str]:
    """How far ours' per-round ratios strayed from their medians."""
    spreads = [
        max(abs(r / cell["ratio"] - 1) for r in cell["ratios"])
        for loops in summary.values()
        for cells in loops.values()
        for name, cell in cells.items()
        if name == "ours" and cell["ratio"] and len(cell["ratios"]) > 1
    ]
    if not spreads:
        return []
    return [
        f"Ours' per-round ratios stayed within {statistics.median(spreads):.0%}"
        f" of their median in half the cells, {max(spreads):.0%} at worst."
    ]


def cost_table(costs: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines = [
        f"{'':<10}" + "".join(f"{loop:>24}  " for loop in costs),
        f"{'':<10}"
        + "".join(f"{'total':>8}{'client':>8}{'server':>8}  " for _ in costs),
    ]
    for name in ORDER:
        if not any(name in impls for impls in costs.values()):
            continue
        row = f"{NAMES[name]:<10}"
        for impls in costs.values():
            cost = impls.get(name)
            if cost is None:
                row += f"{'n/a':>8}{'':>16}  "
            else:
                row += f"{cost['total']:>8.0f}{cost['client']:>8.0f}{cost['server']:>8.0f}  "
        lines.append(row.rstrip())
    return lines


def machine_load() -> tuple[int, int]:
    """Busy and total jiffies of the machine since boot."""
    with open("/proc/stat") as stat:
        fields = [int(field) for field in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated workload keys or prefixes")
    parser.add_argument("--quick", action="store_true", help="1 round of short runs")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=0.8, help="seconds per run")
    parser.add_argument("--connections", type=int, default=1000, help="for memory")
    parser.add_argument(
        "--memory-rounds",
        type=int,
        default=3,
        help="rounds that measure memory, which varies much less than speed",
    )
    parser.add_argument("--metric", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--impls", default="ws17,ours,previous,picows,aiohttp,raw")
    parser.add_argument("--previous", metavar="PATH", help="checkout to compare with")
    parser.add_argument("--no-uvloop", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="write every figure there")
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile ours, after the rounds"
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.connections = 1, 0.3, 200
    args.impls = args.impls.split(",")
    if BASELINE not in args.impls:
        args.impls.insert(0, BASELINE)
    args.only = select(args.only)

    started = time.monotonic()
    load_before = machine_load()
    samples, failures, describe = run_suite(args)
    load_after = machine_load()
    elapsed = time.monotonic() - started
    summary = summarize(samples, args.metric)

    print(render(summary, samples, describe, args))
    busy = (load_after[0] - load_before[0]) / max(load_after[1] - load_before[1], 1)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = (children.ru_utime + children.ru_stime) / (elapsed * (os.cpu_count() or 1))
    print(
        f"\n{elapsed:.0f} s; the machine was {busy:.0%} busy, this suite's"
        f" processes ~{ours:.0%}: other processes used the rest."
    )
    for failure in failures:
        print(f"failed: {failure}")
    if args.json:
        report = {
            "options": {k: v for k, v in vars(args).items()},
            "python": platform.python_version(),
            "machine": {"cpus": os.cpu_count(), "busy": busy, "suite": ours},
            "implementations": describe,
            "summary": summary,
            "handshake_us": handshake_costs(samples),
            "samples": [dataclasses.asdict(sample) for sample in samples],
            "failures": failures,
            "seconds": elapsed,
        }
        Path(args.json).write_text(json.dumps(report, indent=1))
    if failures:
        sys.exit(1)


def select(only: str | None) -> list[str]:
    if not only:
        return [workload.key for workload in WORKLOADS]
    keys: list[str] = []
    for item in only.split(","):
        matches = [w.key for w in WORKLOADS if w.key == item or w.key.startswith(item)]
        if not matches:
            raise SystemExit(f"no workload {item!r}; workloads: {', '.join(BY_KEY)}")
        keys += [key for key in matches if key not in keys]
    # Ratios of the reference row need websockets' echo-32.
    if "raw-echo-32" in keys and "echo-32" not in keys:
        keys.insert(0, "echo-32")
    return keys


if __name__ == "__main__":
    main()

"""
Peers for benchmarks: other implementations, each in its own virtual environment.

websockets has the same import name as our meta-package, so it can't share an
environment with this project; every peer gets a virtual environment under
``.bench/`` at the root of the repository, created on first use with ``uv``
when it's available and with ``venv`` and ``pip`` otherwise.

"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"

PEERS: dict[str, list[str]] = {
    "ws17": ["websockets==17.*"],
    "wsproto": ["wsproto>=1.2"],
    "picows": ["picows==2.*", "uvloop>=0.21"],
    "aiohttp": ["aiohttp==3.*", "uvloop>=0.21"],
}
"""Requirements of each peer, by name of its virtual environment."""


def python_of(venv: Path) -> Path:
    """Path of the interpreter of a virtual environment."""
    if sys.platform == "win32":  # pragma: no cover
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def ensure_peer(name: str) -> Path:
    """
    Create the virtual environment of a peer if needed.

    Returns:
        Path of its interpreter.

    """
    venv = BENCH / name
    python = python_of(venv)
    if python.exists():
        return python
    requirements = PEERS[name]
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is not None:
        subprocess.run([uv, "venv", "-q", str(venv)], check=True)
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), *requirements],
            check=True,
        )
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *requirements], check=True
        )
    return python


def ensure_previous(tree: Path) -> Path:
    """
    Create a virtual environment with the ws-frames of another checkout of
    this repository, e.g. a previous commit, to measure it against ours.

    ws-frames is installed from ``tree`` without ``-e``, so that its C
    speed-up is compiled as for users. The environment is named after the
    commit of ``tree`` and made again when that changes.

    Returns:
        Path of its interpreter.

    """
    tree = tree.resolve()
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short=12", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    name = f"previous-{commit}"
    if name not in PEERS:
        PEERS[name] = [str(tree / "packages" / "ws-frames")]
    return ensure_peer(name)


def run_json(python: Path | str, script: Path, *args: str) -> Any:
    """Run a script with an interpreter and decode the JSON it prints."""
    result = subprocess.run(
        [str(python), str(script), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


class Worker:
    """
    A benchmark worker in its own interpreter, driven line by line.

    The worker prints the JSON list of its workloads, then, for each label
    written to its standard input, a JSON result on a line.

    """

    def __init__(self, python: Path | str, script: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(python), str(script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.labels: list[str] = self.read()

    def read(self) -> Any:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited with {self.process.wait()}")
        return json.loads(line)

    def run(self, label: str) -> Any:
        """Run a workload and return its result."""
        assert self.process.stdin is not None
        self.process.stdin.write(label + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        """Stop the worker."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        assert self.process.stdout is not None
        self.process.stdout.close()

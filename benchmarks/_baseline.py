"""
This project at an earlier revision, for before and after figures in one run.

:func:`ensure_baseline` exports ``packages/`` at a git revision of this
repository into ``.bench/baseline-<commit>/`` with ``git archive`` and installs
the distributions from that copy, not editable, in a virtual environment
beside it, created with ``uv`` on first use. The working tree is never
touched, so any revision works, including the one checked out.

"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".bench"

DISTRIBUTIONS = ["ws-frames", "ws-http", "ws-deflate", "ws-asyncio", "ws-sync"]


def find_uv() -> str:
    found = shutil.which("uv") or shutil.which(
        "uv", path=str(Path(sys.executable).parent)
    )
    if found is None:  # pragma: no cover
        raise SystemExit("comparing with an earlier revision needs uv")
    return found


def ensure_baseline(revision: str) -> tuple[str, Path]:
    """
    Install the packages as they were at ``revision``.

    Returns:
        The short commit hash and the interpreter of the environment.

    """
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=10", f"{revision}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    home = BENCH / f"baseline-{commit}"
    python = home / "venv" / "bin" / "python"
    if python.exists():
        return commit, python

    source = home / "src"
    source.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as archive:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "packages"],
            check=True,
            stdout=archive,
        )
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(source, filter="data")

    uv = find_uv()
    subprocess.run([uv, "venv", "-q", str(home / "venv")], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python)]
        + [str(source / "packages" / name) for name in DISTRIBUTIONS],
        check=True,
    )
    return commit, python

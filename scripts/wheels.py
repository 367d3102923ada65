"""
Build the ws-frames wheel, C speed-up included, for every CPython from 3.10 to
3.13 found on this machine, and run tests/frames against each wheel in a fresh
virtual environment.

    python scripts/wheels.py [--out DIR]

An interpreter is looked up as ``python3.X`` on PATH, then under pyenv's
versions. Missing ones are reported and skipped; the script fails if a wheel
doesn't build with its C module, or if its tests fail.

"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ["3.10", "3.11", "3.12", "3.13"]


def find_interpreter(version: str) -> str | None:
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(
        glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}")
    )
    for candidate in candidates:
        # A pyenv shim is on PATH even for versions that it doesn't enable.
        if (
            candidate
            and subprocess.run([candidate, "-c", ""], capture_output=True).returncode
            == 0
        ):
            return candidate
    return None


def run(*command: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)  # type: ignore[call-overload]


def check(version: str, python: str, out: Path, work: Path) -> None:
    tag = "cp" + version.replace(".", "")
    # A release build: a wheel without its C module is an error here.
    env = {**os.environ, "WS_FRAMES_REQUIRE_EXTENSION": "1"}
    run(
        python,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--wheel-dir",
        out,
        ROOT / "packages" / "ws-frames",
        env=env,
    )
    (wheel,) = out.glob(f"ws_frames-*-{tag}-{tag}-*.whl")
    venv = work / f"venv-{version}"
    run(python, "-m", "venv", venv)
    venv_python = venv / "bin" / "python"
    run(
        venv_python,
        "-m",
        "pip",
        "install",
        "--quiet",
        wheel,
        "pytest",
        "pytest-timeout",
        "hypothesis",
    )
    # From the root, tests/ is importable and ws_frames comes from the wheel:
    # the sources sit under packages/, out of sys.path.
    run(
        venv_python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/frames",
        "--ignore",
        "tests/frames/test_build.py",
        cwd=ROOT,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    built = []
    with tempfile.TemporaryDirectory(prefix="ws-frames-wheels-") as work:
        for version in VERSIONS:
            python = find_interpreter(version)
            if python is None:
                print(f"CPython {version}: not found, skipped")
                continue
            check(version, python, args.out, Path(work))
            built.append(version)
    print(
        f"wheels built and tested for CPython {', '.join(built) or 'none'} in {args.out}"
    )
    return 0 if built else 1


if __name__ == "__main__":
    sys.exit(main())

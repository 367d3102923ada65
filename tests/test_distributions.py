"""
Each distribution builds into a wheel, installs into a fresh virtual environment
with only its declared dependencies, found in the local wheels and never on the
package index, and imports every one of its modules there.

A module that imports a sibling package it doesn't declare fails here.

"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement


ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
DISTRIBUTIONS = sorted(path.name for path in PACKAGES.iterdir())

# Walk the package and import each module, so that a hidden dependency of any
# module shows, not only one of __init__.py.
IMPORT_ALL = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(info.name)
print(package.__file__)
"""


def declared_dependencies(distribution: str) -> list[str]:
    """Names of the dependencies that apply to the running interpreter."""
    with open(PACKAGES / distribution / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    requirements = [Requirement(dep) for dep in project["dependencies"]]
    return [
        req.name for req in requirements if req.marker is None or req.marker.evaluate()
    ]


def internal(names: list[str]) -> set[str]:
    return {name for name in names if name in DISTRIBUTIONS}


def run(*args: str | Path, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("wheels")
    for distribution in DISTRIBUTIONS:
        run(
            sys.executable,
            "-m",
            "hatchling",
            "build",
            "-t",
            "wheel",
            "-d",
            output,
            cwd=PACKAGES / distribution,
        )
    return output


def test_dependencies_point_one_way() -> None:
    allowed = {
        "ws-frames": set(),
        "ws-http": {"ws-frames"},
        "ws-deflate": {"ws-frames"},
        "ws-asyncio": {"ws-frames", "ws-http", "ws-deflate"},
        "ws-sync": {"ws-frames", "ws-http", "ws-deflate"},
        "websockets": {"ws-frames", "ws-http", "ws-deflate", "ws-asyncio", "ws-sync"},
    }
    assert set(DISTRIBUTIONS) == set(allowed)
    for distribution in DISTRIBUTIONS:
        assert internal(declared_dependencies(distribution)) == allowed[distribution]


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is required")
@pytest.mark.timeout(600)
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_wheel_installs_and_imports_alone(
    distribution: str, wheels: Path, tmp_path: Path
) -> None:
    third_party = set(declared_dependencies(distribution)) - set(DISTRIBUTIONS)
    if third_party:
        # --no-index below can't reach them; only older interpreters need any.
        pytest.skip(f"needs {sorted(third_party)} from the index on this interpreter")
    venv = tmp_path / "venv"
    run("uv", "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    # --no-index: internal dependencies come from the local wheels only, never
    # from the public index, where ws-sync and websockets are other projects.
    run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        "--no-index",
        "--find-links",
        wheels,
        distribution,
    )
    installed = {
        line.split("==")[0]
        for line in run("uv", "pip", "freeze", "--python", python).splitlines()
    }
    # Nothing of ours beyond what the distribution declares, nothing missing.
    assert internal(sorted(installed)) == {
        distribution,
        *internal(declared_dependencies(distribution)),
    }
    assert set(declared_dependencies(distribution)) <= installed

    module = distribution.replace("-", "_")
    location = run(python, "-c", IMPORT_ALL, module).strip()
    assert location.startswith(str(venv)), location

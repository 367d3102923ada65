"""
The wheel of ws-frames, with and without its compiled speed-up.

A wheel built with ``WS_FRAMES_NO_EXTENSION=1``, or without a working C
compiler, is pure Python and falls back to the Python implementation; a
normal build includes the compiled module. Each wheel is checked by importing
it in an interpreter that sees nothing else of this repository.

"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest


PROJECT = Path(__file__).resolve().parents[2] / "packages" / "ws-frames"

CHECK = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
os.environ.pop("WS_FRAMES_NO_SPEEDUPS", None)
from ws_frames import utils
from ws_frames.protocol import CLIENT, SERVER, Protocol
client, server = Protocol(CLIENT), Protocol(SERVER)
client.send_binary(b"spam" * 1000)
client.send_text("café".encode())
for data in client.data_to_send():
    server.receive_data(data)
print(json.dumps({
    "file": utils.__file__,
    "speedups": utils.SPEEDUPS,
    "messages": [bytes(frame.data).decode("latin-1") for frame in server.events_received()],
}))
"""


def has_compiler() -> bool:
    compiler = sysconfig.get_config_var("CC")
    return bool(compiler) and shutil.which(compiler.split()[0]) is not None


def build(target: str, output: Path, source: Path = PROJECT, **env: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(output)],
        cwd=source,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    (artifact,) = output.iterdir()
    return artifact


def check_wheel(wheel: Path, tmp_path: Path) -> dict[str, object]:
    # Named like an installation, which coverage measurements leave out.
    target = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    # -S: no site-packages, so the repository's editable install is invisible.
    result = subprocess.run(
        [sys.executable, "-S", "-c", CHECK, str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    report: dict[str, object] = json.loads(result.stdout)
    assert str(report["file"]).startswith(str(target))
    assert report["messages"] == ["spam" * 1000, "café".encode().decode("latin-1")]
    return report


def names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_pure_python_wheel(tmp_path: Path) -> None:
    wheel = build("wheel", tmp_path / "dist", WS_FRAMES_NO_EXTENSION="1")
    assert wheel.name.endswith("-py3-none-any.whl")
    assert not any(
        "_speedups" in name and not name.endswith(".pyi") for name in names(wheel)
    )
    assert check_wheel(wheel, tmp_path)["speedups"] is False


@pytest.mark.skipif(not has_compiler(), reason="no C compiler")
def test_wheel_with_speedups(tmp_path: Path) -> None:
    wheel = build("wheel", tmp_path / "dist", WS_FRAMES_REQUIRE_EXTENSION="1")
    assert not wheel.name.endswith("-none-any.whl")
    assert any(name.startswith("ws_frames/_speedups.") for name in names(wheel))
    assert not any(name.endswith(".c") for name in names(wheel))
    assert check_wheel(wheel, tmp_path)["speedups"] is True


def test_sdist_builds_without_compiler(tmp_path: Path) -> None:
    sdist = build("sdist", tmp_path / "sdist")
    shutil.unpack_archive(sdist, tmp_path / "src")
    (source,) = (tmp_path / "src").iterdir()
    assert (source / "src" / "ws_frames" / "_speedups.c").exists()
    assert (source / "hatch_build.py").exists()
    # A missing compiler gives a pure-Python wheel rather than a failure.
    wheel = build("wheel", tmp_path / "dist", source=source, CC="/nonexistent/cc")
    assert wheel.name.endswith("-py3-none-any.whl")
    assert check_wheel(wheel, tmp_path)["speedups"] is False

"""Hatchling build hook: compile the optional C speed-up of ws_frames.

* Wheel: compile into a temporary directory and add the module to the wheel,
  which then gets a platform tag.
* Editable wheel (``hatch test``, ``pip install -e``): compile in place into
  ``src/ws_frames`` so that the development environment runs the C code.
* No compiler or no headers: warn and build a pure-Python wheel; ws_frames
  falls back to its Python implementation at import.

Environment variables:
  WS_FRAMES_NO_EXTENSION=1       never compile (pure-Python wheel)
  WS_FRAMES_REQUIRE_EXTENSION=1  fail the build if compiling fails (release builds)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


EXT_NAME = "ws_frames._speedups"
EXT_SOURCE = "src/ws_frames/_speedups.c"


def _compile(root: Path, build_lib: Path, build_temp: Path) -> Path:
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    ext = Extension(EXT_NAME, sources=[str(root / EXT_SOURCE)], optional=False)
    cmd = build_ext(Distribution({"name": "ws-frames", "ext_modules": [ext]}))
    cmd.build_lib = str(build_lib)
    cmd.build_temp = str(build_temp)
    cmd.ensure_finalized()
    cmd.run()
    (output,) = cmd.get_outputs()
    return Path(output)


class CustomBuildHook(BuildHookInterface[BuilderConfig]):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("WS_FRAMES_NO_EXTENSION"):
            return
        root = Path(self.root)
        if not (root / EXT_SOURCE).exists():
            return
        self._tmp = Path(tempfile.mkdtemp(prefix="ws-frames-build-"))
        build_lib = root / "src" if version == "editable" else self._tmp / "lib"
        try:
            built = _compile(root, build_lib, self._tmp / "temp")
        except Exception as exc:  # compiler missing, headers missing, ...
            if os.environ.get("WS_FRAMES_REQUIRE_EXTENSION"):
                raise
            self.app.display_warning(
                f"ws-frames: C speed-up not built ({exc!r}); "
                "building a pure-Python wheel instead"
            )
            return
        if version == "editable":
            return  # the module sits in src/, where the editable wheel points
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["force_include"][str(built)] = f"ws_frames/{built.name}"

    def finalize(
        self, version: str, build_data: dict[str, Any], artifact_path: str
    ) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    def clean(self, versions: list[str]) -> None:
        for path in (Path(self.root) / "src" / "ws_frames").glob("_speedups.*"):
            if path.suffix in {".so", ".pyd"}:
                path.unlink()

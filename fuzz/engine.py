"""
Run one fuzz target under atheris (libFuzzer)::

    python -m fuzz.engine TARGET [LIBFUZZER_ARGS...]

``TARGET`` is a module of this package. The library is imported with
coverage instrumentation, so that libFuzzer steers towards new branches of
ws_frames, ws_http and ws_deflate.

With ``WS_FUZZ_PURE_PYTHON=1``, the compiled speed-up of ws_frames is hidden
and its pure-Python fallback runs instead.

"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any


PACKAGES = ["ws_frames", "ws_http", "ws_deflate"]
TARGETS = ["frames", "http11", "headers", "deflate", "uri"]


def hide_speedups() -> None:
    """Make the compiled speed-up of ws_frames impossible to import."""
    # A None entry in sys.modules makes importing that module fail with
    # ImportError, which is what a build without a C compiler gives.
    sys.modules["ws_frames._speedups"] = None  # type: ignore[assignment]


def load(target: str, instrument: Any = None) -> Callable[[bytes], None]:
    """Import a target, instrumenting the library if ``instrument`` is given."""
    if target not in TARGETS:
        raise SystemExit(f"unknown target {target}; expected one of {TARGETS}")
    if os.environ.get("WS_FUZZ_PURE_PYTHON"):
        hide_speedups()
    if instrument is None:
        module = importlib.import_module(f"fuzz.{target}")
    else:
        with instrument(include=PACKAGES):
            module = importlib.import_module(f"fuzz.{target}")
    check: Callable[[bytes], None] = module.check
    return check


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    # atheris has no type information; it's only needed here.
    atheris: Any = importlib.import_module("atheris")
    target = sys.argv.pop(1)
    check = load(target, atheris.instrument_imports)
    from ws_frames import utils

    speedups = getattr(utils, "SPEEDUPS", "unknown")
    print(f"fuzzing {target}, compiled speed-up: {speedups}", flush=True)
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

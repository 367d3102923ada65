"""
Every Python example of the READMEs runs as written.

Examples fenced as ``python`` run here; the few that can't end by themselves
(a client that reconnects forever) are fenced as ``py`` and only shown.

"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parent.parent
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]
EXAMPLES = [
    pytest.param(code, id=f"{readme.relative_to(ROOT)}:{number}")
    for readme in READMES
    for number, code in enumerate(
        re.findall(r"^```python\n(.*?)^```", readme.read_text(), re.M | re.S), 1
    )
]


@pytest.mark.parametrize("code", EXAMPLES)
def test_example_runs(code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""
The meta-package exposes every module and name of the websockets 17 API, with
the same kinds, signatures, bases, members and enum values, as checked by
``shared/api/check_api.py`` against the API manifest.

"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


CHECK_API = Path(__file__).resolve().parents[3] / "shared" / "api" / "check_api.py"


@pytest.mark.timeout(300)
@pytest.mark.skipif(
    not CHECK_API.exists() and os.environ.get("CI") != "true",
    reason="the API manifest lives in shared/, beside the checkout",
)
def test_check_api_reports_no_failure(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, str(CHECK_API), "--quiet", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=280,
    )
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert summary.endswith(" 0 failed"), proc.stdout[-5000:] + proc.stderr[-2000:]
    json.loads(report.read_text())

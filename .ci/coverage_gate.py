"""Check the coverage floor of each package in the data of ``hatch test --cover``."""

from __future__ import annotations

import glob
import sys

import coverage
from coverage.exceptions import NoDataError


FLOORS = {
    "ws_frames": 100.0,
    "ws_http": 100.0,
    "ws_deflate": 100.0,
    "ws_asyncio": 95.0,
    "ws_sync": 95.0,
    "websockets": 95.0,
}


def main() -> int:
    cov = coverage.Coverage(config_file=".coveragerc")
    if glob.glob(".coverage.*"):
        # Data files of processes that hatch didn't combine (e.g. after a
        # failed run, or of child processes).
        cov.combine(keep=False)
        cov.save()
    cov.load()
    failed = []
    for package, floor in FLOORS.items():
        print(f"--- {package} (floor {floor:g}%)")
        try:
            total = cov.report(
                include=[f"*/src/{package}/*"], precision=2, skip_covered=True
            )
        except NoDataError:
            failed.append(f"{package}: no code measured")
            continue
        if total < floor:
            failed.append(f"{package}: {total:.2f}% < {floor:g}%")
    if failed:
        print("coverage below the floor:", *failed, sep="\n  ")
        return 1
    print("coverage floors met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

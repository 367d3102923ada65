"""Version of the websockets API that this distribution implements."""

from __future__ import annotations


__all__ = ["tag", "version", "commit"]


released = False
"""Whether this is a release; development builds say which commit they are."""

tag = version = commit = "17.0.0"
"""The ``websockets`` API level implemented (17.0); ``commit`` names the
checkout in development builds."""


def _describe_commit() -> str:  # pragma: no cover - depends on the checkout
    """Return ``git describe`` for a development checkout, if there is one."""
    import pathlib
    import subprocess

    root = pathlib.Path(__file__).resolve().parents[4]
    if not (root / ".git").exists():
        raise LookupError("not a git checkout")
    proc = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--tags"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=2,
        check=True,
    )
    return proc.stdout.strip()


if not released:  # pragma: no branch
    try:
        commit = _describe_commit()
    except Exception:  # no git, not a checkout: the tag is all we know
        pass

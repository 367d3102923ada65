"""Version of the websockets API that this distribution implements."""

from __future__ import annotations


__all__ = ["tag", "version", "commit"]


released = True
"""Whether this is a release: it is, of the API level below."""

tag = version = commit = "17.0.1"
"""The ``websockets`` API level implemented: its release, tag and commit."""

"""The independent peers: how to install them, what they can do, how to start them.

Node's ``ws`` is installed with npm into a temporary prefix, aiohttp and
websocket-client into a virtual environment of their own (so that this
project's ``websockets`` is never shadowed, and they never import it), and the
browser is Debian's chromium. A peer that isn't available locally skips its
checks with the reason; when the CI environment variable is "true", it fails
them instead.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.interop import harness
from tests.interop.scenarios import ALL


PEERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")
INSTALL_TIMEOUT = 300


def unavailable(reason: str) -> None:
    """Skips, or fails in CI, where every peer must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"interop peer unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def install(command: list[str], what: str) -> None:
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        unavailable(f"cannot install {what}: {exc}")
        return
    if result.returncode != 0:
        unavailable(
            f"cannot install {what}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )


def install_node_ws(prefix: Path) -> str:
    """Installs Node's ``ws`` package into ``prefix``; returns the prefix."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        unavailable("node and npm are not installed")
    assert npm is not None
    install(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "ws@8"],
        "the ws package with npm",
    )
    return str(prefix)


def uv_command() -> list[str]:
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    beside = os.path.join(os.path.dirname(sys.executable), "uv")
    if os.path.exists(beside):
        return [beside]
    found = shutil.which("uv")
    if found is None:
        unavailable("uv is not installed, so the Python peers cannot be")
    assert found is not None
    return [found]


def install_python_peers(venv: Path) -> str:
    """Creates a virtual environment with aiohttp and websocket-client; returns its python."""
    uv = uv_command()
    install(
        [*uv, "venv", "--python", sys.executable, str(venv)], "a virtual environment"
    )
    python = str(venv / "bin" / "python")
    install(
        [
            *uv,
            "pip",
            "install",
            "--python",
            python,
            "aiohttp>=3.9",
            "websocket-client>=1.7",
        ],
        "aiohttp and websocket-client",
    )
    return python


def peer_env(extra: dict[str, str]) -> dict[str, str]:
    # Nothing from this process's Python path leaks into a peer.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**env, **extra}


@dataclasses.dataclass(frozen=True)
class Peer:
    """An implementation that can take one or both sides of a check."""

    name: str
    client_caps: frozenset[str]
    server_caps: frozenset[str]
    # Builds a side from whatever the peer needs installed (a fixture value).
    client: Callable[[str], harness.Side] | None
    server: Callable[[str], harness.Side] | None
    fixture: str


def node_side(script: str, label: str) -> Callable[[str], harness.Side]:
    def make(prefix: str) -> harness.Side:
        node = shutil.which("node") or "node"
        return harness.ProcessSide(
            label,
            [node, os.path.join(PEERS_DIR, script)],
            peer_env({"INTEROP_NODE_PREFIX": prefix}),
        )

    return make


def python_side(module: str, label: str) -> Callable[[str], harness.Side]:
    def make(python: str) -> harness.Side:
        return harness.ProcessSide(label, [python, "-m", module], peer_env({}))

    return make


AIOHTTP_CAPS = ALL - {"fragments"}

PEERS = {
    "node": Peer(
        "node",
        ALL,
        ALL,
        node_side("node_client.mjs", "node ws client"),
        node_side("node_server.mjs", "node ws server"),
        "node_prefix",
    ),
    "aiohttp": Peer(
        "aiohttp",
        AIOHTTP_CAPS,
        AIOHTTP_CAPS,
        python_side("tests.interop.peers.aiohttp_client", "aiohttp client"),
        python_side("tests.interop.peers.aiohttp_server", "aiohttp server"),
        "peer_python",
    ),
    "websocket-client": Peer(
        "websocket-client",
        frozenset({"fragments", "ping", "deflate_off"}),
        frozenset(),
        python_side("tests.interop.peers.wsclient_client", "websocket-client"),
        None,
        "peer_python",
    ),
    "chromium": Peer(
        "chromium",
        frozenset({"deflate", "deflate_tuned"}),
        frozenset(),
        None,  # built by the browser fixture
        None,
        "browser",
    ),
}

OURS_CAPS = ALL

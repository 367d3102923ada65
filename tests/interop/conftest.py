"""Session fixtures that install and start the independent peers once per run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.interop import browser as browser_module, registry


@pytest.fixture(scope="session")
def node_prefix(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An npm prefix with Node's ws package installed."""
    return registry.install_node_ws(tmp_path_factory.mktemp("node-ws"))


@pytest.fixture(scope="session")
def peer_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a virtual environment with aiohttp and websocket-client."""
    return registry.install_python_peers(tmp_path_factory.mktemp("peer-venv") / "venv")


@pytest.fixture(scope="session")
def browser() -> Iterator[browser_module.Browser]:
    """Headless chromium, waiting for plans."""
    if not os.path.exists(browser_module.CHROMIUM):
        registry.unavailable(
            f"{browser_module.CHROMIUM} is missing (apt-get install chromium)"
        )
    started = browser_module.Browser()
    try:
        if not started.wait_ready(60):
            output = started.output()
            registry.unavailable(f"chromium did not load the test page:\n{output}")
        yield started
    finally:
        started.close()

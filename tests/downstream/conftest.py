"""Fixtures: one uvicorn per ``--ws`` implementation for the session, Node's
``ws`` installed once, and the client a test is parametrized with."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.downstream.clients import Outcome, Visit, run_node, run_ours, run_raw
from tests.downstream.server import Uvicorn
from tests.interop import registry


Runner = Callable[[str, Visit], Outcome]


class Servers:
    """Starts each implementation's server on first use, stops all at the end."""

    def __init__(self) -> None:
        self.running: dict[str, Uvicorn] = {}

    def __getitem__(self, ws: str) -> Uvicorn:
        if ws not in self.running:
            self.running[ws] = Uvicorn(ws).start()
        return self.running[ws]

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    started = Servers()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def server(servers: Servers, impl: str) -> Uvicorn:
    """The shared server for the ``impl`` a test is parametrized with."""
    return servers[impl].begin()


@pytest.fixture(scope="session")
def node_prefix(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An npm prefix with Node's ws package installed."""
    return registry.install_node_ws(tmp_path_factory.mktemp("node-ws"))


@pytest.fixture
def run(request: pytest.FixtureRequest, client: str) -> Runner:
    """Carries out a visit with the ``client`` a test is parametrized with."""
    if client == "ours":
        return run_ours
    if client == "raw":
        return run_raw
    assert client == "node", client
    return functools.partial(run_node, request.getfixturevalue("node_prefix"))


@pytest.fixture
def key() -> str:
    """Names the connection of a test in the application's records."""
    return uuid.uuid4().hex

"""This project's asyncio and threading sides against independent peers.

Each check pairs one of our sides with a browser, Node's ws, aiohttp or
websocket-client, and compares what both sides saw.
"""

from __future__ import annotations

import pytest

from tests.interop.pairs import run_check
from tests.interop.scenarios import SCENARIOS, Scenario


FLAVOURS = ["asyncio", "sync"]
PEER_CLIENTS = ["node", "aiohttp", "websocket-client", "chromium"]
PEER_SERVERS = ["node", "aiohttp"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("peer", PEER_CLIENTS)
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_peer_client_against_our_server(
    request: pytest.FixtureRequest, flavour: str, peer: str, scenario: Scenario
) -> None:
    run_check(request, scenario, peer, flavour)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("peer", PEER_SERVERS)
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_our_client_against_peer_server(
    request: pytest.FixtureRequest, flavour: str, peer: str, scenario: Scenario
) -> None:
    run_check(request, scenario, flavour, peer)

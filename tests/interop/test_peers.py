"""The harness itself, proven by pairing independent peers with each other.

If one of these fails, the expectations or a peer adapter are wrong, not this
project's layers.
"""

from __future__ import annotations

import pytest

from tests.interop.pairs import run_check
from tests.interop.scenarios import SCENARIOS, Scenario


PEER_PAIRS = [
    ("node", "aiohttp"),
    ("aiohttp", "node"),
    ("websocket-client", "node"),
    ("chromium", "node"),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
@pytest.mark.parametrize("client, server", PEER_PAIRS, ids=lambda p: p)
def test_peer_pair(
    request: pytest.FixtureRequest, client: str, server: str, scenario: Scenario
) -> None:
    run_check(request, scenario, client, server)

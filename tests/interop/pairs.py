"""Builds the two sides of a check and runs it."""

from __future__ import annotations

import pytest

from tests.interop import browser as browser_module, harness, ours, registry
from tests.interop.scenarios import Scenario, check, skip_unless_capable


OUR_SIDES = {
    ("asyncio", "client"): (harness.asyncio_client, "ws_asyncio.client", "connect"),
    ("asyncio", "server"): (harness.asyncio_server, "ws_asyncio.server", "serve"),
    ("sync", "client"): (harness.threading_client, "ws_sync.client", "connect"),
    ("sync", "server"): (harness.threading_server, "ws_sync.server", "serve"),
}


def our_side(flavour: str, role: str) -> harness.Side:
    """One of this project's sides; skips when that layer isn't there."""
    target, module, name = OUR_SIDES[flavour, role]
    try:
        ours.load(module, name)
    except ours.LayerMissing as exc:
        pytest.skip(f"our {flavour} {role} is not available: {exc}")
    return harness.ThreadSide(f"ours ({flavour} {role})", target)


def peer_side(request: pytest.FixtureRequest, name: str, role: str) -> harness.Side:
    """An independent peer's side, installing the peer on first use."""
    peer = registry.PEERS[name]
    installed = request.getfixturevalue(peer.fixture)
    if name == "chromium":
        assert isinstance(installed, browser_module.Browser)
        return browser_module.BrowserSide(installed)
    make = peer.client if role == "client" else peer.server
    assert make is not None, f"{name} has no {role}"
    return make(installed)


def caps(name: str, role: str) -> frozenset[str]:
    if name in ("asyncio", "sync"):
        return registry.OURS_CAPS
    peer = registry.PEERS[name]
    return peer.client_caps if role == "client" else peer.server_caps


def run_check(
    request: pytest.FixtureRequest, scenario: Scenario, client: str, server: str
) -> None:
    """Runs ``scenario`` with ``client`` against ``server`` and checks both reports.

    ``client`` and ``server`` are "asyncio" or "sync" for this project's sides,
    otherwise the name of a peer.
    """
    skip_unless_capable(
        scenario, caps(client, "client"), caps(server, "server"), client, server
    )
    sides = []
    for name, role in ((client, "client"), (server, "server")):
        if name in ("asyncio", "sync"):
            sides.append(our_side(name, role))
        else:
            sides.append(peer_side(request, name, role))
    client_report, server_report = harness.run_pair(
        sides[0], sides[1], scenario.config("client"), scenario.config("server")
    )
    check(scenario, client_report, server_report)

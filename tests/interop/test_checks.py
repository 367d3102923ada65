"""The checker and the plan language themselves: a check that cannot fail proves nothing."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from tests.interop.harness import Report
from tests.interop.plan import Event, digest, parse_close_payload, payload, to_bytes
from tests.interop.registry import unavailable
from tests.interop.scenarios import BY_NAME, SCENARIOS, Scenario, check


def passing_reports(scenario: Scenario) -> tuple[Report, Report]:
    """Builds the reports of two sides that did exactly what ``scenario`` expects."""
    reports = []
    for side in ("client", "server"):
        events: list[Event] = [
            {
                "event": "open",
                "subprotocol": scenario.subprotocol,
                "extensions": {
                    None: None,
                    "deflate": "permessage-deflate",
                    "tuned": "permessage-deflate; server_max_window_bits=10",
                }[scenario.extensions],
            }
        ]
        messages = (
            scenario.client_messages if side == "client" else scenario.server_messages
        )
        events += copy.deepcopy(messages or [])
        pongs = scenario.client_pongs if side == "client" else scenario.server_pongs
        events += [{"event": "pong", "data": pong} for pong in pongs]
        if side == "client" and scenario.burst:
            events.append({"event": "burst", "count": scenario.burst, "ok": True})
        if side == "server" and scenario.server_echoed is not None:
            events.append({"event": "echoed", "count": scenario.server_echoed})
        expectation = (
            scenario.client_close if side == "client" else scenario.server_close
        )
        if expectation[0] == "exact":
            code, reason = expectation[1], expectation[2]
        elif expectation[0] == "clean":
            code, reason = 1000, ""
        else:
            code, reason = expectation[1], ""
        events.append({"event": "close", "code": code, "reason": reason})
        reports.append(Report(side, events))
    return reports[0], reports[1]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_expected_reports_pass(scenario: Scenario) -> None:
    check(scenario, *passing_reports(scenario))


def break_report(report: Report, how: str) -> None:
    events = report.events
    if how == "message":
        index = next(i for i, e in enumerate(events) if e["event"] == "message")
        events[index] = {**events[index], "sha": "0" * 16}
    elif how == "lost message":
        index = next(i for i, e in enumerate(events) if e["event"] == "message")
        del events[index]
    elif how == "close code":
        events[-1] = {**events[-1], "code": 1006}
    elif how == "no close":
        del events[-1]
    elif how == "error":
        events.insert(1, {"event": "error", "message": "boom"})
    elif how == "subprotocol":
        events[0] = {**events[0], "subprotocol": "other"}
    elif how == "extensions":
        events[0] = {**events[0], "extensions": "permessage-deflate"}
    elif how == "timed out":
        report.timed_out = True
    else:
        raise ValueError(how)


@pytest.mark.parametrize(
    "name, side, how",
    [
        ("text_sizes", "client", "message"),
        ("binary_sizes", "server", "lost message"),
        ("close_from_client", "server", "close code"),
        ("close_from_server", "client", "close code"),
        ("too_big_for_server", "client", "close code"),
        ("text_sizes", "server", "no close"),
        ("unicode_text", "client", "error"),
        ("subprotocol", "client", "subprotocol"),
        ("deflate_off_server", "server", "extensions"),
        ("many_messages", "client", "timed out"),
    ],
)
def test_departures_fail(name: str, side: str, how: str) -> None:
    scenario = BY_NAME[name]
    client, server = passing_reports(scenario)
    break_report(client if side == "client" else server, how)
    with pytest.raises(pytest.fail.Exception) as failure:
        check(scenario, client, server)
    # What both sides saw is in the failure.
    assert "--- client" in str(failure.value)
    assert "--- server" in str(failure.value)


def test_missing_pong_fails() -> None:
    scenario = BY_NAME["ping_from_client"]
    client, server = passing_reports(scenario)
    client.events = [e for e in client.events if e["event"] != "pong"]
    with pytest.raises(pytest.fail.Exception, match="expected pongs"):
        check(scenario, client, server)


def test_failed_burst_fails() -> None:
    scenario = BY_NAME["many_messages"]
    client, server = passing_reports(scenario)
    for event in client.events:
        if event["event"] == "burst":
            event["ok"] = False
    with pytest.raises(pytest.fail.Exception, match="burst"):
        check(scenario, client, server)


@pytest.mark.parametrize(
    "name, ratio", [("deflate_default", 0.9), ("deflate_off_client", 0.5)]
)
def test_wire_size_departures_fail(name: str, ratio: float) -> None:
    scenario = BY_NAME[name]
    client, server = passing_reports(scenario)
    total = sum(e["len"] for e in server.events if e["event"] == "message")
    server.events.insert(-1, {"event": "wire", "read": int(total * ratio)})
    with pytest.raises(pytest.fail.Exception, match="bytes of messages"):
        check(scenario, client, server)


def test_wire_size_within_bounds_passes() -> None:
    for name, ratio in (("deflate_tuned", 0.3), ("deflate_off_server", 1.1)):
        scenario = BY_NAME[name]
        client, server = passing_reports(scenario)
        total = sum(e["len"] for e in server.events if e["event"] == "message")
        server.events.insert(-1, {"event": "wire", "read": int(total * ratio)})
        check(scenario, client, server)


def test_tuned_extension_needs_parameters() -> None:
    scenario = BY_NAME["deflate_tuned"]
    client, server = passing_reports(scenario)
    client.events[0]["extensions"] = "permessage-deflate"
    with pytest.raises(pytest.fail.Exception, match="tuned parameters"):
        check(scenario, client, server)


@given(code=st.integers(1000, 4999), reason=st.text(max_size=30))
@settings(max_examples=50)
def test_close_payload_round_trip(code: int, reason: str) -> None:
    closed = parse_close_payload(code.to_bytes(2, "big") + reason.encode())
    assert (closed.code, closed.reason) == (code, reason)


@given(data=st.binary(max_size=1))
def test_close_payload_without_code(data: bytes) -> None:
    assert parse_close_payload(data).code == 1005


@given(
    gen=st.sampled_from(["ascii", "unicode", "bytes", "noise"]),
    size=st.integers(0, 3000),
)
@settings(max_examples=50)
def test_payload_sizes(gen: str, size: int) -> None:
    data = payload({"gen": gen, "size": size})
    assert isinstance(data, bytes) == (gen in ("bytes", "noise"))
    # Sizes count characters for text, bytes for binary.
    assert len(data) == size
    if gen == "ascii":
        assert len(to_bytes(data)) == size


GENERATOR_SPECS: list[dict[str, Any]] = [
    {"gen": gen, "size": size}
    for gen in ("ascii", "unicode", "bytes", "noise")
    for size in (0, 1, 7, 251, 252, 4099)
] + [{"gen": "literal", "text": "𝄞 ✓ é"}]

JS_DIGESTS = """
import { payload, toBytes, digest } from "./plan_core.mjs";
const specs = JSON.parse(process.argv[process.argv.length - 1]);
const out = [];
for (const spec of specs) out.push(await digest(toBytes(payload(spec).data)));
console.log(JSON.stringify(out));
"""


def test_javascript_generators_agree() -> None:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed")
    assert node is not None
    peers = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")
    result = subprocess.run(
        [node, "--input-type=module", "-e", JS_DIGESTS, json.dumps(GENERATOR_SPECS)],
        cwd=peers,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    expected = [digest(to_bytes(payload(spec))) for spec in GENERATOR_SPECS]
    assert json.loads(result.stdout) == expected

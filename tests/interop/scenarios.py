"""The checks of the interop suite, each one a pair of plans and what both sides must see.

Every scenario gives the client's plan and configuration, the server's, the
capabilities that each side needs, and the expectations that ``check`` applies
to the two reports.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.interop.harness import Report
from tests.interop.plan import Event, Step, message_event, payload


MiB = 1 << 20
SIZES = [0, 125, 126, 65535, 65536, MiB]

# What a side may be unable to do, and how a skip says so.
CAPABILITIES = {
    "fragments": "send a fragmented message",
    "ping": "send a ping",
    "max_size": "limit the size of incoming messages",
    "deflate": "negotiate permessage-deflate",
    "deflate_tuned": "negotiate tuned permessage-deflate parameters",
    "deflate_off": "leave permessage-deflate out of its handshake",
}
ALL = frozenset(CAPABILITIES)


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    client_plan: list[Step]
    server_plan: list[Step]
    client_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    server_config: dict[str, Any] = dataclasses.field(default_factory=dict)
    client_needs: frozenset[str] = frozenset()
    server_needs: frozenset[str] = frozenset()
    # Message events that each side must report, in order (None: not checked).
    client_messages: list[Event] | None = None
    server_messages: list[Event] | None = None
    # ("exact", code, reason), ("code", code), or ("clean",): a close frame arrived.
    client_close: tuple[Any, ...] = ("clean",)
    server_close: tuple[Any, ...] = ("exact", 1000, "")
    # A side that fails the connection on purpose may report an error.
    errors_allowed: frozenset[str] = frozenset()
    subprotocol: str | None = None
    # None: no extension on either side; "deflate" or "tuned": negotiated on both.
    extensions: str | None = None
    client_pongs: list[str] = dataclasses.field(default_factory=list)
    server_pongs: list[str] = dataclasses.field(default_factory=list)
    burst: int = 0
    # "compressed" or "plain": what a side that counts the bytes it read off
    # the wire must have seen, against the payload it received.
    wire: str | None = None
    server_echoed: int | None = None

    def config(self, side: str) -> dict[str, Any]:
        base = self.client_config if side == "client" else self.server_config
        plan = self.client_plan if side == "client" else self.server_plan
        return {
            "compression": "off",
            "subprotocols": [],
            "max_size": None,
            **base,
            "plan": plan,
        }


def send(spec: dict[str, Any]) -> Step:
    return {"op": "send", "payload": spec}


RECV: Step = {"op": "recv"}
WAIT_CLOSE: Step = {"op": "wait_close"}
CLOSE: Step = {"op": "close", "code": 1000, "reason": ""}


def echo(count: int, log: bool = True) -> Step:
    return {"op": "echo", "count": count, "log": log}


def expected(spec: dict[str, Any]) -> Event:
    data = payload(spec)
    return message_event(isinstance(data, bytes), data)


def round_trip(name: str, specs: list[dict[str, Any]], **kwargs: Any) -> Scenario:
    """The client sends each message and waits for the server's echo."""
    client_plan: list[Step] = []
    for spec in specs:
        client_plan += [send(spec), RECV]
    messages = [expected(spec) for spec in specs]
    return Scenario(
        name,
        client_plan + [CLOSE],
        [echo(len(specs)), WAIT_CLOSE],
        client_messages=messages,
        server_messages=messages,
        **kwargs,
    )


# A multi-byte character split across frames: é (2 bytes) and 😀 (4 bytes) are
# cut in the middle, ✓ (3 bytes) has its last byte alone in the last frame.
TEXT_FRAGMENTS = ["68c3", "a96c6c6f20f09f", "", "9880207769746820e29c", "93"]
BINARY_FRAGMENTS = ["00ff", "", "fe01" * 100, "80"]


def fragments_event(kind: str, chunks: list[str]) -> Event:
    data = b"".join(bytes.fromhex(chunk) for chunk in chunks)
    return message_event(kind == "binary", data)


def fragments_steps() -> list[Step]:
    return [
        {
            "op": "fragments",
            "kind": "text",
            "chunks": TEXT_FRAGMENTS,
            "ping": "in text",
        },
        {
            "op": "fragments",
            "kind": "binary",
            "chunks": BINARY_FRAGMENTS,
            "ping": "in binary",
        },
    ]


FRAGMENTED = [
    fragments_event("text", TEXT_FRAGMENTS),
    fragments_event("binary", BINARY_FRAGMENTS),
]

DEFLATE_MESSAGES: list[dict[str, Any]] = [
    {"gen": "ascii", "size": 0},
    {"gen": "ascii", "size": 125},
    {"gen": "ascii", "size": 70000},
    {"gen": "unicode", "size": 3000},
    {"gen": "bytes", "size": 65536},
    {"gen": "noise", "size": 65536},
] + [{"gen": "literal", "text": "the same words again " * 8}] * 20

UNICODE_MESSAGES: list[dict[str, Any]] = [
    {"gen": "literal", "text": "😀"},
    {"gen": "literal", "text": "𝄞 clef, 🎉 party, 中文, ✓, é"},
    {"gen": "unicode", "size": 8},
    {"gen": "unicode", "size": 1000},
    {"gen": "unicode", "size": 40000},
]

SCENARIOS = [
    round_trip("text_sizes", [{"gen": "ascii", "size": size} for size in SIZES]),
    round_trip("binary_sizes", [{"gen": "bytes", "size": size} for size in SIZES]),
    round_trip("unicode_text", UNICODE_MESSAGES),
    Scenario(
        "too_big_for_server",
        [send({"gen": "bytes", "size": MiB + 1}), WAIT_CLOSE],
        [WAIT_CLOSE],
        server_config={"max_size": MiB},
        server_needs=frozenset({"max_size"}),
        client_messages=[],
        server_messages=[],
        client_close=("code", 1009),
        server_close=("failed", 1009),
        errors_allowed=frozenset({"server"}),
    ),
    Scenario(
        "too_big_for_client",
        [WAIT_CLOSE],
        [send({"gen": "ascii", "size": MiB + 1}), WAIT_CLOSE],
        client_config={"max_size": MiB},
        client_needs=frozenset({"max_size"}),
        client_messages=[],
        server_messages=[],
        client_close=("failed", 1009),
        server_close=("code", 1009),
        errors_allowed=frozenset({"client"}),
    ),
    Scenario(
        "fragments_from_client",
        fragments_steps() + [RECV, RECV, CLOSE],
        [echo(2), WAIT_CLOSE],
        client_needs=frozenset({"fragments"}),
        client_messages=FRAGMENTED,
        server_messages=FRAGMENTED,
        client_pongs=["in text", "in binary"],
    ),
    Scenario(
        "fragments_from_server",
        [echo(2), CLOSE],
        fragments_steps() + [RECV, RECV, WAIT_CLOSE],
        server_needs=frozenset({"fragments"}),
        client_messages=FRAGMENTED,
        server_messages=FRAGMENTED,
        server_pongs=["in text", "in binary"],
    ),
    round_trip(
        "subprotocol",
        [{"gen": "literal", "text": "hello"}],
        client_config={"subprotocols": ["superchat", "chat"]},
        server_config={"subprotocols": ["chat"]},
        subprotocol="chat",
    ),
    round_trip(
        "deflate_default",
        DEFLATE_MESSAGES,
        client_config={"compression": "default"},
        server_config={"compression": "default"},
        client_needs=frozenset({"deflate"}),
        server_needs=frozenset({"deflate"}),
        extensions="deflate",
        wire="compressed",
    ),
    round_trip(
        "deflate_tuned",
        DEFLATE_MESSAGES,
        client_config={"compression": "tuned"},
        server_config={"compression": "tuned"},
        client_needs=frozenset({"deflate_tuned"}),
        server_needs=frozenset({"deflate_tuned"}),
        extensions="tuned",
        wire="compressed",
    ),
    round_trip(
        "deflate_off_server",
        DEFLATE_MESSAGES[:6],
        client_config={"compression": "default"},
        server_config={"compression": "off"},
        client_needs=frozenset({"deflate"}),
        server_needs=frozenset({"deflate_off"}),
        wire="plain",
    ),
    round_trip(
        "deflate_off_client",
        DEFLATE_MESSAGES[:6],
        client_config={"compression": "off"},
        server_config={"compression": "default"},
        client_needs=frozenset({"deflate_off"}),
        server_needs=frozenset({"deflate"}),
        wire="plain",
    ),
    Scenario(
        "close_from_client",
        [
            send({"gen": "literal", "text": "before close"}),
            {"op": "close", "code": 4001, "reason": "client bye ✓"},
        ],
        [RECV, WAIT_CLOSE],
        client_messages=[],
        server_messages=[expected({"gen": "literal", "text": "before close"})],
        server_close=("exact", 4001, "client bye ✓"),
    ),
    Scenario(
        "close_from_server",
        [RECV, WAIT_CLOSE],
        [
            send({"gen": "literal", "text": "before close"}),
            {"op": "close", "code": 4002, "reason": "server bye ✓"},
        ],
        client_messages=[expected({"gen": "literal", "text": "before close"})],
        server_messages=[],
        client_close=("exact", 4002, "server bye ✓"),
        server_close=("clean",),
    ),
    Scenario(
        "ping_from_client",
        [
            {"op": "ping", "data": "client ping ✓"},
            send({"gen": "literal", "text": "after ping"}),
            CLOSE,
        ],
        [RECV, WAIT_CLOSE],
        client_needs=frozenset({"ping"}),
        client_messages=[],
        server_messages=[expected({"gen": "literal", "text": "after ping"})],
        client_pongs=["client ping ✓"],
    ),
    Scenario(
        "ping_from_server",
        [RECV, CLOSE],
        [
            {"op": "ping", "data": "server ping ✓"},
            send({"gen": "literal", "text": "after ping"}),
            WAIT_CLOSE,
        ],
        server_needs=frozenset({"ping"}),
        client_messages=[expected({"gen": "literal", "text": "after ping"})],
        server_messages=[],
        server_pongs=["server ping ✓"],
    ),
    Scenario(
        "many_messages",
        [{"op": "burst", "count": 10000, "window": 500}, CLOSE],
        [echo(10000, log=False), WAIT_CLOSE],
        burst=10000,
        server_echoed=10000,
        server_messages=[],
    ),
]

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def skip_unless_capable(
    scenario: Scenario,
    client_caps: frozenset[str],
    server_caps: frozenset[str],
    client_name: str,
    server_name: str,
) -> None:
    """Skips a check that one side cannot take part in, saying which and why."""
    for needs, caps, name in (
        (scenario.client_needs, client_caps, client_name),
        (scenario.server_needs, server_caps, server_name),
    ):
        for capability in sorted(needs - caps):
            pytest.skip(f"{name} cannot {CAPABILITIES[capability]}")


def close_problems(
    side: str, expectation: tuple[Any, ...], events: list[Event]
) -> list[str]:
    closes = [event for event in events if event["event"] == "close"]
    if len(closes) != 1:
        return [f"{side}: expected one close event, got {len(closes)}"]
    close = closes[0]
    kind = expectation[0]
    if kind == "exact" and (close["code"], close["reason"]) != expectation[1:]:
        return [
            f"{side}: expected close {expectation[1:]}, got {close['code']}, {close['reason']!r}"
        ]
    if kind == "code" and close["code"] != expectation[1]:
        return [f"{side}: expected close code {expectation[1]}, got {close['code']}"]
    if kind == "clean" and close["code"] in (None, 1006):
        return [f"{side}: the closing handshake didn't complete (code {close['code']})"]
    if kind == "failed" and close.get("sent_code", expectation[1]) != expectation[1]:
        return [
            f"{side}: expected to fail with {expectation[1]}, sent {close['sent_code']}"
        ]
    return []


def extension_problems(scenario: Scenario, side: str, events: list[Event]) -> list[str]:
    opens = [event for event in events if event["event"] == "open"]
    if not opens:
        return []
    extensions = opens[0].get("extensions") or ""
    if scenario.extensions is None and extensions:
        return [f"{side}: expected no extension, got {extensions!r}"]
    if scenario.extensions is not None and "permessage-deflate" not in extensions:
        return [f"{side}: expected permessage-deflate, got {extensions!r}"]
    if scenario.extensions == "tuned" and "max_window_bits=10" not in extensions:
        return [f"{side}: expected tuned parameters, got {extensions!r}"]
    return []


def message_difference(expected: list[Event], received: list[Event]) -> str:
    """Says where the received messages first depart from the expected ones."""
    for index, (want, got) in enumerate(zip(expected, received, strict=False)):
        if want != got:
            return f"message {index}: expected {want}, received {got}"
    return f"expected {len(expected)} messages, received {len(received)}"


def wire_problems(
    scenario: Scenario, side: str, events: list[Event], expected: list[Event] | None
) -> list[str]:
    wires = [event for event in events if event["event"] == "wire"]
    if scenario.wire is None or not wires or expected is None:
        return []
    payload_size = sum(event["len"] for event in expected)
    read = wires[0]["read"]
    if scenario.wire == "compressed" and read >= payload_size * 0.6:
        return [
            f"{side}: read {read} bytes for {payload_size} bytes of messages: not compressed"
        ]
    if scenario.wire == "plain" and read < payload_size:
        return [
            f"{side}: read {read} bytes for {payload_size} bytes of messages: compressed"
        ]
    return []


def check(scenario: Scenario, client: Report, server: Report) -> None:
    """Fails with what both sides saw unless both reports meet the expectations."""
    problems: list[str] = []
    for side, report in (("client", client), ("server", server)):
        events = report.events
        if report.timed_out:
            problems.append(f"{side}: timed out")
        opens = [event for event in events if event["event"] == "open"]
        if len(opens) != 1:
            problems.append(f"{side}: expected one open event, got {len(opens)}")
        elif opens[0]["subprotocol"] != scenario.subprotocol:
            problems.append(
                f"{side}: expected subprotocol {scenario.subprotocol!r}, got {opens[0]['subprotocol']!r}"
            )
        problems += extension_problems(scenario, side, events)
        errors = [event for event in events if event["event"] == "error"]
        if errors and side not in scenario.errors_allowed:
            problems.append(f"{side}: reported errors")
        expected_messages = (
            scenario.client_messages if side == "client" else scenario.server_messages
        )
        messages = [event for event in events if event["event"] == "message"]
        if expected_messages is not None and messages != expected_messages:
            problems.append(
                f"{side}: {message_difference(expected_messages, messages)}"
            )
        problems += wire_problems(scenario, side, events, expected_messages)
        pongs = [event["data"] for event in events if event["event"] == "pong"]
        expected_pongs = (
            scenario.client_pongs if side == "client" else scenario.server_pongs
        )
        if pongs != expected_pongs:
            problems.append(f"{side}: expected pongs {expected_pongs}, got {pongs}")
        expectation = (
            scenario.client_close if side == "client" else scenario.server_close
        )
        problems += close_problems(side, expectation, events)
    if scenario.burst:
        bursts = [event for event in client.events if event["event"] == "burst"]
        if not bursts or not bursts[0]["ok"] or bursts[0]["count"] != scenario.burst:
            problems.append(
                f"client: burst of {scenario.burst} messages failed: {bursts}"
            )
    if scenario.server_echoed is not None:
        echoed = [event for event in server.events if event["event"] == "echoed"]
        if not echoed or echoed[0]["count"] != scenario.server_echoed:
            problems.append(
                f"server: expected to echo {scenario.server_echoed} messages"
            )
    if problems:
        pytest.fail(
            "\n".join(
                [
                    f"scenario {scenario.name}:",
                    *problems,
                    client.describe(),
                    server.describe(),
                ]
            ),
            pytrace=False,
        )

"""
The benchmark suite's own logic, run for a fraction of a second with this
project's implementation: its checks catch a wrong echo, its workers answer,
its analysis computes the ratios it prints. Nothing here is timed.

"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

import pytest

from ws_asyncio.server import ServerConnection, serve


BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.append(str(BENCHMARKS))

import _impl_raw  # noqa: E402
import _impl_wsapi  # noqa: E402
import suite  # noqa: E402
from _harness import Adapter, Channel, CoroutineClient, ServerStats, Tally, clock  # noqa: E402
from _workloads import BY_KEY, CheckFailed, Workload, supported  # noqa: E402


def small(key: str) -> Workload:
    """A workload of the suite, with few connections."""
    workload = BY_KEY[key]
    return dataclasses.replace(workload, connections=min(workload.connections, 3))


async def run_pair(adapter: Adapter, workload: Workload, duration: float) -> Tally:
    stats = ServerStats()
    listening = None if workload.serverless else await adapter.serve(workload, stats)
    try:
        client = adapter.client(workload, 0 if listening is None else listening.port)
        await client.prepare()
        tally = await client.run(clock() + duration)
        await client.finish()
    finally:
        if listening is not None:
            await listening.close()
    assert stats.errors == []
    return tally


@pytest.mark.parametrize(
    "key",
    [
        "echo-32",
        "echo-64k",
        "conns-100",
        "stream-1k",
        "mask-1m",
        "deflate-1k",
        "open-close",
        "mem-idle-deflate",
        "sync-32",
        "framing-1m",
    ],
)
def test_workload_completes_and_checks_pass(key: str) -> None:
    workload = small(key)
    tally = asyncio.run(run_pair(_impl_wsapi.Adapter(), workload, 0.02))
    assert tally.count > 0
    assert tally.nbytes == tally.count * workload.size


@pytest.mark.parametrize("key", ["raw-echo-32", "open-close", "mem-idle"])
def test_raw_protocol_completes(key: str) -> None:
    tally = asyncio.run(run_pair(_impl_raw.Adapter(), small(key), 0.02))
    assert tally.count > 0


async def run_against(handler: object, workload: Workload) -> None:
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:  # type: ignore[arg-type]
        port = server.sockets[0].getsockname()[1]
        client = _impl_wsapi.Adapter().client(workload, port)
        await client.prepare()
        try:
            await client.run(clock() + 0.02)
        finally:
            await client.finish()


def test_echo_check_catches_a_changed_message() -> None:
    async def lossy_echo(connection: ServerConnection) -> None:
        async for message in connection:
            await connection.send(message[:-1])

    with pytest.raises(CheckFailed, match="echo differs"):
        asyncio.run(run_against(lossy_echo, BY_KEY["echo-1k"]))


def test_feed_check_catches_a_changed_message() -> None:
    async def wrong_feed(connection: ServerConnection) -> None:
        async for request in connection:
            for _ in range(int(request)):
                await connection.send(b"\x00" * BY_KEY["stream-1k"].size)

    with pytest.raises(CheckFailed, match="streamed message differs"):
        asyncio.run(run_against(wrong_feed, BY_KEY["stream-1k"]))


def test_sink_check_catches_a_lost_message() -> None:
    async def forgetful_sink(connection: ServerConnection) -> None:
        async for message in connection:
            if isinstance(message, str):
                await connection.send("0")

    with pytest.raises(CheckFailed, match="counted 0 messages"):
        asyncio.run(run_against(forgetful_sink, BY_KEY["mask-1m"]))


def test_open_close_check_catches_an_unclean_close() -> None:
    async def dial() -> Channel:
        async def nothing(*args: object) -> None:
            pass

        return Channel(nothing, nothing, nothing, nothing, nothing, lambda: False)

    client = CoroutineClient(small("open-close"), dial)
    with pytest.raises(CheckFailed, match="closing handshake"):
        asyncio.run(client.run(clock() + 0.02))


def test_sink_server_reports_a_corrupted_message() -> None:
    async def main() -> list[str]:
        from ws_asyncio.client import connect

        workload = BY_KEY["mask-1m"]
        stats = ServerStats()
        listening = await _impl_wsapi.Adapter().serve(workload, stats)
        async with connect(f"ws://127.0.0.1:{listening.port}/") as client:
            await client.send(b"corrupted")
            await client.send("count")
            assert await client.recv() == "0"
        await listening.close()
        return stats.errors

    assert asyncio.run(main()) == ["the server received a corrupted message"]


def test_workers_measure_throughput_and_memory() -> None:
    """The driver's own path: worker processes, commands, figures."""
    ours = suite.Implementation("ours", sys.executable, ["asyncio"])
    pair = suite.Pair(ours, "asyncio")
    try:
        figures = suite.run_once(pair, BY_KEY["echo-32"], 0.05)
        memory = suite.measure_memory(pair, BY_KEY["mem-idle"], 5)
    finally:
        pair.stop()
    assert figures["count"] > 0 and figures["cpu"] > 0 and figures["server_cpu"] > 0
    assert memory["connections"] == 5


def sample(
    key: str, impl: str, number: int, count: int, loop: str = "asyncio"
) -> suite.Sample:
    figures = {"count": count, "cpu": 0.5, "server_cpu": 0.5, "wall": 1.0, "nbytes": 0}
    return suite.Sample(key, impl, loop, number, figures)


def test_ratios_are_medians_of_per_round_ratios() -> None:
    samples = [
        sample("echo-32", "ws17", 0, 100),
        sample("echo-32", "ours", 0, 150),
        sample("echo-32", "ws17", 1, 200),
        sample("echo-32", "ours", 1, 500),
        sample("echo-32", "ws17", 2, 100),
        sample("echo-32", "ours", 2, 200),
        sample("raw-echo-32", "raw", 0, 400),
    ]
    summary = suite.summarize(samples, "cpu")
    ours = summary["echo-32"]["asyncio"]["ours"]
    assert ours["ratios"] == [1.5, 2.5, 2.0]
    assert ours["ratio"] == 2.0
    assert ours["median"] == 200.0
    # The reference row compares with websockets' echo in the same round.
    assert summary["raw-echo-32"]["asyncio"]["raw"]["ratio"] == 4.0


def test_targets_and_table() -> None:
    samples = [
        sample("echo-32", "ws17", 0, 100, "uvloop"),
        sample("echo-32", "ours", 0, 250, "uvloop"),
        sample("echo-32", "picows", 0, 300, "uvloop"),
        sample("echo-1k", "ws17", 0, 100),
        sample("echo-1k", "ours", 0, 300),
        sample("open-close", "ws17", 0, 1000),
        sample("open-close", "ours", 0, 1000),
    ]
    summary = suite.summarize(samples, "cpu")
    workload = BY_KEY["echo-32"]
    # On uvloop, the target is picows' ratio in the same run.
    assert suite.misses(workload, "uvloop", summary["echo-32"]["uvloop"]) is True
    assert (
        suite.misses(BY_KEY["echo-1k"], "asyncio", summary["echo-1k"]["asyncio"])
        is False
    )
    args = argparse.Namespace(metric="cpu", rounds=1, connections=1000)
    table = suite.render(summary, samples, {}, args)
    assert "2.50x*" in table and "3.00x" in table
    # 1 s of CPU per 1000 connections: 1000 µs, half on each side.
    assert "ours" in table and "1000     500     500" in table


def test_selection_by_prefix() -> None:
    assert suite.select("echo-1") == ["echo-1k", "echo-1m"]
    assert suite.select("raw")[:2] == ["echo-32", "raw-echo-32"]
    with pytest.raises(SystemExit):
        suite.select("nothing")


def test_implementations_run_what_they_support() -> None:
    assert supported("ours", BY_KEY["sync-32"])
    assert not supported("picows", BY_KEY["deflate-1k"])
    assert supported("aiohttp", BY_KEY["deflate-1k"])
    assert not supported("aiohttp", BY_KEY["framing-1m"])
    assert supported("raw", BY_KEY["open-close"])
    assert not supported("ours", BY_KEY["raw-echo-32"])

"""
Soak benchmark: many connections to one asyncio server, some of them hostile,
for ws_asyncio and websockets 17.x in the same run.

One server process serves an echo handler; client processes open
``--connections`` connections to it and keep them busy for ``--duration``
seconds:

* honest clients (90%) send a 64-byte message about once a second and wait for
  its echo;
* slow readers (4%) send 16 KiB messages and never read the echoes;
* flooders (2%) send 64 KiB messages as fast as the server takes them, and
  never read;
* quitters (4%) exchange a few messages, then reset the TCP connection without
  a closing handshake, and connect again.

The figures: messages that honest clients got back, honest connections lost
(there must be none), the peak resident memory of the server per connection,
and percentiles of the round-trip time of honest messages. The clients speak
WebSocket over raw asyncio streams, the same code against both servers.

    python benchmarks/soak.py [--connections N] [--duration SECONDS]
                              [--clients PROCESSES] [--only ours|ws17]

websockets 17.x runs in a virtual environment under ``.bench/``, created on
first use (see ``benchmarks/_peers.py``). The file-descriptor limit of every
process is raised to its hard limit.

"""

from __future__ import annotations

import sys


# benchmarks/http.py would shadow the http module of the standard library,
# which the code under test imports: keep this directory out of the path.
del sys.path[0]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT / "benchmarks"))

from _peers import ensure_peer  # noqa: E402


SHARES = {"honest": 0.90, "slow": 0.04, "flood": 0.02, "quit": 0.04}
HONEST_SIZE = 64
SLOW_SIZE = 2**14
FLOOD_SIZE = 2**16


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss() -> int:
    """Resident memory of this process, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# Server side: runs in the interpreter of the implementation under test.


async def serve_echo(implementation: str) -> None:
    if implementation == "ws17":
        from websockets.asyncio.server import serve
    else:
        from ws_asyncio.server import serve

    async def echo(connection: Any) -> None:
        try:
            async for message in connection:
                await connection.send(message)
        except Exception:
            pass  # hostile clients end in every way

    baseline = peak = rss()
    loop = asyncio.get_running_loop()
    async with serve(
        echo, "127.0.0.1", 0, compression=None, ping_interval=None, backlog=4096
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        # The parent writes a line once the clients are done.
        stop = loop.run_in_executor(None, sys.stdin.readline)
        while not stop.done():
            await asyncio.wait({stop}, timeout=0.25)
            peak = max(peak, rss())
        server.close(close_connections=False)
    print(json.dumps({"baseline": baseline, "peak": peak}), flush=True)


# Client side: raw WebSocket over asyncio streams, in this interpreter.


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked frame; the zero mask leaves the payload as is."""
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 2**16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return head + b"\x00\x00\x00\x00" + payload


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    return head[0] & 0x0F, await reader.readexactly(length)


async def open_raw(
    port: int,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET / HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101 "):
        raise ConnectionError(head.split(b"\r\n")[0].decode())
    return reader, writer


def reset(writer: asyncio.StreamWriter) -> None:
    """Close the TCP connection with a reset, as a crashed client would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Stats:
    def __init__(self) -> None:
        self.delivered = 0
        self.lost = 0
        self.connect_errors = 0
        self.latencies: list[float] = []
        self.quits = 0
        self.hostile_sent = 0


async def honest(port: int, stop: float, stats: Stats) -> None:
    try:
        reader, writer = await open_raw(port)
    except (OSError, asyncio.IncompleteReadError, ConnectionError):
        stats.connect_errors += 1
        return
    payload = os.urandom(HONEST_SIZE)
    try:
        await asyncio.sleep(random.random())
        while time.monotonic() < stop:
            sent_at = time.perf_counter()
            writer.write(client_frame(0x2, payload))
            opcode, data = await asyncio.wait_for(read_frame(reader), 30)
            if opcode != 0x2 or data != payload:
                raise ConnectionError(f"unexpected frame {opcode}")
            stats.latencies.append(time.perf_counter() - sent_at)
            stats.delivered += 1
            await asyncio.sleep(0.5 + random.random())
        writer.write(client_frame(0x8, b"\x03\xe8"))
        await asyncio.wait_for(read_frame(reader), 30)
    except (OSError, asyncio.IncompleteReadError, ConnectionError, TimeoutError):
        stats.lost += 1
    finally:
        writer.transport.abort()


async def slow(port: int, stop: float, stats: Stats, size: int) -> None:
    try:
        reader, writer = await open_raw(port)
    except (OSError, asyncio.IncompleteReadError, ConnectionError):
        stats.connect_errors += 1
        return
    frame = client_frame(0x2, b"\x00" * size)
    try:
        while time.monotonic() < stop:
            writer.write(frame)
            stats.hostile_sent += len(frame)
            # Never read; the server's echoes pile up in the kernel, then the
            # server stops reading this connection, and drain() waits.
            await asyncio.wait_for(writer.drain(), max(stop - time.monotonic(), 0.01))
            if size == SLOW_SIZE:
                await asyncio.sleep(0.2)
    except (OSError, ConnectionError, TimeoutError):
        pass
    finally:
        reset(writer)


async def quitter(port: int, stop: float, stats: Stats) -> None:
    while time.monotonic() < stop:
        try:
            reader, writer = await open_raw(port)
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            stats.connect_errors += 1
            await asyncio.sleep(1)
            continue
        try:
            for _ in range(random.randint(1, 5)):
                writer.write(client_frame(0x1, b"bye soon"))
                await read_frame(reader)
                await asyncio.sleep(random.random())
        except (OSError, asyncio.IncompleteReadError):
            pass
        reset(writer)
        stats.quits += 1


async def load(port: int, counts: dict[str, int], duration: float) -> dict[str, Any]:
    stats = Stats()
    stop = time.monotonic() + duration
    tasks = []
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    random.shuffle(kinds)
    for kind in kinds:
        if kind == "honest":
            tasks.append(asyncio.create_task(honest(port, stop, stats)))
        elif kind == "slow":
            tasks.append(asyncio.create_task(slow(port, stop, stats, SLOW_SIZE)))
        elif kind == "flood":
            tasks.append(asyncio.create_task(slow(port, stop, stats, FLOOD_SIZE)))
        else:
            tasks.append(asyncio.create_task(quitter(port, stop, stats)))
        # Spread the opening handshakes over the first seconds.
        await asyncio.sleep(0.0005)
    await asyncio.gather(*tasks)
    return {
        "delivered": stats.delivered,
        "lost": stats.lost,
        "connect_errors": stats.connect_errors,
        "quits": stats.quits,
        "hostile_sent": stats.hostile_sent,
        "latencies": stats.latencies,
    }


# Parent side: runs a server and its clients for each implementation.


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def split(total: int, parts: int) -> list[int]:
    return [
        total // parts + (1 if index < total % parts else 0) for index in range(parts)
    ]


def run(implementation: str, python: str, args: argparse.Namespace) -> dict[str, Any]:
    server = subprocess.Popen(
        [python, __file__, "--serve", implementation],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    counts = {kind: round(args.connections * share) for kind, share in SHARES.items()}
    counts["honest"] = args.connections - sum(
        count for kind, count in counts.items() if kind != "honest"
    )
    per_client = {kind: split(count, args.clients) for kind, count in counts.items()}
    clients = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--load",
                str(port),
                "--counts",
                json.dumps({kind: per_client[kind][index] for kind in counts}),
                "--duration",
                str(args.duration),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(args.clients)
    ]
    results = [json.loads(client.communicate()[0]) for client in clients]
    report = json.loads(server.communicate("stop\n", timeout=60)[0])
    latencies = [value for result in results for value in result["latencies"]]
    return {
        "counts": counts,
        "delivered": sum(result["delivered"] for result in results),
        "lost": sum(result["lost"] for result in results),
        "connect_errors": sum(result["connect_errors"] for result in results),
        "quits": sum(result["quits"] for result in results),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "peak": report["peak"] - report["baseline"],
        "per_connection": (report["peak"] - report["baseline"]) / args.connections,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=3, help="client processes")
    parser.add_argument("--only", choices=["ours", "ws17"])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--load", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--counts", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit()

    if args.serve:
        asyncio.run(serve_echo(args.serve))
        return
    if args.load:
        result = asyncio.run(load(args.load, json.loads(args.counts), args.duration))
        print(json.dumps(result))
        return

    pythons = {"ours": sys.executable, "ws17": str(ensure_peer("ws17"))}
    names = [args.only] if args.only else ["ours", "ws17"]
    print(
        f"{args.connections} connections for {args.duration:g} s, "
        f"{args.clients} client processes; shares: "
        + ", ".join(f"{kind} {share:.0%}" for kind, share in SHARES.items())
    )
    print(
        f"{'server':<8} {'delivered':>10} {'lost':>5} {'refused':>8} {'quits':>6}"
        f" {'peak MiB':>9} {'KiB/conn':>9} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for name in names:
        figures = run(name, pythons[name], args)
        print(
            f"{name:<8} {figures['delivered']:>10} {figures['lost']:>5}"
            f" {figures['connect_errors']:>8} {figures['quits']:>6}"
            f" {figures['peak'] / 2**20:>9.1f}"
            f" {figures['per_connection'] / 2**10:>9.1f}"
            f" {figures['p50'] * 1000:>7.1f} {figures['p99'] * 1000:>7.1f}"
            f" {figures['max'] * 1000:>7.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""
permessage-deflate speed and memory: ws_deflate against websockets 17.x.

Both implementations run the same workloads in their own interpreter, in the
same run of this script, on JSON-like text messages of 1 KiB and 64 KiB:

* compress: ``PerMessageDeflate.encode`` of one text frame per message, with
  context takeover, as a connection sends a stream of messages;
* decompress: ``PerMessageDeflate.decode`` of the frames compressed by the
  same implementation, in order, with ``max_size=2**20`` like a connection
  with the default limit.

Two configurations: the defaults of ``enable_server_permessage_deflate``
(12-bit windows, ``memLevel=5``) and zlib's defaults (15-bit windows,
``memLevel=8``). Each figure is the best of several repetitions, in MB/s of
uncompressed data, measured in CPU time of the process, alternating the
implementations for a few rounds.

It also reports the memory that the default settings of the
``enable_*_permessage_deflate`` helpers cost per connection, measured with
:mod:`tracemalloc` after one message in each direction, and for a client that
only received one.

    python benchmarks/deflate.py [--repeat N] [--quick]

websockets 17.x runs in a virtual environment under ``.bench/`` (see
``benchmarks/_peers.py``), created on first use.

"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any


# Python puts the directory of this script first on sys.path, where sibling
# scripts named like standard modules (http.py) would shadow them.
HERE = Path(__file__).resolve().parent
sys.path[:] = [path for path in sys.path if Path(path or ".").resolve() != HERE]

CONFIGURATIONS: dict[str, tuple[int, dict[str, Any]]] = {
    "12 bits, memLevel 5": (12, {"memLevel": 5}),
    "15 bits, memLevel 8": (15, {}),
}


def json_like(size: int, seed: int) -> bytes:
    """Build a deterministic JSON array of records of about ``size`` bytes."""
    rng = random.Random(seed)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
    records: list[str] = []
    total = 2
    while total < size:
        record = json.dumps(
            {
                "id": rng.randrange(10**6),
                "name": f"{rng.choice(words)}-{rng.choice(words)}",
                "price": round(rng.uniform(0, 1000), 2),
                "active": rng.random() < 0.5,
                "tags": rng.sample(words, 3),
                "position": {"x": rng.randrange(1000), "y": rng.randrange(1000)},
            }
        )
        records.append(record)
        total += len(record) + 2
    return ("[" + ", ".join(records) + "]").encode()[:size]


def messages(size: int, count: int) -> list[bytes]:
    """Different messages with the same structure, like a real stream."""
    return [json_like(size, seed) for seed in range(count)]


# Workers: each runs in the interpreter of one implementation and imports
# only that implementation.


def implementation(name: str) -> tuple[Any, Any, Any, Any, Any]:
    """PerMessageDeflate, Frame, Opcode and the two helpers of an implementation."""
    # The peer is only importable in its own environment: import by name.
    if name == "ws_deflate":
        extension = importlib.import_module("ws_deflate.permessage_deflate")
        frames = importlib.import_module("ws_frames.frames")
    else:
        extension = importlib.import_module("websockets.extensions.permessage_deflate")
        frames = importlib.import_module("websockets.frames")
    return (
        extension.PerMessageDeflate,
        frames.Frame,
        frames.Opcode,
        extension.enable_client_permessage_deflate,
        extension.enable_server_permessage_deflate,
    )


def compress_all(
    extension_class: Any, bits: int, settings: dict[str, Any], frames: list[Any]
) -> list[Any]:
    encoder = extension_class(False, False, bits, bits, settings)
    return [encoder.encode(frame) for frame in frames]


def decompress_all(
    extension_class: Any, bits: int, settings: dict[str, Any], frames: list[Any]
) -> list[Any]:
    decoder = extension_class(False, False, bits, bits, settings)
    return [decoder.decode(frame, max_size=2**20) for frame in frames]


def best_rate(run: Callable[[], object], volume: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        # CPU time of this process: other processes on the machine slow down
        # wall-clock time much more than they slow down CPU time.
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return volume / best / 1e6


def memory_per_connection(name: str) -> dict[str, float]:
    """KiB held by each side with the defaults of both helpers."""
    _, Frame, Opcode, enable_client, enable_server = implementation(name)
    message = json_like(65536, 0)
    results: dict[str, float] = {}
    (client_factory,) = enable_client(None)
    (server_factory,) = enable_server(None)
    for side, both_ways in [("server", True), ("client", True), ("client", False)]:
        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        response, server = server_factory.process_request_params(
            client_factory.get_request_params(), []
        )
        client = client_factory.process_response_params(response, [])
        extension, peer = (server, client) if side == "server" else (client, server)
        extension.decode(peer.encode(Frame(Opcode.TEXT, message)))
        if both_ways:
            peer.decode(extension.encode(Frame(Opcode.TEXT, message)))
        del peer, server, client
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        label = side if both_ways else f"{side} that only receives"
        results[f"memory per connection, {label} (KiB)"] = (after - before) / 1024
        del extension
    return results


def worker(name: str, repeat: int, count_small: int, count_large: int) -> None:
    PerMessageDeflate, Frame, Opcode, _, _ = implementation(name)
    results: dict[str, float] = {}
    for size, count, label in [
        (1024, count_small, "1 KiB"),
        (65536, count_large, "64 KiB"),
    ]:
        # More distinct messages than the largest window holds, so that no
        # message is compressed as a copy of an earlier one.
        distinct = max(16, 2 * 32768 // size)
        payloads = messages(size, distinct)
        frames = [Frame(Opcode.TEXT, payloads[i % distinct]) for i in range(count)]
        volume = sum(len(frame.data) for frame in frames)
        for config, (bits, settings) in CONFIGURATIONS.items():
            compressed = compress_all(PerMessageDeflate, bits, settings, frames)
            compress = functools.partial(
                compress_all, PerMessageDeflate, bits, settings, frames
            )
            decompress = functools.partial(
                decompress_all, PerMessageDeflate, bits, settings, compressed
            )
            ratio = sum(len(f.data) for f in compressed) / volume
            results[f"compress {label}, {config}"] = best_rate(compress, volume, repeat)
            results[f"decompress {label}, {config}"] = best_rate(
                decompress, volume, repeat
            )
            results[f"compressed size {label}, {config} (%)"] = 100 * ratio
    results.update(memory_per_connection(name))
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10x fewer messages")
    parser.add_argument(
        "--worker", choices=["ws_deflate", "websockets"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    count_small, count_large = (2_000, 20) if args.quick else (20_000, 200)

    if args.worker is not None:
        worker(args.worker, args.repeat, count_small, count_large)
        return

    sys.path.append(str(HERE))
    from _peers import ensure_peer, run_json

    script = Path(__file__).resolve()
    options = ["--repeat", str(args.repeat)] + (["--quick"] if args.quick else [])
    interpreters = {
        "ws_deflate": Path(sys.executable),
        "websockets": ensure_peer("ws17"),
    }
    # Alternate the implementations for several rounds and keep the best
    # figure of each, so that a burst of load on the machine doesn't favour
    # one of them.
    results: dict[str, dict[str, float]] = {name: {} for name in interpreters}
    for _ in range(args.rounds):
        for name, python in interpreters.items():
            for label, value in run_json(
                python, script, "--worker", name, *options
            ).items():
                if label.startswith(("compress ", "decompress ")):
                    value = max(value, results[name].get(label, value))
                results[name][label] = value
    ours, theirs = results["ws_deflate"], results["websockets"]

    print(
        f"{'MB/s, or as labelled':<52}{'ws_deflate':>12}{'websockets':>12}{'ratio':>9}"
    )
    for label, value in ours.items():
        other = theirs[label]
        print(f"{label:<52}{value:>12,.1f}{other:>12,.1f}{value / other:>8.2f}x")


if __name__ == "__main__":
    main()

"""
Sans-I/O framing speed: ws_frames against websockets 17.x and wsproto.

Every implementation runs the same workloads in its own interpreter, in the
same run of this script:

* parse 100k small masked frames (server side), fed one frame per
  ``receive_data`` call and in 64 KiB reads, then ``events_received``;
* parse 1k masked 64 KiB frames, one frame per ``receive_data`` call;
* serialize the same frames (client side, masked): ``send_*`` then
  ``data_to_send``;
* mask 1 MiB payloads with ``apply_mask`` (not in wsproto's API).

Each figure is the best of several runs, in frames per second of CPU time;
runs of each workload alternate between implementations.

    python benchmarks/frames.py [--runs N] [--quick] [--previous PATH]

websockets 17.x and wsproto run in virtual environments under ``.bench/``
(see ``benchmarks/_peers.py``), created on first use. ``--previous PATH``
adds the ws-frames of another checkout of this repository, e.g. ``git
worktree add ../previous HEAD~1``, installed in its own environment with its
C speed-up compiled, to tell whether a change made ws_frames faster. The
last columns divide our rate by each other one: above 1.00x, we're faster.

"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


HERE = Path(__file__).resolve().parent

SMALL_PAYLOAD = b"0123456789abcdef0123456789abcdef"  # 32 bytes of text
LARGE_PAYLOAD = bytes(range(256)) * 256  # 64 KiB
MASK = b"\x12\x34\x56\x78"
READ_SIZE = 65536


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """Build a masked frame with the standard library only."""
    length = len(payload)
    if length < 126:
        header = bytes([0x80 | opcode, 0x80 | length])
    elif length < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
    masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return header + MASK + masked


def workloads(count_small: int, count_large: int) -> dict[str, tuple[list[bytes], int]]:
    small = masked_frame(0x1, SMALL_PAYLOAD)
    large = masked_frame(0x2, LARGE_PAYLOAD)
    stream = small * count_small
    reads = [stream[i : i + READ_SIZE] for i in range(0, len(stream), READ_SIZE)]
    return {
        "parse small, 1 frame/read": ([small] * count_small, count_small),
        "parse small, 64 KiB reads": (reads, count_small),
        "parse 64 KiB, 1 frame/read": ([large] * count_large, count_large),
    }


# Workers: each runs in the interpreter of one implementation and imports
# only that implementation.


def parser_ws_frames() -> Callable[[list[bytes]], int]:
    from ws_frames.protocol import SERVER, Protocol

    def parse(chunks: list[bytes]) -> int:
        protocol = Protocol(SERVER, max_size=None)
        received = 0
        for chunk in chunks:
            protocol.receive_data(chunk)
            received += len(protocol.events_received())
        return received

    return parse


def parser_websockets() -> Callable[[list[bytes]], int]:
    # Imported by name: the websockets of this interpreter is the incumbent,
    # not the meta-package that type checkers see.
    module = importlib.import_module("websockets.protocol")
    Protocol, SERVER = module.Protocol, module.SERVER

    def parse(chunks: list[bytes]) -> int:
        protocol = Protocol(SERVER, max_size=None)
        received = 0
        for chunk in chunks:
            protocol.receive_data(chunk)
            received += len(protocol.events_received())
        return received

    return parse


def parser_wsproto() -> Callable[[list[bytes]], int]:
    from wsproto.connection import Connection, ConnectionType

    def parse(chunks: list[bytes]) -> int:
        connection = Connection(ConnectionType.SERVER)
        received = 0
        for chunk in chunks:
            connection.receive_data(chunk)
            # wsproto splits a frame that straddles two reads in two events.
            for event in connection.events():
                if getattr(event, "message_finished", True):
                    received += 1
        return received

    return parse


def sender_ws_frames() -> Callable[[bytes, bool, int], int]:
    from ws_frames.protocol import CLIENT, Protocol

    def send(payload: bytes, text: bool, count: int) -> int:
        protocol = Protocol(CLIENT)
        send = protocol.send_text if text else protocol.send_binary
        sent = 0
        for _ in range(count):
            send(payload)
            sent += len(protocol.data_to_send())
        return sent

    return send


def sender_websockets() -> Callable[[bytes, bool, int], int]:
    module = importlib.import_module("websockets.protocol")
    Protocol, CLIENT = module.Protocol, module.CLIENT

    def send(payload: bytes, text: bool, count: int) -> int:
        protocol = Protocol(CLIENT)
        send = protocol.send_text if text else protocol.send_binary
        sent = 0
        for _ in range(count):
            send(payload)
            sent += len(protocol.data_to_send())
        return sent

    return send


def sender_wsproto() -> Callable[[bytes, bool, int], int]:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage, TextMessage

    def send(payload: bytes, text: bool, count: int) -> int:
        connection = Connection(ConnectionType.CLIENT)
        sent = 0
        message: TextMessage | BytesMessage
        if text:
            message = TextMessage(data=payload.decode())
        else:
            message = BytesMessage(data=payload)
        for _ in range(count):
            if connection.send(message):
                sent += 1
        return sent

    return send


def masker_ws_frames() -> Callable[[bytes, bytes], bytes]:
    from ws_frames.utils import apply_mask

    return apply_mask


def masker_websockets() -> Callable[[bytes, bytes], bytes]:
    apply_mask: Callable[[bytes, bytes], bytes]
    # The one that websockets runs: frames.py imports the compiled speed-up.
    apply_mask = importlib.import_module("websockets.frames").apply_mask
    return apply_mask


MASKERS: dict[str, Callable[[], Callable[[bytes, bytes], bytes] | None]] = {
    "ws_frames": masker_ws_frames,
    "websockets": masker_websockets,
    "wsproto": lambda: None,  # no public masking function
}


WORKERS: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "ws_frames": (parser_ws_frames, sender_ws_frames),
    "websockets": (parser_websockets, sender_websockets),
    "wsproto": (parser_wsproto, sender_wsproto),
}


def rate(run: Callable[[], int], expected: int) -> float:
    # CPU time of the worker: the workloads do no I/O, and on a shared
    # machine, wall time would count the other processes too.
    start = time.process_time()
    done = run()
    elapsed = time.process_time() - start
    assert done == expected, f"processed {done} frames, expected {expected}"
    return expected / elapsed


def worker(name: str, count_small: int, count_large: int) -> None:
    """
    Serve runs of workloads: read a label per line, print the rate as JSON.

    The first line printed lists the labels of the workloads.

    """
    make_parser, make_sender = WORKERS[name]
    parse = make_parser()
    send = make_sender()
    runs: dict[str, tuple[Callable[[], int], int]] = {}
    for label, (chunks, expected) in workloads(count_small, count_large).items():
        runs[label] = (functools.partial(parse, chunks), expected)
    runs["serialize small"] = (
        functools.partial(send, SMALL_PAYLOAD, True, count_small),
        count_small,
    )
    runs["serialize 64 KiB"] = (
        functools.partial(send, LARGE_PAYLOAD, False, count_large),
        count_large,
    )
    apply_mask = MASKERS[name]()
    if apply_mask is not None:
        # MiB/s of masking 1 MiB payloads, reported like frames/s.
        payload = LARGE_PAYLOAD * 16

        def mask() -> int:
            return sum(1 for _ in range(count_large) if apply_mask(payload, MASK))

        runs["apply_mask 1 MiB, MiB/s"] = (mask, count_large)

    print(json.dumps(list(runs)), flush=True)
    for line in sys.stdin:
        run, expected = runs[line.strip()]
        print(json.dumps(rate(run, expected)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of each workload per implementation"
    )
    parser.add_argument("--quick", action="store_true", help="10x fewer frames")
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="PATH",
        help="also measure the ws-frames of this checkout, e.g. a previous commit",
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    count_small, count_large = (10_000, 100) if args.quick else (100_000, 1_000)

    if args.worker is not None:
        worker(args.worker, count_small, count_large)
        return

    spec = importlib.util.spec_from_file_location("_peers", HERE / "_peers.py")
    assert spec is not None and spec.loader is not None
    peers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peers)

    script = Path(__file__).resolve()
    options = ["--quick"] if args.quick else []
    # Column: (interpreter, worker); the previous ws_frames runs the workers
    # of ws_frames in its own environment.
    columns: dict[str, tuple[Path, str]] = {
        "ws_frames": (Path(sys.executable), "ws_frames")
    }
    if args.previous is not None:
        columns["previous"] = (peers.ensure_previous(args.previous), "ws_frames")
    columns["websockets"] = (peers.ensure_peer("ws17"), "websockets")
    columns["wsproto"] = (peers.ensure_peer("wsproto"), "wsproto")
    workers = {
        column: peers.Worker(python, script, "--worker", name, *options)
        for column, (python, name) in columns.items()
    }
    try:
        # Runs alternate between implementations, one workload at a time, so
        # that a slow spell of a shared machine doesn't penalize only one of
        # them; the best run counts.
        results: dict[str, dict[str, float]] = {column: {} for column in workers}
        for _ in range(args.runs):
            for label in workers["ws_frames"].labels:
                for column, peer in workers.items():
                    if label in peer.labels:
                        result = peer.run(label)
                        best = results[column].get(label, 0.0)
                        results[column][label] = max(result, best)
    finally:
        for peer in workers.values():
            peer.close()

    ratios = [column for column in workers if column != "ws_frames"]
    print(
        f"{'frames/s':<28}"
        + "".join(f"{column:>12}" for column in workers)
        + "".join(f"{'/' + column:>13}" for column in ratios)
    )
    ours = results["ws_frames"]
    for label, rate in ours.items():
        cells = [results[column].get(label) for column in workers]
        line = f"{label:<28}" + "".join(
            f"{'n/a':>12}" if cell is None else f"{cell:>12,.0f}" for cell in cells
        )
        for column in ratios:
            other = results[column].get(label)
            line += f"{'n/a':>13}" if other is None else f"{rate / other:>12.2f}x"
        print(line)


if __name__ == "__main__":
    # Python puts the directory of the script first on sys.path, where other
    # benchmarks could shadow modules of the standard library (http.py).
    sys.path[:] = [path for path in sys.path if Path(path or ".").resolve() != HERE]
    main()

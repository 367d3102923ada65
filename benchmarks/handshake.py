"""
Opening handshake speed: ws_http against websockets 17.x.

Both implementations run the same workloads in their own interpreter, in the
same run of this script:

* parse request: ``Request.parse`` of a typical browser handshake request
  (14 headers, 560 bytes) received in one piece;
* parse response: ``Response.parse`` of a typical 101 response received in
  one piece;
* server handshake: a ``ServerProtocol`` receives the request, ``accept()``
  builds the response, ``send_response()`` serializes it;
* client handshake: a ``ClientProtocol`` builds and sends its request, then
  receives the response and checks it.

Each figure is the best of several repetitions, in operations per second,
alternating the implementations for a few rounds.

    python benchmarks/handshake.py [--repeat N] [--rounds N] [--quick]

websockets 17.x runs in a virtual environment under ``.bench/`` (see
``benchmarks/_peers.py``), created on first use.

"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

# What a browser sends, give or take a cookie.
REQUEST = (
    b"GET /chat?room=lobby HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Connection: Upgrade\r\n"
    b"Pragma: no-cache\r\n"
    b"Cache-Control: no-cache\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
    b"(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
    b"Upgrade: websocket\r\n"
    b"Origin: https://example.com\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Accept-Encoding: gzip, deflate, br\r\n"
    b"Accept-Language: en-US,en;q=0.9\r\n"
    b"Cookie: session=0123456789abcdef0123456789abcdef\r\n"
    b"Sec-WebSocket-Key: " + KEY.encode() + b"\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"Sec-WebSocket-Protocol: chat, superchat\r\n"
    b"\r\n"
)

RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Date: Sat, 21 Nov 2026 12:00:00 GMT\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: " + ACCEPT.encode() + b"\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"Server: Python/3.11 websockets/17.0\r\n"
    b"\r\n"
)


def workers(pkg: dict[str, Any]) -> dict[str, Callable[[int], int]]:
    """
    Build the workloads from the modules of one implementation.

    ``pkg`` maps the names of the websockets modules to the modules of the
    implementation that provide them.

    """
    StreamReader = pkg["streams"].StreamReader
    Request = pkg["http11"].Request
    Response = pkg["http11"].Response
    ClientProtocol = pkg["client"].ClientProtocol
    ServerProtocol = pkg["server"].ServerProtocol
    uri = pkg["uri"].parse_uri("ws://server.example.com/chat?room=lobby")
    subprotocols = ["chat"]

    def parse_request(count: int) -> int:
        done = 0
        for _ in range(count):
            reader = StreamReader()
            reader.feed_data(REQUEST)
            parser = Request.parse(reader.read_line)
            try:
                next(parser)
            except StopIteration as exc:
                done += exc.value.path == "/chat?room=lobby"
        return done

    def parse_response(count: int) -> int:
        done = 0
        for _ in range(count):
            reader = StreamReader()
            reader.feed_data(RESPONSE)
            parser = Response.parse(
                reader.read_line, reader.read_exact, reader.read_to_eof
            )
            try:
                next(parser)
            except StopIteration as exc:
                done += exc.value.status_code == 101
        return done

    def server_handshake(count: int) -> int:
        done = 0
        for _ in range(count):
            server = ServerProtocol(subprotocols=subprotocols)
            server.receive_data(REQUEST)
            [request] = server.events_received()
            response = server.accept(request)
            server.send_response(response)
            done += len(server.data_to_send()) == 1 and response.status_code == 101
        return done

    def client_handshake(count: int) -> int:
        done = 0
        for _ in range(count):
            client = ClientProtocol(uri, subprotocols=subprotocols)
            client.key = KEY
            client.send_request(client.connect())
            client.data_to_send()
            client.receive_data(RESPONSE)
            client.events_received()
            done += client.handshake_exc is None
        return done

    return {
        "parse request": parse_request,
        "parse response": parse_response,
        "server handshake": server_handshake,
        "client handshake": client_handshake,
    }


def modules_ws_http() -> dict[str, Any]:
    return {
        "streams": importlib.import_module("ws_frames.streams"),
        "http11": importlib.import_module("ws_http.http11"),
        "client": importlib.import_module("ws_http.client"),
        "server": importlib.import_module("ws_http.server"),
        "uri": importlib.import_module("ws_http.uri"),
    }


def modules_websockets() -> dict[str, Any]:
    # Imported by name: the websockets of this interpreter is the incumbent,
    # not the meta-package of this project.
    return {
        name: importlib.import_module(f"websockets.{name}")
        for name in ["streams", "http11", "client", "server", "uri"]
    }


MODULES: dict[str, Callable[[], dict[str, Any]]] = {
    "ws_http": modules_ws_http,
    "websockets": modules_websockets,
}


def best_rate(run: Callable[[int], int], count: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        done = run(count)
        elapsed = time.perf_counter() - start
        assert done == count, f"completed {done} operations, expected {count}"
        best = min(best, elapsed)
    return count / best


def worker(name: str, repeat: int, count: int) -> None:
    results = {
        label: best_rate(run, count, repeat)
        for label, run in workers(MODULES[name]()).items()
    }
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per implementation"
    )
    parser.add_argument("--quick", action="store_true", help="10x fewer handshakes")
    parser.add_argument("--worker", choices=sorted(MODULES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    count = 2_000 if args.quick else 20_000

    if args.worker is not None:
        worker(args.worker, args.repeat, count)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _peers import ensure_peer, run_json

    script = Path(__file__).resolve()
    options = ["--repeat", str(args.repeat)] + (["--quick"] if args.quick else [])
    interpreters = {
        "ws_http": Path(sys.executable),
        "websockets": ensure_peer("ws17"),
    }
    # Rounds alternate between implementations so that a slow spell of the
    # machine doesn't penalize only one of them; the best round counts.
    results: dict[str, dict[str, float]] = {name: {} for name in interpreters}
    for _ in range(args.rounds):
        for name, python in interpreters.items():
            rates = run_json(python, script, "--worker", name, *options)
            for label, rate in rates.items():
                results[name][label] = max(rate, results[name].get(label, 0.0))

    ours = results["ws_http"]
    print(f"{'operations/s':<20}{'ws_http':>12}{'websockets':>12}{'ratio':>10}")
    for label, rate in ours.items():
        ws = results["websockets"][label]
        print(f"{label:<20}{rate:>12,.0f}{ws:>12,.0f}{rate / ws:>9.2f}x")


if __name__ == "__main__":
    main()

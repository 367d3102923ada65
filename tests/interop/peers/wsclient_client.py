"""websocket-client peer: python -m tests.interop.peers.wsclient_client '<json config>'.

config: {url, subprotocols, compression, max_size, plan}. websocket-client has
neither permessage-deflate nor a message size limit; it never offers the
extension. Prints one JSON event per line, "done" last.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import Any

import websocket  # type: ignore[import-not-found, unused-ignore]

from tests.interop.plan import (
    Closed,
    Message,
    Received,
    emit_json,
    parse_close_payload,
    run_sync_plan,
)


@dataclasses.dataclass
class Pong:
    """A pong, which only wait_pong() looks for."""

    data: str


class WsClientConn:
    """Adapts a blocking websocket-client connection."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        # Messages that arrived while waiting for a pong, for the next recv().
        self.pending: list[Received] = []

    def send(self, data: str | bytes, binary: bool) -> None:
        opcode = websocket.ABNF.OPCODE_BINARY if binary else websocket.ABNF.OPCODE_TEXT
        self.ws.send(data, opcode)

    def recv(self) -> Received:
        if self.pending:
            return self.pending.pop(0)
        received = self.next_received(wait_pong=False)
        assert not isinstance(received, Pong)
        return received

    def next_received(self, wait_pong: bool) -> Received | Pong:
        while True:
            opcode, frame = self.ws.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_TEXT:
                return Message(False, bytes(frame.data))
            if opcode == websocket.ABNF.OPCODE_BINARY:
                return Message(True, bytes(frame.data))
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                # recv_data_frame has already answered the close frame.
                self.ws.shutdown()
                return parse_close_payload(bytes(frame.data))
            if opcode == websocket.ABNF.OPCODE_PONG and wait_pong:
                return Pong(bytes(frame.data).decode())
            # Pings are answered by recv_data_frame.

    def wait_pong(self) -> str:
        while True:
            received = self.next_received(wait_pong=True)
            if isinstance(received, Pong):
                return received.data
            self.pending.append(received)
            if isinstance(received, Closed):
                raise RuntimeError("connection closed while waiting for a pong")

    def ping(self, text: str) -> str:
        self.ws.ping(text)
        return self.wait_pong()

    def send_fragments(
        self, binary: bool, chunks: Sequence[bytes], ping: str | None
    ) -> str | None:
        first = websocket.ABNF.OPCODE_BINARY if binary else websocket.ABNF.OPCODE_TEXT
        for index, chunk in enumerate(chunks):
            opcode = first if index == 0 else websocket.ABNF.OPCODE_CONT
            fin = 1 if index == len(chunks) - 1 else 0
            self.ws.send_frame(websocket.ABNF.create_frame(chunk, opcode, fin))
            if index == 0 and ping is not None:
                self.ws.ping(ping)
        return None if ping is None else self.wait_pong()

    def close(self, code: int, reason: str) -> Closed:
        self.ws.send_close(code, reason.encode())
        while True:
            frame = self.ws.recv_frame()
            if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                self.ws.shutdown()
                return parse_close_payload(bytes(frame.data))


def main(config: dict[str, Any]) -> None:
    try:
        ws = websocket.create_connection(
            config["url"], subprotocols=config.get("subprotocols") or None, timeout=30
        )
    except Exception as exc:
        emit_json({"event": "error", "message": f"connect failed: {exc!r}"})
        return
    emit_json(
        {
            "event": "open",
            "subprotocol": ws.getsubprotocol(),
            "extensions": (ws.getheaders() or {}).get("sec-websocket-extensions"),
        }
    )
    try:
        run_sync_plan(WsClientConn(ws), config["plan"], emit_json)
    except Exception as exc:
        emit_json({"event": "error", "message": repr(exc)})
    finally:
        ws.shutdown()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
    emit_json({"event": "done"})

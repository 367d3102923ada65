"""
A hostile peer against every flavour of server and client: what it makes a
connection hold, how the connection ends, and how soon.

The bounds come from the memory model in the READMEs of ws-asyncio and
ws-sync, for the limits that these tests set; an attack that isn't bounded
sends far more than them.

"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
import zlib
from collections.abc import Iterator

import pytest

from .peers import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    Peer,
    accept_client,
    connect_client,
    open_client,
    read_head,
    request,
    response_to,
)
from .targets import TARGETS, LegacyServer, Target


SERVERS = [target for target in TARGETS if target.side == "server"]
CLIENTS = [target for target in TARGETS if target.side == "client"]
MiB = 2**20


def ids(target: type[Target]) -> str:
    return target.name


@pytest.fixture(params=TARGETS, ids=ids)
def flavour(request: pytest.FixtureRequest) -> type[Target]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=SERVERS, ids=ids)
def server(request: pytest.FixtureRequest) -> type[Target]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=CLIENTS, ids=ids)
def client(request: pytest.FixtureRequest) -> type[Target]:
    return request.param  # type: ignore[no-any-return]


class Attack:
    """The targets and the raw peers of a test, stopped at its end."""

    def __init__(self) -> None:
        self.targets: list[Target] = []
        self.peers: list[Peer] = []

    def start(self, flavour: type[Target], behaviour: str, **options: object) -> Target:
        target = flavour(behaviour, **options)
        target.start()
        self.targets.append(target)
        return target

    def attach(self, target: Target, extra_headers: str = "") -> Peer:
        """Open the raw connection that attacks ``target``, handshake included."""
        if target.side == "server":
            peer = open_client(target.port, extra_headers)
        else:
            assert target.listener is not None
            peer = accept_client(target.listener, extra_headers)
        self.peers.append(peer)
        return peer

    def connect(self, target: Target, early: bytes = b"") -> Peer:
        """Open a raw connection to a server; don't read the response."""
        peer = connect_client(target.port, early=early)
        self.peers.append(peer)
        return peer

    def stop(self) -> None:
        for peer in self.peers:
            peer.close()
        for target in self.targets:
            target.stop()


class Peak:
    """The most that a target held, sampled while the attack runs."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.value = 0

    def sample(self) -> None:
        self.value = max(self.value, self.target.held())


@pytest.fixture
def attack() -> Iterator[Attack]:
    attack = Attack()
    yield attack
    attack.stop()


# 1. Data frames during the closing handshake.


def test_flood_while_closing_is_bounded(attack: Attack, flavour: type[Target]) -> None:
    target = attack.start(
        flavour, "close_after_first", close_timeout=1, compression=None
    )
    peer = attack.attach(target)
    peak = Peak(target)
    peer.send(peer.frame(OP_TEXT, b"go"))
    # The peer never answers the close frame and sends 64 KiB messages.
    start_time = time.monotonic()
    sent = peer.flood(
        peer.frame(OP_BINARY, b"\x00" * 2**16),
        budget=48 * MiB,
        duration=1.5,
        sample=peak.sample,
    )
    peak.sample()
    assert sent > 0
    assert peak.value < 4 * MiB, f"held {peak.value} bytes"
    # The close timer ends the connection all the same.
    assert target.wait_closed(3)
    assert time.monotonic() - start_time < 4
    peer.close()


# 2. Bytes behind the opening request, while process_request runs.


def test_frames_behind_a_slow_handshake_are_bounded(
    attack: Attack, server: type[Target]
) -> None:
    target = attack.start(server, "idle", slow_request=1, compression=None)
    peer = attack.connect(target)
    peak = Peak(target)
    assert target.connected.wait(5)
    sent = peer.flood(
        peer.frame(OP_BINARY, b"\x00" * 2**16),
        budget=48 * MiB,
        duration=0.8,
        sample=peak.sample,
    )
    peak.sample()
    assert sent > 0
    assert peak.value < 2 * MiB, f"held {peak.value} bytes"
    # The handshake completes, and the connection goes on.
    assert read_head(peer.sock).startswith(b"HTTP/1.1 101 ")
    peer.close()


# 3. Fragments of one message.


def test_too_many_fragments(
    attack: Attack, flavour: type[Target], caplog: pytest.LogCaptureFixture
) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    peak = Peak(target)
    empty = peer.frame(OP_CONT, fin=False)
    peer.send(peer.frame(OP_BINARY, b"a", fin=False) + empty * 5000)
    assert peer.close_code(5) == 1009
    peak.sample()
    assert peak.value < 2 * MiB
    peer.close()
    assert target.wait_closed(5)
    # A peer's fault, not ours: nothing to log as an error.
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_most_fragments_are_accepted(attack: Attack, flavour: type[Target]) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    empty = peer.frame(OP_CONT, fin=False)
    peer.send(
        peer.frame(OP_BINARY, b"a", fin=False)
        + empty * 4094
        + peer.frame(OP_CONT, b"z")
    )
    peer.send(peer.frame(OP_CLOSE, b"\x03\xe8"))
    assert peer.close_code(5) == 1000


# 4 and 5. Pings from a peer that doesn't read.


@pytest.mark.parametrize("behaviour", ["idle", "send_forever"])
def test_pings_without_reading_are_bounded(
    attack: Attack, flavour: type[Target], behaviour: str
) -> None:
    target = attack.start(flavour, behaviour, compression=None)
    peer = attack.attach(target)
    peak = Peak(target)
    sent = peer.flood(
        peer.frame(OP_PING, b"\x00" * 125),
        budget=32 * MiB,
        duration=1.5,
        sample=peak.sample,
    )
    peak.sample()
    # The threading layer answers from the reading thread, which then waits
    # for the peer to read: the peer can't send much.
    assert sent > 0
    assert peak.value < 2 * MiB, f"held {peak.value} bytes"
    peer.close()
    assert target.wait_closed(3)


# Attacks that every flavour already withstood.


def test_unread_messages_are_bounded(attack: Attack, flavour: type[Target]) -> None:
    target = attack.start(flavour, "idle", close_timeout=1, compression=None)
    peer = attack.attach(target)
    peak = Peak(target)
    peer.flood(
        peer.frame(OP_BINARY, b"\x00" * 2**16),
        budget=48 * MiB,
        duration=1,
        sample=peak.sample,
    )
    peak.sample()
    assert peak.value < 4 * MiB, f"held {peak.value} bytes"
    peer.close()


@pytest.mark.parametrize(
    ("length", "code"),
    [(2**20 + 1, 1009), (2**63 - 1, 1009), (2**63, 1002)],
    ids=["over_max_size", "2**63-1", "2**63"],
)
def test_frame_length_abuse(
    attack: Attack, flavour: type[Target], length: int, code: int
) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    peer.send(peer.frame(OP_BINARY, length=length))
    start_time = time.monotonic()
    assert peer.close_code(5) == code
    assert time.monotonic() - start_time < 3
    assert target.held() < 2**17
    peer.close()


def deflate_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    data = compressor.compress(b"\x00" * size) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(b"\x00\x00\xff\xff")
    return data[:-4]


@pytest.mark.parametrize("fragmented", [False, True], ids=["one_frame", "fragmented"])
def test_deflate_bomb(attack: Attack, flavour: type[Target], fragmented: bool) -> None:
    target = attack.start(flavour, "recv")
    extension = "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    peer = attack.attach(target, extension)
    bomb = deflate_bomb(64 * MiB)
    if fragmented:
        third = len(bomb) // 3
        peer.send(
            peer.frame(OP_BINARY, bomb[:third], fin=False, rsv1=True)
            + peer.frame(OP_CONT, bomb[third : 2 * third], fin=False)
            + peer.frame(OP_CONT, bomb[2 * third :])
        )
    else:
        peer.send(peer.frame(OP_BINARY, bomb, rsv1=True))
    start_time = time.monotonic()
    assert peer.close_code(5) == 1009
    assert time.monotonic() - start_time < 3
    assert target.held() < 4 * MiB
    peer.close()


@pytest.mark.parametrize(
    "payload",
    [
        (0x3, b""),  # reserved opcode
        (0xB, b""),  # reserved control opcode
        (OP_CLOSE, b"\x03\xed"),  # 1005 mustn't be sent
        (OP_CLOSE, b"\x03\xe7"),  # 999 isn't a close code
        (OP_CLOSE, b"\x13\x88"),  # 5000 isn't either
        (OP_CLOSE, b"\x03"),  # a code is two bytes
        (OP_PING, b"\x00" * 126),  # a control frame is 125 bytes at most
    ],
    ids=["opcode", "control_opcode", "1005", "999", "5000", "short_close", "long_ping"],
)
def test_invalid_frames_fail_with_1002(
    attack: Attack, flavour: type[Target], payload: tuple[int, bytes]
) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    opcode, data = payload
    peer.send(peer.frame(opcode, data))
    assert peer.close_code(5) == 1002
    peer.close()
    assert target.wait_closed(5)


def test_frame_with_wrong_masking_fails_with_1002(
    attack: Attack, flavour: type[Target]
) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    peer.masked = not peer.masked
    peer.send(peer.frame(OP_TEXT, b"hi"))
    peer.masked = not peer.masked
    assert peer.close_code(5) == 1002
    peer.close()


def test_fragmented_control_frame_fails_with_1002(
    attack: Attack, flavour: type[Target]
) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    peer.send(peer.frame(OP_PING, b"", fin=False))
    assert peer.close_code(5) == 1002
    peer.close()


def test_invalid_utf8_fails_with_1007(attack: Attack, flavour: type[Target]) -> None:
    target = attack.start(flavour, "recv", compression=None)
    peer = attack.attach(target)
    peer.send(peer.frame(OP_TEXT, b"caf\xc3\x28"))
    assert peer.close_code(5) == 1007
    peer.close()


# The opening handshake.


HEADER_FLOODS = {
    "10000_headers": "".join(
        f"X-Header-{index}: {index}\r\n" for index in range(10_000)
    ),
    "1MiB_header_line": "X-Long: " + "a" * MiB + "\r\n",
}


@pytest.mark.parametrize("headers", HEADER_FLOODS.values(), ids=HEADER_FLOODS.keys())
def test_header_flood_on_server(
    attack: Attack, server: type[Target], headers: str
) -> None:
    target = attack.start(server, "idle")
    start_time = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", target.port))
    try:
        sock.sendall(request(target.port, headers)[0])
        head = read_head(sock, 3)
    except ConnectionResetError:
        head = b""  # the server closed with the request unread
    finally:
        sock.close()
    if server is LegacyServer:
        # The legacy server may close before its answer gets through.
        assert head == b"" or head.startswith(b"HTTP/1.1 4"), head[:40]
    else:
        assert head.startswith(b"HTTP/1.1 431 "), head[:40]
    assert time.monotonic() - start_time < 2


@pytest.mark.parametrize("headers", HEADER_FLOODS.values(), ids=HEADER_FLOODS.keys())
def test_header_flood_on_client(
    attack: Attack, client: type[Target], headers: str
) -> None:
    # The client stops reading at the limit, then waits for the server to
    # close the connection, until open_timeout.
    target = attack.start(client, "idle", open_timeout=1, close_timeout=0.5)
    assert target.listener is not None
    target.listener.settimeout(5)
    sock, _ = target.listener.accept()
    start_time = time.monotonic()
    try:
        sock.sendall(response_to(read_head(sock), headers))
    except OSError:
        pass  # the client gave up reading and closed
    assert target.closed.wait(4)
    assert time.monotonic() - start_time < 3
    assert target.error is not None
    sock.close()


def test_slow_handshake_on_server(attack: Attack, server: type[Target]) -> None:
    target = attack.start(server, "idle", open_timeout=0.5)
    start_time = time.monotonic()
    peer = Peer(socket.create_connection(("127.0.0.1", target.port)), masked=True)
    attack.peers.append(peer)
    for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n":
        try:
            peer.send(bytes([byte]))
        except OSError:
            break
        if peer.close_code(0.05) is not None:
            break
    assert peer.close_code(5) is not None
    assert time.monotonic() - start_time < 2.5
    peer.close()


def test_slow_handshake_on_client(attack: Attack, client: type[Target]) -> None:
    target = attack.start(client, "idle", open_timeout=0.5, close_timeout=0.5)
    assert target.listener is not None
    target.listener.settimeout(5)
    sock, _ = target.listener.accept()
    start_time = time.monotonic()
    # Never answer; the client gives up, then waits for TCP to close.
    assert target.closed.wait(3)
    assert time.monotonic() - start_time < 2
    assert isinstance(target.error, TimeoutError) or "timed out" in str(target.error)
    sock.close()


# 6. What a peer sends reaches the logs only escaped, on one line.


def refusal(line: str) -> bool:
    return "\\x1b" in line or "rejected" in line


def test_bad_handshake_is_one_escaped_line(
    attack: Attack, server: type[Target], caplog: pytest.LogCaptureFixture
) -> None:
    # What operators see by default: debug logs, when enabled, may show more.
    caplog.set_level(logging.INFO)
    target = attack.start(server, "idle")
    sock = socket.create_connection(("127.0.0.1", target.port), timeout=5)
    # Terminal escape sequences and a bare CR, which a raw log line would
    # replay on an operator's screen.
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\x1b[2J\rboom\r\n\r\n")
    answer = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(4096):
            answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    # One line tells of the refusal; whatever shows the peer's bytes escapes
    # them. It may come from another thread, a little later.
    deadline = time.monotonic() + 5
    while not (refusals := [r for r in caplog.records if refusal(r.getMessage())]):
        assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
        time.sleep(0.01)
    assert all(record.levelno == logging.INFO for record in refusals)
    for record in caplog.records:
        assert record.levelno < logging.WARNING, record.getMessage()
        assert record.exc_info is None, record.getMessage()
        assert record.getMessage().isprintable(), record.getMessage()

"""
The attacker's side: raw sockets that speak just enough WebSocket to get in,
then send whatever the attack needs, from the test's own thread.

Sockets get small kernel buffers, so that a peer that stops reading shows in
the buffers of the connection under test within a few hundred kilobytes.

"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
from collections.abc import Callable


KERNEL_BUFFER = 2**15
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def small_buffers(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_BUFFER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, KERNEL_BUFFER)


def listening_socket() -> socket.socket:
    """A socket on loopback whose accepted sockets get small buffers."""
    sock = socket.socket()
    small_buffers(sock)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    masked: bool = True,
    rsv1: bool = False,
    length: int | None = None,
) -> bytes:
    """
    Encode a frame. ``length`` overrides the length field, payload or not;
    a client's frames are masked with a zero key, which leaves them as is.
    """
    if length is None:
        length = len(payload)
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 2**16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    return head + (b"\x00" * 4 if masked else b"") + payload


def request(port: int, extra: str = "") -> tuple[bytes, bytes]:
    """A handshake request and the key it carries."""
    key = base64.b64encode(os.urandom(16))
    text = (
        "GET / HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"{extra}\r\n"
    )
    return text.encode(), key


def response_to(request: bytes, extra: str = "") -> bytes:
    """The 101 response that accepts a handshake request."""
    for line in request.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            key = value.strip()
            break
    else:  # pragma: no cover
        raise AssertionError("no key in the request")
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n"
        f"{extra}\r\n"
    ).encode()


def read_head(sock: socket.socket, timeout: float = 5) -> bytes:
    """Read an HTTP head, up to the empty line; what follows stays unread."""
    sock.settimeout(timeout)
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            break
        head += byte
    return head


class Peer:
    """One raw connection, on the client or on the server side."""

    def __init__(self, sock: socket.socket, masked: bool) -> None:
        self.sock = sock
        self.masked = masked
        self.received = b""
        self.eof = False

    def frame(self, opcode: int, payload: bytes = b"", **kwargs: object) -> bytes:
        return frame(opcode, payload, masked=self.masked, **kwargs)  # type: ignore[arg-type]

    def send(self, data: bytes) -> None:
        self.sock.settimeout(5)
        self.sock.sendall(data)

    def flood(
        self,
        chunk: bytes,
        *,
        budget: int,
        duration: float,
        sample: Callable[[], object] | None = None,
    ) -> int:
        """
        Send ``chunk`` again and again, up to ``budget`` bytes or for
        ``duration`` seconds, whichever comes first; when the other side
        stops reading, wait until it reads again or time runs out. Call
        ``sample`` every 256 KiB. Return how many bytes went out.
        """
        sent = since_sample = 0
        deadline = time.monotonic() + duration
        self.sock.settimeout(0.05)
        view = memoryview(chunk)
        while sent < budget and time.monotonic() < deadline:
            try:
                count = self.sock.send(view)
            except TimeoutError:
                count = 0
            except OSError:
                break  # the connection is gone: the attack is over
            view = view[count:] if count < len(view) else memoryview(chunk)
            sent += count
            since_sample += count
            if sample is not None and since_sample >= 2**18:
                since_sample = 0
                sample()
        return sent

    def close_code(self, timeout: float) -> int | None:
        """
        Read until a close frame or the end of the stream, for ``timeout``
        seconds at most; return the close code, 1005 for a close frame
        without one, 1006 for the end of the stream or an error, or
        :obj:`None` if neither came in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            code = self.parse_close()
            if code is not None:
                return code
            remaining = deadline - time.monotonic()
            if self.eof:
                return 1006
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(2**16)
            except TimeoutError:
                return None
            except OSError:
                return 1006
            if not data:
                self.eof = True
            self.received += data

    def parse_close(self) -> int | None:
        """Skip the frames received; return the code of a close frame."""
        data = self.received
        while len(data) >= 2:
            length = data[1] & 0x7F
            start = 2
            if length == 126:
                if len(data) < 4:
                    break
                (length,) = struct.unpack("!H", data[2:4])
                start = 4
            elif length == 127:
                if len(data) < 10:
                    break
                (length,) = struct.unpack("!Q", data[2:10])
                start = 10
            mask = b""
            if data[1] & 0x80:
                mask = data[start : start + 4]
                start += 4
            if len(data) < start + length:
                break
            if data[0] & 0x0F == OP_CLOSE:
                payload = data[start : start + length]
                if mask:
                    payload = bytes(
                        byte ^ mask[index % 4] for index, byte in enumerate(payload)
                    )
                return 1005 if len(payload) < 2 else int.from_bytes(payload[:2])
            data = data[start + length :]
        self.received = data
        return None

    def close(self) -> None:
        self.sock.close()


def connect_client(port: int, extra_headers: str = "", early: bytes = b"") -> Peer:
    """Open a raw client connection; ``early`` goes right behind the request."""
    sock = socket.socket()
    small_buffers(sock)
    sock.connect(("127.0.0.1", port))
    data, _ = request(port, extra_headers)
    sock.sendall(data + early)
    return Peer(sock, masked=True)


def open_client(port: int, extra_headers: str = "") -> Peer:
    """Open a raw client connection and complete the opening handshake."""
    peer = connect_client(port, extra_headers)
    head = read_head(peer.sock)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return peer


def accept_client(
    listener: socket.socket, extra_headers: str = "", timeout: float = 5
) -> Peer:
    """Accept a client and complete the opening handshake as a raw server."""
    listener.settimeout(timeout)
    sock, _ = listener.accept()
    request = read_head(sock, timeout)
    sock.sendall(response_to(request, extra_headers))
    return Peer(sock, masked=False)

"""Helpers for the threading implementation."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Any, Callable, TypeVar

from ws_frames.typing import BytesLike


__all__ = ["Deadline"]

T = TypeVar("T")


class Deadline:
    """
    Manage a time budget shared by several blocking operations.

    Opening a connection resolves a name, connects a socket, negotiates TLS
    and runs the opening handshake; ``open_timeout`` bounds all of them
    together, so each step asks the deadline how much time remains.

    Args:
        timeout: Time available in seconds or :obj:`None` for no limit.

    """

    def __init__(self, timeout: float | None) -> None:
        self.deadline: float | None
        if timeout is None:
            self.deadline = None
        else:
            self.deadline = time.monotonic() + timeout

    def timeout(self, *, raise_if_elapsed: bool = True) -> float | None:
        """
        Calculate a timeout from the deadline.

        Args:
            raise_if_elapsed: Whether to raise :exc:`TimeoutError` when the
                deadline has passed.

        Returns:
            The time remaining in seconds, or :obj:`None` for no limit.

        Raises:
            TimeoutError: If the deadline has passed and ``raise_if_elapsed``
                is set.

        """
        if self.deadline is None:
            return None
        remaining = self.deadline - time.monotonic()
        if raise_if_elapsed and remaining <= 0:
            raise TimeoutError("timed out")
        return remaining


class TLSSocket:
    """
    TLS over a socket, safe for one thread reading while another writes.

    :class:`ssl.SSLSocket` runs OpenSSL on the socket directly, and OpenSSL
    doesn't allow using a TLS session from two threads at once, which is what
    a connection does: a thread reads while the application writes. This
    class runs the TLS session on memory buffers instead: :attr:`lock` guards
    the TLS session, never held while waiting for the network, and
    :attr:`write_lock` keeps TLS records in order on the way out.

    It provides the methods of a socket that connections use; everything
    else, from :meth:`~socket.socket.settimeout` to
    :meth:`~socket.socket.close`, goes to the underlying socket, which may
    itself be a :class:`TLSSocket`, e.g. for TLS through an HTTPS proxy.

    The TLS handshake runs in the constructor, bounded by the timeout of the
    underlying socket.

    Args:
        sock: Underlying connected socket.
        ssl_context: TLS configuration.
        server_hostname: Host name of the server, on the client side.
        server_side: Whether this is the server side of the connection.

    """

    recv_bufsize = 65536

    def __init__(
        self,
        sock: socket.socket,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        server_side: bool = False,
    ) -> None:
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.ssl_socket = sock
        self.ssl_object = ssl_context.wrap_bio(
            self.incoming,
            self.outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
        )
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.run_io(self.ssl_object.do_handshake)

    def run_io(self, func: Callable[..., T], *args: Any) -> T:
        """Run a TLS operation, moving bytes to and from the socket as it needs."""
        while True:
            want_read = False
            with self.lock:
                try:
                    result = func(*args)
                except ssl.SSLWantReadError:
                    want_read = True

            # Write what the TLS session produced, whatever happened. Don't
            # wait for the write lock when there's nothing to write: another
            # thread may hold it, stuck on a peer that stopped reading.
            if self.outgoing.pending:
                with self.write_lock:
                    with self.lock:
                        data = self.outgoing.read()
                    if data:
                        self.ssl_socket.sendall(data)

            if want_read:
                data = self.ssl_socket.recv(self.recv_bufsize)
                with self.lock:
                    if data:
                        self.incoming.write(data)
                    else:
                        self.incoming.write_eof()
                continue

            return result

    def recv(self, buflen: int) -> bytes:
        try:
            return self.run_io(self.ssl_object.read, buflen)
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            # The end of the stream, with or without a TLS close_notify.
            return b""

    def send(self, data: BytesLike) -> int:
        return self.run_io(self.ssl_object.write, data)

    def sendall(self, data: BytesLike) -> None:
        count = 0
        with memoryview(data) as view, view.cast("B") as byte_view:
            amount = len(byte_view)
            while count < amount:
                count += self.send(byte_view[count:])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ssl_socket, name)

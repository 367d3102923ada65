"""
TLS for connections that read in one thread and write in another.

An :class:`ssl.SSLSocket` drives OpenSSL right on the file descriptor and
allows one operation at a time, while a connection has a thread blocked in
``recv()`` whenever another thread sends. :class:`TLSSocket` keeps the TLS
session in an :class:`ssl.SSLObject` between two :class:`ssl.MemoryBIO` and
moves the records to and from the socket itself, never holding the lock of
the session while it waits for the network. It also runs TLS over anything
that behaves like a socket, such as another :class:`TLSSocket`: TLS to the
server inside TLS to an HTTPS proxy.

"""

from __future__ import annotations

import contextlib
import ssl
import threading
from typing import Any, Callable, Literal, TypeVar, overload

from ws_frames.typing import BytesLike


__all__ = ["TLSSocket"]

T = TypeVar("T")


class TLSSocket:
    """
    Socket-like TLS endpoint over a connected socket.

    One thread may read while another writes. The TLS handshake runs in the
    constructor, bounded by the time-out of ``sock``.

    Besides :meth:`recv`, :meth:`send` and :meth:`sendall`, it offers what
    :class:`ssl.SSLSocket` tells about the session: :meth:`version`,
    :meth:`cipher`, :meth:`getpeercert`, :meth:`selected_alpn_protocol`,
    :attr:`context`, :attr:`server_hostname` and :attr:`server_side`. Other
    attributes, from :meth:`~socket.socket.settimeout` to
    :meth:`~socket.socket.close`, are those of ``sock``.

    Args:
        sock: Connected socket that carries the TLS records.
        ssl_context: TLS configuration.
        server_hostname: Name of the server, for SNI and for checking its
            certificate; client side only.
        server_side: Whether this end is the server.

    Raises:
        ssl.SSLError: If the TLS handshake fails.
        OSError: If the socket fails or times out during the handshake.

    """

    recv_bufsize = 2**16
    """How many bytes to read from the socket at once."""

    server_side = False
    """Whether this end is the server."""

    def __init__(
        self,
        sock: Any,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        *,
        server_side: bool = False,
    ) -> None:
        # First, for __getattr__.
        self.ssl_socket = sock
        """Socket that carries the TLS records."""
        if server_side:
            self.server_side = True
        self.incoming = ssl.MemoryBIO()
        """Records received, waiting for the TLS session to read them."""
        self.outgoing = ssl.MemoryBIO()
        """Records produced by the TLS session, waiting to be sent."""
        self.ssl_object = ssl_context.wrap_bio(
            self.incoming,
            self.outgoing,
            server_side=self.server_side,
            server_hostname=server_hostname,
        )
        """TLS session."""

        # OpenSSL runs without the GIL: the session and both buffers may only
        # be touched with _session_lock held, and it's never held for I/O.
        self._session_lock = threading.Lock()
        # One thread at a time reads the socket, so that records reach
        # `incoming` in order; _reads counts the reads done.
        self._read_lock = threading.Lock()
        self._reads = 0
        # One thread at a time takes records out of `outgoing` and sends
        # them, so that they leave in order.
        self._write_lock = threading.Lock()

        self.run_io(self.ssl_object.do_handshake)

    # Data transfer

    def recv(self, buflen: int) -> bytes:
        """
        Receive up to ``buflen`` bytes of data.

        Returns:
            Data, or ``b""`` once the peer ended the stream, with a TLS
            close_notify or without one.

        """
        incoming = self.incoming
        ssl_object = self.ssl_object
        while True:
            data = None
            with self._session_lock:
                reads = self._reads
                # Most calls find nothing buffered and wait for the network;
                # checking first is faster than catching SSLWantReadError.
                if incoming.pending or incoming.eof or ssl_object.pending():
                    try:
                        data = ssl_object.read(buflen)
                    except ssl.SSLWantReadError:
                        pass
                    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        data = b""
            # Reading may produce records to send, such as a key update. Don't
            # wait behind a thread stuck sending to a peer that stopped
            # reading: that thread sends these records next.
            self._send_records(wait=False)
            if data is not None:
                return data
            self._receive_records(reads)

    def send(self, data: BytesLike) -> int:
        """Send data; return how many bytes were sent."""
        return self.run_io(self.ssl_object.write, data)

    def sendall(self, data: BytesLike) -> None:
        """Send all the data."""
        with memoryview(data) as view, view.cast("B") as octets:
            total = len(octets)
            sent = 0
            while sent < total:
                sent += self.send(octets[sent:])

    def run_io(self, func: Callable[..., T], *args: Any) -> T:
        """
        Call ``func(*args)`` on the TLS session until it completes.

        Send the records that it produces, and read records from the socket
        for as long as it asks for more.

        """
        while True:
            try:
                with self._session_lock:
                    reads = self._reads
                    result = func(*args)
            except ssl.SSLWantReadError:
                wants_more = True
            except ssl.SSLError:
                # Send the alert that tells the peer why, if the socket works.
                with contextlib.suppress(OSError):
                    self._send_records(wait=False)
                raise
            else:
                wants_more = False
            self._send_records(wait=True)
            if not wants_more:
                return result
            self._receive_records(reads)

    def _receive_records(self, reads: int) -> None:
        """
        Read from the socket into the TLS session.

        ``reads`` is the count of reads that the caller saw when the session
        last asked for more; if another thread read since, the caller tries
        the session again instead.

        """
        with self._read_lock:
            if self._reads != reads:
                return
            data = self.ssl_socket.recv(self.recv_bufsize)
            with self._session_lock:
                if data:
                    self.incoming.write(data)
                else:
                    self.incoming.write_eof()
                self._reads += 1

    def _send_records(self, *, wait: bool) -> None:
        """
        Send the records produced by the TLS session.

        With ``wait`` false, give up if another thread is sending: it checks
        for more records each time it's done.

        """
        while True:
            with self._session_lock:
                if not self.outgoing.pending:
                    return
            if not self._write_lock.acquire(wait):
                return
            try:
                with self._session_lock:
                    data = self.outgoing.read()
                self.ssl_socket.sendall(data)
            finally:
                self._write_lock.release()

    # What ssl.SSLSocket tells about the session

    @property
    def context(self) -> ssl.SSLContext:
        """TLS configuration."""
        return self.ssl_object.context

    @property
    def server_hostname(self) -> str | None:
        """Name of the server given to the constructor."""
        return self.ssl_object.server_hostname

    def version(self) -> str | None:
        """Version of TLS negotiated, e.g. ``"TLSv1.3"``."""
        with self._session_lock:
            return self.ssl_object.version()

    def cipher(self) -> tuple[str, str, int] | None:
        """Cipher negotiated: name, TLS version and secret bits."""
        with self._session_lock:
            return self.ssl_object.cipher()

    @overload
    def getpeercert(
        self, binary_form: Literal[False] = False
    ) -> dict[str, Any] | None: ...

    @overload
    def getpeercert(self, binary_form: Literal[True]) -> bytes | None: ...

    @overload
    def getpeercert(self, binary_form: bool) -> dict[str, Any] | bytes | None: ...

    def getpeercert(self, binary_form: bool = False) -> dict[str, Any] | bytes | None:
        """Certificate of the peer, as :meth:`ssl.SSLSocket.getpeercert` returns it."""
        with self._session_lock:
            return self.ssl_object.getpeercert(binary_form)

    def selected_alpn_protocol(self) -> str | None:
        """Protocol chosen with ALPN, if any."""
        with self._session_lock:
            return self.ssl_object.selected_alpn_protocol()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ssl_socket, name)

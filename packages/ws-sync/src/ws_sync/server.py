"""WebSocket server with threads: :func:`serve`, :func:`unix_serve`."""

from __future__ import annotations

import contextlib
import http
import logging
import os
import re
import selectors
import socket
import ssl as ssl_module
import sys
import threading
import traceback
import warnings
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, cast

from ws_deflate.permessage_deflate import enable_server_permessage_deflate
from ws_frames.exceptions import ConcurrencyError, ConnectionClosed, InvalidHandshake
from ws_frames.extensions import ServerExtensionFactory
from ws_frames.frames import CloseCode
from ws_frames.protocol import State
from ws_frames.typing import (
    BytesLike,
    DataLike,
    LoggerLike,
    Origin,
    StatusLike,
    Subprotocol,
)
from ws_http.auth import (
    INVALID_CREDENTIALS,
    credentials_checker,
    is_credentials as is_credentials,  # public name here
    read_basic_credentials,
)
from ws_http.headers import (
    build_www_authenticate_basic,
    validate_subprotocols,
)
from ws_http.http11 import SERVER, Request, Response
from ws_http.server import ServerProtocol

from .client import SSLSSLSocket
from .connection import Connection
from .messages import Assembler
from .utils import Deadline


if sys.version_info >= (3, 11):
    from typing import Self
else:  # pragma: no cover
    from exceptiongroup import ExceptionGroup

    if TYPE_CHECKING:
        from typing_extensions import Self


__all__ = [
    "broadcast",
    "serve",
    "unix_serve",
    "ServerConnection",
    "Server",
    "basic_auth",
]

CONNECTING = State.CONNECTING
OPEN = State.OPEN


class ServerSSLSocket(SSLSSLSocket):
    """Server side of a TLS connection; see :class:`~ws_sync.client.SSLSSLSocket`."""

    server_side = True


class ServerConnection(Connection):
    """
    Threaded implementation of a WebSocket server connection.

    :class:`ServerConnection` provides :meth:`recv` and :meth:`send` methods
    for receiving and sending messages. It supports iteration to receive
    messages until the connection closes normally.

    Args:
        socket: Socket connected to a WebSocket client.
        protocol: Sans-I/O connection.
        server: Server that manages this connection.

    The other arguments are those of :class:`~ws_sync.connection.Connection`.

    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: ServerProtocol,
        server: Server,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None | tuple[int | None, int | None] = 16,
    ) -> None:
        self.protocol: ServerProtocol
        self.request_rcvd = threading.Event()
        super().__init__(
            sock,
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
        )
        self.server = server
        self.username: str
        """Username of the client, set by :func:`basic_auth`."""
        self.handler: Callable[..., Any]
        self.handler_kwargs: dict[str, Any]
        """Handler and arguments selected by :mod:`ws_sync.router`."""

    def respond(self, status: StatusLike, text: str) -> Response:
        """
        Create a plain text HTTP response.

        ``process_request`` and ``process_response`` may call this method to
        return an HTTP response instead of performing the WebSocket opening
        handshake. You can modify the response before returning it, for
        example by changing HTTP headers.

        Args:
            status: HTTP status code.
            text: HTTP response body; it will be encoded to UTF-8.

        """
        return self.protocol.reject(status, text)

    def handshake(
        self,
        process_request: (
            Callable[[ServerConnection, Request], Response | None] | None
        ) = None,
        process_response: (
            Callable[[ServerConnection, Request, Response], Response | None] | None
        ) = None,
        server_header: str | None = SERVER,
        timeout: float | None = None,
    ) -> None:
        """
        Perform the opening handshake.

        Returns normally when the handshake succeeds and also when
        ``process_request`` or ``process_response`` rejected it with an HTTP
        response; the status of :attr:`response` tells them apart.

        Raises:
            InvalidHandshake: If the request isn't a valid handshake request.
            TimeoutError: If no request arrives within ``timeout``.
            Exception: What ``process_request`` or ``process_response``
                raised; the client receives a 500 response.

        """
        if not self.request_rcvd.wait(timeout):
            raise TimeoutError("timed out while waiting for handshake request")

        if self.request is not None:
            try:
                self.answer_request(process_request, process_response, server_header)
            except ConnectionClosed:
                # Frames sent right behind the request, up to a close, were
                # processed with the response; an accepted connection still
                # goes to the handler with the messages received.
                if self.response is None or self.response.status_code != 101:
                    raise

        # Not the state: frames sent right behind the request may already
        # have moved an accepted connection on to CLOSING or CLOSED.
        if self.response is None or self.response.status_code != 101:
            # The handshake failed: let the client close the TCP connection
            # after reading the response, within close_timeout.
            self.recv_events_thread.join(self.close_timeout)
            self.close_socket()
            self.recv_events_thread.join()

        # handshake_exc is set when the connection is lost before a request
        # arrives, when the request is invalid, and when process_request or
        # process_response raises; not when they return a response.
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc

    def answer_request(
        self,
        process_request: (
            Callable[[ServerConnection, Request], Response | None] | None
        ),
        process_response: (
            Callable[[ServerConnection, Request, Response], Response | None] | None
        ),
        server_header: str | None,
    ) -> None:
        """Answer the handshake request, through the hooks, and send the response."""
        assert self.request is not None
        with self.send_context(expected_state=CONNECTING):
            response = None

            if process_request is not None:
                try:
                    response = process_request(self, self.request)
                except Exception as exc:
                    response = self.protocol.reject_internal_error(exc)

            if response is None:
                self.response = self.protocol.accept(self.request)
            else:
                self.response = response

            if server_header:
                self.response.headers["Server"] = server_header

            response = None

            if process_response is not None:
                try:
                    response = process_response(self, self.request, self.response)
                except Exception as exc:
                    response = self.protocol.reject_internal_error(exc)

            if response is not None:
                self.response = response

            self.protocol.send_response(self.response)

            # Frames that the client sent right behind its request, without
            # waiting for the response, are parsed once the state is OPEN.
            for event in self.protocol.events_received():
                self.process_event(event)

    def process_event(self, event: Any) -> None:
        """Process one incoming event; the first one is the handshake request."""
        if self.request is None:
            assert isinstance(event, Request)
            self.request = event
            self.request_rcvd.set()
        else:
            super().process_event(event)

    def recv_events(self) -> None:
        """Read the socket; wake up :meth:`handshake` if it ends early."""
        try:
            super().recv_events()
        finally:
            self.request_rcvd.set()


class Server:
    """
    WebSocket server returned by :func:`serve`.

    This class mirrors the API of :class:`~socketserver.BaseServer`, notably
    the :meth:`~socketserver.BaseServer.serve_forever` and
    :meth:`~socketserver.BaseServer.shutdown` methods, as well as the context
    manager protocol. Each connection runs in its own thread.

    Args:
        sock: Server socket listening for new connections.
        handler: Handler for one connection. Receives the socket and address
            returned by :meth:`~socket.socket.accept`.
        logger: Logger for this server; defaults to
            ``logging.getLogger("websockets.server")``.

    """

    SHUTDOWN_POLLING_INTERVAL = 0.1
    """Period of the check for shutdown, where no pipe can wake up the server."""

    def __init__(
        self,
        sock: socket.socket,
        handler: Callable[[socket.socket, Any], None],
        logger: LoggerLike | None = None,
    ) -> None:
        self.socket = sock
        self.handler = handler
        if logger is None:
            logger = logging.getLogger("websockets.server")
        self.logger = logger

        # Protects the sets below and the shutdown state.
        self.lock = threading.Lock()
        self.all_connections: set[ServerConnection] = set()
        self.handler_threads: set[threading.Thread] = set()

        self.socket_closed = threading.Event()
        self.serving = False
        self.pipe_closed = False
        # shutdown() writes to the notifier to wake up serve_forever().
        self.shutdown_watcher: int | None
        self.shutdown_notifier: int | None
        if sys.platform != "win32":
            self.shutdown_watcher, self.shutdown_notifier = os.pipe()
        else:  # pragma: no cover
            self.shutdown_watcher = self.shutdown_notifier = None

    @property
    def connections(self) -> set[ServerConnection]:
        """Set of open connections: those whose handshake succeeded and didn't close yet."""
        with self.lock:
            connections = set(self.all_connections)
        return {
            connection
            for connection in connections
            if connection.protocol.state is OPEN
        }

    def serve_forever(self) -> None:
        """
        Accept connections until :meth:`shutdown` is called.

        Typical use::

            with serve(handler, "localhost", 8765) as server:
                server.serve_forever()

        Each connection runs in a new thread.

        """
        poller = selectors.DefaultSelector()
        # Register the socket before shutdown() may close it.
        with self.lock:
            if self.socket_closed.is_set():
                poller.close()
                return
            self.serving = True
            poller.register(self.socket, selectors.EVENT_READ)
            if self.shutdown_watcher is not None:
                poller.register(self.shutdown_watcher, selectors.EVENT_READ)
                timeout = None
            else:  # pragma: no cover
                timeout = self.SHUTDOWN_POLLING_INTERVAL
        try:
            while True:
                events = poller.select(timeout)
                if self.socket_closed.is_set():
                    break
                if not events:  # pragma: no cover
                    continue
                try:
                    sock, addr = self.socket.accept()
                except OSError:
                    if self.socket_closed.is_set():  # pragma: no cover
                        break
                    # The client went away before accept(), or file
                    # descriptors ran out; keep serving the others.
                    self.logger.warning("failed to accept connection", exc_info=True)
                    continue
                self.start_handler(sock, addr)
        finally:
            poller.close()
            with self.lock:
                self.serving = False
                if self.socket_closed.is_set():
                    self.close_pipe()

    def start_handler(self, sock: socket.socket, addr: Any) -> None:
        """Run the connection handler in a new thread."""

        def run() -> None:
            try:
                self.handler(sock, addr)
            finally:
                with self.lock:
                    self.handler_threads.discard(thread)

        # Not a daemon thread: connections finish cleanly at shutdown.
        thread = threading.Thread(target=run, name=f"websocket-handler-{addr}")
        with self.lock:
            self.handler_threads.add(thread)
        thread.start()

    def close_pipe(self) -> None:
        # The caller holds the lock.
        if not self.pipe_closed and self.shutdown_watcher is not None:
            assert self.shutdown_notifier is not None
            os.close(self.shutdown_watcher)
            os.close(self.shutdown_notifier)
            self.pipe_closed = True

    def shutdown(
        self,
        close_connections: bool = True,
        code: CloseCode | int = CloseCode.GOING_AWAY,
        reason: str = "",
    ) -> None:
        """
        Stop accepting connections and, by default, close open ones.

        :meth:`serve_forever` returns. With ``close_connections``, every open
        connection is closed with ``code`` and ``reason``, concurrently, and
        :meth:`shutdown` waits for the connection handlers to return.

        Args:
            close_connections: Whether to close open connections.
            code: Close code for open connections.
            reason: Close reason for open connections.

        """
        with self.lock:
            first_call = not self.socket_closed.is_set()
            self.socket_closed.set()
            if first_call:
                # On Linux, shutdown() wakes up a thread blocked in accept(),
                # e.g. after a client went away between select() and accept().
                with contextlib.suppress(OSError):
                    self.socket.shutdown(socket.SHUT_RDWR)
                self.socket.close()
                if self.shutdown_notifier is not None:
                    os.write(self.shutdown_notifier, b"x")
                if not self.serving:
                    self.close_pipe()
            connections = set(self.all_connections)
            handler_threads = set(self.handler_threads)

        if not close_connections:
            return

        def close(connection: ServerConnection) -> None:
            if connection.protocol.state is CONNECTING:
                # Abort the opening handshake rather than wait for it.
                connection.close_socket()
            else:
                connection.close(code, reason)

        closers = [
            threading.Thread(target=close, args=(connection,))
            for connection in connections
        ]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()

        current = threading.current_thread()
        for thread in handler_threads:
            if thread is not current:
                thread.join()

    def fileno(self) -> int:
        """Return the file descriptor of the server socket, for selectors."""
        return self.socket.fileno()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()


def __getattr__(name: str) -> Any:
    if name == "WebSocketServer":
        warnings.warn(  # deprecated in 13.0
            "WebSocketServer was renamed to Server",
            DeprecationWarning,
            stacklevel=2,
        )
        return Server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serve(
    handler: Callable[[ServerConnection], None],
    host: str | None = None,
    port: int | None = None,
    *,
    # TCP/TLS
    sock: socket.socket | None = None,
    ssl: ssl_module.SSLContext | None = None,
    # WebSocket
    origins: Sequence[Origin | re.Pattern[str] | None] | None = None,
    extensions: Sequence[ServerExtensionFactory] | None = None,
    subprotocols: Sequence[Subprotocol] | None = None,
    select_subprotocol: (
        Callable[[ServerConnection, Sequence[Subprotocol]], Subprotocol | None] | None
    ) = None,
    compression: str | None = "deflate",
    # HTTP
    process_request: (
        Callable[[ServerConnection, Request], Response | None] | None
    ) = None,
    process_response: (
        Callable[[ServerConnection, Request, Response], Response | None] | None
    ) = None,
    server_header: str | None = SERVER,
    # Timeouts
    open_timeout: float | None = 10,
    ping_interval: float | None = 20,
    ping_timeout: float | None = 20,
    close_timeout: float | None = 10,
    # Limits
    max_size: int | None | tuple[int | None, int | None] = 2**20,
    max_queue: int | None | tuple[int | None, int | None] = 16,
    # Logging
    logger: LoggerLike | None = None,
    # Escape hatch for advanced customization
    create_connection: type[ServerConnection] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Create a WebSocket server listening on ``host`` and ``port``.

    Whenever a client connects, the server creates a :class:`ServerConnection`,
    performs the opening handshake, and delegates to ``handler`` in a new
    thread. The handler receives the connection; when it returns, the
    connection is closed with 1000, and when it raises, the exception is
    logged and the connection is closed with 1011.

    :func:`serve` returns a :class:`Server`; call its
    :meth:`~Server.serve_forever` method to accept connections::

        def handler(websocket):
            for message in websocket:
                websocket.send(message)

        with serve(handler, "localhost", 8765) as server:
            server.serve_forever()

    Args:
        handler: Connection handler. It receives the connection.
        host: Network interfaces the server binds to; see
            :func:`~socket.create_server`.
        port: TCP port the server listens on.
        sock: Preexisting listening socket; replaces ``host`` and ``port``.
        ssl: Configuration for enabling TLS on the connection.
        origins: Acceptable values of the ``Origin`` header, strings or
            regular expressions; include :obj:`None` to accept requests
            without one. :obj:`None` accepts any origin.
        extensions: Supported extensions, in order of negotiation.
        subprotocols: Supported subprotocols, in order of decreasing
            preference.
        select_subprotocol: Callback for selecting a subprotocol among those
            the client offers; it receives the connection and the offered
            subprotocols.
        compression: ``"deflate"`` enables permessage-deflate (the default);
            :obj:`None` disables it.
        process_request: Intercepts the HTTP request; returning a
            :class:`~ws_http.http11.Response` sends it instead of completing
            the handshake.
        process_response: Intercepts the HTTP response; returning a
            :class:`~ws_http.http11.Response` sends it instead.
        server_header: Value of the ``Server`` response header; :obj:`None`
            removes it.
        open_timeout: Time-out for the TLS and WebSocket handshakes in
            seconds; :obj:`None` disables it.
        ping_interval: Delay between keepalive pings in seconds; :obj:`None`
            disables keepalive.
        ping_timeout: Time-out for keepalive pings in seconds; :obj:`None`
            disables it.
        close_timeout: Time-out for closing connections in seconds;
            :obj:`None` disables it.
        max_size: Maximum size of incoming messages in bytes, or a
            ``(message, fragment)`` pair; :obj:`None` disables the limit.
        max_queue: High-water mark of the queue of incoming frames, or a
            ``(high, low)`` pair; :obj:`None` disables flow control.
        logger: Logger for this server; defaults to
            ``logging.getLogger("websockets.server")``.
        create_connection: Factory for the :class:`ServerConnection`.
        kwargs: Passed to :func:`socket.create_server`.

    """
    if ssl is None and "ssl_context" in kwargs:
        ssl = kwargs.pop("ssl_context")
        warnings.warn(  # deprecated in 13.0
            "ssl_context was renamed to ssl",
            DeprecationWarning,
            stacklevel=2,
        )

    if subprotocols is not None:
        validate_subprotocols(subprotocols)

    if compression == "deflate":
        extensions = enable_server_permessage_deflate(extensions)
    elif compression is not None:
        raise ValueError(f"unsupported compression: {compression}")

    if create_connection is None:
        create_connection = ServerConnection

    # Connections are created in their own threads, where an error would only
    # drop them: check arguments now.
    if isinstance(max_queue, tuple):
        Assembler(*max_queue)

    # Private arguments of unix_serve().
    unix: bool = kwargs.pop("unix", False)
    path: str | None = kwargs.pop("path", None)

    if sock is None:
        if unix:
            if path is None:
                raise ValueError("missing path argument")
            kwargs.setdefault("family", socket.AF_UNIX)
            sock = socket.create_server(path, **kwargs)
        else:
            # Like socketserver, an empty host binds every interface.
            sock = socket.create_server(
                (host if host is not None else "", port or 0), **kwargs
            )
    elif path is not None:
        raise ValueError("path and sock arguments are incompatible")

    def conn_handler(sock: socket.socket, addr: Any) -> None:
        # One time budget covers the TLS and WebSocket handshakes.
        deadline = Deadline(open_timeout)

        try:
            if not unix:
                # Small messages must leave at once rather than wait for an ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)

            if ssl is not None:
                # The TLS handshake happens in the connection's thread,
                # bounded by open_timeout, not in the thread that accepts
                # connections.
                sock.settimeout(deadline.timeout())
                sock = cast(socket.socket, ServerSSLSocket(sock, ssl))
                sock.settimeout(None)

            # select_subprotocol receives the connection, not the protocol.
            protocol_select_subprotocol: (
                Callable[[ServerProtocol, Sequence[Subprotocol]], Subprotocol | None]
                | None
            ) = None
            if select_subprotocol is not None:

                def protocol_select_subprotocol(
                    protocol: ServerProtocol,
                    subprotocols: Sequence[Subprotocol],
                ) -> Subprotocol | None:
                    assert select_subprotocol is not None
                    assert protocol is connection.protocol
                    return select_subprotocol(connection, subprotocols)

            protocol = ServerProtocol(
                origins=origins,
                extensions=extensions,
                subprotocols=subprotocols,
                select_subprotocol=protocol_select_subprotocol,
                max_size=max_size,
                logger=logger,
            )

            assert create_connection is not None  # help mypy
            connection = create_connection(
                sock,
                protocol,
                server,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_queue=max_queue,
            )
        except Exception:
            # Typically a failed TLS handshake.
            server.logger.debug("connection setup failed", exc_info=True)
            sock.close()
            return

        with server.lock:
            server.all_connections.add(connection)
        try:
            try:
                connection.handshake(
                    process_request,
                    process_response,
                    server_header,
                    deadline.timeout(),
                )
            except (TimeoutError, EOFError):
                connection.close_socket()
                return
            except InvalidHandshake:
                connection.logger.info("opening handshake failed", exc_info=True)
                connection.close_socket()
                return
            except Exception:
                connection.logger.error("opening handshake failed", exc_info=True)
                connection.close_socket()
                return

            if connection.response is None or connection.response.status_code != 101:
                # process_request or process_response rejected the handshake.
                connection.close_socket()
                return

            if server.socket_closed.is_set():
                # shutdown() ran during the handshake and didn't see this
                # connection open.
                connection.close(CloseCode.GOING_AWAY)
                return

            try:
                connection.start_keepalive()
                handler(connection)
            except Exception:
                connection.logger.error("connection handler failed", exc_info=True)
                connection.close(CloseCode.INTERNAL_ERROR)
            else:
                connection.close()

        except Exception:  # pragma: no cover
            # Don't leak sockets on unexpected errors.
            connection.logger.error("unexpected internal error", exc_info=True)
            connection.close_socket()
        finally:
            with server.lock:
                server.all_connections.discard(connection)

    server = Server(sock, conn_handler, logger)
    return server


def unix_serve(
    handler: Callable[[ServerConnection], None],
    path: str | None = None,
    **kwargs: Any,
) -> Server:
    """
    Create a WebSocket server listening on a Unix socket.

    This function accepts the same keyword arguments as :func:`serve`. It's
    only available on Unix and mainly useful with a reverse proxy in front.

    Args:
        handler: Connection handler. It receives the connection.
        path: File system path to the Unix socket.

    """
    return serve(handler, unix=True, path=path, **kwargs)


def basic_auth(
    realm: str = "",
    credentials: tuple[str, str] | Iterable[tuple[str, str]] | None = None,
    check_credentials: Callable[[str, str], bool] | None = None,
) -> Callable[[ServerConnection, Request], Response | None]:
    """
    Factory for ``process_request`` to enforce HTTP Basic Authentication.

    :func:`basic_auth` is designed to integrate with :func:`serve`::

        with serve(
            ...,
            process_request=basic_auth(
                realm="my dev server",
                credentials=("hello", "iloveyou"),
            ),
        ):

    Provide either ``credentials`` or ``check_credentials``. The first is a
    ``(username, password)`` pair or a list of them, compared in constant
    time. The second is a function that receives a username and a password
    and tells whether they're valid. On success, the username is available
    as ``connection.username``; on failure, the client receives 401
    Unauthorized with a ``WWW-Authenticate`` header (:rfc:`7617`).

    Args:
        realm: Scope of protection; only ASCII characters, because the
            encoding of non-ASCII characters is undefined.
        credentials: Hard coded authorized credentials.
        check_credentials: Function that verifies credentials.

    Raises:
        TypeError: If ``credentials`` or ``check_credentials`` is wrong.
        ValueError: If both or neither of them are provided.

    """
    if (credentials is None) == (check_credentials is None):
        raise ValueError("provide either credentials or check_credentials")

    if credentials is not None:
        check_credentials = credentials_checker(credentials)

    assert check_credentials is not None  # help mypy

    def process_request(
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """Check the credentials in the ``Authorization`` header."""
        assert check_credentials is not None  # help mypy

        def unauthorized(text: str) -> Response:
            response = connection.respond(http.HTTPStatus.UNAUTHORIZED, text)
            response.headers["WWW-Authenticate"] = build_www_authenticate_basic(realm)
            return response

        credentials = read_basic_credentials(request.headers)
        if isinstance(credentials, str):
            return unauthorized(credentials)
        username, password = credentials

        if not check_credentials(username, password):
            return unauthorized(INVALID_CREDENTIALS)

        connection.username = username
        return None

    return process_request


def broadcast(
    connections: Iterable[Connection],
    message: DataLike,
    *,
    raise_exceptions: bool = False,
    text: bool | None = None,
    **kwargs: Any,
) -> None:
    """
    Broadcast a message to several WebSocket connections.

    A :class:`str` is sent as a Text frame and a bytes-like object as a
    Binary frame; ``text`` overrides the frame type. The message is encoded
    and, when permessage-deflate isn't negotiated, framed once for all
    connections. Connections that aren't open are skipped, as are
    connections in the middle of sending a fragmented message.

    Writing happens in the calling thread, one connection after the other;
    a peer that stops reading delays the following ones.

    Args:
        connections: WebSocket connections.
        message: Message to send.
        raise_exceptions: Whether to raise an :exc:`ExceptionGroup` of the
            errors that prevented sending to some connections, rather than
            logging them.
        text: Send as a Text frame (:obj:`True`) or a Binary frame
            (:obj:`False`) whatever the type of ``message``.

    Raises:
        TypeError: If ``message`` doesn't have a supported type.

    """
    if kwargs:
        raise TypeError(
            f"broadcast() got an unexpected keyword argument {next(iter(kwargs))!r}"
        )

    data: BytesLike
    if isinstance(message, str):
        data = message.encode()
        send_text = text is not False
    elif isinstance(message, (bytes, bytearray, memoryview)):
        data = message
        send_text = text is True
    else:
        raise TypeError("data must be str or bytes-like")

    exceptions: list[Exception] = []

    for connection in connections:
        exception: Exception

        with connection.protocol_mutex:
            if connection.protocol.state is not OPEN:
                continue

            if connection.send_in_progress:
                if raise_exceptions:
                    exceptions.append(ConcurrencyError("sending a fragmented message"))
                else:
                    connection.logger.warning(
                        "skipped broadcast: sending a fragmented message",
                    )
                continue

            try:
                if send_text:
                    connection.protocol.send_text(data)
                else:
                    connection.protocol.send_binary(data)
                connection.send_data()
            except Exception as write_exception:  # pragma: no cover
                exception = write_exception
            else:
                exception = None  # type: ignore[assignment]

        if exception is None:
            try:
                connection.flush()
            except Exception as write_exception:
                exception = write_exception
                # The reading thread will notice that the connection broke.
                connection.close_socket()

        if exception is not None:
            if raise_exceptions:
                broadcast_exc = RuntimeError("failed to write message")
                broadcast_exc.__cause__ = exception
                exceptions.append(broadcast_exc)
            else:
                connection.logger.warning(
                    "skipped broadcast: failed to write message: %s",
                    traceback.format_exception_only(exception)[0].strip(),
                )

    if raise_exceptions and exceptions:
        raise ExceptionGroup("skipped broadcast", exceptions)

"""
WebSocket server on threads.

:func:`serve` listens for clients and gives each connection a
:class:`ServerConnection`, which runs the opening handshake before the
application's handler takes over, in a thread of its own. :class:`Server`
keeps track of connections so that a shutdown can end them; :func:`basic_auth`
builds a ``process_request`` hook that asks for HTTP Basic credentials.

:mod:`ws_asyncio.server` is the same module for asyncio.

"""

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
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, cast

from ws_deflate.permessage_deflate import enable_server_permessage_deflate
from ws_frames.exceptions import ConnectionClosed, InvalidHandshake
from ws_frames.extensions import ServerExtensionFactory
from ws_frames.frames import CloseCode
from ws_frames.protocol import CONNECTING, OPEN, Event
from ws_frames.typing import (
    LoggerLike,
    Origin,
    StatusLike,
    Subprotocol,
)
from ws_http.auth import (
    INVALID_CREDENTIALS,
    credentials_checker,
    is_credentials as is_credentials,  # part of this module's API
    read_basic_credentials,
)
from ws_http.handshake import log_failed_handshake
from ws_http.headers import build_www_authenticate_basic, validate_subprotocols
from ws_http.http11 import SERVER, Request, Response
from ws_http.server import EARLY_DATA_LIMIT, ServerProtocol

from .connection import Connection, broadcast as broadcast
from .messages import Assembler
from .tls import TLSSocket
from .utils import Deadline


if sys.version_info >= (3, 11):
    from typing import Self
else:  # pragma: no cover
    if TYPE_CHECKING:
        from typing_extensions import Self


__all__ = [
    "Server",
    "ServerConnection",
    "basic_auth",
    "broadcast",
    "serve",
    "unix_serve",
]


# Values of the Origin header: exact, matching a pattern, or missing.
_Origins = Sequence[Origin | re.Pattern[str] | None]
# Durations in seconds; None means no limit.
_Seconds = float | None
# A limit, or a (high, low) pair of water marks; None means no limit.
_QueueLimit = int | None | tuple[int | None, int | None]
# A limit for messages, or a (message, fragment) pair of limits.
_SizeLimit = int | None | tuple[int | None, int | None]

_Handler = Callable[["ServerConnection"], None]
_RequestHook = Callable[["ServerConnection", Request], Response | None]
_ResponseHook = Callable[["ServerConnection", Request, Response], Response | None]
_SubprotocolHook = Callable[
    ["ServerConnection", Sequence[Subprotocol]], Subprotocol | None
]
# What Server runs for each socket it accepts, with the address of the client.
_SocketRunner = Callable[[socket.socket, Any], None]
# A close code, as a member of CloseCode or a plain number.
_CloseCodeLike = CloseCode | int


class _ConnectionOptions(NamedTuple):
    """
    The keyword arguments of :class:`ServerConnection`, in the order of its
    signature. :func:`serve` gathers them once for all connections.

    """

    ping_interval: _Seconds
    ping_timeout: _Seconds
    close_timeout: _Seconds
    max_queue: _QueueLimit


class ServerConnection(Connection):
    """
    The server end of a WebSocket connection.

    :func:`serve` makes one for each client, runs :meth:`handshake`, then
    hands it to the application's handler, which talks to the client with the
    methods of :class:`~ws_sync.connection.Connection`.

    Args:
        socket: Socket connected to the client.
        protocol: Sans-I/O server protocol of this connection.
        server: Server that accepted the connection.

    The keyword-only arguments are described in :func:`serve`.

    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: ServerProtocol,
        server: Server,
        *,
        ping_interval: _Seconds = 20,
        ping_timeout: _Seconds = 20,
        close_timeout: _Seconds = 10,
        max_queue: _QueueLimit = 16,
    ) -> None:
        self.protocol: ServerProtocol
        self.server = server
        # Set when the request arrives, or when the client leaves before. It
        # exists before the thread that reads the socket starts.
        self.request_rcvd = threading.Event()
        # Whether handle_received() stopped reading until the response.
        self.early_data_paused = False
        options = _ConnectionOptions(
            ping_interval, ping_timeout, close_timeout, max_queue
        )
        super().__init__(sock, protocol, **options._asdict())
        self.username: str
        """Name of the client, once :func:`basic_auth` accepted its credentials."""
        self.handler: Callable[..., None]
        """Handler that a :class:`~ws_sync.router.Router` chose for the path."""
        self.handler_kwargs: dict[str, Any]
        """Keyword arguments for :attr:`handler`, captured from the path."""

    def respond(self, status: StatusLike, text: str) -> Response:
        """
        Build a plain text HTTP response.

        A ``process_request`` or ``process_response`` hook returns it to answer
        the client without opening the WebSocket connection. Headers may be
        changed before returning it.

        Args:
            status: HTTP status code.
            text: Body of the response, sent in UTF-8.

        """
        return self.protocol.reject(status, text)

    def handshake(
        self,
        process_request: _RequestHook | None = None,
        process_response: _ResponseHook | None = None,
        server_header: str | None = SERVER,
        timeout: float | None = None,
    ) -> None:
        """
        Run the server side of the opening handshake (:rfc:`6455#section-4.2`).

        It returns when the connection is open, and also when a hook or the
        shutdown of the server answered the request with another response,
        which is then sent: :attr:`response` tells the two apart. Once the
        server is shutting down, the response is a 503 instead of a 101.

        Args:
            timeout: Seconds to wait for the request; :obj:`None` for no limit.

        Raises:
            TimeoutError: If the request doesn't arrive in time.
            InvalidHandshake: If the client left before sending a valid
                request.
            ConnectionClosed: If the connection closed before the response
                went out.
            Exception: Whatever a hook raised; the client got a 500 response.

        """
        if not self.request_rcvd.wait(timeout):
            raise TimeoutError("timed out while waiting for handshake request")

        if self.request is None:
            failure = self.protocol.handshake_exc
        else:
            # Without protocol_mutex: hooks may call methods that take it,
            # like close_socket().
            response = self.choose_response(
                self.request, process_request, process_response, server_header
            )
            try:
                with self.send_context(expected_state=CONNECTING):
                    # Under the lock of the server, a shutdown either starts
                    # before the response is sent, and it's a 503, or finds
                    # the connection open, and closes it.
                    with self.server.lock:
                        if (
                            response.status_code == 101
                            and self.server.socket_closed.is_set()
                        ):
                            response = self.respond(
                                http.HTTPStatus.SERVICE_UNAVAILABLE,
                                "Server is shutting down.\n",
                            )
                        self.response = response
                        # Read it now: sending a response other than 101
                        # records it as a failure, which an answer chosen on
                        # purpose isn't.
                        failure = self.protocol.handshake_exc
                        self.protocol.send_response(response)
                        self.resume_early_data()
                    # Frames that came right behind the request wait for the
                    # response before they're parsed.
                    for event in self.protocol.events_received():
                        self.process_event(event)
            except ConnectionClosed:
                # Raised when closing after the response outlasts close_timeout,
                # for a refusal or for a close frame sent along with the
                # request. The response is out: the handshake stands, and the
                # handler gets the messages that arrived.
                if self.response is None:
                    raise

        if failure is not None:
            raise failure

    def choose_response(
        self,
        request: Request,
        process_request: _RequestHook | None,
        process_response: _ResponseHook | None,
        server_header: str | None,
    ) -> Response:
        """Pick the answer to ``request``, asking the hooks when there are any."""
        response = None
        if process_request is not None:
            response = self.run_hook("process_request", process_request, request)
        if response is None:
            with self.protocol_mutex:
                response = self.protocol.accept(request)
        if server_header:
            response.headers["Server"] = server_header
        if process_response is not None:
            replacement = self.run_hook(
                "process_response", process_response, request, response
            )
            if replacement is not None:
                response = replacement
        return response

    def run_hook(
        self, name: str, hook: _RequestHook | _ResponseHook, *args: Any
    ) -> Response | None:
        """
        Call the hook called ``name``. An error in the hook is logged with its
        traceback and becomes a 500 response.

        """
        try:
            response: Response | None = hook(self, *args)
        except Exception as exc:
            self.logger.error("%s failed", name, exc_info=True)
            with self.protocol_mutex:
                return self.protocol.reject_internal_error(exc)
        return response

    def process_event(self, event: Event) -> None:
        """Take the first event as the request; pass frames to the connection."""
        if self.request is not None:
            super().process_event(event)
            return
        assert isinstance(event, Request)
        self.request = event
        self.request_rcvd.set()

    def handle_received(self) -> None:
        super().handle_received()
        # Frames that the client sends behind its request wait for the
        # response, unparsed; while hooks choose it, past a limit, they wait
        # in the network rather than here.
        if (
            self.response is None
            and not self.early_data_paused
            and len(self.protocol.reader.buffer) > EARLY_DATA_LIMIT
        ):
            self.early_data_paused = True
            self.pause_reading()

    def resume_early_data(self) -> None:
        """Read again what the client sends, once the response is out."""
        if self.early_data_paused:
            self.early_data_paused = False
            self.resume_reading()

    def close_socket(self) -> None:
        super().close_socket()
        # A connection closed before its response went out mustn't leave the
        # reading thread waiting for the response.
        with self.protocol_mutex:
            self.resume_early_data()

    def recv_events(self) -> None:
        try:
            super().recv_events()
        finally:
            # The client left without a request: handshake() has nothing to
            # wait for.
            self.request_rcvd.set()
            self.logger.info("connection closed")


class Server:
    """
    WebSocket server, with the interface of :class:`socketserver.BaseServer`:
    :meth:`serve_forever`, :meth:`shutdown` and ``with``.

    :func:`serve` builds it. Each connection runs in a thread of its own, and
    the server keeps track of them so that :meth:`shutdown` can end them.

    Args:
        sock: Listening socket.
        handler: Function that runs one connection, from the socket returned
            by :meth:`~socket.socket.accept` and the client's address, in a
            thread of its own.
        logger: Logger; ``logging.getLogger("websockets.server")`` by default.

    """

    SHUTDOWN_POLLING_INTERVAL = 0.1
    """
    Seconds between checks for a shutdown in :meth:`serve_forever`, on
    platforms where the server can't wake itself up.

    """

    def __init__(
        self,
        sock: socket.socket,
        handler: _SocketRunner,
        logger: LoggerLike | None = None,
    ) -> None:
        self.logger = (
            logging.getLogger("websockets.server") if logger is None else logger
        )
        self.socket = sock
        self.handler = handler
        # Guards the sets of connections and threads, and the shutdown.
        self.lock = threading.Lock()
        self.all_connections: set[ServerConnection] = set()
        self.handler_threads: set[threading.Thread] = set()
        self.socket_closed = threading.Event()
        # Whether serve_forever() is running; then it closes the pipe below.
        self.accepting = False
        # shutdown() writes a byte to the pipe to wake up serve_forever().
        self.shutdown_watcher: int | None = None
        self.shutdown_notifier: int | None = None
        if sys.platform != "win32":
            self.shutdown_watcher, self.shutdown_notifier = os.pipe()
        _log_listening(self.logger, [sock])

    @property
    def connections(self) -> set[ServerConnection]:
        """Connections that are open: handshake done, closing not started."""
        with self.lock:
            connections = list(self.all_connections)
        return {
            connection
            for connection in connections
            if connection.protocol.state is OPEN
        }

    def start_handler(self, sock: socket.socket, addr: Any) -> None:
        """Run :attr:`handler` for a new connection, in a thread of its own."""

        def run() -> None:
            try:
                self.handler(sock, addr)
            finally:
                with self.lock:
                    self.handler_threads.discard(thread)

        # Not a daemon: the process waits for connections to finish.
        thread = threading.Thread(target=run, name=f"websocket-handler-{addr}")
        # Started under the lock, so that shutdown() never joins a thread
        # that isn't started yet.
        with self.lock:
            self.handler_threads.add(thread)
            thread.start()

    def close_connections(
        self, code: _CloseCodeLike, reason: str
    ) -> list[threading.Thread]:
        """
        Start closing every open connection with ``code`` and ``reason``;
        return what to wait for. Connections in their opening handshake are
        left to it: it answers 503 now that the server is shutting down, or
        gives up after ``open_timeout``.

        """
        with self.lock:
            connections = list(self.all_connections)
        closing = [
            threading.Thread(target=connection.close, args=(code, reason))
            for connection in connections
            if connection.protocol.state is not CONNECTING
        ]
        for thread in closing:
            thread.start()
        return closing

    def serve_forever(self) -> None:
        """
        Accept connections until :meth:`shutdown` is called::

            with serve(handler, "localhost", 8765) as server:
                server.serve_forever()

        """
        with contextlib.ExitStack() as stack:
            selector = stack.enter_context(selectors.DefaultSelector())
            # Registering a closed socket would fail: check under the lock.
            with self.lock:
                if self.socket_closed.is_set():
                    return
                self.accepting = True
                stack.callback(self.stop_accepting)
                selector.register(self.socket, selectors.EVENT_READ)
                if self.shutdown_watcher is not None:
                    selector.register(self.shutdown_watcher, selectors.EVENT_READ)
            wait = (
                None
                if self.shutdown_watcher is not None
                else self.SHUTDOWN_POLLING_INTERVAL
            )
            while True:
                ready = selector.select(wait)
                if self.socket_closed.is_set():
                    return
                if not ready:  # pragma: no cover
                    continue
                try:
                    # With TLS, the listening socket is an ssl.SSLSocket, whose
                    # accept() would start a TLS session of its own.
                    sock, addr = socket.socket.accept(self.socket)
                except OSError:
                    if self.socket_closed.is_set():
                        # shutdown() closed the socket under accept().
                        return
                    # The client left before accept(), or the process ran out
                    # of file descriptors: that's no reason to stop serving.
                    self.logger.warning("failed to accept connection", exc_info=True)
                    continue
                self.start_handler(sock, addr)

    def stop_accepting(self) -> None:
        """Leave :meth:`serve_forever`, closing the pipe if shutdown() is done."""
        with self.lock:
            self.accepting = False
            if self.socket_closed.is_set():
                self.close_pipe()

    def close_pipe(self) -> None:
        """Close the pipe that wakes up :meth:`serve_forever`; hold the lock."""
        if self.shutdown_watcher is not None and self.shutdown_notifier is not None:
            os.close(self.shutdown_watcher)
            os.close(self.shutdown_notifier)
            self.shutdown_watcher = self.shutdown_notifier = None

    def shutdown(
        self,
        close_connections: bool = True,
        code: _CloseCodeLike = CloseCode.GOING_AWAY,
        reason: str = "",
    ) -> None:
        """
        Shut the server down.

        The server stops listening and :meth:`serve_forever` returns.
        Handshakes in progress are refused with 503 (service unavailable).
        With ``close_connections``, the default, open connections are closed
        with ``code`` and ``reason``, 1001 (going away) by default. Then
        :meth:`shutdown` waits for every handler to return. Further calls
        close what's left.

        """
        with self.lock:
            first_call = not self.socket_closed.is_set()
            if first_call:
                self.socket_closed.set()
                # On Linux, shutdown() wakes up a thread blocked in accept(),
                # where a client that left between select() and accept()
                # may have sent serve_forever().
                with contextlib.suppress(OSError):
                    self.socket.shutdown(socket.SHUT_RDWR)
                self.socket.close()
                if self.shutdown_notifier is not None:
                    os.write(self.shutdown_notifier, b"\0")
                # Closing the pipe under serve_forever() could lose the byte.
                if not self.accepting:
                    self.close_pipe()
        if first_call:
            self.logger.info("server closing")

        if close_connections:
            for thread in self.close_connections(code, reason):
                thread.join()
        # Until none is left: a connection accepted right before the shutdown
        # may start its thread while others finish.
        while True:
            with self.lock:
                # A handler may shut the server down; it can't wait for itself.
                handler_threads = self.handler_threads - {threading.current_thread()}
            if not handler_threads:
                break
            for thread in handler_threads:
                thread.join()
        if first_call:
            self.logger.info("server closed")

    def fileno(self) -> int:
        """File descriptor of the listening socket, for selectors."""
        return self.socket.fileno()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        """Shut the server down."""
        self.shutdown()


def serve(
    handler: _Handler,
    host: str | None = None,
    port: int | None = None,
    *,
    sock: socket.socket | None = None,
    ssl: ssl_module.SSLContext | None = None,
    origins: _Origins | None = None,
    extensions: Sequence[ServerExtensionFactory] | None = None,
    subprotocols: Sequence[Subprotocol] | None = None,
    select_subprotocol: _SubprotocolHook | None = None,
    compression: str | None = "deflate",
    process_request: _RequestHook | None = None,
    process_response: _ResponseHook | None = None,
    server_header: str | None = SERVER,
    open_timeout: _Seconds = 10,
    ping_interval: _Seconds = 20,
    ping_timeout: _Seconds = 20,
    close_timeout: _Seconds = 10,
    max_size: _SizeLimit = 2**20,
    max_queue: _QueueLimit = 16,
    logger: LoggerLike | None = None,
    create_connection: type[ServerConnection] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on ``host`` and ``port``.

    Each connection runs in a thread of its own: the opening handshake, then
    ``handler``, then the closing handshake, with code 1000 when the handler
    returns, 1011 when it raises, after logging the exception::

        def echo(websocket):
            for message in websocket:
                websocket.send(message)

        with serve(echo, "localhost", 8765) as server:
            server.serve_forever()

    Args:
        handler: Function that receives each :class:`ServerConnection`.
        host: Network interface to listen on, as for
            :func:`~socket.create_server`; all of them by default.
        port: TCP port to listen on.
        sock: Listening socket to use instead of ``host`` and ``port``.
        ssl: TLS configuration; connections use TLS when it's given, and
            :attr:`Server.socket` is then an :class:`ssl.SSLSocket`.
        origins: ``Origin`` headers to accept, which protects against
            cross-site WebSocket hijacking: strings match exactly, compiled
            regular expressions match the whole header, and :obj:`None`
            accepts requests without one. By default, any origin is accepted.
        extensions: Extensions to negotiate, in order of preference.
        subprotocols: Subprotocols to negotiate, in order of preference.
        select_subprotocol: Function that receives the connection and the
            subprotocols the client offers, and returns one of them or
            :obj:`None`; it replaces the choice based on ``subprotocols``.
        compression: ``"deflate"``, the default, negotiates permessage-deflate;
            :obj:`None` turns compression off.
        process_request: Function called with the connection and the request.
            When it returns a :class:`~ws_http.http11.Response`, the server
            sends it instead of opening the WebSocket connection, for health
            checks or authentication for instance; :obj:`None` lets the
            handshake go on.
        process_response: Function called with the connection, the request
            and the response before the response is sent. It may change the
            response or return another one.
        server_header: Value of the ``Server`` header; :obj:`None` or ``""``
            leaves it out.
        open_timeout: Seconds for the TLS and WebSocket opening handshakes
            together; :obj:`None` for no limit.
        ping_interval: Seconds between keepalive pings; :obj:`None` turns
            keepalive off.
        ping_timeout: Seconds to wait for the pong to a keepalive ping before
            closing the connection with code 1011; :obj:`None` waits forever.
        close_timeout: Seconds for the closing handshake; :obj:`None` for no
            limit.
        max_size: Largest incoming message in bytes, or a ``(message,
            fragment)`` pair of limits; :obj:`None` for no limit.
        max_queue: Incoming frames that may wait for :meth:`recv` before the
            server stops reading, or a ``(high, low)`` pair of water marks;
            :obj:`None` for no limit.
        logger: Logger; ``logging.getLogger("websockets.server")`` by default.
        create_connection: Subclass of :class:`ServerConnection` to use.

    Other keyword arguments go to :func:`socket.create_server`.

    """
    if ssl is None and "ssl_context" in kwargs:
        # deprecated in websockets 13.0
        warnings.warn(
            "ssl_context was renamed to ssl", DeprecationWarning, stacklevel=2
        )
        ssl = kwargs.pop("ssl_context")
    if compression is not None:
        if compression != "deflate":
            raise ValueError(f"unsupported compression: {compression}")
        extensions = enable_server_permessage_deflate(extensions)
    if subprotocols is not None:
        validate_subprotocols(subprotocols)
    connection_class = (
        ServerConnection if create_connection is None else create_connection
    )
    if isinstance(max_queue, tuple):
        # Connections start in threads, where a bad value would only drop
        # them: check it now.
        Assembler(*max_queue)
    # The same keyword arguments for every connection.
    connection_kwargs = _ConnectionOptions(
        ping_interval, ping_timeout, close_timeout, max_queue
    )._asdict()
    # unix_serve() passes these.
    unix: bool = kwargs.pop("unix", False)
    path: str | None = kwargs.pop("path", None)

    if sock is None:
        address: str | tuple[str, int]
        if not unix:
            address = (host or "", port or 0)
        elif path is not None:
            kwargs.setdefault("family", socket.AF_UNIX)
            address = path
        else:
            raise ValueError("missing path argument")
        sock = socket.create_server(address, **kwargs)
    else:
        for name, value in [("host", host), ("port", port), ("path", path)]:
            if value is not None:
                raise ValueError(f"{name} and sock arguments are incompatible")
    if ssl is not None:
        # Accepted sockets get their TLS session from accept_socket(); this
        # one tells that the server speaks TLS, as ssl.SSLSocket does.
        sock = ssl.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)

    def make_connection(sock: socket.socket) -> ServerConnection:
        """Create the connection of a client that the server just accepted."""
        protocol = ServerProtocol(
            origins=origins,
            extensions=extensions,
            subprotocols=subprotocols,
            select_subprotocol=_pass_connection(select_subprotocol, lambda: connection),
            max_size=max_size,
            logger=logger,
        )
        connection = connection_class(sock, protocol, server, **connection_kwargs)
        return connection

    def run_connection(connection: ServerConnection, deadline: Deadline) -> None:
        """Take a connection through both handshakes and the handler between them."""
        try:
            connection.handshake(
                process_request, process_response, server_header, deadline.timeout()
            )
        except Exception as exc:
            _log_failed_handshake(connection, exc, open_timeout)
            connection.close_socket()
            return

        # Not the state, which frames sent behind the request may have moved
        # past OPEN already.
        assert connection.response is not None
        if connection.response.status_code != 101:
            # The response of a hook, or the 503 of a shutdown, went out.
            return

        connection.start_keepalive()
        code = CloseCode.NORMAL_CLOSURE
        try:
            handler(connection)
        except Exception:
            connection.logger.error("connection handler failed", exc_info=True)
            code = CloseCode.INTERNAL_ERROR
        # Usually the client closed the connection, which ended the handler:
        # closing it again would only raise and catch ConnectionClosed.
        if connection.recv_events_thread.is_alive():
            connection.close(code)

    def accept_socket(sock: socket.socket, addr: Any) -> None:
        """Set up TLS and the connection on an accepted socket, then run it."""
        # open_timeout covers the TLS handshake and the WebSocket one.
        deadline = Deadline(open_timeout)
        try:
            if sock.family != socket.AF_UNIX:
                # Small messages leave at once instead of waiting for an ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
            if ssl is not None:
                sock = _start_tls(sock, ssl, deadline.timeout())
            connection = make_connection(sock)
        except OSError as exc:
            # The TLS handshake failed or timed out, or the client left.
            log_failed_handshake(server.logger, exc, open_timeout)
            sock.close()
            return
        except Exception:
            server.logger.error("opening handshake failed", exc_info=True)
            sock.close()
            return

        with server.lock:
            server.all_connections.add(connection)
        try:
            run_connection(connection, deadline)
        finally:
            with server.lock:
                server.all_connections.discard(connection)

    server = Server(sock, accept_socket, logger)
    return server


def unix_serve(
    handler: _Handler,
    path: str | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on a Unix socket, typically behind a reverse
    proxy on the same machine.

    It takes the arguments of :func:`serve`, with ``path`` in place of
    ``host`` and ``port``.

    Args:
        handler: Function that receives each :class:`ServerConnection`.
        path: File system path of the socket.

    """
    return serve(handler, unix=True, path=path, **kwargs)


def basic_auth(
    realm: str = "",
    credentials: tuple[str, str] | Iterable[tuple[str, str]] | None = None,
    check_credentials: Callable[[str, str], bool] | None = None,
) -> Callable[[ServerConnection, Request], Response | None]:
    """
    Build a ``process_request`` hook that requires HTTP Basic Authentication
    (:rfc:`7617`)::

        with serve(
            handler, "localhost", 8765,
            process_request=basic_auth("chat", credentials=("alice", "secret")),
        ) as server:
            ...

    A client without valid credentials gets a 401 response that asks for
    them. Once they're accepted, :attr:`ServerConnection.username` holds the
    username.

    Args:
        realm: Name of the protected space, shown by browsers; stick to ASCII,
            since other characters have no agreed encoding.
        credentials: A ``(username, password)`` pair or an iterable of them;
            passwords are compared in constant time.
        check_credentials: Function that receives a username and a password
            and tells whether they're valid.

    Raises:
        TypeError: If ``credentials`` isn't a pair of strings or an iterable
            of pairs.
        ValueError: Unless exactly one of ``credentials`` and
            ``check_credentials`` is given.

    """
    if (credentials is None) == (check_credentials is None):
        raise ValueError("provide either credentials or check_credentials")
    check = check_credentials
    if credentials is not None:
        check = credentials_checker(credentials)
    assert check is not None

    def process_request(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        found = read_basic_credentials(request.headers)
        if isinstance(found, str):
            return _ask_credentials(connection, realm, found)
        username, password = found
        valid = check(username, password)
        if not valid:
            return _ask_credentials(connection, realm, INVALID_CREDENTIALS)
        connection.username = username
        return None

    return process_request


def _pass_connection(
    select_subprotocol: _SubprotocolHook | None,
    get_connection: Callable[[], ServerConnection],
) -> Callable[[ServerProtocol, Sequence[Subprotocol]], Subprotocol | None] | None:
    """
    Adapt ``select_subprotocol``, which receives the connection, to the
    protocol, which calls it with itself.

    """
    if select_subprotocol is None:
        return None
    return lambda protocol, offered: select_subprotocol(get_connection(), offered)


def _start_tls(
    sock: socket.socket, context: ssl_module.SSLContext, timeout: float | None
) -> socket.socket:
    """Run the server side of the TLS handshake on ``sock`` within ``timeout``."""
    sock.settimeout(timeout)
    tls = TLSSocket(sock, context, server_side=True)
    # Connections wait for data as long as it takes; they set their own
    # time-outs when closing.
    sock.settimeout(None)
    return cast(socket.socket, tls)


def _log_failed_handshake(
    connection: ServerConnection, exc: Exception, open_timeout: float | None
) -> None:
    """
    Log why the opening handshake of ``connection`` failed: on one line when
    the client made it fail, with a traceback when the server did.

    """
    recorded = connection.protocol.handshake_exc
    if isinstance(exc, TimeoutError) and isinstance(recorded, InvalidHandshake):
        # The client sent an invalid request, then stayed connected.
        exc = recorded
    if exc is recorded and not isinstance(exc, InvalidHandshake):
        # A hook or the server itself failed, which is logged already.
        return
    if isinstance(exc, (InvalidHandshake, ConnectionClosed, TimeoutError)):
        log_failed_handshake(connection.logger, exc, open_timeout)
    else:
        connection.logger.error("opening handshake failed", exc_info=exc)


def _log_listening(logger: LoggerLike, sockets: Iterable[socket.socket]) -> None:
    """Log the address of each listening socket."""
    for sock in sockets:
        address = sock.getsockname()
        if sock.family == socket.AF_INET6:
            logger.info("server listening on [%s]:%d", address[0], address[1])
        elif sock.family == socket.AF_INET:
            logger.info("server listening on %s:%d", address[0], address[1])
        else:
            logger.info("server listening on %s", address)


def _ask_credentials(connection: ServerConnection, realm: str, text: str) -> Response:
    """Build a 401 response that asks for Basic credentials in ``realm``."""
    response = connection.respond(http.HTTPStatus.UNAUTHORIZED, text)
    response.headers["WWW-Authenticate"] = build_www_authenticate_basic(realm)
    return response

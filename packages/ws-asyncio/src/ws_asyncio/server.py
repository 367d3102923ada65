"""
WebSocket server on asyncio.

:func:`serve` listens for clients and gives each connection a
:class:`ServerConnection`, which runs the opening handshake before the
application's handler takes over. :class:`Server` keeps track of connections
so that a shutdown can end them; :func:`basic_auth` builds a
``process_request`` hook that asks for HTTP Basic credentials.

:mod:`ws_sync.server` is the same module for threads.

"""

from __future__ import annotations

import asyncio
import http
import logging
import re
import socket
import sys
from collections.abc import Awaitable, Coroutine, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

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

from .compatibility import asyncio_timeout
from .connection import (
    CALLER_ERRORS,
    BufferedReader,
    Connection,
    broadcast as broadcast,
)


if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
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
_WriteLimit = int | tuple[int, int | None]
# A limit for messages, or a (message, fragment) pair of limits.
_SizeLimit = int | None | tuple[int | None, int | None]

_Handler = Callable[["ServerConnection"], Awaitable[None]]
_RequestHook = Callable[
    ["ServerConnection", Request], Awaitable[Response | None] | Response | None
]
_ResponseHook = Callable[
    ["ServerConnection", Request, Response],
    Awaitable[Response | None] | Response | None,
]
_SubprotocolHook = Callable[
    ["ServerConnection", Sequence[Subprotocol]], Subprotocol | None
]
# What Server runs: opening the listening sockets, then each connection.
_ServerOpener = Callable[[], Coroutine[Any, Any, asyncio.Server]]
_ConnectionRunner = Callable[["ServerConnection"], Coroutine[Any, Any, None]]
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
    write_limit: _WriteLimit


class ServerConnection(Connection):
    """
    The server end of a WebSocket connection.

    :func:`serve` makes one for each client, runs :meth:`handshake`, then
    hands it to the application's handler, which talks to the client with the
    methods of :class:`~ws_asyncio.connection.Connection`.

    Args:
        protocol: Sans-I/O server protocol of this connection.
        server: Server that accepted the connection.

    The keyword-only arguments are described in :func:`serve`.

    """

    def __init__(
        self,
        protocol: ServerProtocol,
        server: Server,
        *,
        ping_interval: _Seconds = 20,
        ping_timeout: _Seconds = 20,
        close_timeout: _Seconds = 10,
        max_queue: _QueueLimit = 16,
        write_limit: _WriteLimit = 2**15,
    ) -> None:
        self.protocol: ServerProtocol
        self.server = server
        options = _ConnectionOptions(
            ping_interval, ping_timeout, close_timeout, max_queue, write_limit
        )
        super().__init__(protocol, **options._asdict())
        # While handshake() waits: done when the request arrives, or when the
        # client leaves before. An idle connection doesn't keep it.
        self.request_rcvd: asyncio.Future[None] | None = None
        # Whether handle_received() stopped reading until the response.
        self.early_data_paused = False
        self.username: str
        """Name of the client, once :func:`basic_auth` accepted its credentials."""
        self.handler: Callable[..., Awaitable[None]]
        """Handler that a :class:`~ws_asyncio.router.Router` chose for the path."""
        self.handler_kwargs: Mapping[str, Any]
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

    async def handshake(
        self,
        process_request: _RequestHook | None = None,
        process_response: _ResponseHook | None = None,
        server_header: str | None = SERVER,
    ) -> None:
        """
        Run the server side of the opening handshake (:rfc:`6455#section-4.2`).

        It returns when the connection is open, and also when a hook or the
        shutdown of the server answered the request with another response,
        which is then sent: :attr:`response` tells the two apart. Once the
        server is shutting down, the response is a 503 instead of a 101.

        Raises:
            InvalidHandshake: If the client left before sending a valid
                request.
            ConnectionClosed: If the connection closed before the response
                went out.
            Exception: Whatever a hook raised; the client got a 500 response.

        """
        if self.request is None and not self.connection_lost_waiter.done():
            # Not shielded: nothing else waits for this future, and cancelling
            # it is harmless, which saves a future and a callback.
            self.request_rcvd = self.loop.create_future()
            try:
                await self.request_rcvd
            finally:
                self.request_rcvd = None

        if self.request is None:
            failure = self.protocol.handshake_exc
        else:
            response = await self.choose_response(
                self.request, process_request, process_response, server_header
            )
            # send_context() written out: opening connections fast matters.
            if self.protocol.state is not CONNECTING:
                await self.reject_call()
            try:
                # close() sets close_task. Without an await between the check
                # and the response, a shutdown either starts before the
                # response is sent, and it's a 503, or finds the connection
                # open, and closes it.
                if response.status_code == 101 and self.server.close_task is not None:
                    response = self.respond(
                        http.HTTPStatus.SERVICE_UNAVAILABLE,
                        "Server is shutting down.\n",
                    )
                self.response = response
                # Read it now: sending a response other than 101 records it
                # as a failure, which an answer chosen on purpose isn't.
                failure = self.protocol.handshake_exc
                self.protocol.send_response(response)
                self.resume_early_data()
                # Frames that came right behind the request wait for the
                # response before they're parsed.
                for event in self.protocol.events_received():
                    self.process_event(event)
            except CALLER_ERRORS:
                raise
            except Exception as exc:
                self.logger.error("unexpected internal error", exc_info=exc)
                await self.abort_and_raise(exc)
            await self.complete_send(self.protocol.close_expected())

        if failure is not None:
            raise failure

    async def choose_response(
        self,
        request: Request,
        process_request: _RequestHook | None,
        process_response: _ResponseHook | None,
        server_header: str | None,
    ) -> Response:
        """Pick the answer to ``request``, asking the hooks when there are any."""
        response = None
        if process_request is not None:
            response = await self.run_hook("process_request", process_request, request)
        if response is None:
            response = self.protocol.accept(request)
        if server_header:
            response.headers["Server"] = server_header
        if process_response is not None:
            replacement = await self.run_hook(
                "process_response", process_response, request, response
            )
            if replacement is not None:
                response = replacement
        return response

    async def run_hook(
        self, name: str, hook: _RequestHook | _ResponseHook, *args: Any
    ) -> Response | None:
        """
        Call the hook called ``name``, awaiting its result if it's a
        coroutine. An error in the hook is logged with its traceback and
        becomes a 500 response.

        """
        try:
            response = hook(self, *args)
            if isinstance(response, Awaitable):
                response = await response
        except Exception as exc:
            self.logger.error("%s failed", name, exc_info=True)
            return self.protocol.reject_internal_error(exc)
        return response

    def process_event(self, event: Event) -> None:
        """Take the first event as the request; pass frames to the connection."""
        if self.request is not None:
            super().process_event(event)
            return
        assert isinstance(event, Request)
        self.request = event
        waiter = self.request_rcvd
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

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

    def forget_handler(self, task: asyncio.Task[None]) -> None:
        """Let the server forget the task of the handler once it's done."""
        # A bound method, not a closure: each idle connection keeps it, and
        # it takes a fifth of the memory.
        del self.server.handler_tasks[self]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.server.start_handler(self)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # The client left without a request: handshake() has nothing to wait for.
        waiter = self.request_rcvd
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self.logger.info("connection closed")


class Server:
    """
    WebSocket server, with the interface of :class:`asyncio.Server`.

    :func:`serve` builds it. It starts listening when it's awaited or entered
    with ``async with``, and keeps track of connections so that :meth:`close`
    can end them.

    Args:
        create_server: Coroutine function that opens the listening
            :class:`asyncio.Server`.
        handler: Coroutine function that runs one connection, from the opening
            handshake to the closing one.
        logger: Logger; ``logging.getLogger("websockets.server")`` by default.

    """

    def __init__(
        self,
        create_server: _ServerOpener,
        handler: _ConnectionRunner,
        logger: LoggerLike | None = None,
    ) -> None:
        self.logger = (
            logging.getLogger("websockets.server") if logger is None else logger
        )
        self.create_server = create_server
        self.handler = handler
        # The task running handler() for each connection, until it returns.
        self.handler_tasks: dict[ServerConnection, asyncio.Task[None]] = {}
        self.all_connections = self.handler_tasks
        self.server: asyncio.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.close_task: asyncio.Task[None] | None = None
        # Done when the server is closed and every handler returned.
        self.handlers_waiter: asyncio.Future[None] | None = None

    @property
    def connections(self) -> set[ServerConnection]:
        """Connections that are open: handshake done, closing not started."""
        return {
            connection
            for connection in self.handler_tasks
            if connection.protocol.state is OPEN
        }

    def start_handler(self, connection: ServerConnection) -> None:
        """Run :attr:`handler` for a new connection, in a task of its own."""
        task = self.get_loop().create_task(self.handler(connection))
        self.handler_tasks[connection] = task
        task.add_done_callback(connection.forget_handler)

    def close_connections(
        self, code: _CloseCodeLike, reason: str
    ) -> list[asyncio.Task[None]]:
        """
        Start closing every open connection with ``code`` and ``reason``;
        return what to wait for. Connections in their opening handshake are
        left to it: it answers 503 now that the server is shutting down, or
        gives up after ``open_timeout``.

        """
        return [
            asyncio.create_task(connection.close(code, reason))
            for connection in self.handler_tasks
            if connection.protocol.state is not CONNECTING
        ]

    async def start(self) -> Self:
        """Open the listening sockets, unless it's done already."""
        if self.server is None:
            self.loop = asyncio.get_running_loop()
            self.handlers_waiter = self.loop.create_future()
            self.server = await self.create_server()
            _log_listening(self.logger, self.server.sockets)
        return self

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """Event loop of the server, as :meth:`asyncio.Server.get_loop`."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        return self.loop

    def is_serving(self) -> bool:
        """Whether the server accepts connections, as :meth:`asyncio.Server.is_serving`."""
        return self.server is not None and self.server.is_serving()

    async def start_serving(self) -> None:
        """
        Start accepting connections, as :meth:`asyncio.Server.start_serving`,
        when :func:`serve` received ``start_serving=False``.

        """
        await self.start()
        assert self.server is not None
        await self.server.start_serving()

    async def serve_forever(self) -> None:
        """
        Accept connections until the task is cancelled, then close the
        server, as :meth:`asyncio.Server.serve_forever`.

        """
        await self.start_serving()
        try:
            await self.wait_closed()
        except asyncio.CancelledError:
            self.close()
            await self.wait_closed()
            raise

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """Listening sockets, as :attr:`asyncio.Server.sockets`."""
        assert self.server is not None, "the server isn't started"
        return tuple(self.server.sockets)

    def close(
        self,
        close_connections: bool = True,
        code: _CloseCodeLike = CloseCode.GOING_AWAY,
        reason: str = "",
    ) -> None:
        """
        Shut the server down in the background; :meth:`wait_closed` waits for
        the end.

        The server stops listening. Handshakes in progress are refused with
        503 (service unavailable). With ``close_connections``, the default,
        open connections are closed with ``code`` and ``reason``, 1001 (going
        away) by default. Then the shutdown waits for every handler to
        return. Further calls do nothing.

        """
        if self.close_task is None:
            self.close_task = self.get_loop().create_task(
                self.shut_down(close_connections, code, reason)
            )

    async def shut_down(
        self, close_connections: bool, code: _CloseCodeLike, reason: str
    ) -> None:
        """Run the shutdown that :meth:`close` started."""
        assert self.server is not None and self.handlers_waiter is not None
        self.logger.info("server closing")
        self.server.close()
        # Connections accepted right before must reach their handler, where
        # the handshake sees that the server doesn't serve anymore.
        await asyncio.sleep(0)
        if close_connections:
            closing = self.close_connections(code, reason)
            if closing:
                await asyncio.wait(closing)
        # Until none is left: a connection accepted right before the shutdown
        # may start its handler while others finish.
        while running := [
            task for task in self.handler_tasks.values() if not task.done()
        ]:
            await asyncio.wait(running)
        self.handlers_waiter.set_result(None)
        self.logger.info("server closed")

    async def wait_closed(self) -> None:
        """
        Wait until the server is closed and every handler returned.

        A handler waiting on its connection returns once the connection
        closes; one busy with something else holds the shutdown up.

        """
        if self.handlers_waiter is None:
            await self.start()
        assert self.handlers_waiter is not None
        await asyncio.shield(self.handlers_waiter)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        """Close the server and wait until it's closed."""
        self.close()
        await self.wait_closed()

    def __await__(self) -> Generator[Any, None, Self]:
        return self.start().__await__()


def serve(
    handler: _Handler,
    host: str | None = None,
    port: int | None = None,
    *,
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
    write_limit: _WriteLimit = 2**15,
    logger: LoggerLike | None = None,
    create_connection: type[ServerConnection] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on ``host`` and ``port``.

    Each connection runs the opening handshake, then ``handler``, then the
    closing handshake: with code 1000 when the handler returns, 1011 when it
    raises, after logging the exception::

        async def echo(websocket):
            async for message in websocket:
                await websocket.send(message)

        async with serve(echo, "localhost", 8765) as server:
            await server.serve_forever()

    Args:
        handler: Coroutine function that receives each
            :class:`ServerConnection`.
        host: Network interfaces to listen on, as for
            :meth:`~asyncio.loop.create_server`.
        port: TCP port to listen on.
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
        process_request: Function or coroutine function called with the
            connection and the request. When it returns a
            :class:`~ws_http.http11.Response`, the server sends it instead of
            opening the WebSocket connection, for health checks or
            authentication for instance; :obj:`None` lets the handshake go on.
        process_response: Function or coroutine function called with the
            connection, the request and the response before the response is
            sent. It may change the response or return another one.
        server_header: Value of the ``Server`` header; :obj:`None` or ``""``
            leaves it out.
        open_timeout: Seconds for the TLS handshake, then for the WebSocket
            opening handshake; :obj:`None` for no limit on the latter.
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
        write_limit: Bytes in the write buffer above which :meth:`send`
            waits, or a ``(high, low)`` pair of water marks.
        logger: Logger; ``logging.getLogger("websockets.server")`` by default.
        create_connection: Subclass of :class:`ServerConnection` to use.

    Other keyword arguments go to :meth:`~asyncio.loop.create_server`:
    ``ssl`` with an :class:`~ssl.SSLContext` for TLS, ``sock`` to listen on a
    socket that's already bound, ``start_serving=False`` to start later with
    :meth:`Server.start_serving`, and so on.

    """
    if compression is not None:
        if compression != "deflate":
            raise ValueError(f"unsupported compression: {compression}")
        extensions = enable_server_permessage_deflate(extensions)
    if subprotocols is not None:
        validate_subprotocols(subprotocols)
    connection_class = (
        ServerConnection if create_connection is None else create_connection
    )
    if logger is None:
        logger = logging.getLogger("websockets.server")
    # The same keyword arguments for every connection.
    connection_kwargs = _ConnectionOptions(
        ping_interval, ping_timeout, close_timeout, max_queue, write_limit
    )._asdict()
    unix: bool = kwargs.pop("unix", False)
    if kwargs.get("ssl") is not None and open_timeout is not None:
        kwargs.setdefault("ssl_handshake_timeout", open_timeout)

    def make_connection() -> ServerConnection:
        """Create the connection of a client that the server just accepted."""
        protocol = ServerProtocol(
            origins=origins,
            extensions=extensions,
            subprotocols=subprotocols,
            select_subprotocol=_pass_connection(select_subprotocol, lambda: connection),
            max_size=max_size,
            logger=logger,
        )
        connection = connection_class(protocol, server, **connection_kwargs)
        return connection

    async def run_connection(connection: ServerConnection) -> None:
        """Take a connection through both handshakes and the handler between them."""
        try:
            async with asyncio_timeout(open_timeout):
                await connection.handshake(
                    process_request, process_response, server_header
                )
        except asyncio.CancelledError:
            connection.transport.abort()
            raise
        except Exception as exc:
            _log_failed_handshake(connection, exc, open_timeout)
            connection.transport.abort()
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
            await handler(connection)
        except Exception:
            connection.logger.error("connection handler failed", exc_info=True)
            code = CloseCode.INTERNAL_ERROR
        # Usually the client closed the connection, which ended the handler:
        # closing it again would only raise and catch ConnectionClosed.
        if not connection.connection_lost_waiter.done():
            await connection.close(code)

    async def create_server() -> asyncio.Server:
        loop = asyncio.get_running_loop()

        def protocol_factory() -> BufferedReader:
            return BufferedReader(make_connection())

        if unix:
            return await loop.create_unix_server(protocol_factory, **kwargs)
        return await loop.create_server(protocol_factory, host, port, **kwargs)

    server = Server(create_server, run_connection, logger)
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
        handler: Coroutine function that receives each
            :class:`ServerConnection`.
        path: File system path of the socket.

    """
    return serve(handler, unix=True, path=path, **kwargs)


def basic_auth(
    realm: str = "",
    credentials: tuple[str, str] | Iterable[tuple[str, str]] | None = None,
    check_credentials: Callable[[str, str], Awaitable[bool] | bool] | None = None,
) -> Callable[[ServerConnection, Request], Awaitable[Response | None]]:
    """
    Build a ``process_request`` hook that requires HTTP Basic Authentication
    (:rfc:`7617`)::

        async with serve(
            handler, "localhost", 8765,
            process_request=basic_auth("chat", credentials=("alice", "secret")),
        ):
            ...

    A client without valid credentials gets a 401 response that asks for
    them. Once they're accepted, :attr:`ServerConnection.username` holds the
    username.

    Args:
        realm: Name of the protected space, shown by browsers; stick to ASCII,
            since other characters have no agreed encoding.
        credentials: A ``(username, password)`` pair or an iterable of them;
            passwords are compared in constant time.
        check_credentials: Function or coroutine function that receives a
            username and a password and tells whether they're valid.

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

    async def process_request(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        found = read_basic_credentials(request.headers)
        if isinstance(found, str):
            return _ask_credentials(connection, realm, found)
        username, password = found
        valid = check(username, password)
        if isinstance(valid, Awaitable):
            valid = await valid
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


def _log_failed_handshake(
    connection: ServerConnection, exc: Exception, open_timeout: float | None
) -> None:
    """
    Log why the opening handshake of ``connection`` failed: on one line when
    the client made it fail, with a traceback when the server did.

    """
    recorded = connection.protocol.handshake_exc
    if isinstance(exc, TimeoutError):
        if connection.response is not None:
            # The response went out; the client stayed connected after it.
            return
        if isinstance(recorded, InvalidHandshake):
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

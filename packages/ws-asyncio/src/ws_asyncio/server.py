"""
The asyncio WebSocket server: :func:`serve`, :class:`Server`,
:class:`ServerConnection`, :func:`broadcast` and :func:`basic_auth`.

"""

from __future__ import annotations

import asyncio
import functools
import http
import logging
import re
import socket
import sys
from collections.abc import (
    Awaitable,
    Coroutine,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable

from ws_deflate.permessage_deflate import enable_server_permessage_deflate
from ws_frames.exceptions import ConcurrencyError
from ws_frames.extensions import ServerExtensionFactory
from ws_frames.frames import CloseCode
from ws_frames.protocol import CONNECTING, OPEN, Event
from ws_frames.typing import DataLike, LoggerLike, Origin, StatusLike, Subprotocol
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

from .compatibility import asyncio_timeout
from .connection import BufferedReader, Connection


if TYPE_CHECKING:
    # Only for annotations, which aren't evaluated at run time.
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self


__all__ = [
    "broadcast",
    "serve",
    "unix_serve",
    "ServerConnection",
    "Server",
    "basic_auth",
]


class ServerConnection(Connection):
    """
    Server side of a WebSocket connection, with the opening handshake.

    The server creates one per client and passes it to the handler, which
    uses the methods of :class:`~ws_asyncio.connection.Connection`:
    :meth:`recv`, :meth:`send`, ``async for message in websocket``,
    :meth:`ping`, :meth:`close`.

    Args:
        protocol: Sans-I/O server protocol.
        server: The :class:`Server` that accepted the connection.

    The keyword arguments are described in :func:`serve`.

    """

    def __init__(
        self,
        protocol: ServerProtocol,
        server: Server,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None | tuple[int | None, int | None] = 16,
        write_limit: int | tuple[int, int | None] = 2**15,
    ) -> None:
        self.protocol: ServerProtocol
        super().__init__(
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            write_limit=write_limit,
        )
        self.server = server
        self.request_rcvd: asyncio.Future[None] = self.loop.create_future()
        self.username: str
        """
        Username of the client, set by :func:`basic_auth` on success.

        """
        self.handler: Callable[..., Awaitable[None]]
        """Handler chosen by a :class:`~ws_asyncio.router.Router`."""
        self.handler_kwargs: Mapping[str, Any]
        """Keyword arguments for :attr:`handler`, from the URL."""

    def respond(self, status: StatusLike, text: str) -> Response:
        """
        Build a plain text HTTP response, for ``process_request`` or
        ``process_response`` to return instead of the WebSocket handshake.

        Its headers can be changed before returning it.

        Args:
            status: HTTP status code.
            text: Body, encoded to UTF-8.

        """
        return self.protocol.reject(status, text)

    async def handshake(
        self,
        process_request: (
            Callable[
                [ServerConnection, Request],
                Awaitable[Response | None] | Response | None,
            ]
            | None
        ) = None,
        process_response: (
            Callable[
                [ServerConnection, Request, Response],
                Awaitable[Response | None] | Response | None,
            ]
            | None
        ) = None,
        server_header: str | None = SERVER,
    ) -> None:
        """
        Run the opening handshake (:rfc:`6455#section-4.2`).

        Wait for the request, let ``process_request`` answer it instead, accept
        it (or answer 503 once the server is shutting down), let
        ``process_response`` change or replace the response, and send it.

        Raises:
            InvalidHandshake: If the request is invalid or never came, or if a
                hook raised; not when a hook answered on purpose.

        """
        await asyncio.wait(
            [self.request_rcvd, self.connection_lost_waiter],
            return_when=asyncio.FIRST_COMPLETED,
        )

        if self.request is not None:
            async with self.send_context(expected_state=CONNECTING):
                response = None

                if process_request is not None:
                    try:
                        response = process_request(self, self.request)
                        if isinstance(response, Awaitable):
                            response = await response
                    except Exception as exc:
                        response = self.protocol.reject_internal_error(exc)

                if response is None:
                    if self.server.is_serving():
                        self.response = self.protocol.accept(self.request)
                    else:
                        self.response = self.protocol.reject(
                            http.HTTPStatus.SERVICE_UNAVAILABLE,
                            "Server is shutting down.\n",
                        )
                else:
                    assert isinstance(response, Response)  # help mypy
                    self.response = response

                if server_header:
                    self.response.headers["Server"] = server_header

                response = None

                if process_response is not None:
                    try:
                        response = process_response(self, self.request, self.response)
                        if isinstance(response, Awaitable):
                            response = await response
                    except Exception as exc:
                        response = self.protocol.reject_internal_error(exc)

                if response is not None:
                    assert isinstance(response, Response)  # help mypy
                    self.response = response

                # A handshake that failed, as opposed to one that a hook or a
                # shutdown answered on purpose, has its exception by now.
                handshake_exc = self.protocol.handshake_exc
                self.protocol.send_response(self.response)

                # Frames that the client sent right after its request, without
                # waiting for the response, are parsed once the state is OPEN.
                for event in self.protocol.events_received():
                    self.process_event(event)

        else:
            # The request never came or couldn't be parsed.
            handshake_exc = self.protocol.handshake_exc

        # Raise when the handshake failed: bad request, hook error, lost
        # connection. A response that a hook chose, such as a 401 or a health
        # check, isn't a failure, even though the connection isn't open.
        if handshake_exc is not None:
            raise handshake_exc

    def process_event(self, event: Event) -> None:
        """Process one incoming event: the request, then frames."""
        if self.request is None:
            assert isinstance(event, Request)
            self.request = event
            self.request_rcvd.set_result(None)
        else:
            super().process_event(event)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.server.start_connection_handler(self)


class Server:
    """
    WebSocket server, returned by :func:`serve`.

    Use it as an async context manager, or await it to start listening. It
    mirrors :class:`asyncio.Server` and keeps track of connections to close
    them on shutdown.

    Args:
        create_server: Coroutine function creating the listening
            :class:`asyncio.Server`.
        handler: Coroutine function run for each connection: opening handshake,
            application handler, closing handshake.
        logger: Logger; defaults to ``logging.getLogger("websockets.server")``.

    """

    def __init__(
        self,
        create_server: Callable[[], Coroutine[Any, Any, asyncio.Server]],
        handler: Callable[[ServerConnection], Coroutine[Any, Any, None]],
        logger: LoggerLike | None = None,
    ) -> None:
        self.create_server = create_server
        self.handler = handler
        if logger is None:
            logger = logging.getLogger("websockets.server")
        self.logger = logger

        self.handler_tasks: dict[ServerConnection, asyncio.Task[None]] = {}
        self.all_connections = self.handler_tasks  # read-only view for users

        self.close_task: asyncio.Task[None] | None = None

        # Done once the server is closed and every handler returned.
        self.handlers_waiter: asyncio.Future[None] | None = None

        self.server: asyncio.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def connections(self) -> set[ServerConnection]:
        """
        Open connections: handshake done, closing handshake not started; for
        :func:`broadcast`, for instance.

        """
        return {
            connection
            for connection in self.handler_tasks
            if connection.protocol.state is OPEN
        }

    def start_connection_handler(self, connection: ServerConnection) -> None:
        """Run the connection handler of a new connection in a task."""
        loop = self.get_loop()
        task = loop.create_task(self.handler(connection))
        self.handler_tasks[connection] = task
        task.add_done_callback(functools.partial(self.forget, connection))

    def forget(self, connection: ServerConnection, task: asyncio.Task[None]) -> None:
        del self.handler_tasks[connection]

    async def start(self) -> Self:
        """Create the listening sockets; :func:`serve` awaits this."""
        if self.server is None:
            self.loop = asyncio.get_running_loop()
            self.handlers_waiter = self.loop.create_future()
            self.server = await self.create_server()
            if self.logger.isEnabledFor(logging.INFO):
                for sock in self.server.sockets:
                    if sock.family == socket.AF_UNIX:
                        self.logger.info("server listening on %s", sock.getsockname())
                    elif sock.family == socket.AF_INET6:
                        host, port = sock.getsockname()[:2]
                        self.logger.info("server listening on [%s]:%d", host, port)
                    else:
                        host, port = sock.getsockname()
                        self.logger.info("server listening on %s:%d", host, port)
        return self

    def close(
        self,
        close_connections: bool = True,
        code: CloseCode | int = CloseCode.GOING_AWAY,
        reason: str = "",
    ) -> None:
        """
        Shut the server down; :meth:`wait_closed` waits until it's done.

        * Stop listening.
        * When ``close_connections`` is :obj:`True`, the default, close open
          connections with ``code`` and ``reason``, 1001 (going away) by default;
          abort connections whose opening handshake request hasn't arrived;
          handshakes still in progress are answered with 503 (service
          unavailable).
        * Wait for every connection handler to return.

        Calling :meth:`close` again does nothing.

        """
        if self.close_task is None:
            self.close_task = self.get_loop().create_task(
                self._close(close_connections, code, reason)
            )

    async def _close(
        self,
        close_connections: bool,
        code: CloseCode | int,
        reason: str,
    ) -> None:
        self.logger.info("server closing")
        assert self.server is not None and self.handlers_waiter is not None

        self.server.close()

        # Let connections accepted just before close() reach their handler,
        # where is_serving() is now False, so that they are answered 503.
        await asyncio.sleep(0)

        if close_connections:
            # Abort connections whose request hasn't arrived rather than wait
            # for it up to open_timeout; those with a request are answered 503.
            for connection in self.handler_tasks:
                if (
                    connection.protocol.state is CONNECTING
                    and connection.request is None
                ):
                    connection.transport.abort()
            close_tasks = [
                asyncio.create_task(connection.close(code, reason))
                for connection in self.handler_tasks
                if connection.protocol.state is not CONNECTING
            ]
            if close_tasks:
                await asyncio.wait(close_tasks)

        if self.handler_tasks:
            await asyncio.wait(list(self.handler_tasks.values()))

        self.handlers_waiter.set_result(None)

        self.logger.info("server closed")

    async def wait_closed(self) -> None:
        """
        Wait until the server is closed and every connection handler returned.

        Handlers return promptly when they're waiting in :meth:`recv` or
        :meth:`wait_closed` as their connection closes; a handler busy with
        something else delays the end of the shutdown.

        """
        if self.handlers_waiter is None:
            await self.start()
        assert self.handlers_waiter is not None
        await asyncio.shield(self.handlers_waiter)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """
        Event loop of the server, as :meth:`asyncio.Server.get_loop`.

        """
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        return self.loop

    def is_serving(self) -> bool:
        """
        Whether the server accepts connections, as :meth:`asyncio.Server.is_serving`.

        """
        return self.server is not None and self.server.is_serving()

    async def start_serving(self) -> None:
        """
        Start accepting connections, for a server created with
        ``start_serving=False``, as :meth:`asyncio.Server.start_serving`.

        """
        await self.start()
        assert self.server is not None
        await self.server.start_serving()

    async def serve_forever(self) -> None:
        """
        Accept connections until cancelled, then shut the server down, as
        :meth:`asyncio.Server.serve_forever`::

            server = await serve(handler, "", 8765)
            await server.serve_forever()

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
        """
        Listening sockets, as :attr:`asyncio.Server.sockets`.

        """
        assert self.server is not None, "server isn't started"
        return tuple(self.server.sockets)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
        await self.wait_closed()

    def __await__(self) -> Generator[Any, None, Self]:
        return self.start().__await__()


def serve(
    handler: Callable[[ServerConnection], Awaitable[None]],
    host: str | None = None,
    port: int | None = None,
    *,
    origins: Sequence[Origin | re.Pattern[str] | None] | None = None,
    extensions: Sequence[ServerExtensionFactory] | None = None,
    subprotocols: Sequence[Subprotocol] | None = None,
    select_subprotocol: (
        Callable[
            [ServerConnection, Sequence[Subprotocol]],
            Subprotocol | None,
        ]
        | None
    ) = None,
    compression: str | None = "deflate",
    process_request: (
        Callable[
            [ServerConnection, Request],
            Awaitable[Response | None] | Response | None,
        ]
        | None
    ) = None,
    process_response: (
        Callable[
            [ServerConnection, Request, Response],
            Awaitable[Response | None] | Response | None,
        ]
        | None
    ) = None,
    server_header: str | None = SERVER,
    open_timeout: float | None = 10,
    ping_interval: float | None = 20,
    ping_timeout: float | None = 20,
    close_timeout: float | None = 10,
    max_size: int | None | tuple[int | None, int | None] = 2**20,
    max_queue: int | None | tuple[int | None, int | None] = 16,
    write_limit: int | tuple[int, int | None] = 2**15,
    logger: LoggerLike | None = None,
    create_connection: type[ServerConnection] | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on ``host`` and ``port``.

    For each connection, the server runs the opening handshake, then
    ``handler`` with the :class:`ServerConnection`, then the closing handshake
    with code 1000 when the handler returns, or 1011 when it raises (the
    exception is logged)::

        async def echo(websocket):
            async for message in websocket:
                await websocket.send(message)

        async with serve(echo, "localhost", 8765) as server:
            await server.serve_forever()

    Args:
        handler: Coroutine function run for each connection.
        host: Interfaces to listen on, as in :meth:`~asyncio.loop.create_server`.
        port: TCP port to listen on.
        origins: Acceptable ``Origin`` headers, against cross-site WebSocket
            hijacking: strings match exactly, compiled regular expressions
            match the whole value, :obj:`None` accepts requests without one.
        extensions: Extensions supported, in order of preference.
        subprotocols: Subprotocols supported, in order of preference.
        select_subprotocol: Chooses the subprotocol, given the
            :class:`ServerConnection` and the client's offer; it returns the
            choice or :obj:`None`.
        compression: ``"deflate"`` (the default) accepts permessage-deflate;
            :obj:`None` disables compression.
        process_request: Called with the connection and the request before
            the handshake, as a function or a coroutine. Returning a
            :class:`~ws_http.http11.Response` sends it instead of going on,
            for health checks or authentication; returning :obj:`None`
            goes on.
        process_response: Called with the connection, the request and the
            response before it's sent. It may change the response in place or
            return another one.
        server_header: ``Server`` header; :obj:`None` or ``""`` omits it.
        open_timeout: Time-out for the opening handshake, in seconds;
            :obj:`None` disables it.
        ping_interval: Interval between keepalive pings, in seconds;
            :obj:`None` disables keepalive.
        ping_timeout: Time-out for keepalive pongs, in seconds; when it
            elapses, the connection fails with code 1011. :obj:`None`
            disables it.
        close_timeout: Time-out for the closing handshake, in seconds;
            :obj:`None` disables it.
        max_size: Largest message accepted, in bytes, or a ``(message,
            fragment)`` pair of limits; :obj:`None` disables the limit.
        max_queue: How many incoming frames may wait for :meth:`recv` before
            reading from the network stops, or a ``(high, low)`` pair of marks;
            :obj:`None` disables flow control.
        write_limit: High-water mark of the write buffer in bytes, or a
            ``(high, low)`` pair; above it, :meth:`send` waits.
        logger: Logger; defaults to ``logging.getLogger("websockets.server")``.
        create_connection: :class:`ServerConnection` subclass to use.

    Other keyword arguments go to :meth:`~asyncio.loop.create_server`:
    ``ssl`` (a :class:`~ssl.SSLContext`) for TLS, ``sock`` for a socket
    that's already bound, ``start_serving=False`` to start later with
    :meth:`Server.start_serving`, and so on.

    """
    if subprotocols is not None:
        validate_subprotocols(subprotocols)

    if compression == "deflate":
        extensions = enable_server_permessage_deflate(extensions)
    elif compression is not None:
        raise ValueError(f"unsupported compression: {compression}")

    if create_connection is None:
        create_connection = ServerConnection

    if logger is None:
        logger = logging.getLogger("websockets.server")

    async def conn_handler(connection: ServerConnection) -> None:
        try:
            async with asyncio_timeout(open_timeout):
                try:
                    await connection.handshake(
                        process_request,
                        process_response,
                        server_header,
                    )
                except asyncio.CancelledError:
                    connection.transport.abort()
                    raise
                except Exception:
                    connection.logger.error("opening handshake failed", exc_info=True)
                    connection.transport.abort()
                    return
        except TimeoutError:
            connection.logger.error(
                "opening handshake timed out after %s seconds", open_timeout
            )
            connection.transport.abort()
            return

        # Not the state: frames sent right behind the request may already
        # have moved an accepted connection on to CLOSING or CLOSED.
        if connection.response is None or connection.response.status_code != 101:
            # A hook answered with an HTTP response; it's sent, and the TCP
            # connection was closed after it, within close_timeout.
            return

        try:
            connection.start_keepalive()
            await handler(connection)
        except Exception:
            connection.logger.error("connection handler failed", exc_info=True)
            await connection.close(CloseCode.INTERNAL_ERROR)
        else:
            await connection.close()

    # The factory needs the server and the server needs the factory:
    # the name is bound below, before the factory runs.
    server: Server

    def factory() -> ServerConnection:
        """
        Create an asyncio protocol for managing a WebSocket connection.

        """
        # The protocol calls select_subprotocol with itself; the user's
        # function expects the connection.
        protocol_select_subprotocol: (
            Callable[
                [ServerProtocol, Sequence[Subprotocol]],
                Subprotocol | None,
            ]
            | None
        ) = None
        if select_subprotocol is not None:

            def protocol_select_subprotocol(
                protocol: ServerProtocol,
                subprotocols: Sequence[Subprotocol],
            ) -> Subprotocol | None:
                assert select_subprotocol is not None  # help mypy
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
        connection = create_connection(
            protocol,
            server,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            write_limit=write_limit,
        )
        return connection

    async def create_server() -> asyncio.Server:
        loop = asyncio.get_running_loop()

        def reader_factory() -> BufferedReader:
            return BufferedReader(factory())

        if kwargs.pop("unix", False):
            return await loop.create_unix_server(reader_factory, **kwargs)
        return await loop.create_server(reader_factory, host, port, **kwargs)

    server = Server(create_server, conn_handler, logger)
    return server


def unix_serve(
    handler: Callable[[ServerConnection], Awaitable[None]],
    path: str | None = None,
    **kwargs: Any,
) -> Server:
    """
    Serve WebSocket connections on a Unix socket, for instance behind a
    reverse proxy.

    It takes the arguments of :func:`serve`, with ``path`` instead of
    ``host`` and ``port``.

    Args:
        handler: Coroutine function run for each connection.
        path: Path of the Unix socket.

    """
    return serve(handler, unix=True, path=path, **kwargs)


def basic_auth(
    realm: str = "",
    credentials: tuple[str, str] | Iterable[tuple[str, str]] | None = None,
    check_credentials: Callable[[str, str], Awaitable[bool] | bool] | None = None,
) -> Callable[[ServerConnection, Request], Awaitable[Response | None]]:
    """
    Build a ``process_request`` hook for HTTP Basic Authentication
    (:rfc:`7617`)::

        async with serve(
            handler, "", 8765,
            process_request=basic_auth(realm="chat", credentials=("me", "secret")),
        ):
            ...

    Clients without valid credentials get a 401 response with a
    ``WWW-Authenticate`` challenge. On success, the username is set on the
    connection's ``username`` attribute. Passwords are compared in constant
    time.

    Give either ``credentials`` or ``check_credentials``.

    Args:
        realm: Protection space, sent in the challenge; ASCII is safest
            (:rfc:`7235#section-2.2`).
        credentials: A ``(username, password)`` pair, or several.
        check_credentials: Function or coroutine that receives the username
            and password and says whether they're valid.

    Raises:
        TypeError: If ``credentials`` isn't a pair of strings or an iterable
            of such pairs.
        ValueError: If both or neither of ``credentials`` and
            ``check_credentials`` are given.

    """
    if (credentials is None) == (check_credentials is None):
        raise ValueError("provide either credentials or check_credentials")

    if credentials is not None:
        check_credentials = credentials_checker(credentials)

    assert check_credentials is not None  # help mypy
    checker = check_credentials

    async def process_request(
        connection: ServerConnection,
        request: Request,
    ) -> Response | None:
        """
        Check the ``Authorization`` header; answer 401 unless it's valid.

        """

        def unauthorized(text: str) -> Response:
            response = connection.respond(http.HTTPStatus.UNAUTHORIZED, text)
            response.headers["WWW-Authenticate"] = build_www_authenticate_basic(realm)
            return response

        credentials = read_basic_credentials(request.headers)
        if isinstance(credentials, str):
            return unauthorized(credentials)
        username, password = credentials

        valid_credentials = checker(username, password)
        if isinstance(valid_credentials, Awaitable):
            valid_credentials = await valid_credentials

        if not valid_credentials:
            return unauthorized(INVALID_CREDENTIALS)

        connection.username = username
        return None

    return process_request


def broadcast(
    connections: Iterable[Connection],
    message: DataLike,
    *,
    text: bool | None = None,
    raise_exceptions: bool = False,
) -> None:
    """
    Send a message to many connections at once, without waiting.

    The message is framed (and compressed) for each connection and written
    to its transport right away: :func:`broadcast` never waits for a slow
    client, whose write buffer simply grows. Connections that aren't open
    are skipped, and so are those in the middle of sending a fragmented
    message.

    Failures to write are logged and don't stop the broadcast; with
    ``raise_exceptions=True`` (Python 3.11+), they're raised together in an
    :exc:`ExceptionGroup` at the end.

    Args:
        connections: Connections to send to, server or client ones.
        message: :class:`str` for a text frame, bytes-like for a binary frame.
        text: Force a text (:obj:`True`) or binary (:obj:`False`) frame.
        raise_exceptions: Raise failures instead of logging them.

    Raises:
        TypeError: If ``message`` isn't a string or bytes-like.

    """
    if isinstance(message, str):
        send_method = "send_binary" if text is False else "send_text"
        message = message.encode()
    elif isinstance(message, (bytes, bytearray, memoryview)):
        send_method = "send_text" if text is True else "send_binary"
    else:
        raise TypeError("data must be str or bytes")

    if raise_exceptions:
        if sys.version_info[:2] < (3, 11):  # pragma: no cover
            raise ValueError("raise_exceptions requires at least Python 3.11")
        exceptions: list[Exception] = []

    for connection in connections:
        exception: Exception

        if connection.protocol.state is not OPEN:
            continue

        if connection.send_in_progress is not None:
            if raise_exceptions:
                exception = ConcurrencyError("sending a fragmented message")
                exceptions.append(exception)
            else:
                connection.logger.warning(
                    "skipped broadcast: sending a fragmented message",
                )
            continue

        try:
            getattr(connection.protocol, send_method)(message)
            connection.send_data()
        except Exception as write_exception:
            if raise_exceptions:
                exception = RuntimeError("failed to write message")
                exception.__cause__ = write_exception
                exceptions.append(exception)
            else:
                connection.logger.warning(
                    "skipped broadcast: failed to write message: %s",
                    f"{type(write_exception).__name__}: {write_exception}",
                )

    if raise_exceptions and exceptions:
        raise ExceptionGroup("skipped broadcast", exceptions)  # noqa: F821

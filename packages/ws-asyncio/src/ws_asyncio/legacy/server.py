"""
The server of the legacy API: :func:`serve`, :func:`unix_serve`,
:class:`WebSocketServer` and :class:`WebSocketServerProtocol`.

"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import inspect
import logging
import socket
import warnings
from collections.abc import Awaitable, Generator, Iterable, Sequence
from typing import Any, Callable, Union, cast

from ws_deflate.permessage_deflate import enable_server_permessage_deflate
from ws_frames.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidMessage,
    InvalidOrigin,
    InvalidUpgrade,
)
from ws_frames.extensions import Extension, ServerExtensionFactory
from ws_frames.frames import CloseCode
from ws_frames.protocol import State
from ws_frames.typing import LoggerLike, Origin, StatusLike, Subprotocol
from ws_frames.utils import get_socket_name
from ws_http.datastructures import Headers, HeadersLike, MultipleValuesError
from ws_http.handshake import negotiate_server_extensions
from ws_http.headers import parse_subprotocol, validate_subprotocols
from ws_http.http11 import SERVER, Response
from ws_http.server import http_date

from ..compatibility import asyncio_timeout
from .arguments import deprecated_arguments, with_compression
from .exceptions import AbortHandshake
from .handshake import build_response, check_request
from .http import request_parser
from .protocol import Limit, Seconds, WebSocketCommonProtocol, broadcast


__all__ = [
    "WebSocketServer",
    "WebSocketServerProtocol",
    "broadcast",
    "serve",
    "unix_serve",
]


HeadersLikeOrCallable = Union[HeadersLike, Callable[[str, Headers], HeadersLike]]
"""Headers, or a function of the request path and headers that returns them."""

HTTPResponse = tuple[StatusLike, HeadersLike, bytes]
"""A response for ``process_request`` to return: status, headers, body."""

Handler = Union[
    Callable[["WebSocketServerProtocol"], Awaitable[Any]],
    # The older form, which also takes the path of the request; deprecated.
    Callable[["WebSocketServerProtocol", str], Awaitable[Any]],
]
"""A connection handler."""

RequestHook = Callable[[str, Headers], Awaitable[Union[HTTPResponse, None]]]
"""The ``process_request`` argument of :func:`serve`."""

SubprotocolHook = Callable[[Sequence[Subprotocol], Sequence[Subprotocol]], Subprotocol]
"""The ``select_subprotocol`` argument of :func:`serve`."""

ProtocolFactory = Callable[..., "WebSocketServerProtocol"]
"""A callable returning a :class:`WebSocketServerProtocol`, such as a subclass."""

Extensions = Sequence[ServerExtensionFactory]
"""Extensions supported, in the order to try them."""

Subprotocols = Sequence[Subprotocol]
"""Subprotocols supported, by order of preference."""

Origins = Sequence[Union[Origin, None]]
"""Acceptable ``Origin`` headers; :obj:`None` for a request without one."""


def _failure_text(exc: BaseException) -> str:
    """Body of a 400 response: the error, then what caused it, and so on."""
    reasons = [str(exc)]
    cause = exc.__cause__
    while cause is not None:
        reasons.append(str(cause))
        cause = cause.__cause__
    return f"Failed to open a WebSocket connection: {'; '.join(reasons)}.\n"


def _rejection(exc: Exception) -> tuple[http.HTTPStatus, Headers, bytes]:
    """The response to a failed opening handshake: status, headers, body."""
    if isinstance(exc, AbortHandshake):
        return exc.status, exc.headers, exc.body
    status = http.HTTPStatus.BAD_REQUEST
    headers = Headers()
    text = f"Failed to open a WebSocket connection: {exc}.\n"
    if isinstance(exc, InvalidOrigin):
        status = http.HTTPStatus.FORBIDDEN
    elif isinstance(exc, InvalidUpgrade):
        # RFC 7231, section 6.5.15: 426 comes with the protocol to upgrade to.
        status = http.HTTPStatus.UPGRADE_REQUIRED
        headers["Upgrade"] = "websocket"
        text += (
            "\nYou cannot access a WebSocket server directly with a browser. "
            "You need a WebSocket client.\n"
        )
    elif isinstance(exc, InvalidHandshake):
        text = _failure_text(exc)
    else:
        status = http.HTTPStatus.INTERNAL_SERVER_ERROR
        text = (
            "Failed to open a WebSocket connection.\n"
            "See server log for more information.\n"
        )
    return status, headers, text.encode()


class WebSocketServerProtocol(WebSocketCommonProtocol):
    """
    A server connection of the legacy API.

    The server creates one per TCP connection; it runs the opening handshake
    and then hands itself to the connection handler, which exchanges
    messages with :meth:`~WebSocketCommonProtocol.recv` and
    :meth:`~WebSocketCommonProtocol.send`, or iterates on the messages
    received with ``async for``. When the handler returns, the connection
    closes.

    Subclasses may change the handshake by overriding
    :meth:`process_request` and :meth:`select_subprotocol`.

    Args:
        ws_handler: The connection handler; a handler that takes the path of
            the request as a second argument is deprecated.
        ws_server: The server that this connection belongs to.

    The other arguments are described with :func:`serve`.

    """

    is_client: bool = False
    side: str = "server"

    def __init__(
        self,
        ws_handler: Handler,
        ws_server: WebSocketServer,
        *,
        logger: LoggerLike | None = None,
        origins: Origins | None = None,
        extensions: Extensions | None = None,
        subprotocols: Subprotocols | None = None,
        extra_headers: HeadersLikeOrCallable | None = None,
        server_header: str | None = SERVER,
        process_request: RequestHook | None = None,
        select_subprotocol: SubprotocolHook | None = None,
        open_timeout: Seconds = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            logger=logging.getLogger("websockets.server") if logger is None else logger,
            **kwargs,
        )
        self.ws_server = ws_server
        self.ws_handler = remove_path_argument(ws_handler)
        self.handler_task: asyncio.Task[None]
        self.open_timeout = open_timeout

        if origins is not None and "" in origins:
            # The empty string used to stand for a request without Origin.
            warnings.warn(
                "use None instead of '' in origins", DeprecationWarning, stacklevel=2
            )
            origins = [origin or None for origin in origins]
        self.origins = origins
        self.origin: Origin | None = None
        """``Origin`` header of the request, if any."""

        self.available_extensions, self.available_subprotocols = (
            extensions,
            subprotocols,
        )
        self._process_request, self._select_subprotocol = (
            process_request,
            select_subprotocol,
        )
        self.extra_headers, self.server_header = extra_headers, server_header

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Join the server and start handling the connection."""
        super().connection_made(transport)
        # Joining now rather than in handler() leaves no moment when the
        # server could shut down without knowing about this connection.
        self.ws_server.register(self)
        self.handler_task = self.loop.create_task(self.handler())

    async def handler(self) -> None:
        """
        Run the opening handshake, the connection handler, and the closing
        handshake.

        There's nobody to raise exceptions to: they're logged, and the TCP
        connection is closed whatever happens.

        """
        try:
            if await self._opened():
                await self._handled()
        except Exception:
            # Whatever went wrong, don't leave the connection open.
            with contextlib.suppress(Exception):
                self.transport.close()
        finally:
            # The server waits for the handlers of the connections it knows.
            self.ws_server.unregister(self)
            self.logger.info("connection closed")

    async def _opened(self) -> bool:
        """Run the opening handshake; tell whether the connection is open."""
        try:
            async with asyncio_timeout(self.open_timeout):
                await self.handshake(
                    origins=self.origins,
                    available_extensions=self.available_extensions,
                    available_subprotocols=self.available_subprotocols,
                    extra_headers=self.extra_headers,
                )
        except (TimeoutError, ConnectionError):
            # Too slow, or gone: there's nobody to answer.
            raise
        except Exception as exc:
            await self._reject(exc)
            return False
        return True

    async def _handled(self) -> None:
        """Run the connection handler, then close the connection."""
        try:
            await self.ws_handler(self)
        except Exception:
            self.logger.error("connection handler failed", exc_info=True)
            if not self.closed:
                self.fail_connection(CloseCode.INTERNAL_ERROR)
            raise
        try:
            await self.close()
        except Exception as exc:
            # A network error is no news; anything else is worth a log.
            if not isinstance(exc, ConnectionError):
                self.logger.error("closing handshake failed", exc_info=True)
            raise

    async def _reject(self, exc: Exception) -> None:
        """Answer a failed opening handshake with an HTTP error, and close."""
        if isinstance(exc, AbortHandshake):
            pass
        elif isinstance(exc, InvalidHandshake):
            if self.debug:
                kind = "handshake"
                if isinstance(exc, InvalidOrigin):
                    kind = "origin"
                elif isinstance(exc, InvalidUpgrade):
                    kind = "upgrade"
                self.logger.debug("! invalid %s", kind, exc_info=exc)
        else:
            self.logger.error("opening handshake failed", exc_info=exc)

        status, headers, body = _rejection(exc)
        _fill(headers, self._default_headers())
        _fill(
            headers,
            [
                ("Content-Length", str(len(body))),
                ("Content-Type", "text/plain"),
                ("Connection", "close"),
            ],
        )

        self.write_http_response(status, headers, body)
        self.logger.info("connection rejected (%d %s)", status.value, status.phrase)
        await self.close_transport()

    async def read_http_request(self) -> tuple[str, Headers]:
        """
        Read the request of the opening handshake.

        Returns:
            Its path and headers.

        Raises:
            InvalidMessage: If it isn't a well-formed HTTP/1.1 GET request.

        """
        try:
            path, headers = await self._read_http(request_parser(self.reader.read_line))
        except Exception as exc:
            raise InvalidMessage("did not receive a valid HTTP request") from exc
        self._log_http("<", f"GET {path} HTTP/1.1", headers)
        self.path, self.request_headers = path, headers
        return path, headers

    def write_http_response(
        self, status: http.HTTPStatus, headers: Headers, body: bytes | None = None
    ) -> None:
        """Send the response of the opening handshake, with ``body`` if any."""
        self.response_headers = headers
        self._log_http(">", f"HTTP/1.1 {status.value} {status.phrase}", headers, body)
        response = Response(status.value, status.phrase, headers, body or b"")
        self.transport.write(response.serialize())

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> HTTPResponse | None:
        """
        Look at the request before the handshake; answer it with a plain HTTP
        response by returning ``(status, headers, body)``.

        Returning :obj:`None` lets the handshake go on. A subclass may
        override this method, for example to answer a health check on some
        path or to refuse requests without the right credentials with a 401
        or 403. The ``process_request`` argument of :func:`serve` does the
        same without access to the connection.

        This runs before the server is done with the connection: if it may
        take long, have it return when :meth:`wait_closed` does, or it may
        delay the server's shutdown.

        Args:
            path: Path of the request, with its query string.
            request_headers: Headers of the request.

        """
        if self._process_request is None:
            return None
        return await _awaited(self._process_request(path, request_headers))

    @staticmethod
    def process_origin(
        headers: Headers, origins: Origins | None = None
    ) -> Origin | None:
        """
        Read the ``Origin`` header and check it against ``origins``, where
        :obj:`None` stands for a request without one.

        Raises:
            InvalidOrigin: If ``origins`` doesn't have it.

        """
        # RFC 6454, section 7.3: one Origin header at most.
        try:
            origin = cast("Origin | None", headers.get("Origin"))
        except MultipleValuesError as exc:
            raise InvalidHeader("Origin", "multiple values") from exc
        if origins is not None and origin not in origins:
            raise InvalidOrigin(origin)
        return origin

    @staticmethod
    def process_extensions(
        headers: Headers, available_extensions: Sequence[ServerExtensionFactory] | None
    ) -> tuple[str | None, list[Extension]]:
        """
        Accept or decline the extensions that the client offers.

        Each offer goes to the available factories of its name, in order,
        until one accepts it; the factory sees the extensions accepted
        before, to enforce rules of its own. The server can only keep a part
        of the offers, in their order. Override this method for other rules.

        Returns:
            The ``Sec-WebSocket-Extensions`` response header, or :obj:`None`,
            and the extensions accepted.

        Raises:
            InvalidHandshake: To refuse the handshake with a 400.

        """
        return negotiate_server_extensions(headers, available_extensions)

    def process_subprotocol(
        self, headers: Headers, available_subprotocols: Sequence[Subprotocol] | None
    ) -> Subprotocol | None:
        """
        Pick the subprotocol of the connection, with :meth:`select_subprotocol`.

        Returns:
            The subprotocol, which is also the ``Sec-WebSocket-Protocol``
            response header, or :obj:`None`.

        Raises:
            InvalidHandshake: To refuse the handshake with a 400.

        """
        values = headers.get_all("Sec-WebSocket-Protocol")
        if not (values and available_subprotocols):
            return None
        offered = [item for value in values for item in parse_subprotocol(value)]
        return self.select_subprotocol(offered, available_subprotocols)

    def select_subprotocol(
        self,
        client_subprotocols: Sequence[Subprotocol],
        server_subprotocols: Sequence[Subprotocol],
    ) -> Subprotocol | None:
        """
        Pick a subprotocol that both sides support.

        By default, it's the one with the best sum of its ranks in the
        preferences of the client and of the server; :obj:`None` when they
        have none in common, and the connection goes on without one. The
        ``select_subprotocol`` argument of :func:`serve` replaces this rule,
        as does overriding this method; either may, for example, refuse
        clients without a given subprotocol.

        Args:
            client_subprotocols: What the client offers.
            server_subprotocols: What the server supports.

        """
        if self._select_subprotocol is not None:
            return self._select_subprotocol(client_subprotocols, server_subprotocols)
        common = [p for p in client_subprotocols if p in server_subprotocols]
        if not common:
            return None
        return min(
            common,
            key=lambda p: client_subprotocols.index(p) + server_subprotocols.index(p),
        )

    async def handshake(
        self,
        origins: Origins | None = None,
        available_extensions: Sequence[ServerExtensionFactory] | None = None,
        available_subprotocols: Sequence[Subprotocol] | None = None,
        extra_headers: HeadersLikeOrCallable | None = None,
    ) -> str:
        """
        Run the server side of the opening handshake, then open the
        connection.

        Args:
            origins: Acceptable ``Origin`` headers; :obj:`None` in the list
                accepts requests without one.
            available_extensions: Extensions supported, in the order to try
                them.
            available_subprotocols: Subprotocols supported, by order of
                preference.
            extra_headers: Other headers for the 101 response, or a function
                of the path and headers of the request returning them.

        Returns:
            The path of the request.

        Raises:
            InvalidHandshake: If the handshake fails.

        """
        path, request_headers = await self.read_http_request()
        answer = await _awaited(self.process_request(path, request_headers))
        if self.closed:
            # The client left during process_request(): handler() ignores
            # this kind of ConnectionError.
            raise BrokenPipeError("connection closed during opening handshake")
        if not self.ws_server.is_serving():
            # Whatever process_request() said, the server is going away.
            answer = (503, [], b"Server is shutting down.\n")
        if answer is not None:
            raise AbortHandshake(*answer)

        offered = request_headers
        key = check_request(offered)
        self.origin = self.process_origin(offered, origins)
        accepted, self.extensions = self.process_extensions(
            offered, available_extensions
        )
        self.subprotocol = self.process_subprotocol(offered, available_subprotocols)

        headers = Headers()
        build_response(headers, key)
        negotiated = [
            ("Sec-WebSocket-Extensions", accepted),
            ("Sec-WebSocket-Protocol", self.subprotocol),
        ]
        if callable(extra_headers):
            extra_headers = extra_headers(path, request_headers)
        _fill(headers, negotiated)
        headers.update(extra_headers or [])
        _fill(headers, self._default_headers())

        self.write_http_response(http.HTTPStatus.SWITCHING_PROTOCOLS, headers)
        self.connection_open()
        self.logger.info("connection open")
        return path

    def _default_headers(self) -> list[tuple[str, str | None]]:
        return [
            ("Date", http_date()),
            ("Server", self.server_header),
        ]


def _fill(headers: Headers, values: Iterable[tuple[str, str | None]]) -> None:
    """Set the headers that ``headers`` lacks, leaving out empty values."""
    for name, value in values:
        if value:
            headers.setdefault(name, value)


async def _awaited(
    answer: Awaitable[HTTPResponse | None] | HTTPResponse | None,
) -> HTTPResponse | None:
    """What ``process_request`` returned, awaited if it's a coroutine."""
    if isinstance(answer, Awaitable):
        return await answer
    # process_request() used to be a plain function.
    warnings.warn(
        "declare process_request as a coroutine", DeprecationWarning, stacklevel=3
    )
    return answer


async def _all_done(aws: Sequence[Awaitable[None]]) -> None:
    """Wait until each of ``aws`` is done, without raising their errors."""
    if aws:
        await asyncio.wait([asyncio.ensure_future(aw) for aw in aws])


class WebSocketServer:
    """
    The server that :func:`serve` returns, with the methods of
    :class:`asyncio.Server`.

    It holds the :class:`asyncio.Server` rather than subclassing it, since
    :meth:`~asyncio.loop.create_server` can't make another class; and it
    knows its connections, to close them when it shuts down.

    Args:
        logger: Logger of the server; by default
            ``logging.getLogger("websockets.server")``.

    """

    def __init__(self, logger: LoggerLike | None = None) -> None:
        self.logger: LoggerLike = (
            logging.getLogger("websockets.server") if logger is None else logger
        )
        self.websockets: set[WebSocketServerProtocol] = set()
        """The connections of the server."""
        self.close_task: asyncio.Task[None] | None = None
        self.server: asyncio.base_events.Server
        self.closed_waiter: asyncio.Future[None]

    def wrap(self, server: asyncio.base_events.Server) -> None:
        """
        Take the :class:`asyncio.Server` that accepts the connections.

        The protocol factory given to :meth:`~asyncio.loop.create_server`
        knows this object already; :func:`serve` hands it the result.

        """
        self.server = server
        for sock in server.sockets:
            self.logger.info("server listening on %s", get_socket_name(sock))
        self.closed_waiter = server.get_loop().create_future()

    def register(self, protocol: WebSocketServerProtocol) -> None:
        """Count a connection in."""
        self.websockets.add(protocol)

    def unregister(self, protocol: WebSocketServerProtocol) -> None:
        """Count a connection out."""
        self.websockets.remove(protocol)

    def close(self, close_connections: bool = True) -> None:
        """
        Shut the server down, in a task; calling it again does nothing.

        The :class:`asyncio.Server` stops accepting connections. With
        ``close_connections``, the default, the connections close too: those
        still in the opening handshake get a 503 response, and open ones
        close with code 1001 (going away). Then the server waits for the
        connection handlers to return.

        """
        if self.close_task is None:
            self.close_task = self.get_loop().create_task(
                self._shut_down(close_connections)
            )

    async def _shut_down(self, close_connections: bool) -> None:
        self.logger.info("server closing")
        self.server.close()
        # Connections accepted just before reach connection_made() and
        # register() in the next iteration of the loop.
        await asyncio.sleep(0)

        if close_connections:
            # handshake() answers 503 to those still opening, now that the
            # server isn't serving anymore.
            opened = [ws for ws in self.websockets if ws.state is not State.CONNECTING]
            await _all_done([ws.close(1001) for ws in opened])
        await self.server.wait_closed()
        await _all_done([ws.handler_task for ws in self.websockets])

        self.closed_waiter.set_result(None)
        self.logger.info("server closed")

    async def wait_closed(self) -> None:
        """
        Wait until the server is shut down: the TCP connections are closed
        and the connection handlers returned.

        A handler awaiting :meth:`~WebSocketCommonProtocol.recv` or
        :meth:`~WebSocketCommonProtocol.wait_closed` learns about the
        shutdown at once; one that does neither may delay it.

        """
        await asyncio.shield(self.closed_waiter)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """See :meth:`asyncio.Server.get_loop`."""
        return self.server.get_loop()

    def is_serving(self) -> bool:
        """See :meth:`asyncio.Server.is_serving`."""
        return self.server.is_serving()

    async def start_serving(self) -> None:
        """
        See :meth:`asyncio.Server.start_serving`; for a server created with
        ``start_serving=False``.

        """
        await self.server.start_serving()

    async def serve_forever(self) -> None:
        """
        See :meth:`asyncio.Server.serve_forever`: cancelling it shuts the
        server down, like leaving the context of :func:`serve`.

        """
        await self.server.serve_forever()

    @property
    def sockets(self) -> Iterable[socket.socket]:
        """See :attr:`asyncio.Server.sockets`."""
        return self.server.sockets

    async def __aenter__(self) -> WebSocketServer:
        return self

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        # Whether the block raised or not, shut down.
        self.close()
        await self.wait_closed()


class Serve:
    """
    Run a WebSocket server on ``host`` and ``port``.

    For each connection, the server creates a :class:`WebSocketServerProtocol`
    that runs the opening handshake and then calls ``ws_handler`` with
    itself; when the handler returns, with or without an exception, the
    connection closes.

    Awaiting :func:`serve` gives a :class:`WebSocketServer`, running; its
    :meth:`~WebSocketServer.close` and :meth:`~WebSocketServer.wait_closed`
    shut it down::

        server = await serve(handler, "localhost", 8765)
        ...
        server.close()
        await server.wait_closed()

    As an asynchronous context manager, :func:`serve` shuts the server down
    on the way out::

        async with serve(handler, "localhost", 8765):
            await stop

    Args:
        ws_handler: The connection handler, a coroutine function taking the
            :class:`WebSocketServerProtocol`.
        host: Interfaces to listen on, see :meth:`~asyncio.loop.create_server`.
        port: TCP port to listen on, see :meth:`~asyncio.loop.create_server`.
        create_protocol: Factory of the :class:`asyncio.Protocol` of each
            connection; :class:`WebSocketServerProtocol` by default.
        logger: Logger of the server and its connections; by default
            ``logging.getLogger("websockets.server")``.
        compression: ``"deflate"``, the default, accepts permessage-deflate;
            :obj:`None` accepts no compression.
        origins: Acceptable ``Origin`` headers, against Cross-Site WebSocket
            Hijacking; :obj:`None` in the list accepts requests without one.
        extensions: Extensions supported, in the order to try them.
        subprotocols: Subprotocols supported, by order of preference.
        extra_headers: Other headers for the 101 response, or a function of
            the path and headers of the request returning them.
        server_header: ``Server`` header; :obj:`None` sends none.
        process_request: Coroutine function looking at each request first;
            see :meth:`~WebSocketServerProtocol.process_request`.
        select_subprotocol: Function picking the subprotocol; see
            :meth:`~WebSocketServerProtocol.select_subprotocol`.
        open_timeout: Seconds allowed for the opening handshake; :obj:`None`
            for no limit.

    ``ping_interval``, ``ping_timeout``, ``close_timeout``, ``max_size``,
    ``max_queue``, ``read_limit`` and ``write_limit`` are described with
    :class:`~ws_asyncio.legacy.protocol.WebSocketCommonProtocol`. Other
    keyword arguments go to :meth:`~asyncio.loop.create_server`, such as
    ``ssl`` for TLS or ``sock`` for a listening socket made elsewhere.

    """

    def __init__(
        self,
        ws_handler: Handler,
        host: str | Sequence[str] | None = None,
        port: int | None = None,
        *,
        create_protocol: ProtocolFactory | None = None,
        logger: LoggerLike | None = None,
        compression: str | None = "deflate",
        origins: Origins | None = None,
        extensions: Extensions | None = None,
        subprotocols: Subprotocols | None = None,
        extra_headers: HeadersLikeOrCallable | None = None,
        server_header: str | None = SERVER,
        process_request: RequestHook | None = None,
        select_subprotocol: SubprotocolHook | None = None,
        open_timeout: Seconds = 10,
        ping_interval: Seconds = 20,
        ping_timeout: Seconds = 20,
        close_timeout: Seconds = None,
        max_size: Limit = 1 << 20,
        max_queue: Limit = 32,
        read_limit: int = 1 << 16,
        write_limit: int = 1 << 16,
        **kwargs: Any,
    ) -> None:
        legacy = deprecated_arguments(kwargs, WebSocketServerProtocol)
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        self.ws_server = WebSocketServer(logger=logger)

        # The connections take most arguments of serve() as they are.
        offer = dict(origins=origins, subprotocols=subprotocols)
        headers = dict(extra_headers=extra_headers, server_header=server_header)
        hooks = dict(
            process_request=process_request, select_subprotocol=select_subprotocol
        )
        pings = dict(ping_interval=ping_interval, ping_timeout=ping_timeout)
        sizes = dict(max_size=max_size, max_queue=max_queue)
        buffers = dict(read_limit=read_limit, write_limit=write_limit)
        self._factory = functools.partial(
            create_protocol or legacy.create_protocol,
            # Adapting the handler here warns once, not once per connection.
            remove_path_argument(ws_handler),
            self.ws_server,
            extensions=with_compression(
                compression, extensions, enable_server_permessage_deflate
            ),
            close_timeout=legacy.close_timeout
            if close_timeout is None
            else close_timeout,
            secure=kwargs.get("ssl") is not None,
            legacy_recv=legacy.legacy_recv,
            loop=legacy.loop,
            logger=logger,
            host=host,
            port=port,
            open_timeout=open_timeout,
            **offer,
            **headers,
            **hooks,
            **pings,
            **sizes,
            **buffers,
        )
        self._loop = legacy.loop
        self._unix: bool = kwargs.pop("unix", False)
        self._path: str | None = kwargs.pop("path", None)
        self._host, self._port = host, port
        self._kwargs = kwargs

    async def _start(self) -> WebSocketServer:
        loop = self._loop or asyncio.get_running_loop()
        if self._unix:
            server = await loop.create_unix_server(
                self._factory, self._path, **self._kwargs
            )
        else:
            server = await loop.create_server(
                self._factory, self._host, self._port, **self._kwargs
            )
        self.ws_server.wrap(server)
        return self.ws_server

    # server = await serve(...)
    def __await__(self) -> Generator[Any, None, WebSocketServer]:
        return self._start().__await__()

    # yield from serve(...), from the days before async and await
    __iter__ = __await__

    # async with serve(...) as server:
    async def __aenter__(self) -> WebSocketServer:
        return await self._start()

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        await self.ws_server.__aexit__(exc_type, exc_value, traceback)


serve = Serve


def unix_serve(ws_handler: Handler, path: str | None = None, **kwargs: Any) -> Serve:
    """
    Like :func:`serve`, on the Unix socket at ``path`` instead of a host and
    port; for example behind a reverse proxy. Only on Unix.

    Other keyword arguments go to :meth:`~asyncio.loop.create_unix_server`.

    """
    return serve(ws_handler, path=path, unix=True, **kwargs)


def remove_path_argument(
    ws_handler: Handler,
) -> Callable[[WebSocketServerProtocol], Awaitable[Any]]:
    """
    Return a handler taking the connection alone.

    A handler taking the path of the request as a second argument, the
    older form, is wrapped, with a :exc:`DeprecationWarning`. A handler
    taking neither one nor two arguments is returned as is; calling it will
    fail, and the failure will be logged.

    """
    signature = inspect.signature(ws_handler)
    try:
        signature.bind(None)
    except TypeError:
        pass
    else:
        return cast(Callable[[WebSocketServerProtocol], Awaitable[Any]], ws_handler)
    try:
        signature.bind(None, "")
    except TypeError:
        return cast(Callable[[WebSocketServerProtocol], Awaitable[Any]], ws_handler)

    warnings.warn(
        "remove second argument of ws_handler", DeprecationWarning, stacklevel=3
    )
    with_path = cast(
        Callable[[WebSocketServerProtocol, str], Awaitable[Any]], ws_handler
    )

    async def handler(websocket: WebSocketServerProtocol) -> Any:
        return await with_path(websocket, websocket.path)

    return handler

"""
The client of the legacy API: :func:`connect`, :func:`unix_connect` and
:class:`WebSocketClientProtocol`.

"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import traceback
import urllib.parse
from collections.abc import AsyncIterator, Generator, Sequence
from typing import Any, Callable

from ws_deflate.permessage_deflate import enable_client_permessage_deflate
from ws_frames.exceptions import (
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    NegotiationError,
    SecurityError,
)
from ws_frames.extensions import ClientExtensionFactory, Extension
from ws_frames.typing import (
    LoggerLike,
    Origin,
    Subprotocol,
)
from ws_http.client import ClientProtocol, backoff
from ws_http.datastructures import Headers, HeadersLike
from ws_http.handshake import negotiate_client_extensions
from ws_http.headers import parse_subprotocol, validate_subprotocols
from ws_http.http11 import USER_AGENT, Request
from ws_http.redirects import same_origin
from ws_http.uri import WebSocketURI, parse_uri

from .arguments import deprecated_arguments, with_compression
from .exceptions import InvalidStatusCode, RedirectHandshake
from .handshake import check_response
from .http import response_parser
from .protocol import Limit, Seconds, WebSocketCommonProtocol


__all__ = ["connect", "unix_connect", "WebSocketClientProtocol"]

ProtocolFactory = Callable[..., "WebSocketClientProtocol"]
"""A callable returning a :class:`WebSocketClientProtocol`, such as a subclass."""

Extensions = Sequence[ClientExtensionFactory]
"""Extensions to offer, by order of preference."""

Subprotocols = Sequence[Subprotocol]
"""Subprotocols to offer, by order of preference."""

# Status codes of the redirects that connect() follows.
REDIRECTS = frozenset([301, 302, 303, 307, 308])


class WebSocketClientProtocol(WebSocketCommonProtocol):
    """
    A client connection of the legacy API.

    :func:`connect` creates it and runs the opening handshake; then exchange
    messages with :meth:`~WebSocketCommonProtocol.recv` and
    :meth:`~WebSocketCommonProtocol.send`, or iterate on the messages
    received with ``async for``.

    ``origin``, ``extensions``, ``subprotocols``, ``extra_headers`` and
    ``user_agent_header`` are described with :func:`connect`; the other
    arguments with :class:`~ws_asyncio.legacy.protocol.WebSocketCommonProtocol`.

    """

    is_client: bool = True
    side: str = "client"

    def __init__(
        self,
        *,
        logger: LoggerLike | None = None,
        origin: Origin | None = None,
        extensions: Extensions | None = None,
        subprotocols: Subprotocols | None = None,
        extra_headers: HeadersLike | None = None,
        user_agent_header: str | None = USER_AGENT,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            logger=logging.getLogger("websockets.client") if logger is None else logger,
            **kwargs,
        )
        # What connect() gives to handshake().
        self.origin = origin
        self.extra_headers, self.user_agent_header = extra_headers, user_agent_header
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols

    def write_http_request(self, path: str, headers: Headers) -> None:
        """Send the request of the opening handshake."""
        self.path, self.request_headers = path, headers
        self._log_http(">", f"GET {path} HTTP/1.1", headers)
        self.transport.write(Request(path, headers).serialize())

    async def read_http_response(self) -> tuple[int, Headers]:
        """
        Read the response of the opening handshake, without its body.

        Returns:
            Its status code and headers.

        Raises:
            InvalidMessage: If it isn't a well-formed HTTP/1.1 response.

        """
        try:
            status_code, reason, headers = await self._read_http(
                response_parser(self.reader.read_line)
            )
        except Exception as exc:
            raise InvalidMessage("did not receive a valid HTTP response") from exc
        self._log_http("<", f"HTTP/1.1 {status_code} {reason}", headers)
        self.response_headers = headers
        return status_code, headers

    @staticmethod
    def process_extensions(
        headers: Headers,
        available_extensions: Sequence[ClientExtensionFactory] | None,
    ) -> list[Extension]:
        """
        Accept the extensions of the ``Sec-WebSocket-Extensions`` headers of
        the response.

        Each extension that the server chose goes to the available factories
        of its name, in order, until one accepts its parameters; the factory
        sees the extensions accepted before, to enforce rules of its own. An
        extension that no factory accepts fails the handshake.

        Override this method for other rules, for example about extensions
        that must be there or their order.

        Returns:
            The extensions, in the order of the response.

        Raises:
            InvalidHandshake: To fail the handshake.

        """
        return negotiate_client_extensions(
            headers.get_all("Sec-WebSocket-Extensions"), available_extensions
        )

    @staticmethod
    def process_subprotocol(
        headers: Headers, available_subprotocols: Sequence[Subprotocol] | None
    ) -> Subprotocol | None:
        """
        Check the ``Sec-WebSocket-Protocol`` header of the response: at most
        one subprotocol, among the available ones.

        Raises:
            InvalidHandshake: To fail the handshake.

        """
        values = headers.get_all("Sec-WebSocket-Protocol")
        if not values:
            return None
        if available_subprotocols is None:
            raise NegotiationError("no subprotocols supported")
        chosen = [item for value in values for item in parse_subprotocol(value)]
        if len(chosen) > 1:
            raise InvalidHeaderValue(
                "Sec-WebSocket-Protocol", "multiple values: " + ", ".join(chosen)
            )
        if chosen[0] not in available_subprotocols:
            raise NegotiationError(f"unsupported subprotocol: {chosen[0]}")
        return chosen[0]

    async def handshake(
        self,
        wsuri: WebSocketURI,
        origin: Origin | None = None,
        available_extensions: Extensions | None = None,
        available_subprotocols: Subprotocols | None = None,
        extra_headers: HeadersLike | None = None,
    ) -> None:
        """
        Run the client side of the opening handshake, then open the
        connection.

        Args:
            wsuri: URI of the server.
            origin: ``Origin`` header to send.
            available_extensions: Extensions to offer, by order of preference.
            available_subprotocols: Subprotocols to offer, by order of
                preference.
            extra_headers: Other headers to send.

        Raises:
            InvalidHandshake: If the handshake fails.

        """
        # The sans-I/O client of ws_http writes the request.
        offer = ClientProtocol(
            wsuri,
            origin=origin,
            extensions=available_extensions,
            subprotocols=available_subprotocols,
        )
        request = offer.connect()
        if extra_headers is not None:
            request.headers.update(extra_headers)
        if self.user_agent_header:
            request.headers.setdefault("User-Agent", self.user_agent_header)
        self.write_http_request(request.path, request.headers)

        status_code, headers = await self.read_http_response()
        if status_code in REDIRECTS:
            if "Location" not in headers:
                raise InvalidHeader("Location")
            raise RedirectHandshake(headers["Location"])
        if status_code != 101:
            raise InvalidStatusCode(status_code, headers)
        check_response(headers, offer.key)
        self.extensions = self.process_extensions(headers, available_extensions)
        self.subprotocol = self.process_subprotocol(headers, available_subprotocols)

        self.logger.info("connection open")
        self.connection_open()


class Connect:
    """
    Connect to the WebSocket server at ``uri``.

    Awaiting :func:`connect` gives a :class:`WebSocketClientProtocol`, open.
    As an asynchronous context manager, :func:`connect` closes it on the way
    out::

        async with connect(...) as websocket:
            ...

    As an asynchronous iterator, :func:`connect` connects again whenever the
    body of the loop lets an exception out, or when connecting fails, after
    a delay growing from about three seconds to a minute and a half; the
    connection of each iteration is closed at its end::

        async for websocket in connect(...):
            try:
                ...
            except websockets.ConnectionClosed:
                continue

    Redirects (301, 302, 303, 307, 308) are followed, except from ``wss://``
    to ``ws://``.

    Args:
        uri: URI of the server.
        create_protocol: Factory of the :class:`asyncio.Protocol` of the
            connection; :class:`WebSocketClientProtocol` by default.
        logger: Logger of the connection; by default
            ``logging.getLogger("websockets.client")``.
        compression: ``"deflate"``, the default, offers permessage-deflate;
            :obj:`None` offers no compression.
        origin: ``Origin`` header, for servers that check it.
        extensions: Extensions to offer, by order of preference.
        subprotocols: Subprotocols to offer, by order of preference.
        extra_headers: Other headers for the request.
        user_agent_header: ``User-Agent`` header; :obj:`None` sends none.
        open_timeout: Seconds allowed for opening the connection;
            :obj:`None` for no limit.

    ``ping_interval``, ``ping_timeout``, ``close_timeout``, ``max_size``,
    ``max_queue``, ``read_limit`` and ``write_limit`` are described with
    :class:`~ws_asyncio.legacy.protocol.WebSocketCommonProtocol`. Other
    keyword arguments go to :meth:`~asyncio.loop.create_connection`: ``ssl``
    for the TLS settings of ``wss://`` (a default context otherwise),
    ``sock`` for a socket connected already, ``host`` and ``port`` for
    another destination than the one of ``uri``, which still gives the
    ``Host`` header and the name checked by TLS.

    Raises:
        InvalidURI: If ``uri`` isn't a WebSocket URI.
        OSError: If the TCP connection fails.
        InvalidHandshake: If the opening handshake fails.
        ~asyncio.TimeoutError: If opening takes longer than ``open_timeout``.

    """

    MAX_REDIRECTS_ALLOWED = int(os.environ.get("WEBSOCKETS_MAX_REDIRECTS", "10"))

    BACKOFF_INITIAL = float(os.environ.get("WEBSOCKETS_BACKOFF_INITIAL_DELAY", "5"))
    BACKOFF_MIN = float(os.environ.get("WEBSOCKETS_BACKOFF_MIN_DELAY", "3.1"))
    BACKOFF_MAX = float(os.environ.get("WEBSOCKETS_BACKOFF_MAX_DELAY", "90.0"))
    BACKOFF_FACTOR = float(os.environ.get("WEBSOCKETS_BACKOFF_FACTOR", "1.618"))

    def __init__(
        self,
        uri: str,
        *,
        create_protocol: ProtocolFactory | None = None,
        logger: LoggerLike | None = None,
        compression: str | None = "deflate",
        origin: Origin | None = None,
        extensions: Extensions | None = None,
        subprotocols: Subprotocols | None = None,
        extra_headers: HeadersLike | None = None,
        user_agent_header: str | None = USER_AGENT,
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
        legacy = deprecated_arguments(kwargs, WebSocketClientProtocol)
        wsuri = parse_uri(uri)
        if not wsuri.secure and kwargs.get("ssl") is not None:
            raise ValueError(
                "connect() received a ssl argument for a ws:// URI, "
                "use a wss:// URI to enable TLS"
            )
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        if wsuri.secure:
            # True means a default TLS context.
            kwargs.setdefault("ssl", True)

        # The connection takes most arguments of connect() as they are.
        offer = dict(origin=origin, subprotocols=subprotocols)
        headers = dict(extra_headers=extra_headers, user_agent_header=user_agent_header)
        pings = dict(ping_interval=ping_interval, ping_timeout=ping_timeout)
        sizes = dict(max_size=max_size, max_queue=max_queue)
        buffers = dict(read_limit=read_limit, write_limit=write_limit)
        self._factory = functools.partial(
            create_protocol or legacy.create_protocol,
            extensions=with_compression(
                compression, extensions, enable_client_permessage_deflate
            ),
            close_timeout=legacy.close_timeout
            if close_timeout is None
            else close_timeout,
            host=wsuri.host,
            port=wsuri.port,
            secure=wsuri.secure,
            legacy_recv=legacy.legacy_recv,
            loop=legacy.loop,
            logger=logger,
            **offer,
            **headers,
            **pings,
            **sizes,
            **buffers,
        )
        self._loop = legacy.loop

        self._unix: bool = kwargs.pop("unix", False)
        self._path: str | None = kwargs.pop("path", None)
        # Where the TCP connection goes: by default, where the URI points;
        # nowhere with a socket connected already.
        self._host: str | None = None
        self._port: int | None = None
        if not self._unix:
            if kwargs.get("sock") is None:
                self._host, self._port = wsuri.host, wsuri.port
            elif kwargs.get("ssl"):
                kwargs.setdefault("server_hostname", wsuri.host)
            self._host = kwargs.pop("host", self._host)
            self._port = kwargs.pop("port", self._port)
        self._kwargs = kwargs

        self._uri, self._wsuri = uri, wsuri
        self.open_timeout = open_timeout
        self.logger: LoggerLike = (
            logging.getLogger("websockets.client") if logger is None else logger
        )
        self.protocol: WebSocketClientProtocol

    def handle_redirect(self, uri: str) -> None:
        """Aim at the location ``uri`` of a redirect, relative or absolute."""
        new_uri = urllib.parse.urljoin(self._uri, uri)
        new_wsuri = parse_uri(new_uri)
        old_wsuri = self._wsuri

        if old_wsuri.secure and not new_wsuri.secure:
            raise SecurityError("redirect from WSS to WS")

        # Another origin means another destination; the same origin keeps
        # the host and port given to connect(), if any.
        if not same_origin(old_wsuri, new_wsuri):
            keywords = dict(self._factory.keywords)
            keywords["host"] = new_wsuri.host
            keywords["port"] = new_wsuri.port
            if new_wsuri.secure and not old_wsuri.secure:
                keywords["secure"] = True
                self._kwargs.setdefault("ssl", True)
            self._factory = functools.partial(self._factory.func, **keywords)
            self._host, self._port = new_wsuri.host, new_wsuri.port

        self._uri = new_uri
        self._wsuri = new_wsuri

    async def _open(self) -> WebSocketClientProtocol:
        """Connect and run the opening handshake, following redirects."""
        for _ in range(self.MAX_REDIRECTS_ALLOWED):
            protocol = await self._connect_tcp()
            offer = protocol.available_extensions, protocol.available_subprotocols
            try:
                await protocol.handshake(
                    self._wsuri, protocol.origin, *offer, protocol.extra_headers
                )
            except BaseException as exc:
                # Whatever happened, don't leave the socket open.
                protocol.fail_connection()
                await protocol.wait_closed()
                if not isinstance(exc, RedirectHandshake):
                    raise
                self.handle_redirect(exc.uri)
                continue
            self.protocol = protocol
            return protocol
        raise SecurityError("too many redirects")

    async def _connect_tcp(self) -> WebSocketClientProtocol:
        loop = self._loop or asyncio.get_running_loop()
        if self._unix:
            connected = loop.create_unix_connection(
                self._factory, self._path, **self._kwargs
            )
        else:
            # host and port are None with a socket connected already.
            connected = loop.create_connection(
                self._factory,
                self._host,  # type: ignore[arg-type]
                self._port,  # type: ignore[arg-type]
                **self._kwargs,
            )
        _, protocol = await connected
        return protocol

    # protocol = await connect(...)
    def __await__(self) -> Generator[Any, None, WebSocketClientProtocol]:
        return asyncio.wait_for(self._open(), self.open_timeout).__await__()

    # yield from connect(...), from the days before async and await
    __iter__ = __await__

    # async with connect(...) as protocol:
    async def __aenter__(self) -> WebSocketClientProtocol:
        return await self

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        await self.protocol.close()

    # async for protocol in connect(...):
    async def __aiter__(self) -> AsyncIterator[WebSocketClientProtocol]:
        """Connect, yield the connection, close it; and again."""
        delays: Generator[float] | None = None
        while True:
            failure: Exception | None = None
            try:
                async with self as protocol:
                    yield protocol
            except Exception as exc:
                failure = exc
            if failure is None:
                # A connection that worked starts the delays over.
                delays = None
                continue
            delays = delays or backoff(
                self.BACKOFF_INITIAL,
                self.BACKOFF_MIN,
                self.BACKOFF_MAX,
                self.BACKOFF_FACTOR,
            )
            await self._retry_after(next(delays), failure)

    async def _retry_after(self, delay: float, exc: Exception) -> None:
        reason = traceback.format_exception_only(type(exc), exc)[0].strip()
        self.logger.info(
            "connect failed; reconnecting in %.1f seconds: %s", delay, reason
        )
        await asyncio.sleep(delay)


connect = Connect


def unix_connect(
    path: str | None = None, uri: str = "ws://localhost/", **kwargs: Any
) -> Connect:
    """
    Like :func:`connect`, through the Unix socket at ``path``.

    ``uri`` gives the ``Host`` header, and the name checked by TLS for a
    ``wss://`` URI. Only on Unix.

    """
    return connect(uri=uri, path=path, unix=True, **kwargs)

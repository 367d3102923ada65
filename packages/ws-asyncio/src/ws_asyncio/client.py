"""
Client side with asyncio: :func:`connect`, :func:`unix_connect` and
:class:`ClientConnection`.

The threading client, :mod:`ws_sync.client`, is laid out the same way, step
for step.

"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import traceback
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from ssl import create_default_context
from typing import Any, Callable, Literal, NamedTuple, cast

from ws_deflate.permessage_deflate import enable_client_permessage_deflate
from ws_frames.exceptions import (
    ConnectionClosed,
    InvalidProxyMessage,
    InvalidProxyStatus,
    ProxyError,
    SecurityError,
)
from ws_frames.extensions import ClientExtensionFactory
from ws_frames.protocol import CONNECTING, Event
from ws_frames.typing import LoggerLike, Origin, Subprotocol
from ws_http.client import (
    ClientProtocol,
    backoff,
    process_exception as process_exception,
)
from ws_http.datastructures import HeadersLike
from ws_http.headers import validate_subprotocols
from ws_http.http11 import USER_AGENT, Response
from ws_http.proxy import (
    ConnectResponseParser,
    Proxy,
    get_proxy,
    parse_proxy,
    prepare_connect_request,
)
from ws_http.redirects import process_redirect, same_origin, without_credentials
from ws_http.uri import WebSocketURI, parse_uri

from .compatibility import asyncio_timeout
from .connection import BufferedReader, Connection


# Durations in seconds; None means no limit.
_Seconds = float | None
# A limit, or a (high, low) pair of water marks; None means no limit.
_QueueLimit = int | None | tuple[int | None, int | None]
_WriteLimit = int | tuple[int, int | None]
# A limit for messages, or a (message, fragment) pair of limits.
_SizeLimit = int | None | tuple[int | None, int | None]
# A proxy URI, True to read it from the environment, None for no proxy.
_ProxySetting = str | Literal[True] | None
# What the client offers in the handshake, in order of preference.
_ExtensionOffers = Sequence[ClientExtensionFactory] | None
_SubprotocolOffers = Sequence[Subprotocol] | None
# The value of the User-Agent header; None leaves the header out.
_UserAgent = str | None
# Given a failed attempt to connect: None to try again, else what to raise.
_RetryPolicy = Callable[[Exception], Exception | None]
# Starts the series of delays between attempts to connect.
_DelaySchedule = Callable[[], Generator[float]]

__all__ = ["ClientConnection", "connect", "unix_connect"]

MAX_REDIRECTS = int(os.environ.get("WEBSOCKETS_MAX_REDIRECTS", "10"))
"""How many times :func:`connect` connects at most, redirects included."""


class _ConnectionOptions(NamedTuple):
    """
    The keyword arguments of :class:`ClientConnection`, in the order of its
    signature. :func:`connect` gathers them once for all its attempts.

    """

    ping_interval: _Seconds
    ping_timeout: _Seconds
    close_timeout: _Seconds
    max_queue: _QueueLimit
    write_limit: _WriteLimit


class ClientConnection(Connection):
    """
    Client end of a WebSocket connection, run by asyncio.

    :func:`connect` returns one once the opening handshake succeeded. Use the
    methods of :class:`~ws_asyncio.connection.Connection`: :meth:`recv`,
    :meth:`send`, ``async for message in websocket``, :meth:`ping`,
    :meth:`close`.

    Args:
        protocol: Sans-I/O client protocol.

    The keyword arguments are described in :func:`connect`.

    """

    def __init__(
        self,
        protocol: ClientProtocol,
        *,
        ping_interval: _Seconds = 20,
        ping_timeout: _Seconds = 20,
        close_timeout: _Seconds = 10,
        max_queue: _QueueLimit = 16,
        write_limit: _WriteLimit = 2**15,
    ) -> None:
        self.protocol: ClientProtocol
        # While handshake() waits: done once the response arrived or the
        # connection ended without one.
        self.response_rcvd: asyncio.Future[None] | None = None
        options = _ConnectionOptions(
            ping_interval, ping_timeout, close_timeout, max_queue, write_limit
        )
        super().__init__(protocol, **options._asdict())

    def process_event(self, event: Event) -> None:
        # The protocol delivers the response first, then only frames.
        if isinstance(event, Response):
            self.response = event
            waiter = self.response_rcvd
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        else:
            super().process_event(event)

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            super().connection_lost(exc)
        finally:
            # Don't leave handshake() waiting for a response that can't come.
            waiter = self.response_rcvd
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def handshake(
        self,
        additional_headers: HeadersLike | None = None,
        user_agent_header: _UserAgent = USER_AGENT,
    ) -> None:
        """
        Send the opening request and wait for the response.

        Args:
            additional_headers: Headers to add to the request.
            user_agent_header: ``User-Agent`` header, unless
                ``additional_headers`` has one; :obj:`None` for none.

        Raises:
            InvalidHandshake: If the response is missing, malformed, or
                refuses the connection.

        """
        request = self.protocol.connect()
        if additional_headers is not None:
            request.headers.update(additional_headers)
        if user_agent_header is not None:
            request.headers.setdefault("User-Agent", user_agent_header)
        self.request = request

        # send_context() written out: opening connections fast matters, and
        # sending the request raises nothing but the errors of the caller.
        if self.protocol.state is not CONNECTING:
            await self.reject_call()
        self.protocol.send_request(request)
        try:
            await self.complete_send(False)
        except ConnectionClosed:
            # The server may answer and close the connection while the
            # request is still going out, as with a redirect: then its
            # answer, below, tells more than the failed write.
            if self.protocol.handshake_exc is None:
                raise

        if self.response is None and not self.connection_lost_waiter.done():
            # Not shielded: nothing else waits for this future, and cancelling
            # it is harmless, which saves a future and a callback.
            self.response_rcvd = self.loop.create_future()
            try:
                await self.response_rcvd
            finally:
                self.response_rcvd = None

        # The protocol tells why the handshake failed, including when the
        # connection ended before the response.
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc


@dataclasses.dataclass(frozen=True)
class _ConnectionFactory:
    """
    Build the connection of an attempt of :func:`connect`, for the URI of
    that attempt: redirects change it.

    """

    connection_class: type[ClientConnection]
    # The keyword arguments of the connection, from _ConnectionOptions.
    options: dict[str, Any]
    # What the protocol takes besides the URI.
    origin: Origin | None
    extensions: _ExtensionOffers
    subprotocols: _SubprotocolOffers
    max_size: _SizeLimit
    logger: LoggerLike

    def __call__(self, ws_uri: WebSocketURI) -> ClientConnection:
        protocol = ClientProtocol(
            ws_uri,
            origin=self.origin,
            extensions=self.extensions,
            subprotocols=self.subprotocols,
            max_size=self.max_size,
            logger=self.logger,
        )
        return self.connection_class(protocol, **self.options)


# A class rather than a function, for await, async with and async for.
class connect:
    """
    Connect to the WebSocket server at ``uri``.

    Await it for an open :class:`ClientConnection`, or use it as an async
    context manager that closes the connection on exit::

        async with connect("wss://example.com/") as websocket:
            await websocket.send("hello")

    With ``async for``, it connects again whenever the connection is lost::

        async for websocket in connect("wss://example.com/"):
            try:
                async for message in websocket:
                    ...
            except ConnectionClosed:
                continue

    After a failure to connect, ``process_exception`` decides whether to try
    again. Tries are spaced by the delays of ``reconnect_delays``: random,
    growing delays by default (:rfc:`6455#section-7.2.3`), which start over
    after a connection that opened.

    Redirects (300, 301, 302, 303, 307 and 308 with a ``Location``) are
    followed, but not from ``wss://`` to ``ws://``, nor on a socket given
    with ``sock``, nor to another origin on a Unix socket or with an explicit
    ``host`` or ``port``. Credentials in ``additional_headers`` and
    ``server_hostname`` stay with the first origin.

    Args:
        uri: WebSocket URI, ``ws://`` or ``wss://``, with credentials for HTTP
            Basic Authentication if needed.
        origin: ``Origin`` header.
        extensions: Extensions to offer, in order of preference.
        subprotocols: Subprotocols to offer, in order of preference.
        compression: ``"deflate"`` (the default) offers permessage-deflate;
            :obj:`None` offers no compression.
        additional_headers: Headers to add to the request.
        user_agent_header: ``User-Agent`` header; :obj:`None` for none.
        proxy: Proxy URI, ``http://``, ``https://`` or ``socks5h://`` for
            instance; :obj:`True` (the default) reads it from the
            environment with :func:`~ws_http.proxy.get_proxy`; :obj:`None`
            connects directly. SOCKS requires python-socks.
        process_exception: Returns :obj:`None` for failures worth another
            try, and the exception to raise for the others; see
            :func:`process_exception`.
        open_timeout: Time-out for everything up to the end of the opening
            handshake, redirects included, in seconds; :obj:`None` for none.
        ping_interval: Interval between keepalive pings in seconds;
            :obj:`None` disables keepalive.
        ping_timeout: Time-out for the pong that answers a keepalive ping, in
            seconds; :obj:`None` for none.
        close_timeout: Time-out for the closing handshake in seconds;
            :obj:`None` for none.
        reconnect_delays: Returns the delays between tries, in seconds.
        max_size: Largest incoming message in bytes, or a ``(message,
            fragment)`` pair; :obj:`None` for no limit.
        max_queue: How many incoming frames may wait for :meth:`recv`
            before reading stops, or a ``(high, low)`` pair; :obj:`None` for
            no limit.
        write_limit: Size of the write buffer above which :meth:`send`
            waits, in bytes, or a ``(high, low)`` pair.
        logger: Logger for the connection; defaults to
            ``logging.getLogger("websockets.client")``.
        create_connection: :class:`ClientConnection` subclass to use.

    Other keyword arguments go to :meth:`~asyncio.loop.create_connection`:
    ``ssl`` (an :class:`~ssl.SSLContext`), ``server_hostname``, ``sock``,
    ``host`` and ``port`` (the ``Host`` header still names the server of
    ``uri``), ``local_addr``, ... Through an HTTP proxy, ``ssl``,
    ``server_hostname`` and ``ssl_*`` options are for the WebSocket server;
    the others, and options prefixed with ``proxy_`` such as ``proxy_ssl``,
    are for the proxy.

    Raises:
        InvalidURI: If ``uri`` isn't a valid WebSocket URI.
        InvalidProxy: If ``proxy`` isn't a valid proxy URI.
        OSError: If connecting fails.
        InvalidHandshake: If the opening handshake fails.
        TimeoutError: If opening the connection takes longer than
            ``open_timeout``.

    """

    def __init__(
        self,
        uri: str,
        *,
        origin: Origin | None = None,
        extensions: _ExtensionOffers = None,
        subprotocols: _SubprotocolOffers = None,
        compression: str | None = "deflate",
        additional_headers: HeadersLike | None = None,
        user_agent_header: _UserAgent = USER_AGENT,
        proxy: _ProxySetting = True,
        process_exception: _RetryPolicy = process_exception,
        open_timeout: _Seconds = 10,
        ping_interval: _Seconds = 20,
        ping_timeout: _Seconds = 20,
        close_timeout: _Seconds = 10,
        reconnect_delays: _DelaySchedule = backoff,
        max_size: _SizeLimit = 2**20,
        max_queue: _QueueLimit = 16,
        write_limit: _WriteLimit = 2**15,
        logger: LoggerLike | None = None,
        create_connection: type[ClientConnection] | None = None,
        **kwargs: Any,
    ) -> None:
        if compression is not None:
            if compression != "deflate":
                raise ValueError(f"unsupported compression: {compression}")
            extensions = enable_client_permessage_deflate(extensions)
        if subprotocols is not None:
            validate_subprotocols(subprotocols)
        if logger is None:
            logger = logging.getLogger("websockets.client")
        if create_connection is None:
            create_connection = ClientConnection
        options = _ConnectionOptions(
            ping_interval, ping_timeout, close_timeout, max_queue, write_limit
        )._asdict()
        factory = _ConnectionFactory(
            create_connection,
            options,
            origin,
            extensions,
            subprotocols,
            max_size,
            logger,
        )

        self.uri = uri
        self.factory = factory
        self.open_timeout = open_timeout
        # HTTP
        self.additional_headers = additional_headers
        self.user_agent_header = user_agent_header
        # Network
        self.proxy = proxy
        self.create_connection_kwargs = kwargs
        # Reconnection
        self.process_exception = process_exception
        self.reconnect_delays = reconnect_delays
        self.logger = logger
        self.connection: ClientConnection

    @property
    def ws_uri(self) -> WebSocketURI:
        """:attr:`uri`, parsed; following a redirect changes it."""
        return parse_uri(self.uri)

    async def open_tcp_connection(self) -> ClientConnection:
        """
        Connect to the server of :attr:`uri`, with TLS for ``wss://``.

        Returns:
            The connection, before the opening handshake.

        """
        ws_uri = self.ws_uri
        kwargs = dict(self.create_connection_kwargs)
        if ws_uri.secure:
            kwargs.setdefault("ssl", True)
            kwargs.setdefault("server_hostname", ws_uri.host)
            if kwargs["ssl"] is None:
                raise ValueError("ssl=None is incompatible with a wss:// URI")
        elif kwargs.get("ssl") is not None:
            raise ValueError("ssl argument is incompatible with a ws:// URI")

        unix = kwargs.pop("unix", False)
        if unix or kwargs.get("sock") is not None:
            proxy = None
        elif self.proxy is True:
            proxy = get_proxy(ws_uri)
        else:
            proxy = self.proxy

        loop = asyncio.get_running_loop()

        def reader_factory() -> BufferedReader:
            return BufferedReader(self.factory(ws_uri))

        if unix:
            _, reader = await loop.create_unix_connection(reader_factory, **kwargs)
        elif proxy is None:
            if kwargs.get("sock") is None:
                kwargs.setdefault("host", ws_uri.host)
                kwargs.setdefault("port", ws_uri.port)
            _, reader = await loop.create_connection(reader_factory, **kwargs)
        else:
            parsed = parse_proxy(proxy)
            if parsed.scheme.startswith("socks"):
                sock = await connect_socks_proxy(
                    parsed, ws_uri, local_addr=kwargs.pop("local_addr", None)
                )
                _, reader = await loop.create_connection(
                    reader_factory, sock=sock, **kwargs
                )
            else:
                # TLS options are for the server, at the end of the tunnel;
                # the others, with proxy_ prefixes removed, for the proxy.
                tls_kwargs = {
                    key: kwargs.pop(key)
                    for key in list(kwargs)
                    if key.startswith("ssl") or key == "server_hostname"
                }
                proxy_kwargs = {
                    key.removeprefix("proxy_"): value for key, value in kwargs.items()
                }
                if parsed.scheme == "https":
                    proxy_kwargs.setdefault("ssl", True)
                    if proxy_kwargs["ssl"] is None:
                        raise ValueError(
                            "proxy_ssl=None is incompatible with an https:// proxy"
                        )
                elif proxy_kwargs.get("ssl") is not None:
                    raise ValueError(
                        "proxy_ssl argument is incompatible with an http:// proxy"
                    )
                transport = await connect_http_proxy(
                    parsed,
                    ws_uri,
                    user_agent_header=self.user_agent_header,
                    **proxy_kwargs,
                )
                reader = reader_factory()
                transport.set_protocol(reader)
                ssl = tls_kwargs.pop("ssl", None)
                if ssl is not None:
                    if ssl is True:
                        ssl = create_default_context()
                    tls_transport = await loop.start_tls(
                        transport, reader, ssl, **tls_kwargs
                    )
                    # Only None when the event loop is closing.
                    assert tls_transport is not None
                    transport = tls_transport
                reader.connection_made(transport)
        # The factory makes instances of ClientConnection.
        return cast(ClientConnection, reader.connection)

    def process_redirect(self, exc: Exception) -> Exception | str:
        """
        Tell whether the failure ``exc`` is a redirect to follow.

        Returns:
            The URI to connect to, or the exception to raise.

        """
        kwargs = self.create_connection_kwargs
        new_uri = process_redirect(
            exc,
            self.uri,
            sock=kwargs.get("sock") is not None,
            unix=kwargs.get("unix", False),
        )
        explicit_address = (
            kwargs.get("host") is not None or kwargs.get("port") is not None
        )
        if (
            isinstance(new_uri, str)
            and explicit_address
            and not same_origin(self.ws_uri, parse_uri(new_uri))
        ):
            return ValueError(
                f"cannot follow cross-origin redirect to {new_uri} "
                f"with an explicit host or port"
            )
        return new_uri

    def _redirect(self, exc: Exception) -> None:
        """Follow the redirect that the failure ``exc`` stands for, or raise."""
        new_uri = self.process_redirect(exc)
        if isinstance(new_uri, Exception):
            if new_uri is exc:
                raise exc
            raise new_uri from exc
        if not same_origin(self.ws_uri, parse_uri(new_uri)):
            # Credentials and the TLS name belong to the first origin.
            self.additional_headers = without_credentials(self.additional_headers)
            self.create_connection_kwargs.pop("server_hostname", None)
        self.uri = new_uri

    async def __await_impl__(self) -> ClientConnection:
        """Connect and run the opening handshake, following redirects."""
        try:
            async with asyncio_timeout(self.open_timeout):
                for _ in range(MAX_REDIRECTS):
                    connection = self.connection = await self.open_tcp_connection()
                    try:
                        await connection.handshake(
                            self.additional_headers, self.user_agent_header
                        )
                    except BaseException as exc:
                        # Nothing of a failed attempt is reused, not even for
                        # a redirect to the same server.
                        connection.transport.abort()
                        if not isinstance(exc, Exception):
                            raise
                        self._redirect(exc)
                    else:
                        break
                else:
                    raise SecurityError(f"more than {MAX_REDIRECTS} redirects")
        except TimeoutError as exc:
            raise TimeoutError("timed out during opening handshake") from exc
        connection.start_keepalive()
        return connection

    def __await__(self) -> Generator[Any, None, ClientConnection]:
        return self.__await_impl__().__await__()

    async def __aiter__(self) -> AsyncIterator[ClientConnection]:
        # Created at the first failure, dropped after each success.
        delays: Iterator[float] | None = None
        while True:
            try:
                connection = await self
            except Exception as exc:
                _raise_unless_retried(exc, self.process_exception)
                if delays is None:
                    delays = self.reconnect_delays()
                delay = next(delays, None)
                if delay is None:
                    raise exc from None
                _log_retry(self.logger, exc, delay)
                await asyncio.sleep(delay)
                continue
            delays = None
            try:
                yield connection
            finally:
                await connection.close()

    async def __aenter__(self) -> ClientConnection:
        return await self

    async def __aexit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        await self.connection.__aexit__(exc_type, exc_value, traceback)


def _raise_unless_retried(exc: Exception, process_exception: _RetryPolicy) -> None:
    """
    Raise what ``process_exception`` makes of the failure ``exc``, unless it
    deems the failure worth another attempt.

    """
    # process_exception may raise the exception instead of returning it.
    try:
        verdict = process_exception(exc)
    except Exception as raised:
        verdict = raised
    if verdict is exc:
        raise exc
    if verdict is not None:
        raise verdict from exc


def _log_retry(logger: LoggerLike, exc: Exception, delay: float) -> None:
    """Log that an attempt to connect failed with ``exc``, and when the next comes."""
    summary = traceback.format_exception_only(exc)[0].strip()
    logger.info("connect failed; reconnecting in %.1f seconds: %s", delay, summary)


def unix_connect(
    path: str | None = None, uri: str | None = None, **kwargs: Any
) -> connect:
    """
    Open a WebSocket connection over a Unix socket.

    It takes the keyword arguments of :func:`connect`.

    Args:
        path: Path of the Unix socket; or give a connected ``sock``.
        uri: URI for the opening handshake; defaults to ``ws://localhost/``,
            or to ``wss://localhost/`` when ``ssl`` is given.

    """
    if uri is None:
        secure = kwargs.get("ssl") is not None
        uri = "wss://localhost/" if secure else "ws://localhost/"
    return connect(uri=uri, unix=True, path=path, **kwargs)


# SOCKS proxies

try:
    from python_socks import ProxyType
    from python_socks.async_.asyncio import Proxy as SocksProxy
except ImportError:  # pragma: no cover
    _socks_available = False
else:
    _socks_available = True

    # Version of SOCKS, and whether the proxy resolves the name of the server.
    _socks_schemes = {
        "socks5h": (ProxyType.SOCKS5, True),
        "socks5": (ProxyType.SOCKS5, False),
        "socks4a": (ProxyType.SOCKS4, True),
        "socks4": (ProxyType.SOCKS4, False),
    }
    SOCKS_PROXY_TYPES = {key: value[0] for key, value in _socks_schemes.items()}
    SOCKS_PROXY_RDNS = {key: value[1] for key, value in _socks_schemes.items()}


async def connect_socks_proxy(
    proxy: Proxy, ws_uri: WebSocketURI, **kwargs: Any
) -> socket.socket:
    """
    Connect to the server of ``ws_uri`` through a SOCKS proxy.

    Raises:
        ImportError: If python-socks isn't installed.
        ProxyError: If the proxy refuses or doesn't speak SOCKS.
        OSError: If connecting to the proxy fails or times out.

    """
    if not _socks_available:  # pragma: no cover
        raise ImportError("connecting through a SOCKS proxy requires python-socks")
    socks_proxy = SocksProxy(
        proxy_type=SOCKS_PROXY_TYPES[proxy.scheme],
        host=proxy.host,
        port=proxy.port,
        username=proxy.username,
        password=proxy.password,
        rdns=SOCKS_PROXY_RDNS[proxy.scheme],
    )
    # Network failures stay OSError, as when connecting directly; refusals
    # and replies that aren't SOCKS become ProxyError.
    try:
        sock: socket.socket = await socks_proxy.connect(
            ws_uri.host, ws_uri.port, **kwargs
        )
    except OSError:
        raise
    except Exception as exc:
        raise ProxyError("failed to connect to SOCKS proxy") from exc
    return sock


# HTTP proxies


class HTTPProxyConnection(asyncio.Protocol):
    """
    Ask an HTTP proxy for a tunnel to the server of ``ws_uri``.

    :attr:`response` completes with the response of the proxy to
    ``CONNECT``. After a 2xx response, the transport leads to the server, and
    the WebSocket connection takes it over.

    """

    def __init__(
        self, ws_uri: WebSocketURI, proxy: Proxy, user_agent_header: _UserAgent = None
    ) -> None:
        self.ws_uri = ws_uri
        self.proxy = proxy
        self.user_agent_header = user_agent_header
        self.parser = ConnectResponseParser()
        self.response: asyncio.Future[Response] = (
            asyncio.get_running_loop().create_future()
        )
        self.transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(
            prepare_connect_request(self.proxy, self.ws_uri, self.user_agent_header)
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.response.done():
            return
        # As in the threading client: whatever broke the connection, the
        # proxy's answer is missing.
        failure = InvalidProxyMessage(
            "did not receive a valid HTTP response from proxy"
        )
        failure.__cause__ = exc
        self.response.set_exception(failure)

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)
        self.run_parser()

    def run_parser(self) -> None:
        """Parse what was received; complete :attr:`response` when possible."""
        if self.response.done():
            return
        try:
            response = self.parser.parse()
        except InvalidProxyMessage as exc:
            self.response.set_exception(exc)
        else:
            if response is not None:
                self.response.set_result(response)

    def eof_received(self) -> None:
        self.parser.feed_eof()
        self.run_parser()


async def connect_http_proxy(
    proxy: Proxy,
    ws_uri: WebSocketURI,
    *,
    user_agent_header: _UserAgent = None,
    **kwargs: Any,
) -> asyncio.Transport:
    """
    Open a tunnel to the server of ``ws_uri`` through an HTTP proxy.

    Args:
        kwargs: Passed to :meth:`~asyncio.loop.create_connection`, such as
            ``ssl`` for an ``https://`` proxy.

    Returns:
        The transport at the end of the tunnel.

    Raises:
        InvalidProxyStatus: If the proxy refuses.
        InvalidProxyMessage: If the proxy's response isn't valid HTTP.

    """
    transport, protocol = await asyncio.get_running_loop().create_connection(
        lambda: HTTPProxyConnection(ws_uri, proxy, user_agent_header),
        proxy.host,
        proxy.port,
        **kwargs,
    )
    try:
        response = await protocol.response
        if not 200 <= response.status_code < 300:
            raise InvalidProxyStatus(response)
    except BaseException:
        transport.close()
        raise
    return transport

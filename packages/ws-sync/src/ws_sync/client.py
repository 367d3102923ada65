"""
Client side with threads: :func:`connect`, :func:`unix_connect`,
:func:`reconnect` and :class:`ClientConnection`.

The asyncio client, :mod:`ws_asyncio.client`, is laid out the same way, step
for step.

"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import threading
import time
import traceback
import warnings
from collections.abc import Generator, Iterator, Sequence
from ssl import SSLContext, create_default_context
from typing import Any, Callable, Literal, NamedTuple, TypeVar, cast

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

from .connection import Connection
from .tls import TLSSocket
from .utils import Deadline


# Durations in seconds; None means no limit.
_Seconds = float | None
# A limit, or a (high, low) pair of water marks; None means no limit.
_QueueLimit = int | None | tuple[int | None, int | None]
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

__all__ = ["ClientConnection", "connect", "unix_connect"]

MAX_REDIRECTS = int(os.environ.get("WEBSOCKETS_MAX_REDIRECTS", "10"))
"""How many times :func:`connect` connects at most, redirects included."""

SSLSSLSocket = TLSSocket
"""Former name of :class:`~ws_sync.tls.TLSSocket`."""

# Type variables that this module exports for annotations.
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class _ConnectionOptions(NamedTuple):
    """
    The keyword arguments of :class:`ClientConnection`, in the order of its
    signature. :func:`connect` gathers them once for all its attempts.

    """

    ping_interval: _Seconds
    ping_timeout: _Seconds
    close_timeout: _Seconds
    max_queue: _QueueLimit


class ClientConnection(Connection):
    """
    Client end of a WebSocket connection, run by threads.

    :func:`connect` returns one once the opening handshake succeeded. Use the
    methods of :class:`~ws_sync.connection.Connection`: :meth:`recv`,
    :meth:`send`, ``for message in websocket``, :meth:`ping`, :meth:`close`.

    Args:
        sock: Socket connected to the server.
        protocol: Sans-I/O client protocol.

    The keyword arguments are described in :func:`connect`.

    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: ClientProtocol,
        *,
        ping_interval: _Seconds = 20,
        ping_timeout: _Seconds = 20,
        close_timeout: _Seconds = 10,
        max_queue: _QueueLimit = 16,
    ) -> None:
        self.protocol: ClientProtocol
        # Set once the response arrived or the connection ended without one.
        # The base class starts reading, so it must exist before.
        self.response_rcvd = threading.Event()
        options = _ConnectionOptions(
            ping_interval, ping_timeout, close_timeout, max_queue
        )
        super().__init__(sock, protocol, **options._asdict())

    def process_event(self, event: Event) -> None:
        # The protocol delivers the response first, then only frames.
        if isinstance(event, Response):
            self.response = event
            self.response_rcvd.set()
        else:
            super().process_event(event)

    def recv_events(self) -> None:
        try:
            super().recv_events()
        finally:
            # Don't leave handshake() waiting for a response that can't come.
            self.response_rcvd.set()

    def handshake(
        self,
        additional_headers: HeadersLike | None = None,
        user_agent_header: _UserAgent = USER_AGENT,
        timeout: _Seconds = None,
    ) -> None:
        """
        Send the opening request and wait for the response.

        Args:
            additional_headers: Headers to add to the request.
            user_agent_header: ``User-Agent`` header, unless
                ``additional_headers`` has one; :obj:`None` for none.
            timeout: How long to wait for the response, in seconds.

        Raises:
            InvalidHandshake: If the response is missing, malformed, or
                refuses the connection.
            TimeoutError: If the response doesn't arrive in time.

        """
        request = self.protocol.connect()
        if additional_headers is not None:
            request.headers.update(additional_headers)
        if user_agent_header is not None:
            request.headers.setdefault("User-Agent", user_agent_header)
        self.request = request

        try:
            with self.send_context(expected_state=CONNECTING):
                self.protocol.send_request(request)
        except ConnectionClosed:
            # The server may answer and close the connection while the
            # request is still going out, as with a redirect: then its
            # answer, below, tells more than the failed write.
            if self.protocol.handshake_exc is None:
                raise

        if not self.response_rcvd.wait(timeout):
            raise TimeoutError("timed out while waiting for handshake response")

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
    logger: LoggerLike | None

    def __call__(self, sock: socket.socket, ws_uri: WebSocketURI) -> ClientConnection:
        protocol = ClientProtocol(
            ws_uri,
            origin=self.origin,
            extensions=self.extensions,
            subprotocols=self.subprotocols,
            max_size=self.max_size,
            logger=self.logger,
        )
        return self.connection_class(sock, protocol, **self.options)


def connect(
    uri: str,
    *,
    sock: socket.socket | None = None,
    ssl: SSLContext | None = None,
    server_hostname: str | None = None,
    origin: Origin | None = None,
    extensions: _ExtensionOffers = None,
    subprotocols: _SubprotocolOffers = None,
    compression: str | None = "deflate",
    additional_headers: HeadersLike | None = None,
    user_agent_header: _UserAgent = USER_AGENT,
    proxy: _ProxySetting = True,
    proxy_ssl: SSLContext | None = None,
    proxy_server_hostname: str | None = None,
    open_timeout: _Seconds = 10,
    ping_interval: _Seconds = 20,
    ping_timeout: _Seconds = 20,
    close_timeout: _Seconds = 10,
    max_size: _SizeLimit = 2**20,
    max_queue: _QueueLimit = 16,
    logger: LoggerLike | None = None,
    create_connection: type[ClientConnection] | None = None,
    **kwargs: Any,
) -> ClientConnection:
    """
    Connect to the WebSocket server at ``uri``.

    The connection returned is open; use it as a context manager to close it
    on exit::

        with connect("wss://example.com/") as websocket:
            websocket.send("hello")

    Redirects (300, 301, 302, 303, 307 and 308 with a ``Location``) are followed,
    but not from ``wss://`` to ``ws://``, nor on a socket given with
    ``sock``, nor to another origin on a Unix socket. Credentials in
    ``additional_headers`` and ``server_hostname`` stay with the first
    origin. :func:`reconnect` connects again whenever the connection is lost.

    Args:
        uri: WebSocket URI, ``ws://`` or ``wss://``, with credentials for HTTP
            Basic Authentication if needed.
        sock: Connected socket to use instead of connecting to the host and
            port of ``uri``.
        ssl: TLS configuration; the default for ``wss://`` is
            :func:`ssl.create_default_context`.
        server_hostname: Name of the server for TLS; defaults to the host of
            ``uri``.
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
        proxy_ssl: TLS configuration for an ``https://`` proxy.
        proxy_server_hostname: Name of an ``https://`` proxy for TLS;
            defaults to its host.
        open_timeout: Time-out for everything up to the end of the opening
            handshake, redirects included, in seconds; :obj:`None` for none.
        ping_interval: Interval between keepalive pings in seconds;
            :obj:`None` disables keepalive.
        ping_timeout: Time-out for the pong that answers a keepalive ping, in
            seconds; :obj:`None` for none.
        close_timeout: Time-out for the closing handshake in seconds;
            :obj:`None` for none.
        max_size: Largest incoming message in bytes, or a ``(message,
            fragment)`` pair; :obj:`None` for no limit.
        max_queue: How many incoming frames may wait for :meth:`recv`
            before reading stops, or a ``(high, low)`` pair; :obj:`None` for
            no limit.
        logger: Logger for the connection; defaults to
            ``logging.getLogger("websockets.client")``.
        create_connection: :class:`ClientConnection` subclass to use.
        kwargs: Passed to :func:`socket.create_connection` or to python-socks.

    Raises:
        InvalidURI: If ``uri`` isn't a valid WebSocket URI.
        InvalidProxy: If ``proxy`` isn't a valid proxy URI.
        OSError: If connecting fails.
        InvalidHandshake: If the opening handshake fails.
        TimeoutError: If opening the connection takes longer than
            ``open_timeout``.

    """
    if ssl is None and "ssl_context" in kwargs:
        ssl = kwargs.pop("ssl_context")
        warnings.warn(
            "ssl_context was renamed to ssl", DeprecationWarning, stacklevel=2
        )

    # unix_connect() passes these; a Unix socket takes a path or a socket.
    unix: bool = kwargs.pop("unix", False)
    path: str | None = kwargs.pop("path", None)
    if unix and (path is None) == (sock is None):
        if path is None:
            raise ValueError("missing path argument")
        raise ValueError("path and sock arguments are incompatible")

    if compression is not None:
        if compression != "deflate":
            raise ValueError(f"unsupported compression: {compression}")
        extensions = enable_client_permessage_deflate(extensions)
    if subprotocols is not None:
        validate_subprotocols(subprotocols)
    if create_connection is None:
        create_connection = ClientConnection
    options = _ConnectionOptions(
        ping_interval, ping_timeout, close_timeout, max_queue
    )._asdict()
    factory = _ConnectionFactory(
        create_connection, options, origin, extensions, subprotocols, max_size, logger
    )

    connector = _Connector(
        uri,
        factory,
        open_timeout,
        additional_headers,
        user_agent_header,
        unix,
        path,
        sock,
        ssl,
        server_hostname,
        proxy,
        proxy_ssl,
        proxy_server_hostname,
        kwargs,
    )
    return connector._open()


@dataclasses.dataclass
class _Connector:
    """
    What :func:`connect` needs once its arguments are checked.

    Its methods match those of :class:`ws_asyncio.client.connect`, with
    :meth:`_open` for ``__await_impl__``.

    """

    uri: str
    factory: Callable[[socket.socket, WebSocketURI], ClientConnection]
    open_timeout: _Seconds
    # HTTP
    additional_headers: HeadersLike | None
    user_agent_header: str | None
    # Network
    unix: bool
    path: str | None
    sock: socket.socket | None
    ssl: SSLContext | None
    server_hostname: str | None
    proxy: _ProxySetting
    proxy_ssl: SSLContext | None
    proxy_server_hostname: str | None
    socket_kwargs: dict[str, Any]

    @property
    def ws_uri(self) -> WebSocketURI:
        """:attr:`uri`, parsed; following a redirect changes it."""
        return parse_uri(self.uri)

    def open_tcp_connection(self, deadline: Deadline) -> ClientConnection:
        """
        Connect to the server of :attr:`uri`, with TLS for ``wss://``.

        Returns:
            The connection, before the opening handshake.

        """
        ws_uri = self.ws_uri
        ssl = self.ssl
        if ws_uri.secure:
            if ssl is None:
                ssl = create_default_context()
        elif ssl is not None:
            raise ValueError("ssl argument is incompatible with a ws:// URI")

        if self.unix or self.sock is not None:
            proxy = None
        elif self.proxy is True:
            proxy = get_proxy(ws_uri)
        else:
            proxy = self.proxy

        sock = self.sock
        if sock is None:
            if self.unix:
                assert self.path is not None  # connect() checked it
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(deadline.timeout())
                    sock.connect(self.path)
                except BaseException:
                    sock.close()
                    raise
            elif proxy is None:
                kwargs = {"timeout": deadline.timeout(), **self.socket_kwargs}
                sock = socket.create_connection((ws_uri.host, ws_uri.port), **kwargs)
            else:
                parsed = parse_proxy(proxy)
                if parsed.scheme.startswith("socks"):
                    sock = connect_socks_proxy(
                        parsed, ws_uri, deadline, **self.socket_kwargs
                    )
                else:
                    if parsed.scheme == "http" and self.proxy_ssl is not None:
                        raise ValueError(
                            "proxy_ssl argument is incompatible with an http:// proxy"
                        )
                    sock = connect_http_proxy(
                        parsed,
                        ws_uri,
                        deadline,
                        ssl=self.proxy_ssl,
                        server_hostname=self.proxy_server_hostname,
                        user_agent_header=self.user_agent_header,
                        **self.socket_kwargs,
                    )
            sock.settimeout(None)

        try:
            if sock.family != getattr(socket, "AF_UNIX", None):
                # Send small frames at once rather than wait for an ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
            if ssl is not None:
                sock.settimeout(deadline.timeout())
                server_hostname = self.server_hostname
                if server_hostname is None:
                    server_hostname = ws_uri.host
                sock = cast(socket.socket, TLSSocket(sock, ssl, server_hostname))
                sock.settimeout(None)
            return self.factory(sock, ws_uri)
        except BaseException:
            sock.close()
            raise

    def process_redirect(self, exc: Exception) -> Exception | str:
        """
        Tell whether the failure ``exc`` is a redirect to follow.

        Returns:
            The URI to connect to, or the exception to raise.

        """
        return process_redirect(
            exc,
            self.uri,
            sock=self.sock is not None,
            unix=self.unix,
        )

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
            self.server_hostname = None
        self.uri = new_uri

    def _open(self) -> ClientConnection:
        """Connect and run the opening handshake, following redirects."""
        deadline = Deadline(self.open_timeout)
        for _ in range(MAX_REDIRECTS):
            connection = self.open_tcp_connection(deadline)
            try:
                connection.handshake(
                    self.additional_headers, self.user_agent_header, deadline.timeout()
                )
            except BaseException as exc:
                # Nothing of a failed attempt is reused, not even for a
                # redirect to the same server.
                connection.close_socket()
                connection.recv_events_thread.join()
                if not isinstance(exc, Exception):
                    raise
                self._redirect(exc)
            else:
                break
        else:
            raise SecurityError(f"more than {MAX_REDIRECTS} redirects")
        connection.start_keepalive()
        return connection


def unix_connect(
    path: str | None = None, uri: str | None = None, **kwargs: Any
) -> ClientConnection:
    """
    Open a WebSocket connection over a Unix socket.

    It takes the keyword arguments of :func:`connect`.

    Args:
        path: Path of the Unix socket; or give a connected ``sock``.
        uri: URI for the opening handshake; defaults to ``ws://localhost/``,
            or to ``wss://localhost/`` when ``ssl`` is given.

    """
    if uri is None:
        secure = any(kwargs.get(key) is not None for key in ("ssl", "ssl_context"))
        uri = "wss://localhost/" if secure else "ws://localhost/"
    return connect(uri=uri, unix=True, path=path, **kwargs)


def reconnect(
    uri: str,
    *,
    process_exception: _RetryPolicy = process_exception,
    **kwargs: Any,
) -> Generator[ClientConnection]:
    """
    Connect to ``uri`` again and again.

    Each iteration yields an open connection, and closes it when the next
    iteration starts::

        for websocket in reconnect("wss://example.com/"):
            try:
                for message in websocket:
                    ...
            except ConnectionClosed:
                continue

    After a failure to connect, ``process_exception`` decides whether to try
    again. Tries are spaced by random, growing delays (:rfc:`6455#section-7.2.3`),
    which start over after a connection that opened.

    Args:
        uri: WebSocket URI.
        process_exception: Returns :obj:`None` for failures worth another
            try, and the exception to raise for the others; see
            :func:`process_exception`.
        kwargs: Passed to :func:`connect`.

    """
    logger = kwargs.get("logger")
    if logger is None:
        logger = logging.getLogger("websockets.client")
    # Created at the first failure, dropped after each success.
    delays: Iterator[float] | None = None
    while True:
        try:
            connection = connect(uri, **kwargs)
        except Exception as exc:
            _raise_unless_retried(exc, process_exception)
            if delays is None:
                delays = backoff()
            delay = next(delays, None)
            if delay is None:
                raise exc from None
            _log_retry(logger, exc, delay)
            time.sleep(delay)
            continue
        delays = None
        try:
            yield connection
        finally:
            connection.close()


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


# SOCKS proxies

try:
    from python_socks import ProxyType
    from python_socks.sync import Proxy as SocksProxy
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


def connect_socks_proxy(
    proxy: Proxy, ws_uri: WebSocketURI, deadline: Deadline, **kwargs: Any
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
    kwargs.setdefault("timeout", deadline.timeout())
    # Network failures stay OSError, as when connecting directly; refusals
    # and replies that aren't SOCKS become ProxyError.
    try:
        sock: socket.socket = socks_proxy.connect(ws_uri.host, ws_uri.port, **kwargs)
    except OSError:
        raise
    except Exception as exc:
        raise ProxyError("failed to connect to SOCKS proxy") from exc
    return sock


# HTTP proxies


def read_connect_response(sock: socket.socket, deadline: Deadline) -> Response:
    """
    Read the response of an HTTP proxy to ``CONNECT``.

    Raises:
        InvalidProxyMessage: If the response isn't valid HTTP or the
            connection fails before its end.
        TimeoutError: If the response doesn't arrive before the deadline.

    """
    parser = ConnectResponseParser()
    try:
        with _proxy_response_errors():
            while (response := parser.parse()) is None:
                sock.settimeout(deadline.timeout())
                if chunk := sock.recv(4096):
                    parser.feed_data(chunk)
                else:
                    parser.feed_eof()
    finally:
        sock.settimeout(None)
    return response


@contextlib.contextmanager
def _proxy_response_errors() -> Iterator[None]:
    """
    Report what goes wrong while reading the response of a proxy as the
    errors of :func:`read_connect_response`.

    """
    try:
        yield
    except TimeoutError:
        raise TimeoutError("timed out while connecting to HTTP proxy") from None
    except InvalidProxyMessage:
        raise
    except Exception as exc:
        # Such as a connection reset: the response can't be complete.
        raise InvalidProxyMessage(
            "did not receive a valid HTTP response from proxy"
        ) from exc


def connect_http_proxy(
    proxy: Proxy,
    ws_uri: WebSocketURI,
    deadline: Deadline,
    *,
    user_agent_header: _UserAgent = None,
    ssl: SSLContext | None = None,
    server_hostname: str | None = None,
    **kwargs: Any,
) -> socket.socket:
    """
    Open a tunnel to the server of ``ws_uri`` through an HTTP proxy.

    Args:
        ssl: TLS configuration for an ``https://`` proxy.
        server_hostname: Name of an ``https://`` proxy for TLS; defaults to
            its host.
        kwargs: Passed to :func:`socket.create_connection`.

    Returns:
        The socket at the end of the tunnel.

    Raises:
        InvalidProxyStatus: If the proxy refuses.
        InvalidProxyMessage: If the proxy's response isn't valid HTTP.

    """
    options = {"timeout": deadline.timeout(), **kwargs}
    sock = socket.create_connection((proxy.host, proxy.port), **options)
    try:
        if proxy.scheme == "https":
            context = create_default_context() if ssl is None else ssl
            name = proxy.host if server_hostname is None else server_hostname
            sock = cast(socket.socket, TLSSocket(sock, context, name))
        sock.sendall(prepare_connect_request(proxy, ws_uri, user_agent_header))
        response = read_connect_response(sock, deadline)
        if not 200 <= response.status_code < 300:
            raise InvalidProxyStatus(response)
    except BaseException:
        sock.close()
        raise
    return sock

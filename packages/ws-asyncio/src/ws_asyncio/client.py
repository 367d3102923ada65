"""
The asyncio WebSocket client: :func:`connect`, :func:`unix_connect` and
:class:`ClientConnection`, with redirects, proxies and reconnection.

"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl as ssl_module
import sys
import traceback
from collections.abc import AsyncIterator, Generator, Sequence
from types import TracebackType
from typing import Any, Callable, Literal, cast

from ws_deflate.permessage_deflate import enable_client_permessage_deflate
from ws_frames.exceptions import (
    InvalidMessage,
    InvalidProxyMessage,
    InvalidProxyStatus,
    InvalidStatus,
    ProxyError,
    SecurityError,
)
from ws_frames.extensions import ClientExtensionFactory
from ws_frames.protocol import CONNECTING, Event
from ws_frames.typing import LoggerLike, Origin, Subprotocol
from ws_http.client import ClientProtocol, backoff
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


if sys.version_info >= (3, 11):  # pragma: no branch
    pass
else:  # pragma: no cover
    pass


__all__ = ["connect", "unix_connect", "ClientConnection"]

MAX_REDIRECTS = int(os.environ.get("WEBSOCKETS_MAX_REDIRECTS", "10"))

# 300 Multiple Choices, 301 Moved Permanently, 302 Found, 303 See Other,
# 307 Temporary Redirect, 308 Permanent Redirect.
REDIRECT_STATUSES = frozenset([300, 301, 302, 303, 307, 308])


class ClientConnection(Connection):
    """
    Client side of a WebSocket connection, with the opening handshake.

    Applications get one from :func:`connect` and use the methods of
    :class:`~ws_asyncio.connection.Connection`: :meth:`recv`, :meth:`send`,
    ``async for message in websocket``, :meth:`ping`, :meth:`close`.

    Args:
        protocol: Sans-I/O client protocol.

    The keyword arguments are described in :func:`connect`.

    """

    def __init__(
        self,
        protocol: ClientProtocol,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None | tuple[int | None, int | None] = 16,
        write_limit: int | tuple[int, int | None] = 2**15,
    ) -> None:
        self.protocol: ClientProtocol
        super().__init__(
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            write_limit=write_limit,
        )
        self.response_rcvd: asyncio.Future[None] = self.loop.create_future()

    async def handshake(
        self,
        additional_headers: HeadersLike | None = None,
        user_agent_header: str | None = USER_AGENT,
    ) -> None:
        """
        Perform the opening handshake.

        Raises:
            InvalidHandshake: If the server rejects the handshake or answers
                with something that isn't a valid handshake response.

        """
        async with self.send_context(expected_state=CONNECTING):
            self.request = self.protocol.connect()
            if additional_headers is not None:
                self.request.headers.update(additional_headers)
            if user_agent_header is not None:
                self.request.headers.setdefault("User-Agent", user_agent_header)
            self.protocol.send_request(self.request)

        await asyncio.wait(
            [self.response_rcvd, self.connection_lost_waiter],
            return_when=asyncio.FIRST_COMPLETED,
        )

        # handshake_exc is set when the connection is lost before a response
        # arrives, when the response can't be parsed, and when it refuses or
        # botches the handshake.
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc
        if self.response is None:  # pragma: no cover
            raise InvalidMessage("connection closed during opening handshake")

    def process_event(self, event: Event) -> None:
        """Process one incoming event: the response, then frames."""
        if self.response is None:
            assert isinstance(event, Response)
            self.response = event
            self.response_rcvd.set_result(None)
        else:
            super().process_event(event)


def process_exception(exc: Exception) -> Exception | None:
    """
    Tell whether a failed connection attempt is worth retrying.

    ``async for websocket in connect(...)`` calls it after each failure.
    Transient failures are retried: network errors (:exc:`EOFError`,
    :exc:`OSError`, time-outs), a server that closed the connection during
    the handshake, and 500, 502, 503 or 504 responses. Anything else, a 404
    or a 401 for instance, won't get better by retrying.

    Pass another function as ``process_exception`` to :func:`connect` to
    change the policy.

    Args:
        exc: Why the attempt failed.

    Returns:
        :obj:`None` to retry, or the exception to raise: ``exc`` or another.

    """
    if isinstance(exc, (EOFError, OSError, asyncio.TimeoutError)):
        return None
    if isinstance(exc, InvalidMessage) and isinstance(exc.__cause__, EOFError):
        return None
    if isinstance(exc, InvalidStatus):
        if exc.response.status_code in (500, 502, 503, 504):
            return None
    return exc


# A class, for await, async with and async for; named like the function
# that it stands for.
class connect:
    """
    Connect to the WebSocket server at ``uri``.

    Await it to get a :class:`ClientConnection`, or use it as an async
    context manager that closes the connection on exit::

        async with connect("wss://example.com/") as websocket:
            await websocket.send("hello")

    Iterated with ``async for``, it reconnects whenever the connection is
    lost, and retries failed attempts after randomized, exponentially
    growing delays (:rfc:`6455#section-7.2.3`) until
    ``process_exception`` says that a failure is fatal::

        async for websocket in connect("wss://example.com/"):
            try:
                async for message in websocket:
                    ...
            except ConnectionClosed:
                continue

    Redirects (300, 301, 302, 303, 307 and 308 with a ``Location``) are
    followed, up to ``MAX_REDIRECTS``, but never from ``wss`` to ``ws``;
    credentials in ``uri`` are only sent to its origin.

    Args:
        uri: WebSocket URI, ``ws://`` or ``wss://``, with credentials for
            HTTP Basic Authentication if needed.
        origin: ``Origin`` header to send.
        extensions: Extensions to offer, in order of preference.
        subprotocols: Subprotocols to offer, in order of preference.
        compression: ``"deflate"`` (the default) offers permessage-deflate;
            :obj:`None` offers no compression.
        additional_headers: Extra request headers.
        user_agent_header: ``User-Agent`` header; :obj:`None` omits it.
        proxy: :obj:`True` (the default) uses the proxy configured in the
            environment, if any; a URI such as ``http://proxy:3128`` or
            ``socks5h://proxy:1080`` uses that proxy; :obj:`None` connects
            directly. SOCKS proxies require python-socks.
        process_exception: Decides which failures are retried when
            reconnecting; see :func:`process_exception`.
        open_timeout: Time-out for the TCP connection, the TLS and proxy
            handshakes and the opening handshake, in seconds, redirects
            included; :obj:`None` disables it.
        ping_interval: Interval between keepalive pings, in seconds;
            :obj:`None` disables keepalive.
        ping_timeout: Time-out for keepalive pongs, in seconds; when it
            elapses, the connection fails with code 1011. :obj:`None`
            disables it.
        close_timeout: Time-out for the closing handshake, in seconds;
            :obj:`None` disables it.
        reconnect_delays: Generator function of the delays between
            reconnection attempts.
        max_size: Largest message accepted, in bytes, or a ``(message,
            fragment)`` pair of limits; :obj:`None` disables the limit.
        max_queue: How many incoming frames may wait for :meth:`recv`
            before reading from the network stops, or a ``(high, low)``
            pair of marks; :obj:`None` disables flow control.
        write_limit: High-water mark of the write buffer in bytes, or a
            ``(high, low)`` pair; above it, :meth:`send` waits.
        logger: Logger for this connection; defaults to
            ``logging.getLogger("websockets.client")``.
        create_connection: :class:`ClientConnection` subclass to use.

    Other keyword arguments go to :meth:`~asyncio.loop.create_connection`:
    ``ssl`` (a :class:`~ssl.SSLContext`), ``server_hostname``, ``host`` and
    ``port`` (to reach another address than the URI's, which still names the
    server in ``Host`` and for TLS), ``sock`` (an already connected socket),
    and so on. Through an HTTP proxy, ``ssl``, ``server_hostname`` and
    ``ssl_*`` options apply to TLS with the WebSocket server; options
    prefixed with ``proxy_``, such as ``proxy_ssl``, and all the others,
    apply to the connection to the proxy.

    Raises:
        InvalidURI: If ``uri`` isn't a valid WebSocket URI.
        InvalidProxy: If ``proxy`` isn't a valid proxy URI.
        OSError: If the TCP connection fails.
        InvalidHandshake: If the opening handshake fails.
        TimeoutError: If the opening handshake times out.

    """

    def __init__(
        self,
        uri: str,
        *,
        origin: Origin | None = None,
        extensions: Sequence[ClientExtensionFactory] | None = None,
        subprotocols: Sequence[Subprotocol] | None = None,
        compression: str | None = "deflate",
        additional_headers: HeadersLike | None = None,
        user_agent_header: str | None = USER_AGENT,
        proxy: str | Literal[True] | None = True,
        process_exception: Callable[[Exception], Exception | None] = process_exception,
        open_timeout: float | None = 10,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        reconnect_delays: Callable[[], Generator[float]] = backoff,
        max_size: int | None | tuple[int | None, int | None] = 2**20,
        max_queue: int | None | tuple[int | None, int | None] = 16,
        write_limit: int | tuple[int, int | None] = 2**15,
        logger: LoggerLike | None = None,
        create_connection: type[ClientConnection] | None = None,
        **kwargs: Any,
    ) -> None:
        self.uri = uri

        if subprotocols is not None:
            validate_subprotocols(subprotocols)

        if compression == "deflate":
            extensions = enable_client_permessage_deflate(extensions)
        elif compression is not None:
            raise ValueError(f"unsupported compression: {compression}")

        if logger is None:
            logger = logging.getLogger("websockets.client")

        if create_connection is None:
            create_connection = ClientConnection

        connection_class = create_connection

        def factory(uri: WebSocketURI) -> ClientConnection:
            protocol = ClientProtocol(
                uri,
                origin=origin,
                extensions=extensions,
                subprotocols=subprotocols,
                max_size=max_size,
                logger=logger,
            )
            connection = connection_class(
                protocol,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_queue=max_queue,
                write_limit=write_limit,
            )
            return connection

        self.proxy = proxy
        self.factory = factory
        self.additional_headers = additional_headers
        self.user_agent_header = user_agent_header
        self.process_exception = process_exception
        self.open_timeout = open_timeout
        self.reconnect_delays = reconnect_delays
        self.logger = logger
        self.create_connection_kwargs = kwargs
        self.connection: ClientConnection

    @property
    def ws_uri(self) -> WebSocketURI:
        """The parsed :attr:`uri`, which may change while following redirects."""
        return parse_uri(self.uri)

    async def open_tcp_connection(self) -> ClientConnection:
        """Create TCP or Unix connection, through a proxy if needed."""
        loop = asyncio.get_running_loop()
        kwargs = self.create_connection_kwargs.copy()

        ws_uri = parse_uri(self.uri)

        proxy = self.proxy
        if kwargs.get("unix", False):
            proxy = None
        if kwargs.get("sock") is not None:
            proxy = None
        if proxy is True:
            proxy = get_proxy(ws_uri)

        def factory() -> BufferedReader:
            return BufferedReader(self.factory(ws_uri))

        if ws_uri.secure:
            kwargs.setdefault("ssl", True)
            kwargs.setdefault("server_hostname", ws_uri.host)
            if kwargs.get("ssl") is None:
                raise ValueError("ssl=None is incompatible with a wss:// URI")
        else:
            if kwargs.get("ssl") is not None:
                raise ValueError("ssl argument is incompatible with a ws:// URI")

        if kwargs.pop("unix", False):
            _, reader = await loop.create_unix_connection(factory, **kwargs)
        elif proxy is not None:
            proxy_parsed = parse_proxy(proxy)
            if proxy_parsed.scheme[:5] == "socks":
                sock = await connect_socks_proxy(
                    proxy_parsed,
                    ws_uri,
                    local_addr=kwargs.pop("local_addr", None),
                )
                _, reader = await loop.create_connection(
                    factory,
                    sock=sock,
                    **kwargs,
                )
            elif proxy_parsed.scheme[:4] == "http":
                # TLS options are for the WebSocket server, behind the tunnel;
                # the others are for the connection to the proxy.
                all_kwargs, proxy_kwargs, kwargs = kwargs, {}, {}
                for key, value in all_kwargs.items():
                    if key.startswith("ssl") or key == "server_hostname":
                        kwargs[key] = value
                    elif key.startswith("proxy_"):
                        proxy_kwargs[key[6:]] = value
                    else:
                        proxy_kwargs[key] = value
                if proxy_parsed.scheme == "https":
                    proxy_kwargs.setdefault("ssl", True)
                    if proxy_kwargs.get("ssl") is None:
                        raise ValueError(
                            "proxy_ssl=None is incompatible with an https:// proxy"
                        )
                else:
                    if proxy_kwargs.get("ssl") is not None:
                        raise ValueError(
                            "proxy_ssl argument is incompatible with an http:// proxy"
                        )
                transport = await connect_http_proxy(
                    proxy_parsed,
                    ws_uri,
                    user_agent_header=self.user_agent_header,
                    **proxy_kwargs,
                )
                # The tunnel is open: the WebSocket connection takes it over.
                reader = factory()
                transport.set_protocol(reader)
                ssl = kwargs.pop("ssl", None)
                if ssl is True:
                    ssl = ssl_module.create_default_context()
                if ssl is not None:
                    # Python 3.10 doesn't know ssl_shutdown_timeout: pass
                    # only the options that were given.
                    tls_kwargs = {
                        key: kwargs[key]
                        for key in ("ssl_handshake_timeout", "ssl_shutdown_timeout")
                        if key in kwargs
                    }
                    new_transport = await loop.start_tls(
                        transport,
                        reader,
                        ssl,
                        server_hostname=kwargs.pop("server_hostname", None),
                        **tls_kwargs,
                    )
                    assert new_transport is not None  # help mypy
                    transport = new_transport
                reader.connection_made(transport)
            else:
                raise AssertionError("unsupported proxy")  # pragma: no cover
        else:
            if kwargs.get("sock") is None:
                kwargs.setdefault("host", ws_uri.host)
                kwargs.setdefault("port", ws_uri.port)
            _, reader = await loop.create_connection(factory, **kwargs)
        # The factory made it from self.factory, which builds ClientConnections.
        return cast(ClientConnection, reader.connection)

    def process_redirect(self, exc: Exception) -> Exception | str:
        """
        Determine whether a connection error is a redirect that can be followed.

        Return the new URI if it's a valid redirect. Else, return an exception.

        Credentials never travel to another origin: they come from the URI,
        and a ``Location`` pointing elsewhere must carry its own.

        """
        new_uri = process_redirect(
            exc,
            self.uri,
            statuses=REDIRECT_STATUSES,
            sock=self.create_connection_kwargs.get("sock") is not None,
            unix=self.create_connection_kwargs.get("unix", False),
        )
        if isinstance(new_uri, Exception):
            return new_uri

        # Another origin: the redirect must be reachable the same way.
        if not same_origin(parse_uri(self.uri), parse_uri(new_uri)) and (
            self.create_connection_kwargs.get("host") is not None
            or self.create_connection_kwargs.get("port") is not None
        ):
            return ValueError(
                f"cannot follow cross-origin redirect to {new_uri} "
                f"with an explicit host or port"
            )

        return new_uri

    def __await__(self) -> Generator[Any, None, ClientConnection]:
        return self.__await_impl__().__await__()

    async def __await_impl__(self) -> ClientConnection:
        try:
            async with asyncio_timeout(self.open_timeout):
                for _ in range(MAX_REDIRECTS):
                    self.connection = await self.open_tcp_connection()
                    try:
                        await self.connection.handshake(
                            self.additional_headers,
                            self.user_agent_header,
                        )
                    except asyncio.CancelledError:
                        self.connection.transport.abort()
                        raise
                    except Exception as exc:
                        # Always close the connection: a redirect starts over
                        # with a new network connection and a new protocol.
                        self.connection.transport.abort()

                        uri_or_exc = self.process_redirect(exc)
                        if isinstance(uri_or_exc, str):
                            if not same_origin(
                                parse_uri(self.uri), parse_uri(uri_or_exc)
                            ):
                                self.additional_headers = without_credentials(
                                    self.additional_headers
                                )
                            self.uri = uri_or_exc
                            continue
                        if uri_or_exc is exc:
                            raise
                        else:
                            raise uri_or_exc from exc

                    else:
                        self.connection.start_keepalive()
                        return self.connection
                else:
                    raise SecurityError(f"more than {MAX_REDIRECTS} redirects")

        except TimeoutError as exc:
            raise TimeoutError("timed out during opening handshake") from exc

    __iter__ = __await__

    async def __aenter__(self) -> ClientConnection:
        return await self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.connection.close()

    async def __aiter__(self) -> AsyncIterator[ClientConnection]:
        delays: Generator[float] | None = None
        while True:
            try:
                async with self as protocol:
                    yield protocol
            except Exception as exc:
                # process_exception returns an exception or None; raising
                # one is treated the same as returning it.
                try:
                    new_exc = self.process_exception(exc)
                except Exception as raised_exc:
                    new_exc = raised_exc

                if new_exc is exc:
                    raise
                if new_exc is not None:
                    raise new_exc from exc

                if delays is None:
                    delays = self.reconnect_delays()
                try:
                    delay = next(delays)
                except StopIteration:
                    raise exc from None
                self.logger.info(
                    "connect failed; reconnecting in %.1f seconds: %s",
                    delay,
                    traceback.format_exception_only(exc)[0].strip(),
                )
                await asyncio.sleep(delay)
                continue

            else:
                # Backoff starts over after a connection that worked.
                delays = None


def unix_connect(
    path: str | None = None,
    uri: str | None = None,
    **kwargs: Any,
) -> connect:
    """
    Connect to a WebSocket server on a Unix socket.

    It takes the keyword arguments of :func:`connect`.

    Args:
        path: Path of the Unix socket.
        uri: URI for the handshake; defaults to ``ws://localhost/``, or to
            ``wss://localhost/`` when ``ssl`` is given.

    """
    if uri is None:
        if kwargs.get("ssl") is None:
            uri = "ws://localhost/"
        else:
            uri = "wss://localhost/"
    return connect(uri=uri, unix=True, path=path, **kwargs)


try:
    from python_socks import ProxyType
    from python_socks.async_.asyncio import Proxy as SocksProxy

except ImportError:  # pragma: no cover

    async def connect_socks_proxy(
        proxy: Proxy,
        ws_uri: WebSocketURI,
        **kwargs: Any,
    ) -> socket.socket:
        raise ImportError("connecting through a SOCKS proxy requires python-socks")

else:
    SOCKS_PROXY_TYPES = {
        "socks5h": ProxyType.SOCKS5,
        "socks5": ProxyType.SOCKS5,
        "socks4a": ProxyType.SOCKS4,
        "socks4": ProxyType.SOCKS4,
    }

    SOCKS_PROXY_RDNS = {
        "socks5h": True,
        "socks5": False,
        "socks4a": True,
        "socks4": False,
    }

    async def connect_socks_proxy(
        proxy: Proxy,
        ws_uri: WebSocketURI,
        **kwargs: Any,
    ) -> socket.socket:
        """Connect via a SOCKS proxy and return the socket."""
        socks_proxy = SocksProxy(
            SOCKS_PROXY_TYPES[proxy.scheme],
            proxy.host,
            proxy.port,
            proxy.username,
            proxy.password,
            SOCKS_PROXY_RDNS[proxy.scheme],
        )
        # Network errors stay OSError, as for a direct connection; SOCKS
        # replies refusing the connection become ProxyError.
        try:
            return await socks_proxy.connect(ws_uri.host, ws_uri.port, **kwargs)
        except OSError:
            raise
        except Exception as exc:
            raise ProxyError("failed to connect to SOCKS proxy") from exc


class HTTPProxyConnection(asyncio.Protocol):
    """
    Protocol for the ``CONNECT`` exchange with an HTTP proxy.

    Once the proxy answers 2xx, the transport is a tunnel to the WebSocket
    server and changes hands: the caller sets the WebSocket connection as its
    protocol.

    """

    def __init__(
        self,
        ws_uri: WebSocketURI,
        proxy: Proxy,
        user_agent_header: str | None = None,
    ):
        self.ws_uri = ws_uri
        self.proxy = proxy
        self.user_agent_header = user_agent_header

        self.connect_response = ConnectResponseParser()
        self.reader = self.connect_response.reader
        self.parser = self.connect_response.parser

        loop = asyncio.get_running_loop()
        self.response: asyncio.Future[Response] = loop.create_future()

    def run_parser(self) -> None:
        if self.response.done():
            return
        try:
            response = self.connect_response.parse()
        except InvalidProxyMessage as exc:
            self.response.set_exception(exc)
            return
        if response is None:
            return
        if 200 <= response.status_code < 300:
            self.response.set_result(response)
        else:
            self.response.set_exception(InvalidProxyStatus(response))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        self.transport.write(
            prepare_connect_request(self.proxy, self.ws_uri, self.user_agent_header)
        )

    def data_received(self, data: bytes) -> None:
        self.reader.feed_data(data)
        self.run_parser()

    def eof_received(self) -> None:
        self.reader.feed_eof()
        self.run_parser()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.response.done():
            if exc is None:
                exc = InvalidProxyMessage("connection closed by proxy")
            self.response.set_exception(exc)


async def connect_http_proxy(
    proxy: Proxy,
    ws_uri: WebSocketURI,
    *,
    user_agent_header: str | None = None,
    **kwargs: Any,
) -> asyncio.Transport:
    """Open a tunnel to the WebSocket server through an HTTP proxy."""
    transport, protocol = await asyncio.get_running_loop().create_connection(
        lambda: HTTPProxyConnection(ws_uri, proxy, user_agent_header),
        proxy.host,
        proxy.port,
        **kwargs,
    )

    try:
        await protocol.response
    except Exception:
        transport.close()
        raise

    return transport

"""WebSocket client with threads: :func:`connect`, :func:`unix_connect`."""

from __future__ import annotations

import logging
import os
import socket
import ssl as ssl_module
import threading
import time
import traceback
import warnings
from collections.abc import Generator, Iterator, Sequence
from typing import Any, Callable, Literal, TypeVar, cast

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
from ws_frames.protocol import State
from ws_frames.typing import BytesLike, LoggerLike, Origin, Subprotocol
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

from .connection import Connection
from .utils import Deadline


__all__ = ["connect", "unix_connect", "ClientConnection"]

CONNECTING = State.CONNECTING

MAX_REDIRECTS = int(os.environ.get("WEBSOCKETS_MAX_REDIRECTS", "10"))
"""Maximum number of redirects that :func:`connect` follows."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class ClientConnection(Connection):
    """
    Threaded implementation of a WebSocket client connection.

    :class:`ClientConnection` provides :meth:`recv` and :meth:`send` methods
    for receiving and sending messages. It supports iteration to receive
    messages until the connection closes normally.

    Args:
        socket: Socket connected to a WebSocket server.
        protocol: Sans-I/O connection.

    The other arguments are those of :class:`~ws_sync.connection.Connection`.

    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: ClientProtocol,
        *,
        ping_interval: float | None = 20,
        ping_timeout: float | None = 20,
        close_timeout: float | None = 10,
        max_queue: int | None | tuple[int | None, int | None] = 16,
    ) -> None:
        self.protocol: ClientProtocol
        self.response_rcvd = threading.Event()
        super().__init__(
            sock,
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
        )

    def handshake(
        self,
        additional_headers: HeadersLike | None = None,
        user_agent_header: str | None = USER_AGENT,
        timeout: float | None = None,
    ) -> None:
        """
        Perform the opening handshake.

        Raises:
            InvalidHandshake: If the server rejects the handshake or answers
                something that isn't a valid handshake response.
            TimeoutError: If no response arrives within ``timeout``.

        """
        self.request = self.protocol.connect()
        if additional_headers is not None:
            self.request.headers.update(additional_headers)
        if user_agent_header is not None:
            self.request.headers.setdefault("User-Agent", user_agent_header)

        with self.send_context(expected_state=CONNECTING):
            self.protocol.send_request(self.request)

        if not self.response_rcvd.wait(timeout):
            raise TimeoutError("timed out while waiting for handshake response")

        # handshake_exc is set when the connection is lost before a response
        # arrives, when the response can't be parsed, or when it rejects the
        # handshake.
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc

    def process_event(self, event: Any) -> None:
        """Process one incoming event; the first one is the handshake response."""
        if self.response is None:
            assert isinstance(event, Response)
            self.response = event
            self.response_rcvd.set()
        else:
            super().process_event(event)

    def recv_events(self) -> None:
        """Read the socket; wake up :meth:`handshake` if it ends early."""
        try:
            super().recv_events()
        finally:
            self.response_rcvd.set()


def connect(
    uri: str,
    *,
    # TCP/TLS
    sock: socket.socket | None = None,
    ssl: ssl_module.SSLContext | None = None,
    server_hostname: str | None = None,
    # WebSocket
    origin: Origin | None = None,
    extensions: Sequence[ClientExtensionFactory] | None = None,
    subprotocols: Sequence[Subprotocol] | None = None,
    compression: str | None = "deflate",
    # HTTP
    additional_headers: HeadersLike | None = None,
    user_agent_header: str | None = USER_AGENT,
    proxy: str | Literal[True] | None = True,
    proxy_ssl: ssl_module.SSLContext | None = None,
    proxy_server_hostname: str | None = None,
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
    create_connection: type[ClientConnection] | None = None,
    **kwargs: Any,
) -> ClientConnection:
    """
    Connect to the WebSocket server at ``uri``.

    This function returns a :class:`ClientConnection` instance, which you can
    use to send and receive messages; it's also a context manager that
    closes the connection on exit::

        with connect("ws://localhost:8765") as websocket:
            websocket.send("Hello")

    Redirects (HTTP 301, 302, 303, 307 and 308 with a ``Location`` header)
    are followed, up to :data:`MAX_REDIRECTS` connection attempts, except
    from ``wss://`` to ``ws://``, with a preexisting ``sock``, and to another
    origin through a Unix socket. Credentials in ``additional_headers`` don't
    follow a redirect to another origin.

    Args:
        uri: URI of the WebSocket server.
        sock: Preexisting TCP socket; overrides the host and port of ``uri``.
        ssl: Configuration for enabling TLS on the connection.
        server_hostname: Host name for the TLS handshake; defaults to the
            host of ``uri``.
        origin: Value of the ``Origin`` header, for servers that require it.
        extensions: Supported extensions, in order of negotiation.
        subprotocols: Supported subprotocols, in order of decreasing
            preference.
        compression: ``"deflate"`` enables permessage-deflate (the default);
            :obj:`None` disables it.
        additional_headers: HTTP headers to add to the handshake request.
        user_agent_header: Value of the ``User-Agent`` request header;
            :obj:`None` removes it.
        proxy: Proxy URI; :obj:`True` (the default) reads it from the
            environment; :obj:`None` disables proxies.
        proxy_ssl: TLS configuration for an ``https://`` proxy.
        proxy_server_hostname: Host name for the TLS handshake with the proxy.
        open_timeout: Time-out for opening the connection in seconds,
            covering connecting, TLS, proxy and WebSocket handshakes;
            :obj:`None` disables it.
        ping_interval: Delay between keepalive pings in seconds; :obj:`None`
            disables keepalive.
        ping_timeout: Time-out for keepalive pings in seconds; :obj:`None`
            disables it.
        close_timeout: Time-out for closing the connection in seconds;
            :obj:`None` disables it.
        max_size: Maximum size of incoming messages in bytes, or a
            ``(message, fragment)`` pair; :obj:`None` disables the limit.
        max_queue: High-water mark of the queue of incoming frames, or a
            ``(high, low)`` pair; :obj:`None` disables flow control.
        logger: Logger for this client; defaults to
            ``logging.getLogger("websockets.client")``.
        create_connection: Factory for the :class:`ClientConnection`.
        kwargs: Passed to :func:`socket.create_connection`.

    Raises:
        InvalidURI: If ``uri`` isn't a valid WebSocket URI.
        InvalidProxy: If ``proxy`` isn't a valid proxy.
        OSError: If the TCP connection fails.
        InvalidHandshake: If the opening handshake fails.
        TimeoutError: If the opening handshake times out.

    """
    if ssl is None and "ssl_context" in kwargs:
        ssl = kwargs.pop("ssl_context")
        warnings.warn(  # deprecated in 13.0
            "ssl_context was renamed to ssl",
            DeprecationWarning,
            stacklevel=2,
        )

    ws_uri = parse_uri(uri)
    if not ws_uri.secure and ssl is not None:
        raise ValueError("ssl argument is incompatible with a ws:// URI")

    # Private arguments of unix_connect().
    unix: bool = kwargs.pop("unix", False)
    path: str | None = kwargs.pop("path", None)

    if unix:
        if path is None and sock is None:
            raise ValueError("missing path argument")
        elif path is not None and sock is not None:
            raise ValueError("path and sock arguments are incompatible")

    if subprotocols is not None:
        validate_subprotocols(subprotocols)

    if compression == "deflate":
        extensions = enable_client_permessage_deflate(extensions)
    elif compression is not None:
        raise ValueError(f"unsupported compression: {compression}")

    if unix or sock is not None:
        proxy = None

    if create_connection is None:
        create_connection = ClientConnection

    # One time budget covers name resolution, TCP, proxy, TLS, redirects and
    # the WebSocket handshake.
    deadline = Deadline(open_timeout)

    for _ in range(MAX_REDIRECTS):
        try:
            connection = connect_once(
                ws_uri,
                sock=sock,
                ssl=ssl,
                server_hostname=server_hostname,
                origin=origin,
                extensions=extensions,
                subprotocols=subprotocols,
                additional_headers=additional_headers,
                user_agent_header=user_agent_header,
                proxy=proxy,
                proxy_ssl=proxy_ssl,
                proxy_server_hostname=proxy_server_hostname,
                deadline=deadline,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_size=max_size,
                max_queue=max_queue,
                logger=logger,
                create_connection=create_connection,
                unix=unix,
                path=path,
                socket_kwargs=kwargs,
            )
        except InvalidStatus as exc:
            new_uri = process_redirect(
                exc,
                uri,
                statuses=REDIRECT_STATUSES,
                sock=sock is not None,
                unix=unix,
            )
            if isinstance(new_uri, Exception):
                if new_uri is exc:
                    raise
                raise new_uri from exc
            new_ws_uri = parse_uri(new_uri)
            if not same_origin(ws_uri, new_ws_uri):
                # Credentials and the TLS name of the original server don't
                # apply to another one.
                additional_headers = without_credentials(additional_headers)
                server_hostname = None
            if not new_ws_uri.secure:
                ssl = None
            uri, ws_uri = new_uri, new_ws_uri
        else:
            connection.start_keepalive()
            return connection

    raise SecurityError(f"more than {MAX_REDIRECTS} redirects")


def connect_once(
    ws_uri: WebSocketURI,
    *,
    sock: socket.socket | None,
    ssl: ssl_module.SSLContext | None,
    server_hostname: str | None,
    origin: Origin | None,
    extensions: Sequence[ClientExtensionFactory] | None,
    subprotocols: Sequence[Subprotocol] | None,
    additional_headers: HeadersLike | None,
    user_agent_header: str | None,
    proxy: str | Literal[True] | None,
    proxy_ssl: ssl_module.SSLContext | None,
    proxy_server_hostname: str | None,
    deadline: Deadline,
    ping_interval: float | None,
    ping_timeout: float | None,
    close_timeout: float | None,
    max_size: int | None | tuple[int | None, int | None],
    max_queue: int | None | tuple[int | None, int | None],
    logger: LoggerLike | None,
    create_connection: type[ClientConnection],
    unix: bool,
    path: str | None,
    socket_kwargs: dict[str, Any],
) -> ClientConnection:
    """Open one connection and run the opening handshake, without redirects."""
    if proxy is True:
        proxy = get_proxy(ws_uri)

    try:
        if sock is None:
            if unix:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(deadline.timeout())
                assert path is not None
                sock.connect(path)
            elif proxy is not None:
                proxy_parsed = parse_proxy(proxy)
                if proxy_parsed.scheme[:5] == "socks":
                    sock = connect_socks_proxy(
                        proxy_parsed, ws_uri, deadline, **socket_kwargs
                    )
                elif proxy_parsed.scheme[:4] == "http":
                    if proxy_parsed.scheme != "https" and proxy_ssl is not None:
                        raise ValueError(
                            "proxy_ssl argument is incompatible with an http:// proxy"
                        )
                    sock = connect_http_proxy(
                        proxy_parsed,
                        ws_uri,
                        deadline,
                        user_agent_header=user_agent_header,
                        ssl=proxy_ssl,
                        server_hostname=proxy_server_hostname,
                        **socket_kwargs,
                    )
                else:  # pragma: no cover
                    raise AssertionError("unsupported proxy")
            else:
                kwargs = dict(socket_kwargs)
                kwargs.setdefault("timeout", deadline.timeout())
                sock = socket.create_connection((ws_uri.host, ws_uri.port), **kwargs)
            sock.settimeout(None)

        if sock.family != getattr(socket, "AF_UNIX", None):
            # Small messages must leave at once rather than wait for an ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)

        if ws_uri.secure:
            if ssl is None:
                ssl = ssl_module.create_default_context()
            if server_hostname is None:
                server_hostname = ws_uri.host
            sock.settimeout(deadline.timeout())
            if isinstance(sock, SSLSSLSocket):
                # TLS through a TLS connection to an HTTPS proxy.
                sock = cast(
                    socket.socket,
                    SSLSSLSocket(sock, ssl, server_hostname=server_hostname),
                )
            else:
                sock = cast(
                    socket.socket,
                    SSLSSLSocket(sock, ssl, server_hostname=server_hostname),
                )
            sock.settimeout(None)

        protocol = ClientProtocol(
            ws_uri,
            origin=origin,
            extensions=extensions,
            subprotocols=subprotocols,
            max_size=max_size,
            logger=logger,
        )
        connection = create_connection(
            sock,
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
        )
    except Exception:
        if sock is not None:
            sock.close()
        raise

    try:
        connection.handshake(
            additional_headers,
            user_agent_header,
            deadline.timeout(),
        )
    except Exception:
        connection.close_socket()
        connection.recv_events_thread.join()
        raise

    return connection


def unix_connect(
    path: str | None = None,
    uri: str | None = None,
    **kwargs: Any,
) -> ClientConnection:
    """
    Connect to a WebSocket server listening on a Unix socket.

    This function accepts the same keyword arguments as :func:`connect`. It's
    only available on Unix and mainly useful for debugging servers listening
    on Unix sockets.

    Args:
        path: File system path to the Unix socket.
        uri: URI of the WebSocket server; defaults to ``ws://localhost/``, or
            ``wss://localhost/`` when ``ssl`` is set.

    """
    if uri is None:
        if kwargs.get("ssl") is None and kwargs.get("ssl_context") is None:
            uri = "ws://localhost/"
        else:
            uri = "wss://localhost/"
    return connect(uri=uri, unix=True, path=path, **kwargs)


def process_exception(exc: Exception) -> Exception | None:
    """
    Decide whether :func:`reconnect` retries after an error.

    Network errors, time-outs, a connection closed during the handshake and
    the HTTP statuses 500, 502, 503 and 504 are transient: return
    :obj:`None` to retry. Anything else is returned, to be raised.

    """
    if isinstance(exc, (EOFError, OSError, TimeoutError)):
        return None
    if isinstance(exc, InvalidMessage) and isinstance(exc.__cause__, EOFError):
        return None
    if isinstance(exc, InvalidStatus) and exc.response.status_code in (
        500,  # Internal Server Error
        502,  # Bad Gateway
        503,  # Service Unavailable
        504,  # Gateway Timeout
    ):
        return None
    return exc


def reconnect(
    uri: str,
    *,
    process_exception: Callable[[Exception], Exception | None] = process_exception,
    **kwargs: Any,
) -> Generator[ClientConnection, None, None]:
    """
    Connect again and again, with exponential backoff on transient errors.

    Each iteration yields an open connection; the previous one is closed
    before the next attempt::

        for websocket in reconnect("ws://localhost:8765"):
            try:
                for message in websocket:
                    process(message)
            except ConnectionClosed:
                continue

    Args:
        uri: URI of the WebSocket server.
        process_exception: Decides which errors are retried; see
            :func:`process_exception`.
        kwargs: Passed to :func:`connect`.

    Raises:
        Exception: What ``process_exception`` returns for an error that
            isn't retried.

    """
    logger = kwargs.get("logger")
    if logger is None:
        logger = logging.getLogger("websockets.client")
    delays: Iterator[float] | None = None
    while True:
        try:
            connection = connect(uri, **kwargs)
        except Exception as exc:
            # Raising an exception is the same as returning it.
            try:
                new_exc = process_exception(exc)
            except Exception as raised_exc:
                new_exc = raised_exc
            if new_exc is exc:
                raise
            if new_exc is not None:
                raise new_exc from exc
            if delays is None:
                delays = backoff()
            try:
                delay = next(delays)
            except StopIteration:
                raise exc from None
            logger.info(
                "connect failed; reconnecting in %.1f seconds: %s",
                delay,
                traceback.format_exception_only(exc)[0].strip(),
            )
            time.sleep(delay)
            continue
        # A successful connection resets the backoff.
        delays = None
        try:
            yield connection
        finally:
            connection.close()


# Proxies


try:
    from python_socks import ProxyType
    from python_socks.sync import Proxy as SocksProxy

except ImportError:

    def connect_socks_proxy(
        proxy: Proxy,
        ws_uri: WebSocketURI,
        deadline: Deadline,
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

    def connect_socks_proxy(
        proxy: Proxy,
        ws_uri: WebSocketURI,
        deadline: Deadline,
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
        kwargs.setdefault("timeout", deadline.timeout())
        # python-socks raises its own exceptions for protocol errors; only
        # OSError and TimeoutError are part of connect()'s contract.
        try:
            sock: socket.socket = socks_proxy.connect(
                ws_uri.host, ws_uri.port, **kwargs
            )
        except (OSError, TimeoutError):
            raise
        except Exception as exc:
            raise ProxyError("failed to connect to SOCKS proxy") from exc
        return sock


def read_connect_response(sock: socket.socket, deadline: Deadline) -> Response:
    """
    Read the proxy's response to a CONNECT request.

    Raises:
        TimeoutError: If the response doesn't arrive before the deadline.
        InvalidProxyMessage: If the response isn't valid HTTP.

    """
    parser = ConnectResponseParser()
    try:
        while True:
            sock.settimeout(deadline.timeout())
            data = sock.recv(4096)
            if data:
                parser.feed_data(data)
            else:
                parser.feed_eof()
            response = parser.parse()
            if response is not None:
                return response
    except TimeoutError:
        raise TimeoutError("timed out while connecting to HTTP proxy") from None
    except InvalidProxyMessage:
        raise
    except Exception as exc:
        # The connection to the proxy failed while reading the response.
        raise InvalidProxyMessage(
            "did not receive a valid HTTP response from proxy"
        ) from exc
    finally:
        sock.settimeout(None)


def connect_http_proxy(
    proxy: Proxy,
    ws_uri: WebSocketURI,
    deadline: Deadline,
    *,
    user_agent_header: str | None = None,
    ssl: ssl_module.SSLContext | None = None,
    server_hostname: str | None = None,
    **kwargs: Any,
) -> socket.socket:
    """Connect via an HTTP proxy with a CONNECT request and return the socket."""
    kwargs.setdefault("timeout", deadline.timeout())
    sock = socket.create_connection((proxy.host, proxy.port), **kwargs)

    try:
        if proxy.scheme == "https":
            if ssl is None:
                ssl = ssl_module.create_default_context()
            if server_hostname is None:
                server_hostname = proxy.host
            sock.settimeout(deadline.timeout())
            sock = cast(
                socket.socket,
                SSLSSLSocket(sock, ssl, server_hostname=server_hostname),
            )
            sock.settimeout(None)

        sock.sendall(prepare_connect_request(proxy, ws_uri, user_agent_header))
        response = read_connect_response(sock, deadline)
    except Exception:
        sock.close()
        raise

    if not 200 <= response.status_code < 300:
        sock.close()
        raise InvalidProxyStatus(response)

    return sock


class SSLSSLSocket:
    """
    TLS over a socket, safe for one thread reading while another writes.

    Despite its name, it runs every TLS connection of this package, not only
    TLS through a TLS connection to an HTTPS proxy, which
    :class:`ssl.SSLSocket` can't do.

    :class:`ssl.SSLSocket` runs OpenSSL on the socket directly, and OpenSSL
    doesn't allow using a TLS session from two threads at once, which is what
    a connection does: a thread reads while the application writes. This
    class runs the TLS session on memory buffers instead: :attr:`lock` guards
    the TLS session, never held while waiting for the network, and
    :attr:`write_lock` keeps TLS records in order on the way out.

    It provides the methods of a socket that connections use; everything
    else, from :meth:`~socket.socket.settimeout` to
    :meth:`~socket.socket.close`, goes to the underlying socket, which may
    itself be a :class:`SSLSSLSocket`, e.g. for TLS through an HTTPS proxy.

    The TLS handshake runs in the constructor, bounded by the timeout of the
    underlying socket.

    Args:
        sock: Underlying connected socket.
        ssl_context: TLS configuration.
        server_hostname: Host name of the server.

    """

    recv_bufsize = 65536

    server_side = False
    """Whether this is the server side of the connection."""

    def __init__(
        self,
        sock: socket.socket,
        ssl_context: ssl_module.SSLContext,
        server_hostname: str | None = None,
    ) -> None:
        self.incoming = ssl_module.MemoryBIO()
        self.outgoing = ssl_module.MemoryBIO()
        self.ssl_socket = sock
        self.ssl_object = ssl_context.wrap_bio(
            self.incoming,
            self.outgoing,
            server_side=self.server_side,
            server_hostname=server_hostname,
        )
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.run_io(self.ssl_object.do_handshake)

    def run_io(self, func: Callable[..., T], *args: Any) -> T:
        """Run a TLS operation, moving bytes to and from the socket as it needs."""
        while True:
            want_read = False
            with self.lock:
                try:
                    result = func(*args)
                except ssl_module.SSLWantReadError:
                    want_read = True

            # Write what the TLS session produced, whatever happened. Don't
            # wait for the write lock when there's nothing to write: another
            # thread may hold it, stuck on a peer that stopped reading.
            if self.outgoing.pending:
                with self.write_lock:
                    with self.lock:
                        data = self.outgoing.read()
                    if data:
                        self.ssl_socket.sendall(data)

            if want_read:
                data = self.ssl_socket.recv(self.recv_bufsize)
                with self.lock:
                    if data:
                        self.incoming.write(data)
                    else:
                        self.incoming.write_eof()
                continue

            return result

    def recv(self, buflen: int) -> bytes:
        incoming = self.incoming
        ssl_object = self.ssl_object
        while True:
            data: bytes | None = None
            with self.lock:
                # Decrypt only when there's something to decrypt: raising
                # SSLWantReadError costs more than checking.
                if incoming.pending or incoming.eof or ssl_object.pending():
                    try:
                        data = ssl_object.read(buflen)
                    except ssl_module.SSLWantReadError:
                        pass
                    except (ssl_module.SSLEOFError, ssl_module.SSLZeroReturnError):
                        # The end of the stream, with or without close_notify.
                        return b""

            # Reading may produce TLS messages to send, e.g. a key update.
            if self.outgoing.pending:
                with self.write_lock:
                    with self.lock:
                        pending = self.outgoing.read()
                    if pending:
                        self.ssl_socket.sendall(pending)

            if data is not None:
                return data

            received = self.ssl_socket.recv(self.recv_bufsize)
            with self.lock:
                if received:
                    incoming.write(received)
                else:
                    incoming.write_eof()

    def send(self, data: BytesLike) -> int:
        return self.run_io(self.ssl_object.write, data)

    def sendall(self, data: BytesLike) -> None:
        count = 0
        with memoryview(data) as view, view.cast("B") as byte_view:
            amount = len(byte_view)
            while count < amount:
                count += self.send(byte_view[count:])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ssl_socket, name)

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ws_frames.exceptions import (
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidMessage,
    InvalidProxyMessage,
    InvalidProxyStatus,
    InvalidStatus,
    InvalidURI,
    ProxyError,
    SecurityError,
)
from ws_http.http11 import Request, Response
from ws_sync import client as client_module
from ws_sync.client import (
    ClientConnection,
    connect,
    process_exception,
    reconnect,
    unix_connect,
)
from ws_sync.server import ServerConnection, unix_serve

from .servers import (
    CA,
    TCPServer,
    client_ssl_context,
    echo,
    http_proxy,
    read_request,
    run_server,
    running,
    server_ssl_context,
    socks5_proxy,
    uri,
)


def redirect_to(location: str, status: int = 302) -> Any:
    def process_request(connection: ServerConnection, request: Request) -> Response:
        response = connection.respond(status, "moved\n")
        response.headers["Location"] = location
        return response

    return process_request


# Basics


def test_connect_and_echo() -> None:
    with run_server() as server:
        with connect(uri(server)) as websocket:
            assert isinstance(websocket, ClientConnection)
            websocket.send("hello")
            assert websocket.recv() == "hello"
            assert websocket.request is not None
            assert websocket.response is not None
            assert websocket.response.status_code == 101
        assert websocket.close_code == 1000


def test_connect_with_preexisting_socket() -> None:
    with run_server() as server:
        sock = socket.create_connection(server.socket.getsockname())
        with connect("ws://invalid.example/", sock=sock) as websocket:
            websocket.send(b"via sock")
            assert websocket.recv() == b"via sock"


def test_connect_passes_socket_arguments() -> None:
    with run_server() as server:
        with connect(uri(server), source_address=("127.0.0.1", 0)) as websocket:
            assert websocket.local_address[0] == "127.0.0.1"


def test_connect_invalid_uri() -> None:
    with pytest.raises(InvalidURI):
        connect("http://localhost/")


def test_connect_ssl_with_ws_uri() -> None:
    with pytest.raises(ValueError, match="ssl argument is incompatible"):
        connect("ws://localhost/", ssl=client_ssl_context())


def test_connect_ssl_context_is_deprecated() -> None:
    with run_server(ssl=server_ssl_context()) as server:
        with pytest.warns(DeprecationWarning, match="ssl_context was renamed to ssl"):
            websocket = connect(uri(server, "wss"), ssl_context=client_ssl_context())
        websocket.close()


def test_connect_create_connection() -> None:
    class MyConnection(ClientConnection):
        pass

    with run_server() as server:
        with connect(uri(server), create_connection=MyConnection) as websocket:
            assert isinstance(websocket, MyConnection)


def test_connect_logger() -> None:
    logger = logging.getLogger("test.ws_sync.client")
    with run_server() as server:
        with connect(uri(server), logger=logger) as websocket:
            assert isinstance(websocket.logger, logging.LoggerAdapter)
            assert websocket.logger.logger is logger


def test_connect_keepalive() -> None:
    with run_server() as server:
        with connect(uri(server), ping_interval=0.01) as websocket:
            assert websocket.keepalive_thread is not None
            deadline = time.monotonic() + 5
            while websocket.latency == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
            assert websocket.latency > 0


def test_connect_close_timeout() -> None:
    with run_server() as server:
        with connect(uri(server), close_timeout=0.5) as websocket:
            assert websocket.close_timeout == 0.5


def test_handshake_timeout() -> None:
    def handle(sock: socket.socket) -> None:
        read_request(sock)
        sock.recv(1)

    mute = TCPServer(handle)
    try:
        with pytest.raises(TimeoutError, match="handshake response"):
            connect(f"ws://127.0.0.1:{mute.port}/", open_timeout=0.1)
    finally:
        mute.close()


def test_handshake_connection_closed() -> None:
    def handle(sock: socket.socket) -> None:
        read_request(sock)

    closing = TCPServer(handle)
    try:
        with pytest.raises(InvalidMessage):
            connect(f"ws://127.0.0.1:{closing.port}/")
    finally:
        closing.close()


# TLS


def test_connect_tls() -> None:
    with run_server(ssl=server_ssl_context()) as server:
        with connect(uri(server, "wss"), ssl=client_ssl_context()) as websocket:
            websocket.send("secure")
            assert websocket.recv() == "secure"


def test_connect_tls_server_hostname() -> None:
    with run_server(ssl=server_ssl_context()) as server:
        port = server.socket.getsockname()[1]
        with connect(
            f"wss://127.0.0.1:{port}",
            ssl=client_ssl_context(),
            server_hostname="localhost",
        ) as websocket:
            websocket.send("secure")
            assert websocket.recv() == "secure"


def test_connect_tls_untrusted_certificate() -> None:
    with run_server(ssl=server_ssl_context()) as server:
        with pytest.raises(OSError):
            connect(uri(server, "wss"))


def test_connect_tls_to_plain_server() -> None:
    with run_server() as server:
        with pytest.raises(OSError):
            connect(uri(server, "wss"), ssl=client_ssl_context(), open_timeout=2)


# Unix sockets


def test_unix_connect(tmp_path: Path) -> None:
    path = str(tmp_path / "ws.sock")
    with running(unix_serve(echo, path, ping_interval=None)):
        with unix_connect(path) as websocket:
            websocket.send("over unix")
            assert websocket.recv() == "over unix"
            assert websocket.request is not None
            assert websocket.request.headers["Host"] == "localhost"


def test_unix_connect_tls(tmp_path: Path) -> None:
    path = str(tmp_path / "wss.sock")
    with running(unix_serve(echo, path, ssl=server_ssl_context())):
        with unix_connect(
            path, ssl=client_ssl_context(), server_hostname="localhost"
        ) as websocket:
            websocket.send("secure unix")
            assert websocket.recv() == "secure unix"


def test_unix_connect_with_sock(tmp_path: Path) -> None:
    path = str(tmp_path / "ws.sock")
    with running(unix_serve(echo, path)):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        with unix_connect(sock=sock) as websocket:
            websocket.send("sock")
            assert websocket.recv() == "sock"


def test_unix_connect_missing_socket(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        unix_connect(str(tmp_path / "missing.sock"))


def test_unix_connect_arguments() -> None:
    with pytest.raises(ValueError, match="missing path"):
        unix_connect()
    with socket.socket(socket.AF_UNIX) as sock:
        with pytest.raises(ValueError, match="incompatible"):
            unix_connect("/tmp/x.sock", sock=sock)


# Compression and subprotocols


def test_connect_unsupported_compression() -> None:
    with pytest.raises(ValueError, match="unsupported compression: gzip"):
        connect("ws://localhost/", compression="gzip")


def test_connect_invalid_subprotocols() -> None:
    with pytest.raises(TypeError):
        connect("ws://localhost/", subprotocols="chat")  # type: ignore[arg-type]


# Redirects


def test_redirect_to_other_host_resets_server_hostname() -> None:
    with run_server(ssl=server_ssl_context()) as target:
        port = target.socket.getsockname()[1]
        location = f"wss://localhost:{port}/"
        with run_server(
            ssl=server_ssl_context(), process_request=redirect_to(location)
        ) as origin:
            with connect(
                uri(origin, "wss"),
                ssl=client_ssl_context(),
                server_hostname="127.0.0.1",
            ) as websocket:
                websocket.send("redirected")
                assert websocket.recv() == "redirected"


def test_redirect_to_other_origin_forgets_server_hostname() -> None:
    origin_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    CA.issue_cert("origin.test").configure_cert(origin_context)
    with run_server(ssl=server_ssl_context()) as target:
        port = target.socket.getsockname()[1]
        location = f"wss://localhost:{port}/"
        with run_server(
            ssl=origin_context, process_request=redirect_to(location)
        ) as origin:
            # The name given for the first server doesn't fit the second.
            with connect(
                uri(origin, "wss"),
                ssl=client_ssl_context(),
                server_hostname="origin.test",
            ) as websocket:
                websocket.send("redirected")
                assert websocket.recv() == "redirected"


def test_redirect_from_wss_to_ws_is_refused() -> None:
    with run_server() as target:
        with run_server(
            ssl=server_ssl_context(), process_request=redirect_to(uri(target))
        ) as origin:
            with pytest.raises(SecurityError, match="non-secure"):
                connect(uri(origin, "wss"), ssl=client_ssl_context())


def test_redirect_from_ws_to_wss() -> None:
    with run_server(ssl=server_ssl_context()) as target:
        with run_server(process_request=redirect_to(uri(target, "wss"))) as origin:
            # The default TLS context doesn't trust the test CA.
            with pytest.raises(OSError):
                connect(uri(origin))


def test_redirect_not_followed_with_sock() -> None:
    with run_server(process_request=redirect_to("ws://localhost/")) as origin:
        sock = socket.create_connection(origin.socket.getsockname())
        with pytest.raises(ValueError, match="preexisting socket") as raised:
            connect("ws://localhost/", sock=sock)
        assert isinstance(raised.value.__cause__, InvalidStatus)


def test_redirect_on_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "redirect.sock")

    def process_request(connection: ServerConnection, request: Request) -> Any:
        if request.path == "/old":
            response = connection.respond(301, "moved\n")
            response.headers["Location"] = "/new"
            return response
        if request.path == "/away":
            response = connection.respond(302, "moved\n")
            response.headers["Location"] = "ws://example.com/"
            return response
        return None

    def handler(connection: ServerConnection) -> None:
        assert connection.request is not None
        connection.send(connection.request.path)

    with running(unix_serve(handler, path, process_request=process_request)):
        with unix_connect(path, "ws://localhost/old") as websocket:
            assert websocket.recv() == "/new"
        with pytest.raises(ValueError, match="cross-origin redirect"):
            unix_connect(path, "ws://localhost/away")


def test_redirect_to_other_origin_drops_credentials() -> None:
    seen: list[tuple[str | None, str | None]] = []

    def handler(connection: ServerConnection) -> None:
        assert connection.request is not None
        headers = connection.request.headers
        seen.append((headers.get("Authorization"), headers.get("X-Other")))

    with run_server(handler) as target:
        port = target.socket.getsockname()[1]
        # Same server, other origin: localhost instead of 127.0.0.1.
        location = f"ws://localhost:{port}/"
        with run_server(process_request=redirect_to(location)) as origin:
            headers = {"Authorization": "Bearer secret", "X-Other": "kept"}
            with connect(uri(origin), additional_headers=headers) as websocket:
                with pytest.raises(ConnectionClosedOK):
                    websocket.recv()
    assert seen == [(None, "kept")]


def test_redirect_to_same_origin_keeps_credentials() -> None:
    seen: list[str | None] = []

    def process_request(connection: ServerConnection, request: Request) -> Any:
        if request.path == "/old":
            response = connection.respond(307, "moved\n")
            response.headers["Location"] = "/new"
            return response
        seen.append(request.headers.get("Authorization"))
        return None

    with run_server(process_request=process_request) as server:
        with connect(
            uri(server) + "/old", additional_headers={"Authorization": "Bearer x"}
        ):
            pass
    assert seen == ["Bearer x"]


# Proxies


def test_http_proxy() -> None:
    with run_server() as server, http_proxy() as proxy:
        with connect(uri(server), proxy=f"http://127.0.0.1:{proxy.port}") as websocket:
            websocket.send("proxied")
            assert websocket.recv() == "proxied"
        port = server.socket.getsockname()[1]
        assert proxy.requests[0].startswith(f"CONNECT 127.0.0.1:{port} ".encode())


def test_http_proxy_with_credentials() -> None:
    with run_server() as server, http_proxy() as proxy:
        with connect(uri(server), proxy=f"http://user:pass@127.0.0.1:{proxy.port}"):
            pass
        assert b"Proxy-Authorization: Basic dXNlcjpwYXNz" in proxy.requests[0]


def test_http_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_server() as server, http_proxy() as proxy:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("no_proxy", "")
        monkeypatch.delenv("NO_PROXY", raising=False)
        with connect(uri(server)) as websocket:
            websocket.send("from env")
            assert websocket.recv() == "from env"
        assert len(proxy.requests) == 1


def test_http_proxy_rejects() -> None:
    answer = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    with http_proxy(answer) as proxy:
        with pytest.raises(InvalidProxyStatus) as raised:
            connect("ws://example.invalid/", proxy=f"http://127.0.0.1:{proxy.port}")
        assert "403" in str(raised.value)


def test_http_proxy_invalid_answer() -> None:
    with http_proxy(b"NOT HTTP\r\n\r\n") as proxy:
        with pytest.raises(InvalidProxyMessage):
            connect("ws://example.invalid/", proxy=f"http://127.0.0.1:{proxy.port}")


def test_http_proxy_closes_during_answer() -> None:
    with http_proxy(b"HTTP/1.1 200 Connection est") as proxy:
        with pytest.raises(InvalidProxyMessage) as raised:
            connect("ws://example.invalid/", proxy=f"http://127.0.0.1:{proxy.port}")
        assert isinstance(raised.value.__cause__, EOFError)


def test_http_proxy_timeout() -> None:
    with http_proxy(b"") as proxy:
        with pytest.raises(TimeoutError, match="HTTP proxy"):
            connect(
                "ws://example.invalid/",
                proxy=f"http://127.0.0.1:{proxy.port}",
                open_timeout=0.1,
            )


def test_http_proxy_with_proxy_ssl_is_refused() -> None:
    with pytest.raises(ValueError, match="proxy_ssl"):
        connect(
            "ws://example.invalid/",
            proxy="http://127.0.0.1:1",
            proxy_ssl=client_ssl_context(),
        )


def test_https_proxy() -> None:
    with run_server() as server, http_proxy(ssl_context=server_ssl_context()) as proxy:
        with connect(
            uri(server),
            proxy=f"https://localhost:{proxy.port}",
            proxy_ssl=client_ssl_context(),
        ) as websocket:
            websocket.send("through TLS proxy")
            assert websocket.recv() == "through TLS proxy"


def test_https_proxy_default_context_and_hostname() -> None:
    with http_proxy(ssl_context=server_ssl_context()) as proxy:
        # The default context doesn't trust the test CA.
        with pytest.raises(OSError):
            connect("ws://example.invalid/", proxy=f"https://127.0.0.1:{proxy.port}")


def test_wss_through_https_proxy() -> None:
    with (
        run_server(ssl=server_ssl_context()) as server,
        http_proxy(ssl_context=server_ssl_context()) as proxy,
    ):
        port = server.socket.getsockname()[1]
        with connect(
            f"wss://localhost:{port}",
            ssl=client_ssl_context(),
            proxy=f"https://localhost:{proxy.port}",
            proxy_ssl=client_ssl_context(),
            proxy_server_hostname="localhost",
        ) as websocket:
            websocket.send("TLS in TLS")
            assert websocket.recv() == "TLS in TLS"
            websocket.send(b"\x00" * 200_000)
            assert websocket.recv() == b"\x00" * 200_000
            assert websocket.ping().wait(2)


def test_socks5_proxy() -> None:
    with run_server() as server, socks5_proxy() as proxy:
        with connect(
            uri(server), proxy=f"socks5://127.0.0.1:{proxy.port}"
        ) as websocket:
            websocket.send("socks")
            assert websocket.recv() == "socks"


def test_socks5h_proxy_resolves_names() -> None:
    with run_server() as server, socks5_proxy() as proxy:
        port = server.socket.getsockname()[1]
        with connect(
            f"ws://localhost:{port}", proxy=f"socks5h://127.0.0.1:{proxy.port}"
        ) as websocket:
            websocket.send("socks")
            assert websocket.recv() == "socks"
        assert proxy.requests == [f"localhost:{port}".encode()]


def test_socks_proxy_refuses() -> None:
    with socks5_proxy(refuse=True) as proxy:
        with pytest.raises(ProxyError, match="SOCKS proxy"):
            connect("ws://127.0.0.1:1/", proxy=f"socks5://127.0.0.1:{proxy.port}")


def test_socks_proxy_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(OSError):
        connect("ws://127.0.0.1:1/", proxy=f"socks5://127.0.0.1:{port}")


# Reconnection


def test_process_exception() -> None:
    response = Response(503, "Service Unavailable", Request("/", {}).headers)  # type: ignore[arg-type]
    assert process_exception(OSError()) is None
    assert process_exception(TimeoutError()) is None
    assert process_exception(EOFError()) is None
    assert process_exception(InvalidStatus(response)) is None
    eof = InvalidMessage("closed")
    eof.__cause__ = EOFError()
    assert process_exception(eof) is None
    forbidden = Response(403, "Forbidden", response.headers)
    exc = InvalidStatus(forbidden)
    assert process_exception(exc) is exc
    other = InvalidHandshake("other")
    assert process_exception(other) is other


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays: list[float] = []

    def backoff() -> Iterator[float]:
        while True:
            delays.append(0.01)
            yield 0.01

    monkeypatch.setattr(client_module, "backoff", backoff)
    return delays


def test_reconnect_retries_transient_errors(fast_backoff: list[float]) -> None:
    attempts: list[int] = []
    lock = threading.Lock()

    def process_request(connection: ServerConnection, request: Request) -> Any:
        with lock:
            attempts.append(1)
            if len(attempts) <= 2:
                return connection.respond(503, "busy\n")
        return None

    with run_server(process_request=process_request) as server:
        connections = reconnect(uri(server))
        websocket = next(connections)
        websocket.send("finally")
        assert websocket.recv() == "finally"
        assert len(fast_backoff) == 2
        # The next iteration closes the current connection and reconnects.
        second = next(connections)
        assert websocket.close_code == 1000
        with pytest.raises(ConnectionClosedOK):
            websocket.recv()
        second.send("again")
        assert second.recv() == "again"
        connections.close()
        assert second.close_code == 1000


def test_reconnect_raises_fatal_errors(fast_backoff: list[float]) -> None:
    def process_request(connection: ServerConnection, request: Request) -> Any:
        return connection.respond(403, "go away\n")

    with run_server(process_request=process_request) as server:
        with pytest.raises(InvalidStatus):
            next(reconnect(uri(server)))
    assert fast_backoff == []


def test_reconnect_custom_process_exception(fast_backoff: list[float]) -> None:
    def process_exception(exc: Exception) -> Exception | None:
        return RuntimeError("translated")

    with pytest.raises(RuntimeError, match="translated") as raised:
        next(reconnect("ws://127.0.0.1:1/", process_exception=process_exception))
    assert isinstance(raised.value.__cause__, OSError)


def test_reconnect_after_connection_refused(
    fast_backoff: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    retries: list[bool] = []

    def process_exception(exc: Exception) -> Exception | None:
        retries.append(True)
        if len(retries) < 3:
            return None
        return exc

    logger = logging.getLogger("test.ws_sync.reconnect")
    with caplog.at_level(logging.INFO, logger.name), pytest.raises(OSError):
        next(
            reconnect(
                f"ws://127.0.0.1:{port}/",
                process_exception=process_exception,
                logger=logger,
            )
        )
    assert len(retries) == 3
    assert len(fast_backoff) == 2
    assert caplog.text.count("connect failed; reconnecting in 0.0 seconds") == 2


def test_reconnect_process_exception_may_raise(fast_backoff: list[float]) -> None:
    def process_exception(exc: Exception) -> Exception | None:
        raise KeyError("raised")

    with pytest.raises(KeyError) as raised:
        next(reconnect("ws://127.0.0.1:1/", process_exception=process_exception))
    assert isinstance(raised.value.__cause__, OSError)


def test_reconnect_gives_up_when_backoff_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    def backoff() -> Iterator[float]:
        yield 0.01

    monkeypatch.setattr(client_module, "backoff", backoff)
    with pytest.raises(OSError):
        next(reconnect("ws://127.0.0.1:1/"))

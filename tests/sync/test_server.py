from __future__ import annotations

import logging
import re
import socket
import ssl
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any, cast

import pytest

from ws_frames.exceptions import (
    ConcurrencyError,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidMessage,
    InvalidStatus,
)
from ws_http.http11 import Request, Response
from ws_sync.client import connect, unix_connect
from ws_sync.server import (
    ServerConnection,
    basic_auth,
    broadcast,
    serve,
    unix_serve,
)
from ws_sync.tls import TLSSocket

from .helpers import SHORT, run_in_thread, wait_for


if sys.version_info >= (3, 11):
    from builtins import ExceptionGroup
else:  # pragma: no cover
    from exceptiongroup import ExceptionGroup
from .servers import (
    client_ssl_context,
    echo,
    run_server,
    running,
    server_ssl_context,
    uri,
)


def wait_closed(connection: ServerConnection) -> None:
    connection.recv_events_thread.join()


# serve() and unix_serve()


def test_serve_with_preexisting_socket() -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    with running(serve(echo, sock=sock)) as server:
        assert server.socket is sock
        with connect(uri(server)) as websocket:
            websocket.send("sock")
            assert websocket.recv() == "sock"


def test_serve_on_every_interface() -> None:
    with running(serve(echo, port=0)) as server:
        port = server.socket.getsockname()[1]
        with connect(f"ws://127.0.0.1:{port}") as websocket:
            websocket.send("any")
            assert websocket.recv() == "any"


def test_serve_arguments() -> None:
    with pytest.raises(ValueError, match="unsupported compression: gzip"):
        serve(echo, "127.0.0.1", 0, compression="gzip")
    with pytest.raises(TypeError):
        serve(echo, "127.0.0.1", 0, subprotocols="chat")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing path"):
        unix_serve(echo)
    with socket.socket(socket.AF_UNIX) as sock:
        with pytest.raises(ValueError, match="path and sock"):
            unix_serve(echo, "/tmp/x.sock", sock=sock)


def test_serve_with_sock_rejects_host_and_port() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        with pytest.raises(ValueError, match="host and sock"):
            serve(echo, host="127.0.0.1", sock=sock)
        with pytest.raises(ValueError, match="port and sock"):
            serve(echo, port=0, sock=sock)
        with pytest.raises(ValueError, match="host and sock"):
            serve(echo, "127.0.0.1", 0, sock=sock)


def test_serve_ssl_context_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning, match="ssl_context was renamed to ssl"):
        server = serve(echo, "127.0.0.1", 0, ssl_context=server_ssl_context())
    with running(server):
        with connect(uri(server, "wss"), ssl=client_ssl_context()) as websocket:
            websocket.send("tls")
            assert websocket.recv() == "tls"


def test_unix_serve(tmp_path: Path) -> None:
    path = str(tmp_path / "ws.sock")
    with running(unix_serve(echo, path)):
        with unix_connect(path) as websocket:
            websocket.send("unix")
            assert websocket.recv() == "unix"


def test_tls_handshake_failure_doesnt_stop_server() -> None:
    with run_server(ssl=server_ssl_context()) as server:
        with socket.create_connection(server.socket.getsockname()) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
            sock.settimeout(5)
            with suppress(OSError):
                sock.recv(4096)
        with connect(uri(server, "wss"), ssl=client_ssl_context()) as websocket:
            websocket.send("still serving")
            assert websocket.recv() == "still serving"


def test_tls_handshake_timeout(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        with run_server(ssl=server_ssl_context(), open_timeout=0.1) as server:
            with socket.create_connection(server.socket.getsockname()) as sock:
                sock.settimeout(5)
                assert sock.recv(4096) == b""
    assert "opening handshake timed out after 0.1 seconds" in caplog.messages


def test_tls_sockets_tell_they_are_tls() -> None:
    context = server_ssl_context()
    with run_server(ssl=context) as server:
        # The listening socket, as ssl.SSLSocket tells it.
        assert isinstance(server.socket, ssl.SSLSocket)
        assert server.socket.context is context
        assert server.socket.server_side
        with connect(uri(server, "wss"), ssl=client_ssl_context()) as websocket:
            wait_for(lambda: len(server.connections) == 1)
            (connection,) = server.connections
            server_end = cast(TLSSocket, connection.socket)
            client_end = cast(TLSSocket, websocket.socket)
            for sock, server_side in [(server_end, True), (client_end, False)]:
                assert sock.server_side is server_side
                assert isinstance(sock.context, ssl.SSLContext)
                assert sock.version() in ("TLSv1.2", "TLSv1.3")
                assert sock.cipher() is not None
            assert server_end.cipher() == client_end.cipher()
            assert server_end.context is context
            assert server_end.server_hostname is None
            # The client didn't present a certificate.
            assert server_end.getpeercert() is None
            assert client_end.server_hostname == "127.0.0.1"
            certificate = client_end.getpeercert()
            assert certificate is not None
            assert ("IP Address", "127.0.0.1") in certificate["subjectAltName"]


def test_tls_with_preexisting_socket() -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    with serve(echo, sock=sock, ssl=server_ssl_context()) as server:
        assert isinstance(server.socket, ssl.SSLSocket)
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        with connect(uri(server, "wss"), ssl=client_ssl_context()) as websocket:
            websocket.send("sock")
            assert websocket.recv() == "sock"
    thread.join()


# Server


def test_server_attributes() -> None:
    with run_server() as server:
        assert server.fileno() == server.socket.fileno()
        assert server.connections == set()
        assert server.logger is logging.getLogger("websockets.server")
        with connect(uri(server)):
            wait_for(lambda: len(server.connections) == 1)
            (connection,) = server.connections
            assert connection.server is server
        wait_for(lambda: not server.connections)


def test_server_custom_logger() -> None:
    logger = logging.getLogger("test.ws_sync.server")
    with run_server(logger=logger) as server:
        assert server.logger is logger


def test_serve_forever_after_shutdown_returns() -> None:
    server = serve(echo, "127.0.0.1", 0)
    server.shutdown()
    server.serve_forever()
    server.shutdown()


def test_shutdown_from_handler() -> None:
    def handler(connection: ServerConnection) -> None:
        connection.server.shutdown()

    server = serve(handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with connect(uri(server)) as websocket:
        with pytest.raises(ConnectionClosedOK):
            websocket.recv()
        assert websocket.close_code == 1001
    thread.join(5)
    assert not thread.is_alive()


def test_shutdown_without_closing_connections_waits_for_handlers() -> None:
    done = threading.Event()

    def handler(connection: ServerConnection) -> None:
        connection.send("open")
        connection.send(connection.recv())
        done.set()

    server = serve(handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with connect(uri(server)) as websocket:
        assert websocket.recv() == "open"
        shutting_down, outcome = run_in_thread(
            lambda: server.shutdown(close_connections=False)
        )
        thread.join(5)
        assert not thread.is_alive()
        # The server doesn't listen anymore, and shutdown() waits for the
        # handler, whose connection stays open.
        time.sleep(SHORT)
        assert shutting_down.is_alive()
        websocket.send("still open")
        assert websocket.recv() == "still open"
        assert done.wait(5)
        shutting_down.join(5)
        assert not shutting_down.is_alive()
        assert outcome == [None]
        with pytest.raises(ConnectionClosedOK):
            websocket.recv()
        assert websocket.close_code == 1000


def test_shutdown_with_code_and_reason() -> None:
    with run_server() as server:
        with connect(uri(server)) as websocket:
            wait_for(lambda: len(server.connections) == 1)
            server.shutdown(code=1012, reason="restarting")
            with pytest.raises(ConnectionClosedError):
                websocket.recv()
            assert (websocket.close_code, websocket.close_reason) == (
                1012,
                "restarting",
            )


def test_shutdown_from_process_response_answers_503() -> None:
    # The response was chosen before the shutdown started: it becomes a 503
    # rather than a 101 followed by a close frame.
    ran: list[bool] = []

    def process_response(
        connection: ServerConnection, request: Request, response: Any
    ) -> None:
        connection.server.shutdown(close_connections=False)

    def handler(connection: ServerConnection) -> None:
        ran.append(True)  # pragma: no cover

    server = serve(handler, "127.0.0.1", 0, process_response=process_response)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with pytest.raises(InvalidStatus) as raised:
        connect(uri(server))
    assert raised.value.response.status_code == 503
    assert raised.value.response.body == b"Server is shutting down.\n"
    thread.join()
    server.shutdown()
    assert ran == []


def test_close_socket_from_process_request() -> None:
    def process_request(connection: ServerConnection, request: Request) -> None:
        connection.close_socket()

    with run_server(process_request=process_request) as server:
        client, outcome = run_in_thread(lambda: connect(uri(server)))
        client.join(5)
        assert not client.is_alive()
        (exc,) = outcome
        # The client sees the end of the stream, or a reset.
        assert isinstance(exc, (InvalidMessage, ConnectionClosedError))
        stopping, _ = run_in_thread(server.shutdown)
        stopping.join(5)
        assert not stopping.is_alive()


def test_client_leaves_while_process_request_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    arrived = threading.Event()
    release = threading.Event()

    def process_request(connection: ServerConnection, request: Request) -> None:
        arrived.set()
        release.wait(5)

    with caplog.at_level(logging.INFO, logger="websockets.server"):
        with run_server(process_request=process_request) as server:
            with socket.create_connection(server.socket.getsockname()) as sock:
                sock.sendall(
                    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n"
                )
                assert arrived.wait(5)
            wait_for(lambda: "connection closed" in caplog.messages)
            release.set()
            wait_for(lambda: len(caplog.messages) == 3)
    (line,) = [m for m in caplog.messages if m.startswith("opening handshake")]
    assert line.startswith("opening handshake failed: ")
    assert not any(record.exc_info for record in caplog.records)


def test_handshake_with_client_that_disconnects() -> None:
    with run_server() as server:
        with socket.create_connection(server.socket.getsockname()):
            pass
        with connect(uri(server)) as websocket:
            websocket.send("ok")
            assert websocket.recv() == "ok"


def test_handshake_with_invalid_request(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        with run_server() as server:
            with socket.create_connection(server.socket.getsockname()) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                sock.settimeout(5)
                assert sock.recv(4096).startswith(b"HTTP/1.1 426")
    assert "opening handshake failed" in caplog.text


def test_process_request_exception_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def process_request(connection: ServerConnection, request: Request) -> None:
        raise KeyError("bug")

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        with run_server(process_request=process_request) as server:
            with pytest.raises(InvalidStatus):
                connect(uri(server))
    (record,) = caplog.records
    assert record.getMessage() == "process_request failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


def test_bug_during_handshake_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(ServerConnection):
        def choose_response(self, *args: Any) -> Response:
            raise ZeroDivisionError

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        with run_server(create_connection=Broken) as server:
            with pytest.raises((InvalidMessage, ConnectionClosedError)):
                connect(uri(server))
    (record,) = caplog.records
    assert record.getMessage() == "opening handshake failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


def test_connection_setup_bug_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(ServerConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ZeroDivisionError

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        with run_server(create_connection=Broken) as server:
            # The client sees the end of the stream, or a reset.
            with pytest.raises((InvalidMessage, ConnectionClosedError)):
                connect(uri(server))
    (record,) = caplog.records
    assert record.getMessage() == "opening handshake failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


def test_handler_exception_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def handler(connection: ServerConnection) -> None:
        raise ZeroDivisionError

    with caplog.at_level(logging.ERROR, logger="websockets.server"):
        with run_server(handler) as server:
            with connect(uri(server)) as websocket:
                with pytest.raises(ConnectionClosedError):
                    websocket.recv()
                assert websocket.close_code == 1011
    assert "connection handler failed" in caplog.text


def test_respond() -> None:
    def process_request(connection: ServerConnection, request: Request) -> Any:
        return connection.respond(418, "I'm a teapot\n")

    with run_server(process_request=process_request) as server:
        with pytest.raises(InvalidStatus) as raised:
            connect(uri(server))
        assert raised.value.response.status_code == 418


def test_create_connection() -> None:
    class MyConnection(ServerConnection):
        pass

    kinds: list[type] = []

    def handler(connection: ServerConnection) -> None:
        kinds.append(type(connection))

    with run_server(handler, create_connection=MyConnection) as server:
        with connect(uri(server)) as websocket:
            with pytest.raises(ConnectionClosedOK):
                websocket.recv()
    assert kinds == [MyConnection]


# basic_auth()


def test_basic_auth_single_credentials() -> None:
    usernames: list[str] = []

    def handler(connection: ServerConnection) -> None:
        usernames.append(connection.username)

    process_request = basic_auth(credentials=("hello", "iloveyou"))
    with run_server(handler, process_request=process_request) as server:
        port = server.socket.getsockname()[1]
        with connect(f"ws://hello:iloveyou@127.0.0.1:{port}") as websocket:
            with pytest.raises(ConnectionClosedOK):
                websocket.recv()
        with pytest.raises(InvalidStatus):
            connect(f"ws://hello:wrong@127.0.0.1:{port}")
    assert usernames == ["hello"]


def test_basic_auth_unsupported_credentials() -> None:
    process_request = basic_auth(credentials=("hello", "iloveyou"))
    with run_server(process_request=process_request) as server:
        with pytest.raises(InvalidStatus) as raised:
            connect(uri(server), additional_headers={"Authorization": "Basic !!!"})
        assert raised.value.response.status_code == 401


def test_basic_auth_arguments() -> None:
    with pytest.raises(ValueError, match="either"):
        basic_auth()
    with pytest.raises(TypeError, match="invalid credentials"):
        basic_auth(credentials=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invalid credentials"):
        basic_auth(credentials=[("a", "b"), ("c",)])  # type: ignore[list-item]


# broadcast()


def test_broadcast() -> None:
    ready = threading.Barrier(3)

    def handler(connection: ServerConnection) -> None:
        ready.wait(5)
        wait_closed(connection)

    with run_server(handler) as server:
        with connect(uri(server)) as first, connect(uri(server)) as second:
            ready.wait(5)
            broadcast(server.connections, "text")
            broadcast(server.connections, b"binary")
            broadcast(server.connections, "as binary", text=False)
            broadcast(server.connections, b"as text", text=True)
            for websocket in (first, second):
                assert websocket.recv() == "text"
                assert websocket.recv() == b"binary"
                assert websocket.recv() == b"as binary"
                assert websocket.recv() == "as text"


def test_broadcast_arguments() -> None:
    with pytest.raises(TypeError, match="data must be str or bytes"):
        broadcast([], 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'other'"):
        broadcast([], "x", other=True)


def test_broadcast_skips_closed_and_fragmenting_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    connections: list[ServerConnection] = []
    registered = threading.Event()

    def handler(connection: ServerConnection) -> None:
        connections.append(connection)
        if len(connections) == 2:
            registered.set()
        wait_closed(connection)

    with run_server(handler) as server:
        with connect(uri(server)) as first, connect(uri(server)):
            assert registered.wait(5)
            fragmenting = connections[1]
            fragmenting.send_in_progress = True
            first.close()
            wait_for(lambda: connections[0].state.name == "CLOSED")
            with caplog.at_level(logging.WARNING):
                broadcast(connections, "skipped")
            assert "sending a fragmented message" in caplog.text
            with pytest.raises(ExceptionGroup) as raised:
                broadcast(connections, "skipped", raise_exceptions=True)
            (exc,) = raised.value.exceptions
            assert isinstance(exc, ConcurrencyError)
            fragmenting.send_in_progress = False


def test_broadcast_write_error(caplog: pytest.LogCaptureFixture) -> None:
    connections: list[ServerConnection] = []
    registered = threading.Event()

    def handler(connection: ServerConnection) -> None:
        connections.append(connection)
        registered.set()
        wait_closed(connection)

    with run_server(handler) as server:
        with connect(uri(server)):
            assert registered.wait(5)
            (connection,) = connections

            class BrokenSocket:
                def __init__(self, sock: socket.socket) -> None:
                    self.sock = sock

                def sendall(self, data: bytes) -> None:
                    raise BrokenPipeError

                def __getattr__(self, name: str) -> Any:
                    return getattr(self.sock, name)

            connection.socket = BrokenSocket(connection.socket)  # type: ignore[assignment]
            with caplog.at_level(logging.WARNING):
                broadcast([connection], "fails")
            assert "failed to write message" in caplog.text


def test_broadcast_write_error_raised() -> None:
    connections: list[ServerConnection] = []
    registered = threading.Event()

    def handler(connection: ServerConnection) -> None:
        connections.append(connection)
        registered.set()
        wait_closed(connection)

    with run_server(handler) as server:
        with connect(uri(server)):
            assert registered.wait(5)
            (connection,) = connections
            original = connection.socket

            class BrokenSocket:
                def sendall(self, data: bytes) -> None:
                    raise BrokenPipeError

                def __getattr__(self, name: str) -> Any:
                    return getattr(original, name)

            connection.socket = BrokenSocket()  # type: ignore[assignment]
            with pytest.raises(ExceptionGroup) as raised:
                broadcast([connection], "fails", raise_exceptions=True)
            (exc,) = raised.value.exceptions
            assert isinstance(exc.__cause__, BrokenPipeError)


def test_serve_forever_survives_accept_errors(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(echo, "127.0.0.1", 0)
    real_accept = socket.socket.accept
    failures = [True]

    def flaky_accept(sock: socket.socket) -> Any:
        if failures:
            failures.pop()
            real_accept(sock)[0].close()
            raise ConnectionAbortedError
        return real_accept(sock)

    monkeypatch.setattr(socket.socket, "accept", flaky_accept)
    with caplog.at_level(logging.WARNING, logger="websockets.server"):
        with running(server):
            try:
                with socket.create_connection(server.socket.getsockname()) as sock:
                    sock.settimeout(5)
                    sock.recv(1)
            except OSError:
                pass
            with connect(uri(server)) as websocket:
                websocket.send("after error")
                assert websocket.recv() == "after error"
    assert "failed to accept connection" in caplog.text


def test_shutdown_during_accept_isnt_a_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(echo, "127.0.0.1", 0)
    stopping: list[threading.Thread] = []

    def accept_then_shut_down(sock: socket.socket) -> Any:
        # shutdown() closes the socket while accept() runs.
        thread, _ = run_in_thread(server.shutdown)
        stopping.append(thread)
        wait_for(server.socket_closed.is_set)
        raise OSError(9, "Bad file descriptor")

    monkeypatch.setattr(socket.socket, "accept", accept_then_shut_down)
    with caplog.at_level(logging.WARNING, logger="websockets.server"):
        serving, _ = run_in_thread(server.serve_forever)
        with socket.create_connection(server.socket.getsockname()):
            serving.join(5)
    assert not serving.is_alive()
    stopping[0].join(5)
    assert caplog.records == []


def test_many_clients() -> None:
    with run_server() as server:
        results: list[Any] = []

        def client(index: int) -> None:
            with connect(uri(server)) as websocket:
                websocket.send(str(index))
                results.append(websocket.recv())

        threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == sorted(str(i) for i in range(20))


def test_tls_connections_are_thread_safe() -> None:
    # One thread reads while another writes, over and over, on TLS sessions.
    with run_server(ssl=server_ssl_context()) as server:
        for _ in range(50):
            with connect(uri(server, "wss"), ssl=client_ssl_context()) as websocket:
                websocket.send("x" * 1000)
                assert websocket.recv() == "x" * 1000


def test_shutdown_wakes_up_blocked_accept() -> None:
    server = serve(echo, "127.0.0.1", 0)
    outcome: list[BaseException] = []

    def accept() -> None:
        try:
            server.socket.accept()
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=accept)
    thread.start()
    time.sleep(0.05)
    server.shutdown()
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1


def test_serve_invalid_max_queue() -> None:
    with pytest.raises(ValueError, match="high must be greater than or equal to low"):
        serve(echo, "127.0.0.1", 0, max_queue=(1, 2))


# Handshakes and shutdowns, as in the asyncio server.


def test_answers_chosen_by_hooks_are_not_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    process_request = basic_auth(credentials=("user", "pass"))
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        with run_server(process_request=process_request) as server:
            with pytest.raises(InvalidStatus) as raised:
                connect(uri(server))
            assert raised.value.response.status_code == 401
    assert "opening handshake failed" not in caplog.text


def test_open_timeout_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        with run_server(open_timeout=0.1) as server:
            with socket.create_connection(server.socket.getsockname()) as sock:
                sock.settimeout(5)
                assert sock.recv(4096) == b""
    assert "opening handshake timed out after 0.1 seconds" in caplog.text


def test_listening_and_shutdown_are_logged(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with caplog.at_level(logging.INFO, logger="websockets.server"):
        with run_server():
            pass
        server = serve(echo, "::1", 0, family=socket.AF_INET6)
        server.shutdown()
        server = unix_serve(echo, str(tmp_path / "log.sock"))
        server.shutdown()
    assert re.search(r"server listening on 127\.0\.0\.1:\d+", caplog.text)
    assert re.search(r"server listening on \[::1\]:\d+", caplog.text)
    assert re.search(r"server listening on .*log\.sock", caplog.text)
    assert caplog.text.count("server closing") == 3
    assert caplog.text.count("server closed") == 3


def test_handshake_during_shutdown_answers_503() -> None:
    arrived = threading.Event()
    release = threading.Event()

    def process_request(connection: ServerConnection, request: Request) -> None:
        arrived.set()
        release.wait(5)

    server = serve(echo, "127.0.0.1", 0, process_request=process_request)
    with running(server):
        client, outcome = run_in_thread(lambda: connect(uri(server)))
        assert arrived.wait(5)
        closing, _ = run_in_thread(server.shutdown)
        wait_for(server.socket_closed.is_set)
        release.set()
        client.join(5)
        closing.join(5)
    (exc,) = outcome
    assert isinstance(exc, InvalidStatus)
    assert exc.response.status_code == 503


def test_early_close_from_client_that_keeps_tcp_open() -> None:
    # The client sends a message and a close frame right behind its request,
    # then never closes the TCP connection.
    received: list[str] = []

    def handler(connection: ServerConnection) -> None:
        received.extend(str(message) for message in connection)

    with run_server(handler, close_timeout=0.2, compression=None) as server:
        with socket.create_connection(server.socket.getsockname()) as sock:
            sock.sendall(
                b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
                # Masked with zeros: a text frame "hi" and a close frame.
                b"\x81\x82\x00\x00\x00\x00hi\x88\x80\x00\x00\x00\x00"
            )
            sock.settimeout(5)
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            assert data.startswith(b"HTTP/1.1 101 ")
            wait_for(lambda: received == ["hi"])


def test_broadcast_is_the_connection_modules() -> None:
    import ws_sync.connection
    import ws_sync.server

    assert ws_sync.server.broadcast is ws_sync.connection.broadcast

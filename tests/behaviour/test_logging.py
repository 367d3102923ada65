"""What the server logs, for every I/O flavour."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Callable
from typing import Any

import pytest
import trustme

from ws_frames.exceptions import InvalidStatus

from .flavor import Conn, Flavor, run


LOGGER = "websockets.server"


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


async def echo(conn: Conn) -> None:
    async for message in conn.messages():
        await conn.send(message)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


async def eventually(predicate: Callable[[], bool]) -> None:
    """Wait until ``predicate`` holds: some lines come from other threads."""
    while not predicate():
        await asyncio.sleep(0.01)


def failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Records about failed opening handshakes."""
    return [
        record
        for record in caplog.records
        if record.getMessage().startswith("opening handshake")
    ]


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    assert [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING or record.exc_info is not None
    ] == []


async def raw_exchange(uri: str, data: bytes, leave: bool = False) -> bytes:
    """
    Send ``data`` to the server, and the end of the stream if ``leave`` is
    set, then read until the server closes the connection.

    """
    host, port = uri.removeprefix("ws://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        if leave:
            writer.write_eof()
        return await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()
        await writer.wait_closed()


# A connection's life


def test_connection_open_and_closed(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async with flavor.serve(echo) as server:
            async with flavor.connect(server.uri) as conn:
                await conn.send("hello")
                assert await conn.recv() == "hello"
            await eventually(lambda: "connection closed" in messages(caplog))
        lines = messages(caplog)
        assert re.fullmatch(r"server listening on 127\.0\.0\.1:\d+", lines[0])
        assert lines[1:] == [
            "connection open",
            "connection closed",
            "server closing",
            "server closed",
        ]
        assert all(record.levelno == logging.INFO for record in caplog.records)

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())


# Handshakes that the client makes fail: one line, no traceback.


@pytest.mark.parametrize(
    "request_bytes",
    [
        # An escape sequence that clears the screen, a bell, a bare CR.
        b"GET /\x1b[2J\x07\rFAKE HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"\x1b[31mred\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: local\x1bhost\r\n\r\n",
    ],
)
def test_invalid_request_is_one_escaped_line(
    flavor: Flavor, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            answer = await raw_exchange(server.uri, request_bytes)
            assert answer.startswith(b"HTTP/1.1 400 ")
            await eventually(lambda: len(failures(caplog)) == 1)

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    (record,) = failures(caplog)
    assert record.levelno == logging.INFO
    assert record.exc_info is None
    line = record.getMessage()
    assert line.startswith("opening handshake failed: ")
    assert all(char.isprintable() for char in line)
    assert "\\x1b" in line
    assert_no_errors(caplog)


def test_what_the_client_sent_is_cut_short(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            target = b"/" + b"\x1b" * 4000
            answer = await raw_exchange(
                server.uri, b"GET " + target + b" HTTP/1.1\r\n\r\n"
            )
            assert answer.startswith(b"HTTP/1.1 400 ")
            await eventually(lambda: len(failures(caplog)) == 1)

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    (record,) = failures(caplog)
    assert len(record.getMessage()) < 500


def test_client_that_leaves_without_request_is_one_line(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            assert await raw_exchange(server.uri, b"", leave=True) == b""
            await eventually(lambda: len(failures(caplog)) == 1)
            partial = b"GET / HTTP/1.1\r\n"
            assert await raw_exchange(server.uri, partial, leave=True) == b""
            await eventually(lambda: len(failures(caplog)) == 2)

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    for record in failures(caplog):
        assert record.levelno == logging.INFO
        assert record.exc_info is None
        assert record.getMessage().startswith(
            "opening handshake failed: did not receive a valid HTTP request"
        )
    assert_no_errors(caplog)


def test_open_timeout_is_one_line(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async with flavor.serve(wait, open_timeout=0.2) as server:
            # Part of a request, then nothing.
            answer = await raw_exchange(server.uri, b"GET / HTTP/1.1\r\n")
            assert answer == b""
            await eventually(lambda: len(failures(caplog)) == 1)

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    (record,) = failures(caplog)
    assert record.levelno == logging.INFO
    assert record.getMessage() == "opening handshake timed out after 0.2 seconds"
    assert_no_errors(caplog)


def test_invalid_request_from_client_that_stays_is_one_line(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async with flavor.serve(wait, open_timeout=0.2, close_timeout=5) as server:
            host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                writer.write(b"GET /\x1b HTTP/1.1\r\n\r\n")
                answer = await asyncio.wait_for(reader.read(), 5)
                assert answer.startswith(b"HTTP/1.1 400 ")
                # The client doesn't close the connection until open_timeout.
                await eventually(lambda: len(failures(caplog)) == 1)
            finally:
                writer.close()
                await writer.wait_closed()

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    (record,) = failures(caplog)
    assert record.getMessage() == (
        "opening handshake failed: did not receive a valid HTTP request: "
        "invalid HTTP request target: /\\x1b"
    )
    assert_no_errors(caplog)


def test_client_that_stays_after_refusal_isnt_a_failure(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(connection: Any, request: Any) -> Any:
        return connection.respond(404, "nothing here\n")

    async def body() -> None:
        async with flavor.serve(
            wait, process_request=refuse, open_timeout=0.2, close_timeout=0.5
        ) as server:
            host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                writer.write(
                    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\n"
                    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n"
                )
                # The client reads the answer, then never closes.
                answer = await asyncio.wait_for(reader.read(), 5)
                assert answer.startswith(b"HTTP/1.1 404 ")
                await eventually(lambda: "connection closed" in messages(caplog))
            finally:
                writer.close()
                await writer.wait_closed()

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    assert failures(caplog) == []
    assert "connection rejected (404 Not Found)" in messages(caplog)
    assert_no_errors(caplog)


def test_refused_handshake_is_one_line(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        async with flavor.serve(wait, origins=["https://example.com"]) as server:
            with pytest.raises(InvalidStatus):
                async with flavor.connect(server.uri, origin="https://evil.test"):
                    pass  # pragma: no cover
            await eventually(lambda: len(failures(caplog)) == 1)

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    (record,) = failures(caplog)
    assert record.getMessage() == (
        "opening handshake failed: invalid Origin header: https://evil.test"
    )
    assert "connection rejected (403 Forbidden)" in messages(caplog)
    assert_no_errors(caplog)


def tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client_context)
    return server_context, client_context


def test_failed_tls_handshake_isnt_an_error(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        server_context, client_context = tls_contexts()
        async with flavor.serve(echo, ssl=server_context) as server:
            plain_uri = server.uri.replace("wss://", "ws://")
            # Plain HTTP to a TLS server.
            answer = await raw_exchange(plain_uri, b"GET / HTTP/1.1\r\n\r\n")
            assert not answer.startswith(b"HTTP/")
            async with flavor.connect(server.uri, ssl=client_context) as conn:
                await conn.send("still serving")
                assert await conn.recv() == "still serving"

    with caplog.at_level(logging.INFO):
        run(body())
    assert len(failures(caplog)) <= 1
    assert_no_errors(caplog)


def test_open_timeout_bounds_the_tls_handshake(flavor: Flavor) -> None:
    async def body() -> None:
        server_context, _ = tls_contexts()
        async with flavor.serve(wait, ssl=server_context, open_timeout=0.2) as server:
            loop = asyncio.get_running_loop()
            start = loop.time()
            # No TLS ClientHello, nothing at all.
            plain_uri = server.uri.replace("wss://", "ws://")
            assert await raw_exchange(plain_uri, b"") == b""
            assert loop.time() - start < 3

    run(body())


# Failures of the hooks are bugs: a traceback at ERROR.


def failing_hook(*args: Any) -> Any:
    raise RuntimeError("bug in a hook")


@pytest.mark.parametrize("hook", ["process_request", "process_response"])
def test_hook_failure_is_an_error_with_traceback(
    flavor: Flavor, caplog: pytest.LogCaptureFixture, hook: str
) -> None:
    async def body() -> None:
        async with flavor.serve(wait, **{hook: failing_hook}) as server:
            with pytest.raises(InvalidStatus) as raised:
                async with flavor.connect(server.uri):
                    pass  # pragma: no cover
            assert raised.value.response.status_code == 500
            await eventually(lambda: "connection closed" in messages(caplog))

    with caplog.at_level(logging.INFO, LOGGER):
        run(body())
    errors = [record for record in caplog.records if record.levelno >= logging.WARNING]
    (record,) = errors
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"{hook} failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert failures(caplog) == []

"""What goes on the wire in the opening handshake, for every I/O flavour."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ws_frames.exceptions import (
    InvalidHeaderValue,
    StatusLineTooLong,
    TooManyHeaders,
)

from .flavor import Conn, Flavor, Mailbox, run


async def wait(conn: Conn) -> None:
    await conn.wait_closed()


def handshake_request(path: bytes = b"/", *extra: bytes) -> bytes:
    return b"".join(
        line + b"\r\n"
        for line in [
            b"GET " + path + b" HTTP/1.1",
            b"Host: localhost",
            b"Upgrade: websocket",
            b"Connection: Upgrade",
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            b"Sec-WebSocket-Version: 13",
            *extra,
            b"",
        ]
    )


async def raw_http(uri: str, request: bytes) -> bytes:
    """Send raw bytes to the server; return its answer up to the first frame."""
    host, port = uri.removeprefix("ws://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    finally:
        writer.close()


@asynccontextmanager
async def raw_server(answer: bytes) -> AsyncIterator[str]:
    """Run a server that sends ``answer`` to any request; yield its URI."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield f"ws://{host}:{port}/"
    finally:
        server.close()


# Header values are ISO-8859-1


def test_request_header_from_client(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[str] = Mailbox()

        async def handler(conn: Conn) -> None:
            await seen.put(conn.request.headers["X-Name"])

        async with flavor.serve(handler) as server:
            async with flavor.connect(
                server.uri, additional_headers={"X-Name": "café"}
            ) as conn:
                assert conn.request.serialize().count(b"X-Name: caf\xe9\r\n") == 1
                assert await seen.get() == "café"

    run(body())


def test_request_header_from_the_wire(flavor: Flavor) -> None:
    async def body() -> None:
        seen: Mailbox[str] = Mailbox()

        async def handler(conn: Conn) -> None:
            await seen.put(conn.request.headers["X-Name"])

        async with flavor.serve(handler) as server:
            answer = await raw_http(
                server.uri, handshake_request(b"/", b"X-Name: caf\xe9")
            )
            assert answer.startswith(b"HTTP/1.1 101 ")
            assert await seen.get() == "café"

    run(body())


def test_response_header_and_reason_phrase(flavor: Flavor) -> None:
    def process_response(connection: Any, request: Any, response: Any) -> None:
        response.reason_phrase = "Bascule réussie"
        response.headers["X-Name"] = "café"

    async def body() -> None:
        async with flavor.serve(wait, process_response=process_response) as server:
            answer = await raw_http(server.uri, handshake_request())
            assert answer.startswith(b"HTTP/1.1 101 Bascule r\xe9ussie\r\n")
            assert b"\r\nX-Name: caf\xe9\r\n" in answer
            async with flavor.connect(server.uri) as conn:
                assert conn.response.reason_phrase == "Bascule réussie"
                assert conn.response.headers["X-Name"] == "café"

    run(body())


@pytest.mark.parametrize("value", ["\u2192", "a\r\nX-Injected: 1", "a\nb"])
def test_header_value_that_cannot_be_sent(flavor: Flavor, value: str) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            with pytest.raises(InvalidHeaderValue) as raised:
                async with flavor.connect(
                    server.uri, additional_headers={"X-Name": value}
                ):
                    pass  # pragma: no cover
            assert str(raised.value) == f"invalid X-Name header: {value}"

    run(body())


# The request line


@pytest.mark.parametrize("path", [b"/caf\xe9", b"/caf\xc3\xa9"])
def test_request_target_that_isnt_ascii(flavor: Flavor, path: bytes) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            answer = await raw_http(server.uri, handshake_request(path))
            assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")

    run(body())


def test_method_other_than_get(flavor: Flavor) -> None:
    async def body() -> None:
        async with flavor.serve(wait) as server:
            request = handshake_request().replace(b"GET", b"POST", 1)
            host, port = server.uri.removeprefix("ws://").rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            try:
                writer.write(request)
                answer = await asyncio.wait_for(reader.read(), 5)
            finally:
                writer.close()
            assert answer.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
            assert answer.endswith(
                b"Failed to open a WebSocket connection: "
                b"unsupported HTTP method: POST.\n"
            )

    run(body())


# Limits are reported as such


@pytest.mark.parametrize(
    "answer, exc_type, message",
    [
        (
            b"HTTP/1.1 101 " + b"a" * 9000 + b"\r\n\r\n",
            StatusLineTooLong,
            "read 9015 bytes, expected no more than 8192 bytes",
        ),
        (
            b"HTTP/1.1 101 Switching Protocols\r\n" + b"X: y\r\n" * 200 + b"\r\n",
            TooManyHeaders,
            "expected no more than 128 headers",
        ),
    ],
)
def test_response_over_limit(
    flavor: Flavor, answer: bytes, exc_type: type[Exception], message: str
) -> None:
    async def body() -> None:
        async with raw_server(answer) as uri:
            with pytest.raises(exc_type) as raised:
                async with flavor.connect(uri):
                    pass  # pragma: no cover
            assert type(raised.value) is exc_type
            assert str(raised.value) == message

    run(body())


def test_request_line_over_limit(
    flavor: Flavor, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        with caplog.at_level(logging.INFO, logger="websockets.server"):
            async with flavor.serve(wait) as server:
                answer = await raw_http(
                    server.uri, handshake_request(b"/" + b"a" * 9000)
                )
                assert answer.startswith(b"HTTP/1.1 414 Request-URI Too Long\r\n")
        # The limit itself is the reason, not an InvalidMessage caused by it.
        failures = [
            record.getMessage()
            for record in caplog.records
            if record.getMessage().startswith("opening handshake failed")
        ]
        assert failures == [
            "opening handshake failed: "
            "read 9016 bytes, expected no more than 8192 bytes"
        ]

    run(body())

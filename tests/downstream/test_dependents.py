"""Patterns that well-known dependents of websockets rely on, against uvicorn.

- a subclass of ``websockets.asyncio.client.connect`` that overrides
  ``process_redirect`` (to follow redirects its own way, or refuse them);
- the threading client on a socket of the caller's, without a User-Agent
  header and without waiting for the closing handshake;
- the body of a refused handshake, read from ``InvalidStatus.response.body``.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from tests.downstream.app import DENY_BODY, DENY_CHALLENGE
from tests.downstream.server import IMPLEMENTATIONS, LEGACY_HANDLER_WARNING, Uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as sync_connect


pytestmark = pytest.mark.filterwarnings(LEGACY_HANDLER_WARNING)

IMPLS = pytest.mark.parametrize("impl", IMPLEMENTATIONS)
TIMEOUT = 20.0


@IMPLS
def test_process_redirect_rewrites_the_target(server: Uvicorn, key: str) -> None:
    calls: list[tuple[Exception, Exception | str]] = []

    class Hopping(connect):
        def process_redirect(self, exc: Exception) -> Exception | str:
            target = super().process_redirect(exc)
            calls.append((exc, target))
            return target if isinstance(target, Exception) else f"{target}&hop=1"

    async def main() -> str:
        async with Hopping(server.url(f"/moved?id={key}")) as connection:
            await connection.send("landed")
            reply = await connection.recv()
            assert isinstance(reply, str)
            return reply

    assert asyncio.run(asyncio.wait_for(main(), TIMEOUT)) == "landed"
    assert len(calls) == 1
    exc, target = calls[0]
    assert isinstance(exc, InvalidStatus)
    assert exc.response.status_code == 302
    assert exc.response.headers["Location"] == f"/echo?id={key}"
    assert target == server.url(f"/echo?id={key}")
    seen = server.recorder.wait(key)
    assert (seen.path, seen.query) == ("/echo", f"id={key}&hop=1")
    assert seen.messages == ["landed"]


@IMPLS
def test_process_redirect_refuses(server: Uvicorn, key: str) -> None:
    calls: list[Exception] = []

    class Staying(connect):
        def process_redirect(self, exc: Exception) -> Exception | str:
            calls.append(exc)
            return exc

    async def main() -> None:
        async with Staying(server.url(f"/moved?id={key}")):
            pytest.fail("the redirect was followed")

    with pytest.raises(InvalidStatus) as raised:
        asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert calls == [raised.value]
    assert raised.value.response.status_code == 302
    assert raised.value.response.headers["Location"] == f"/echo?id={key}"
    assert server.recorder.wait(key).path == "/moved"


@IMPLS
def test_threading_client_on_own_socket(server: Uvicorn, key: str) -> None:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
    # The socket decides where to connect: the port in the URI is never used.
    uri = f"ws://127.0.0.1:1/echo?id={key}"
    with sync_connect(
        uri, sock=sock, user_agent_header=None, close_timeout=0
    ) as connection:
        assert connection.request is not None
        assert "User-Agent" not in connection.request.headers
        connection.send("sync ✓")
        assert connection.recv(timeout=TIMEOUT) == "sync ✓"
        connection.send(b"\x00\xff")
        assert connection.recv(timeout=TIMEOUT) == b"\x00\xff"
        closing = time.monotonic()
    # close_timeout=0: the client doesn't wait for the server's close frame.
    assert time.monotonic() - closing < 1.0
    # Usually the connection is cut before the answer comes (1006); on a busy
    # machine the reading thread may get the server's close frame first.
    assert connection.close_code in (1006, 1000)
    assert sock.fileno() == -1
    seen = server.recorder.wait(key)
    assert seen.header("user-agent") == []
    assert seen.header("host") == ["127.0.0.1:1"]
    assert seen.messages == ["sync ✓", b"\x00\xff"]
    assert seen.disconnect is not None


@IMPLS
def test_invalid_status_body_asyncio(server: Uvicorn, key: str) -> None:
    async def main() -> None:
        async with connect(server.url(f"/deny?id={key}")):
            pytest.fail("the handshake succeeded")

    with pytest.raises(InvalidStatus) as raised:
        asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    check_denial(raised.value)


@IMPLS
def test_invalid_status_body_threading(server: Uvicorn, key: str) -> None:
    with pytest.raises(InvalidStatus) as raised:
        with sync_connect(server.url(f"/deny?id={key}"), open_timeout=TIMEOUT):
            pytest.fail("the handshake succeeded")
    check_denial(raised.value)


def check_denial(exc: InvalidStatus) -> None:
    assert str(exc) == "server rejected WebSocket connection: HTTP 401"
    response = exc.response
    assert response.status_code == 401
    assert response.reason_phrase == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == DENY_CHALLENGE
    assert response.body is not None
    assert response.body == DENY_BODY
    assert response.body.decode() == DENY_BODY.decode()


@IMPLS
def test_invalid_status_empty_body(server: Uvicorn, key: str) -> None:
    with pytest.raises(InvalidStatus) as raised:
        with sync_connect(server.url(f"/reject?id={key}"), open_timeout=TIMEOUT):
            pytest.fail("the handshake succeeded")
    assert raised.value.response.status_code == 403
    assert raised.value.response.body == b""

"""uvicorn on this project's websockets, visited by our asyncio client and Node's ws.

``--ws websockets-sansio`` drives our sans-I/O ``ServerProtocol``;
``--ws websockets`` runs our legacy ``WebSocketServerProtocol``. Expected
values that differ between the two are what websockets 17.0 does under the
same uvicorn (observed by running it).
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator

import pytest
import starlette
import uvicorn
from uvicorn.server import ServerState

import websockets
from tests.downstream.app import DENY_BODY, DENY_CHALLENGE, SERVED_BY
from tests.downstream.clients import Fragments, Message, Visit
from tests.downstream.conftest import Runner
from tests.downstream.server import (
    IMPLEMENTATIONS,
    LEGACY_HANDLER_WARNING,
    MAX_SIZE,
    Uvicorn,
    check_ours,
)
from websockets.asyncio.client import connect


# uvicorn's legacy handler takes the path argument that websockets 17.0
# deprecates, once per connection (checked below).
pytestmark = pytest.mark.filterwarnings(LEGACY_HANDLER_WARNING)

IMPLS = pytest.mark.parametrize("impl", IMPLEMENTATIONS)
CLIENTS = pytest.mark.parametrize("client", ["ours", "node"])

# What each implementation answers to `permessage-deflate; client_max_window_bits`.
EXTENSIONS = {
    "websockets-sansio": "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
    "websockets": "permessage-deflate",
}
# The Content-Type of uvicorn's 403 when the application closes before accepting.
REJECT_TYPE = {
    "websockets-sansio": "text/plain; charset=utf-8",
    "websockets": "text/plain",
}
PHRASE = "héllo wörld ✓"
ECHOED: list[Message] = [
    "",
    PHRASE,
    # As many phrases as fit under the limit once encoded.
    PHRASE * (MAX_SIZE // len(PHRASE.encode())),
    b"",
    random.Random(6455).randbytes(MAX_SIZE // 2),
    # Exactly the limit: accepted. Compressible, so that the compressed frame
    # stays under the limit too: the limit also applies to frames as received.
    bytes(range(256)) * (MAX_SIZE // 256),
]


def test_uvicorn_runs_on_this_project() -> None:
    check_ours()
    assert uvicorn.__version__ == "0.55.0"
    assert starlette.__version__ == "1.10.0"
    # What uvicorn imported is ours, module by module.
    for name in IMPLEMENTATIONS:
        Uvicorn(name)  # loads the protocol module
    for module in ("websockets_sansio_impl", "websockets_impl"):
        loaded = sys.modules[f"uvicorn.protocols.websockets.{module}"]
        assert loaded.websockets_version == websockets.__version__
    sansio = sys.modules["uvicorn.protocols.websockets.websockets_sansio_impl"]
    assert sansio.ServerProtocol is websockets.server.ServerProtocol
    legacy = sys.modules["uvicorn.protocols.websockets.websockets_impl"]
    assert legacy.WebSocketServerProtocol is (
        websockets.legacy.server.WebSocketServerProtocol
    )


def test_legacy_handler_warning() -> None:
    config = Uvicorn("websockets").server.config
    legacy = sys.modules["uvicorn.protocols.websockets.websockets_impl"]

    async def make() -> None:
        legacy.WebSocketProtocol(
            config=config, server_state=ServerState(), app_state={}
        )

    with pytest.warns(DeprecationWarning, match="remove second argument of ws_handler"):
        asyncio.run(make())


@IMPLS
@CLIENTS
def test_accept_with_subprotocol_and_headers(
    server: Uvicorn, run: Runner, key: str
) -> None:
    visit = Visit(
        f"/echo?id={key}", subprotocols=["chat.v1", "chat.v2"], send=["hi"], replies=1
    )
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    # The server's preference wins among what the client offers.
    assert outcome.subprotocol == "chat.v2"
    assert outcome.headers["sec-websocket-protocol"] == "chat.v2"
    assert outcome.headers["x-served-by"] == SERVED_BY
    assert outcome.headers["server"] == "uvicorn"
    assert outcome.received == ["hi"]
    assert outcome.close == (1000, "")
    seen = server.recorder.wait(key)
    assert seen.subprotocols == ["chat.v1", "chat.v2"]
    assert seen.disconnect == (1000, "")


@IMPLS
@CLIENTS
def test_accept_without_subprotocol(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(f"/echo?id={key}")
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    assert outcome.subprotocol is None
    assert "sec-websocket-protocol" not in outcome.headers
    assert outcome.close == (1000, "")
    seen = server.recorder.wait(key)
    assert seen.subprotocols == []
    assert seen.header("sec-websocket-protocol") == []


@IMPLS
@CLIENTS
def test_reject_with_403(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(f"/reject?id={key}")
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 403, outcome.describe() + server.errors()
    assert outcome.body == b""
    assert outcome.headers["content-length"] == "0"
    assert outcome.headers["content-type"] == REJECT_TYPE[server.ws]
    assert outcome.headers["connection"] == "close"
    assert outcome.close is None
    seen = server.recorder.wait(key)
    assert seen.messages == []


@IMPLS
@CLIENTS
def test_application_response(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(f"/deny?id={key}")
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 401, outcome.describe() + server.errors()
    assert outcome.body == DENY_BODY
    assert outcome.headers["www-authenticate"] == DENY_CHALLENGE
    assert outcome.headers["content-length"] == str(len(DENY_BODY))
    assert outcome.headers["content-type"] == "text/plain; charset=utf-8"
    assert outcome.close is None
    server.recorder.wait(key)


@IMPLS
@CLIENTS
@pytest.mark.parametrize("deflate", [True, False], ids=["deflate", "plain"])
def test_echo(server: Uvicorn, run: Runner, key: str, deflate: bool) -> None:
    visit = Visit(f"/echo?id={key}", deflate=deflate, send=ECHOED, replies=len(ECHOED))
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    expected = EXTENSIONS[server.ws] if deflate else None
    assert outcome.headers.get("sec-websocket-extensions") == expected
    assert outcome.received == ECHOED, outcome.describe()
    assert outcome.close == (1000, "")
    seen = server.recorder.wait(key)
    assert seen.messages == ECHOED
    assert seen.disconnect == (1000, "")


# A message one byte too big: in one frame, in fragments, or compressed to a
# few hundred bytes (the limit applies to the message, not to what's on the wire).
TOO_BIG: dict[str, tuple[Message | Fragments, bool]] = {
    "frame": (b"\x00" * (MAX_SIZE + 1), False),
    "fragments": (
        (b"\x01" * (MAX_SIZE // 2), b"\x02" * (MAX_SIZE // 2), b"\x03"),
        False,
    ),
    "text-deflate": ("z" * (MAX_SIZE + 1), True),
}
# The close frame the client receives and the disconnect event the application
# gets, as with websockets 17.0. The sans-I/O server says why in the reason.
LIMIT = f"exceeds limit of {MAX_SIZE} bytes"
TOO_BIG_CLOSE: dict[tuple[str, str], tuple[tuple[int, str], tuple[int, str] | None]] = {
    ("websockets-sansio", "frame"): (
        (1009, f"frame with {MAX_SIZE + 1} bytes {LIMIT}"),
        (1009, f"frame with {MAX_SIZE + 1} bytes {LIMIT}"),
    ),
    ("websockets-sansio", "fragments"): (
        (1009, f"frame with 1 bytes after reading {MAX_SIZE} bytes {LIMIT}"),
        (1009, f"frame with 1 bytes after reading {MAX_SIZE} bytes {LIMIT}"),
    ),
    ("websockets-sansio", "text-deflate"): (
        (1009, f"frame {LIMIT}"),
        (1009, f"frame {LIMIT}"),
    ),
    # The legacy server stops reading at a frame header over the limit and
    # tells the application (1006) only after its close_timeout, 10 s later:
    # this test doesn't wait that long.
    ("websockets", "frame"): ((1009, ""), None),
    ("websockets", "fragments"): ((1009, ""), (1006, "")),
    ("websockets", "text-deflate"): ((1009, ""), (1006, "")),
}


@IMPLS
@CLIENTS
@pytest.mark.parametrize("case", TOO_BIG)
def test_message_above_max_size(
    server: Uvicorn, run: Runner, key: str, case: str
) -> None:
    message, deflate = TOO_BIG[case]
    visit = Visit(f"/echo?id={key}", deflate=deflate, send=[message], close=None)
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    client_close, disconnect = TOO_BIG_CLOSE[server.ws, case]
    assert outcome.received == []
    assert outcome.close == client_close, outcome.describe()
    if disconnect is None:
        seen = server.recorder.get(key)
        assert seen is not None
    else:
        seen = server.recorder.wait(key)
        assert seen.disconnect == disconnect
    assert seen.messages == []


@IMPLS
@CLIENTS
def test_client_closes(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(
        f"/echo?id={key}", send=["last"], replies=1, close=(4002, "client says bye ✓")
    )
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    assert outcome.received == ["last"]
    # The server answers with the same code and reason.
    assert outcome.close == (4002, "client says bye ✓")
    seen = server.recorder.wait(key)
    assert seen.disconnect == (4002, "client says bye ✓")


@IMPLS
@CLIENTS
def test_server_closes(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(f"/close?id={key}", send=["4001 server says bye ✓"], close=None)
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    assert outcome.received == []
    assert outcome.close == (4001, "server says bye ✓")
    assert server.recorder.wait(key).messages == ["4001 server says bye ✓"]


@IMPLS
@pytest.mark.parametrize("deflate", [True, False], ids=["deflate", "plain"])
def test_fragmented_message(server: Uvicorn, key: str, deflate: bool) -> None:
    chunks = ["frag", "mé", "nted ✓"]

    async def fragments() -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    async def main() -> Message:
        async with connect(
            server.url(f"/echo?id={key}"),
            compression="deflate" if deflate else None,
        ) as connection:
            await connection.send(fragments())
            await connection.send([b"by", b"tes"])
            text = await connection.recv()
            assert await connection.recv() == b"bytes"
            return text

    assert asyncio.run(asyncio.wait_for(main(), 20)) == "fragménted ✓"
    assert server.recorder.wait(key).messages == ["fragménted ✓", b"bytes"]

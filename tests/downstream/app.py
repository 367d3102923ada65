"""The Starlette application that uvicorn serves, and what it saw.

Every route records, per connection, what the application was told: request
headers (as the ASGI scope hands them over, bytes decoded as ISO-8859-1 the way
Starlette does), offered subprotocols, messages and the disconnect event. A
test names its connection with an ``id`` query parameter and reads the record
back once the handler is over, so that each side's view can be compared.

Routes:

- ``/echo``: accepts, picks the first of ``SUBPROTOCOLS`` the client offers,
  adds ``X-Served-By``, echoes every message until the client leaves.
- ``/accent``: like ``/echo``, with a non-ASCII response header ``X-Name: café``.
- ``/reject``: closes before accepting (uvicorn answers 403).
- ``/deny``: an HTTP response of the application's own (401, headers, body).
- ``/moved``: a 302 redirect to ``/echo``, keeping the query.
- ``/close``: accepts, waits for one message, then closes with the code and
  reason that the message asks for (``"4001 some reason"``).
- ``/hold``: accepts and waits for the disconnect (for server shutdown).
"""

from __future__ import annotations

import dataclasses
import threading

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


SUBPROTOCOLS = ("chat.v2", "chat.v1")
SERVED_BY = "uvicorn-downstream"
ACCENT = "café"
DENY_BODY = b"no entry without a token\n"
DENY_CHALLENGE = 'Bearer realm="downstream"'


@dataclasses.dataclass
class Seen:
    """What the application saw on one connection."""

    path: str
    query: str
    headers: list[tuple[str, str]]
    subprotocols: list[str]
    messages: list[str | bytes] = dataclasses.field(default_factory=list)
    disconnect: tuple[int, str] | None = None
    done: bool = False

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]


class Recorder:
    """Records per connection id; the server thread writes, tests wait and read."""

    def __init__(self) -> None:
        self._seen: dict[str, Seen] = {}
        self._changed = threading.Condition()

    def open(self, websocket: WebSocket) -> Seen:
        seen = Seen(
            path=websocket.url.path,
            query=websocket.url.query,
            headers=[(key, value) for key, value in websocket.headers.items()],
            subprotocols=list(websocket.scope.get("subprotocols", [])),
        )
        with self._changed:
            self._seen[websocket.query_params.get("id", "")] = seen
            self._changed.notify_all()
        return seen

    def finish(self, seen: Seen) -> None:
        with self._changed:
            seen.done = True
            self._changed.notify_all()

    def wait(self, key: str, timeout: float = 10.0) -> Seen:
        """The record of ``key`` once its handler returned; fails after ``timeout``."""
        with self._changed:
            self._changed.wait_for(
                lambda: key in self._seen and self._seen[key].done, timeout
            )
            seen = self._seen.get(key)
        assert seen is not None, f"the application never saw connection {key!r}"
        assert seen.done, f"the handler of {key!r} did not finish: {seen}"
        return seen

    def get(self, key: str) -> Seen | None:
        with self._changed:
            return self._seen.get(key)


async def relay(websocket: WebSocket, seen: Seen, *, echo: bool = True) -> None:
    """Echoes (or just records) every message until the disconnect event."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            # ASGI: 1005 when the close frame had no code.
            seen.disconnect = (message.get("code", 1005), message.get("reason") or "")
            return
        if message.get("text") is not None:
            seen.messages.append(message["text"])
            if echo:
                await websocket.send_text(message["text"])
        else:
            seen.messages.append(message["bytes"])
            if echo:
                await websocket.send_bytes(message["bytes"])


def build(recorder: Recorder) -> Starlette:
    """A Starlette application whose handlers report to ``recorder``."""

    async def echo(websocket: WebSocket) -> None:
        await accept_and_relay(websocket, [])

    async def accent(websocket: WebSocket) -> None:
        await accept_and_relay(websocket, [(b"x-name", ACCENT.encode("iso-8859-1"))])

    async def accept_and_relay(
        websocket: WebSocket, headers: list[tuple[bytes, bytes]]
    ) -> None:
        seen = recorder.open(websocket)
        try:
            offered = seen.subprotocols
            chosen = next((name for name in SUBPROTOCOLS if name in offered), None)
            await websocket.accept(
                subprotocol=chosen,
                headers=[(b"x-served-by", SERVED_BY.encode()), *headers],
            )
            await relay(websocket, seen)
        finally:
            recorder.finish(seen)

    async def reject(websocket: WebSocket) -> None:
        seen = recorder.open(websocket)
        try:
            await websocket.close()
        finally:
            recorder.finish(seen)

    async def deny(websocket: WebSocket) -> None:
        seen = recorder.open(websocket)
        try:
            response = PlainTextResponse(
                DENY_BODY,
                status_code=401,
                headers={"WWW-Authenticate": DENY_CHALLENGE},
            )
            await websocket.send_denial_response(response)
        finally:
            recorder.finish(seen)

    async def moved(websocket: WebSocket) -> None:
        seen = recorder.open(websocket)
        try:
            target = f"/echo?{websocket.url.query}"
            await websocket.send_denial_response(RedirectResponse(target, 302))
        finally:
            recorder.finish(seen)

    async def close(websocket: WebSocket) -> None:
        seen = recorder.open(websocket)
        try:
            await websocket.accept()
            request = await websocket.receive_text()
            seen.messages.append(request)
            code, _, reason = request.partition(" ")
            await websocket.close(int(code), reason)
        finally:
            recorder.finish(seen)

    async def hold(websocket: WebSocket) -> None:
        seen = recorder.open(websocket)
        try:
            await websocket.accept()
            await relay(websocket, seen, echo=False)
        finally:
            recorder.finish(seen)

    return Starlette(
        routes=[
            WebSocketRoute("/echo", echo),
            WebSocketRoute("/accent", accent),
            WebSocketRoute("/reject", reject),
            WebSocketRoute("/deny", deny),
            WebSocketRoute("/moved", moved),
            WebSocketRoute("/close", close),
            WebSocketRoute("/hold", hold),
        ]
    )

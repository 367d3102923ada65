"""uvicorn shutting down while WebSocket connections are open.

uvicorn closes each open connection with 1012 (service restart) and stops; the
clients and the application see that code, and the server thread ends well
within uvicorn's graceful shutdown timeout.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.downstream.clients import Visit
from tests.downstream.conftest import Runner
from tests.downstream.server import IMPLEMENTATIONS, LEGACY_HANDLER_WARNING, Uvicorn


pytestmark = pytest.mark.filterwarnings(LEGACY_HANDLER_WARNING)

CONNECTIONS = 3
OPEN_TIMEOUT = 20.0


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("client", ["ours", "node"])
def test_shutdown_with_connections_open(impl: str, run: Runner) -> None:
    server = Uvicorn(impl).start()
    keys = [uuid.uuid4().hex for _ in range(CONNECTIONS)]
    visits = [Visit(f"/hold?id={key}", send=["still here"], close=None) for key in keys]
    try:
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            running = [pool.submit(run, server.url(v.path), v) for v in visits]
            # Every handler holds its connection and got its message.
            deadline = time.monotonic() + OPEN_TIMEOUT
            while not all(
                (seen := server.recorder.get(key)) and seen.messages for key in keys
            ):
                assert time.monotonic() < deadline, server.errors()
                assert not any(future.done() for future in running), [
                    future.result().describe() for future in running if future.done()
                ]
                time.sleep(0.01)
            stopping = server.stop()
            outcomes = [future.result() for future in running]
    finally:
        if server.thread.is_alive():
            server.stop()
    assert stopping < 2.0, f"uvicorn took {stopping:.2f} s to stop"
    for outcome in outcomes:
        assert outcome.status == 101, outcome.describe() + server.errors()
        assert outcome.received == []
        assert outcome.close == (1012, ""), outcome.describe()
    for key in keys:
        seen = server.recorder.wait(key)
        assert seen.messages == ["still here"]
        assert seen.disconnect == (1012, "")

"""uvicorn in a thread of the test process, on 127.0.0.1 and a free port.

The server runs its own event loop in a daemon thread; ``stop()`` asks it to
exit and waits a bounded time. Everything uvicorn logs at WARNING and above is
kept, so that a failing test can show the server's side (an exception in the
ASGI application, a protocol error) next to what the client saw.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import warnings

import uvicorn

import websockets
from tests.downstream.app import Recorder, build


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = os.path.join(REPO, "packages") + os.sep

# uvicorn's --ws choices that run on this project's websockets.
IMPLEMENTATIONS = ("websockets-sansio", "websockets")

# Small enough that a test can exceed it cheaply, large enough for every echo.
MAX_SIZE = 2**16

LEGACY_HANDLER_WARNING = (
    "ignore:remove second argument of ws_handler:DeprecationWarning"
)

# uvicorn's (uvicorn.error and the others propagate there), and asyncio's for
# a protocol callback that raised.
LOGGERS = ("uvicorn", "asyncio")

START_TIMEOUT = 10.0
STOP_TIMEOUT = 15.0


def check_ours() -> None:
    """Fails unless ``websockets`` is this project's meta-package."""
    assert websockets.__file__ is not None
    assert os.path.abspath(websockets.__file__).startswith(PACKAGES), (
        f"uvicorn would run on {websockets.__file__}, not on {PACKAGES}"
    )


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f" ({type(error).__name__}: {error})"
        self.lines.append(f"{record.name} {record.levelname}: {text}")


class Uvicorn:
    """One uvicorn server serving the application of ``tests.downstream.app``."""

    def __init__(self, ws: str) -> None:
        check_ours()
        self.ws = ws
        self.recorder = Recorder()
        config = uvicorn.Config(
            build(self.recorder),
            host="127.0.0.1",
            port=0,
            ws=ws,
            ws_max_size=MAX_SIZE,
            http="h11",
            loop="asyncio",
            lifespan="off",
            log_config=None,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
        # The legacy implementation imports websockets.legacy, deprecated in
        # 17.0 as here, and uvicorn says it deprecates that implementation:
        # warnings for uvicorn, not for these tests.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            config.load()
        self.server = uvicorn.Server(config)
        self.log = Captured()
        self.logged_before = 0
        self.failure: BaseException | None = None
        self.thread = threading.Thread(
            target=self.run, name=f"uvicorn --ws {ws}", daemon=True
        )

    def run(self) -> None:
        try:
            asyncio.run(self.server.serve())
        except BaseException as exc:  # SystemExit too: uvicorn exits on a bind error
            self.failure = exc

    def start(self) -> Uvicorn:
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self.log)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            assert self.thread.is_alive(), f"uvicorn did not start: {self.failure!r}"
            assert time.monotonic() < deadline, "uvicorn did not start in time"
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        sockets = self.server.servers[0].sockets
        port: int = sockets[0].getsockname()[1]
        return port

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self, timeout: float = STOP_TIMEOUT) -> float:
        """Asks uvicorn to exit; returns how long it took; fails if it didn't."""
        started = time.monotonic()
        self.server.should_exit = True
        self.thread.join(timeout)
        elapsed = time.monotonic() - started
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self.log)
        assert not self.thread.is_alive(), (
            f"uvicorn --ws {self.ws} still running {timeout}s after the exit request"
        )
        assert self.failure is None, f"uvicorn --ws {self.ws} failed: {self.failure!r}"
        return elapsed

    def begin(self) -> Uvicorn:
        """Starts a test: errors() reports what is logged from now on."""
        self.logged_before = len(self.log.lines)
        return self

    def errors(self) -> str:
        """What was logged during the test, for assertion messages."""
        lines = self.log.lines[self.logged_before :]
        return "\n" + ("\n".join(lines) or "(nothing logged)")

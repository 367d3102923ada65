"""Headless Debian chromium as a WebSocket client peer.

One browser serves the whole test session: it loads a page from a small
stdlib HTTP server (the hub), which hands it one plan at a time; the page
opens ``new WebSocket(...)`` to the server side under test, runs the plan with
the same interpreter as the Node peers (``peers/plan_core.mjs``) and posts its
events back to the hub.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.interop.harness import SIDE_TIMEOUT, Report
from tests.interop.plan import Event


PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
STATIC = {
    "/": ("browser_page.html", "text/html; charset=utf-8"),
    "/plan_core.mjs": ("plan_core.mjs", "text/javascript; charset=utf-8"),
}


class Run:
    def __init__(self, command_id: int, config: dict[str, Any]) -> None:
        self.id = command_id
        self.config = config
        self.events: list[Event] = []
        self.done = threading.Event()


class Hub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.runs: dict[int, Run] = {}
        self.ready = threading.Event()
        self.ids = itertools.count()


class HubHandler(BaseHTTPRequestHandler):
    server: Hub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path in STATIC:
            filename, content_type = STATIC[self.path]
            with open(os.path.join(PEERS, filename), "rb") as file:
                self.reply(file.read(), content_type)
        elif self.path == "/next":
            self.server.ready.set()
            try:
                # Long polling, bounded so that no request stays open for long.
                command = self.server.commands.get(timeout=5.0)
            except queue.Empty:
                command = {}
            self.reply(json.dumps(command).encode(), "application/json")
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        run = self.server.runs.get(body["id"])
        if run is not None:
            if self.path == "/event":
                run.events.append(body["event"])
            elif self.path == "/done":
                run.done.set()
        self.reply(b"{}", "application/json")


class Browser:
    """A running chromium and the hub that feeds it plans."""

    def __init__(self) -> None:
        self.hub = Hub()
        self.hub_thread = threading.Thread(target=self.hub.serve_forever, daemon=True)
        self.hub_thread.start()
        self.profile = tempfile.mkdtemp(prefix="interop-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "w+b")
        port = self.hub.server_address[1]
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"http://127.0.0.1:{port}/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.hub.ready.wait(0.1):
                return True
            if self.process.poll() is not None:
                return False
        return False

    def run(self, config: dict[str, Any]) -> Run:
        run = Run(next(self.hub.ids), config)
        self.hub.runs[run.id] = run
        self.hub.commands.put(
            {"id": run.id, "config": config, "timeout_ms": int(SIDE_TIMEOUT * 1000)}
        )
        return run

    def close(self) -> None:
        self.hub.commands.put({"quit": True})
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.hub.shutdown()
        self.hub.server_close()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class BrowserSide:
    """The browser as the client side of a pair."""

    name = "chromium"

    def __init__(self, browser: Browser) -> None:
        self.browser = browser

    def start(self, config: dict[str, Any]) -> None:
        self.current = self.browser.run(config)

    def port(self) -> int:
        raise RuntimeError("the browser is only a client")

    def finish(self, timeout: float = SIDE_TIMEOUT) -> Report:
        deadline = time.monotonic() + timeout
        finished = False
        while time.monotonic() < deadline:
            if self.current.done.wait(0.1):
                finished = True
                break
            # Don't wait out the time-out for a browser that is gone.
            if self.browser.process.poll() is not None:
                break
        output = "" if finished else self.browser.output()
        return Report(self.name, list(self.current.events), output, not finished)

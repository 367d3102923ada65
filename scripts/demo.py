"""
The main job, end to end: ``websockets serve`` on 127.0.0.1 and the
``websockets`` client exchanging a few messages with it.

    python scripts/demo.py

Starts the echo server on a free port, pipes three lines through the client,
which prints each reply and the close code, then stops the server and shows
what it printed.

"""

from __future__ import annotations

import re
import signal
import subprocess
import sys


CLI = [sys.executable, "-m", "websockets"]
LINES = "Hello, world!\nΓειά σου, κόσμε!\nbye\n"


def main() -> int:
    server = subprocess.Popen(
        [*CLI, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        print(f"server: {first}", end="")
        match = re.search(r"ws://\S+?(?=\.?$)", first.strip())
        if match is None:
            print("the server didn't say where it listens", file=sys.stderr)
            return 1
        client = subprocess.run(
            [*CLI, match.group(0)],
            input=LINES,
            capture_output=True,
            text=True,
            timeout=30,
        )
        for line in client.stdout.splitlines():
            print(f"client: {line}")
        print(client.stderr, end="", file=sys.stderr)
    finally:
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=10)
    for line in rest.splitlines():
        print(f"server: {line}")
    return client.returncode


if __name__ == "__main__":
    sys.exit(main())

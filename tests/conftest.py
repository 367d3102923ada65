"""
Run every test that uses asyncio on uvloop when ``WS_TEST_UVLOOP=1`` is set:
the library relies only on the :class:`asyncio.Protocol` and transport APIs,
which uvloop implements too, and CI checks that it works on both loops.

"""

from __future__ import annotations

import asyncio
import os


if os.environ.get("WS_TEST_UVLOOP") == "1":  # pragma: no cover
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

"""
Run the asyncio tests on uvloop when ``WS_TEST_UVLOOP=1`` is set, in an
environment where uvloop is installed: the connection relies only on the
:class:`asyncio.Protocol` and transport APIs, which uvloop implements too.

"""

from __future__ import annotations

import asyncio
import importlib
import os


if os.environ.get("WS_TEST_UVLOOP") == "1":  # pragma: no cover
    asyncio.set_event_loop_policy(importlib.import_module("uvloop").EventLoopPolicy())

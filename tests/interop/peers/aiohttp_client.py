"""aiohttp client peer: python -m tests.interop.peers.aiohttp_client '<json config>'.

config: {url, subprotocols, compression, max_size, plan}. Prints one JSON event
per line, "done" last.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp  # type: ignore[import-not-found, unused-ignore]

from tests.interop.peers.aiohttp_common import COMPRESS_BITS, AiohttpConn
from tests.interop.plan import emit_json, run_plan


async def main(config: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(
                config["url"],
                protocols=config.get("subprotocols") or (),
                compress=COMPRESS_BITS[config["compression"]],
                max_msg_size=config.get("max_size") or 0,
                autoping=False,
            )
        except Exception as exc:
            emit_json({"event": "error", "message": f"connect failed: {exc!r}"})
            return
        response = getattr(ws, "_response", None)
        extensions = (
            None
            if response is None
            else response.headers.get("Sec-WebSocket-Extensions")
        )
        emit_json(
            {"event": "open", "subprotocol": ws.protocol, "extensions": extensions}
        )
        try:
            await run_plan(AiohttpConn(ws), config["plan"], emit_json)
        except Exception as exc:
            emit_json({"event": "error", "message": repr(exc)})
        finally:
            await ws.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
    emit_json({"event": "done"})

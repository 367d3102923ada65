"""aiohttp server peer: python -m tests.interop.peers.aiohttp_server '<json config>'.

config: {subprotocols, compression, max_size, plan}. Listens on 127.0.0.1,
prints {"event": "listening", "port": N}, runs the plan on the first
connection, prints "done" and exits. aiohttp's server accepts the parameters
that the client offers and cannot impose its own, so "tuned" behaves as
"default" here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from aiohttp import web  # type: ignore[import-not-found, unused-ignore]

from tests.interop.peers.aiohttp_common import AiohttpConn
from tests.interop.plan import emit_json, run_plan


async def main(config: dict[str, Any]) -> None:
    finished = asyncio.Event()

    async def handler(request: Any) -> Any:
        ws = web.WebSocketResponse(
            protocols=config.get("subprotocols") or (),
            compress=config["compression"] != "off",
            max_msg_size=config.get("max_size") or 0,
            autoping=False,
        )
        await ws.prepare(request)
        emit_json(
            {
                "event": "open",
                "subprotocol": ws.ws_protocol,
                "extensions": ws.headers.get("Sec-WebSocket-Extensions"),
            }
        )
        try:
            await run_plan(AiohttpConn(ws), config["plan"], emit_json)
        except Exception as exc:
            emit_json({"event": "error", "message": repr(exc)})
        finally:
            await ws.close()
            finished.set()
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    emit_json({"event": "listening", "port": port})
    await finished.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
    emit_json({"event": "done"})

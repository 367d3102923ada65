// Node `ws` client peer: node node_client.mjs '<json config>'
// config: {url, subprotocols, compression, max_size, plan}. Prints one JSON
// event per line, "done" last.

import { NodeConn, emit, loadWs, perMessageDeflate, runOnConnection } from "./node_common.mjs";

const config = JSON.parse(process.argv[2]);
const { WebSocket } = loadWs();
const options = { perMessageDeflate: perMessageDeflate(config.compression) };
if (config.max_size != null) options.maxPayload = config.max_size;
const ws = new WebSocket(config.url, config.subprotocols ?? [], options);
const conn = new NodeConn(ws);
let extensions = null;
ws.on("upgrade", (res) => {
  extensions = res.headers["sec-websocket-extensions"] ?? null;
});
ws.on("unexpected-response", (req, res) => {
  emit({ event: "error", message: `handshake rejected with HTTP ${res.statusCode}` });
  emit({ event: "done" });
  process.exit(0);
});
const opened = new Promise((resolve, reject) => {
  ws.once("open", resolve);
  ws.once("error", reject);
});
try {
  await opened;
  emit({ event: "open", subprotocol: ws.protocol || null, extensions });
  await runOnConnection(conn, config.plan);
} catch (err) {
  emit({ event: "error", message: String(err) });
}
emit({ event: "done" });
process.exit(0);

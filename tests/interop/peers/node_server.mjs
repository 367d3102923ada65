// Node `ws` server peer: node node_server.mjs '<json config>'
// config: {subprotocols, compression, max_size, plan}. Listens on 127.0.0.1,
// prints {"event": "listening", "port": N}, runs the plan on the first
// connection, prints "done" and exits.

import { NodeConn, emit, loadWs, perMessageDeflate, runOnConnection } from "./node_common.mjs";

const config = JSON.parse(process.argv[2]);
const { WebSocketServer } = loadWs();
const supported = config.subprotocols ?? [];
const options = {
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: perMessageDeflate(config.compression),
  handleProtocols: (offered) => {
    for (const protocol of offered) if (supported.includes(protocol)) return protocol;
    return false;
  },
};
if (config.max_size != null) options.maxPayload = config.max_size;
const wss = new WebSocketServer(options);
let extensions = null;
wss.on("headers", (headers) => {
  const line = headers.find((h) => h.toLowerCase().startsWith("sec-websocket-extensions:"));
  extensions = line ? line.slice(line.indexOf(":") + 1).trim() : null;
});
wss.on("listening", () => emit({ event: "listening", port: wss.address().port }));
wss.once("connection", async (ws) => {
  const conn = new NodeConn(ws);
  emit({ event: "open", subprotocol: ws.protocol || null, extensions });
  await runOnConnection(conn, config.plan);
  emit({ event: "done" });
  wss.close();
  process.exit(0);
});

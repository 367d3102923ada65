// Node `ws` client for tests/downstream: node node_client.mjs < config.json
// config: {url, subprotocols, headers, deflate, send, replies, close,
// timeout_ms} (see clients.py). Prints one JSON event per line: "response" or
// "rejected" for the handshake, "open", "message", "close", "error".

import { readFileSync } from "node:fs";

import { emit, loadWs } from "../interop/peers/node_common.mjs";

const config = JSON.parse(readFileSync(0, "utf8"));
const { WebSocket } = loadWs();

setTimeout(() => {
  emit({ event: "error", message: `no close within ${config.timeout_ms} ms` });
  process.exit(0);
}, config.timeout_ms).unref();

const ws = new WebSocket(config.url, config.subprotocols, {
  headers: config.headers,
  perMessageDeflate: config.deflate,
  handshakeTimeout: config.timeout_ms,
});

ws.on("upgrade", (res) => {
  emit({ event: "response", status: res.statusCode, headers: res.headers });
});

// The process ends by itself once the connection is over: process.exit()
// could cut output still on its way to the pipe.
let rejected = false;
ws.on("unexpected-response", (req, res) => {
  const chunks = [];
  res.on("data", (chunk) => chunks.push(chunk));
  res.on("end", () => {
    emit({
      event: "rejected",
      status: res.statusCode,
      headers: res.headers,
      body: Buffer.concat(chunks).toString("base64"),
    });
    rejected = true;
    req.destroy();
  });
});

function payload(message) {
  return message.text !== undefined
    ? { data: message.text, binary: false }
    : { data: Buffer.from(message.binary, "base64"), binary: true };
}

function send(message) {
  if (message.fragments === undefined) {
    const { data, binary } = payload(message);
    ws.send(data, { binary });
    return;
  }
  const last = message.fragments.length - 1;
  message.fragments.forEach((chunk, index) => {
    const { data, binary } = payload(chunk);
    ws.send(data, { binary, fin: index === last, compress: false });
  });
}

let count = 0;
function maybeClose() {
  if (count === config.replies && config.close !== null) {
    ws.close(config.close[0], config.close[1]);
  }
}

ws.on("open", () => {
  emit({ event: "open", protocol: ws.protocol });
  config.send.forEach(send);
  maybeClose();
});

ws.on("message", (data, isBinary) => {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data);
  emit({ event: "message", binary: isBinary, data: bytes.toString("base64") });
  count += 1;
  maybeClose();
});

ws.on("error", (err) => {
  if (!rejected) emit({ event: "error", message: String(err) });
});

ws.on("close", (code, reason) => {
  if (!rejected) emit({ event: "close", code, reason: reason.toString() });
});

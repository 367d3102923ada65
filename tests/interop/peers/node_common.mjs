// The Node `ws` side of the plan language: a connection adapter and helpers
// shared by node_client.mjs and node_server.mjs. The `ws` package is loaded from
// the npm prefix given in the INTEROP_NODE_PREFIX environment variable.

import { createRequire } from "node:module";
import { join } from "node:path";

import { Inbox, runPlan } from "./plan_core.mjs";

export function loadWs() {
  const prefix = process.env.INTEROP_NODE_PREFIX;
  if (!prefix) throw new Error("INTEROP_NODE_PREFIX is not set");
  return createRequire(join(prefix, "package.json"))("ws");
}

export function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

export function perMessageDeflate(compression) {
  switch (compression) {
    case "off":
      return false;
    case "default":
      return true;
    case "tuned":
      return {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 10,
        threshold: 0,
      };
    default:
      throw new Error(`unknown compression ${compression}`);
  }
}

export class NodeConn {
  constructor(ws) {
    this.ws = ws;
    this.inbox = new Inbox();
    this.pongWaiters = [];
    ws.on("message", (data, isBinary) => {
      // Text arrives as UTF-8 bytes (already validated by ws); keep them as
      // bytes so that an echo sends back exactly what arrived.
      this.inbox.push({ binary: isBinary, data: Buffer.isBuffer(data) ? data : Buffer.concat(data) });
    });
    ws.on("ping", (data) => emit({ event: "ping", data: data.toString() }));
    ws.on("pong", (data) => {
      const waiter = this.pongWaiters.shift();
      if (waiter) waiter(data.toString());
    });
    ws.on("error", (err) => emit({ event: "error", message: String(err) }));
    ws.on("close", (code, reason) => {
      // Bytes on the wire, handshake included, to tell whether compression
      // really happened.
      const socket = ws._socket;
      if (socket) this.wire = { read: socket.bytesRead, written: socket.bytesWritten };
      this.inbox.pushClose(code, reason.toString());
    });
  }
  send(data, binary) {
    if (!binary && typeof data !== "string") {
      this.ws.send(Buffer.from(data), { binary: false });
    } else {
      this.ws.send(data, { binary });
    }
  }
  recv() {
    return this.inbox.next();
  }
  ping(text) {
    const pong = new Promise((resolve) => this.pongWaiters.push(resolve));
    this.ws.ping(Buffer.from(text));
    return pong;
  }
  async sendFragments(binary, chunks, pingText) {
    let pong = null;
    for (let i = 0; i < chunks.length; i++) {
      this.ws.send(Buffer.from(chunks[i]), { binary, fin: i === chunks.length - 1, compress: false });
      if (i === 0 && pingText !== null) pong = this.ping(pingText);
    }
    return pong === null ? null : await pong;
  }
  async close(code, reason) {
    this.ws.close(code, reason);
    const msg = await this.lastClose();
    return msg.close;
  }
  async lastClose() {
    for (;;) {
      const msg = await this.inbox.next();
      if (msg.close) return msg;
    }
  }
}

// Create the NodeConn as soon as the WebSocket exists: messages that arrive
// with the handshake response are emitted before any later listener is added.
export async function runOnConnection(conn, plan) {
  try {
    await runPlan(conn, plan, emit);
    if (conn.wire) emit({ event: "wire", ...conn.wire });
  } catch (err) {
    emit({ event: "error", message: String(err && err.stack ? err.stack : err) });
  }
}

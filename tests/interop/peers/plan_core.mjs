// Plan interpreter shared by the Node peers and the browser page.
//
// A plan is a list of steps run in order on one open connection; every step
// reports what it saw as an event object handed to `emit`. The Python side of
// the test suite (tests/interop/plan.py) implements the same language, the same
// payload generators and the same digests, so that both sides' reports can be
// compared byte for byte.

const UNICODE_CYCLE = Array.from("aé€😀𝄞ß中🎉");

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.substr(2 * i, 2), 16);
  }
  return out;
}

// Returns {binary, data}: data is a string for text, a Uint8Array for binary.
export function payload(spec) {
  const size = spec.size ?? 0;
  switch (spec.gen) {
    case "ascii": {
      const chars = new Array(size);
      for (let i = 0; i < size; i++) chars[i] = String.fromCharCode(32 + ((i * 7) % 95));
      return { binary: false, data: chars.join("") };
    }
    case "unicode": {
      const chars = new Array(size);
      for (let i = 0; i < size; i++) chars[i] = UNICODE_CYCLE[i % UNICODE_CYCLE.length];
      return { binary: false, data: chars.join("") };
    }
    case "bytes": {
      const out = new Uint8Array(size);
      for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) % 251;
      return { binary: true, data: out };
    }
    case "noise": {
      const out = new Uint8Array(size);
      let x = 2463534242;
      for (let i = 0; i < size; i++) {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        out[i] = x & 255;
      }
      return { binary: true, data: out };
    }
    case "literal":
      return { binary: false, data: spec.text };
    default:
      throw new Error(`unknown payload generator ${spec.gen}`);
  }
}

export function toBytes(data) {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) return toBytes(concat(data.map(toBytes)));
  throw new Error(`cannot convert ${Object.prototype.toString.call(data)} to bytes`);
}

function concat(parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export async function digest(bytes) {
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function messageEvent(msg) {
  const bytes = toBytes(msg.data);
  return { event: "message", type: msg.binary ? "binary" : "text", len: bytes.length, sha: await digest(bytes) };
}

export class Unsupported extends Error {}

// `conn` provides: send(data, binary), recv() -> {binary, data} | {close:
// {code, reason}}, ping(text) -> Promise<string>, sendFragments(binary,
// chunks, pingText) -> Promise<string|null>, close(code, reason) ->
// Promise<{code, reason}>. Methods that a peer cannot do throw Unsupported.
export async function runPlan(conn, steps, emit) {
  for (const step of steps) {
    switch (step.op) {
      case "send": {
        const p = payload(step.payload);
        conn.send(p.data, p.binary);
        break;
      }
      case "recv": {
        const msg = await conn.recv();
        if (msg.close) {
          await emit({ event: "close", code: msg.close.code, reason: msg.close.reason });
          return;
        }
        await emit(await messageEvent(msg));
        break;
      }
      case "echo": {
        for (let i = 0; i < step.count; i++) {
          const msg = await conn.recv();
          if (msg.close) {
            await emit({ event: "close", code: msg.close.code, reason: msg.close.reason });
            return;
          }
          if (step.log) await emit(await messageEvent(msg));
          conn.send(msg.data, msg.binary);
        }
        await emit({ event: "echoed", count: step.count });
        break;
      }
      case "burst": {
        let ok = true;
        let detail = "";
        for (let start = 0; start < step.count && ok; start += step.window) {
          const end = Math.min(step.count, start + step.window);
          for (let i = start; i < end; i++) conn.send(`message ${i}`, false);
          for (let i = start; i < end; i++) {
            const msg = await conn.recv();
            if (msg.close) {
              await emit({ event: "close", code: msg.close.code, reason: msg.close.reason });
              return;
            }
            const text = new TextDecoder().decode(toBytes(msg.data));
            if (msg.binary || text !== `message ${i}`) {
              ok = false;
              detail = `expected message ${i}, got ${msg.binary ? "binary" : "text"} ${JSON.stringify(text.slice(0, 40))}`;
              break;
            }
          }
        }
        await emit({ event: "burst", count: step.count, ok, detail });
        break;
      }
      case "fragments": {
        const chunks = step.chunks.map(hexToBytes);
        const pong = await conn.sendFragments(step.kind === "binary", chunks, step.ping ?? null);
        if (step.ping) await emit({ event: "pong", data: pong });
        break;
      }
      case "ping": {
        const pong = await conn.ping(step.data);
        await emit({ event: "pong", data: pong });
        break;
      }
      case "close": {
        const closed = await conn.close(step.code, step.reason);
        await emit({ event: "close", code: closed.code, reason: closed.reason });
        return;
      }
      case "wait_close": {
        for (;;) {
          const msg = await conn.recv();
          if (msg.close) {
            await emit({ event: "close", code: msg.close.code, reason: msg.close.reason });
            return;
          }
          await emit(await messageEvent(msg));
        }
      }
      default:
        throw new Error(`unknown step ${step.op}`);
    }
  }
}

// A queue of incoming messages and the final close, fed by event callbacks.
export class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
    this.closed = null;
  }
  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }
  pushClose(code, reason) {
    if (this.closed) return;
    this.closed = { close: { code, reason } };
    this.push(this.closed);
  }
  next() {
    if (this.items.length) {
      const item = this.items.shift();
      // The close stays available to every later call.
      if (item.close) this.items.unshift(item);
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

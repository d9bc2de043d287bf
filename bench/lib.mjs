// Shared helpers for the benchmarks: loopback-only HTTP, percentiles, tables.
import http from "node:http";

export const BASE = (process.env.BENCH_URL ?? "http://127.0.0.1:8797").replace(/\/+$/, "");
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(BASE)) {
  throw new Error(`benchmarks only target loopback, not ${BASE}`);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** POST a JSON body; resolves {status, ms, headers, body}. */
export function post(path, body, headers = {}) {
  const url = new URL(path, BASE);
  const payload = Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", agent, headers: { "content-type": "application/json", "content-length": payload.length, ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export function get(path) {
  const url = new URL(path, BASE);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http.get({ host: url.hostname, port: url.port, path: url.pathname, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, body: Buffer.concat(chunks).toString() }));
    }).on("error", reject);
  });
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const summary = (ms) => ({ n: ms.length, p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99) });
export const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "–");

export function table(headers, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

let ipCounter = 0;
/** A client address no earlier request used (TEST-NET-3 space, varied per process). */
export function freshIp() {
  ipCounter++;
  return `203.0.${(process.pid + Math.floor(ipCounter / 250)) % 256}.${(ipCounter % 250) + 1}`;
}

export const ping = (id) => ({ jsonrpc: "2.0", id, method: "ping" });

/** Runs `count` calls of `fn(i)` with at most `concurrency` in flight. */
export async function pool(count, concurrency, fn) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await fn(i);
    }
  }));
  return results;
}

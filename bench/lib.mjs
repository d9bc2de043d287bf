// Shared helpers for the benchmarks: loopback-only HTTP, percentiles, tables, local API keys.
import http from "node:http";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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

/**
 * `n` API keys for a local worker whose persisted state is `state`, in the format
 * scripts/apikey.mjs writes (KV `key:<sha256(token)>` → record, `id:<id>` → hash), written in one
 * `wrangler kv bulk put` (apikey.mjs spawns wrangler twice per key: minutes for 100 keys).
 * The quotas default to the largest the worker accepts (policy::limiter::MAX_LIMIT, 100000: a
 * larger figure is ignored and the key gets the default 1000/min, 20000/hour), so a benchmark
 * client with its own key meets no 429 while the limiter stays on. The first key is checked
 * against the worker at `url` (an MCP ping must answer 200). Returns the tokens.
 */
export async function createApiKeys({ n, url, state, name = "bench", perMinute = 100_000, perHour = 100_000, dir = "bench/results" }) {
  const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const entries = [];
  const tokens = [];
  for (let i = 0; i < n; i++) {
    const token = "pgn_" + Array.from(randomBytes(40), (b) => BASE62[b % 62]).join("");
    const id = "k_" + randomBytes(4).toString("hex");
    const hash = createHash("sha256").update(token).digest("hex");
    const record = { id, name: `${name}-${i + 1}`, perMinute, perHour, createdAt: new Date().toISOString() };
    entries.push({ key: `key:${hash}`, value: JSON.stringify(record) }, { key: `id:${id}`, value: hash });
    tokens.push(token);
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-keys.json`);
  writeFileSync(file, JSON.stringify(entries));
  try {
    execFileSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "kv", "bulk", "put", file, "--binding", "API_KEYS", "--local", "--persist-to", state], { stdio: "ignore" });
  } finally {
    rmSync(file, { force: true });
  }
  const probe = await fetch(`${url}/mcp`, { method: "POST", headers: { "content-type": "application/json", Authorization: `Bearer ${tokens[0]}` }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) });
  if (probe.status !== 200) throw new Error(`bench API key refused: ${probe.status} ${await probe.text()}`);
  return tokens;
}

/**
 * The URL of the workerd that runs the worker behind `wrangler dev`'s proxy. wrangler dev
 * listens on `port` with a proxy worker (its own workerd) that forwards each request to the
 * worker's workerd on a random loopback port; production has no such hop. That port is found
 * among the sockets of the server's process group (scripts/worker.sh starts each with setsid)
 * as the one that answers GET /health/live with a 200.
 */
export async function workerdUrl(port, name = `:${port}`) {
  const group = readFileSync(`.wrangler/run/worker-${port}.pid`, "utf8").trim();
  const members = new Set(execFileSync("ps", ["-o", "pid=", "-g", group], { encoding: "utf8" }).split(/\s+/).filter(Boolean));
  const ports = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" }).split("\n").flatMap((line) => {
    const m = line.match(/127\.0\.0\.1:(\d+)\s.*pid=(\d+)/);
    return m && members.has(m[2]) && Number(m[1]) !== port ? [Number(m[1])] : [];
  });
  for (const candidate of ports) {
    const url = `http://127.0.0.1:${candidate}`;
    const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    if (res?.status === 200 && /"ok"/.test(await res.text())) return url;
  }
  throw new Error(`${name}: no workerd socket behind :${port} answers /health/live (tried ${ports.join(", ") || "none"})`);
}

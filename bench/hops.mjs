// Issue #14: where a request's time goes, hop by hop. Runs against one or more bench builds
// (cargo feature `bench`, whose router adds a `Server-Timing` header: src/edge/router.rs
// `server_timing`), one client, one request at a time, the servers taking turns request by
// request so that they share the machine's noise. Prints one markdown table per server and a
// before/after table when given two. Run by `make bench-hops` (BASELINE_SCRIPT adds a "before").
//
//   SERVERS="after=http://127.0.0.1:8797,before=http://127.0.0.1:8792" \
//   STATES="after=.wrangler/bench-state,before=.wrangler/hops-before-state" N=150 node bench/hops.mjs
//
// The hops (medians over N requests; Workers clocks advance only across I/O, so a hop's figure
// also holds the compute that ran before its wait began):
// - outside: the client's time minus the router's (wrangler dev's proxy, loopback, HTTP);
// - router: the routing Worker's own time (identify, gate, plan) minus its wait on the object;
// - object: the client object's own time (limiter decision, request conversion) minus handling;
// - handler: MCP handling (session, dispatch, tool, ranking) minus its waits below;
// - index: waits on the format's index object (FTS5 searches);
// - storage: waits on KV, the Cache API and R2.
import http from "node:http";
import { createApiKeys, percentile, table, fmt } from "./lib.mjs";

const N = Number(process.env.N ?? 150);
const WARMUP = 15;
const parse = (list) => Object.fromEntries((list ?? "").split(",").filter(Boolean).map((p) => p.split("=")));
const servers = Object.entries(parse(process.env.SERVERS ?? "after=http://127.0.0.1:8797"));
const states = parse(process.env.STATES ?? "after=.wrangler/bench-state");
const agent = new http.Agent({ keepAlive: true });

function request(base, method, path, body, headers) {
  const url = new URL(path, base);
  const payload = body ? Buffer.from(JSON.stringify(body)) : null;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, agent, headers: { ...(payload ? { "content-type": "application/json", "content-length": payload.length, accept: "application/json, text/event-stream" } : {}), ...headers } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(payload ?? undefined);
  });
}

/** `Server-Timing` → {router, object, handler, index, storage} (ms). */
function timing(header) {
  const out = {};
  for (const part of (header ?? "").split(",")) {
    const m = part.trim().match(/^(\w+);dur=([\d.]+)$/);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

const QUESTIONS = ["kingambit counters", "dragon dance sweeper", "hazard removal", "best zapdos set", "rain team setter", "gholdengo checks"];
let salt = 0;

/** One client per server: an API key (quota out of reach, limiter on) and an MCP session. */
async function client(name, base) {
  const state = states[name];
  if (!state) throw new Error(`no STATES entry for ${name}`);
  const [token] = await createApiKeys({ n: 1, url: base, state, name: `hops-${name}` });
  const auth = { Authorization: `Bearer ${token}` };
  const init = await request(base, "POST", "/mcp", { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "hops", version: "1" } } }, auth);
  const session = init.headers["mcp-session-id"];
  if (init.status !== 200 || !session) throw new Error(`${name}: initialize ${init.status} ${init.text.slice(0, 200)}`);
  const headers = { ...auth, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18" };
  await request(base, "POST", "/mcp", { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  const call = (id, name, args) => request(base, "POST", "/mcp", { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }, headers);
  return {
    "GET /health/live": () => request(base, "GET", "/health/live", null, {}),
    "MCP ping": (i) => request(base, "POST", "/mcp", { jsonrpc: "2.0", id: i, method: "ping" }, headers),
    "get_pokemon": (i) => call(i, "get_pokemon", { name: ["Kingambit", "Great Tusk", "Gholdengo", "Dragonite"][i % 4] }),
    "query_strategy, cold": (i) => call(i, "query_strategy", { query: `${QUESTIONS[i % QUESTIONS.length]} v${++salt}x${Date.now()}`, format: "gen9ou" }),
    "query_strategy, cached": (i) => call(i, "query_strategy", { query: QUESTIONS[i % QUESTIONS.length], format: "gen9ou" }),
  };
}

const clients = {};
for (const [name, base] of servers) clients[name] = await client(name, base);
const ops = Object.keys(clients[servers[0][0]]);
const samples = {}; // server → op → [{total, router, object, handler, index, storage}]
for (const op of ops) {
  for (const [name] of servers) (samples[name] ??= {})[op] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    // The servers take turns, so each sees the same moments of the machine's load.
    const order = i % 2 === 0 ? servers : [...servers].reverse();
    for (const [name] of order) {
      const r = await clients[name][op](i + 10);
      const failed = r.status !== 200 || /"isError":true|"error":\{/.test(r.text);
      if (failed) throw new Error(`${name} ${op}: ${r.status} ${r.text.slice(0, 300)}`);
      if (i >= WARMUP) samples[name][op].push({ total: r.ms, ...timing(r.headers["server-timing"]) });
    }
  }
}

const median = (xs) => percentile(xs, 50);
function hops(s) {
  const m = (f) => median(s.map(f));
  if (s[0].router === undefined) return { total: m((x) => x.total) };
  return {
    total: m((x) => x.total),
    outside: m((x) => x.total - x.router),
    router: m((x) => x.router - x.object),
    object: m((x) => x.object - x.handler),
    handler: m((x) => x.handler - x.index - x.storage),
    index: m((x) => x.index),
    storage: m((x) => x.storage),
  };
}
const COLUMNS = ["total", "outside", "router", "object", "handler", "index", "storage"];
const result = {};
for (const [name, base] of servers) {
  console.log(`\n### ${name} (${base}): median ms per hop, n = ${N} each\n`);
  const rows = ops.map((op) => {
    const h = (result[name] ??= {})[op] = hops(samples[name][op]);
    return [op, ...COLUMNS.map((c) => fmt(h[c]))];
  });
  console.log(table(["operation", "client total", "outside (proxy + HTTP)", "router", "client object", "handler", "index object", "storage"], rows));
}
if (servers.length === 2) {
  const [[a], [b]] = servers;
  console.log(`\n### ${a} ÷ ${b}, per hop (medians; below 1 is ${a} faster)\n`);
  const ratio = (x, y) => (y > 0.05 ? fmt(x / y) : "–");
  console.log(table(["operation", ...COLUMNS], ops.map((op) => [op, ...COLUMNS.map((c) => `${fmt(result[a][op][c])} / ${fmt(result[b][op][c])} (${ratio(result[a][op][c], result[b][op][c])})`)])));
}

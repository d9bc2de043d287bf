// Issue #14: a CPU profile of the worker under load, through wrangler dev's inspector (the
// DevTools protocol's sampling profiler inside workerd). Prints where workerd's CPU goes: self
// time per function (wasm functions by their Rust names when the build keeps its name section:
// `make bench-profile` builds one), and per group (Rust crate or module, JS, garbage collection,
// idle). Run by `make bench-profile`; uses the `ws` package wrangler installs.
//
//   INSPECTOR=http://127.0.0.1:9231 BENCH_URL=http://127.0.0.1:8797 STATE=.wrangler/bench-state \
//   OP=get_pokemon VUS=10 SECONDS=10 node bench/profile.mjs
import http from "node:http";
import WebSocket from "ws";
import { writeFileSync } from "node:fs";
import { createApiKeys, table, fmt } from "./lib.mjs";

const INSPECTOR = process.env.INSPECTOR ?? "http://127.0.0.1:9231";
const BASE = process.env.BENCH_URL ?? "http://127.0.0.1:8797";
const OPS = (process.env.OP ?? "get_pokemon").split(",");
const VUS = Number(process.env.VUS ?? 10);
const SECONDS = Number(process.env.SECONDS ?? 10);
const TOP = Number(process.env.TOP ?? 25);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(headers, body) {
  const payload = Buffer.from(JSON.stringify(body));
  const url = new URL("/mcp", BASE);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": payload.length, ...headers } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function get(path) {
  return new Promise((resolve, reject) => {
    http.get(new URL(path, BASE), { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: "" }));
    }).on("error", reject);
  });
}

/**
 * One DevTools session with the worker's isolate. `ws` (a dependency of wrangler's): wrangler's
 * inspector proxy refuses Node's built-in WebSocket handshake. The proxy renumbers message ids,
 * so commands go one at a time and the next reply with an id answers the pending one.
 */
async function inspector() {
  const targets = await (await fetch(`${INSPECTOR}/json/list`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? (() => { throw new Error(`no inspectable target at ${INSPECTOR}`); })();
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.on("open", resolve); ws.on("error", reject); });
  let pending = null;
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id !== undefined && pending) {
      const { resolve, reject } = pending;
      pending = null;
      msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    }
  });
  let id = 0;
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    pending = { resolve, reject };
    ws.send(JSON.stringify({ id: ++id, method, params }));
  });
  return { send, close: () => ws.close() };
}

const QUESTIONS = ["kingambit counters", "dragon dance sweeper", "hazard removal", "best zapdos set", "rain team setter", "gholdengo checks"];
let salt = 0;
const RUN = (Date.now() % 0xffff).toString(16);
function operation(op, headers) {
  const call = (i, name, args) => post(headers, { jsonrpc: "2.0", id: i, method: "tools/call", params: { name, arguments: args } });
  switch (op) {
    case "live": return () => get("/health/live");
    case "ping": return (i) => post(headers, { jsonrpc: "2.0", id: i, method: "ping" });
    case "tools_list": return (i) => post(headers, { jsonrpc: "2.0", id: i, method: "tools/list" });
    case "get_pokemon": return (i) => call(i, "get_pokemon", { name: ["Kingambit", "Great Tusk", "Gholdengo", "Dragonite"][i % 4] });
    case "query_strategy_cold": return (i) => call(i, "query_strategy", { query: `${QUESTIONS[i % QUESTIONS.length]} v${++salt}x${Date.now()}`, format: "gen9ou" });
    // A new anonymous user's first request: its own address, so a new client object each time.
    case "new_user": return () => post({ "CF-Connecting-IP": `fd00:${RUN}:${(++salt).toString(16)}::1` }, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "profile", version: "1" } } });
    default: throw new Error(`unknown OP ${op}`);
  }
}

/** Self time per function name, and per group, from a DevTools CPU profile. */
function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((nodeId, i) => {
    const name = byId.get(nodeId).callFrame.functionName || `(anonymous ${byId.get(nodeId).callFrame.url.split("/").pop()})`;
    self.set(name, (self.get(name) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const group = (name) => {
    if (/^\((idle|program|garbage collector)\)$/.test(name)) return name;
    const rust = name.match(/^<?(?:&mut )?([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::(?:([a-z_][a-z0-9_]*)::)?/);
    if (rust) return rust[1] === "porygon" ? `porygon::${rust[2] ?? ""}` : rust[1];
    if (/^wasm-function\[/.test(name) || /^\$/.test(name)) return "wasm (unnamed)";
    return "JavaScript (bindings, runtime, @smogon/calc)";
  };
  const groups = new Map();
  for (const [name, ms] of self) groups.set(group(name), (groups.get(group(name)) ?? 0) + ms);
  return { self, groups, total };
}

const [token] = await createApiKeys({ n: 1, url: BASE, state: process.env.STATE ?? ".wrangler/bench-state", name: "profile" });
const auth = { Authorization: `Bearer ${token}` };
const init = await post(auth, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "profile", version: "1" } } });
const headers = { ...auth, "Mcp-Session-Id": init.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18" };
await post(headers, { jsonrpc: "2.0", method: "notifications/initialized" });

const devtools = await inspector();
await devtools.send("Profiler.enable");
await devtools.send("Profiler.setSamplingInterval", { interval: 200 });
for (const op of OPS) {
  const run = operation(op, headers);
  for (let i = 0; i < 20; i++) await run(i); // warm: first-use parsing is not the steady state
  await devtools.send("Profiler.start");
  const until = Date.now() + SECONDS * 1000;
  let done = 0, failed = 0;
  await Promise.all(Array.from({ length: VUS }, async (_, vu) => {
    for (let i = vu; Date.now() < until; i += VUS) {
      const r = await run(i + 100);
      done++;
      if (r.status !== 200) failed++;
    }
  }));
  const { profile } = await devtools.send("Profiler.stop");
  // The raw profile, for DevTools (Performance → load) or a closer look.
  writeFileSync(`bench/results/profile-${op}.cpuprofile`, JSON.stringify(profile));
  const { self, groups, total } = summarise(profile);
  const busy = total - (groups.get("(idle)") ?? 0);
  console.log(`\n### ${op}: ${VUS} clients for ${SECONDS} s, ${done} requests (${failed} failed); workerd busy ${fmt(busy)} ms of ${fmt(total)} ms sampled = ${fmt(busy / done, 3)} ms per request\n`);
  const share = (ms) => `${fmt((100 * ms) / busy, 1)} %`;
  const sorted = (m) => [...m].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]);
  console.log(table(["group", "self ms", "share of busy", "ms per request"], sorted(groups).map(([k, ms]) => [k, fmt(ms), share(ms), fmt(ms / done, 3)])));
  console.log();
  console.log(table(["function (self time)", "self ms", "share of busy"], sorted(self).slice(0, TOP).map(([k, ms]) => [k.length > 110 ? k.slice(0, 107) + "…" : k, fmt(ms), share(ms)])));
}
devtools.close();

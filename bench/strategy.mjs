// Issue #5 benchmark: query_strategy latency uncached vs cached at 1, 10 and 50 concurrent
// clients, against /health/live in the same run; and backend searches per 100 concurrent
// identical calls and per 100 clients asking the same question. Run with `make bench-strategy`.
import { readFileSync } from "node:fs";
import { fmt, get, pool, post, summary, table } from "./lib.mjs";

const token = readFileSync(".dev.vars", "utf8").match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const searches = async () => JSON.parse((await get2("/admin/index/gen9ou/stats")).body).searchesServed;
async function get2(path) {
  const res = await fetch(`${process.env.BENCH_URL}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { body: await res.text() };
}
const QUERIES = ["kingambit counters", "defensive pivot that spreads status", "dragon dance sweeper", "best zapdos set", "great tusk spinner", "gholdengo checks", "rain team setter", "hazard removal", "choice scarf revenge killer", "stealth rock setter"];
const call = (query, ip, id) =>
  post("/mcp", { jsonrpc: "2.0", id, method: "tools/call", params: { name: "query_strategy", arguments: { query, format: "gen9ou" } } }, { "CF-Connecting-IP": ip });

const rows = [];
let salt = 0;
for (const clients of [1, 10, 50]) {
  const n = Math.max(60, clients * 4);
  // Uncached: every call asks something never asked before (a unique suffix defeats every cache).
  const uncached = await pool(n, clients, (i) => call(`${QUERIES[i % QUERIES.length]} v${++salt}x${Date.now()}`, `10.60.${clients}.${(i % clients) + 1}`, i));
  // Cached: the same ten questions again and again, from the same clients.
  await pool(QUERIES.length * clients, clients, (i) => call(QUERIES[i % QUERIES.length], `10.61.${clients}.${(i % clients) + 1}`, i));
  const cached = await pool(n, clients, (i) => call(QUERIES[i % QUERIES.length], `10.61.${clients}.${(i % clients) + 1}`, i));
  const live = await pool(n, clients, () => get("/health/live"));
  const base = summary(live.map((r) => r.ms));
  for (const [name, rs] of [["uncached", uncached], ["cached", cached], ["/health/live", live]]) {
    const s = summary(rs.map((r) => r.ms));
    const bad = rs.filter((r) => r.status !== 200).length;
    rows.push([clients, name, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.p50 / base.p50), bad]);
  }
}
console.log("## query_strategy latency (ms), local workerd\n");
console.log(table(["concurrent clients", "path", "n", "p50", "p95", "p99", "p50 ÷ /health/live p50", "non-200"], rows));

const probe = `coalesce probe ${Date.now()}`;
const before1 = await searches();
await Promise.all(Array.from({ length: 100 }, (_, i) => call(probe, "10.62.0.1", i)));
const identical = (await searches()) - before1;
const q = `shared probe ${Date.now()}`;
const before2 = await searches();
for (let i = 0; i < 100; i++) await call(q, `10.63.0.${i + 1}`, i);
const clientsSame = (await searches()) - before2;
console.log("\n## Index object searches (/search and /search-batch items)\n");
console.log("With the in-isolate index copies on (the default), questions are searched in the isolate once its copy has loaded, so the index objects see none; run with STRATEGY_ARGS=\"--var ISOLATE_INDEX_MB:0\" to count what the coalescing and the shared cache leave for them.\n");
console.log(table(["workload", "backend searches", "target"], [["100 concurrent identical calls, one client", identical, 1], ["100 clients, same question, within 5 minutes", clientsSame, 1]]));

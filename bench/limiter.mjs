// Issue #3 benchmark: the plan's KV-counter limiter vs the exact Durable Object limiter under the
// same concurrent load, the limiter's latency cost, the cost of a rejected request, and storage
// per client key. Run with `make bench-limiter` (starts a bench build of the worker locally).
import { execFileSync } from "node:child_process";
import { fmt, freshIp, get, ping, pool, post, summary, table } from "./lib.mjs";

const LIMIT = 100;
const RUNS = Number(process.env.RUNS ?? 5);
const BURST = Number(process.env.BURST ?? 300);
const say = (s = "") => console.log(s);

say(`## Admissions under ${BURST} concurrent requests from one client (limit ${LIMIT}/min)\n`);
const rows = [];
let kvTotal = 0;
let exactTotal = 0;
for (let run = 1; run <= RUNS; run++) {
  const kvIp = freshIp();
  const exactIp = freshIp();
  const [kv, exact] = await Promise.all([
    Promise.all(Array.from({ length: BURST }, (_, i) => post("/bench/kv-counter/mcp", ping(i), { "CF-Connecting-IP": kvIp }))),
    Promise.all(Array.from({ length: BURST }, (_, i) => post("/mcp", ping(i), { "CF-Connecting-IP": exactIp }))),
  ]);
  const kvAdmitted = kv.filter((r) => r.status === 200).length;
  const exactAdmitted = exact.filter((r) => r.status === 200).length;
  kvTotal += kvAdmitted;
  exactTotal += exactAdmitted;
  rows.push([run, kvAdmitted, fmt(kvAdmitted / LIMIT), exactAdmitted, fmt(exactAdmitted / LIMIT)]);
}
rows.push(["all", kvTotal, fmt(kvTotal / (LIMIT * RUNS)), exactTotal, fmt(exactTotal / (LIMIT * RUNS))]);
say(table(["run", "KV counter admitted", "÷ limit", "exact limiter admitted", "÷ limit"], rows));

say(`\n## Latency of an admitted request (ping), limiter on vs off, same run, interleaved\n`);
const latencyRows = [];
for (const concurrency of [1, 10]) {
  const n = 400;
  // 40 clients × 10 requests: every request stays within its client's quota.
  const ips = Array.from({ length: 40 }, freshIp);
  const on = [];
  const off = [];
  const live = [];
  await pool(n, concurrency, async (i) => {
    const headers = { "CF-Connecting-IP": ips[i % ips.length] };
    const [a, b, c] = [await post("/mcp", ping(i), headers), await post("/bench/unlimited/mcp", ping(i), headers), await get("/health/live")];
    if (a.status !== 200 || b.status !== 200) throw new Error(`unexpected ${a.status}/${b.status}`);
    on.push(a.ms);
    off.push(b.ms);
    live.push(c.ms);
  });
  for (const [name, ms] of [["limiter on (/mcp)", on], ["limiter off", off], ["/health/live", live]]) {
    const s = summary(ms);
    latencyRows.push([concurrency, name, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.p50 / summary(off).p50)]);
  }
}
say(table(["concurrency", "path", "n", "p50 ms", "p95 ms", "p99 ms", "p50 ÷ limiter-off p50"], latencyRows));

say(`\n## A flood of rejected requests stays cheap\n`);
const floodIp = freshIp();
await Promise.all(Array.from({ length: LIMIT }, (_, i) => post("/mcp", ping(i), { "CF-Connecting-IP": floodIp })));
const rejected = await pool(400, 10, (i) => post("/mcp", ping(i), { "CF-Connecting-IP": floodIp }));
const admittedRef = await pool(400, 10, (i) => post("/mcp", ping(i), { "CF-Connecting-IP": freshIp() }));
const rs = summary(rejected.map((r) => r.ms));
const as = summary(admittedRef.map((r) => r.ms));
say(table(["request", "n", "statuses", "p50 ms", "p99 ms"], [
  ["rejected (router deny cache)", rs.n, [...new Set(rejected.map((r) => r.status))].join(","), fmt(rs.p50), fmt(rs.p99)],
  ["admitted (fresh clients)", as.n, [...new Set(admittedRef.map((r) => r.status))].join(","), fmt(as.p50), fmt(as.p99)],
]));
say(`\nrejected p50 ÷ admitted p50 = ${fmt(rs.p50 / as.p50)}`);

say(`\n## Storage per client key (Durable Object SQLite size)\n`);
const storageRows = [];
const sizeOf = async (clientKey) => JSON.parse((await post(`/bench/storage?key=${encodeURIComponent(clientKey)}`, "{}")).body);
const empty = (await sizeOf(`ip:${freshIp()}`)).databaseSize;
for (const admissions of [1, 100]) {
  const ip = freshIp();
  await pool(admissions, 10, (i) => post("/mcp", ping(i), { "CF-Connecting-IP": ip }));
  const s = await sizeOf(`ip:${ip}`);
  storageRows.push([s.admissions.n, s.databaseSize]);
}
// A full hour's depth (1000 admissions) needs a key allowed 1000 per minute.
if (process.env.BENCH_STATE) {
  const key = JSON.parse(execFileSync(process.execPath, ["scripts/apikey.mjs", "create", "--name", "bench", "--per-minute", "1000", "--per-hour", "1000", "--persist-to", process.env.BENCH_STATE], { encoding: "utf8" }));
  const headers = { "CF-Connecting-IP": freshIp(), Authorization: `Bearer ${key.token}` };
  const res = await pool(1100, 20, (i) => post("/mcp", ping(i), headers));
  const s = await sizeOf(`key:${key.id}`);
  storageRows.push([`${s.admissions.n} (API key: ${res.filter((r) => r.status === 200).length} of 1100 admitted)`, s.databaseSize]);
}
say(`object with no admissions (schema only): ${empty} bytes; SQLite grows in 4 KiB pages\n`);
say(table(["admission rows stored", "database bytes", "bytes over empty"], storageRows.map(([a, b]) => [a, b, b - empty])));

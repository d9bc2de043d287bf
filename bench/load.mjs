// Issue #7 benchmark: load with k6 against a locally running release worker, written to
// bench/REPORT-load.md. Run with `make bench` (installs k6, builds, starts the worker on its own
// port with fresh state, loads the gen9ou corpus, then runs this).
//
//   LOAD_URL=http://127.0.0.1:8796 LOAD_STATE=.wrangler/load-state node bench/load.mjs
//
// Sections: latency and throughput of ping, get_pokemon, query_strategy cold/cached and the
// realistic mix at 1/10/50/100 VUs, each against /health/live at the same VU count in the same
// run; the limiter's exactness under a flood from one client key; request coalescing from the
// server's own request log; the release wasm size as built and as optimised (scripts/wasm-opt.sh).
// Knobs: DURATION (per matrix cell, default 10s), VUS (default 1,10,50,100), LIMITER_VUS (120),
// LIMITER_DURATION (75s), MIX_VUS (100), MIX_DURATION (20s), ROUNDS (5), CONCURRENCY (100), OUT,
// (The wasm size section reads build/wasm-opt.json, written by scripts/wasm-opt.sh.)
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, readSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { cpus } from "node:os";
import { join } from "node:path";
import { createApiKeys, percentile, table, workerdUrl } from "./lib.mjs";

const URL_ = (process.env.LOAD_URL ?? "http://127.0.0.1:8796").replace(/\/+$/, "");
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(URL_)) throw new Error(`bench/load.mjs only targets loopback, not ${URL_}`);
const PORT = new URL(URL_).port || "80";
const STATE = process.env.LOAD_STATE ?? ".wrangler/load-state";
const LOG = process.env.LOAD_LOG ?? `.wrangler/run/worker-${PORT}.log`;
const K6 = process.env.K6 ?? ".tools/bin/k6";
const WASM = process.env.WASM ?? "build/index_bg.wasm";
const OUT = process.env.OUT ?? "bench/REPORT-load.md";
const DURATION = process.env.DURATION ?? "10s";
const VUS = (process.env.VUS ?? "1,10,50,100").split(",").map(Number);
const LIMITER_VUS = Number(process.env.LIMITER_VUS ?? 120);
const LIMITER_DURATION = process.env.LIMITER_DURATION ?? "75s";
const MIX_VUS = Number(process.env.MIX_VUS ?? 100);
const MIX_DURATION = process.env.MIX_DURATION ?? "20s";
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 100);
// ROUTE=direct: k6 talks to the worker's own workerd, not through wrangler dev's proxy worker (a
// dev-only hop production does not have; bench/lib.mjs workerdUrl). Setup calls still use LOAD_URL.
const ROUTE = process.env.ROUTE ?? "proxy";
if (!["proxy", "direct"].includes(ROUTE)) throw new Error(`ROUTE must be proxy or direct, not ${ROUTE}`);
const TARGET = ROUTE === "direct" ? await workerdUrl(Number(PORT)) : URL_;
const RESULTS = "bench/results";
mkdirSync(RESULTS, { recursive: true });

const seconds = (d) => Number(String(d).replace(/s$/, ""));
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const say = (s) => console.error(`[load] ${s}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = new Date();
const md = [];
const out = (s = "") => md.push(s);

// ---- k6 runs -------------------------------------------------------------------------------

let runNo = 0;
/** Runs k6 on `script` with `args` and `env`; returns {summary, console lines, exit code, log slice}. */
async function k6(name, script, args, env = {}) {
  runNo++;
  const tag = `load-${String(runNo).padStart(2, "0")}-${name}`;
  const summaryFile = join(RESULTS, `${tag}.json`);
  const consoleFile = join(RESULTS, `${tag}.console.log`);
  const stdoutFile = join(RESULTS, `${tag}.stdout.log`);
  for (const p of [summaryFile, consoleFile]) rmSync(p, { force: true });
  const envArgs = Object.entries({ BASE_URL: TARGET, ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const logFrom = existsSync(LOG) ? statSync(LOG).size : 0;
  const fd = openSync(stdoutFile, "w");
  const t0 = Date.now();
  const run = spawnSync(K6, ["run", "--no-color", "--summary-export", summaryFile, "--console-output", consoleFile, ...args, ...envArgs, script], {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
  });
  closeSync(fd);
  await sleep(1000); // let wrangler flush the worker's last log lines
  const logTo = existsSync(LOG) ? statSync(LOG).size : 0;
  const load = Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  say(`${tag}: k6 exit ${run.status} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (!existsSync(summaryFile)) throw new Error(`${tag}: k6 wrote no summary (exit ${run.status}); see ${stdoutFile}`);
  return {
    summary: JSON.parse(readFileSync(summaryFile, "utf8")),
    console: existsSync(consoleFile) ? consoleLines(consoleFile) : [],
    exit: run.status,
    load,
    records: requestRecords(logFrom, logTo),
  };
}

/** k6 writes console.log lines as logfmt: msg="<Go-quoted JSON>". */
function consoleLines(file) {
  const lines = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = line.match(/msg="((?:[^"\\]|\\.)*)"/);
    if (!m) continue;
    try {
      lines.push(JSON.parse(JSON.parse(`"${m[1]}"`)));
    } catch {}
  }
  return lines;
}

/** The worker's per-request records (`{"fields":{"message":"request",…}}`) logged between two offsets of its log. */
function requestRecords(from, to) {
  if (to <= from) return [];
  const fd = openSync(LOG, "r");
  const buf = Buffer.alloc(to - from);
  readSync(fd, buf, 0, buf.length, from);
  closeSync(fd);
  const records = [];
  for (const line of buf.toString("utf8").split("\n")) {
    const i = line.indexOf('{"level"');
    if (i < 0 || !line.includes('"message":"request"')) continue;
    try {
      records.push(JSON.parse(line.slice(i)).fields);
    } catch {}
  }
  return records;
}

const metric = (s, name) => s.metrics[name] ?? null;
const count = (s, name) => metric(s, name)?.count ?? 0;
const passes = (s, name) => metric(s, name)?.passes ?? 0;
const countBy = (xs, key) => xs.reduce((m, x) => ((m[key(x)] = (m[key(x)] ?? 0) + 1), m), {});
const outcomes = (records, tool) => {
  const c = countBy(records.filter((r) => r.tool === tool), (r) => r.cache);
  return Object.keys(c).length ? Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ") : "–";
};

// ---- header --------------------------------------------------------------------------------

const k6Version = execFileSync(K6, ["version"], { encoding: "utf8" }).trim();
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "wrangler.toml"], { encoding: "utf8" }).trim() !== "";
out("# Load benchmark (issue #7)");
out();
out(`Produced by \`make bench\` (→ \`LOAD_URL=${URL_} LOAD_STATE=${STATE} node bench/load.mjs\`) on ${started.toISOString().slice(0, 10)}: ` +
  `${k6Version.replace(/ \(.*/, "")} against the release build (\`make build\`, commit ${commit}${dirty ? " plus uncommitted changes in the tree" : ""}) ` +
  `under local workerd (\`wrangler dev\`, fresh state, gen9ou corpus loaded), k6 and the worker sharing one ${cpus().length}-core noisy sandbox. ` +
  `Compare ratios, not absolute times: /health/live (no MCP, no Durable Object) is measured at the same VU count in the same run, with the same load generator. ` +
  `Lexical retrieval only (Workers AI and Vectorize do not run locally). Raw k6 summaries: \`bench/results/load-*.json\` (not committed). ` +
  (ROUTE === "direct" ? `Route **direct** (\`ROUTE=direct\`): k6 sends every request to the worker's own workerd (${TARGET}), past wrangler dev's proxy worker, a hop production does not have.` : `Route **proxy**: through wrangler dev's proxy worker on ${URL_}.`));
out();

// ---- API keys -------------------------------------------------------------------------------

// Every VU is one steady client: its own key (a quota it cannot reach), its own Durable Object,
// one session for the whole run. The keys are written in apikey.mjs's format (bench/lib.mjs).
const keys = await createApiKeys({ n: Math.max(...VUS) + 2, url: URL_, state: STATE, name: "load-bench", dir: RESULTS });
const vuKeys = keys.slice(0, Math.max(...VUS)).join(",");

// ---- 1. latency / throughput matrix ----------------------------------------------------------

const OPS = [
  ["ping", "ping", null, "op_ping"],
  ["get_pokemon", "tools/call get_pokemon", "get_pokemon", "op_tools_call_get_pokemon"],
  ["query_cold", "tools/call query_strategy, cold", "query_strategy", "op_tools_call_query_strategy"],
  ["query_cached", "tools/call query_strategy, cached", "query_strategy", "op_tools_call_query_strategy"],
];
const matrix = [];
const liveAt = {};
const dur = seconds(DURATION);
const cell = async (vus, op, trend) => {
  const r = await k6(`${op}-${vus}vu`, "bench/k6/mcp.js", ["--vus", String(vus), "--duration", DURATION], { OP: op, API_KEYS: vuKeys, PREOPEN: "1", CALLS_PER_USER: "1000000000" });
  const m = metric(r.summary, trend) ?? {};
  return { r, n: m.count ?? 0, p50: m["p(50)"], p95: m["p(95)"], p99: m["p(99)"], rps: (m.count ?? 0) / dur, load: r.load };
};
const row = (vus, label, c, base, cache) => [
  vus, label, c.n, f(c.p50), f(c.p95), f(c.p99), f(c.rps, 0),
  f(c.p50 / base.p50, 2), f(c.p95 / base.p95, 2), f(c.rps / base.rps, 2),
  passes(c.r.summary, "rate_limited"), passes(c.r.summary, "errors"), cache, f(c.load, 1),
];
for (const vus of VUS) {
  // /health/live before and after the operations; ratios use the mean of the two (the machine is shared and noisy).
  const before = await cell(vus, "live", "op_live");
  const cells = [];
  for (const [op, label, tool, trend] of OPS) cells.push([label, tool, await cell(vus, op, trend)]);
  const after = await cell(vus, "live", "op_live");
  const base = Object.fromEntries(["p50", "p95", "rps"].map((k) => [k, (before[k] + after[k]) / 2]));
  liveAt[vus] = base;
  matrix.push(row(vus, "/health/live, before", before, base, "–"), row(vus, "/health/live, after", after, base, "–"));
  for (const [label, tool, c] of cells) matrix.push(row(vus, label, c, base, tool ? outcomes(c.r.records, tool) : "–"));
}
out("## Latency and throughput by operation and VU count");
out();
out(`Each cell: \`k6 run --vus N --duration ${DURATION} -e OP=<op> -e API_KEYS=<one key per VU> -e CALLS_PER_USER=1000000000 bench/k6/mcp.js\`. ` +
  `Every VU is one steady MCP client: its own API key (a quota it cannot reach, so its own Durable Object and no 429) and one session ` +
  `(initialize → notifications/initialized → tools/list, opened in k6's setup before the timed ${DURATION}), then the operation as fast as it is answered; ` +
  `only the operation's requests are timed and counted. ` +
  `The same ${Math.max(...VUS)} clients serve every cell, so their objects exist before the timed runs (what a fresh client costs: the realistic scenario below). ` +
  `get_pokemon asks for a random one of 36 top gen9ou species; cold query_strategy asks a question never asked before (a unique suffix: every cache misses), ` +
  `cached query_strategy asks one question (warmed in k6's setup) again and again. ` +
  `Ratios are against the mean of two /health/live runs at the same VU count, one before and one after the operations. ` +
  `"cache" is the worker's own record of each call (its request log, \`fields.cache\`); it reports the per-client cache, so a client's first cached call counts as a miss even when the shared Cache API answered it. ` +
  `"host load" is the machine's 1-minute load average as the cell ended (2 cores; other work on the machine shows there).`);
out();
out(table(["VUs", "operation", "n", "p50 ms", "p95 ms", "p99 ms", "req/s", "p50 ÷ live", "p95 ÷ live", "req/s ÷ live", "429", "errors", "cache (server log)", "host load"], matrix));
out();

// ---- 2. realistic mix ----------------------------------------------------------------------

{
  const r = await k6(`mix-${MIX_VUS}vu`, "bench/k6/mcp.js", ["--vus", String(MIX_VUS), "--duration", MIX_DURATION], { LOCAL_CLIENT_IPS: "1" });
  const s = r.summary;
  const rows = [];
  for (const [label, name] of [
    ["all answered requests (threshold: p95 < 500 ms)", "admitted_duration"],
    ["initialize", "op_initialize"],
    ["notifications/initialized", "op_notifications_initialized"],
    ["tools/list", "op_tools_list"],
    ["tools/call query_strategy", "op_tools_call_query_strategy"],
    ["tools/call get_popular_sets", "op_tools_call_get_popular_sets"],
    ["tools/call get_pokemon", "op_tools_call_get_pokemon"],
  ]) {
    const m = metric(s, name);
    if (m) rows.push([label, m.count, f(m["p(50)"]), f(m["p(95)"]), f(m["p(99)"]), f(m.count / seconds(MIX_DURATION), 0)]);
  }
  const thresholds = Object.entries(s.metrics).flatMap(([name, m]) => Object.entries(m.thresholds ?? {}).map(([t, failed]) => `\`${name} ${t}\` ${failed ? "**crossed**" : "held"}`));
  const errs = metric(s, "errors");
  out(`## The realistic scenario at ${MIX_VUS} VUs`);
  out();
  out(`\`k6 run --vus ${MIX_VUS} --duration ${MIX_DURATION} -e LOCAL_CLIENT_IPS=1 bench/k6/mcp.js\` (the staging command's shape, locally): ` +
    `anonymous users, each with its own address (so its own, new Durable Object) and a session of 50 calls, then the VU becomes a new user; ` +
    `half query_strategy (36 species × 10 kinds of question), a quarter each get_popular_sets and get_pokemon. ` +
    `initialize is the first request a new client object serves. ` +
    `Thresholds: ${thresholds.join(", ")}; k6 exit code ${r.exit} (99 = a threshold crossed). ` +
    `Requests ${count(s, "admitted_duration") + passes(s, "rate_limited")}, rate limited ${passes(s, "rate_limited")}, real errors ${errs?.passes ?? 0} (${f((errs?.value ?? 0) * 100, 2)} %). ` +
    `query_strategy cache outcomes: ${outcomes(r.records, "query_strategy")}; get_popular_sets: ${outcomes(r.records, "get_popular_sets")}. Host load ${f(r.load, 1)}.` +
    (liveAt[MIX_VUS] ? ` For scale, /health/live at ${MIX_VUS} VUs in this run (matrix above): p50 ${f(liveAt[MIX_VUS].p50)} ms, p95 ${f(liveAt[MIX_VUS].p95)} ms — ` +
      `the 500 ms threshold is meant for staging, where k6 does not share two cores with the server.` : ""));
  out();
  out(table(["request", "n", "p50 ms", "p95 ms", "p99 ms", "req/s"], rows));
  out();
}

// ---- 3. limiter exactness ------------------------------------------------------------------

{
  const n = Math.floor(Math.random() * 0x1ffff);
  const ip = `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  const r = await k6("limiter", "bench/k6/limiter.js", ["--vus", String(LIMITER_VUS), "--duration", LIMITER_DURATION], { CLIENT_IP: ip });
  const s = r.summary;
  const adm = r.console.filter((l) => l.admitted).sort((a, b) => a.sent - b.sent);
  const t0Low = Math.min(...adm.map((a) => a.sent)); // the first admission happened in [t0Low, t0High]
  const t0High = Math.min(...adm.map((a) => a.received));
  const first = adm.filter((a) => a.received < t0Low + 60_000); // surely within 60 s of the first admission
  const inFirst = first.length;
  const after = adm.filter((a) => a.sent >= t0High + 60_000).length; // surely later
  const between = adm.filter((a) => a.received >= t0Low + 60_000 && a.sent < t0High + 60_000);
  const unsure = between.length;
  const later = adm.filter((a) => a.received >= t0Low + 60_000).map((a) => a.received - t0Low);
  const burstSpread = first.length ? Math.max(...first.map((a) => a.received)) - t0Low : NaN;
  // The most admissions that surely share one 60 s window: their whole [sent, answered] interval
  // lies inside it (over 100 would prove a breach; client clocks cannot prove fewer).
  let surelyTogether = 0;
  for (const a of adm) surelyTogether = Math.max(surelyTogether, adm.filter((j) => j.sent >= a.sent && j.received < a.sent + 60_000).length);
  const total = count(s, "admitted_duration") + passes(s, "rate_limited");
  const limited = passes(s, "rate_limited");
  const ra = metric(s, "retry_after_ok");
  const reasons = countBy(r.records, (x) => `${x.status} ${x.limiter}`);
  out("## The limiter under load: one client key, many VUs");
  out();
  out(`\`k6 run --vus ${LIMITER_VUS} --duration ${LIMITER_DURATION} -e CLIENT_IP=<one fresh address> bench/k6/limiter.js\`: ${LIMITER_VUS} VUs send ping as fast as they are answered, all from one anonymous client ` +
    `(quota 100 per minute), for ${LIMITER_DURATION}. The server's admission times are not visible to the client, only bracketed: each admission happened after its request was sent ` +
    `and before its answer arrived; windows are counted from the first admission.`);
  out();
  out(table(["measure", "value"], [
    ["requests", total],
    ["admitted (200)", adm.length],
    ["… answered < 60 s after the first admitted request was sent: surely in the first window (quota 100)", `**${inFirst}**`],
    ["… sent ≥ 60 s after the first admitted answer arrived: surely later", after],
    [`… answered ≥ 60 s but sent < 60 s + ${f((t0High - t0Low) / 1000, 2)} s (the first admitted request's round trip) after it: client clocks cannot place them`, unsure],
    ["the first burst's answers arrived within (after the first admitted request was sent)", `${f(burstSpread / 1000, 2)} s`],
    ["the next admission's answer arrived (after the first admitted request was sent)", later.length ? `${f(Math.min(...later) / 1000, 2)} s` : "–"],
    ["most admissions surely inside one 60 s window (sent and answered within it; over 100 would prove a breach)", surelyTogether],
    ["rejected (429)", limited],
    ["429s with a numeric Retry-After", `${ra?.passes ?? 0} of ${limited}`],
    ["other statuses / real errors", `${total - adm.length - limited} / ${passes(s, "errors")}`],
    ["worker's record: status and limiter decision", Object.entries(reasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(", ")],
    ["throughput (all answers)", `${f(total / seconds(LIMITER_DURATION), 0)} req/s`],
    ["host load (1-minute average at the end)", f(r.load, 1)],
  ]));
  out();
  const a = metric(s, "admitted_duration");
  const j = metric(s, "rejected_duration");
  out(table(["request", "n", "p50 ms", "p95 ms", "p99 ms"], [
    ["admitted (200)", a?.count ?? 0, f(a?.["p(50)"]), f(a?.["p(95)"]), f(a?.["p(99)"])],
    ["rejected (429)", j?.count ?? 0, f(j?.["p(50)"]), f(j?.["p(95)"]), f(j?.["p(99)"])],
  ]));
  out();
  out(`Rejected p50 ÷ admitted p50 = ${f(j?.["p(50)"] / a?.["p(50)"], 2)}. Admitted requests here are the first burst (${LIMITER_VUS} simultaneous requests queueing on one Durable Object) ` +
    `and the second window's trickle; rejections are mostly answered by the router's per-isolate deny cache without a Durable Object round trip.`);
  out();
}

// ---- 4. coalescing -------------------------------------------------------------------------

{
  // The gen9ou index object counts the searches it served.
  const admin = process.env.ADMIN_TOKEN ?? readFileSync(".dev.vars", "utf8").match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim();
  const searches = async () => (await (await fetch(`${URL_}/admin/index/gen9ou/stats`, { headers: { Authorization: `Bearer ${admin}` } })).json()).searchesServed;
  // Reference: the same kinds of question, each asked once by one call (what one computation costs in searches).
  let searchesBefore = await searches();
  await k6("coalesce-reference", "bench/k6/coalesce.js", [], { API_KEY: keys.at(-2), ROUNDS: String(ROUNDS), CONCURRENCY: "1", GAP_S: "1" });
  const referenceSearches = (await searches()) - searchesBefore;
  searchesBefore = await searches();
  const r = await k6("coalesce", "bench/k6/coalesce.js", [], { API_KEY: keys.at(-1), ROUNDS: String(ROUNDS), CONCURRENCY: String(CONCURRENCY) });
  const backendSearches = (await searches()) - searchesBefore;
  const byId = new Map(r.records.map((x) => [x.request_id, x]));
  const rows = [];
  const totals = { calls: 0, miss: 0, coalesced: 0, hit: 0, other: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const calls = r.console.filter((c) => c.round === round);
    const c = { miss: 0, coalesced: 0, hit: 0, other: 0 };
    const lat = { miss: [], rest: [] };
    for (const call of calls) {
      const rec = byId.get(call.requestId);
      const k = rec && rec.status === 200 && rec.cache in c ? rec.cache : "other";
      c[k]++;
      (k === "miss" ? lat.miss : lat.rest).push(call.ms);
    }
    for (const k of Object.keys(c)) totals[k] += c[k];
    totals.calls += calls.length;
    rows.push([round + 1, calls.length, c.miss, c.coalesced, c.hit, c.other, f(percentile(lat.miss, 50)), f(percentile(lat.rest, 50)), f(percentile(lat.rest, 100))]);
  }
  rows.push(["all", totals.calls, totals.miss, totals.coalesced, totals.hit, totals.other, "", "", ""]);
  out("## Coalescing: identical cold calls from one client");
  out();
  out(`\`k6 run -e API_KEY=<a fresh key> -e ROUNDS=${ROUNDS} -e CONCURRENCY=${CONCURRENCY} bench/k6/coalesce.js\`: one client (an API key, one MCP session) sends ` +
    `${CONCURRENCY} identical query_strategy calls at once for a question never asked before, ${ROUNDS} rounds with a new question each. ` +
    `Each call's X-Request-Id is looked up in the worker's request log: "miss" computed the answer, "coalesced" waited for a computation in flight, "hit" was served from the cache it filled. ` +
    `"other" = not 200 or not found in the log.`);
  out();
  out(table(["round", "calls", "miss (computed)", "coalesced", "hit", "other", "miss p50 ms", "others p50 ms", "others max ms"], rows));
  out();
  if (totals.coalesced === 0 && totals.hit > 0) {
    out(`No call was "coalesced": by the cache's own definition every duplicate entered the client object's cache after the computation had finished, ` +
      `so it found the answer there (a hit); the duplicates' latencies, several times the computing call's, show them queueing on the way in on this 2-core machine. ` +
      `Either way each question was computed once.`);
    out();
  }
  out(`"coalesced" or "hit" only says whether a duplicate reached the client object before or after the computation finished; neither computed anything.`);
  out();
  if (!r.records.some((x) => x.status === 200)) {
    // REQUEST_LOG=problems (the default) logs no answer that went well: nothing to look up.
    out(`**The worker logged no answered call**, so nothing above could be counted: serve it with \`--var REQUEST_LOG:all\` (\`make bench\` does).`);
    out();
  }
  out(`Computations per ${CONCURRENCY} identical calls: ${f(totals.miss / ROUNDS, 2)} (target 1); ${totals.coalesced + totals.hit} of ${totals.calls} calls were answered without computing. ` +
    `The gen9ou index object served ${backendSearches} searches during the run (its own counter, \`/admin/index/gen9ou/stats\`), ` +
    `against ${referenceSearches} when the same kinds of question are each asked once by a single call (\`-e CONCURRENCY=1\`): ` +
    `${backendSearches === referenceSearches ? "the same, so each question was computed once" : "not the same: some question was computed more than once"}.`);
  out();
}

// ---- 5. wasm size --------------------------------------------------------------------------

{
  // The module served above is already optimised by `make build` (scripts/wasm-opt.sh, binaryen's
  // wasm-opt from npm), which records the sizes before and after next to it.
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB (${n} bytes)`;
  const raw = readFileSync(WASM);
  const recordFile = join(WASM, "..", "wasm-opt.json");
  const record = existsSync(recordFile) ? JSON.parse(readFileSync(recordFile, "utf8")) : null;
  const rows = [];
  if (record) rows.push(["as worker-build emits it (`--no-opt`)", kib(record.rawBefore), kib(record.gzipBefore)]);
  rows.push([`as served above${record ? ` (\`wasm-opt -${record.level}\`)` : ""}`, kib(raw.length), kib(gz(raw))]);
  out("## Release wasm size");
  out();
  out(table(["module", "raw", "gzip -9"], rows));
  out();
  out(`Target: ≤ 1 MB (1,000,000 bytes) gzip: ${gz(raw) <= 1_000_000 ? "met" : "**not met**"} (${gz(raw)} bytes).`);
  out();
}

writeFileSync(OUT, md.join("\n").replace(/\n+$/, "\n"));
say(`wrote ${OUT} in ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`);

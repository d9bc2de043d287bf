// Issue #14 §1: porygon against a reproducible TypeScript peer (bench/peer/: agents' McpAgent, one
// Durable Object per session, the same get_pokemon answer computed from @pkmn/dex), both under the
// project's pinned wrangler on this machine, written to bench/REPORT-peer.md. Run with
// `make bench-peer` (builds porygon's release worker, installs k6, then runs this).
//
//   PORYGON_SCRIPT=.wrangler/peer-build/worker/entry.mjs node bench/peer.mjs
//
// 1. Cold start, per server and round: kill it, empty its state directory, start `wrangler dev`
//    (scripts/worker.sh) and time the first 200 from GET /health/live (from the start command),
//    then the first MCP client's initialize → notifications/initialized → tools/call get_pokemon,
//    then a second client's (the same process, warm).
// 2. Both servers fresh, side by side: first the same 48 get_pokemon questions to each (their
//    structuredContent and text should be identical; the report says for how many they are), then
//    k6 (bench/k6/peer.js) against each for GET /health/live, MCP ping and tools/call get_pokemon
//    at each VU count, one MCP session per VU opened before the timed run. porygon's limiter stays on; every VU there is its own client with its own API key
//    (a fresh set of keys per cell, with quotas no VU reaches).
// Knobs: DURATION (per cell, default 10s), VUS (default 1,10,50), ROUTES (default proxy,direct:
// through wrangler dev's proxy and/or straight to the worker's workerd), COLD_ROUNDS (default 3), OUT
// (default bench/REPORT-peer.md), PORYGON_PORT (8794), PEER_PORT (8793), PORYGON_SCRIPT (the
// worker's entry, default build/worker/entry.mjs), K6 (.tools/bin/k6).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createApiKeys, percentile, table, workerdUrl } from "./lib.mjs";

const K6 = process.env.K6 ?? ".tools/bin/k6";
const OUT = process.env.OUT ?? "bench/REPORT-peer.md";
const DURATION = process.env.DURATION ?? "10s";
const VUS = (process.env.VUS ?? "1,10,50").split(",").map(Number);
// proxy: through wrangler dev's port, as a client of `wrangler dev` sees it; direct: to the workerd
// that runs the worker, without the dev-only proxy hop (see directUrl).
const ROUTES = (process.env.ROUTES ?? "proxy,direct").split(",");
if (!ROUTES.every((r) => r === "proxy" || r === "direct")) throw new Error(`ROUTES: proxy and/or direct, not ${process.env.ROUTES}`);
const COLD_ROUNDS = Number(process.env.COLD_ROUNDS ?? 3);
const RESULTS = "bench/results";
const PEER_CONFIG = "bench/peer/wrangler.jsonc";
const PORYGON_SCRIPT = process.env.PORYGON_SCRIPT ?? "build/worker/entry.mjs";
const COLD_SPECIES = "Kingambit";
if (!VUS.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`VUS must be positive integers, not ${process.env.VUS}`);

const server = (name, port, state, wranglerArgs) => {
  if (port >= 8799 && port <= 8803) throw new Error(`${name}: ports 8799-8803 belong to the integration tests`);
  return { name, port, url: `http://127.0.0.1:${port}`, state, wranglerArgs };
};
// PORYGON_ARGS / BASELINE_ARGS: extra wrangler args (e.g. `--var REQUEST_LOG:problems`), named in
// the report by PORYGON_NAME / BASELINE_NAME.
const PORYGON = server(process.env.PORYGON_NAME ?? "porygon", Number(process.env.PORYGON_PORT ?? 8794), ".wrangler/peer-bench/porygon-state", `${PORYGON_SCRIPT} ${process.env.PORYGON_ARGS ?? ""}`.trim());
const PEER = server("peer", Number(process.env.PEER_PORT ?? 8793), ".wrangler/peer-bench/peer-state", `--config ${PEER_CONFIG}`);
// BASELINE_SCRIPT: an earlier porygon build measured in the same run ("before"), e.g. a copy of
// the previous commit's build/; `make bench-peer BASELINE=<rev>` builds one.
const BASELINE = process.env.BASELINE_SCRIPT
  ? server(process.env.BASELINE_NAME ?? "porygon-before", Number(process.env.BASELINE_PORT ?? 8792), ".wrangler/peer-bench/before-state", `${process.env.BASELINE_SCRIPT} ${process.env.BASELINE_ARGS ?? ""}`.trim())
  : null;
const SERVERS = [PORYGON, PEER, ...(BASELINE ? [BASELINE] : [])];
const PORYGONS = SERVERS.filter((s) => s !== PEER);
if (new Set(SERVERS.map((s) => s.port)).size !== SERVERS.length) throw new Error("every server needs its own port");
if (!existsSync(PORYGON_SCRIPT)) throw new Error(`${PORYGON_SCRIPT} is missing: run \`make build\` first (or \`make bench-peer\`)`);

mkdirSync(RESULTS, { recursive: true });
const seconds = (d) => Number(String(d).replace(/s$/, ""));
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const say = (s) => console.error(`[peer] ${s}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = new Date();
const md = [];
const out = (s = "") => md.push(s);

// ---- the two servers (scripts/worker.sh: one wrangler dev per port, a pid file, its log) ------

const workerEnv = (s) => ({ ...process.env, PORT: String(s.port), STATE: s.state, WRANGLER_ARGS: s.wranglerArgs });
const logOf = (s) => `.wrangler/run/worker-${s.port}.log`;
/** Starts `s` in the background; resolves when scripts/worker.sh has seen it answer (or failed). */
function start(s) {
  return new Promise((resolve, reject) => {
    const child = spawn("scripts/worker.sh", ["start"], { env: workerEnv(s), stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${s.name} did not start (see ${logOf(s)})`))));
  });
}
const stop = (s) => spawnSync("scripts/worker.sh", ["stop"], { env: workerEnv(s), stdio: "inherit" });

/** The worker's own workerd behind `s`'s wrangler dev (bench/lib.mjs `workerdUrl`). */
const directUrl = (s) => workerdUrl(s.port, s.name);
const fresh = (s) => {
  stop(s);
  rmSync(s.state, { recursive: true, force: true });
};
let cleaningUp = false;
const stopAll = () => {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const s of SERVERS) stop(s);
};
process.on("SIGINT", () => (stopAll(), process.exit(130)));
process.on("SIGTERM", () => (stopAll(), process.exit(143)));

// ---- a minimal MCP client for the cold starts (JSON or event-stream answers) -----------------

/** The JSON-RPC answer in a body: JSON, or the last `data:` event with a result or an error. */
function answerOf(type, text) {
  if (!String(type).includes("text/event-stream")) return text ? JSON.parse(text) : null;
  let answer = null;
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
    if (!data) continue;
    const m = JSON.parse(data);
    if (m && (m.result !== undefined || m.error !== undefined)) answer = m;
  }
  return answer;
}

/** POSTs one JSON-RPC message; resolves {ms, status, headers, answer}, timed until the body is read. */
async function rpc(url, message, headers) {
  const t0 = performance.now();
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify(message),
  });
  const text = await res.text();
  return { ms: performance.now() - t0, status: res.status, headers: res.headers, answer: answerOf(res.headers.get("content-type") ?? "", text), text };
}

/** One new MCP client: initialize → notifications/initialized → tools/call get_pokemon; each step's ms. */
async function firstCall(url) {
  const init = await rpc(url, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "peer-bench-cold", version: "1.0.0" } } }, {});
  const session = init.headers.get("mcp-session-id");
  if (init.status !== 200 || !session || !init.answer?.result) throw new Error(`initialize: ${init.status} ${init.text.slice(0, 300)}`);
  const h = { "mcp-session-id": session, "mcp-protocol-version": init.answer.result.protocolVersion };
  const note = await rpc(url, { jsonrpc: "2.0", method: "notifications/initialized" }, h);
  if (note.status !== 202) throw new Error(`notifications/initialized: ${note.status} ${note.text.slice(0, 300)}`);
  const call = await rpc(url, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_pokemon", arguments: { name: COLD_SPECIES } } }, h);
  const result = call.answer?.result;
  if (call.status !== 200 || !result || result.isError || !result.structuredContent?.types) throw new Error(`tools/call get_pokemon: ${call.status} ${call.text.slice(0, 300)}`);
  return { initialize: init.ms, initialized: note.ms, call: call.ms, total: init.ms + note.ms + call.ms, answer: result };
}

/** A new MCP session on `url`; returns `call(args)` → the get_pokemon result. */
async function openClient(url) {
  const init = await rpc(url, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "peer-bench-parity", version: "1.0.0" } } }, {});
  const session = init.headers.get("mcp-session-id");
  if (!session || !init.answer?.result) throw new Error(`initialize on ${url}: ${init.status} ${init.text.slice(0, 300)}`);
  const h = { "mcp-session-id": session, "mcp-protocol-version": init.answer.result.protocolVersion };
  await rpc(url, { jsonrpc: "2.0", method: "notifications/initialized" }, h);
  let id = 2;
  return async (args) => {
    const r = await rpc(url, { jsonrpc: "2.0", id: id++, method: "tools/call", params: { name: "get_pokemon", arguments: args } }, h);
    if (!r.answer?.result) throw new Error(`get_pokemon ${JSON.stringify(args)} on ${url}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.answer.result;
  };
}

// The questions both servers must answer identically: k6's 36 gen9ou species, then older
// generations (no abilities before 3, the gen-1 and gens 2-5 type charts), formes and forgiving names.
const PARITY = [
  "Kingambit", "Great Tusk", "Gholdengo", "Zamazenta", "Landorus-Therian", "Dragapult", "Raging Bolt", "Iron Valiant", "Iron Moth",
  "Darkrai", "Slowking-Galar", "Dragonite", "Ogerpon-Wellspring", "Samurott-Hisui", "Roaring Moon", "Glimmora", "Gliscor", "Primarina",
  "Gouging Fire", "Cinderace", "Kyurem", "Iron Treads", "Hatterene", "Moltres", "Iron Crown", "Garganacl", "Ting-Lu", "Corviknight",
  "Clefable", "Walking Wake", "Meowscarada", "Dondozo", "Clodsire", "Zapdos", "Venusaur", "Arcanine-Hisui",
].map((name) => ({ name })).concat([
  { name: "Gengar", generation: 1 }, { name: "Mewtwo", generation: 1 }, { name: "Skarmory", generation: 2 }, { name: "Tyranitar", generation: 2 },
  { name: "Metagross", generation: 3 }, { name: "Garchomp", generation: 4 }, { name: "Scizor", generation: 5 },
  { name: "Charizard" }, { name: "Charizard-Mega-X" }, { name: "Pikachu" }, { name: "alolan ninetales" }, { name: "Urshifu-Rapid-Strike" },
]);
const canonical = (v) => (Array.isArray(v) ? v.map(canonical) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v);

/** Asks both servers every PARITY question; the ones whose structuredContent (keys sorted) or text differ. */
async function parity() {
  const [a, b] = [await openClient(PORYGON.url), await openClient(PEER.url)];
  const differ = [];
  for (const args of PARITY) {
    const [x, y] = [await a(args), await b(args)];
    const same = JSON.stringify(canonical(x.structuredContent)) === JSON.stringify(canonical(y.structuredContent)) && x.content?.[0]?.text === y.content?.[0]?.text;
    if (!same || !x.structuredContent) differ.push(JSON.stringify(args));
  }
  return differ;
}

/** Kill, empty state, start; ms from the start command to the first 200 from /health/live, then two clients. */
async function coldStart(s) {
  fresh(s);
  const t0 = performance.now();
  const starting = start(s);
  let failed = null;
  starting.catch((e) => (failed = e));
  let live = null;
  let liveRequest = null; // the answered request's own time: the process was up, the worker module loading
  while (live === null) {
    if (failed) throw failed;
    if (performance.now() - t0 > 120_000) throw new Error(`${s.name}: no answer from /health/live within 120 s`);
    const sent = performance.now();
    try {
      const res = await fetch(`${s.url}/health/live`, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status === 200 && JSON.parse(body).status === "ok") [live, liveRequest] = [performance.now() - t0, performance.now() - sent];
    } catch {}
    if (live === null) await sleep(20);
  }
  const first = await firstCall(s.url);
  const second = await firstCall(s.url);
  await starting;
  stop(s);
  return { live, liveRequest, first, second };
}

// ---- k6 ------------------------------------------------------------------------------------

let runNo = 0;
/** One k6 run of bench/k6/peer.js; returns {summary, exit, load}. */
function k6(s, op, vus, env = {}, route = "proxy") {
  runNo++;
  const tag = `peer-${String(runNo).padStart(2, "0")}-${s.name}-${route}-${op}-${vus}vu`;
  const summaryFile = join(RESULTS, `${tag}.json`);
  const stdoutFile = join(RESULTS, `${tag}.stdout.log`);
  rmSync(summaryFile, { force: true });
  const envArgs = Object.entries({ BASE_URL: route === "direct" ? s.direct : s.url, OP: op, ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const fd = openSync(stdoutFile, "w");
  const t0 = Date.now();
  const run = spawnSync(K6, ["run", "--no-color", "--vus", String(vus), "--duration", DURATION, "--summary-export", summaryFile, ...envArgs, "bench/k6/peer.js"], {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
  });
  closeSync(fd);
  const load = loadavg()[0];
  say(`${tag}: k6 exit ${run.status} in ${((Date.now() - t0) / 1000).toFixed(0)} s, host load ${f(load, 2)}`);
  if (!existsSync(summaryFile)) throw new Error(`${tag}: k6 wrote no summary (exit ${run.status}); see ${stdoutFile}`);
  return { summary: JSON.parse(readFileSync(summaryFile, "utf8")), exit: run.status, load };
}

const metric = (summary, name) => summary.metrics[name] ?? null;
const passes = (summary, name) => metric(summary, name)?.passes ?? 0;
const TREND = { live: "op_live", ping: "op_ping", get_pokemon: "op_tools_call_get_pokemon" };
const OP_LABEL = { live: "GET /health/live", ping: "MCP ping", get_pokemon: "tools/call get_pokemon" };

// ---- header --------------------------------------------------------------------------------

const version = (pkg) => JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, "utf8")).version;
const k6Version = execFileSync(K6, ["version"], { encoding: "utf8" }).trim().replace(/ \(.*/, "");
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "wrangler.toml", "bench/peer", "bench/k6", "package-lock.json"], { encoding: "utf8" }).trim() !== "";
const command = `DURATION=${DURATION} VUS=${VUS.join(",")} ROUTES=${ROUTES.join(",")} COLD_ROUNDS=${COLD_ROUNDS} PORYGON_SCRIPT=${PORYGON_SCRIPT} node bench/peer.mjs`;
out("# porygon and the TypeScript peer (issue #14)");
out();
out(`Produced by \`make bench-peer\` (→ \`${command}\`) on ${started.toISOString().slice(0, 10)}, commit ${commit}${dirty ? " plus uncommitted changes" : ""}: ` +
  `wrangler ${version("wrangler")} (the project's pin) serving both servers locally (\`wrangler dev\`, workerd), ${k6Version}, node ${process.versions.node}, ` +
  `${cpus().length} cores shared by k6, both servers and whatever else runs on the machine (the host load column). ` +
  `**Compare ratios within one run**, not absolute times across runs or machines: the local per-request floor moves with the wrangler version and the machine's load.`);
out();
out(`- ${PORYGON.name}: the release build (\`make build\`${PORYGON_SCRIPT.startsWith("build/") ? "" : ", served from a private copy"}), \`PORT=${PORYGON.port} STATE=${PORYGON.state} WRANGLER_ARGS=${PORYGON.wranglerArgs} scripts/worker.sh start\`; ` +
  `fresh state and no corpus loaded, so get_pokemon finds no usage statistics and answers with the same fields as the peer. Its limiter is on: every k6 VU is its own client with its own API key ` +
  `(apikey.mjs's format, quotas 100000/min and /hour, which no VU reaches; a fresh set of keys per cell).`);
if (BASELINE) {
  out(`- ${BASELINE.name}: an earlier porygon build (or the same build configured otherwise: BASELINE_ARGS), \`${BASELINE.wranglerArgs}\` (BASELINE_SCRIPT), served the same way on port ${BASELINE.port} with its own keys: the "before" of every "after" row above it.`);
}
out(`- peer: bench/peer/ (agents ${version("agents")} \`McpAgent\`, one Durable Object per session; @modelcontextprotocol/sdk ${version("@modelcontextprotocol/sdk")}; zod ${version("zod")}; @pkmn/dex ${version("@pkmn/dex")}), ` +
  `\`PORT=${PEER.port} STATE=${PEER.state} WRANGLER_ARGS="${PEER.wranglerArgs}" scripts/worker.sh start\`; no authentication, no rate limit. It answers every MCP request as an event stream.`);
out();

try {
  // ---- 1. cold start -------------------------------------------------------------------------

  const cold = Object.fromEntries(SERVERS.map((s) => [s.name, []]));
  const rotate = (k) => SERVERS.slice(k % SERVERS.length).concat(SERVERS.slice(0, k % SERVERS.length));
  for (let round = 0; round < COLD_ROUNDS; round++) {
    for (const s of rotate(round)) {
      const c = await coldStart(s);
      cold[s.name].push(c);
      say(`cold start ${round + 1}/${COLD_ROUNDS} ${s.name}: /health/live after ${f(c.live, 0)} ms, first initialize+get_pokemon ${f(c.first.total, 0)} ms, second ${f(c.second.total, 0)} ms`);
    }
  }
  // ---- 2. matrix -----------------------------------------------------------------------------

  for (const s of SERVERS) fresh(s);
  // One after the other: two wrangler dev processes started at once race for an internal socket.
  for (const s of SERVERS) await start(s);
  for (const s of SERVERS) if (ROUTES.includes("direct")) s.direct = await directUrl(s);
  const differ = await parity();
  say(`same answers: ${PARITY.length - differ.length} of ${PARITY.length}`);
  const keysPerOp = VUS.reduce((a, b) => a + b, 0) * ROUTES.length;
  const keys = {};
  for (const s of PORYGONS) keys[s.name] = await createApiKeys({ n: 2 * keysPerOp, url: s.url, state: s.state, name: `peer-bench-${s.name}`, dir: RESULTS });
  const nextKey = {};
  const takeKeys = (s, n) => keys[s.name].slice((nextKey[s.name] ??= 0), (nextKey[s.name] += n)).join(",");

  const cells = [];
  const dur = seconds(DURATION);
  let order = 0;
  for (const vus of VUS) {
    for (const op of ["live", "ping", "get_pokemon"]) {
      for (const route of ROUTES) {
      // Alternate which server goes first, so neither always meets the machine in the same state.
      for (const s of rotate(order++)) {
        const env = s !== PEER && op !== "live" ? { API_KEYS: takeKeys(s, vus) } : {};
        const r = k6(s, op, vus, env, route);
        const m = metric(r.summary, TREND[op]) ?? {};
        cells.push({
          route, server: s.name, op, vus, n: m.count ?? 0, p50: m["p(50)"], p95: m["p(95)"], p99: m["p(99)"], rps: (m.count ?? 0) / dur,
          errors: passes(r.summary, "errors"), limited: passes(r.summary, "rate_limited"), bad: passes(r.summary, "bad_answers"), exit: r.exit, load: r.load,
        });
      }
      }
    }
  }
  for (const s of SERVERS) stop(s);

  const find = (server, op, vus, route) => cells.find((c) => c.server === server && c.op === op && c.vus === vus && c.route === route);
  const rows = [];
  for (const route of ROUTES) {
  for (const vus of VUS) {
    for (const op of ["live", "ping", "get_pokemon"]) {
      for (const s of SERVERS) {
        const c = find(s.name, op, vus, route);
        const peer = find("peer", op, vus, route);
        const live = find(s.name, "live", vus, route);
        const vsPeer = s === PEER ? ["–", "–", "–"] : [f(c.p50 / peer.p50, 2), f(c.p95 / peer.p95, 2), f(c.rps / peer.rps, 2)];
        rows.push([
          route, s.name, OP_LABEL[op], vus, c.n, f(c.p50, 2), f(c.p95, 2), f(c.p99, 2), f(c.rps, 0), ...vsPeer,
          f(c.p50 / live.p50, 2), f(c.p95 / live.p95, 2), f(c.rps / live.rps, 2), `${c.errors} / ${c.limited} / ${c.bad}`, f(c.load, 2),
        ]);
      }
    }
  }
  }
  out(`Same answers: before the runs, both servers were asked get_pokemon for ${PARITY.length} questions (the 36 species below, older generations, formes, forgiving names); ` +
    `structuredContent (keys sorted) and text were identical for ${PARITY.length - differ.length} of ${PARITY.length}` +
    (differ.length ? `; they differ for ${differ.map((d) => `\`${d}\``).join(", ")}.` : "."));
  out();
  out("## Latency and throughput");
  out();
  out(`Each cell: \`k6 run --vus N --duration ${DURATION} -e BASE_URL=<server> -e OP=<live|ping|get_pokemon> [-e API_KEYS=<one per VU>] bench/k6/peer.js\`; ` +
    `route **proxy**: BASE_URL is wrangler dev's port, as a client of \`wrangler dev\` sees it (wrangler's proxy worker, a workerd of its own, forwards every request); ` +
    `route **direct**: BASE_URL is the loopback socket of the workerd that runs the worker, behind that proxy (found per server by bench/peer.mjs \`directUrl\`), so neither server pays the dev-only hop; ` +
    `both servers up side by side, the cells run one at a time (the server that goes first alternates). ` +
    `Every VU is one MCP client with one session for the whole cell (initialize → notifications/initialized → tools/list in k6's setup, before the timed ${DURATION}), ` +
    `sending Mcp-Session-Id and MCP-Protocol-Version, then the operation as fast as it is answered; only the operation's answered, successful requests are timed and counted. ` +
    `get_pokemon asks for \`{name}\`, a random one of 36 gen9ou species (bench/k6/lib.js). ` +
    `"÷ peer" is porygon's figure divided by the peer's in the same cell (below 1 for latency and above 1 for calls/s is porygon ahead); ` +
    `"÷ own live" divides by the same server's GET /health/live (no MCP, no Durable Object) at the same VU count. ` +
    `errors / 429 / bad answers: failed requests (network, 5xx, JSON-RPC or tool errors), rate-limited ones, get_pokemon results without the answer's shape. ` +
    `Host load: 1-minute load average as the cell ended.`);
  out();
  out(table(["route", "server", "operation", "VUs", "n", "p50 ms", "p95 ms", "p99 ms", "calls/s", "p50 ÷ peer", "p95 ÷ peer", "calls/s ÷ peer", "p50 ÷ own live", "p95 ÷ own live", "calls/s ÷ own live", "errors / 429 / bad", "host load"], rows));
  out();
  const failedRuns = cells.filter((c) => c.exit !== 0);
  if (failedRuns.length) out(`k6 exited non-zero in ${failedRuns.length} cell(s): ${failedRuns.map((c) => `${c.server} ${c.op} ${c.vus} VUs (${c.exit})`).join(", ")}; see bench/results/peer-*.stdout.log.`), out();

  // ---- cold-start table ----------------------------------------------------------------------

  const med = (xs) => percentile(xs, 50);
  const spread = (xs) => (xs.length > 1 ? `${f(med(xs), 0)} (${f(Math.min(...xs), 0)}–${f(Math.max(...xs), 0)})` : f(xs[0], 0));
  const coldRows = SERVERS.map((s) => {
    const c = cold[s.name];
    return [
      s.name, c.length, spread(c.map((x) => x.live)), spread(c.map((x) => x.liveRequest)), spread(c.map((x) => x.first.initialize)), spread(c.map((x) => x.first.initialized)),
      spread(c.map((x) => x.first.call)), spread(c.map((x) => x.first.total)), spread(c.map((x) => x.second.total)),
    ];
  });
  out("## Cold start");
  out();
  out(`${COLD_ROUNDS} round(s); each: stop the server, delete its state directory, run its start command (above) and poll GET /health/live every 20 ms ` +
    `(a): ms from the start command to the first 200, so it includes wrangler's own start-up and bundling (a local-dev cost, not a production isolate start); ` +
    `"that request alone" is the answered request's own time (sent once the port accepted connections: the new process's first-request work, mostly loading the worker's module). ` +
    `Then (b): the first MCP client of the new process, initialize → notifications/initialized → tools/call get_pokemon \`{"name": "${COLD_SPECIES}"}\` ` +
    `(porygon anonymous: one client's first requests are far from its quota), and a second new client right after it (warm process, a new session and Durable Object). ` +
    `Median (min–max) in ms; the order of the two servers alternates between rounds.`);
  out();
  out(table(["server", "rounds", "(a) start → /health/live 200", "that request alone", "(b) first initialize", "first notifications/initialized", "first tools/call get_pokemon", "(b) first initialize + get_pokemon", "second client, same steps"], coldRows));
  out();
  const ratio = (k) => f(med(cold[PORYGON.name].map(k)) / med(cold.peer.map(k)), 2);
  out(`${PORYGON.name} ÷ peer (medians): (a) ${ratio((x) => x.live)}, (b) ${ratio((x) => x.first.total)}, second client ${ratio((x) => x.second.total)}.`);
  if (BASELINE) {
    const before = (k) => f(med(cold[BASELINE.name].map(k)) / med(cold.peer.map(k)), 2);
    out(`${BASELINE.name} ÷ peer (medians): (a) ${before((x) => x.live)}, (b) ${before((x) => x.first.total)}, second client ${before((x) => x.second.total)}.`);
  }
  out();
} finally {
  stopAll();
}

writeFileSync(OUT, md.join("\n").replace(/\n+$/, "\n"));
console.log(md.join("\n"));
say(`wrote ${OUT} in ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`);

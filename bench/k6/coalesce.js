// k6: request coalescing — ROUNDS rounds, each CONCURRENCY simultaneous identical query_strategy
// calls from ONE client (one session) for a question never asked before. The server should compute
// each question once: its request log (`fields.cache`: miss | coalesced | hit) tells, correlated by
// X-Request-Id, which this script writes to the console output, one JSON line per call.
//
//   k6 run --console-output calls.log -e BASE_URL=http://127.0.0.1:8796 -e API_KEY=pgn_… bench/k6/coalesce.js
//
// One client is one quota: anonymous (CLIENT_IP, local only) it gets 100 requests per minute, so
// ROUNDS × CONCURRENCY above ~98 needs API_KEY (a key's default quota is 1000 per minute).
import { Client, QUESTIONS, SPECIES, declareOps, salt } from "./lib.js";

const ROUNDS = Number(__ENV.ROUNDS || 5);
const CONCURRENCY = Number(__ENV.CONCURRENCY || 100);
const GAP_S = Number(__ENV.GAP_S || 5);

declareOps("initialize", "notifications/initialized", "tools/list", "tools_call_query_strategy");

const scenarios = {};
for (let r = 0; r < ROUNDS; r++) {
  scenarios[`round${r}`] = {
    executor: "per-vu-iterations",
    vus: CONCURRENCY,
    iterations: 1,
    startTime: `${r * GAP_S}s`,
    maxDuration: `${Math.max(GAP_S, 30)}s`,
    env: { ROUND: String(r) },
  };
}
export const options = { scenarios, summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(95)", "p(99)", "count"] };

export function setup() {
  const c = new Client({ ip: __ENV.CLIENT_IP || null });
  if (!c.open("k6-porygon-coalesce")) throw new Error("initialize failed");
  return { session: c.session, protocol: c.protocol, run: salt() };
}

export default function (data) {
  const round = Number(__ENV.ROUND);
  const c = new Client({ ip: __ENV.CLIENT_IP || null });
  c.session = data.session;
  c.protocol = data.protocol;
  const species = SPECIES[round % SPECIES.length];
  const query = `${QUESTIONS[round % QUESTIONS.length](species)} (probe ${data.run} round ${round})`;
  const r = c.call("query_strategy", { query, format: "gen9ou" });
  console.log(JSON.stringify({ round, requestId: r.res.headers["X-Request-Id"] || null, status: r.res.status, ms: r.res.timings.duration }));
}

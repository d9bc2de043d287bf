// k6: one operation against an MCP server, the same way for porygon and for the benchmark peer
// (bench/peer/: agents' McpAgent, which answers every request as an event stream), for
// `make bench-peer` (bench/peer.mjs). Every VU is one MCP client with ONE session for the whole
// run — opened in k6's setup (initialize → notifications/initialized → tools/list), before the
// timed run — and then repeats the operation as fast as it is answered, always sending its
// Mcp-Session-Id and MCP-Protocol-Version; only the operation is timed.
//
//   k6 run --vus 10 --duration 10s -e BASE_URL=http://127.0.0.1:8793 -e OP=get_pokemon bench/k6/peer.js
//   k6 run --vus 10 --duration 10s -e BASE_URL=http://127.0.0.1:8794 -e OP=ping -e API_KEYS=pgn_a,pgn_b,… bench/k6/peer.js
//
// Environment:
//   BASE_URL  the server (MCP endpoint $BASE_URL/mcp)
//   OP        `live` (GET /health/live: no MCP, no Durable Object), `ping` (MCP ping), or
//             `get_pokemon` (tools/call get_pokemon {name} with a random one of 36 gen9ou species)
//   API_KEYS  optional, comma-separated: VU n sends the n-th key as `Authorization: Bearer …`
//             (porygon: every VU its own client and quota; the peer has no authentication)
//   PROTOCOL  the revision asked for in initialize (default 2025-06-18)
//
// Metrics: op_live / op_ping / op_tools_call_get_pokemon (answered, not rate limited, no error),
// `errors` and `rate_limited` as in lib.js, and `bad_answers` (a get_pokemon result without
// structuredContent name/types/baseStats/matchups: the servers must answer the same question).
import http from "k6/http";
import exec from "k6/execution";
import { Rate } from "k6/metrics";
import { BASE_URL, Client, SPECIES, classify, declareOps, pick } from "./lib.js";

const OP = __ENV.OP || "ping";
const OPS = ["live", "ping", "get_pokemon"];
if (!OPS.includes(OP)) throw new Error(`OP must be one of ${OPS.join(", ")}`);
const API_KEYS = (__ENV.API_KEYS || "").split(",").filter(Boolean);

declareOps("initialize", "notifications/initialized", "tools/list", "live", "ping", "tools_call_get_pokemon");
const badAnswers = new Rate("bad_answers");

export const options = {
  vus: 1,
  duration: "10s",
  setupTimeout: "300s",
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(95)", "p(99)", "count"],
};

const keyOf = (i) => (API_KEYS.length ? API_KEYS[i % API_KEYS.length] : "");

export function setup() {
  if (OP === "live") return { sessions: [] };
  const sessions = [];
  for (let i = 0; i < exec.instance.vusInitialized; i++) {
    const c = new Client({ apiKey: keyOf(i) });
    if (!c.open(`k6-peer-bench-${i + 1}`)) throw new Error(`could not open a session for VU ${i + 1}`);
    sessions.push({ session: c.session, protocol: c.protocol });
  }
  return { sessions };
}

let client = null;
let lost = false; // this VU's setup session was lost: open its own from now on

export default function (data) {
  if (OP === "live") {
    classify("live", http.get(`${BASE_URL}/health/live`, { tags: { op: "live" } }));
    return;
  }
  const i = __VU - 1;
  if (!client) {
    client = new Client({ apiKey: keyOf(i) });
    if (!lost && data.sessions[i]) {
      client.session = data.sessions[i].session;
      client.protocol = data.sessions[i].protocol;
    } else if (!client.open(`k6-peer-bench-${__VU}`)) {
      client = null;
      return;
    }
  }
  let r;
  if (OP === "ping") {
    r = client.ping();
  } else {
    r = client.call("get_pokemon", { name: pick(SPECIES) });
    if (r.ok) {
      const s = r.body.result && r.body.result.structuredContent;
      badAnswers.add(!(s && s.name && Array.isArray(s.types) && s.baseStats && s.matchups && Array.isArray(s.matchups.weaknesses)));
    }
  }
  // The session is gone (a server restart, an expired session): open a new one on the next iteration.
  if (r.res.status === 404) {
    lost = true;
    client = null;
  }
}

// k6 load test of porygon's MCP endpoint: each virtual user behaves like an MCP client —
// initialize → notifications/initialized → tools/list, then a loop of tool calls (query_strategy,
// get_popular_sets, get_pokemon with gen9ou species and questions), always sending its
// Mcp-Session-Id and MCP-Protocol-Version. After CALLS_PER_USER calls the VU becomes a new user
// (new session, and with LOCAL_CLIENT_IPS=1 a new address).
//
// Usage (k6 1.1.0; `make bench` installs it as .tools/bin/k6):
//   k6 run --vus 100 --duration 30s -e BASE_URL=https://<staging host> -e API_KEY=pgn_… bench/k6/mcp.js
//   k6 run --vus 10 --duration 15s -e LOCAL_CLIENT_IPS=1 bench/k6/mcp.js      # local `make dev`
//
// Environment:
//   BASE_URL          default http://127.0.0.1:8787 (the MCP endpoint is $BASE_URL/mcp)
//   API_KEY           optional: sent as `Authorization: Bearer …`. Anonymous clients get 100
//                     requests/min and 1000/hour per source address, so a load test from one machine
//                     needs a key (default 1000/min, 20000/hour: `scripts/apikey.mjs`, RUNBOOK).
//   API_KEYS          optional, comma-separated: VU n uses the n-th key (round robin), i.e. every VU
//                     is its own client (own quota, own Durable Object). Overrides API_KEY.
//   PREOPEN           1 (with API_KEYS): open every VU's session in k6's setup, before the timed
//                     run, and keep it (so the run times only the operation; used by `make bench`)
//   LOCAL_CLIENT_IPS  1: every user sends its own CF-Connecting-IP (an IPv6 /64 unique to this run),
//                     so a local run measures the server rather than one address's quota.
//                     `wrangler dev` passes the header through; Cloudflare overwrites it, so it is
//                     useless (and harmless) against staging or production.
//   OP                what each iteration does: `mix` (default: the realistic mix above),
//                     `ping`, `get_pokemon`, `get_popular_sets`, `query_cold` (query_strategy with a
//                     question never asked before: a cache miss), `query_cached` (one question,
//                     asked again and again: a cache hit), or `live` (GET /health/live, no MCP).
//   CALLS_PER_USER    calls per session before the VU starts a new user (default 50; keep
//                     3 + CALLS_PER_USER < 100 with LOCAL_CLIENT_IPS so no user meets its quota)
//   THINK_MS          pause after each call (default 0: as fast as the server answers)
//   PROTOCOL          the revision asked for in initialize (default 2025-06-18)
//
// Thresholds (the run fails when one is crossed): p95 of answered, not rate-limited requests
// < 500 ms; real errors (5xx, network errors, JSON-RPC errors, tool isError, unexpected statuses)
// < 1 %; http_req_failed < 1 % (429 is declared an expected status). 429s are not errors: they
// are counted in `rate_limited` (its passes = number of 429s).
import http from "k6/http";
import exec from "k6/execution";
import { sleep } from "k6";
import { Client, QUESTIONS, SPECIES, BASE_URL, classify, clientIp, declareOps, pick, salt } from "./lib.js";

const OP = __ENV.OP || "mix";
const CALLS_PER_USER = Number(__ENV.CALLS_PER_USER || 50);
const THINK_MS = Number(__ENV.THINK_MS || 0);
const LOCAL_CLIENT_IPS = __ENV.LOCAL_CLIENT_IPS === "1";
const API_KEYS = (__ENV.API_KEYS || "").split(",").filter(Boolean);
const OPS = ["mix", "ping", "get_pokemon", "get_popular_sets", "query_cold", "query_cached", "live"];
if (!OPS.includes(OP)) throw new Error(`OP must be one of ${OPS.join(", ")}`);

// The question every `query_cached` call asks (warmed in setup, so every timed call is a hit).
export const CACHED_QUERY = { query: "how does Kingambit win in OU", pokemon: "Kingambit", format: "gen9ou" };

declareOps(
  "initialize", "notifications/initialized", "tools/list", "ping", "live",
  "tools_call_query_strategy", "tools_call_get_popular_sets", "tools_call_get_pokemon",
);

export const options = {
  vus: 10,
  duration: "30s",
  thresholds: {
    admitted_duration: ["p(95)<500"],
    errors: ["rate<0.01"],
    http_req_failed: ["rate<0.01"],
  },
  summaryTrendStats: ["avg", "min", "med", "max", "p(50)", "p(95)", "p(99)", "count"],
};

export function setup() {
  const run = salt();
  if (OP === "query_cached") {
    const warm = new Client({ ip: LOCAL_CLIENT_IPS ? `fd00:${run}:ffff:ffff::1` : null, apiKey: API_KEYS[0] || undefined });
    if (warm.open("k6-porygon-warmup")) warm.call("query_strategy", CACHED_QUERY);
  }
  let sessions = null;
  if (API_KEYS.length && __ENV.PREOPEN === "1" && OP !== "live") {
    sessions = [];
    for (let i = 0; i < Math.min(API_KEYS.length, exec.instance.vusInitialized); i++) {
      const c = new Client({ apiKey: API_KEYS[i] });
      if (!c.open()) throw new Error(`could not open a session for key ${i + 1}`);
      sessions.push({ session: c.session, protocol: c.protocol });
    }
  }
  return { run, sessions };
}

// Per-VU state (every VU has its own JS runtime).
let client = null;
let user = 0;
let calls = 0;
let iteration = 0;

function realisticCall(c) {
  const roll = Math.random();
  const species = pick(SPECIES);
  if (roll < 0.5) {
    const question = pick(QUESTIONS)(species);
    const args = { query: question, format: "gen9ou" };
    if (question.includes(species)) args.pokemon = species;
    return c.call("query_strategy", args);
  }
  if (roll < 0.75) return c.call("get_popular_sets", { pokemon: species, format: "gen9ou" });
  return c.call("get_pokemon", { name: species, format: "gen9ou" });
}

export default function (data) {
  iteration++;
  if (OP === "live") {
    classify("live", http.get(`${BASE_URL}/health/live`, { tags: { op: "live" } }));
    return;
  }
  if (!client && data.sessions) {
    const i = (__VU - 1) % data.sessions.length;
    client = new Client({ apiKey: API_KEYS[i] });
    client.session = data.sessions[i].session;
    client.protocol = data.sessions[i].protocol;
  }
  if (!client || calls >= CALLS_PER_USER) {
    user++;
    calls = 0;
    const ip = LOCAL_CLIENT_IPS ? clientIp(data.run, user) : null;
    client = API_KEYS.length ? new Client({ ip, apiKey: API_KEYS[(__VU - 1) % API_KEYS.length] }) : new Client({ ip });
    if (!client.open()) {
      client = null; // rate limited or failed: a new user next iteration
      return;
    }
  }
  calls++;
  let r;
  switch (OP) {
    case "ping":
      r = client.ping();
      break;
    case "get_pokemon":
      r = client.call("get_pokemon", { name: pick(SPECIES), format: "gen9ou" });
      break;
    case "get_popular_sets":
      r = client.call("get_popular_sets", { pokemon: pick(SPECIES), format: "gen9ou" });
      break;
    case "query_cold": {
      // A suffix never used before defeats every cache layer (keyed by a hash of the arguments).
      const species = pick(SPECIES);
      r = client.call("query_strategy", { query: `${pick(QUESTIONS)(species)} ${data.run}x${__VU}x${iteration}`, format: "gen9ou" });
      break;
    }
    case "query_cached":
      r = client.call("query_strategy", CACHED_QUERY);
      break;
    default:
      r = realisticCall(client);
  }
  if (r.res.status === 404) client = null; // the session is gone: start over
  if (THINK_MS > 0) sleep(THINK_MS / 1000);
}

// Shared pieces of the k6 scripts (bench/k6/*.js): an MCP client over Streamable HTTP with real
// session headers, realistic gen9ou arguments, and the metrics that separate rate limiting
// (HTTP 429, expected) from real failures (5xx, network errors, JSON-RPC errors, tool isError).
import http from "k6/http";
import exec from "k6/execution";
import { Rate, Trend } from "k6/metrics";

export const BASE_URL = (__ENV.BASE_URL || "http://127.0.0.1:8787").replace(/\/+$/, "");
export const MCP_URL = `${BASE_URL}/mcp`;
export const PROTOCOL = __ENV.PROTOCOL || "2025-06-18";
export const API_KEY = __ENV.API_KEY || "";

// 429 is an answer the client is told to expect, not a failed request: keep it out of
// http_req_failed and count it in `rate_limited` instead.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 429));

/** Share of /mcp responses that were 429 (its `passes` are the 429 count). */
export const rateLimited = new Rate("rate_limited");
/** Share of requests that really failed: network error, 5xx, other unexpected status, JSON-RPC error, tool isError. */
export const errors = new Rate("errors");
/** Latency of every answered request that was not rate limited (the p95 threshold). */
export const admittedDuration = new Trend("admitted_duration", true);
/** Latency of the 429s. */
export const rejectedDuration = new Trend("rejected_duration", true);

const opTrends = {};
/** The metric name of an op: `op_ping`, `op_tools_call_get_pokemon`, `op_notifications_initialized`. */
export const opMetric = (op) => `op_${op.replace(/[^A-Za-z0-9_]/g, "_")}`;
/** Metrics must be created in the init context: declare the ops a script will time (answered, not limited, no error). */
export function declareOps(...ops) {
  for (const op of ops) opTrends[op] = new Trend(opMetric(op), true);
}

// Realistic arguments: the most used gen9ou species (Smogon moveset report, mid-2024) and the
// kinds of questions people ask about them.
export const SPECIES = [
  "Kingambit", "Great Tusk", "Gholdengo", "Zamazenta", "Landorus-Therian", "Dragapult", "Raging Bolt",
  "Iron Valiant", "Iron Moth", "Darkrai", "Slowking-Galar", "Dragonite", "Ogerpon-Wellspring",
  "Samurott-Hisui", "Roaring Moon", "Glimmora", "Gliscor", "Primarina", "Gouging Fire", "Cinderace",
  "Kyurem", "Iron Treads", "Hatterene", "Moltres", "Iron Crown", "Garganacl", "Ting-Lu", "Corviknight",
  "Clefable", "Walking Wake", "Meowscarada", "Dondozo", "Clodsire", "Zapdos", "Venusaur", "Arcanine-Hisui",
];
export const QUESTIONS = [
  (p) => `how does ${p} win in OU`,
  (p) => `what checks and counters ${p}`,
  (p) => `best ${p} set and EV spread`,
  (p) => `good teammates for ${p}`,
  (p) => `how to play around ${p}`,
  () => "defensive pivot that spreads status",
  () => "dragon dance sweeper",
  () => "hazard removal options",
  () => "choice scarf revenge killer",
  () => "stealth rock setter",
];

export const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** A random 16-bit salt (hex) so that each run's client addresses and cold queries are new. */
export const salt = () => Math.floor(Math.random() * 0xffff).toString(16);

/**
 * A client address for user `user` of this VU, unique per run (`runSalt`): an IPv6 /64 (the
 * server keys anonymous IPv6 clients by /64). Only sent when LOCAL_CLIENT_IPS=1: `wrangler dev`
 * passes CF-Connecting-IP through; in production Cloudflare overwrites it with the real address.
 */
export function clientIp(runSalt, user) {
  return `fd00:${runSalt}:${exec.vu.idInTest.toString(16)}:${(user & 0xffff).toString(16)}::1`;
}

let rpcId = 0;

/**
 * One MCP client: its headers, its session (after initialize) and its address. `post` sends a
 * JSON-RPC message and classifies the answer into the metrics; returns {res, body, ok, limited}.
 */
export class Client {
  constructor({ ip = null, apiKey = API_KEY } = {}) {
    this.ip = ip;
    this.apiKey = apiKey;
    this.session = null;
    this.protocol = null;
  }

  headers(extra = {}) {
    const h = { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...extra };
    if (this.apiKey) h.Authorization = `Bearer ${this.apiKey}`;
    if (this.ip) h["CF-Connecting-IP"] = this.ip;
    if (this.session) h["Mcp-Session-Id"] = this.session;
    if (this.protocol) h["MCP-Protocol-Version"] = this.protocol;
    return h;
  }

  /** Sends `message`; `op` names the metric; notifications expect 202 and no body. */
  post(op, message) {
    const isNotification = message.id === undefined;
    const res = http.post(MCP_URL, JSON.stringify(message), { headers: this.headers(), tags: { op } });
    return classify(op, res, isNotification);
  }

  /** initialize → notifications/initialized → tools/list. Returns false when it did not get a session. */
  open(clientName = "k6-porygon-load") {
    this.session = null;
    this.protocol = null;
    const init = this.post("initialize", {
      jsonrpc: "2.0",
      id: ++rpcId,
      method: "initialize",
      params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: clientName, version: "1.0.0" } },
    });
    if (!init.ok) return false;
    this.session = init.res.headers["Mcp-Session-Id"] || null;
    this.protocol = (init.body && init.body.result && init.body.result.protocolVersion) || PROTOCOL;
    if (!this.session) {
      errors.add(true, { op: "initialize", why: "no session id" });
      return false;
    }
    if (!this.post("notifications/initialized", { jsonrpc: "2.0", method: "notifications/initialized" }).ok) return false;
    const list = this.post("tools/list", { jsonrpc: "2.0", id: ++rpcId, method: "tools/list", params: {} });
    return list.ok;
  }

  call(tool, args) {
    return this.post(`tools_call_${tool}`, { jsonrpc: "2.0", id: ++rpcId, method: "tools/call", params: { name: tool, arguments: args } });
  }

  ping() {
    return this.post("ping", { jsonrpc: "2.0", id: ++rpcId, method: "ping" });
  }
}

/**
 * The JSON-RPC answer in a response: the JSON body, or, when the server answered with an event
 * stream (Streamable HTTP allows either; agents' McpAgent always streams), the last `data:` event
 * that carries a result or an error. Throws when there is none.
 */
export function parseBody(res) {
  const type = String(res.headers["Content-Type"] || "").toLowerCase();
  if (!type.includes("text/event-stream")) return JSON.parse(res.body);
  let answer = null;
  for (const event of String(res.body || "").split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).replace(/^ /, ""))
      .join("\n");
    if (!data) continue; // keep-alive comments, empty events
    const message = JSON.parse(data);
    if (message && (message.result !== undefined || message.error !== undefined)) answer = message;
  }
  if (!answer) throw new Error("no JSON-RPC answer in the event stream");
  return answer;
}

/** Classifies a response into rate_limited / errors / latency trends. */
export function classify(op, res, isNotification = false) {
  const ms = res.timings.duration;
  if (res.status === 429) {
    rateLimited.add(true, { op });
    rejectedDuration.add(ms, { op });
    return { res, body: null, ok: false, limited: true, retryAfter: Number(res.headers["Retry-After"]) };
  }
  rateLimited.add(false, { op });
  let body = null;
  let why = null;
  if (res.status === 0) why = "network";
  else if (res.status >= 500) why = "5xx";
  else if (isNotification) why = res.status === 202 ? null : `status ${res.status}`;
  else if (res.status !== 200) why = `status ${res.status}`;
  else {
    try {
      body = parseBody(res);
    } catch (_) {
      why = "not json";
    }
    if (body && body.error) why = "jsonrpc error";
    else if (body && body.result && body.result.isError) why = "tool isError";
  }
  errors.add(why !== null, { op });
  if (res.status !== 0) {
    admittedDuration.add(ms, { op });
    if (why === null && opTrends[op]) opTrends[op].add(ms);
  }
  return { res, body, ok: why === null, limited: false, why };
}

// Issue #17: what the OAuth front door (src/entry.mjs) costs. Two claims, measured in one run on one
// machine, the servers taking turns request by request so that they share its noise (as in
// bench/hops.mjs, but in a random order each round; only ratios within the run mean anything):
//   1. anonymous requests are no slower than before: the same bench build served with worker-build's
//      shim behind only the Pokédex module (bench/plain-entry.mjs, "before": no JS front door) and with src/entry.mjs plus OAuth
//      configured ("after"), each figure also as a ratio to the same server's `/health/live` p50;
//   2. the cost of a token check: on "after", `tools/call get_pokemon` with a real access token
//      (obtained through the whole flow: DCR → /authorize → consent → the fake upstream identity
//      provider → /oauth/callback → /token) against the same call made anonymously.
// An optional "off" server (entry.mjs without PUBLIC_URL: OAuth off) separates the JS layer's own
// cost from OAuth's configuration. Run by `make bench-oauth`, which starts the workers:
//
//   SERVERS="before=http://127.0.0.1:8790,after=http://127.0.0.1:8791,off=http://127.0.0.1:8793" \
//   SIGN_IN=after IDP_PORT=8794 N=200 node bench/oauth.mjs
//
// The servers' anonymous quota (RATE_LIMIT_*) and the signed-in one (OAUTH_USER_RATE_LIMIT_*) are
// raised out of reach by the Makefile, to different figures, so the RateLimit-Policy header of each
// answer proves which identity the limiter counted it under (the limiter stays on).
// Writes REPORT (default bench/REPORT-oauth.md) and prints it.
import http from "node:http";
import os from "node:os";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { percentile, table, fmt } from "./lib.mjs";
import { startFakeIdp } from "../tests/integration/fake-idp.mjs";

const N = Number(process.env.N ?? 200);
const WARMUP = Number(process.env.WARMUP ?? 20);
const REPORT = process.env.REPORT ?? "bench/REPORT-oauth.md";
const IDP_PORT = Number(process.env.IDP_PORT ?? 8794);
// The quotas the Makefile sets (minute figures): anonymous and signed-in, told apart by the header.
const ANON_Q = Number(process.env.ANON_QUOTA ?? 100000);
const USER_Q = Number(process.env.USER_QUOTA ?? 99999);
const parse = (list) => Object.fromEntries((list ?? "").split(",").filter(Boolean).map((p) => p.split("=")));
const servers = Object.entries(parse(process.env.SERVERS ?? "before=http://127.0.0.1:8790,after=http://127.0.0.1:8791"));
const signIn = new Set((process.env.SIGN_IN ?? "after").split(",").filter(Boolean));
for (const [, base] of servers) {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) throw new Error(`benchmarks only target loopback, not ${base}`);
}
const CLIENT_IP = "203.0.113.17"; // TEST-NET-3: the anonymous client's address (its limiter key)
const REDIRECT = "http://127.0.0.1:9/callback"; // the OAuth client's redirect URI: never contacted
const VERSION = "2025-06-18";
const agent = new http.Agent({ keepAlive: true });

function request(base, method, path, body, headers = {}) {
  const url = new URL(path, base);
  const payload = body ? Buffer.from(JSON.stringify(body)) : null;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const h = { "CF-Connecting-IP": CLIENT_IP, ...(payload ? { "content-type": "application/json", "content-length": payload.length, accept: "application/json, text/event-stream" } : {}), ...headers };
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, agent, headers: h }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(payload ?? undefined);
  });
}

/** An access token for `base` through the whole sign-in, as a client and a browser would do it. */
async function accessToken(base) {
  // The fake is strict about its one registered redirect URI, porygon's callback on this server.
  const idp = await startFakeIdp({ port: IDP_PORT, callbackUrl: `${base}/oauth/callback` });
  try {
    return await signInFlow(base);
  } finally {
    await idp.close(); // the token check reads only OAUTH_KV: the provider is not needed afterwards
  }
}

async function signInFlow(base) {
  const b64url = (buf) => Buffer.from(buf).toString("base64url");
  const jar = new Map();
  const go = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("CF-Connecting-IP", CLIENT_IP);
    if (url.startsWith(base) && jar.size) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const r = await fetch(url, { ...init, headers, redirect: "manual" });
    if (url.startsWith(base)) {
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const i = pair.indexOf("=");
        jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
      }
    }
    return r;
  };
  const expect = async (r, status, what) => {
    if (r.status !== status) throw new Error(`sign-in, ${what}: ${r.status} ${(await r.text()).slice(0, 300)}`);
    return r;
  };
  const reg = await expect(
    await go(`${base}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "porygon bench", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" }),
    }),
    201,
    "registration",
  );
  const clientId = (await reg.json()).client_id;
  const verifier = b64url(randomBytes(32));
  const authorize = new URL(`${base}/authorize`);
  for (const [k, v] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: b64url(createHash("sha256").update(verifier).digest()), code_challenge_method: "S256", state: b64url(randomBytes(8)), resource: `${base}/mcp`, scope: "mcp" })) {
    authorize.searchParams.set(k, v);
  }
  const page = await (await expect(await go(authorize.href), 200, "consent page")).text();
  const handle = /name="handle" value="([^"]+)"/.exec(page)?.[1];
  if (!handle) throw new Error("sign-in: the consent page has no form handle");
  // Consent → the identity provider → /oauth/callback → the client's redirect URI with a code.
  let r = await expect(await go(`${base}/authorize`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ handle, decision: "approve" }) }), 302, "consent");
  let at = r.headers.get("location");
  for (let hop = 0; hop < 5 && !at.startsWith(REDIRECT); hop++) {
    r = await expect(await go(at), 302, `redirect to ${new URL(at).pathname}`);
    at = new URL(r.headers.get("location"), at).href;
  }
  const code = new URL(at).searchParams.get("code");
  if (!code) throw new Error(`sign-in ended without a code: ${at}`);
  const tok = await expect(
    await go(`${base}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT, resource: `${base}/mcp` }) }),
    200,
    "token exchange",
  );
  const { access_token: token, expires_in: ttl } = await tok.json();
  if (!/^[^:\s]+:[^:\s]+:[^:\s]+$/.test(token ?? "")) throw new Error("the token endpoint answered no OAuth-shaped access token");
  if (!(ttl >= 600)) throw new Error(`access tokens live ${ttl} s: too short for a run (OAUTH_ACCESS_TOKEN_TTL)`);
  return token;
}

/** An MCP session on `base` (as `auth`, when given); returns the operation `get_pokemon(i)`. */
async function mcpClient(name, base, auth = {}) {
  const init = await request(base, "POST", "/mcp", { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: "bench-oauth", version: "1" } } }, auth);
  const session = init.headers["mcp-session-id"];
  if (init.status !== 200 || !session) throw new Error(`${name}: initialize ${init.status} ${init.text.slice(0, 200)}`);
  const headers = { ...auth, "Mcp-Session-Id": session, "MCP-Protocol-Version": VERSION };
  await request(base, "POST", "/mcp", { jsonrpc: "2.0", method: "notifications/initialized" }, headers);
  return (i) => request(base, "POST", "/mcp", { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "get_pokemon", arguments: { name: ["Kingambit", "Great Tusk", "Gholdengo", "Dragonite"][i % 4] } } }, headers);
}

// series: [server, operation, fn, expected minute quota in RateLimit-Policy (or null)]
const series = [];
for (const [name, base] of servers) {
  series.push([name, "GET /health/live", () => request(base, "GET", "/health/live"), null]);
  series.push([name, "get_pokemon, anonymous", await mcpClient(`${name} anonymous`, base), ANON_Q]);
  if (signIn.has(name)) {
    const token = await accessToken(base);
    series.push([name, "get_pokemon, signed in", await mcpClient(`${name} signed in`, base, { Authorization: `Bearer ${token}` }), USER_Q]);
  }
}

// A seeded PRNG (mulberry32; SEED env), so that a run's order can be repeated.
let seed = Number(process.env.SEED ?? 17) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
function shuffled(xs) {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const loadBefore = os.loadavg();
const samples = new Map(series.map((s) => [s, []]));
for (let i = 0; i < WARMUP + N; i++) {
  // Every series once per round, in a fresh random order: they all see the same moments, and none
  // always follows the same neighbour (a fixed rotation would).
  for (const s of shuffled(series)) {
    const [name, op, fn, quota] = s;
    const r = await fn(i + 10);
    if (r.status !== 200 || /"isError":true|"error":\{/.test(r.text)) throw new Error(`${name} ${op}: ${r.status} ${r.text.slice(0, 300)}`);
    if (quota !== null && !new RegExp(`"minute";q=${quota};`).test(r.headers["ratelimit-policy"] ?? "")) {
      throw new Error(`${name} ${op}: counted under the wrong quota (RateLimit-Policy: ${r.headers["ratelimit-policy"]}; expected q=${quota})`);
    }
    // The bench build's Server-Timing `router` (src/edge/router.rs): the Rust routing Worker's own
    // time; the rest of the client's time is wrangler's proxy, loopback HTTP and the JS entry.
    const router = Number(/(?:^|,)\s*router;dur=([\d.]+)/.exec(r.headers["server-timing"] ?? "")?.[1] ?? NaN);
    if (i >= WARMUP) samples.get(s).push({ ms: r.ms, router });
  }
}
const loadAfter = os.loadavg();

const stats = {}; // server → op → {p50, p95, p99, ms, router, outside}
for (const s of series) {
  const ms = samples.get(s).map((x) => x.ms);
  const router = samples.get(s).map((x) => x.router);
  const outside = samples.get(s).map((x) => x.ms - x.router);
  ((stats[s[0]] ??= {})[s[1]] = {
    ms,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    p99: percentile(ms, 99),
    router: router.every(Number.isFinite) ? percentile(router, 50) : NaN,
    outside: outside.every(Number.isFinite) ? percentile(outside, 50) : NaN,
  });
}
const x = (v) => `${fmt(v)}×`;
const out = [];
const wranglerVersion = JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")).version;
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
})();
const cpus = os.cpus();
out.push(`# What the OAuth front door costs (issue #17)

\`make bench-oauth\` (bench/oauth.mjs) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, commit ${commit}: one
bench build (\`make bench-build\`) served by the pinned wrangler ${wranglerVersion} (node ${process.version}) three ways at
once, each with fresh state, the servers taking turns request by request (every series once per
round, in a fresh random order each round) so that they share the machine's noise. Machine: ${cpus.length} × ${cpus[0]?.model ?? "?"},
load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")} before the timed rounds and ${loadAfter.map((l) => l.toFixed(2)).join(" ")} after
(other work may share it: compare within this report only; absolute times mean nothing elsewhere).

- **before**: \`bench/plain-entry.mjs\` as wrangler's main: worker-build's shim behind only the Pokédex module (\`src/dex.mjs\`), the Rust worker with no JS front door;
- **after**: \`src/entry.mjs\` as main with OAuth on (\`PUBLIC_URL\`, \`OAUTH_IDP=oidc\` against the
  fake identity provider of the integration tests, tests/integration/fake-idp.mjs);
- **off**: \`src/entry.mjs\` without \`PUBLIC_URL\` (OAuth off: every request goes straight to Rust).

One client, one request at a time: ${N} timed requests per series after ${WARMUP} warm-up rounds. \`get_pokemon\`
is \`tools/call\` in an MCP session (${VERSION}); anonymous calls come from one address, the
signed-in ones carry an access token obtained through the whole flow (registration, consent, the
upstream sign-in, the code exchange). The limiter is on with quotas out of reach, anonymous
(q=${ANON_Q}) and signed-in (q=${USER_Q}) set apart so that every answer's \`RateLimit-Policy\` proves
it was counted under the expected identity. "× live" is a figure divided by the same server's
\`/health/live\` p50 (which goes through the entry too, on "after" and "off"). The last two columns
split MCP calls by the bench build's \`Server-Timing\` header: the Rust routing Worker's own time
(1 ms clock steps: Workers clocks move only across I/O) and the rest of the client's time —
wrangler dev's proxy, loopback HTTP and, on "after" and "off", the JS entry (where the token check
runs). \`/health/live\` carries no such header.
`);
for (const [name] of servers) {
  const live = stats[name]["GET /health/live"].p50;
  out.push(`## ${name}: ms, n = ${N} each\n`);
  out.push(table(["operation", "p50", "p95", "p99", "p50 × live", "p95 × live", "p99 × live", "Rust router, median", "outside it, median"], Object.entries(stats[name]).map(([op, s]) => [op, fmt(s.p50), fmt(s.p95), fmt(s.p99), x(s.p50 / live), x(s.p95 / live), x(s.p99 / live), fmt(s.router), fmt(s.outside)])));
  out.push("");
}
// The series of one round ran next to each other: the median of their per-round differences.
const pairedMedian = (a, b) => percentile(a.map((v, i) => v - b[i]), 50);
const rel = (name, op) => stats[name][op].p50 / stats[name]["GET /health/live"].p50;
const has = (name) => servers.some(([n]) => n === name);
const compare = [];
if (has("before")) {
  for (const other of ["after", "off"].filter(has)) {
    for (const op of ["GET /health/live", "get_pokemon, anonymous"]) {
      const a = stats[other][op];
      const b = stats.before[op];
      compare.push([
        `${op}: ${other} ÷ before`,
        `${fmt(a.p50)} / ${fmt(b.p50)} = ${x(a.p50 / b.p50)}`,
        `${fmt(a.p95)} / ${fmt(b.p95)} = ${x(a.p95 / b.p95)}`,
        op === "GET /health/live" ? "–" : `${fmt(rel(other, op))} / ${fmt(rel("before", op))} = ${x(rel(other, op) / rel("before", op))}`,
        fmt(pairedMedian(a.ms, b.ms)),
      ]);
    }
  }
}
out.push("## Comparisons\n");
if (compare.length) {
  out.push(table(["", "p50", "p95", "p50 × live, ratio", "paired difference, median ms"], compare));
  out.push("");
}
for (const name of [...signIn].filter(has)) {
  const anon = stats[name]["get_pokemon, anonymous"];
  const user = stats[name]["get_pokemon, signed in"];
  const live = stats[name]["GET /health/live"].p50;
  const paired = pairedMedian(user.ms, anon.ms);
  out.push(`Token check on ${name} (signed-in minus anonymous \`get_pokemon\`): p50 ${fmt(user.p50)} − ${fmt(anon.p50)} = **${fmt(user.p50 - anon.p50)} ms**
(${x(user.p50 / anon.p50)} the anonymous call; ${fmt((user.p50 - anon.p50) / live)} × \`/health/live\`'s p50); median of the paired per-round
differences ${fmt(paired)} ms; p95 ${fmt(user.p95)} against ${fmt(anon.p95)} (${x(user.p95 / anon.p95)}). Split by \`Server-Timing\`: outside the Rust
router (the entry's \`validateToken\`, its KV reads, and the request copy without \`Authorization\`)
${fmt(user.outside)} against ${fmt(anon.outside)} ms (${fmt(user.outside - anon.outside)} ms); inside it (the verdict turned into an identity,
that account's client object and limiter key) ${fmt(user.router)} against ${fmt(anon.router)} ms (${fmt(user.router - anon.router)} ms). This is the
whole difference a signed-in caller sees.
`);
}
const text = out.join("\n");
writeFileSync(REPORT, text);
console.log(text);
console.log(`\n(written to ${REPORT})`);

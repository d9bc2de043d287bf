#!/usr/bin/env node
// Smoke test of a running porygon (a deployment or a local worker), as a client sees it:
//   1. GET /health                 200 (status ok or degraded); 503 or anything else fails, body printed
//   2. initialize                  POST /mcp, a Streamable HTTP client's handshake
//   3. notifications/initialized   202
//   4. tools/list                  at least one tool, each with a name and an input schema
// then ends the MCP session it opened (DELETE /mcp, best effort). Four /mcp requests in all, so it
// stays far below the anonymous quota (100/min). Each check is printed with its latency.
//
//   node scripts/smoke.mjs --url https://pokemon-mcp-staging.example.workers.dev
//   BASE_URL=http://127.0.0.1:8787 node scripts/smoke.mjs
//
// Options (and environment variables):
//   --url URL          base URL, or the connector URL ending in /mcp (BASE_URL)
//   --header 'N: v'    extra request header, repeatable; e.g. an API key or, against a local
//                      worker, a CF-Connecting-IP of its own (SMOKE_HEADERS: one 'N: v' per line)
//   --timeout-ms N     per request (SMOKE_TIMEOUT_MS, default 15000)
//   --wait-secs N      retry /health for up to N seconds while it cannot be reached or answers
//                      5xx, e.g. right after a deploy (SMOKE_WAIT_SECS, default 0)
//   --expect-tool NAME fail unless tools/list names it; repeatable
// Exit status: 0 all checks passed, 1 a check failed, 2 bad usage. Needs Node 22 (plain fetch).

import { parseArgs } from 'node:util';

const USAGE = 'usage: node scripts/smoke.mjs --url https://host [--header "Name: value"]... [--timeout-ms N] [--wait-secs N] [--expect-tool NAME]...';
const PROTOCOL_VERSION = '2025-11-25';
const CLIENT_INFO = { name: 'porygon-smoke', version: '1.0.0' };

function usage(message) {
  console.error(`smoke: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseHeader(line) {
  const i = line.indexOf(':');
  if (i <= 0) usage(`a header must look like "Name: value", got ${JSON.stringify(line)}`);
  return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        header: { type: 'string', short: 'H', multiple: true, default: [] },
        'timeout-ms': { type: 'string' },
        'wait-secs': { type: 'string' },
        'expect-tool': { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const raw = values.url ?? process.env.BASE_URL;
  if (!raw) usage('no URL: pass --url or set BASE_URL');
  let url;
  try {
    url = new URL(raw);
  } catch {
    usage(`not a URL: ${JSON.stringify(raw)}`);
  }
  if (!['http:', 'https:'].includes(url.protocol)) usage(`not an http(s) URL: ${raw}`);
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/mcp$/, '')}`;
  const headerLines = [...(process.env.SMOKE_HEADERS ?? '').split('\n'), ...values.header].filter((l) => l.trim());
  const number = (name, value, fallback) => {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) usage(`${name} must be a non-negative number, got ${JSON.stringify(value)}`);
    return n;
  };
  return {
    base,
    headers: Object.fromEntries(headerLines.map(parseHeader)),
    timeoutMs: number('--timeout-ms', values['timeout-ms'] ?? process.env.SMOKE_TIMEOUT_MS, 15_000),
    waitSecs: number('--wait-secs', values['wait-secs'] ?? process.env.SMOKE_WAIT_SECS, 0),
    expectTools: values['expect-tool'],
  };
}

const opts = options();

/** A failed check: `message` says what was wrong, `body` (optional) what the server said. */
class CheckFailed extends Error {
  constructor(message, body) {
    super(message);
    this.body = body;
  }
}

const snippet = (text, max = 2000) => (text.length > max ? `${text.slice(0, max)}… (${text.length} bytes)` : text);

/** One HTTP exchange; network failures become CheckFailed with the cause spelled out. */
async function request(method, path, { headers = {}, body } = {}) {
  const url = `${opts.base}${path}`;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: { 'User-Agent': 'porygon-smoke/1', ...headers, ...opts.headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    if (err?.name === 'TimeoutError') throw new CheckFailed(`${method} ${url}: no answer within ${opts.timeoutMs} ms`);
    // undici: TypeError('fetch failed') with the socket or DNS error (or an AggregateError of
    // them, one per address tried) as its cause.
    const cause = err?.cause;
    let why = cause?.message || cause?.errors?.map((e) => e.message).join('; ') || err?.message || String(err);
    if (cause?.code && !why.includes(cause.code)) why = `${cause.code}: ${why}`;
    throw new CheckFailed(`cannot reach ${url}: ${why}`);
  }
  let text;
  try {
    text = await res.text();
  } catch (err) {
    throw new CheckFailed(`${method} ${url}: the response body broke off (${err?.cause?.code ?? err?.message})`);
  }
  if (res.status >= 300 && res.status < 400) {
    throw new CheckFailed(`${method} ${url} redirects (${res.status}) to ${res.headers.get('location')}: use that URL`);
  }
  return { status: res.status, headers: res.headers, text };
}

/** The JSON-RPC response to request `id` in a JSON or SSE body. */
function rpcResponse(res, id, what) {
  const type = res.headers.get('content-type') ?? '';
  const where = `${what}: HTTP ${res.status} ${type || '(no content type)'}`;
  if (res.status === 429) {
    throw new CheckFailed(`${what}: rate-limited (HTTP 429, Retry-After ${res.headers.get('retry-after') ?? '?'} s)`, res.text);
  }
  let messages = [];
  if (type.startsWith('application/json')) {
    try {
      messages = [JSON.parse(res.text)].flat();
    } catch {
      throw new CheckFailed(`${where}: the body is not JSON`, res.text);
    }
  } else if (type.startsWith('text/event-stream')) {
    for (const event of res.text.split(/\r?\n\r?\n/)) {
      const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
      if (!data) continue;
      try {
        messages.push(JSON.parse(data));
      } catch {
        throw new CheckFailed(`${where}: an SSE event is not JSON`, res.text);
      }
    }
  } else {
    throw new CheckFailed(`${where}: expected application/json or text/event-stream`, res.text);
  }
  const msg = messages.find((m) => m && typeof m === 'object' && m.id === id);
  if (!msg) throw new CheckFailed(`${where}: no JSON-RPC response with id ${id}`, res.text);
  if (msg.error) throw new CheckFailed(`${what}: JSON-RPC error ${msg.error.code}: ${msg.error.message}`, res.text);
  if (res.status !== 200) throw new CheckFailed(`${where}: expected HTTP 200`, res.text);
  if (!msg.result || typeof msg.result !== 'object') throw new CheckFailed(`${where}: the response has no result object`, res.text);
  return msg.result;
}

let nextId = 1;
function mcpPost(message, { sessionId, protocolVersion } = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  if (sessionId) headers['Mcp-Session-Id'] = sessionId;
  if (protocolVersion) headers['MCP-Protocol-Version'] = protocolVersion;
  return request('POST', '/mcp', { headers, body: JSON.stringify(message) });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const checks = {
  async 'GET /health'() {
    const deadline = Date.now() + opts.waitSecs * 1000;
    let res;
    for (;;) {
      try {
        res = await request('GET', '/health', { headers: { Accept: 'application/json' } });
        if (res.status < 500 || Date.now() >= deadline) break;
      } catch (err) {
        if (!(err instanceof CheckFailed) || Date.now() >= deadline) throw err;
      }
      await sleep(2000);
    }
    if (res.status === 503) throw new CheckFailed('GET /health: HTTP 503, a critical dependency is failing', res.text);
    if (res.status !== 200) throw new CheckFailed(`GET /health: HTTP ${res.status}, expected 200`, res.text);
    let body;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new CheckFailed('GET /health: HTTP 200 but the body is not JSON', res.text);
    }
    if (!['ok', 'degraded'].includes(body?.status) || !Array.isArray(body.checks)) {
      throw new CheckFailed('GET /health: expected {status: ok|degraded, checks: [...]}', res.text);
    }
    const notOk = body.checks.filter((c) => c.status !== 'ok');
    const detail = notOk.map((c) => `${c.name} ${c.status}${c.detail ? ` (${c.detail})` : ''}`).join('; ');
    return `200 ${body.status}, ${body.checks.length} checks${notOk.length ? `; not ok: ${detail}` : ''}`;
  },

  async initialize(state) {
    const id = nextId++;
    const res = await mcpPost({
      jsonrpc: '2.0',
      id,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
    });
    const result = rpcResponse(res, id, 'initialize');
    if (typeof result.protocolVersion !== 'string') throw new CheckFailed('initialize: the result has no protocolVersion', res.text);
    if (typeof result.serverInfo?.name !== 'string') throw new CheckFailed('initialize: the result has no serverInfo.name', res.text);
    if (!result.capabilities?.tools) throw new CheckFailed('initialize: the server does not declare the tools capability', res.text);
    state.protocolVersion = result.protocolVersion;
    state.sessionId = res.headers.get('mcp-session-id') ?? undefined;
    return `protocol ${result.protocolVersion}, server ${result.serverInfo.name} ${result.serverInfo.version ?? ''}`.trim() +
      (state.sessionId ? ', session issued' : ', no session (stateless)');
  },

  async 'notifications/initialized'(state) {
    const res = await mcpPost({ jsonrpc: '2.0', method: 'notifications/initialized' }, state);
    if (res.status !== 202) throw new CheckFailed(`notifications/initialized: HTTP ${res.status}, expected 202`, res.text);
    return '202 accepted';
  },

  async 'tools/list'(state) {
    const id = nextId++;
    const res = await mcpPost({ jsonrpc: '2.0', id, method: 'tools/list', params: {} }, state);
    const result = rpcResponse(res, id, 'tools/list');
    const tools = result.tools;
    if (!Array.isArray(tools) || tools.length === 0) throw new CheckFailed('tools/list: no tools', res.text);
    const bad = tools.filter((t) => typeof t?.name !== 'string' || typeof t.inputSchema !== 'object' || t.inputSchema === null);
    if (bad.length) throw new CheckFailed(`tools/list: ${bad.length} tool(s) without a name or an inputSchema`, JSON.stringify(bad));
    const names = tools.map((t) => t.name);
    const missing = opts.expectTools.filter((n) => !names.includes(n));
    if (missing.length) throw new CheckFailed(`tools/list: missing ${missing.join(', ')}`, names.join(', '));
    return `${tools.length} tools${result.nextCursor ? ' (first page)' : ''}: ${names.join(', ')}`;
  },
};

// Each check runs once; /health failing does not skip the MCP checks (both matter when deciding
// on a rollback), but a failed MCP step skips the ones that depend on it.
const started = performance.now();
const state = {};
const failures = [];
const headerNames = Object.keys(opts.headers);
console.log(`smoke test of ${opts.base}${headerNames.length ? ` (extra headers: ${headerNames.join(', ')})` : ''}`);
const pad = Math.max(...Object.keys(checks).map((n) => n.length));
let mcpBroken = false;
for (const [name, check] of Object.entries(checks)) {
  const isMcp = name !== 'GET /health';
  if (isMcp && mcpBroken) {
    console.log(`  SKIP  ${name.padEnd(pad)}  (an earlier MCP step failed)`);
    continue;
  }
  const t0 = performance.now();
  try {
    const detail = await check(state);
    console.log(`  ok    ${name.padEnd(pad)}  ${String(Math.round(performance.now() - t0)).padStart(5)} ms  ${detail}`);
  } catch (err) {
    const ms = Math.round(performance.now() - t0);
    const message = err instanceof CheckFailed ? err.message : `${name}: unexpected error: ${err?.stack ?? err}`;
    console.log(`  FAIL  ${name.padEnd(pad)}  ${String(ms).padStart(5)} ms  ${message}`);
    if (err?.body) console.log(`        body: ${snippet(err.body).replace(/\n/g, '\n        ')}`);
    failures.push(message);
    if (isMcp) mcpBroken = true;
  }
}

// Leave no session behind (they would otherwise idle out after 30 days). Not a check: a server may
// answer 405 to DELETE.
if (state.sessionId) {
  try {
    const res = await request('DELETE', '/mcp', { headers: { 'Mcp-Session-Id': state.sessionId, 'MCP-Protocol-Version': state.protocolVersion } });
    console.log(`  (session ended: HTTP ${res.status})`);
  } catch (err) {
    console.log(`  (could not end the session: ${err.message})`);
  }
}

const total = Math.round(performance.now() - started);
if (failures.length) {
  console.error(`smoke: FAIL (${failures.length} of ${Object.keys(checks).length} checks) against ${opts.base} in ${total} ms:`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`smoke: PASS (${Object.keys(checks).length} checks) against ${opts.base} in ${total} ms`);

// Shared helpers for the integration suite. The worker is started by `make test-integration`
// (scripts/worker.sh) with PORYGON_URL / PORYGON_PORT / PORYGON_STATE in the environment.
// Everything here talks to 127.0.0.1 only.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PORT = process.env.PORYGON_PORT ?? '8799';
export const STATE = process.env.PORYGON_STATE ?? '.wrangler/test-state';
export const BASE_URL = (process.env.PORYGON_URL ?? `http://127.0.0.1:${PORT}`).replace(/\/+$/, '');
export const MCP_URL = `${BASE_URL}/mcp`;

{
  const host = new URL(BASE_URL).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    throw new Error(`integration tests only run against a local worker, not ${BASE_URL}`);
  }
}

export const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
export const MODERN_VERSION = '2026-07-28';
export const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CAPS = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT = 'io.modelcontextprotocol/clientInfo';
export const META_SERVER = 'io.modelcontextprotocol/serverInfo';
export const CLIENT_INFO = { name: 'porygon-integration', version: '0.0.0' };

/** JSON-RPC / MCP error codes asserted by the suite. */
export const CODE = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  SESSION_NOT_FOUND: -32001,
  RESOURCE_NOT_FOUND: -32002,
  HEADER_MISMATCH: -32020,
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
};

/** A fresh request id per call, so every error can be checked for echoing it. */
let nextId = 1;
export const newId = () => nextId++;

/**
 * The client address this test file appears to come from (wrangler dev passes CF-Connecting-IP
 * through). Each file gets its own address, hence its own rate-limit bucket, so limits never
 * couple unrelated tests; a test that sets CF-Connecting-IP itself wins.
 */
export const CLIENT_IP = (() => {
  const h = createHash('sha256').update(process.argv[1] ?? 'repl').digest();
  return `10.${h[0]}.${h[1]}.${h[2] || 1}`;
})();

function withClientIp(headers) {
  const has = Object.keys(headers).some((k) => k.toLowerCase() === 'cf-connecting-ip');
  return has ? headers : { 'CF-Connecting-IP': CLIENT_IP, ...headers };
}

/**
 * One raw HTTP exchange through node:http, so the suite controls every request header (fetch
 * adds its own Accept, User-Agent, …). `headers` values of `undefined` are omitted. A string or
 * Buffer body gets a Content-Length unless `chunked` is set (then it is streamed in 64 KiB chunks
 * without one).
 * Returns {status, headers (lower-case names), text, json (parsed body or undefined)}.
 */
export function httpRequest(method, urlPath, { headers = {}, body, chunked = false } = {}) {
  const url = new URL(urlPath, BASE_URL);
  const outHeaders = {};
  for (const [k, v] of Object.entries(withClientIp(headers))) if (v !== undefined) outHeaders[k] = v;
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (payload && !chunked && !Object.keys(outHeaders).some((k) => k.toLowerCase() === 'content-length')) {
    outHeaders['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: outHeaders },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (payload && chunked) {
      for (let i = 0; i < payload.length; i += 65536) req.write(payload.subarray(i, i + 65536));
      req.end();
    } else {
      req.end(payload);
    }
  });
}

/**
 * POST a JSON-RPC message (or batch, or raw string) to /mcp with the headers a Streamable HTTP
 * client sends. Options: sessionId, protocolVersion, headers (extra/overrides; `undefined`
 * removes a default).
 */
export function postMcp(message, { sessionId, protocolVersion, headers = {} } = {}) {
  const base = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  if (sessionId !== undefined) base['Mcp-Session-Id'] = sessionId;
  if (protocolVersion !== undefined) base['MCP-Protocol-Version'] = protocolVersion;
  const body = typeof message === 'string' ? message : JSON.stringify(message);
  return httpRequest('POST', '/mcp', { headers: mergeHeaders(base, headers), body });
}

/** A JSON-RPC request object with a fresh id. */
export function rpcRequest(method, params, id = newId()) {
  const msg = { jsonrpc: '2.0', id, method };
  if (params !== undefined) msg.params = params;
  return msg;
}

export function rpcNotification(method, params) {
  const msg = { jsonrpc: '2.0', method };
  if (params !== undefined) msg.params = params;
  return msg;
}

/** Sends one request; returns the HTTP response plus the id used. */
export async function call(method, params, options = {}) {
  const request = rpcRequest(method, params);
  const res = await postMcp(request, options);
  return { ...res, id: request.id };
}

/**
 * The legacy handshake over raw HTTP: initialize (+ notifications/initialized).
 * Returns {sessionId, result, response}.
 */
export async function initialize({ protocolVersion = '2025-11-25', headers = {}, capabilities = {} } = {}) {
  const response = await postMcp(
    rpcRequest('initialize', { protocolVersion, capabilities, clientInfo: CLIENT_INFO }),
    { headers },
  );
  assert.equal(response.status, 200, `initialize failed: ${response.text}`);
  const sessionId = response.headers['mcp-session-id'];
  assert.ok(sessionId, 'initialize must issue an Mcp-Session-Id');
  const result = response.json.result;
  const ack = await postMcp(rpcNotification('notifications/initialized'), {
    sessionId,
    protocolVersion: result.protocolVersion,
    headers,
  });
  assert.equal(ack.status, 202, `notifications/initialized: ${ack.status} ${ack.text}`);
  return { sessionId, result, response };
}

/** The per-request `_meta` a 2026-07-28 request carries. */
export function modernMeta(overrides = {}) {
  return { [META_VERSION]: MODERN_VERSION, [META_CAPS]: {}, [META_CLIENT]: CLIENT_INFO, ...overrides };
}

/**
 * One 2026-07-28 request with everything the revision requires: MCP-Protocol-Version, Mcp-Method,
 * Mcp-Name (for tools/call, prompts/get, resources/read) and `_meta`. Pass `meta: null` to omit
 * `_meta`, `headers` to override or (with `undefined`) drop a header.
 */
export async function modernCall(method, params = {}, { meta = modernMeta(), headers = {}, id = newId() } = {}) {
  const p = { ...params };
  if (meta !== null) p._meta = meta;
  const base = { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': method };
  const name = method === 'resources/read' ? params.uri : ['tools/call', 'prompts/get'].includes(method) ? params.name : undefined;
  if (name !== undefined) base['Mcp-Name'] = name;
  const request = rpcRequest(method, p, id);
  const res = await postMcp(request, { headers: mergeHeaders(base, headers) });
  return { ...res, id: request.id };
}

/** `=?base64?…?=` header encoding (SEP-2243). */
export const base64Header = (value) => `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/** Merges header objects case-insensitively; a later `undefined` value deletes the header. */
export function mergeHeaders(...sets) {
  const out = new Map();
  for (const set of sets) {
    for (const [k, v] of Object.entries(set)) out.set(k.toLowerCase(), [k, v]);
  }
  const result = {};
  for (const [k, v] of out.values()) if (v !== undefined) result[k] = v;
  return result;
}

/** Asserts a JSON-RPC error response: HTTP status, error code and (when given) the echoed id. */
export function assertRpcError(res, { status, code, id }) {
  const where = `${res.status} ${res.text}`;
  if (status !== undefined) assert.equal(res.status, status, `HTTP status: ${where}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `content-type: ${where}`);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), `JSON body: ${where}`);
  assert.equal(res.json.jsonrpc, '2.0', where);
  assert.equal(res.json.result, undefined, `no result on an error: ${where}`);
  assert.equal(typeof res.json.error?.message, 'string', `error.message: ${where}`);
  if (code !== undefined) assert.equal(res.json.error.code, code, `error code: ${where}`);
  if (id !== undefined) assert.deepEqual(res.json.id, id, `error must echo the request id: ${where}`);
  return res.json.error;
}

/** Asserts a successful JSON-RPC response and returns its result. */
/** The MCP authorization challenge (RFC 9728, RFC 6750) that replaces a shared pool's 429. */
export function assertSignInChallenge(r) {
  assert.equal(r.status, 401);
  assert.equal(
    r.headers['www-authenticate'],
    `Bearer resource_metadata="${BASE_URL}/.well-known/oauth-protected-resource/mcp", scope="mcp"`,
  );
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 3600, `Retry-After ${r.headers['retry-after']}`);
  assert.match(r.headers.ratelimit, /;r=0;t=\d+$/);
  assert.equal(r.json.error.code, -32001);
  assert.match(r.json.error.message, /Sign in/);
}

export function assertRpcResult(res, id) {
  const where = `${res.status} ${res.text}`;
  assert.equal(res.status, 200, where);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, where);
  assert.equal(res.json?.jsonrpc, '2.0', where);
  assert.equal(res.json.error, undefined, where);
  if (id !== undefined) assert.deepEqual(res.json.id, id, where);
  assert.ok(res.json.result && typeof res.json.result === 'object', where);
  return res.json.result;
}

/**
 * A fetch that records every exchange (request method/headers/body, response status/headers/body)
 * for assertions on what real clients put on the wire.
 */
export function recordingFetch() {
  const exchanges = [];
  const fetchFn = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('cf-connecting-ip')) headers.set('CF-Connecting-IP', CLIENT_IP);
    init = { ...init, headers };
    const res = await fetch(input, init);
    const entry = {
      method: init.method ?? 'GET',
      requestHeaders: Object.fromEntries(new Headers(init.headers).entries()),
      requestBody: typeof init.body === 'string' ? safeJson(init.body) : undefined,
      status: res.status,
      responseHeaders: Object.fromEntries(res.headers.entries()),
      responseBody: undefined,
    };
    exchanges.push(entry);
    if (res.headers.get('content-type')?.startsWith('application/json')) {
      entry.responseBody = safeJson(await res.clone().text());
    }
    return res;
  };
  return { fetch: fetchFn, exchanges };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * An SDK v2 client connected over Streamable HTTP. `version` is a legacy revision (offered through
 * `supportedProtocolVersions`, so initialize asks for exactly it) or 2026-07-28 (pinned through
 * `versionNegotiation`). Returns {client, transport, exchanges}.
 */
export async function connectV2(version) {
  const rec = recordingFetch();
  const options =
    version === MODERN_VERSION
      ? { versionNegotiation: { mode: { pin: MODERN_VERSION } } }
      : { supportedProtocolVersions: [version] };
  const client = new Client(CLIENT_INFO, options);
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { fetch: rec.fetch });
  await client.connect(transport, { timeout: 20_000 });
  return { client, transport, exchanges: rec.exchanges };
}

/** The one exchange whose request body is the JSON-RPC `method` (the last one if repeated). */
export function exchangeFor(exchanges, method) {
  const found = exchanges.filter((e) => e.requestBody && !Array.isArray(e.requestBody) && e.requestBody.method === method);
  assert.ok(found.length > 0, `no ${method} exchange recorded`);
  return found.at(-1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function isHealthy() {
  try {
    const res = await httpRequest('GET', '/health/live');
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Restarts the worker on the same port with the same persisted state (scripts/worker.sh restart)
 * and waits until /health/live answers.
 */
export async function restartWorker({ timeoutMs = 90_000 } = {}) {
  await new Promise((resolve, reject) => {
    execFile(
      path.join(REPO_ROOT, 'scripts/worker.sh'),
      ['restart'],
      { cwd: REPO_ROOT, env: { ...process.env, PORT, STATE }, timeout: timeoutMs },
      (error, stdout, stderr) => (error ? reject(new Error(`worker.sh restart failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve()),
    );
  });
  const deadline = Date.now() + timeoutMs;
  while (!(await isHealthy())) {
    if (Date.now() > deadline) throw new Error('worker did not become healthy after restart');
    await sleep(200);
  }
}

/** The text of every text content block of a tool result, joined. */
export const textOf = (result) =>
  (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

/** A well-formed session id (owner.secret.tag, 32 hex each) that was never issued. */
export function forgedSessionId(owner) {
  const hex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
  return `${owner ?? hex()}.${hex()}.${hex()}`;
}

/** A local webhook receiver (the tests' alert sink): records each request's headers and body in `alerts`. */
export function alertSink(alerts) {
  return http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      alerts.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
}

/** The Durable Object name the server gives a client key (`mcp::session::owner_for`): public. */
export const ownerFor = (clientKey) => createHash('sha256').update(clientKey).digest('hex').slice(0, 32);

/** What the test build's probe says a client object holds (sessions, admissions, role). */
export async function objectState(owner) {
  const res = await fetch(`${BASE_URL}/__test/client-state?owner=${owner}`);
  assert.equal(res.status, 200);
  return res.json();
}

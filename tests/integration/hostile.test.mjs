// Hostile input (issue #7): a data-driven corpus of malformed, oversized, forged and abusive
// requests, each with its documented outcome (README.md, "Errors"), followed by proof that none
// of it was stored and that the server is still healthy.
//
// Every case also gets the generic checks: never a 5xx, nothing internal leaks (x-porygon-*
// headers, panics, Rust source paths), no session is minted, and an error is short — a client
// never gets its megabyte back. Cases run from ten client addresses (10.99.<group>.1), one per
// group, so no group nears the 100 requests/minute anonymous quota.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  BASE_URL,
  CODE,
  META_VERSION,
  MODERN_VERSION,
  REPO_ROOT,
  assertRpcError,
  assertRpcResult,
  base64Header,
  httpRequest,
  mergeHeaders,
  modernMeta,
  textOf,
} from './harness.mjs';

const KIB = 1024;
const MIB = 1024 * KIB;
const GROUPS = ['json', 'size', 'batch', 'headers', 'session', 'methods', 'fts', 'uri', 'modern', 'http'];
const ipOf = (group) => `10.99.${GROUPS.indexOf(group) + 1}.1`;
/**
 * Quota units sent to /mcp per client address — one per request, or one per message of a JSON
 * batch (each message counts, issue #11): admissions can never exceed these.
 */
const sent = new Map();
function unitsOf(payload) {
  try {
    const parsed = JSON.parse(Buffer.isBuffer(payload) ? payload.toString('utf8') : payload);
    return Array.isArray(parsed) && parsed.length > 0 ? parsed.length : 1;
  } catch {
    return 1;
  }
}
/** A word no earlier run used, so strategy answers are computed now, not served from a cache. */
const RUN = `zq${Date.now().toString(36)}`;
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const ALLOW = 'POST, DELETE, OPTIONS';
const LEAK = /panicked|RuntimeError|unreachable executed|wasm-function|\.rs:\d+|stack backtrace|src\/(edge|mcp|transport|tools)\//i;

/** A JSON-RPC request with a fixed id (cases assert it comes back). */
const rpc = (method, params, id) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
const tool = (name, args, id) => rpc('tools/call', { name, arguments: args }, id);
const nested = (n, open = '[', close = ']', inner = '') => open.repeat(n) + inner + close.repeat(n);
const randomHex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

/** One request from `group`'s address. */
function send(group, { method = 'POST', path = '/mcp', headers = {}, body, chunked = false } = {}) {
  const ip = ipOf(group);
  const base = method === 'POST' ? JSON_HEADERS : {};
  const payload = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  if (path === '/mcp') sent.set(ip, (sent.get(ip) ?? 0) + (payload === undefined ? 1 : unitsOf(payload)));
  return httpRequest(method, path, { headers: mergeHeaders(base, { 'CF-Connecting-IP': ip }, headers), body: payload, chunked });
}

const MAX_UPLOAD_ATTEMPTS = 6;

/**
 * An oversized POST streamed in 64 KiB chunks (with or without a Content-Length) that stops
 * writing as soon as the answer arrives: the server refuses mid-upload and closes, so a client
 * that kept writing would see EPIPE instead of the 413. A write error before any answer is
 * retried (up to MAX_UPLOAD_ATTEMPTS in all, after a short pause; on a loaded 2-core machine the
 * race can repeat): it is the local proxy's race, not a server failure. So is a 500 "Network
 * connection lost" from wrangler dev's own proxy (miniflare's entry worker), which sometimes
 * reports the cut upload that way while the Worker itself answered 413 (its log says so).
 */
async function sendOversized(group, size, { contentLength = false } = {}) {
  const ip = ipOf(group);
  const url = new URL('/mcp', BASE_URL);
  const headers = { ...JSON_HEADERS, 'CF-Connecting-IP': ip, ...(contentLength ? { 'Content-Length': String(size) } : {}) };
  const chunk = Buffer.alloc(64 * KIB, 0x20);
  for (let attempt = 1; ; attempt++) {
    sent.set(ip, (sent.get(ip) ?? 0) + 1);
    try {
      const res = await new Promise((resolve, reject) => {
        let answered = false;
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
          answered = true;
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json;
            try {
              json = JSON.parse(text);
            } catch {}
            req.destroy();
            resolve({ status: res.statusCode, headers: res.headers, text, json });
          });
          res.on('error', reject);
        });
        req.on('error', (e) => (answered ? undefined : reject(e)));
        req.setTimeout(20_000, () => req.destroy(new Error('oversized upload timed out')));
        (async () => {
          for (let written = 0; written < size && !answered && !req.destroyed; written += chunk.length) {
            const piece = chunk.subarray(0, Math.min(chunk.length, size - written));
            if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
          }
          if (!answered && !req.destroyed) req.end();
        })().catch(() => {});
      });
      const devProxyLostIt = res.status === 500 && /Network connection lost/.test(res.text) && res.json === undefined;
      if (!devProxyLostIt || attempt >= MAX_UPLOAD_ATTEMPTS) return res;
    } catch (e) {
      if (attempt >= MAX_UPLOAD_ATTEMPTS || !['EPIPE', 'ECONNRESET'].includes(e.code)) throw e;
    }
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
}

/** A 2026-07-28 request as the revision wants it (headers, `_meta`), with `overrides` applied. */
function modern(method, params, id, { meta = modernMeta(), headers = {} } = {}) {
  const p = { ...params };
  if (meta !== null) p._meta = meta;
  const name = method === 'resources/read' ? params.uri : ['tools/call', 'prompts/get'].includes(method) ? params.name : undefined;
  const base = { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': method, ...(name === undefined ? {} : { 'Mcp-Name': name }) };
  return { body: rpc(method, p, id), headers: mergeHeaders(base, headers) };
}

/** Raw bytes on a socket, for what node:http refuses to send (CR, NUL, folded headers). */
function rawExchange(group, extraHeaderLines, body = JSON.stringify(rpc('ping', undefined, 1))) {
  const url = new URL(BASE_URL);
  sent.set(ipOf(group), (sent.get(ipOf(group)) ?? 0) + 1);
  const head =
    `POST /mcp HTTP/1.1\r\nHost: ${url.host}\r\nCF-Connecting-IP: ${ipOf(group)}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extraHeaderLines}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(head + body));
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw exchange timed out')));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [statusLine, ...lines] = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: text.slice(text.indexOf('\r\n\r\n') + 4), json: undefined });
    });
  });
}

// Forged session ids whose owner is no object of ours: after the corpus, those objects must hold
// nothing at all (not even an empty schema).
const FORGED_OWNERS = [randomHex(), randomHex()];
const forgedId = (i) => `${FORGED_OWNERS[i]}.${randomHex()}.${randomHex()}`;

// A live session, opened from an address outside the hostile groups (set in `before`).
let live;

// ---------------------------------------------------------------------------------------------
// The corpus. `req` builds the request (a function, so it can use `live`); `expect` is the
// documented outcome:
//   status            HTTP status
//   code, id          a JSON-RPC error with this code, echoing this id (null: unreadable)
//   toolError         a 200 tool result with isError: true whose text matches
//   fts               a 200 query_strategy result: not an error, lexical search ran ("ok")
//   result            a 200 result (checked further by `check`)
//   empty             202/204 without a body
//   allow             the Allow header of a 405
//   maxBytes          bound on the body (default 4 KiB for errors)
//   check(res)        anything else
// ---------------------------------------------------------------------------------------------

const utf8 = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

const CASES = [
  // — invalid JSON and invalid UTF-8 ----------------------------------------------------------
  ['json', 'truncated JSON', () => ({ body: '{"jsonrpc":"2.0","id":1,' }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'not JSON at all', () => ({ body: 'GET / HTTP/1.1' }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'trailing garbage after the message', () => ({ body: '{"jsonrpc":"2.0","id":1,"method":"ping"}}' }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'invalid UTF-8 bytes in a string', () => ({ body: utf8('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"', [0xff, 0xfe, 0xc3], '"}}') }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'overlong UTF-8 encoding of "/"', () => ({ body: utf8('{"jsonrpc":"2.0","id":1,"method":"', [0xc0, 0xaf], '"}') }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'UTF-16 body', () => ({ body: Buffer.from(JSON.stringify(rpc('ping', undefined, 1)), 'utf16le') }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'UTF-8 byte-order mark', () => ({ body: utf8([0xef, 0xbb, 0xbf], JSON.stringify(rpc('ping', undefined, 1))) }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'raw NUL byte inside a string', () => ({ body: '{"jsonrpc":"2.0","id":1,"method":"pi\u0000ng"}' }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'lone surrogate escape', () => ({ body: '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\ud800\\u0041"}}' }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  ['json', 'number beyond f64 (1e400)', () => ({ body: '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1e400}}' }), { status: 400, code: CODE.PARSE_ERROR, id: null }],
  // — wrong JSON types --------------------------------------------------------------------------
  ['json', 'params as an array', () => ({ body: { jsonrpc: '2.0', id: 'json-1', method: 'tools/list', params: [1, 2] } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-1' }],
  ['json', 'params as a string', () => ({ body: { jsonrpc: '2.0', id: 'json-2', method: 'tools/list', params: 'all' } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-2' }],
  ['json', 'params as a number', () => ({ body: { jsonrpc: '2.0', id: 3, method: 'ping', params: 7 } }), { status: 400, code: CODE.INVALID_REQUEST, id: 3 }],
  ['json', 'id as an object', () => ({ body: { jsonrpc: '2.0', id: { a: 1 }, method: 'ping' } }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', 'id as a boolean', () => ({ body: { jsonrpc: '2.0', id: true, method: 'ping' } }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', 'id as a fraction', () => ({ body: { jsonrpc: '2.0', id: 1.5, method: 'ping' } }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', 'id beyond i64', () => ({ body: '{"jsonrpc":"2.0","id":9223372036854775808,"method":"ping"}' }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', 'method as a number', () => ({ body: { jsonrpc: '2.0', id: 'json-4', method: 42 } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-4' }],
  ['json', 'method as null', () => ({ body: { jsonrpc: '2.0', id: 'json-5', method: null } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-5' }],
  ['json', 'no "jsonrpc" member', () => ({ body: { id: 'json-6', method: 'ping' } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-6' }],
  ['json', 'body is null', () => ({ body: 'null' }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', 'body is a string', () => ({ body: '"ping"' }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', 'duplicate keys: the last one wins, as everywhere in the server', () => ({ body: '{"jsonrpc":"2.0","id":"first","id":"json-7","method":"ping"}' }), { status: 200, result: true, id: 'json-7' }],
  // — deep nesting ------------------------------------------------------------------------------
  ['json', '10,000 nested arrays', () => ({ body: nested(10_000) }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', '10,000 nested objects', () => ({ body: nested(10_000, '{"a":', '}', '1') }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['json', '100 levels inside params: refused under the readable id', () => ({ body: `{"jsonrpc":"2.0","id":"json-8","method":"ping","params":{"x":${nested(100)}}}` }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-8' }],
  ['json', '65 levels in tool arguments', () => ({ body: `{"jsonrpc":"2.0","id":"json-9","method":"tools/call","params":{"name":"get_pokemon","arguments":{"name":${nested(62)}}}}` }), { status: 400, code: CODE.INVALID_REQUEST, id: 'json-9' }],

  // — oversized bodies and strings ---------------------------------------------------------------
  ['size', '8 MiB body with Content-Length', () => ({ oversized: 8 * MIB, contentLength: true }), { status: 413, code: CODE.INVALID_REQUEST, id: null }],
  ['size', '8 MiB chunked body (no Content-Length)', () => ({ oversized: 8 * MIB }), { status: 413, code: CODE.INVALID_REQUEST, id: null }],
  ['size', '1 MiB + 1 byte, chunked', () => ({ oversized: MIB + 1 }), { status: 413, code: CODE.INVALID_REQUEST, id: null }],
  ['size', 'Content-Length of 2^64 on a small body', () => ({ body: '{}', headers: { 'Content-Length': '18446744073709551616' } }), { status: 400, platform: true }],
  ['size', '512 KiB query_strategy query', () => ({ body: tool('query_strategy', { query: 'kingambit '.repeat(52 * KIB) }, 'size-1') }), { status: 200, toolError: /"query" is too long/, id: 'size-1' }],
  ['size', '900 KiB team paste', () => ({ body: tool('analyze_team', { format: 'gen9ou', paste: 'Garchomp\n'.repeat(100 * KIB) }, 'size-2') }), { status: 200, toolError: /"paste" is too long/, id: 'size-2' }],
  ['size', '512 KiB argument name', () => ({ body: tool('get_pokemon', { ['k'.repeat(512 * KIB)]: 1 }, 'size-3') }), { status: 200, toolError: /unknown argument/, id: 'size-3' }],
  ['size', '50,000 unknown arguments', () => ({ body: tool('get_pokemon', Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`a${i}`, i])), 'size-4') }), { status: 200, toolError: /unknown argument/, id: 'size-4' }],
  ['size', '512 KiB logging level (serde would quote it all back)', () => ({ body: rpc('logging/setLevel', { level: 'Z'.repeat(512 * KIB) }, 'size-5') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'size-5' }],
  ['size', '512 KiB completion reference type', () => ({ body: rpc('completion/complete', { ref: { type: 'Z'.repeat(512 * KIB) }, argument: { name: 'name', value: 'g' } }, 'size-6') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'size-6' }],
  ['size', '512 KiB clientInfo in initialize (no session)', () => ({ body: rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: 'Z'.repeat(512 * KIB) }, 'size-7') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'size-7' }],
  ['size', '512 KiB prompt name', () => ({ body: rpc('prompts/get', { name: 'p'.repeat(512 * KIB) }, 'size-8') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'size-8' }],
  ['size', '512 KiB resource URI', () => ({ body: rpc('resources/read', { uri: `pokemon://dex/${'a'.repeat(512 * KIB)}` }, 'size-9') }), { status: 200, code: CODE.RESOURCE_NOT_FOUND, id: 'size-9' }],
  ['size', '512 KiB prompt argument', () => ({ body: rpc('prompts/get', { name: 'pokemon_overview', arguments: { name: 'x'.repeat(512 * KIB) } }, 'size-10') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'size-10' }],
  ['size', '100 KiB request id is echoed whole (JSON-RPC requires it)', () => ({ body: rpc('ping', undefined, 'i'.repeat(100 * KIB)) }), { status: 200, result: true, id: 'i'.repeat(100 * KIB), maxBytes: 101 * KIB }],

  // — batch abuse (no header: revision 2025-03-26, which has batches) ---------------------------
  ['batch', 'empty batch', () => ({ body: '[]' }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['batch', '1,000 messages', () => ({ body: Array.from({ length: 1000 }, (_, i) => rpc('ping', undefined, i)) }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['batch', '33 messages (one over the cap)', () => ({ body: Array.from({ length: 33 }, (_, i) => rpc('ping', undefined, i)) }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['batch', '32 messages with one id (the cap, served)', () => ({ body: Array.from({ length: 32 }, () => rpc('ping', undefined, 'same')) }), { status: 200, batch: 32, maxBytes: 8 * KIB }],
  ['batch', 'nested batch', () => ({ body: [[rpc('ping', undefined, 'batch-1')]] }), { status: 200, batch: 1, check: (res) => assert.equal(res.json[0].error.code, CODE.INVALID_REQUEST) }],
  ['batch', 'batch of non-messages', () => ({ body: [1, 'x', null] }), { status: 200, batch: 3, check: (res) => res.json.forEach((r) => assert.deepEqual([r.id, r.error.code], [null, CODE.INVALID_REQUEST])) }],
  ['batch', 'a too-deep entry refuses the whole batch', () => ({ body: `[{"jsonrpc":"2.0","id":1,"method":"ping"},${nested(100)}]` }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['batch', 'initialize inside a batch (no session)', () => ({ body: [rpc('initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'x', version: '1' } }, 'batch-2')] }), { status: 400, code: CODE.INVALID_REQUEST, id: 'batch-2' }],
  ['batch', 'batch under 2025-06-18', () => ({ body: [rpc('ping', undefined, 'batch-3'), rpc('ping', undefined, 'batch-4')], headers: { 'MCP-Protocol-Version': '2025-06-18' } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'batch-3' }],
  ['batch', 'batch under 2025-11-25', () => ({ body: [rpc('tools/list', undefined, 'batch-5')], headers: { 'MCP-Protocol-Version': '2025-11-25' } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'batch-5' }],
  ['batch', 'batch under 2026-07-28', () => ({ body: [modern('tools/list', {}, 'batch-6').body], headers: modern('tools/list', {}, 0).headers }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['batch', 'batch of client responses only', () => ({ body: [{ jsonrpc: '2.0', id: 1, result: {} }, { jsonrpc: '2.0', id: 2, error: { code: 1, message: 'x' } }] }), { status: 202, empty: true }],

  // — header injection, duplicates, absurd lengths ----------------------------------------------
  ['headers', 'bare CR inside a header value (raw socket)', () => ({ raw: 'X-Evil: a\rMcp-Session-Id: x\r\n' }), { status: 400, platform: true }],
  ['headers', 'obsolete line folding (raw socket)', () => ({ raw: 'X-Evil: a\r\n Mcp-Session-Id: x\r\n' }), { status: 400, platform: true }],
  ['headers', 'NUL inside a header value (raw socket)', () => ({ raw: 'X-Evil: a\u0000b\r\n' }), { status: 400, platform: true }],
  ['headers', 'CR/LF inside a tool name never reaches a header', () => ({ body: tool('get_pokemon\r\nX-Injected: 1', {}, 'hdr-1') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'hdr-1' }],
  ['headers', 'conflicting MCP-Protocol-Version headers', () => ({ body: rpc('ping', undefined, 'hdr-2'), headers: { 'MCP-Protocol-Version': ['2025-06-18', '2025-11-25'] } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'hdr-2' }],
  ['headers', 'a repeated identical MCP-Protocol-Version is one value', () => ({ body: rpc('ping', undefined, 'hdr-3'), headers: { 'MCP-Protocol-Version': ['2025-06-18', '2025-06-18'] } }), { status: 200, result: true, id: 'hdr-3' }],
  ['headers', 'conflicting Mcp-Session-Id headers', () => ({ body: rpc('ping', undefined, 'hdr-4'), headers: { 'Mcp-Session-Id': [live, forgedId(0)] } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'hdr-4' }],
  ['headers', 'conflicting Mcp-Method headers (2026-07-28)', () => modern('tools/list', {}, 'hdr-5', { headers: { 'Mcp-Method': ['tools/list', 'prompts/list'] } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'hdr-5' }],
  ['headers', '16 KiB Mcp-Session-Id', () => ({ body: rpc('ping', undefined, 'hdr-6'), headers: { 'Mcp-Session-Id': 'a'.repeat(16 * KIB) } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'hdr-6' }],
  ['headers', '16 KiB MCP-Protocol-Version (echoed clipped)', () => ({ body: rpc('ping', undefined, 'hdr-7'), headers: { 'MCP-Protocol-Version': '9'.repeat(16 * KIB) } }), { status: 400, code: CODE.UNSUPPORTED_PROTOCOL_VERSION, id: 'hdr-7', check: (res) => assert.ok(res.json.error.data.requested.length <= 40) }],
  ['headers', '64 KiB unrelated header is ignored', () => ({ body: rpc('ping', undefined, 'hdr-8'), headers: { 'X-Padding': 'p'.repeat(64 * KIB) } }), { status: 200, result: true, id: 'hdr-8' }],
  ['headers', 'forged internal headers change nothing', () => ({ body: rpc('ping', undefined, 'hdr-9'), headers: { 'X-Porygon-Limit': '1000000/60', 'X-Porygon-Owner': FORGED_OWNERS[1] } }), { status: 200, result: true, id: 'hdr-9', check: (res) => assert.match(res.headers['ratelimit-policy'], /"minute";q=100;w=60/) }],
  ['headers', 'Authorization that is not a key', () => ({ body: rpc('ping', undefined, 'hdr-10'), headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), { status: 401, code: CODE.INVALID_REQUEST, id: null, check: (res) => assert.match(res.headers['www-authenticate'], /invalid_token/) }],
  ['headers', '16 KiB bearer token', () => ({ body: rpc('ping', undefined, 'hdr-11'), headers: { Authorization: `Bearer pgn_${'x'.repeat(16 * KIB)}` } }), { status: 401, code: CODE.INVALID_REQUEST, id: null }],

  // — forged and malformed session ids ------------------------------------------------------------
  ['session', 'not the id format', () => ({ body: rpc('ping', undefined, 'ses-1'), headers: { 'Mcp-Session-Id': 'not-a-session' } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-1' }],
  ['session', 'path traversal as an id', () => ({ body: rpc('ping', undefined, 'ses-2'), headers: { 'Mcp-Session-Id': '../../etc/passwd' } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-2' }],
  ['session', 'a live id in upper case', () => ({ body: rpc('ping', undefined, 'ses-3'), headers: { 'Mcp-Session-Id': live.toUpperCase() } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-3' }],
  ['session', 'a live id with a trailing character', () => ({ body: rpc('ping', undefined, 'ses-4'), headers: { 'Mcp-Session-Id': `${live}0` } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-4' }],
  ['session', 'non-ASCII id (Latin-1 bytes)', () => ({ body: rpc('ping', undefined, 'ses-5'), headers: { 'Mcp-Session-Id': `${'é'.repeat(32)}.${'ü'.repeat(32)}` } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-5' }],
  ['session', "a well-formed id of another owner (object that does not exist)", () => ({ body: rpc('tools/list', undefined, 'ses-6'), headers: { 'Mcp-Session-Id': forgedId(0) } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-6' }],
  ['session', "the live session's owner with a guessed secret", () => ({ body: rpc('ping', undefined, 'ses-7'), headers: { 'Mcp-Session-Id': `${live.split('.')[0]}.${randomHex()}.${live.split('.')[2]}` } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-7' }],
  ['session', 'an ended (DELETEd) session', () => ({ body: rpc('ping', undefined, 'ses-8'), headers: { 'Mcp-Session-Id': ended } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: 'ses-8' }],
  ['session', "the live session under another revision's header", () => ({ body: rpc('ping', undefined, 'ses-9'), headers: { 'Mcp-Session-Id': live, 'MCP-Protocol-Version': '2025-06-18' } }), { status: 400, code: CODE.INVALID_REQUEST, id: 'ses-9' }],
  ['session', 'initialize with bad params under a forged id (no session)', () => ({ body: rpc('initialize', { protocolVersion: 5 }, 'ses-10'), headers: { 'Mcp-Session-Id': forgedId(1) } }), { status: 200, code: CODE.INVALID_PARAMS, id: 'ses-10' }],
  ['session', 'DELETE of a forged id', () => ({ method: 'DELETE', headers: { 'Mcp-Session-Id': forgedId(1) } }), { status: 404, code: CODE.SESSION_NOT_FOUND, id: null }],
  ['session', 'DELETE without an id', () => ({ method: 'DELETE' }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],
  ['session', 'DELETE with conflicting ids', () => ({ method: 'DELETE', headers: { 'Mcp-Session-Id': [live, forgedId(0)] } }), { status: 400, code: CODE.INVALID_REQUEST, id: null }],

  // — unknown methods and tools, limits, cursors ------------------------------------------------
  ['methods', 'unknown method', () => ({ body: rpc('admin/shutdown', {}, 'm-1') }), { status: 200, code: CODE.METHOD_NOT_FOUND, id: 'm-1' }],
  ['methods', 'empty method name', () => ({ body: rpc('', {}, 'm-2') }), { status: 200, code: CODE.METHOD_NOT_FOUND, id: 'm-2' }],
  ['methods', '__proto__ as a method', () => ({ body: rpc('__proto__', {}, 'm-3') }), { status: 200, code: CODE.METHOD_NOT_FOUND, id: 'm-3' }],
  ['methods', 'unknown tool with a path as its name', () => ({ body: tool('../../bin/sh', {}, 'm-4') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-4' }],
  ['methods', 'empty tool name', () => ({ body: tool('', {}, 'm-5') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-5' }],
  ['methods', 'tool arguments as an array', () => ({ body: rpc('tools/call', { name: 'get_pokemon', arguments: ['Garchomp'] }, 'm-6') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-6' }],
  ['methods', 'get_usage_stats limit 10^12', () => ({ body: tool('get_usage_stats', { format: 'gen9ou', limit: 1e12 }, 'm-7') }), { status: 200, toolError: /"limit" must be between 1 and 100/, id: 'm-7' }],
  ['methods', 'get_usage_stats limit -1', () => ({ body: tool('get_usage_stats', { format: 'gen9ou', limit: -1 }, 'm-8') }), { status: 200, toolError: /"limit" must be between/, id: 'm-8' }],
  ['methods', 'get_usage_stats limit 1e308', () => ({ body: tool('get_usage_stats', { format: 'gen9ou', limit: 1e308 }, 'm-9') }), { status: 200, toolError: /"limit" must be an integer/, id: 'm-9' }],
  ['methods', 'query_strategy limit 99,999,999', () => ({ body: tool('query_strategy', { query: 'kingambit', limit: 99_999_999 }, 'm-10') }), { status: 200, toolError: /"limit" must be between 1 and 20/, id: 'm-10' }],
  ['methods', 'get_usage_stats forged cursor', () => ({ body: tool('get_usage_stats', { format: 'gen9ou', cursor: '99999999' }, 'm-11') }), { status: 200, toolError: /cursor/, id: 'm-11' }],
  ['methods', 'get_usage_stats path as cursor', () => ({ body: tool('get_usage_stats', { format: 'gen9ou', cursor: '../../x' }, 'm-12') }), { status: 200, toolError: /cursor/, id: 'm-12' }],
  ['methods', 'tools/list with a 100 KiB cursor', () => ({ body: rpc('tools/list', { cursor: 'c'.repeat(100 * KIB) }, 'm-13') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-13' }],
  ['methods', 'resources/list cursor "o:-1"', () => ({ body: rpc('resources/list', { cursor: 'o:-1' }, 'm-14') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-14' }],
  ['methods', 'prompts/list cursor as a number', () => ({ body: rpc('prompts/list', { cursor: 50 }, 'm-15') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-15' }],
  ['methods', 'resources/templates/list cursor with NUL', () => ({ body: rpc('resources/templates/list', { cursor: 'o:\u00000' }, 'm-16') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'm-16' }],
  ['methods', 'tools/list with a huge "limit" (not a parameter: ignored)', () => ({ body: rpc('tools/list', { limit: 1e9 }, 'm-17') }), { status: 200, result: true, id: 'm-17', maxBytes: 64 * KIB, check: (res) => assert.ok(res.json.result.tools.length >= 5) }],

  // — FTS5 syntax in query_strategy is plain text ---------------------------------------------------
  ...[
    '"',
    '"unterminated phrase',
    'kingambit NEAR(',
    'NEAR(kingambit sucker, 2)',
    '-kingambit -"great tusk"',
    'king* *',
    '* OR *',
    'kingambit OR',
    'AND OR NOT',
    'title: kingambit',
    '{title body}: sucker punch',
    'body:x rank:bm25',
    '((kingambit',
    'kingambit))',
    '^kingambit + sucker',
    'kingambit\u0000sucker',
    '\u0000',
    `kingambit" OR "1"="1`,
    "'; DROP TABLE documents; --",
    '"'.repeat(400) + '('.repeat(400),
  ].map((query, i) => ['fts', `query ${JSON.stringify(query).slice(0, 40)}`, () => ({ body: tool('query_strategy', { query: `${query} ${RUN}`, format: 'gen9ou' }, `fts-${i}`) }), { status: 200, fts: true, id: `fts-${i}` }]),
  ['fts', 'FTS syntax as a section filter', () => ({ body: tool('query_strategy', { query: 'kingambit', section: 'title: NEAR(' }, 'fts-s') }), { status: 200, toolError: /"section" must be one of/, id: 'fts-s' }],
  ['fts', 'FTS syntax as the Pokémon filter', () => ({ body: tool('query_strategy', { query: 'kingambit', pokemon: 'Kingambit" OR "' }, 'fts-p') }), { status: 200, toolError: /unknown Pokémon/, id: 'fts-p' }],

  // — path tricks in resource URIs (legacy revisions: -32002) -----------------------------------
  ...[
    'pokemon://dex/../../etc/passwd',
    'pokemon://dex/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'pokemon://dex/%252e%252e%252f',
    'pokemon://dex/garchomp/../../../x',
    'pokemon://dex/..\\..\\windows\\win.ini',
    'pokemon://sets/../gen9ou/garchomp',
    'pokemon://sets/gen9ou/..%2F..',
    'pokemon://usage/gen9ou%00',
    'pokemon://typechart/1/../2',
    'pokemon://typechart/99999999999999999999',
    'file:///etc/passwd',
    'http://169.254.169.254/latest/meta-data/',
    'javascript:alert(1)',
    'POKEMON://DEX/garchomp',
    'pokemon://dex/garchomp?x=1#frag',
  ].map((uri, i) => ['uri', `resources/read ${uri}`, () => ({ body: rpc('resources/read', { uri }, `uri-${i}`), headers: { 'MCP-Protocol-Version': '2025-11-25' } }), { status: 200, code: CODE.RESOURCE_NOT_FOUND, id: `uri-${i}`, check: (res) => assert.equal(res.json.error.data?.uri, uri) }]),
  ['uri', 'a URI that is not a string', () => ({ body: rpc('resources/read', { uri: ['pokemon://dex/garchomp'] }, 'uri-t') }), { status: 200, code: CODE.INVALID_PARAMS, id: 'uri-t' }],
  ['uri', 'traversal under 2026-07-28 is invalid params (SEP-2164)', () => modern('resources/read', { uri: 'pokemon://dex/../../etc/passwd' }, 'uri-m'), { status: 200, code: CODE.INVALID_PARAMS, id: 'uri-m' }],

  // — 2026-07-28: routing headers must match the body ---------------------------------------------
  ['modern', 'Mcp-Method names another method', () => modern('tools/list', {}, 'mod-1', { headers: { 'Mcp-Method': 'prompts/list' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-1' }],
  ['modern', 'Mcp-Method in another case', () => modern('tools/list', {}, 'mod-2', { headers: { 'Mcp-Method': 'TOOLS/LIST' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-2' }],
  ['modern', 'Mcp-Method missing', () => modern('tools/list', {}, 'mod-3', { headers: { 'Mcp-Method': undefined } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-3' }],
  ['modern', 'Mcp-Name names another tool', () => modern('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, 'mod-4', { headers: { 'Mcp-Name': 'query_strategy' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-4' }],
  ['modern', 'Mcp-Name missing on tools/call', () => modern('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, 'mod-5', { headers: { 'Mcp-Name': undefined } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-5' }],
  ['modern', 'Base64 Mcp-Name hiding CR/LF', () => modern('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, 'mod-6', { headers: { 'Mcp-Name': base64Header('get_pokemon\r\nX-Injected: 1') } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-6' }],
  ['modern', 'Mcp-Name that is not Base64', () => modern('prompts/get', { name: 'pokemon_overview', arguments: { name: 'garchomp' } }, 'mod-7', { headers: { 'Mcp-Name': '=?base64?!!!?=' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-7' }],
  ['modern', 'Base64 Mcp-Name of invalid UTF-8', () => modern('tools/call', { name: 'get_pokemon', arguments: {} }, 'mod-8', { headers: { 'Mcp-Name': '=?base64?//79?=' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-8' }],
  ['modern', 'Mcp-Name with Latin-1 bytes', () => modern('tools/call', { name: 'get_pokemon', arguments: {} }, 'mod-9', { headers: { 'Mcp-Name': 'gét_pokemon' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-9' }],
  ['modern', 'Mcp-Name traversal while the body reads a real URI', () => modern('resources/read', { uri: 'pokemon://dex/garchomp' }, 'mod-10', { headers: { 'Mcp-Name': 'pokemon://dex/../../etc/passwd' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-10' }],
  ['modern', 'tool name not a string, Mcp-Name its text', () => modern('tools/call', { name: 5, arguments: {} }, 'mod-11', { headers: { 'Mcp-Name': '5' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-11' }],
  ['modern', '_meta as a string', () => modern('tools/list', {}, 'mod-12', { meta: 'x' }), { status: 400, code: CODE.INVALID_PARAMS, id: 'mod-12' }],
  ['modern', '_meta revision differs from the header', () => modern('tools/list', {}, 'mod-13', { meta: modernMeta({ [META_VERSION]: '2025-11-25' }) }), { status: 400, code: CODE.HEADER_MISMATCH, id: 'mod-13' }],
  ['modern', 'notification under a mismatched Mcp-Method', () => ({ body: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { _meta: modernMeta() } }, headers: { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': 'tools/call' } }), { status: 400, code: CODE.HEADER_MISMATCH, id: null }],
  ['modern', 'initialize (not a 2026-07-28 method)', () => modern('initialize', { protocolVersion: MODERN_VERSION, capabilities: {}, clientInfo: { name: 'x', version: '1' } }, 'mod-14'), { status: 404, code: CODE.METHOD_NOT_FOUND, id: 'mod-14' }],

  // — content negotiation, Origin, HTTP methods, paths -------------------------------------------
  ...['text/plain', 'application/jsonx', 'application/json-patch+json', 'multipart/form-data; boundary=x', 'application/json, text/plain'].map((ct) => [
    'http',
    `Content-Type: ${ct}`,
    () => ({ body: rpc('ping', undefined, 1), headers: { 'Content-Type': ct } }),
    { status: 415, code: CODE.INVALID_REQUEST, id: null },
  ]),
  ...['text/html', 'image/png', 'text/*'].map((accept) => [
    'http',
    `Accept: ${accept}`,
    () => ({ body: rpc('ping', undefined, 1), headers: { Accept: accept } }),
    { status: 406, code: CODE.INVALID_REQUEST, id: null },
  ]),
  ...['https://evil.example', 'null', 'http://claude.ai', 'https://claude.ai:443', 'https://claude.ai.evil.example', 'https://claude.ai/'].map((origin) => [
    'http',
    `Origin: ${origin}`,
    () => ({ body: rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }, 1), headers: { Origin: origin } }),
    { status: 403, code: CODE.INVALID_REQUEST, id: null, check: (res) => assert.equal(res.headers['access-control-allow-origin'], undefined) },
  ]),
  ['http', 'preflight from a bad Origin', () => ({ method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } }), { status: 403, code: CODE.INVALID_REQUEST, id: null }],
  ...['PUT', 'PATCH', 'PROPFIND', 'MKCOL', 'PURGE'].map((method) => [
    'http',
    `${method} with a body`,
    () => ({ method, body: rpc('ping', undefined, 1), headers: JSON_HEADERS }),
    { status: 405, code: CODE.INVALID_REQUEST, id: null, allow: ALLOW },
  ]),
  ['http', 'GET with a JSON-RPC body', () => ({ method: 'GET', body: rpc('ping', undefined, 1), headers: JSON_HEADERS }), { status: 405, code: CODE.INVALID_REQUEST, id: null, allow: ALLOW }],
  ['http', 'TRACE', () => ({ method: 'TRACE' }), { status: 405, code: CODE.INVALID_REQUEST, id: null, allow: ALLOW }],
  ['http', 'HEAD', () => ({ method: 'HEAD' }), { status: 405, empty: true, allow: ALLOW }],
  ...['/mcp/', '/MCP', '/mcp%00', '/mcp/..%2fadmin/ingest'].map((path) => [
    'http',
    `POST ${path}`,
    () => ({ path, body: rpc('ping', undefined, 1) }),
    { status: 404, check: (res) => assert.equal(res.json?.error, 'not_found') },
  ]),
];

let ended;

/** The generic checks, then the case's documented outcome. */
function assertOutcome(res, expect, label) {
  const where = `${label}: ${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, expect.status, `HTTP status — ${where}`);
  assert.ok(res.status < 500, where);
  for (const name of Object.keys(res.headers)) {
    assert.ok(!name.startsWith('x-porygon-'), `internal header ${name} leaked — ${where}`);
    assert.ok(!name.startsWith('x-injected'), `injected header — ${where}`);
  }
  assert.equal(res.headers['mcp-session-id'], undefined, `a session id was minted — ${where}`);
  assert.doesNotMatch(res.text, LEAK, `internals leaked — ${where}`);
  if (expect.platform) return; // refused by the HTTP layer before the Worker: not our body
  if (expect.allow) assert.equal(res.headers.allow, expect.allow, where);
  if (expect.empty) {
    assert.equal(res.text, '', where);
    return;
  }
  const isError = expect.code !== undefined || expect.toolError !== undefined;
  const maxBytes = expect.maxBytes ?? (isError ? 4 * KIB : 256 * KIB);
  assert.ok(Buffer.byteLength(res.text) <= maxBytes, `${Buffer.byteLength(res.text)} bytes > ${maxBytes} — ${label}`);
  if (expect.code !== undefined) {
    assertRpcError(res, { status: expect.status, code: expect.code, id: expect.id });
  } else if (expect.toolError) {
    const result = assertRpcResult(res, expect.id);
    assert.equal(result.isError, true, where);
    assert.match(textOf(result), expect.toolError, where);
  } else if (expect.fts) {
    const result = assertRpcResult(res, expect.id);
    assert.equal(result.isError, false, where);
    assert.equal(result.structuredContent.retrieval.lexical, 'ok', `lexical search must run — ${where}`);
    assert.equal(result.structuredContent.degraded, false, where);
  } else if (expect.result) {
    assertRpcResult(res, expect.id);
  } else if (expect.batch !== undefined) {
    assert.ok(Array.isArray(res.json), where);
    assert.equal(res.json.length, expect.batch, where);
  }
  expect.check?.(res);
}

async function probe(query = '', ip) {
  const res = await httpRequest('GET', `/__test/client-state${query}`, { headers: ip ? { 'CF-Connecting-IP': ip } : {} });
  assert.equal(res.status, 200, `client-state probe: ${res.text}`);
  return res.json;
}

async function health() {
  const res = await httpRequest('GET', '/health');
  const byName = Object.fromEntries((res.json?.checks ?? []).map((c) => [c.name, c]));
  return { res, byName };
}

describe('hostile input', () => {
  let startedAt;
  let before_;

  before(async () => {
    startedAt = performance.now();
    // The gen9ou corpus (idempotent: a no-op when an earlier file loaded it), so FTS runs for real.
    const args = ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'];
    await promisify(execFile)(process.execPath, args, { cwd: REPO_ROOT, timeout: 120_000 });
    const h = await health();
    before_ = { index: h.byName.index?.detail, kv: h.byName.kv?.detail, clients: {} };
    for (const group of GROUPS) before_.clients[group] = await probe('', ipOf(group));
    // Sessions for the session cases, from an address outside the hostile groups.
    const setup = { 'CF-Connecting-IP': '10.99.0.1' };
    before_.setupSessions = (await probe('', '10.99.0.1')).sessions;
    const open = async () => {
      const body = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'setup', version: '1' } }, 0);
      const res = await httpRequest('POST', '/mcp', { headers: { ...JSON_HEADERS, ...setup }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, res.text);
      return res.headers['mcp-session-id'];
    };
    live = await open();
    ended = await open();
    const del = await httpRequest('DELETE', '/mcp', { headers: { ...setup, 'Mcp-Session-Id': ended } });
    assert.equal(del.status, 204, del.text);
  });

  after(() => {
    console.log(`# hostile.test.mjs: ${CASES.length} cases, ${[...sent.values()].reduce((a, b) => a + b, 0)} hostile requests, ${Math.round(performance.now() - startedAt)} ms`);
  });

  test(`the corpus holds at least 60 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 60);
    const names = CASES.map(([group, name]) => `${group}/${name}`);
    assert.equal(new Set(names).size, names.length, 'case names are unique');
    for (const group of GROUPS) {
      const n = CASES.filter(([g]) => g === group).length;
      assert.ok(n > 0 && n <= 60, `${group}: ${n} cases (each group stays well under 100 requests/minute)`);
    }
  });

  for (const group of GROUPS) {
    describe(group, () => {
      for (const [g, name, build, expect] of CASES.filter(([g]) => g === group)) {
        test(name, async () => {
          const req = build();
          const res =
            req.raw !== undefined
              ? await rawExchange(g, req.raw)
              : req.oversized !== undefined
                ? await sendOversized(g, req.oversized, req)
                : await send(g, req);
          assertOutcome(res, expect, `${g}/${name}`);
        });
      }
    });
  }

  describe('nothing is stored', () => {
    test('no hostile client object holds a session, and admissions ≤ requests sent', async () => {
      for (const group of GROUPS) {
        const ip = ipOf(group);
        const state = await probe('', ip);
        assert.equal(state.sessions, 0, `${group} (${ip}): ${JSON.stringify(state)}`);
        const admitted = state.admissions - before_.clients[group].admissions;
        assert.ok(admitted >= 0 && admitted <= (sent.get(ip) ?? 0), `${group}: ${admitted} admissions for ${sent.get(ip)} requests`);
      }
    });

    test('objects named by forged session ids were not even given a schema', async () => {
      for (const owner of FORGED_OWNERS) {
        assert.deepEqual(await probe(`?owner=${owner}`), { owner, tables: 0, sessions: 0, largestSessionBytes: 0, admissions: 0, role: null });
      }
    });

    test("an initialize naming another client's object opens its session in the caller's own", async () => {
      const ip = '10.99.0.4';
      const victimOwner = live.split('.')[0];
      const body = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'squatter', version: '1' } }, 1);
      const res = await httpRequest('POST', '/mcp', {
        headers: { ...JSON_HEADERS, 'CF-Connecting-IP': ip, 'Mcp-Session-Id': `${victimOwner}.${randomHex()}` },
        body: JSON.stringify(body),
      });
      assertRpcResult(res, 1);
      const own = await probe('', ip);
      assert.equal(res.headers['mcp-session-id'].split('.')[0], own.owner, 'the new session lives with its caller');
      assert.notEqual(own.owner, victimOwner);
      assert.ok(own.sessions >= 1, JSON.stringify(own));
    });

    test('the live session survived the abuse, the ended one stayed ended', async () => {
      const ping = async (id) => (await httpRequest('POST', '/mcp', { headers: { ...JSON_HEADERS, 'CF-Connecting-IP': '10.99.0.1', 'Mcp-Session-Id': id }, body: JSON.stringify(rpc('ping', undefined, 1)) })).status;
      assert.equal(await ping(live), 200);
      assert.equal(await ping(ended), 404);
      const setup = await probe('', '10.99.0.1');
      assert.equal(setup.sessions, before_.setupSessions + 1, `only the live session was added: ${JSON.stringify(setup)}`);
    });

    test('an initialize declaring 600 KiB of capabilities keeps a small session', async () => {
      const ip = '10.99.0.2';
      const junk = 'j'.repeat(600 * KIB);
      const body = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: { experimental: { junk: { a: junk } } }, clientInfo: { name: 'big', version: '1' } }, 1);
      const res = await httpRequest('POST', '/mcp', { headers: { ...JSON_HEADERS, 'CF-Connecting-IP': ip }, body: JSON.stringify(body) });
      assertRpcResult(res, 1);
      assert.ok(res.headers['mcp-session-id']);
      const state = await probe('', ip);
      assert.ok(state.sessions >= 1, JSON.stringify(state));
      assert.ok(state.largestSessionBytes <= 8 * KIB, `largest session: ${state.largestSessionBytes} bytes`);
    });

    test("no document was written: /health's corpus is unchanged", async () => {
      const h = await health();
      assert.equal(h.byName.index?.detail, before_.index, 'index document count');
      assert.equal(h.byName.kv?.detail, before_.kv, 'dataset version');
    });
  });

  describe('the server is still healthy', () => {
    test('/health/live 200, /health not 503', async () => {
      assert.equal((await httpRequest('GET', '/health/live')).status, 200);
      const { res } = await health();
      assert.notEqual(res.status, 503, res.text);
      assert.equal(res.status, 200, res.text);
    });

    test('a normal initialize and tools/call work', async () => {
      const headers = { ...JSON_HEADERS, 'CF-Connecting-IP': '10.99.0.3' };
      const init = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'after', version: '1' } }, 1);
      const res = await httpRequest('POST', '/mcp', { headers, body: JSON.stringify(init) });
      assertRpcResult(res, 1);
      const sessionId = res.headers['mcp-session-id'];
      const session = { ...headers, 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': '2025-11-25' };
      const ack = await httpRequest('POST', '/mcp', { headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
      assert.equal(ack.status, 202);
      const call = await httpRequest('POST', '/mcp', { headers: session, body: JSON.stringify(tool('get_pokemon', { name: 'Garchomp' }, 2)) });
      const result = assertRpcResult(call, 2);
      assert.equal(result.isError, false);
      assert.equal(result.structuredContent.name, 'Garchomp');
      const strategy = await httpRequest('POST', '/mcp', { headers: session, body: JSON.stringify(tool('query_strategy', { query: `kingambit sucker punch ${RUN}`, format: 'gen9ou' }, 3)) });
      const answer = assertRpcResult(strategy, 3);
      assert.equal(answer.isError, false);
      assert.ok(answer.structuredContent.results.length > 0, 'the corpus still answers');
    });
  });
});

// Error tracking, per-request logs and the error-rate alert, end to end: the test worker's
// SENTRY_DSN points at a local sink (127.0.0.1:8803) that receives and parses the real
// envelopes; ALERT_WEBHOOK at another (127.0.0.1:8802). Failures are produced with the
// local-only fault switch (`X-Porygon-Fault`, compiled into the test build only).

import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { call, initialize, isHealthy, MCP_URL, PORT, postMcp, REPO_ROOT, rpcRequest } from './harness.mjs';

const SENTRY_PORT = 8803;
const SENTRY_KEY = 'porygon-test-key';
const ALERT_PORT = 8802;
const ALERT_SECRET = 'integration-webhook-secret';
const LOG_FILE = path.join(REPO_ROOT, `.wrangler/run/worker-${PORT}.log`);
// This file's own addresses: they must never show up in a report or a log line.
const IP = '10.77.0.1';
const OTHER_IP = '10.77.0.2';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A local HTTP sink that records every request (path, headers, raw body). */
function sink(port) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  return {
    received,
    start: () => new Promise((r) => server.listen(port, '127.0.0.1', r)),
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** Parses a Sentry envelope: a JSON header line, then (item header, payload) line pairs. */
function parseEnvelope(body) {
  const lines = body.toString('utf8').split('\n').filter((l) => l.length > 0);
  const header = JSON.parse(lines[0]);
  const items = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    items.push({ header: JSON.parse(lines[i]), payload: JSON.parse(lines[i + 1]) });
  }
  return { header, items };
}

async function waitFor(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = predicate();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const sentry = sink(SENTRY_PORT);
const alerts = sink(ALERT_PORT);

/** Events received so far, parsed, with the raw text kept for PII checks. */
const events = () =>
  sentry.received.map((r) => ({ ...parseEnvelope(r.body), raw: r.body.toString('utf8'), request: r }));

function logLines() {
  return readFileSync(LOG_FILE, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return null;
      }
    })
    .filter(Boolean);
}

const requestLog = (requestId) => logLines().find((l) => l.fields?.message === 'request' && l.fields.request_id === requestId);

describe('observability', () => {
  before(async () => {
    await sentry.start();
    await alerts.start();
  });
  after(async () => {
    await sentry.stop();
    await alerts.stop();
  });

  test('every /mcp answer carries a request id, logged with its outcome as one JSON line', async () => {
    const { sessionId, result } = await initialize({ headers: { 'CF-Connecting-IP': IP } });
    const opts = { sessionId, protocolVersion: result.protocolVersion, headers: { 'CF-Connecting-IP': IP } };
    // A question no one asked before: the first call computes ("miss"), the second hits.
    const args = { query: `kingambit checks and counters ${Date.now().toString(36)}`, format: 'gen9ou' };
    const first = await call('tools/call', { name: 'query_strategy', arguments: args }, opts);
    const second = await call('tools/call', { name: 'query_strategy', arguments: args }, opts);
    for (const res of [first, second]) {
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers['x-request-id'], /^[0-9a-f]{16}$/);
      assert.ok(!Object.keys(res.headers).some((h) => h.startsWith('x-porygon-')), 'internal headers are stripped');
    }
    assert.notEqual(first.headers['x-request-id'], second.headers['x-request-id']);

    const [a, b] = await waitFor(() => {
      const lines = [requestLog(first.headers['x-request-id']), requestLog(second.headers['x-request-id'])];
      return lines.every(Boolean) && lines;
    }, 'the request log lines');
    for (const line of [a, b]) {
      assert.equal(line.level, 'INFO');
      assert.equal(line.fields.rpc_method, 'tools/call');
      assert.equal(line.fields.tool, 'query_strategy');
      assert.equal(line.fields.status, 200);
      assert.equal(line.fields.limiter, 'admitted');
      assert.equal(line.fields.protocol, result.protocolVersion);
      assert.equal(line.fields.degraded, '');
      assert.equal(typeof line.fields.latency_ms, 'number');
      assert.ok(line.fields.handler_ms >= 0 && line.fields.handler_ms <= line.fields.latency_ms, JSON.stringify(line.fields));
      assert.match(line.fields.client, /^[0-9a-f]{16}$/, 'a keyed pseudonym, not the address');
    }
    assert.equal(a.fields.client, b.fields.client, 'one client, one pseudonym');
    assert.equal(a.fields.cache, 'miss');
    assert.equal(b.fields.cache, 'hit');
    const text = JSON.stringify([a, b]);
    assert.ok(!text.includes(IP), 'no raw address in logs');
  });

  test('a degraded answer is logged as a warning naming the degradation', async () => {
    const res = await call(
      'tools/call',
      { name: 'query_strategy', arguments: { query: `great tusk sets ${Date.now().toString(36)}`, format: 'gen9ou' } },
      { protocolVersion: '2025-06-18', headers: { 'CF-Connecting-IP': IP, 'X-Porygon-Fault': 'semantic-error' } },
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.structuredContent.degraded, true);
    const line = await waitFor(() => requestLog(res.headers['x-request-id']), 'the log line');
    assert.equal(line.level, 'WARN');
    assert.equal(line.fields.degraded, 'semantic-failed');
    assert.equal(line.fields.cache, 'miss');
  });

  test('a 5xx is reported to Sentry as a parsed envelope with context and no PII', async () => {
    const before = sentry.received.length;
    const res = await call('ping', undefined, {
      protocolVersion: '2025-06-18',
      headers: { 'CF-Connecting-IP': IP, 'X-Porygon-Fault': 'storage-error' },
    });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.json.error.code, -32603);
    assert.equal(res.headers['retry-after'], '1');
    const requestId = res.headers['x-request-id'];

    const event = await waitFor(
      () => events().slice(before).find((e) => e.items[0]?.payload.tags?.request_id === requestId),
      'the Sentry envelope',
    );
    assert.equal(event.request.path, '/api/7/envelope/');
    assert.equal(event.request.headers['content-type'], 'application/x-sentry-envelope');
    assert.match(event.request.headers['x-sentry-auth'], new RegExp(`sentry_key=${SENTRY_KEY}, sentry_version=7`));
    assert.match(event.header.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [{ header: item, payload }] = event.items;
    assert.equal(item.type, 'event');
    assert.equal(payload.environment, 'local');
    assert.match(payload.release, /^porygon@\d+\.\d+\.\d+/);
    assert.equal(payload.tags.route, '/mcp');
    assert.equal(payload.exception.values[0].type, 'ServerError');
    assert.match(payload.exception.values[0].value, /^\/mcp answered 503: rate-limit storage: .*injected fault/);
    assert.ok(Math.abs(payload.timestamp * 1000 - Date.now()) < 60_000, 'timestamped now');
    assert.ok(!event.raw.includes(IP), 'no client address in the report');
    assert.equal(payload.user, undefined);
    assert.equal(payload.request, undefined, 'no request (headers, body) in the report');
  });

  test('failures of /health and of /admin routes reach Sentry too', async () => {
    const before = sentry.received.length;
    const health = await fetch(`http://127.0.0.1:${PORT}/health`, {
      headers: { 'CF-Connecting-IP': '10.77.0.3', 'X-Porygon-Fault': 'kv-error' },
    });
    assert.equal(health.status, 503);
    const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
    const doc = await fetch(`http://127.0.0.1:${PORT}/admin/doc/doc:v1:gen9ou:kingambit:overview`, {
      headers: { Authorization: `Bearer ${token}`, 'X-Porygon-Fault': 'kv-error' },
    });
    assert.equal(doc.status, 503);
    for (const [res, route, type, message] of [
      [health, '/health', 'HealthCheckFailed', /^\/health answered 503: .*injected fault: KV read failed/],
      [doc, '/admin/doc', 'AdminRouteFailed', /^\/admin\/doc answered 503: .*KV read: injected fault/],
    ]) {
      const requestId = res.headers.get('x-request-id');
      const event = await waitFor(
        () => events().slice(before).find((e) => e.items[0]?.payload.tags?.request_id === requestId),
        `the ${route} envelope`,
      );
      const { payload } = event.items[0];
      assert.equal(payload.tags.route, route, 'the route, without the key the path carried');
      assert.equal(payload.exception.values[0].type, type);
      assert.match(payload.exception.values[0].value, message);
      assert.ok(!event.raw.includes('10.77.0.3') && !event.raw.includes(token), 'no address or token');
    }
  });

  test('a panic inside a client object is reported, and other clients keep their sessions', async () => {
    const other = await initialize({ headers: { 'CF-Connecting-IP': OTHER_IP } });
    const before = sentry.received.length;
    // Locally the router and every object share one wasm instance, so the request whose object
    // panics mid-await is orphaned with it (no answer); in production objects run apart from
    // the router, which turns the failed call into a 503. Either is accepted here.
    const status = await fetch(`${MCP_URL}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'MCP-Protocol-Version': '2025-06-18',
        'CF-Connecting-IP': IP,
        'X-Porygon-Fault': 'panic-object',
      },
      body: JSON.stringify(rpcRequest('ping')),
      signal: AbortSignal.timeout(3_000),
    }).then((r) => r.status, (e) => e.name);
    assert.ok(status === 'TimeoutError' || status >= 500, `status ${status}`);

    const panic = await waitFor(
      () => events().slice(before).find((e) => e.items[0]?.payload.exception?.values[0].type === 'panic'),
      'the panic envelope',
    );
    const payload = panic.items[0].payload;
    assert.equal(payload.level, 'fatal');
    assert.equal(payload.exception.values[0].mechanism.type, 'panic');
    assert.equal(payload.exception.values[0].mechanism.handled, false);
    assert.match(payload.exception.values[0].value, /injected fault: client object panic/);
    assert.equal(payload.tags.route, 'ClientObject');
    assert.ok(!panic.raw.includes(IP));

    // The instance was reinitialised; persisted sessions and service are intact.
    const ping = await call('ping', undefined, {
      sessionId: other.sessionId,
      protocolVersion: other.result.protocolVersion,
      headers: { 'CF-Connecting-IP': OTHER_IP },
    });
    assert.equal(ping.status, 200, ping.text);
    assert.deepEqual(ping.json.result, {});
    assert.ok(await isHealthy());
  });

  test('a panic in the router is reported and the next request is served', async () => {
    const before = sentry.received.length;
    const res = await postMcp(rpcRequest('ping'), {
      protocolVersion: '2025-06-18',
      headers: { 'CF-Connecting-IP': IP, 'X-Porygon-Fault': 'panic' },
    });
    assert.ok(res.status >= 500, `status ${res.status}`);
    const panic = await waitFor(
      () => events().slice(before).find((e) => /injected fault: router panic/.test(e.raw)),
      'the router panic envelope',
    );
    assert.equal(panic.items[0].payload.tags.route, '/mcp');
    assert.equal(panic.items[0].payload.level, 'fatal');
    const next = await call('ping', undefined, { protocolVersion: '2025-06-18', headers: { 'CF-Connecting-IP': IP } });
    assert.equal(next.status, 200, next.text);
  });

  test('a burst of 5xx answers sends one signed error-rate alert', async () => {
    const before = alerts.received.length;
    const errorRate = () =>
      alerts.received.slice(before).filter((r) => JSON.parse(r.body.toString('utf8')).event === 'requests.error_rate');
    let sent = 0;
    while (errorRate().length === 0 && sent < 1500) {
      const burst = Array.from({ length: 50 }, () =>
        call('ping', undefined, {
          protocolVersion: '2025-06-18',
          headers: { 'CF-Connecting-IP': IP, 'X-Porygon-Fault': 'storage-error' },
        }),
      );
      for (const r of await Promise.all(burst)) assert.equal(r.status, 503);
      sent += 50;
      await sleep(200);
    }
    const [alert] = await waitFor(() => errorRate().length > 0 && errorRate(), 'the error-rate alert');
    const expected = 'sha256=' + createHmac('sha256', ALERT_SECRET).update(alert.body).digest('hex');
    assert.ok(timingSafeEqual(Buffer.from(alert.headers['x-porygon-signature']), Buffer.from(expected)));
    const body = JSON.parse(alert.body.toString('utf8'));
    assert.equal(body.environment, 'local');
    assert.ok(body.alert.rate >= body.alert.threshold, JSON.stringify(body));
    assert.equal(body.alert.threshold, 0.1);
    assert.equal(body.alert.windowSecs, 300);
    assert.ok(body.alert.errors >= 1 && body.alert.requests >= body.alert.errors);

    // One storm, one page: more errors within the cooldown send nothing more.
    await Promise.all(
      Array.from({ length: 30 }, () =>
        call('ping', undefined, { protocolVersion: '2025-06-18', headers: { 'CF-Connecting-IP': IP, 'X-Porygon-Fault': 'storage-error' } }),
      ),
    );
    await sleep(500);
    assert.equal(errorRate().length, 1);
  });
});

// scripts/smoke.mjs, the post-deploy smoke test (issue #6): it passes against the real worker and
// fails, loudly and with the reason, against servers that are down, broken or not porygon.
// Against the worker it sends 4 /mcp requests per run from this file's own client address.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { after, test } from 'node:test';

import { BASE_URL, CLIENT_IP, REPO_ROOT } from './harness.mjs';

/** Runs the smoke script; resolves {code, stdout, stderr} whatever its exit status. */
function smoke(args, env = {}) {
  const childEnv = { ...process.env, ...env };
  for (const name of ['BASE_URL', 'SMOKE_HEADERS', 'SMOKE_TIMEOUT_MS', 'SMOKE_WAIT_SECS']) {
    if (!(name in env)) delete childEnv[name];
  }
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/smoke.mjs', ...args], { cwd: REPO_ROOT, env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr, all: `${stdout}\n${stderr}` });
    });
  });
}

const servers = [];
after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

/** A throwaway HTTP server on 127.0.0.1; resolves its base URL. */
async function fakeServer(handler) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${server.address().port}`;
}

const HEALTHY = JSON.stringify({ status: 'ok', checks: [{ name: 'kv', status: 'ok', critical: true, latencyMs: 1 }] });

/** A minimal MCP server: tools/list answers `tools`; `sse` answers requests as SSE events. */
function fakeMcp({ tools, sse = false }) {
  return fakeServer((req, res, body) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(HEALTHY);
      return;
    }
    const msg = JSON.parse(body || '{}');
    if (msg.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const result =
      msg.method === 'initialize'
        ? { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '0' } }
        : { tools };
    const reply = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result });
    if (sse) res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: message\ndata: ${reply}\n\n`);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
  });
}

test('passes against the local worker, printing every check with its latency', async () => {
  const run = await smoke(['--url', `${BASE_URL}/mcp`, '--header', `CF-Connecting-IP: ${CLIENT_IP}`, '--expect-tool', 'get_pokemon']);
  assert.equal(run.code, 0, run.all);
  for (const check of ['GET /health', 'initialize', 'notifications/initialized', 'tools/list']) {
    assert.match(run.stdout, new RegExp(`^  ok    ${check.replace('/', '\\/')} +\\d+ ms  `, 'm'), run.all);
  }
  assert.match(run.stdout, /tools\/list .*\d+ tools: .*get_pokemon/, run.all);
  assert.match(run.stdout, /session ended: HTTP 204/, run.all);
  assert.match(run.stdout, /^smoke: PASS \(4 checks\) against http:\/\/127\.0\.0\.1:\d+ in \d+ ms$/m, run.all);
  assert.equal(run.stderr, '');
});

test('takes the URL from BASE_URL and extra headers from SMOKE_HEADERS', async () => {
  const run = await smoke([], { BASE_URL, SMOKE_HEADERS: `CF-Connecting-IP: ${CLIENT_IP}\nX-Smoke: env` });
  assert.equal(run.code, 0, run.all);
  assert.match(run.stdout, /extra headers: CF-Connecting-IP, X-Smoke/);
});

test('fails where nothing listens, naming the connection error', async () => {
  const url = await fakeServer(() => {});
  await new Promise((r) => servers.pop().close(r)); // the port is free again
  const run = await smoke(['--url', url, '--timeout-ms', '5000']);
  assert.equal(run.code, 1, run.all);
  assert.match(run.stdout, /FAIL  GET \/health .*cannot reach http:\/\/127\.0\.0\.1:\d+\/health: connect ECONNREFUSED/);
  assert.match(run.stdout, /SKIP  tools\/list/);
  assert.match(run.stderr, /^smoke: FAIL \(2 of 4 checks\)/m);
});

test('fails against a server that answers garbage', async () => {
  const url = await fakeServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>parked domain</html>'));
  const run = await smoke(['--url', url]);
  assert.equal(run.code, 1, run.all);
  assert.match(run.stderr, /GET \/health: HTTP 200 but the body is not JSON/);
  assert.match(run.stderr, /initialize: HTTP 200 text\/html: expected application\/json or text\/event-stream/);
  assert.match(run.stdout, /body: <html>parked domain<\/html>/);
});

test('fails on /health 503 and prints the body', async () => {
  const failing = JSON.stringify({ status: 'failing', checks: [{ name: 'kv', status: 'failing', detail: 'KV get timed out' }] });
  const url = await fakeServer((req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end(failing));
  const run = await smoke(['--url', url]);
  assert.equal(run.code, 1, run.all);
  assert.match(run.stderr, /GET \/health: HTTP 503, a critical dependency is failing/);
  assert.ok(run.stdout.includes(`body: ${failing}`), run.all);
});

test('fails when the MCP handshake works but tools/list is empty or lacks an expected tool', async () => {
  const empty = await smoke(['--url', await fakeMcp({ tools: [] })]);
  assert.equal(empty.code, 1, empty.all);
  assert.match(empty.stderr, /tools\/list: no tools/);

  const url = await fakeMcp({ tools: [{ name: 'other', inputSchema: { type: 'object' } }] });
  const missing = await smoke(['--url', url, '--expect-tool', 'get_pokemon']);
  assert.equal(missing.code, 1, missing.all);
  assert.match(missing.stderr, /tools\/list: missing get_pokemon/);
});

test('reads responses sent as server-sent events', async () => {
  const run = await smoke(['--url', await fakeMcp({ tools: [{ name: 'get_pokemon', inputSchema: { type: 'object' } }], sse: true })]);
  assert.equal(run.code, 0, run.all);
  assert.match(run.stdout, /initialize .*server fake 0, no session \(stateless\)/);
});

test('bad usage exits 2 with the usage line', async () => {
  const run = await smoke([]);
  assert.equal(run.code, 2, run.all);
  assert.match(run.stderr, /no URL: pass --url or set BASE_URL\nusage: node scripts\/smoke\.mjs --url/);
});

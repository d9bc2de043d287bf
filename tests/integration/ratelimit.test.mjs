// Exact per-client quotas (issue #3) against the running worker: 100/minute and 1000/hour per
// client by default, API keys with their own quotas, shared egress networks per session.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';

import { REPO_ROOT, STATE, assertSignInChallenge, call, initialize, newId, postMcp, restartWorker } from './harness.mjs';

const run = promisify(execFile);
const freshIp = () => `10.${200 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`;
const ping = (headers, extra = {}) => postMcp({ jsonrpc: '2.0', id: newId(), method: 'ping' }, { headers, ...extra });
const burst = (n, send) => Promise.all(Array.from({ length: n }, send));
const count = (responses, status) => responses.filter((r) => r.status === status).length;

function assertRejection(r) {
  assert.equal(r.status, 429);
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${r.headers['retry-after']}`);
  assert.equal(r.headers['ratelimit-policy'], '"minute";q=100;w=60, "hour";q=1000;w=3600');
  assert.match(r.headers.ratelimit, /^"minute";r=0;t=\d+$/);
  assert.equal(r.json.error.code, -32000);
  assert.match(r.json.error.message, /Rate limit exceeded/);
}

describe('anonymous clients (per IP)', () => {
  test('300 concurrent requests from one client: exactly 100 admitted, 200 rejected', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    const responses = await burst(300, () => ping(headers));
    assert.equal(count(responses, 200), 100);
    assert.equal(count(responses, 429), 200);
    for (const r of responses.filter((r) => r.status === 429)) {
      assertRejection(r);
      assert.equal(typeof r.json.id, 'number', 'the JSON-RPC id is echoed');
    }
    const remaining = responses.filter((r) => r.status === 200).map((r) => Number(/r=(\d+)/.exec(r.headers.ratelimit)[1]));
    assert.deepEqual([...remaining].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i), 'each admission saw a distinct remaining count');
  });

  test('distinct IPs are independent; IPv6 clients share their /64', async () => {
    const a = { 'CF-Connecting-IP': freshIp() };
    await burst(100, () => ping(a));
    assert.equal((await ping(a)).status, 429);
    assert.equal((await ping({ 'CF-Connecting-IP': freshIp() })).status, 200);
    const prefix = `2001:db8:${randomBytes(2).toString('hex')}:1`;
    await burst(100, (_, i) => ping({ 'CF-Connecting-IP': `${prefix}::${(i + 1).toString(16)}` }));
    assert.equal((await ping({ 'CF-Connecting-IP': `${prefix}:ffff::1` })).status, 429, 'same /64');
    assert.equal((await ping({ 'CF-Connecting-IP': `2001:db8:ffff:2::1` })).status, 200, 'other /64');
  });

  test('every MCP response carries the draft RateLimit headers', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    const { sessionId } = await initialize({ headers });
    const r = await call('tools/list', {}, { sessionId, protocolVersion: '2025-11-25', headers });
    assert.equal(r.status, 200);
    assert.equal(r.headers['ratelimit-policy'], '"minute";q=100;w=60, "hour";q=1000;w=3600');
    assert.match(r.headers.ratelimit, /^"minute";r=9[0-9];t=0$/);
  });

  test('admission counts survive a worker restart', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    assert.equal(count(await burst(100, () => ping(headers)), 200), 100);
    await restartWorker();
    const after = await ping(headers);
    assertRejection(after);
  });
});

describe('API keys', () => {
  async function createKey(perMinute) {
    const { stdout } = await run(process.execPath, ['scripts/apikey.mjs', 'create', '--name', 'integration', '--per-minute', String(perMinute), '--persist-to', STATE], { cwd: REPO_ROOT });
    return JSON.parse(stdout);
  }

  test('a key gets its own, higher quota, separate from its IP', async () => {
    const key = await createKey(150);
    assert.match(key.token, /^pgn_[0-9A-Za-z]{40}$/);
    const ip = freshIp();
    const withKey = { 'CF-Connecting-IP': ip, Authorization: `Bearer ${key.token}` };
    const responses = await burst(200, () => ping(withKey));
    assert.equal(count(responses, 200), 150);
    assert.equal(count(responses, 429), 50);
    assert.equal(responses.find((r) => r.status === 429).headers['ratelimit-policy'], '"minute";q=150;w=60, "hour";q=20000;w=3600');
    assert.equal((await ping({ 'CF-Connecting-IP': ip })).status, 200, 'the anonymous bucket of the same IP is untouched');
  });

  test('unknown, malformed and revoked keys are refused with 401', async () => {
    const bad = await ping({ Authorization: 'Bearer pgn_0000000000000000000000000000000000000000' });
    assert.equal(bad.status, 401);
    assert.match(bad.headers['www-authenticate'], /invalid_token/);
    assert.equal(bad.json.error.code, -32600);
    assert.equal((await ping({ Authorization: 'Basic Zm9vOmJhcg==' })).status, 401);
    const key = await createKey(10);
    assert.equal((await ping({ Authorization: `Bearer ${key.token}` })).status, 200);
    await run(process.execPath, ['scripts/apikey.mjs', 'revoke', '--id', key.id, '--persist-to', STATE], { cwd: REPO_ROOT });
    // Workers remember a key for up to 60 s; a restart forgets at once.
    await restartWorker();
    assert.equal((await ping({ Authorization: `Bearer ${key.token}` })).status, 401);
  });
});

describe('shared egress networks (the test worker treats 198.51.100.0/24 like Claude.ai)', () => {
  test('each MCP session has its own quota, under a ceiling for the whole network (250/min here)', async () => {
    const headers = { 'CF-Connecting-IP': `198.51.100.${1 + (randomBytes(1)[0] % 250)}` };
    const admitted = [];
    const refusals = [];
    for (let s = 0; s < 3; s++) {
      const { sessionId } = await initialize({ headers, protocolVersion: '2025-06-18' });
      const responses = await burst(150, () =>
        call('ping', {}, { sessionId, protocolVersion: '2025-06-18', headers }),
      );
      admitted.push(count(responses, 200));
      refusals.push([count(responses, 429), count(responses, 401)]);
      assert.equal(count(responses, 200) + count(responses, 429) + count(responses, 401), 150);
      for (const r of responses.filter((r) => r.status === 401)) assertSignInChallenge(r);
    }
    // initialize + notifications/initialized + 98 pings fill a session (100); the third session
    // meets the network's ceiling: 3 × 2 handshake requests + 98 + 98 + 48 = 250.
    assert.deepEqual(admitted, [98, 98, 48]);
    // A full session is that session's own quota (429: signing in would not change whose quota
    // it spent); the full ceiling is the pool the network shares: the sign-in challenge.
    assert.deepEqual(refusals.slice(0, 2), [[52, 0], [52, 0]]);
    // The third session's 102 refusals: its own quota admits at most 98, of which the ceiling
    // takes 48, so at least 50 meet the full ceiling (401). How many of the rest are refused by
    // the ceiling (401, also straight from the deny cache) or by the session's own quota (429)
    // depends on the order the 150 concurrent requests arrive in.
    const [ownFull, ceilingFull] = refusals[2];
    assert.equal(ownFull + ceilingFull, 102);
    assert.ok(ceilingFull >= 50, `third session: ${ownFull} × 429, ${ceilingFull} × 401`);
  });
});

// Abuse suite (issue #11): what one client can do to its own quota, to other clients' objects
// and to a shared network — reproduced against the running worker, with exact arithmetic.
// Every address here is fresh (its own quota object); the shared network used is 160.79.104.0/21
// (Claude.ai's range, shared in the test worker too), which no other test file touches.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import {
  BASE_URL,
  CODE,
  call,
  forgedSessionId,
  httpRequest,
  initialize,
  newId,
  objectState,
  ownerFor,
  postMcp,
} from './harness.mjs';

const freshIp = () => `10.${100 + (randomBytes(1)[0] % 50)}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`;
const claudeIp = () => `160.79.${104 + (randomBytes(1)[0] % 8)}.${1 + (randomBytes(1)[0] % 250)}`;
const CEILING = ownerFor('network:160.79.104.0/21');
const SESSIONLESS = ownerFor('shared-sessionless:160.79.104.0/21');
const count = (responses, status) => responses.filter((r) => r.status === status).length;
const ping = (id = newId()) => ({ jsonrpc: '2.0', id, method: 'ping' });
const madeUpToken = () => `pgn_${randomBytes(30).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 40).padEnd(40, 'x')}`;

describe('batches count every message', () => {
  test('batches of 32 from one address: exactly 100 messages answered per minute, all-or-nothing per batch', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    // No MCP-Protocol-Version: the default revision (2025-03-26) allows batches.
    const batch = (n) => postMcp(Array.from({ length: n }, () => ping()), { headers });
    const answered = [];
    for (let i = 0; i < 3; i++) answered.push(await batch(32)); // 96 units
    for (const r of answered) {
      assert.equal(r.status, 200);
      assert.equal(r.json.length, 32);
    }
    assert.match(answered[2].headers.ratelimit, /^"minute";r=4;t=0$/, 'each message counted: 100 - 96');
    const tooBig = await batch(32);
    assert.equal(tooBig.status, 429, 'a batch that does not fit is refused whole');
    assert.equal(typeof tooBig.json.id, 'number', 'the id of its first request is echoed');
    assert.ok(Number(tooBig.headers['retry-after']) >= 1);
    const fits = await batch(4);
    assert.equal(fits.status, 200, 'the last four units are still there: the refused batch spent none');
    assert.equal(fits.json.length, 4);
    const after = await postMcp(ping(), { headers });
    assert.equal(after.status, 429, 'exactly 100 messages, then nothing');
    // Before the fix one address got 32× its quota: 255 tools/call answered in under a minute.
    const flood = await Promise.all(Array.from({ length: 10 }, () => batch(32)));
    assert.equal(count(flood, 200), 0);
  });
});

describe('refused requests count against the caller', () => {
  test('130 requests with made-up API keys from one address: 100 × 401, then 429', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    const responses = [];
    for (let i = 0; i < 130; i++) {
      responses.push(await postMcp(ping(), { headers: { ...headers, Authorization: `Bearer ${madeUpToken()}` } }));
    }
    assert.equal(count(responses, 401), 100);
    assert.equal(count(responses, 429), 30);
    assert.ok(responses.slice(0, 100).every((r) => r.status === 401), 'the first hundred are answered 401');
    assert.equal(responses[0].headers['www-authenticate'], 'Bearer error="invalid_token"');
    const anonymous = await postMcp(ping(), { headers });
    assert.equal(anonymous.status, 429, "bad credentials spent the address's own quota");
    const elsewhere = await postMcp(ping(), { headers: { 'CF-Connecting-IP': freshIp() } });
    assert.equal(elsewhere.status, 200, 'and nobody else’s');
  });

  test('malformed Authorization headers count too', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    const bad = await Promise.all(
      Array.from({ length: 100 }, (_, i) => postMcp(ping(), { headers: { ...headers, Authorization: i % 2 ? 'Basic Zm9vOmJhcg==' : 'Bearer short' } })),
    );
    assert.equal(count(bad, 401), 100);
    assert.equal((await postMcp(ping(), { headers })).status, 429);
  });

  test('gate refusals (403, 405, 406, 415) count against the address', async () => {
    const ip = freshIp();
    const refusals = [
      () => httpRequest('POST', '/mcp', { headers: { 'CF-Connecting-IP': ip, Origin: 'https://evil.example', 'Content-Type': 'application/json' }, body: JSON.stringify(ping()) }),
      () => httpRequest('PUT', '/mcp', { headers: { 'CF-Connecting-IP': ip }, body: '{}' }),
      () => httpRequest('POST', '/mcp', { headers: { 'CF-Connecting-IP': ip, 'Content-Type': 'application/json', Accept: 'image/png' }, body: JSON.stringify(ping()) }),
      () => httpRequest('POST', '/mcp', { headers: { 'CF-Connecting-IP': ip, 'Content-Type': 'text/plain' }, body: JSON.stringify(ping()) }),
    ];
    const expected = [403, 405, 406, 415];
    for (let i = 0; i < 100; i++) {
      const r = await refusals[i % 4]();
      assert.equal(r.status, expected[i % 4], `refusal ${i}`);
    }
    const next = await postMcp(ping(), { headers: { 'CF-Connecting-IP': ip } });
    assert.equal(next.status, 429, 'a hundred refusals spent the minute');
    assert.equal((await httpRequest('PUT', '/mcp', { headers: { 'CF-Connecting-IP': ip }, body: '{}' })).status, 429);
  });

  test('a 413 counts too', async () => {
    const ip = freshIp();
    const owner = ownerFor(`ip:${ip}`);
    assert.equal((await postMcp(ping(), { headers: { 'CF-Connecting-IP': ip } })).status, 200);
    const before = (await objectState(owner)).admissions;
    // The upload is cut by the server once refused; the local proxy may then report a broken
    // pipe instead of the 413, so a few attempts are allowed — each that arrived is counted.
    let attempts = 0;
    let status;
    while (status !== 413 && attempts < 6) {
      attempts += 1;
      status = await httpRequest('POST', '/mcp', {
        headers: { 'CF-Connecting-IP': ip, 'Content-Type': 'application/json' },
        body: Buffer.alloc(1536 * 1024, 0x20),
      }).then((r) => r.status, () => undefined);
    }
    assert.equal(status, 413);
    // A 413 is counted just after it is answered (the upload may still be arriving).
    let charged = 0;
    for (let waited = 0; waited < 3000 && charged < 1; waited += 100) {
      charged = (await objectState(owner)).admissions - before;
      if (charged < 1) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(charged >= 1 && charged <= attempts, `${charged} admissions for ${attempts} oversized uploads`);
  });
});

describe('/health is limited per address and its deep checks are remembered', () => {
  test('30 per minute per address; /health/live stays unlimited; other addresses unaffected', async () => {
    const ip = freshIp();
    const statuses = [];
    const ages = [];
    for (let i = 0; i < 31; i++) {
      const r = await httpRequest('GET', '/health', { headers: { 'CF-Connecting-IP': ip } });
      statuses.push(r.status);
      ages.push(r.headers['x-health-deep-checks-age-ms']);
    }
    assert.ok(statuses.slice(0, 30).every((s) => s === 200 || s === 503), statuses.join());
    assert.equal(statuses[30], 429);
    assert.ok(ages.slice(1, 30).some((a) => a !== undefined), 'later calls reuse the deep checks');
    for (let i = 0; i < 50; i++) {
      assert.equal((await httpRequest('GET', '/health/live', { headers: { 'CF-Connecting-IP': ip } })).status, 200);
    }
    const other = await httpRequest('GET', '/health', { headers: { 'CF-Connecting-IP': freshIp() } });
    assert.notEqual(other.status, 429);
  });
});

describe('forged session ids reach no one else', () => {
  test("ids naming another client's object are refused before that object is touched", async () => {
    const victimIp = freshIp();
    const victim = { 'CF-Connecting-IP': victimIp };
    const { sessionId } = await initialize({ headers: victim });
    const owner = sessionId.split('.')[0];
    assert.equal(owner, ownerFor(`ip:${victimIp}`));
    const before = await objectState(owner);
    const attacker = { 'CF-Connecting-IP': freshIp() };
    const forged = [
      forgedSessionId(owner),
      `${sessionId.split('.').slice(0, 2).join('.')}.${'0'.repeat(32)}`, // the victim's id with a made-up tag
      sessionId.split('.').slice(0, 2).join('.'), // the old two-part shape
    ];
    for (let i = 0; i < 30; i++) {
      const r = await postMcp(ping(), { sessionId: forged[i % 3], protocolVersion: '2025-11-25', headers: attacker });
      assert.equal(r.status, 404);
      assert.equal(r.json.error.code, CODE.SESSION_NOT_FOUND);
    }
    const del = await httpRequest('DELETE', '/mcp', { headers: { ...attacker, 'Mcp-Session-Id': forged[0] } });
    assert.equal(del.status, 404);
    assert.deepEqual(await objectState(owner), before, "the victim's object: same sessions, same admissions");
    const ok = await call('ping', {}, { sessionId, protocolVersion: '2025-11-25', headers: victim });
    assert.equal(ok.status, 200, 'the victim is served');
    const attackerState = await objectState(ownerFor(`ip:${attacker['CF-Connecting-IP']}`));
    assert.equal(attackerState.admissions, 31, 'each forged request was counted against the attacker');
  });

  test("ids naming a shared network's ceiling neither charge nor block it", async () => {
    // Legitimate traffic first: two sessions of 55 pings put 2 × (2 + 55) = 114 on the ceiling.
    for (let s = 0; s < 2; s++) {
      const headers = { 'CF-Connecting-IP': claudeIp() };
      const { sessionId } = await initialize({ headers, protocolVersion: '2025-06-18' });
      const pings = await Promise.all(Array.from({ length: 55 }, () => call('ping', {}, { sessionId, protocolVersion: '2025-06-18', headers })));
      assert.equal(count(pings, 200), 55);
    }
    const ceilingBefore = await objectState(CEILING);
    assert.equal(ceilingBefore.role, 'network');
    assert.equal(ceilingBefore.admissions, 114);
    // Forged ids naming the ceiling, from inside the network and from outside it.
    const responses = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        postMcp(ping(), {
          sessionId: forgedSessionId(CEILING),
          protocolVersion: '2025-06-18',
          headers: { 'CF-Connecting-IP': i % 2 ? claudeIp() : freshIp() },
        }),
      ),
    );
    assert.equal(count(responses, 404), 150, `statuses: ${[...new Set(responses.map((r) => r.status))]}`);
    const ceilingAfter = await objectState(CEILING);
    assert.equal(ceilingAfter.admissions, ceilingBefore.admissions, 'the ceiling counted none of them');
    assert.equal(ceilingAfter.sessions, 0);
    const pool = await objectState(SESSIONLESS);
    assert.equal(pool.role, 'sessionless');
    assert.equal(pool.admissions, 75, "the network members' forged requests counted against their own sessionless pool");
    // Before the fix a fresh Claude.ai user was answered 429 at this point.
    const fresh = { 'CF-Connecting-IP': claudeIp() };
    const { sessionId } = await initialize({ headers: fresh, protocolVersion: '2025-06-18' });
    const r = await call('tools/list', {}, { sessionId, protocolVersion: '2025-06-18', headers: fresh });
    assert.equal(r.status, 200);
  });

  test('an object refuses to count a limit of a role it does not hold', async () => {
    const before = await objectState(CEILING);
    const res = await fetch(`${BASE_URL}/__test/charge?owner=${CEILING}&role=address`, { method: 'POST' });
    assert.equal((await res.json()).objectStatus, 409);
    const same = await fetch(`${BASE_URL}/__test/charge?owner=${CEILING}&role=network`, { method: 'POST' });
    assert.equal((await same.json()).objectStatus, 204, 'its own role is counted');
    const after = await objectState(CEILING);
    assert.equal(after.admissions, before.admissions + 1, 'only the admission under its own role');
    assert.equal(after.role, 'network');
  });
});

describe('the deny cache answers before the body is read', () => {
  test('an over-quota client sending a large body gets its 429 without the body being parsed', async () => {
    const headers = { 'CF-Connecting-IP': freshIp() };
    await Promise.all(Array.from({ length: 100 }, () => postMcp(ping(), { headers })));
    const small = await postMcp(ping(), { headers });
    assert.equal(small.status, 429);
    assert.equal(typeof small.json.id, 'number', 'a small body is read to echo its id');
    const id = newId();
    const large = JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { pad: 'x'.repeat(900_000) } });
    const r = await httpRequest('POST', '/mcp', { headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/json' }, body: large });
    assert.equal(r.status, 429);
    assert.equal(r.json.id, null, 'the large body was not read: its id could not be echoed');
  });
});

// Restarts and crashes under load: `wrangler dev` is stopped and started again while clients
// keep sending, and a client object panics while others are mid-quota. Sessions and quota counts
// live in Durable Object SQLite, so both must come through exactly.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { initialize, MCP_URL, postMcp, restartWorker, rpcRequest } from './harness.mjs';

const PROTOCOL = '2025-06-18';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ping = (ip, session) =>
  postMcp(rpcRequest('ping'), {
    sessionId: session?.sessionId,
    protocolVersion: session?.result.protocolVersion ?? PROTOCOL,
    headers: { 'CF-Connecting-IP': ip },
  });

/** Sends `n` pings from `ip` (at most `concurrency` at a time); returns the statuses. */
async function pings(ip, n, { session, concurrency = 10 } = {}) {
  const statuses = [];
  for (let sent = 0; sent < n; sent += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - sent) }, () => ping(ip, session));
    statuses.push(...(await Promise.all(batch)).map((r) => r.status));
  }
  return statuses;
}

const count = (statuses, status) => statuses.filter((s) => s === status).length;
// Addresses of this run only: a rerun within the hour must not inherit spent quotas.
const RUN = 1 + Math.floor(Math.random() * 250);
const ipOf = (n) => `10.55.${RUN}.${n}`;

describe('restarts under load', () => {
  test('a restart in the middle of a load run keeps every session and every quota count', async () => {
    // Ten clients with sessions; each sends at most 70 requests in all (under its 100/min), so a
    // single 429 would mean the restart corrupted a count, and a 404 that it lost a session.
    const clients = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const ip = ipOf(i + 1);
        return { ip, session: await initialize({ headers: { 'CF-Connecting-IP': ip } }), sent: 2, outcomes: [] };
      }),
    );
    // One more client spends exactly 60 of its 100 before the restart.
    const quotaIp = ipOf(101);
    assert.equal(count(await pings(quotaIp, 60), 200), 60);

    let running = true;
    const load = (async () => {
      const BUDGET = 70;
      while (running && clients.some((c) => c.sent < BUDGET)) {
        const batch = clients.filter((c) => c.sent < BUDGET);
        await Promise.all(
          batch.map(async (c) => {
            c.sent += 1;
            try {
              const res = await postMcp(rpcRequest('tools/call', { name: 'get_pokemon', arguments: { name: 'Kingambit' } }), {
                sessionId: c.session.sessionId,
                protocolVersion: c.session.result.protocolVersion,
                headers: { 'CF-Connecting-IP': c.ip },
              });
              c.outcomes.push(res.status);
            } catch (e) {
              // Connection refused or reset while the worker is down. A refused connection never
              // reached the server, so it spends none of the budget: otherwise a slow restart
              // (a loaded machine) used the whole budget up on refusals and no load was left to
              // show that serving continued.
              c.outcomes.push(e.code ?? e.message);
              if (e.code === 'ECONNREFUSED') c.sent -= 1;
            }
          }),
        );
        await sleep(50);
      }
    })();

    await sleep(1_500);
    const before = clients.reduce((n, c) => n + count(c.outcomes, 200), 0);
    assert.ok(before > 0, 'load was flowing before the restart');
    await restartWorker();
    // The first requests after a restart meet a cold worker; on a loaded 2-core machine that can
    // take more than a second. Give the load up to 15 s to be served again, then a little more.
    const servedNow = () => clients.reduce((n, c) => n + count(c.outcomes, 200), 0);
    for (let waited = 0; waited < 15_000 && servedNow() <= before; waited += 250) await sleep(250);
    await sleep(1_500);
    running = false;
    await load;

    const all = clients.flatMap((c) => c.outcomes);
    const served = count(all, 200);
    const failedWhileDown = all.filter((o) => typeof o !== 'number').length;
    const statuses = [...new Set(all.filter((o) => typeof o === 'number'))];
    assert.ok(served > before, `load continued after the restart (${before} → ${served})`);
    assert.deepEqual(statuses, [200], `only 200s (besides connection errors while down): ${statuses}`);
    console.log(`# restart under load: ${served} served, ${failedWhileDown} refused while the worker was down`);

    // Every session survived, and answers as itself.
    for (const c of clients) {
      const res = await ping(c.ip, c.session);
      assert.equal(res.status, 200, `session of ${c.ip}: ${res.text}`);
    }
    // The quota client's 60 admissions survived: exactly 40 more fit in the minute.
    const after = await pings(quotaIp, 50);
    assert.equal(count(after, 200), 40, `after the restart: ${after}`);
    assert.equal(count(after, 429), 10);
  });

  test("a panic in one client's object loses no other client's session or quota count", async () => {
    const ip = ipOf(201);
    const session = await initialize({ headers: { 'CF-Connecting-IP': ip } });
    // initialize + notifications/initialized count too: 2 + 30 = 32 spent.
    assert.equal(count(await pings(ip, 30, { session }), 200), 30);

    // Another client's object panics (locally that request is orphaned with the wasm instance:
    // observability.test.mjs covers its report; here only the bystanders matter).
    await fetch(MCP_URL, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'MCP-Protocol-Version': PROTOCOL,
        'CF-Connecting-IP': ipOf(202),
        'X-Porygon-Fault': 'panic-object',
      },
      body: JSON.stringify(rpcRequest('ping')),
      signal: AbortSignal.timeout(3_000),
    }).catch(() => {});

    const first = await ping(ip, session);
    assert.equal(first.status, 200, `the session survived (a lost one would be 404): ${first.text}`);
    assert.match(first.headers.ratelimit, /^"minute";r=67;t=\d+$/, 'the count survived: 33 spent');
    const after = await pings(ip, 74, { session });
    assert.equal(count(after, 200), 67, `100 - 33 left after the panic: ${after}`);
    assert.equal(count(after, 429), 7);
  });
});

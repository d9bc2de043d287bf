// Retention of the raw usage statistics (issue #15): cached months that ended more than 90 days
// ago are pruned from R2 (manifest first, then the objects), the newest month of every format is
// always kept. Upstream runs apply it when they finish; POST /admin/raw-prune applies it now.
// Months are chosen relative to today so the verdicts do not depend on the date of the run.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { BASE_URL, REPO_ROOT } from './harness.mjs';

const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const auth = { Authorization: `Bearer ${token}` };

/** `YYYY-MM` of the month `back` months before the current one (UTC). */
function monthsAgo(back) {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function upload(format, month, cutoff = 1500) {
  const key = `stats/${month}/moveset/${format}-${cutoff}.txt`;
  const put = await fetch(`${BASE_URL}/admin/raw/${key}`, { method: 'PUT', headers: auth, body: `statistics of ${format} ${month}\n` });
  assert.equal(put.status, 201);
  const entry = { format, kind: 'moveset', month, cutoff, key };
  const registered = await fetch(`${BASE_URL}/admin/raw-manifest`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(entry),
  });
  assert.equal(registered.status, 201);
  return key;
}

const cached = async (key) => (await fetch(`${BASE_URL}/admin/raw/${key}`, { headers: auth })).status;

test('pruning keeps exactly 90 days of statistics and the newest month of every format', async () => {
  // Ended ≥ 4 months ago (> 90 days whatever today is), ended ≤ 2 months ago, and the newest.
  const old = await upload('gen4retention', monthsAgo(5));
  const older = await upload('gen4retention', monthsAgo(6), 1630);
  const recent = await upload('gen4retention', monthsAgo(2));
  const newest = await upload('gen4retention', monthsAgo(1));
  // A format whose only month is years old keeps it: the tools still need statistics.
  const only = await upload('gen5retention', '2019-03');
  for (const key of [old, older, recent, newest, only]) assert.equal(await cached(key), 200, key);

  const res = await fetch(`${BASE_URL}/admin/raw-prune`, { method: 'POST', headers: auth });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.deleted.sort(), [old, older].sort());
  const months = body.manifest.filter((e) => e.format.endsWith('retention')).map((e) => e.key).sort();
  assert.deepEqual(months, [recent, newest, only].sort(), 'the manifest lists what is kept');
  assert.equal(await cached(old), 404);
  assert.equal(await cached(older), 404);
  for (const key of [recent, newest, only]) assert.equal(await cached(key), 200, key);
  // Every other format keeps its newest month too (the local corpus's are years old).
  for (const e of body.manifest.filter((e) => !e.format.endsWith('retention'))) {
    assert.ok(!body.deleted.includes(e.key));
  }

  const again = await (await fetch(`${BASE_URL}/admin/raw-prune`, { method: 'POST', headers: auth })).json();
  assert.deepEqual(again.deleted, [], 'idempotent');
});

test('the raw cache routes refuse what is not a cached file', async () => {
  assert.equal((await fetch(`${BASE_URL}/admin/raw/stats/x;y.txt`, { headers: auth })).status, 400);
  assert.equal((await fetch(`${BASE_URL}/admin/raw/stats/2019-03/moveset/gen5retention-1500.txt`)).status, 401);
  assert.equal((await fetch(`${BASE_URL}/admin/raw-prune`, { headers: auth })).status, 404, 'GET does not prune');
  // An operator's malformed body is their mistake (400), not an outage (503, which would page).
  const before = (await (await fetch(`${BASE_URL}/admin/ingest`, { headers: auth })).json()).last?.id;
  for (const route of ['/admin/raw-manifest', '/admin/ingest']) {
    for (const body of ['{oops', '[]', '"x"', '{"formats": 7}']) {
      const res = await fetch(`${BASE_URL}${route}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
      assert.equal(res.status, 400, `${route} ${body}`);
      assert.match((await res.json()).error, /^body/);
    }
  }
  const state = await (await fetch(`${BASE_URL}/admin/ingest`, { headers: auth })).json();
  assert.equal(state.current, null, 'no run was started');
  assert.equal(state.last?.id, before);
});

// /health (issue #6, started): every dependency with its latency; degraded-but-serving visible.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';

import { BASE_URL, REPO_ROOT } from './harness.mjs';

const run = promisify(execFile);
const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const auth = { Authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function health() {
  const res = await fetch(`${BASE_URL}/health`);
  const body = await res.json();
  return { res, body, byName: Object.fromEntries(body.checks.map((c) => [c.name, c])) };
}

async function ingest(body) {
  const start = await fetch(`${BASE_URL}/admin/ingest`, { method: 'POST', headers: auth, body: JSON.stringify({ source: 'cache', ...body }) });
  assert.equal(start.status, 202);
  const { id } = await start.json();
  for (let i = 0; i < 600; i++) {
    const state = await (await fetch(`${BASE_URL}/admin/ingest`, { headers: auth })).json();
    if (!state.current && state.last?.id === id) return state.last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not finish`);
}

let loaded;
test('/health checks KV, the objects and the corpus; semantic search is reported unavailable locally', async () => {
  const { stdout } = await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'], { cwd: REPO_ROOT, timeout: 120_000 });
  loaded = JSON.parse(stdout);
  const { res, body, byName } = await health();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  for (const name of ['kv', 'clientObjects', 'index']) {
    assert.equal(byName[name].status, 'ok', JSON.stringify(byName[name]));
    assert.equal(typeof byName[name].latencyMs, 'number');
    assert.equal(byName[name].critical, true);
  }
  assert.equal(byName.corpus.status, 'ok');
  assert.match(byName.corpus.detail, /^\d+ documents, last successful ingestion \(run-\d+\) finished \d+ min ago$/);
  assert.equal(byName.semantic.status, 'unavailable');
  assert.equal(body.status, 'ok');
  const live = await fetch(`${BASE_URL}/health/live`);
  assert.deepEqual(await live.json(), { status: 'ok' });
});

test('corpus freshness is the last successful run, whether or not it wrote anything', async () => {
  assert.ok((await health()).byName.corpus.detail.includes(`(${loaded.id})`), 'the loading run');
  const failed = await ingest({ formats: ['gen9nope'] });
  assert.equal(failed.report.errors, 1);
  assert.ok((await health()).byName.corpus.detail.includes(`(${loaded.id})`), 'a failed run does not count');
  const unchanged = await ingest({ formats: ['gen9ou'] });
  assert.equal(unchanged.report.errors, 0);
  assert.equal(unchanged.report.documentsWritten, 0);
  assert.ok((await health()).byName.corpus.detail.includes(`(${unchanged.id})`), 'a run that wrote nothing counts');
});

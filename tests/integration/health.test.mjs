// /health (issue #6, started): every dependency with its latency; degraded-but-serving visible.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'node:test';

import { BASE_URL, REPO_ROOT } from './harness.mjs';

const run = promisify(execFile);

test('/health checks KV, the objects and the corpus; semantic search is reported unavailable locally', async () => {
  await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'], { cwd: REPO_ROOT, timeout: 120_000 });
  const res = await fetch(`${BASE_URL}/health`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const body = await res.json();
  const byName = Object.fromEntries(body.checks.map((c) => [c.name, c]));
  for (const name of ['kv', 'clientObjects', 'index']) {
    assert.equal(byName[name].status, 'ok', JSON.stringify(byName[name]));
    assert.equal(typeof byName[name].latencyMs, 'number');
    assert.equal(byName[name].critical, true);
  }
  assert.equal(byName.corpus.status, 'ok');
  assert.match(byName.corpus.detail, /^\d+ documents, updated/);
  assert.equal(byName.semantic.status, 'unavailable');
  assert.equal(body.status, 'ok');
  const live = await fetch(`${BASE_URL}/health/live`);
  assert.deepEqual(await live.json(), { status: 'ok' });
});

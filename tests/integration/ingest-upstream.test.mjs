// Scheduled ingestion from "upstream" (issue #4): the monthly cron fetches sets, analyses and
// statistics over HTTP, caches the raw responses in R2, ingests, reports errors, and sends an
// HMAC-signed alert when errors pass the threshold, and notes a statistics month that is not
// published yet. The upstream is a local server serving ../shared/data on the test worker's
// configured base URLs (Makefile TEST_WRANGLER_ARGS).
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, REPO_ROOT, alertSink } from './harness.mjs';

const DATA = path.join(REPO_ROOT, '../shared/data');
const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const auth = { Authorization: `Bearer ${token}` };
const SECRET = 'integration-webhook-secret';

function upstreamFile(url) {
  let m;
  if ((m = /^\/sets\/(gen\w+)\.json$/.exec(url))) return path.join(DATA, 'pkmn-sets', `${m[1]}.json`);
  if (url === '/analyses/gen9ou.json') return path.join(DATA, 'pkmn-analyses/gen9ou.subset.json');
  if (url === '/stats/2024-06/moveset/gen9ou-1695.txt') return path.join(DATA, 'smogon-stats/moveset-gen9ou-1695.txt');
  return null;
}

const served = [];
const alerts = [];
/** Statistics "not published yet": the upstream answers 404 for them. */
let statsUnpublished = false;
const upstream = http.createServer((req, res) => {
  const file = statsUnpublished && req.url.startsWith('/stats/') ? null : upstreamFile(req.url);
  served.push(req.url);
  if (file && existsSync(file)) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  else res.writeHead(404).end('not found');
});
const sink = alertSink(alerts);

async function admin(method, route, body) {
  const res = await fetch(`${BASE_URL}${route}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function waitForRun() {
  for (let i = 0; i < 600; i++) {
    const state = (await admin('GET', '/admin/ingest')).json;
    if (state && !state.current && state.last) return state.last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('ingestion did not finish');
}

async function triggerCron(cron) {
  const enc = encodeURIComponent(cron).replace(/%20/g, '+');
  for (const route of [`/cdn-cgi/handler/scheduled?cron=${enc}`, `/__scheduled?cron=${enc}`]) {
    const res = await fetch(`${BASE_URL}${route}`);
    if (res.ok) return;
  }
  throw new Error('could not trigger the scheduled handler');
}

describe('scheduled upstream ingestion', () => {
  before(async () => {
    await new Promise((r) => upstream.listen(8801, '127.0.0.1', r));
    await new Promise((r) => sink.listen(8802, '127.0.0.1', r));
  });
  after(() => {
    upstream.close();
    sink.close();
  });

  let report;
  test('the monthly cron fetches upstream, ingests, and counts missing formats as errors', async () => {
    await triggerCron('41 5 3 * *');
    const run = await waitForRun();
    report = run.report;
    assert.match(report.trigger, /^cron:41 5 3/);
    assert.ok(served.includes('/sets/gen9ou.json') && served.includes('/analyses/gen9ou.json'));
    assert.ok(served.includes('/stats/2024-06/moveset/gen9ou-1695.txt'), 'monthly run refreshes statistics');
    assert.equal(report.errors, 6, JSON.stringify(report.errorSamples));
    assert.ok(report.errorSamples.every((e) => /^gen9nope\d: no sets/.test(e)));
    const gen2 = (await admin('GET', '/admin/index/gen2nu/stats')).json;
    assert.ok(gen2.documents > 0);
    // The fake upstream has no gen2nu statistics: noted, not counted as an error.
    assert.equal(report.notes.length, 1, JSON.stringify(report.notes));
    assert.match(report.notes[0], /^usage statistics for gen2nu 2024-06 are not published yet; /);
  });

  test('the "ingestion finished" log line carries the notes', async () => {
    const log = readFileSync(path.join(REPO_ROOT, `.wrangler/run/worker-${process.env.PORYGON_PORT}.log`), 'utf8');
    const line = log
      .split('\n')
      .filter((l) => l.includes('"ingestion finished"'))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))))
      .find((l) => l.fields.run === report.runId);
    assert.ok(line, `no log line for ${report.runId}`);
    assert.equal(line.fields.notes, report.notes.join('; '));
    assert.equal(line.fields.errors, 6);
  });

  test('errors over the threshold send one HMAC-signed alert', async () => {
    assert.equal(alerts.length, 1);
    const { headers, body } = alerts[0];
    const expected = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
    assert.ok(timingSafeEqual(Buffer.from(headers['x-porygon-signature']), Buffer.from(expected)));
    const payload = JSON.parse(body);
    assert.equal(payload.event, 'ingestion.errors');
    assert.equal(payload.report.errors, 6);
  });

  test('a statistics month not published yet is a note in the report, neither an error nor an alert', async () => {
    statsUnpublished = true;
    try {
      const start = await admin('POST', '/admin/ingest', { source: 'upstream', refreshStats: true, formats: ['gen9ou'] });
      assert.equal(start.status, 202);
      const run = await waitForRun();
      assert.equal(run.report.errors, 0, JSON.stringify(run.report.errorSamples));
      assert.deepEqual(run.report.notes, ['usage statistics for gen9ou 2024-06 are not published yet; kept 2024-06']);
      assert.deepEqual((await admin('GET', '/admin/ingest')).json.last.report.notes, run.report.notes);
      assert.equal(alerts.length, 1, 'no alert');
    } finally {
      statsUnpublished = false;
    }
  });

  test('re-ingestion from the R2 cache needs no upstream', async () => {
    upstream.close();
    const before = served.length;
    const start = await admin('POST', '/admin/ingest', { source: 'cache', formats: ['gen2nu'] });
    assert.equal(start.status, 202);
    const run = await waitForRun();
    assert.equal(run.report.errors, 0);
    assert.equal(run.report.documentsWritten, 0);
    assert.ok(run.report.documentsUnchanged > 0);
    assert.equal(served.length, before);
  });

  test('one run at a time', async () => {
    const first = await admin('POST', '/admin/ingest', { source: 'cache', formats: ['gen2nu'] });
    const second = await admin('POST', '/admin/ingest', { source: 'cache', formats: ['gen2nu'] });
    assert.equal(first.status, 202);
    assert.equal(second.status, 409);
    await waitForRun();
  });
});

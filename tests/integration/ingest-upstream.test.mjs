// Scheduled ingestion from "upstream" (issues #4, #15): the daily cron fetches sets, analyses and
// the newest statistics month (discovered from the index page) over HTTP, caches the raw responses in R2, ingests, reports errors, and sends an
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

/** The months the fake statistics index lists (smogon.com/stats/ is an Apache-style index). */
let listedMonths = ['2024-05', '2024-06'];
const listing = () => `<html><pre><a href="../">../</a>\n${listedMonths.map((m) => `<a href="${m}/">${m}/</a>`).join('\n')}\n<a href="2022-12-DLC1/">2022-12-DLC1/</a></pre></html>`;
/** Extra statistics bodies, by URL (a month published later). */
const extraStats = new Map();

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
  served.push(req.url);
  if (req.url === '/stats/') return res.writeHead(200, { 'content-type': 'text/html' }).end(listing());
  if (extraStats.has(req.url)) return res.writeHead(200, { 'content-type': 'application/json' }).end(extraStats.get(req.url));
  const file = statsUnpublished && req.url.startsWith('/stats/') ? null : upstreamFile(req.url);
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
  test('the daily cron fetches upstream, discovers the statistics month, ingests, and counts missing formats as errors', async () => {
    const from = served.length;
    await triggerCron('17 4 * * *');
    const run = await waitForRun();
    report = run.report;
    assert.match(report.trigger, /^cron:17 4/);
    const fetched = served.slice(from);
    assert.ok(fetched.includes('/sets/gen9ou.json') && fetched.includes('/analyses/gen9ou.json'));
    assert.equal(fetched.filter((u) => u === '/stats/').length, 1, 'the statistics index is read once per run');
    // The newest listed month (2024-06, not the DLC variant): gen2nu, which has no statistics yet,
    // is asked for it; a format already holding it is not fetched again.
    assert.ok(fetched.includes('/stats/2024-06/chaos/gen2nu-1630.json') && fetched.includes('/stats/2024-06/moveset/gen2nu-1630.txt'), fetched.join(' '));
    assert.ok(!fetched.some((u) => u.startsWith('/stats/2022-12')));
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
    listedMonths = ['2024-05', '2024-06', '2024-07'];
    try {
      const start = await admin('POST', '/admin/ingest', { source: 'upstream', refreshStats: true, formats: ['gen9ou'] });
      assert.equal(start.status, 202);
      const run = await waitForRun();
      assert.equal(run.report.errors, 0, JSON.stringify(run.report.errorSamples));
      assert.deepEqual(run.report.notes, ['usage statistics for gen9ou 2024-07 are not published yet; kept 2024-06']);
      assert.deepEqual((await admin('GET', '/admin/ingest')).json.last.report.notes, run.report.notes);
      assert.equal(alerts.length, 1, 'no alert');
    } finally {
      statsUnpublished = false;
    }
  });

  test('a newly listed month is retried daily until its files appear, then ingested once', async () => {
    listedMonths = ['2024-05', '2024-06', '2024-07'];
    const gen2nu = ['/stats/2024-07/chaos/gen2nu-1630.json', '/stats/2024-07/moveset/gen2nu-1630.txt'];
    // Day 1: listed, not uploaded yet for gen2nu.
    let from = served.length;
    await triggerCron('17 4 * * *');
    let run = await waitForRun();
    assert.ok(gen2nu.every((u) => served.slice(from).includes(u)));
    assert.ok(run.report.notes.some((n) => n.startsWith('usage statistics for gen2nu 2024-07 are not published yet')), JSON.stringify(run.report.notes));
    assert.equal((await fetch(`${BASE_URL}/admin/raw/stats/2024-07/chaos/gen2nu-1630.json`, { headers: auth })).status, 404);
    // Day 2: published (gen1 OU's chaos file, relabelled, stands in: every gen 1 species exists in gen 2).
    const chaos = JSON.parse(readFileSync(path.join(DATA, 'smogon-stats/chaos-gen1ou-1760.json'), 'utf8'));
    chaos.info.metagame = 'gen2nu';
    chaos.info.cutoff = 1630;
    const published = Buffer.from(JSON.stringify(chaos));
    extraStats.set(gen2nu[0], published);
    from = served.length;
    await triggerCron('17 4 * * *');
    run = await waitForRun();
    assert.ok(served.slice(from).includes(gen2nu[0]));
    assert.ok(!run.report.notes.some((n) => n.includes('gen2nu')), JSON.stringify(run.report.notes));
    const cached = await fetch(`${BASE_URL}/admin/raw/stats/2024-07/chaos/gen2nu-1630.json`, { headers: auth });
    assert.equal(cached.status, 200, JSON.stringify(run.report));
    assert.ok(Buffer.from(await cached.arrayBuffer()).equals(published), 'the vetted file, as published');
    // Day 3: gen2nu holds 2024-07 now; it is not fetched again.
    from = served.length;
    await triggerCron('17 4 * * *');
    await waitForRun();
    assert.ok(!served.slice(from).some((u) => u.includes('gen2nu-1630')), 'already ingested');
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

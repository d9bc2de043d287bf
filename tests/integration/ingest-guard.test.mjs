// A bad upstream response must not poison or delete the corpus (issue #11 §4). The fake upstream
// (127.0.0.1:8801) serves ../shared/data, or, per test, an empty, truncated, HTML-error,
// oversized, slow or shrunken file in its place; the alert sink (:8802) checks signatures. Every
// case must leave the documents, get_popular_sets and get_usage_stats answers exactly as they
// were (read fresh: the dataset version is bumped before each comparison, so no cache can hide a
// change), and every refusal must reach the sink signed. A mass delete is refused, then accepted
// with the operator's override. The test worker caps upstream responses at 4 MiB and 3 s
// (Makefile TEST_WRANGLER_ARGS).
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, PORT, REPO_ROOT, alertSink, call } from './harness.mjs';

const DATA = path.join(REPO_ROOT, '../shared/data');
const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const auth = { Authorization: `Bearer ${token}` };
const SECRET = 'integration-webhook-secret';
const CAP = 4194304;

const SETS_URL = '/sets/gen9ou.json';
const ANALYSES_URL = '/analyses/gen9ou.json';
const STATS_URL = '/stats/2024-06/moveset/gen9ou-1695.txt';
const FILES = {
  [SETS_URL]: path.join(DATA, 'pkmn-sets/gen9ou.json'),
  [ANALYSES_URL]: path.join(DATA, 'pkmn-analyses/gen9ou.subset.json'),
  [STATS_URL]: path.join(DATA, 'smogon-stats/moveset-gen9ou-1695.txt'),
};
/** Any format's sets, as the real upstream would serve them. */
const fileFor = (url) => FILES[url] ?? (/^\/sets\/(gen\w+)\.json$/.test(url) ? path.join(DATA, 'pkmn-sets', url.slice('/sets/'.length)) : null);
const real = (url) => readFileSync(fileFor(url));
const SETS = JSON.parse(real(SETS_URL));
const SPECIES = Object.keys(SETS);

/** url → handler replacing the real file for the current test. */
const poison = new Map();
const served = [];
const alerts = [];
const upstream = http.createServer((req, res) => {
  served.push(req.url);
  const handler = poison.get(req.url);
  if (handler) return handler(req, res);
  // The statistics index the run discovers its month from (src/ingest/months.rs).
  if (req.url === '/stats/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<a href="2024-05/">2024-05/</a> <a href="2024-06/">2024-06/</a>');
  const file = fileFor(req.url);
  if (file && existsSync(file)) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  res.writeHead(404).end('not found');
});
const sink = alertSink(alerts);

const body = (bytes, type = 'application/octet-stream') => (req, res) => res.writeHead(200, { 'content-type': type }).end(bytes);

/** 50 MiB: the real file, then whitespace (still valid data, were it not for the cap). */
const streamed = [];
function oversized(url, { declare }) {
  return (req, res) => {
    const record = { url, chunks: 0, closed: false };
    streamed.push(record);
    const pad = Buffer.alloc(1 << 20, 0x20);
    res.writeHead(200, declare ? { 'content-length': String(real(url).length + (50 << 20)) } : {});
    res.on('close', () => (record.closed = true));
    res.on('error', () => (record.closed = true));
    res.write(real(url));
    const pump = () => {
      while (!record.closed && record.chunks < 50) {
        record.chunks++;
        if (!res.write(pad)) return res.once('drain', pump);
      }
      if (!record.closed) res.end();
    };
    pump();
  };
}

/** Headers and a first chunk, then nothing (until the test ends). */
const stalled = [];
function slow(url) {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(real(url).subarray(0, 1000));
    stalled.push(res);
  };
}

async function admin(method, route, payload) {
  const res = await fetch(`${BASE_URL}${route}`, {
    method,
    headers: { ...auth, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    body: payload === undefined ? undefined : typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function waitFor(id) {
  for (let i = 0; i < 1200; i++) {
    const state = (await admin('GET', '/admin/ingest')).json;
    if (!state.current && state.last?.id === id) return state.last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not finish`);
}

/** An upstream run of gen9ou with statistics; returns the finished run and what it fetched. */
async function upstreamRun(extra = {}) {
  const from = served.length;
  const start = await admin('POST', '/admin/ingest', { source: 'upstream', refreshStats: true, formats: ['gen9ou'], trigger: 'test', ...extra });
  assert.equal(start.status, 202, JSON.stringify(start.json));
  const run = await waitFor(start.json.id);
  return { run, fetched: served.slice(from) };
}

async function cacheRun(formats) {
  const start = await admin('POST', '/admin/ingest', { source: 'cache', formats, trigger: 'test' });
  assert.equal(start.status, 202, JSON.stringify(start.json));
  return waitFor(start.json.id);
}

const version = async () => (await admin('GET', `/admin/doc/${encodeURIComponent('meta:dataset-version')}`)).json;

/** A real content change elsewhere (gen3pu), so every cache keyed by the dataset version misses. */
let bumps = 0;
async function bumpDatasetVersion() {
  const before = await version();
  const sets = JSON.parse(readFileSync(path.join(DATA, 'pkmn-sets/gen3pu.json'), 'utf8'));
  const [species] = Object.keys(sets);
  const [name] = Object.keys(sets[species]);
  sets[species][name].moves = ['Protect', 'Substitute', 'Toxic', ['Rest', 'Facade', 'Return', 'Double-Edge'][bumps++ % 4]];
  assert.equal((await admin('PUT', '/admin/raw/sets/gen3pu.json', JSON.stringify(sets))).status, 201);
  const run = await cacheRun(['gen3pu']);
  assert.ok(run.report.documentsWritten >= 1, JSON.stringify(run.report));
  const after = await version();
  assert.notEqual(after, before, 'the dataset version moved');
}

const tool = async (name, args) => {
  const r = await call('tools/call', { name, arguments: args });
  assert.equal(r.status, 200, r.text);
  return r.json.result;
};

/**
 * What clients and operators see of a format, read past every cache: the index, a search and the
 * document it finds first, get_popular_sets for `pokemon`, and get_usage_stats (gen9ou).
 */
async function snapshot(format = 'gen9ou', pokemon = ['Kingambit', SPECIES[SPECIES.length - 1]]) {
  await bumpDatasetVersion();
  const index = (await admin('GET', `/admin/index/${format}/stats`)).json;
  const hits = (await admin('POST', `/admin/index/${format}/search`, { query: pokemon[0], limit: 10 })).json;
  const doc = (await admin('GET', `/admin/doc/${encodeURIComponent(hits[0].key)}`)).json;
  const popular = [];
  for (const p of pokemon) {
    const r = await tool('get_popular_sets', { pokemon: p, format });
    popular.push(r.isError ? { isError: true, text: r.content[0].text } : r.structuredContent);
  }
  const view = {
    index: { documents: index.documents, pokemon: index.pokemon, updatedAtMs: index.updatedAtMs },
    hits: hits.map((h) => h.key),
    doc,
    popular,
  };
  if (format === 'gen9ou') {
    const usage = await tool('get_usage_stats', { format, limit: 100 });
    assert.equal(usage.isError, false, usage.content[0].text);
    view.usage = usage.structuredContent;
  }
  return view;
}

/** The alerts that arrived since `from`, each checked for its signature. */
async function alertsSince(from, count = 1) {
  for (let i = 0; i < 50 && alerts.length < from + count; i++) await new Promise((r) => setTimeout(r, 100));
  const got = alerts.slice(from);
  for (const { headers, body } of got) {
    const expected = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
    assert.ok(headers['x-porygon-signature'], 'signed');
    assert.ok(timingSafeEqual(Buffer.from(headers['x-porygon-signature']), Buffer.from(expected)), 'signature verifies');
  }
  return got.map(({ body }) => JSON.parse(body));
}

/** Each upstream file at most once per run. */
function assertFetchedOnce(fetched, urls = [SETS_URL, ANALYSES_URL, STATS_URL]) {
  for (const url of urls) {
    assert.ok(fetched.filter((u) => u === url).length <= 1, `${url} fetched ${fetched.filter((u) => u === url).length} times`);
  }
}

describe('a bad upstream response neither poisons nor deletes the corpus', () => {
  let baseline;
  before(async () => {
    await new Promise((r) => upstream.listen(8801, '127.0.0.1', r));
    await new Promise((r) => sink.listen(8802, '127.0.0.1', r));
    const { run, fetched } = await upstreamRun();
    assert.equal(run.report.errors, 0, JSON.stringify(run.report.errorSamples));
    assert.deepEqual(run.report.refusals, []);
    for (const url of [SETS_URL, ANALYSES_URL, STATS_URL]) assert.equal(fetched.filter((u) => u === url).length, 1, url);
    baseline = await snapshot();
    assert.ok(baseline.index.documents > 200, JSON.stringify(baseline.index));
    assert.ok(baseline.popular[0].smogonSets.length >= 1 && baseline.popular[0].usageSet, 'sets and statistics are loaded');
    assert.match(JSON.stringify(baseline.usage), /Kingambit/, 'usage statistics are loaded');
  });
  after(() => {
    for (const res of stalled) res.destroy();
    upstream.close();
    sink.close();
  });

  const cases = [
    {
      name: 'an empty object ({})',
      serve: () => [SETS_URL, ANALYSES_URL, STATS_URL].forEach((u) => poison.set(u, body('{}'))),
      reasons: { sets: /^holds no species$/, analyses: /^holds no species$/, 'moveset statistics': /^truncated/ },
    },
    {
      name: 'a truncated download',
      serve: () => [SETS_URL, ANALYSES_URL, STATS_URL].forEach((u) => poison.set(u, body(real(u).subarray(0, real(u).length >> 1)))),
      reasons: { sets: /^does not parse: sets: invalid JSON/, analyses: /^does not parse: analyses: invalid JSON/, 'moveset statistics': /^truncated/ },
    },
    {
      name: 'an HTML error page answered with 200',
      serve: () => {
        const html = '<!DOCTYPE html><html><head><title>Error 1020</title></head><body>Access denied</body></html>';
        [SETS_URL, ANALYSES_URL, STATS_URL].forEach((u) => poison.set(u, body(html, 'text/html')));
      },
      reasons: { sets: /^an HTML page/, analyses: /^an HTML page/, 'moveset statistics': /^an HTML page/ },
    },
    {
      name: 'a 50 MiB body (declared, and streamed without a length)',
      serve: () => {
        poison.set(SETS_URL, oversized(SETS_URL, { declare: true }));
        poison.set(ANALYSES_URL, oversized(ANALYSES_URL, { declare: false }));
        poison.set(STATS_URL, oversized(STATS_URL, { declare: false }));
      },
      reasons: Object.fromEntries(['sets', 'analyses', 'moveset statistics'].map((k) => [k, new RegExp(`^larger than the ${CAP}-byte cap$`)])),
      check: async () => {
        // The worker stopped reading at the cap: nowhere near 50 MiB left the fake upstream. The
        // upstream sees either the connection closed or its writes stall (backpressure): wait a
        // moment for the count to settle, then it must be far below 50.
        const undeclared = streamed.filter((s) => s.url !== SETS_URL);
        assert.equal(undeclared.length, 2);
        for (let waited = 0; waited < 3000 && undeclared.some((s) => !s.closed); waited += 100) {
          await new Promise((r) => setTimeout(r, 100));
        }
        for (const s of undeclared) assert.ok(s.chunks < 50, `${s.url}: ${s.chunks} MiB sent (closed: ${s.closed})`);
      },
    },
    {
      name: 'one species where there were 113',
      serve: () => poison.set(SETS_URL, body(JSON.stringify({ [SPECIES[0]]: SETS[SPECIES[0]] }))),
      reasons: { sets: new RegExp(`^1 species where the last good version had ${SPECIES.length}$`) },
    },
  ];

  /** An upstream run while `serve` has poisoned the fake upstream; the poison is cleared after. */
  async function poisonedRun(serve) {
    serve();
    try {
      return await upstreamRun();
    } finally {
      poison.clear();
    }
  }

  for (const c of cases) {
    test(`${c.name}: refused, alerted, nothing changes`, async () => {
      const alertsBefore = alerts.length;
      const { run, fetched } = await poisonedRun(c.serve);
      assertFetchedOnce(fetched);
      const r = run.report;
      assert.equal(r.errors, 0, JSON.stringify(r.errorSamples));
      assert.equal(r.documentsWritten, 0);
      assert.equal(r.documentsDeleted, 0);
      const kinds = Object.keys(c.reasons);
      assert.equal(r.refusals.length, kinds.length, JSON.stringify(r.refusals));
      for (const [i, kind] of kinds.entries()) {
        const m = /^gen9ou: upstream (.+?) refused \((.*)\); kept the last good version$/.exec(r.refusals[i]);
        assert.ok(m, r.refusals[i]);
        assert.equal(m[1], kind);
        assert.match(m[2], c.reasons[kind]);
      }
      for (const refusal of r.refusals) assert.ok(r.notes.includes(refusal), 'each refusal is a note');
      await c.check?.();

      const [alert] = await alertsSince(alertsBefore);
      assert.equal(alert.event, 'ingestion.refused');
      assert.equal(alert.report.runId, run.id);
      const line = readFileSync(path.join(REPO_ROOT, `.wrangler/run/worker-${PORT}.log`), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"ingestion finished"'))
        .map((l) => JSON.parse(l.slice(l.indexOf('{'))))
        .find((l) => l.fields.run === run.id);
      assert.equal(line?.fields.refusals, kinds.length, 'the log line counts the refusals');
      assert.deepEqual(alert.report.refusals, r.refusals);

      assert.deepEqual(await snapshot(), baseline);
    });
  }

  test('a slow body or no answer at all times out: errors, the last good versions stay, the run does not hang', async () => {
    const alertsBefore = alerts.length;
    const started = Date.now();
    const { run, fetched } = await poisonedRun(() => {
      poison.set(SETS_URL, slow(SETS_URL));
      poison.set(ANALYSES_URL, (req, res) => stalled.push(res)); // not even headers
    });
    assertFetchedOnce(fetched);
    assert.ok(Date.now() - started < 25_000, `${Date.now() - started} ms`);
    assert.deepEqual(run.report.errorSamples, [
      'gen9ou: upstream sets: timed out after 3000 ms; kept the last good version',
      'gen9ou: upstream analyses: timed out after 3000 ms; kept the last good version',
    ]);
    assert.deepEqual(run.report.refusals, []);
    assert.equal(run.report.documentsWritten + run.report.documentsDeleted, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alerts.length, alertsBefore, 'two errors are under the alert threshold');
    assert.deepEqual(await snapshot(), baseline);
  });

  test('a mass delete is refused, then accepted with the override, then restored', async () => {
    // gen2nu (sets only: one document per species). 26 of its 40 species: plausible as a file
    // (more than half of the species and bytes), but it would delete far more than 20% of the
    // format's documents.
    const FORMAT = 'gen2nu';
    const URL = `/sets/${FORMAT}.json`;
    const full = JSON.parse(real(URL));
    const names = Object.keys(full);
    const kept = names.slice(0, Math.ceil(names.length * 0.65));
    const gone = names[names.length - 1];
    const shrunk = Buffer.from(JSON.stringify(Object.fromEntries(kept.map((s) => [s, full[s]]))));
    assert.ok(shrunk.length > real(URL).length / 2, 'a plausible size');
    const only = { formats: [FORMAT], refreshStats: false };

    const { run: first } = await upstreamRun(only);
    assert.equal(first.report.errors, 0, JSON.stringify(first.report.errorSamples));
    const before = await snapshot(FORMAT, [kept[0], gone]);
    assert.ok(before.popular[1].smogonSets?.length >= 1, `${gone} has Smogon sets`);

    let alertsBefore = alerts.length;
    poison.set(URL, body(shrunk));
    const { run: refused, fetched } = await upstreamRun(only);
    assertFetchedOnce(fetched, [URL]);
    const r = refused.report;
    assert.equal(r.refusals.length, 1, JSON.stringify(r));
    const m = /^gen2nu: refused to delete (\d+) of (\d+) documents \((\d+)% > 20%\); nothing of the format was changed; rerun with allowMassDelete to accept$/.exec(r.refusals[0]);
    assert.ok(m, r.refusals[0]);
    const [deletes, existing] = [Number(m[1]), Number(m[2])];
    assert.equal(existing, before.index.documents);
    assert.ok(deletes > existing * 0.2, `${deletes} of ${existing}`);
    assert.ok(r.notes.includes(r.refusals[0]));
    assert.equal(r.documentsWritten + r.documentsDeleted, 0);
    const [alert] = await alertsSince(alertsBefore);
    assert.equal(alert.event, 'ingestion.refused');
    assert.deepEqual(alert.report.refusals, r.refusals);
    assert.deepEqual(await snapshot(FORMAT, [kept[0], gone]), before, `the refused file was not promoted: ${gone} keeps its sets`);

    // The override must name its formats.
    const unnamed = await admin('POST', '/admin/ingest', { source: 'upstream', allowMassDelete: true });
    assert.equal(unnamed.status, 400);
    assert.equal((await admin('GET', '/admin/ingest')).json.current, null, 'nothing started');

    alertsBefore = alerts.length;
    const { run: accepted } = await upstreamRun({ ...only, allowMassDelete: true });
    assert.deepEqual(accepted.report.refusals, [], JSON.stringify(accepted.report.notes));
    assert.equal(accepted.report.errors, 0);
    assert.equal(accepted.report.documentsDeleted, deletes);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alerts.length, alertsBefore, 'an accepted run sends no alert');
    const after = await snapshot(FORMAT, [kept[0], gone]);
    assert.equal(after.index.documents, existing - deletes);
    assert.equal(after.popular[1].isError, true, `${gone} lost its Smogon sets`);
    assert.match(after.popular[1].text, /No sets found/);
    assert.deepEqual(after.popular[0], before.popular[0], 'survivors keep theirs');
    poison.clear();

    // The full file again: growth is never guarded; everything returns.
    const { run: restored } = await upstreamRun(only);
    assert.deepEqual(restored.report.refusals, []);
    assert.equal(restored.report.documentsDeleted, 0);
    assert.equal(restored.report.documentsWritten, deletes);
    const back = await snapshot(FORMAT, [kept[0], gone]);
    const untimed = (v) => ({ ...v, index: { ...v.index, updatedAtMs: 0 } });
    assert.deepEqual(untimed(back), untimed(before));
  });
});

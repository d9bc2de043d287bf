// Corpus ingestion (issue #4) end to end in workerd: raw files → R2 cache → documents in KV and
// the per-format FTS5 index; idempotent re-runs; edits replace; removed species are deleted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';

import { BASE_URL, REPO_ROOT } from './harness.mjs';

const run = promisify(execFile);
const DATA = path.join(REPO_ROOT, '../shared/data');
const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const auth = { Authorization: `Bearer ${token}` };

async function load(formats, { upload = true } = {}) {
  const args = ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', formats.join(',')];
  if (!upload) args.push('--no-upload');
  const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT, timeout: 120_000 });
  return JSON.parse(stdout);
}

async function admin(method, route, body) {
  const res = await fetch(`${BASE_URL}${route}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

const search = async (format, query, extra = {}) =>
  (await admin('POST', `/admin/index/${format}/search`, { query, limit: 10, ...extra })).json;
const stats = async (format) => (await admin('GET', `/admin/index/${format}/stats`)).json;

describe('admin endpoints are authenticated', () => {
  test('no or wrong token → 401; raw keys are validated', async () => {
    assert.equal((await fetch(`${BASE_URL}/admin/ingest`)).status, 401);
    assert.equal((await fetch(`${BASE_URL}/admin/ingest`, { headers: { Authorization: 'Bearer nope' } })).status, 401);
    for (const key of ['../x', 'sets/../../x', 'other/x.json', 'sets//x']) {
      const r = await admin('PUT', `/admin/raw/${key}`, '{}');
      assert.ok([400, 404].includes(r.status), `${key}: ${r.status}`);
    }
  });
});

describe('local ingestion of gen9ou and gen1ou', () => {
  let first;
  before(async () => {
    first = await load(['gen9ou', 'gen1ou']);
  });

  test('the run accounts for every document (written or already current), with no errors', async () => {
    // Another test file may have ingested gen9ou from the fake upstream already: whatever was
    // current is left alone, everything else is written.
    assert.equal(first.status, 'finished');
    assert.equal(first.report.errors, 0, JSON.stringify(first.report.errorSamples));
    const total = (await stats('gen9ou')).documents + (await stats('gen1ou')).documents;
    assert.equal(first.report.documentsWritten + first.report.documentsUnchanged, total);
    assert.ok(first.report.documentsWritten > 0);
    assert.equal(first.report.documentsDeleted, 0);
    const gen9 = JSON.parse(readFileSync(path.join(DATA, 'pkmn-sets/gen9ou.json'), 'utf8'));
    assert.ok((await stats('gen9ou')).pokemon >= Object.keys(gen9).length, 'every species with sets is indexed');
  });

  test('each run leaves one structured JSON log line with its metrics', async () => {
    const log = readFileSync(path.join(REPO_ROOT, `.wrangler/run/worker-${process.env.PORYGON_PORT}.log`), 'utf8');
    const lines = log.split('\n').filter((l) => l.includes('"ingestion finished"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    const line = lines.find((l) => l.fields.run === first.id);
    assert.ok(line, `no log line for ${first.id}`);
    assert.equal(line.level, 'INFO');
    assert.equal(line.fields.written, first.report.documentsWritten);
    assert.equal(line.fields.errors, 0);
    assert.equal(typeof line.fields.duration_ms, 'number');
  });

  test('a known phrase from an analysis is found, with provenance', async () => {
    const hits = await search('gen9ou', 'defensive pivot that is able to take hits', { phrase: true });
    const zapdos = hits.find((h) => h.pokemonId === 'zapdos');
    assert.ok(zapdos, JSON.stringify(hits.map((h) => h.key)));
    assert.equal(zapdos.section, 'set');
    assert.equal(zapdos.setName, 'Defensive');
    assert.match(zapdos.sourceUrl, /^https:\/\/www\.smogon\.com\/dex\/sv\/pokemon\/zapdos\//);
    const doc = await admin('GET', `/admin/doc/${encodeURIComponent(zapdos.key)}`);
    assert.equal(doc.status, 200);
    assert.match(doc.json.text, /defensive pivot/);
  });

  test('usage documents carry the report numbers', async () => {
    const hits = await search('gen9ou', 'Kingambit Supreme Overlord', { pokemonId: 'kingambit', section: 'usage' });
    assert.ok(hits.length >= 1);
    assert.match(hits[0].text, /99\.477%/);
    assert.match(hits[0].text, /42\.249%/);
  });

  test('FTS syntax in a query is inert', async () => {
    for (const q of ['"unbalanced', 'NEAR(', '-', 'title:foo', '*', 'AND OR NOT']) {
      const r = await admin('POST', '/admin/index/gen9ou/search', { query: q, limit: 5 });
      assert.equal(r.status, 200, q);
      assert.ok(Array.isArray(r.json));
    }
  });

  test('re-running the same corpus changes nothing', async () => {
    const again = await load(['gen9ou', 'gen1ou'], { upload: false });
    assert.equal(again.report.documentsWritten, 0);
    assert.equal(again.report.documentsDeleted, 0);
    assert.equal(again.report.documentsUnchanged, first.report.documentsWritten + first.report.documentsUnchanged);
  });
});

describe('edits and removals', () => {
  const FORMAT = 'gen1nu';
  const original = JSON.parse(readFileSync(path.join(DATA, `pkmn-sets/${FORMAT}.json`), 'utf8'));
  const species = Object.keys(original);

  async function ingestSets(sets) {
    const put = await admin('PUT', `/admin/raw/sets/${FORMAT}.json`, JSON.stringify(sets));
    assert.equal(put.status, 201);
    return load([FORMAT], { upload: false });
  }

  test('an edited set replaces its document; a removed species is deleted everywhere', async () => {
    const base = await ingestSets(original);
    assert.equal(base.report.errors, 0);
    const before = (await stats(FORMAT)).documents;

    const edited = structuredClone(original);
    const [target] = species;
    const setName = Object.keys(edited[target])[0];
    edited[target][setName].moves = ['Hyper Beam', 'Explosion', 'Swords Dance', 'Substitute'];
    const afterEdit = await ingestSets(edited);
    assert.ok(afterEdit.report.documentsWritten >= 1);
    assert.equal(afterEdit.report.documentsDeleted, 0);
    assert.equal((await stats(FORMAT)).documents, before, 'replaced, not duplicated');

    const removed = species[1];
    const trimmed = structuredClone(edited);
    delete trimmed[removed];
    const removedId = removed.toLowerCase().replace(/[^a-z0-9]/g, '');
    const keysBefore = (await search(FORMAT, removed, { pokemonId: removedId })).map((h) => h.key);
    assert.ok(keysBefore.length >= 1);
    const afterRemoval = await ingestSets(trimmed);
    assert.equal(afterRemoval.report.documentsDeleted, keysBefore.length);
    assert.deepEqual(await search(FORMAT, removed, { pokemonId: removedId }), []);
    for (const key of keysBefore) assert.equal((await admin('GET', `/admin/doc/${encodeURIComponent(key)}`)).status, 404);
  });
});

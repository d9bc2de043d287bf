// Corpus ingestion (issue #4) end to end in workerd: raw files → R2 cache → documents in KV and
// the per-format FTS5 index; idempotent re-runs; edits replace; removed species are deleted;
// unchanged documents are refreshed in KV before their TTL ends and get vectors they lack.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';

import { BASE_URL, REPO_ROOT, STATE } from './harness.mjs';

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

/** Starts a run from the R2 cache and waits for it to finish. */
async function ingest(body) {
  const start = await admin('POST', '/admin/ingest', { source: 'cache', trigger: 'test', ...body });
  assert.equal(start.status, 202, JSON.stringify(start.json));
  for (let i = 0; i < 1200; i++) {
    const state = (await admin('GET', '/admin/ingest')).json;
    if (!state.current && state.last?.id === start.json.id) return state.last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${start.json.id} did not finish`);
}

/** KV expiry (seconds) of every key under `prefix`, as workerd stored it. */
async function expirations(prefix) {
  const wrangler = path.join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js');
  const args = ['kv', 'key', 'list', '--binding', 'STRATEGY_KV', '--prefix', prefix, '--local', '--persist-to', path.resolve(REPO_ROOT, STATE)];
  const { stdout } = await run(process.execPath, [wrangler, ...args], { cwd: REPO_ROOT, timeout: 60_000, maxBuffer: 1 << 26 });
  return Object.fromEntries(JSON.parse(stdout.slice(stdout.indexOf('['))).map((k) => [k.name, k.expiration]));
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
    // Every read replica of the index (INDEX_REPLICAS, wrangler.toml) holds the same documents.
    const { replicas, documents } = await stats('gen9ou');
    assert.ok(replicas.length >= 2, `replicas: ${replicas.length}`);
    for (const r of replicas) assert.deepEqual([r.documents, r.pokemon], [documents, (await stats('gen9ou')).pokemon]);
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
    assert.equal(again.report.documentsRefreshed, 0);
    assert.equal(again.report.documentsReembedded, 0);
    assert.equal(again.report.embeddingsGenerated, 0);
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

// Refresh ages and Workers AI/Vectorize are out of reach locally, so these runs carry test-only
// faults (`edge::faults::IngestFaults`, honoured only by the `faults` build with
// ENVIRONMENT=local): a refresh age of 0, and semantic search through the contract fakes.
describe('upkeep of unchanged documents', () => {
  test('a body past the refresh age is rewritten with a fresh TTL, not counted as a change', async () => {
    const FORMAT = 'gen2uu';
    await load([FORMAT]);
    const { documents, updatedAtMs } = await stats(FORMAT);
    const before = await expirations(`doc:v1:${FORMAT}:`);
    assert.equal(Object.keys(before).length, documents);
    assert.ok(Object.values(before).every((e) => typeof e === 'number'), 'bodies carry a TTL');
    const version = (await admin('GET', `/admin/doc/${encodeURIComponent('meta:dataset-version')}`)).json;
    await new Promise((r) => setTimeout(r, 1_100)); // expirations are whole seconds

    const refresh = await ingest({ formats: [FORMAT], faults: { refreshAfterMs: 0 } });
    assert.equal(refresh.report.errors, 0, JSON.stringify(refresh.report.errorSamples));
    assert.equal(refresh.report.documentsRefreshed, documents);
    assert.equal(refresh.report.documentsWritten, 0);
    assert.equal(refresh.report.documentsUnchanged, documents);
    assert.equal(refresh.report.embeddingsGenerated, 0);
    assert.equal(refresh.steps, Math.ceil(documents / 200), 'each body refreshed once, ≤ 200 per step');
    const after = await expirations(`doc:v1:${FORMAT}:`);
    for (const [key, expiry] of Object.entries(before)) assert.ok(after[key] > expiry, `${key}: ${expiry} → ${after[key]}`);
    assert.ok((await stats(FORMAT)).updatedAtMs > updatedAtMs, 'the index records the rewrite');
    const versionAfter = (await admin('GET', `/admin/doc/${encodeURIComponent('meta:dataset-version')}`)).json;
    assert.equal(versionAfter, version, 'no content changed: caches stay valid');

    const normal = await ingest({ formats: [FORMAT] });
    assert.equal(normal.report.documentsRefreshed, 0, 'younger than 60 days');
  });

  test('vectors missing after an outage are made later; a rebuild re-makes them all in bounded steps', async () => {
    const FORMAT = 'gen7pu';
    const put = await admin('PUT', `/admin/raw/sets/${FORMAT}.json`, readFileSync(path.join(DATA, `pkmn-sets/${FORMAT}.json`), 'utf8'));
    assert.equal(put.status, 201);

    const outage = await ingest({ formats: [FORMAT], faults: { semantic: 'down' } });
    const total = (await stats(FORMAT)).documents;
    assert.ok(total > 200, `${total} documents: more than one step`);
    assert.equal(outage.report.documentsWritten, total);
    assert.ok(outage.report.errors >= 1);
    assert.ok(outage.report.errorSamples.every((e) => e.startsWith(`${FORMAT}: vectors: `)), JSON.stringify(outage.report.errorSamples));
    assert.equal((await stats(FORMAT)).embedded, 0);

    const repair = await ingest({ formats: [FORMAT], faults: { semantic: 'up' } });
    assert.equal(repair.report.errors, 0, JSON.stringify(repair.report.errorSamples));
    assert.equal(repair.report.documentsWritten, 0, 'not a content change');
    assert.equal(repair.report.documentsUnchanged, total);
    assert.equal(repair.report.documentsReembedded, total);
    assert.equal(repair.report.embeddingsGenerated, total);
    assert.equal((await stats(FORMAT)).embedded, total);

    const steady = await ingest({ formats: [FORMAT], faults: { semantic: 'up' } });
    assert.equal(steady.report.documentsReembedded, 0);
    assert.equal(steady.report.embeddingsGenerated, 0);

    const rebuild = await ingest({ formats: [FORMAT], reembed: true, faults: { semantic: 'up' } });
    assert.equal(rebuild.report.errors, 0, JSON.stringify(rebuild.report.errorSamples));
    assert.equal(rebuild.report.documentsReembedded, total);
    assert.equal(rebuild.report.embeddingsGenerated, total);
    assert.equal(rebuild.report.documentsWritten, 0);
    assert.equal(rebuild.report.documentsRefreshed, 0);
    assert.equal(rebuild.steps, Math.ceil(total / 200), 'at most 200 per step');

    const local = await ingest({ formats: [FORMAT], reembed: true });
    assert.equal(local.report.documentsReembedded, 0, 'not bound: nothing to do');
    assert.equal(local.report.embeddingsGenerated, 0);
    assert.equal(local.report.errors, 0);
    assert.deepEqual(local.report.notes, ['re-embedding was requested, but Workers AI / Vectorize are not bound here']);
  });
});

// KV backups into R2, restore and verify (issue #6), end to end in workerd. KV holds real
// documents (gen9ou), a real API key and synthetic keys with binary values, metadata,
// expirations, odd key names and values large enough to split a KV page into several parts.
// After a backup the local KV storage is deleted from disk (worker stopped), the backup is
// restored, and every key, value, expiration and metadata is compared byte for byte — read
// straight from miniflare's files (SQLite + blobs), independently of the server's code. The
// cron path and retention pruning run against the same bucket, whose objects are read from disk
// too. Synthetic keys are removed at the end, so KV is left as the other test files expect it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, PORT, REPO_ROOT, STATE } from './harness.mjs';

// node:sqlite is experimental in Node 22: keep its one-time warning out of the test output.
const emit = process.emitWarning;
process.emitWarning = (w, ...rest) => (String(w).includes('SQLite') ? undefined : emit.call(process, w, ...rest));
const { DatabaseSync } = await import('node:sqlite');

const run = promisify(execFile);
const STATE_DIR = path.resolve(REPO_ROOT, STATE);
const WRANGLER = path.join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js');
const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const auth = { Authorization: `Bearer ${token}` };
/** wrangler.toml's local KV namespace ids and R2 bucket → bindings. */
const KV_DIRS = { 'porygon-local-strategy': 'STRATEGY_KV', 'porygon-local-api-keys': 'API_KEYS' };
const BUCKET = 'porygon-backups-local';
const DAY = 86_400_000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'porygon-backup-test-'));

async function admin(method, route) {
  const res = await fetch(`${BASE_URL}${route}`, { method, headers: auth });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function script(...args) {
  const { stdout, stderr } = await run(process.execPath, ['scripts/backup.mjs', '--url', BASE_URL, ...args], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
  return { result: JSON.parse(stdout), log: stderr };
}

const wrangler = (...args) =>
  run(process.execPath, [WRANGLER, ...args, '--local', '--persist-to', STATE_DIR], { cwd: REPO_ROOT, timeout: 60_000, maxBuffer: 1 << 26 });

function workerSh(command) {
  return run(path.join(REPO_ROOT, 'scripts/worker.sh'), [command], { cwd: REPO_ROOT, env: { ...process.env, PORT, STATE }, timeout: 120_000 });
}

async function waitFor(what, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The rows of the SQLite store (under miniflare's `<kind>/miniflare-*Object/`) whose blobs live in `<kind>/<dir>/blobs`. */
function storeRows(kind, dir, table, columns) {
  const root = path.join(STATE_DIR, 'v3', kind);
  const blobs = path.join(root, dir, 'blobs');
  const dbDir = existsSync(root) ? readdirSync(root).find((d) => d.startsWith('miniflare-')) : undefined;
  if (!dbDir || !existsSync(blobs)) return [];
  for (const file of readdirSync(path.join(root, dbDir)).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')) {
    const db = new DatabaseSync(path.join(root, dbDir, file), { readOnly: true });
    try {
      const rows = db.prepare(`SELECT ${columns} FROM ${table} ORDER BY key`).all();
      if (rows.some((r) => r.blob_id && existsSync(path.join(blobs, r.blob_id)))) {
        return rows.map((r) => ({ ...r, blob: () => readFileSync(path.join(blobs, r.blob_id)) }));
      }
    } finally {
      db.close();
    }
  }
  return [];
}

/** Every live key of both local KV namespaces, from disk: {binding: Map(key → {value, expiration (s), metadata})}. */
function kvFromDisk() {
  const out = {};
  for (const [dir, binding] of Object.entries(KV_DIRS)) {
    out[binding] = new Map();
    for (const r of storeRows('kv', dir, '_mf_entries', 'key, blob_id, expiration, metadata')) {
      if (r.expiration !== null && r.expiration <= Date.now()) continue;
      assert.equal(r.expiration === null || r.expiration % 1000 === 0, true, 'KV keeps whole seconds');
      out[binding].set(r.key, { value: r.blob(), expiration: r.expiration === null ? null : r.expiration / 1000, metadata: r.metadata });
    }
  }
  return out;
}

/** The backup bucket's objects, from disk: Map(key → () => bytes). */
function r2FromDisk() {
  return new Map(storeRows('r2', BUCKET, '_mf_objects', 'key, blob_id').filter((r) => r.blob_id).map((r) => [r.key, r.blob]));
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const size = (snapshot) => Object.values(snapshot).reduce((n, m) => n + m.size, 0);
const bytesOf = (snapshot) =>
  Object.values(snapshot).reduce((n, m) => n + [...m.values()].reduce((s, e) => s + e.value.length, 0), 0);

function assertSameKv(actual, expected) {
  for (const binding of Object.values(KV_DIRS)) {
    const a = actual[binding];
    const e = expected[binding];
    assert.deepEqual([...a.keys()], [...e.keys()], `${binding}: the same keys`);
    for (const [key, want] of e) {
      const got = a.get(key);
      assert.ok(got.value.equals(want.value), `${binding} ${key}: value bytes`);
      assert.equal(got.expiration, want.expiration, `${binding} ${key}: expiration`);
      assert.equal(got.metadata, want.metadata, `${binding} ${key}: metadata`);
    }
  }
}

async function triggerCron(cron) {
  const res = await fetch(`${BASE_URL}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron).replace(/%20/g, '+')}`);
  assert.ok(res.ok, `scheduled handler: ${res.status}`);
}

/** The synthetic keys: every shape a value, a key, an expiration or metadata can take. */
function syntheticKeys() {
  const now = Math.floor(Date.now() / 1000);
  const strategy = [];
  for (let i = 0; i < 700; i++) {
    const entry = { key: `backup-test:small:${String(i).padStart(4, '0')}`, value: JSON.stringify({ i, text: 'Flabébé ✨ "q" \\ \n' }) };
    if (i % 11 === 0) Object.assign(entry, { value: randomBytes(40 + (i % 50)).toString('base64'), base64: true });
    if (i % 7 === 0) entry.metadata = { z: i, a: [1, 2], nested: { y: true, b: null } }; // key order must survive
    if (i % 5 === 0) entry.expiration = now + 30 * 86_400 + i;
    strategy.push(entry);
  }
  strategy[1].value = '';
  strategy.push(
    { key: 'backup-test:ünïcødé 😀', value: 'ü', metadata: { ü: 'ö' } },
    { key: 'backup-test:quote"and\\backslash', value: '\u0000\u2028' },
    { key: 'backup-test:invalid-utf8', value: Buffer.from([0xff, 0xfe, 0x41, 0xc3]).toString('base64'), base64: true },
  );
  // Three 3 MiB values: a part closes at 8 MiB of values, so these split the first KV page.
  for (let i = 1; i <= 3; i++) strategy.push({ key: `backup-test:big:${i}`, value: randomBytes(3 << 20).toString('base64'), base64: true });
  const apiKeys = [{ key: 'backup-test:api', value: '{"note":"synthetic"}', metadata: { b: 2, a: 1 }, expiration: now + 90 * 86_400 }];
  return { STRATEGY_KV: strategy, API_KEYS: apiKeys };
}

async function bulk(action, binding, entries) {
  const file = path.join(tmp, `${action}-${binding}.json`);
  writeFileSync(file, JSON.stringify(action === 'delete' ? entries.map((e) => e.key ?? e) : entries));
  await wrangler('kv', 'bulk', action, file, '--binding', binding, ...(action === 'delete' ? ['--force'] : []));
}

describe('KV backups, restore and verify', () => {
  let synthetic;
  let apiKey;
  let first; // the first backup's manifest
  let snapshot; // KV on disk when it was taken

  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'], { cwd: REPO_ROOT, timeout: 120_000 });
    const created = await run(process.execPath, ['scripts/apikey.mjs', 'create', '--name', 'backup test', '--persist-to', STATE_DIR], { cwd: REPO_ROOT });
    apiKey = JSON.parse(created.stdout);
    synthetic = syntheticKeys();
    await Promise.all(Object.entries(synthetic).map(([binding, entries]) => bulk('put', binding, entries)));
  });

  after(async () => {
    if (synthetic) await Promise.all(Object.entries(synthetic).map(([binding, entries]) => bulk('delete', binding, entries)));
    if (apiKey) await run(process.execPath, ['scripts/apikey.mjs', 'revoke', '--id', apiKey.id, '--persist-to', STATE_DIR], { cwd: REPO_ROOT });
    rmSync(tmp, { recursive: true, force: true });
  });

  test('a backup copies both namespaces into checksummed parts in the documented format', async (t) => {
    const started = Date.now();
    const { result } = await script('start');
    first = result.manifest;
    snapshot = kvFromDisk();
    t.diagnostic(`backup ${first.id}: ${first.keys} keys, ${first.valueBytes} value bytes, ${first.partBytes} part bytes, ${Date.now() - started} ms`);
    assert.match(first.id, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    assert.ok(snapshot.STRATEGY_KV.size > 1000 && snapshot.API_KEYS.size >= 3, 'documents, synthetic keys and the API key exist');
    assert.equal(first.keys, size(snapshot));
    assert.equal(first.valueBytes, bytesOf(snapshot));
    for (const ns of first.namespaces) assert.equal(ns.keys, snapshot[ns.binding].size, ns.binding);

    const strategy = first.namespaces.find((n) => n.binding === 'STRATEGY_KV');
    assert.ok(strategy.parts.length >= 4, `pages of ≤ 500 keys, and the byte cap splits one: ${strategy.parts.length} parts`);
    assert.deepEqual(strategy.parts[0], { ...strategy.parts[0], keys: 3, firstKey: 'backup-test:big:1', lastKey: 'backup-test:big:3' });
    assert.equal(strategy.parts[1].key, `kv/${first.id}/STRATEGY_KV/part-00002`);

    // Read the parts back from disk and decode them as RUNBOOK.md documents the format.
    const objects = r2FromDisk();
    assert.deepEqual(JSON.parse(objects.get(`kv/${first.id}/manifest.json`)()), first);
    for (const ns of first.namespaces) {
      const decoded = new Map();
      for (const part of ns.parts) {
        const bytes = objects.get(part.key)();
        assert.equal(sha256(bytes), part.sha256, part.key);
        assert.equal(bytes.length, part.bytes);
        const lines = bytes.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        assert.equal(lines.length, part.keys);
        assert.deepEqual([lines[0].key, lines.at(-1).key], [part.firstKey, part.lastKey]);
        for (const l of lines) {
          const value = 'value' in l ? Buffer.from(l.value, 'utf8') : Buffer.from(l.valueBase64, 'base64');
          decoded.set(l.key, { value, expiration: l.expiration ?? null, metadata: l.metadata ?? null });
        }
      }
      assertSameKv({ ...snapshot, [ns.binding]: decoded }, snapshot);
    }
  });

  test('after KV is wiped, a restore puts back every key byte for byte', async (t) => {
    // The disaster: the worker stops and the local KV storage is deleted from disk.
    await workerSh('stop');
    const stopped = kvFromDisk();
    assertSameKv(stopped, snapshot);
    rmSync(path.join(STATE_DIR, 'v3/kv'), { recursive: true, force: true });
    await workerSh('start');
    assert.equal(size(kvFromDisk()), 0);
    const doc = [...snapshot.STRATEGY_KV.keys()].find((k) => k.startsWith('doc:v1:gen9ou:'));
    assert.equal((await admin('GET', `/admin/doc/${encodeURIComponent(doc)}`)).status, 404, 'the documents are gone');

    const gone = await script('verify', first.id).catch((e) => e);
    assert.equal(gone.code, 3, 'verify exits 3 when keys are missing');
    const missing = JSON.parse(gone.stdout);
    assert.deepEqual([missing.equal, missing.different, missing.missing], [0, 0, first.keys]);

    const started = Date.now();
    const { result: restored } = await script('restore', first.id);
    const restoreMs = Date.now() - started;
    assert.equal(restored.restored, first.keys);
    assert.equal(restored.skippedExpiring, 0);
    assert.equal(restored.valueBytes, first.valueBytes);
    assertSameKv(kvFromDisk(), snapshot);
    assert.equal((await admin('GET', `/admin/doc/${encodeURIComponent(doc)}`)).status, 200);

    const { result: verified } = await script('verify', first.id);
    assert.deepEqual([verified.equal, verified.different, verified.missing, verified.expired], [first.keys, 0, 0, 0]);
    t.diagnostic(
      `restored ${restored.restored} keys (${restored.valueBytes} bytes) in ${restoreMs} ms; ` +
        `verified ${verified.equal} equal in ${verified.durationMs} ms; compared from disk byte for byte`,
    );
  });

  test('verify reports a changed key', async () => {
    const target = synthetic.STRATEGY_KV[3];
    await wrangler('kv', 'key', 'put', target.key, 'changed', '--binding', 'STRATEGY_KV');
    const changed = await script('verify', first.id).catch((e) => e);
    assert.equal(changed.code, 3);
    const report = JSON.parse(changed.stdout);
    assert.deepEqual([report.equal, report.different, report.missing], [first.keys - 1, 1, 0]);
    assert.deepEqual(report.mismatches, [{ binding: 'STRATEGY_KV', key: target.key, differs: ['value'] }]);
  });

  let cronBackup;
  let fakes;
  test('the daily cron takes a backup (and starts no ingestion)', async () => {
    const ingestBefore = (await admin('GET', '/admin/ingest')).json;
    await triggerCron('23 3 * * *');
    const state = await waitFor('the cron backup', async () => {
      const s = (await admin('GET', '/admin/backups')).json;
      return !s.current && s.last.backup?.trigger === 'cron:23 3 * * *' && s;
    });
    cronBackup = state.last.backup.backupId;
    const listed = state.backups.find((b) => b.id === cronBackup);
    assert.equal(listed.status, 'complete');
    assert.equal(listed.keys, first.keys);
    const ingestAfter = (await admin('GET', '/admin/ingest')).json;
    assert.equal(ingestAfter.current, null);
    assert.deepEqual(ingestAfter.last?.id, ingestBefore.last?.id, 'no ingestion run');
    if (cronBackup.slice(0, 10) === first.id.slice(0, 10)) {
      // Retention keeps the newest backup of a day: the first one is gone, objects and all.
      assert.ok(!state.backups.some((b) => b.id === first.id));
      assert.ok(![...r2FromDisk().keys()].some((k) => k.startsWith(`kv/${first.id}/`)));
    }
  });

  test('retention prunes old, superseded and abandoned backups after a backup', async (t) => {
    // Backups from "earlier", written straight into the local bucket with wrangler.
    const now = Date.now();
    const idAt = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z').replace(/:/g, '-');
    const twoDaysAgo = Math.floor(now / DAY) * DAY - 2 * DAY;
    fakes = {
      yearOld: { id: idAt(now - 400 * DAY), complete: true, kept: false },
      monthly: { id: idAt(now - 40 * DAY), complete: true, kept: true },
      supersededSameDay: { id: idAt(twoDaysAgo + 3_600_000), complete: true, kept: false },
      dailyNewest: { id: idAt(twoDaysAgo + 7_200_000), complete: true, kept: true },
      abandoned: { id: idAt(now - 3 * DAY), complete: false, kept: false },
      recentIncomplete: { id: idAt(now - 3_600_000), complete: false, kept: true },
    };
    const uploads = [];
    for (const [name, f] of Object.entries(fakes)) {
      const partKey = `kv/${f.id}/API_KEYS/part-00001`;
      const part = Buffer.from(`{"key":"fake:${name}","value":"x"}\n`);
      const partFile = path.join(tmp, `${name}.part`);
      writeFileSync(partFile, part);
      uploads.push({ key: partKey, file: partFile });
      if (!f.complete) continue;
      const t0 = Date.parse(f.id.replace(/T(\d\d)-(\d\d)-(\d\d)Z/, 'T$1:$2:$3Z'));
      const manifest = {
        format: 'porygon-kv-backup/1', id: f.id, trigger: 'test', startedAt: new Date(t0).toISOString(), startedAtMs: t0,
        finishedAt: new Date(t0 + 1000).toISOString(), finishedAtMs: t0 + 1000, keys: 1, valueBytes: 1, partBytes: part.length,
        namespaces: [{ binding: 'API_KEYS', keys: 1, valueBytes: 1, partBytes: part.length, vanished: 0,
          parts: [{ key: partKey, keys: 1, bytes: part.length, sha256: sha256(part), firstKey: `fake:${name}`, lastKey: `fake:${name}` }] }],
      };
      const manifestFile = path.join(tmp, `${name}.json`);
      writeFileSync(manifestFile, JSON.stringify(manifest));
      uploads.push({ key: `kv/${f.id}/manifest.json`, file: manifestFile });
    }
    uploads.push({ key: 'kv/manual-copy/notes.txt', file: path.join(tmp, 'yearOld.part') });
    const list = path.join(tmp, 'r2-bulk.json');
    writeFileSync(list, JSON.stringify(uploads));
    await wrangler('r2', 'bulk', 'put', BUCKET, '--filename', list);

    const listed = (await admin('GET', '/admin/backups')).json.backups;
    assert.equal(listed.find((b) => b.id === fakes.yearOld.id).status, 'complete');
    assert.equal(listed.find((b) => b.id === fakes.abandoned.id).status, 'incomplete');
    assert.equal((await admin('GET', `/admin/backups/${fakes.abandoned.id}`)).status, 409, 'an incomplete backup has no manifest');

    // One job at a time: a second backup, or a restore, while one runs → 409.
    const started = await admin('POST', '/admin/backups');
    assert.equal(started.status, 202);
    const [again, restore] = await Promise.all([admin('POST', '/admin/backups'), admin('POST', `/admin/backups/${fakes.monthly.id}/restore`)]);
    assert.equal(again.status, 409, JSON.stringify(again.json));
    assert.equal(restore.status, 409);
    // Within the same second the id is taken too; either refusal names the conflict.
    assert.match(again.json.error, /is running|exists: retry in a second/);
    const done = await waitFor('the backup', async () => {
      const s = (await admin('GET', '/admin/backups')).json;
      return !s.current && s.last.backup?.backupId === started.json.backupId && s.last.backup;
    });
    assert.equal(done.status, 'finished');
    const prune = done.task.progress.prune;
    const expectPruned = Object.values(fakes).filter((f) => !f.kept).map((f) => f.id);
    if (cronBackup.slice(0, 10) === started.json.backupId.slice(0, 10)) expectPruned.push(cronBackup);
    assert.deepEqual([...prune.delete].sort(), expectPruned.sort());
    t.diagnostic(`pruned ${prune.delete.length} backups (${prune.objectsDeleted} objects); kept ${prune.keep.map((k) => `${k.id} [${k.reasons.join(', ')}]`).join('; ')}`);

    const objects = [...r2FromDisk().keys()];
    for (const id of expectPruned) assert.ok(!objects.some((k) => k.startsWith(`kv/${id}/`)), `${id} deleted`);
    for (const f of Object.values(fakes).filter((f) => f.kept)) assert.ok(objects.includes(`kv/${f.id}/API_KEYS/part-00001`), `${f.id} kept`);
    assert.ok(objects.includes('kv/manual-copy/notes.txt'), 'what is not a backup is never deleted');
    assert.ok(objects.includes(`kv/${started.json.backupId}/manifest.json`));
    const reasons = Object.fromEntries(prune.keep.map((k) => [k.id, k.reasons]));
    assert.ok(reasons[fakes.monthly.id].some((r) => r.startsWith('monthly ')));
    assert.ok(reasons[fakes.dailyNewest.id].some((r) => r.startsWith('daily ')));
    assert.deepEqual(reasons[fakes.recentIncomplete.id], ['incomplete, recent']);
  });

  test('a tampered part fails its restore with a clear error, before anything is written', async () => {
    const { id } = fakes.monthly;
    const file = path.join(tmp, 'tampered.part');
    writeFileSync(file, '{"key":"fake:tampered","value":"x"}\n');
    await wrangler('r2', 'object', 'put', `${BUCKET}/kv/${id}/API_KEYS/part-00001`, '--file', file);
    const failed = await script('restore', id).catch((e) => e);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /does not match its manifest checksum/);
    const job = JSON.parse(failed.stdout);
    assert.equal(job.status, 'failed');
    assert.equal(job.consecutiveFailures, 1, 'a corrupt backup is not retried');
    assert.equal(job.task.progress.restored, 0);
    const apiKeys = kvFromDisk().API_KEYS;
    assert.ok(!apiKeys.has('fake:tampered') && !apiKeys.has('fake:monthly'));
    // The job is over: the next one may start.
    assert.equal((await admin('GET', '/admin/backups')).json.current, null);
  });

  test('admin errors are JSON with a 4xx status', async () => {
    assert.equal((await fetch(`${BASE_URL}/admin/backups`)).status, 401);
    const cases = [
      ['GET', '/admin/backups/not-an-id', 400],
      ['GET', '/admin/backups/2020-02-30T00-00-00Z', 400],
      ['GET', '/admin/backups/2020-01-01T00-00-00Z', 404],
      ['POST', '/admin/backups/2020-01-01T00-00-00Z/restore', 404],
      ['GET', '/admin/backups/2020-01-01T00-00-00Z/verify', 404],
      ['GET', '/admin/backups/2020-01-01T00-00-00Z/restore', 404],
      ['DELETE', '/admin/backups', 405],
      ['PUT', '/admin/backups/2020-01-01T00-00-00Z/restore', 405],
      ['GET', '/admin/backups/2020-01-01T00-00-00Z/other', 404],
      ['GET', '/admin/backupsX', 404],
    ];
    for (const [method, route, status] of cases) {
      const r = await admin(method, route);
      assert.equal(r.status, status, `${method} ${route}: ${JSON.stringify(r.json)}`);
      assert.equal(typeof r.json?.error, 'string', `${method} ${route}`);
    }
  });
});

// The in-isolate index copy (issue #14, src/search/isolate_index.rs) against SQLite FTS5: on the
// real corpus against the index object's own answers, on synthetic rows against node's SQLite
// (the same FTS5 `unicode61 remove_diacritics 2` and `bm25()`), and in use by query_strategy.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';

import { BASE_URL, REPO_ROOT, call } from './harness.mjs';

const run = promisify(execFile);
const ROUTE = `${BASE_URL}/__test/isolate-index`;
const post = async (body) => {
  const res = await fetch(ROUTE, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
};
const search = (query, extra = {}) => ({ query, limit: 100, pokemonId: null, section: null, ...extra });

// Hits equal field by field; scores equal to the last bits a different libm may move.
function assertSameHits(copy, index, what) {
  assert.ok(Array.isArray(copy), `${what}: the copy declined`);
  assert.deepEqual(copy.map((h) => h.key), index.map((h) => h.key), what);
  copy.forEach((h, i) => {
    const { score: a, ...restA } = h;
    const { score: b, ...restB } = index[i];
    assert.deepEqual(restA, restB, `${what} #${i}`);
    assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what} #${i}: ${a} vs ${b}`);
  });
}

describe('in-isolate index copy', () => {
  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'], { cwd: REPO_ROOT, timeout: 120_000 });
  });

  test('answers every golden question, phrases and filters exactly as the index object does', async () => {
    const golden = JSON.parse(readFileSync(`${REPO_ROOT}/tests/golden/queries.json`, 'utf8')).queries.map((q) => q.query);
    const searches = [
      ...golden.map((q) => search(q)),
      ...golden.slice(0, 20).map((q) => search(q, { limit: 5 })),
      search('Swords Dance', { phrase: true }),
      search('Stealth Rock', { phrase: true }),
      search('knock off', { phrase: true, section: 'set' }),
      search('hazard removal pivot', { pokemonId: 'greattusk' }),
      search('speed control', { pokemonIds: ['dragapult', 'kingambit', 'gholdengo'] }),
      search('checks and counters', { section: 'overview', limit: 3 }),
      search('what is the best'), // only stopwords
      search('zzzz-not-a-word qqq'),
    ];
    const { status, json } = await post({ format: 'gen9ou', searches });
    assert.equal(status, 200, JSON.stringify(json));
    assert.ok(json.rows > 100, `copied ${json.rows} rows`);
    let nonEmpty = 0;
    searches.forEach((s, i) => {
      assertSameHits(json.copy[i], json.index[i], JSON.stringify(s));
      if (json.index[i].length > 0) nonEmpty += 1;
    });
    assert.ok(nonEmpty > golden.length, `${nonEmpty} searches found something`);
  });

  test('tokenizes and scores like SQLite FTS5 on text full of accents and punctuation', async () => {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(':memory:');
    // The schema and query of src/edge/index_object.rs.
    db.exec(`CREATE TABLE docs (key TEXT PRIMARY KEY, pokemon_id TEXT NOT NULL, pokemon_name TEXT NOT NULL, format TEXT NOT NULL,
               section TEXT NOT NULL, set_name TEXT, source_url TEXT NOT NULL, data_month TEXT);
             CREATE VIRTUAL TABLE docs_fts USING fts5(key UNINDEXED, pokemon, section, set_name, body,
               tokenize = 'unicode61 remove_diacritics 2');`);
    const latin = Array.from({ length: 0x180 - 0xa0 }, (_, i) => String.fromCodePoint(0xa0 + i));
    const punctuation = Array.from({ length: 0x60 }, (_, i) => String.fromCodePoint(0x2000 + i));
    const words = ['punch', 'surf', 'tera', 'flabébé', 'pokémon', 'ÆON', 'straße', 'łódź', 'İstanbul', 'ﬁre'];
    const rows = [];
    let seed = 7;
    const next = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let i = 1; i <= 60; i++) {
      const pieces = Array.from({ length: 5 + next(30) }, () => {
        const k = next(10);
        if (k < 4) return words[next(words.length - 1)]; // never the ligature: the copy refuses it
        if (k < 7) return latin[next(latin.length)] + latin[next(latin.length)];
        return punctuation[next(punctuation.length)];
      });
      const body = `${words[i % (words.length - 1)]} ${pieces.join(next(2) ? ' ' : '')}`;
      const name = ['Flabébé', 'Kingambit', 'Porygon2'][i % 3];
      const row = {
        rowid: i * 3, ftsPokemon: `${name} ${name.toLowerCase()}`, ftsSection: i % 2 ? 'set' : 'overview',
        ftsSetName: i % 4 ? 'Swords Dance' : '', body, listed: i % 10 !== 0, key: `doc:${i}`,
        pokemonId: name.toLowerCase(), pokemonName: name, format: 'gen9ou', section: i % 2 ? 'set' : 'overview',
        setName: i % 4 ? 'Swords Dance' : null, sourceUrl: `https://example.invalid/${i}`, dataMonth: null,
      };
      rows.push(row);
      if (row.listed) {
        db.prepare('INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(row.key, row.pokemonId, row.pokemonName, row.format, row.section, row.setName, row.sourceUrl, row.dataMonth);
      }
      db.prepare('INSERT INTO docs_fts (rowid, key, pokemon, section, set_name, body) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.rowid, row.listed ? row.key : `orphan:${i}`, row.ftsPokemon, row.ftsSection, row.ftsSetName, row.body);
    }
    // Each query's words are already what fts_query keeps (distinct, no stopwords), so the
    // MATCH expression is theirs quoted and OR-ed.
    const queries = [['punch'], ['flabébé', 'surf'], ['pokemon', 'aeon'], ['ÆON'], ['łódź', 'tera'], ['swords', 'kingambit'], ['porygon2']];
    const searches = [];
    const expected = [];
    const sql = `SELECT d.key, d.pokemon_id AS pokemonId, d.pokemon_name AS pokemonName, d.format, d.section,
                        d.set_name AS setName, d.source_url AS sourceUrl, d.data_month AS dataMonth,
                        -bm25(docs_fts, 0.0, 4.0, 1.0, 2.0, 1.0) AS score, f.body AS text
                 FROM docs_fts f JOIN docs d ON d.key = f.key WHERE docs_fts MATCH ?`;
    for (const q of queries) {
      searches.push(search(q.join(' ')));
      expected.push(db.prepare(`${sql} ORDER BY score DESC LIMIT 100`).all(q.map((w) => `"${w.toLowerCase()}"`).join(' OR ')));
    }
    searches.push(search('swords dance', { phrase: true, section: 'set', limit: 7 }));
    expected.push(db.prepare(`${sql} AND d.section = ? ORDER BY score DESC LIMIT 7`).all('"swords dance"', 'set'));
    const { status, json } = await post({ rows, searches });
    assert.equal(status, 200, JSON.stringify(json));
    searches.forEach((s, i) => {
      assert.ok(expected[i].length > 0, `${s.query} finds something`);
      assertSameHits(json.copy[i], expected[i].map((h) => ({ ...h })), s.query);
    });
    // One character the copy does not know, and it refuses to copy rather than guess.
    rows[0].body += ' ﬁre';
    const refused = await post({ rows, searches });
    assert.equal(refused.status, 422);
    assert.match(refused.json.error, /U\+FB01/);
  });

  test('query_strategy asks the copy, not the index object, once the copy is loaded', async () => {
    const token = readFileSync(`${REPO_ROOT}/.dev.vars`, 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
    const searches = async () =>
      (await (await fetch(`${BASE_URL}/admin/index/gen9ou/stats`, { headers: { Authorization: `Bearer ${token}` } })).json()).searchesServed;
    const ask = (query, faults) =>
      call('tools/call', { name: 'query_strategy', arguments: { query, format: 'gen9ou' } },
        { headers: { 'CF-Connecting-IP': '10.78.1.1', ...(faults ? { 'X-Porygon-Fault': faults } : {}) } });
    const stamp = Date.now();
    // The first cold question in the isolate may be the one that starts the copy loading.
    let copied = false;
    for (let i = 0; i < 40 && !copied; i++) {
      const before = await searches();
      const r = await ask(`hazard control pivot ${stamp} ${i}`);
      assert.equal(r.json.result.isError, false);
      copied = (await searches()) === before;
      if (!copied) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(copied, 'a cold question was answered without the index object');
    const before = await searches();
    for (let i = 0; i < 5; i++) {
      const r = await ask(`offensive tera sweeper ${stamp} ${i}`);
      assert.equal(r.json.result.isError, false);
      assert.ok(r.json.result.structuredContent.results.length > 0);
    }
    assert.equal((await searches()) - before, 0, 'five cold questions, no index object search');
    // The same kind of question with the copies bypassed goes to the object.
    await ask(`offensive tera sweeper ${stamp} bypass`, 'index-only');
    assert.ok((await searches()) - before > 0);
    // And a lexical outage still shows, copy or not.
    const down = await ask(`offensive tera sweeper ${stamp} down`, 'fts-error');
    assert.equal(down.json.result.isError, true);
    assert.match(down.json.result.content[0].text, /Strategy search is unavailable right now/);
  });
});

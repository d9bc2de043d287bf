// query_strategy (issue #5) against the running worker and the local corpus.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';

import { BASE_URL, REPO_ROOT, call } from './harness.mjs';

const run = promisify(execFile);
const tool = async (args) => {
  const r = await call('tools/call', { name: 'query_strategy', arguments: args });
  assert.equal(r.status, 200, r.text);
  return r.json.result;
};

describe('query_strategy', () => {
  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou,gen1ou'], { cwd: REPO_ROOT, timeout: 120_000 });
  });

  test('is listed with schemas and read-only annotations', async () => {
    const r = await call('tools/list', {});
    const t = r.json.result.tools.find((x) => x.name === 'query_strategy');
    assert.ok(t.description.length > 50);
    assert.deepEqual(t.inputSchema.required, ['query']);
    assert.ok(t.outputSchema.properties.results);
    assert.equal(t.annotations.readOnlyHint, true);
  });

  test('finds the passage that answers a question without names, with its source', async () => {
    const r = await tool({ query: 'defensive pivot that spreads status and builds momentum', format: 'gen9ou' });
    assert.equal(r.isError, false);
    const top3 = r.structuredContent.results.slice(0, 3);
    const zapdos = top3.find((p) => p.pokemon === 'zapdos' && p.setName === 'Defensive');
    assert.ok(zapdos, JSON.stringify(top3.map((p) => [p.pokemon, p.section, p.setName])));
    assert.match(zapdos.sourceUrl, /^https:\/\/www\.smogon\.com\/dex\/sv\/pokemon\/zapdos\//);
    assert.match(r.content[0].text, /source: https:\/\/www\.smogon\.com/);
  });

  test('counters questions reach the usage document; misspellings and filters work', async () => {
    for (const query of ['what checks and counters Kingambit', 'kingambt counters']) {
      const r = await tool({ query });
      assert.equal(r.structuredContent.format, 'gen9ou');
      const first = r.structuredContent.results[0];
      assert.equal(first.pokemon, 'kingambit', `${query}: ${JSON.stringify(r.structuredContent.results.map((p) => p.pokemon))}`);
    }
    const filtered = await tool({ query: 'moves', pokemon: 'Tauros', format: 'gen1ou', limit: 3 });
    assert.ok(filtered.structuredContent.results.length >= 1);
    assert.ok(filtered.structuredContent.results.every((p) => p.pokemon === 'tauros' && p.format === 'gen1ou'));
  });

  test('a question about a job lists the Pokémon that do it, by the statistics, each with why', async () => {
    const r = await tool({ query: 'who removes hazards in SV OU' });
    const s = r.structuredContent;
    assert.equal(s.format, 'gen9ou');
    assert.deepEqual(s.understood, { formatSource: 'query', roles: ['hazard-removal'], types: [] });
    assert.equal(s.results.length, 5);
    assert.equal(new Set(s.results.map((p) => p.pokemon)).size, 5, 'one passage per Pokémon');
    const removers = ['Rapid Spin', 'Defog', 'Mortal Spin', 'Tidy Up', 'Court Change'];
    for (const p of s.results) {
      assert.equal(p.section, 'usage', JSON.stringify(p));
      const m = /^hazard removal: (.+?) on (\d+\.\d)% of its sets/.exec(p.why ?? '');
      assert.ok(m && removers.includes(m[1]), `${p.pokemon}: ${p.why}`);
      assert.ok(Number(m[2]) >= 5, p.why);
      assert.ok(p.text.includes(`${m[1]} `), `the passage shows ${m[1]}: ${p.text.slice(0, 400)}`);
    }
    assert.match(r.content[0].text, /Why: hazard removal: /);
  });

  test('types narrow a job; a job nobody can do in a generation says so', async () => {
    const { Dex } = await import('@pkmn/dex');
    const steel = (await tool({ query: 'Steel-type hazard removers' })).structuredContent;
    assert.deepEqual(steel.understood.types, ['Steel']);
    const chosen = steel.results.filter((p) => p.why);
    assert.ok(chosen.length >= 2, JSON.stringify(steel.results.map((p) => p.pokemon)));
    for (const p of chosen) assert.ok(Dex.forGen(9).species.get(p.pokemon).types.includes('Steel'), p.pokemon);
    const rby = (await tool({ query: 'RBY OU Stealth Rock setters' })).structuredContent;
    assert.equal(rby.format, 'gen1ou');
    assert.ok(rby.notes.some((n) => /No Pokémon in gen1ou's statistics or sets does hazard setting/.test(n)), rby.notes.join(' | '));
    assert.equal(rby.isError, undefined);
  });

  test('reports how it retrieved: lexical here, semantic not configured locally', async () => {
    const r = await tool({ query: 'Dragonite Dragon Dance' });
    assert.deepEqual(r.structuredContent.retrieval, { lexical: 'ok', semantic: 'unavailable' });
    assert.equal(r.structuredContent.degraded, false);
  });

  test('bad arguments are tool errors, FTS syntax is inert, results stay bounded', async () => {
    for (const args of [{}, { query: '' }, { query: 'x', limit: 0 }, { query: 'x', limit: 21 }, { query: 'x', section: 'intro' }, { query: 'x', format: 'nonsense' }, { query: 'x', extra: 1 }, { query: 'x'.repeat(1001) }]) {
      const r = await tool(args);
      assert.equal(r.isError, true, JSON.stringify(args));
    }
    const typo = await tool({ query: 'sets', pokemon: 'Garchmop' });
    assert.equal(typo.isError, true);
    assert.match(typo.content[0].text, /Garchomp/);
    for (const query of ['"unbalanced', 'NEAR(a b)', 'kingambit -tera', 'title:* OR']) {
      assert.equal((await tool({ query })).isError, false, query);
    }
    const big = await tool({ query: 'the best set for offense and defense in OU', limit: 20 });
    assert.ok(JSON.stringify(big).length < 100_000);
  });
});

describe('query_strategy caching and coalescing', () => {
  const token = readFileSync(`${REPO_ROOT}/.dev.vars`, 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
  const searches = async () =>
    (await (await fetch(`${BASE_URL}/admin/index/gen9ou/stats`, { headers: { Authorization: `Bearer ${token}` } })).json()).searchesServed;
  // `index-only`: searches skip the isolate's index copies, so the index object counts them all.
  const ask = (query, ip) =>
    call('tools/call', { name: 'query_strategy', arguments: { query, format: 'gen9ou' } }, { headers: { 'CF-Connecting-IP': ip, 'X-Porygon-Fault': 'index-only' } });

  test('100 concurrent identical calls from one client make one backend search', async () => {
    const query = `hyper offense balance ${Date.now()}`; // no job words: one search per answer
    const before = await searches();
    const responses = await Promise.all(Array.from({ length: 100 }, () => ask(query, '10.77.1.1')));
    assert.ok(responses.every((r) => r.status === 200 && r.json.result.isError === false));
    assert.equal((await searches()) - before, 1);
  });

  test('the same question from 20 clients within the TTL is computed once', async () => {
    const query = `defensive balance core ${Date.now()}`;
    const before = await searches();
    for (let i = 0; i < 20; i++) {
      const r = await ask(query, `10.77.2.${i + 1}`);
      assert.equal(r.status, 200);
    }
    assert.equal((await searches()) - before, 1);
  });
});

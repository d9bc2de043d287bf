// get_popular_sets, get_usage_stats and analyze_team (issue #5) against the local corpus.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { before, describe, test } from 'node:test';

import { BASE_URL, REPO_ROOT, call } from './harness.mjs';

const run = promisify(execFile);
const tool = async (name, args) => {
  const r = await call('tools/call', { name, arguments: args });
  assert.equal(r.status, 200, r.text);
  return r.json.result;
};

const TEAM = `Kingambit @ Leftovers
Ability: Supreme Overlord
Tera Type: Ghost
EVs: 252 Atk / 4 Def / 252 Spe
Adamant Nature
- Swords Dance
- Sucker Punch
- Kowtow Cleave
- Iron Head

Great Tusk @ Booster Energy
Ability: Protosynthesis
EVs: 252 Atk / 4 SpD / 252 Spe
Jolly Nature
- Headlong Rush
- Ice Spinner
- Rapid Spin
- Knock Off

Garchmop @ Leftoverz
Ability: Rough Skin
- Earthquake
- Swords Dnce
`;

describe('usage-based tools', () => {
  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou,gen1ou'], { cwd: REPO_ROOT, timeout: 120_000 });
  });

  test('get_popular_sets builds the likeliest set from usage, with the exact report numbers', async () => {
    const r = await tool('get_popular_sets', { pokemon: 'kingambit', format: 'gen9ou' });
    assert.equal(r.isError, false, r.content[0].text);
    const s = r.structuredContent;
    assert.equal(s.usageSet.ability.name, 'Supreme Overlord');
    assert.equal(s.usageSet.ability.percent, 99.477);
    assert.equal(s.usageSet.item.name, 'Leftovers');
    assert.equal(s.usageSet.item.percent, 42.249);
    assert.equal(s.usageSet.moves.length, 4);
    assert.match(s.usageSet.paste, /^Kingambit @ Leftovers\nAbility: Supreme Overlord\n/);
    assert.ok(s.smogonSets.length >= 1 && s.smogonSets[0].paste.includes('Kingambit'));
    assert.equal(s.provenance.cutoff, 1695);
    assert.match(s.provenance.statsSource, /smogon\.com\/stats\/.*gen9ou-1695/);
    assert.ok(s.teammates.length > 0 && s.checksAndCounters.length > 0);
    const same = await tool('get_popular_sets', { pokemon: 'kingambit', format: 'gen9ou', month: '2024-06', cutoff: 1695 });
    assert.equal(same.structuredContent.usageSet.item.percent, 42.249);
    const other = await tool('get_popular_sets', { pokemon: 'kingambit', format: 'gen9ou', month: '2019-01' });
    assert.equal(other.isError, true);
    assert.match(other.content[0].text, /No usage statistics for gen9ou \(2019-01\)/);
    assert.equal((await tool('get_popular_sets', { pokemon: 'kingambit', format: 'gen9ou', month: 'June' })).isError, true);
  });

  test('get_pokemon includes the species usage summary when statistics exist', async () => {
    const r = await tool('get_pokemon', { name: 'Kingambit' });
    assert.equal(r.structuredContent.usage.format, 'gen9ou');
    assert.equal(r.structuredContent.usage.topAbilities[0], 'Supreme Overlord');
    assert.ok(r.structuredContent.usage.rank >= 1);
    assert.match(r.content[0].text, /Usage in gen9ou/);
    const none = await tool('get_pokemon', { name: 'Kingambit', format: 'gen9uu' });
    assert.equal(none.structuredContent.usage, undefined, 'no statistics loaded for gen9uu');
    assert.equal((await tool('get_pokemon', { name: 'Kingambit', format: 'bogus' })).isError, true);
  });

  test('get_usage_stats ranks and paginates; bad cursors and formats are tool errors', async () => {
    const first = await tool('get_usage_stats', { format: 'gen1ou', limit: 2 });
    assert.deepEqual(first.structuredContent.entries.map((e) => e.pokemon), ['tauros', 'snorlax']);
    assert.equal(first.structuredContent.battles > 0, true);
    const next = await tool('get_usage_stats', { format: 'gen1ou', limit: 2, cursor: first.structuredContent.nextCursor });
    assert.equal(next.structuredContent.entries[0].rank, 3);
    for (const args of [{ format: 'gen1ou', cursor: 'bogus' }, { format: 'nope' }, { format: 'gen1ou', limit: 0 }, {}]) {
      assert.equal((await tool('get_usage_stats', args)).isError, true, JSON.stringify(args));
    }
    const missing = await tool('get_usage_stats', { format: 'gen3ou' });
    assert.equal(missing.isError, true);
    assert.match(missing.content[0].text, /No usage statistics/);
  });

  test('analyze_team validates with suggestions, charts types and names threats', async () => {
    const r = await tool('analyze_team', { paste: TEAM, format: 'gen9ou' });
    assert.equal(r.isError, false, r.content[0].text);
    const a = r.structuredContent;
    const text = JSON.stringify(a.problems);
    assert.match(text, /Garchomp/);
    assert.match(text, /Leftovers/);
    assert.match(text, /Swords Dance/);
    assert.ok(Array.isArray(a.typeChart) && a.typeChart.length >= 18);
    assert.equal(a.usageData, true);
    assert.ok(a.threats.length >= 1);
    const bad = await tool('analyze_team', { paste: '\u0000\u0001 junk', format: 'gen9ou' });
    assert.equal(bad.isError, true);
  });
});

describe('strategy resources, prompts and completion', () => {
  test('sets and usage resource templates read through the same data', async () => {
    const templates = (await call('resources/templates/list', {})).json.result.resourceTemplates.map((t) => t.uriTemplate);
    assert.ok(templates.includes('pokemon://sets/{format}/{name}') && templates.includes('pokemon://usage/{format}'));
    const sets = await call('resources/read', { uri: 'pokemon://sets/gen9ou/Kingambit' });
    const body = JSON.parse(sets.json.result.contents[0].text);
    assert.equal(body.usageSet.ability.name, 'Supreme Overlord');
    const usage = await call('resources/read', { uri: 'pokemon://usage/gen1ou' });
    assert.equal(JSON.parse(usage.json.result.contents[0].text).entries[0].pokemon, 'tauros');
    const missing = await call('resources/read', { uri: 'pokemon://usage/gen3ou' });
    assert.equal(missing.json.error.code, -32002);
    const sneaky = await call('resources/read', { uri: 'pokemon://sets/..%2F../kingambit' });
    assert.equal(sneaky.json.error.code, -32002);
  });

  test('plan_against and review_team prompts embed live data', async () => {
    const prompts = (await call('prompts/list', {})).json.result.prompts.map((p) => p.name);
    assert.deepEqual(prompts.sort(), ['plan_against', 'pokemon_overview', 'review_team']);
    const plan = await call('prompts/get', { name: 'plan_against', arguments: { pokemon: 'kingambit', format: 'gen9ou' } });
    assert.match(plan.json.result.messages[0].content.text, /Supreme Overlord/);
    const review = await call('prompts/get', { name: 'review_team', arguments: { paste: TEAM, format: 'gen9ou' } });
    assert.match(review.json.result.messages[0].content.text, /Garchomp/);
    const bad = await call('prompts/get', { name: 'plan_against', arguments: { pokemon: 'kingambit' } });
    assert.equal(bad.json.error.code, -32602);
  });

  test('completion offers formats and Pokémon for the new arguments', async () => {
    const f = await call('completion/complete', { ref: { type: 'ref/prompt', name: 'plan_against' }, argument: { name: 'format', value: 'gen9d' } });
    assert.deepEqual(f.json.result.completion.values, ['gen9doublesou']);
    const p = await call('completion/complete', { ref: { type: 'ref/resource', uri: 'pokemon://sets/{format}/{name}' }, argument: { name: 'name', value: 'kinga' } });
    assert.equal(p.json.result.completion.values[0], 'Kingambit');
  });
});

describe('re-ingestion invalidates cached answers', () => {
  test('a changed set is served right after the run, not from any cache', async () => {
    const { readFileSync } = await import('node:fs');
    const token = readFileSync(`${REPO_ROOT}/.dev.vars`, 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
    const auth = { Authorization: `Bearer ${token}` };
    const original = JSON.parse(readFileSync(`${REPO_ROOT}/../shared/data/pkmn-sets/gen2nu.json`, 'utf8'));
    const species = Object.keys(original)[0];
    const setName = Object.keys(original[species])[0];
    const ingest = async (sets) => {
      const put = await fetch(`${BASE_URL}/admin/raw/sets/gen2nu.json`, { method: 'PUT', headers: auth, body: JSON.stringify(sets) });
      assert.equal(put.status, 201);
      await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen2nu', '--no-upload'], { cwd: REPO_ROOT, timeout: 120_000 });
    };
    const sets = async () => (await tool('get_popular_sets', { pokemon: species, format: 'gen2nu' })).structuredContent.smogonSets[0].paste;
    await ingest(original);
    const before = await sets();
    assert.equal(await sets(), before, 'second call (cached) agrees');
    const edited = structuredClone(original);
    edited[species][setName].moves = ['Explosion', 'Substitute', 'Rest', 'Sleep Talk'];
    await ingest(edited);
    const after = await sets();
    assert.notEqual(after, before);
    assert.match(after, /- Explosion\n- Substitute\n- Rest\n- Sleep Talk/);
    await ingest(original);
  });
});

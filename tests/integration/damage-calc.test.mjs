// damage_calc (issue #12) through the official MCP SDK client: assumed sets and their
// provenance, doubles spread moves, "all" moves, immunities, hazards in the KO chance, and unknown
// names. Expected numbers come from @smogon/calc run here on the set the server reports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { calculate, Field, Generations, Move, Pokemon } from '@smogon/calc';

import { BASE_URL, REPO_ROOT, connectV2 } from './harness.mjs';

const run = promisify(execFile);
const gen9 = Generations.get(9);
const STATS = ['hp', 'atk', 'def', 'spa', 'spd', 'spe'];

// A resolved set from structuredContent → the library's Pokemon.
function mon(side) {
  const s = side.set;
  const table = (v) => (v ? Object.fromEntries(STATS.map((k, i) => [k, v[i]])) : undefined);
  return new Pokemon(gen9, s.species, {
    level: s.level, item: s.item, ability: s.ability, nature: s.nature, evs: table(s.evs), ivs: table(s.ivs),
    teraType: side.terastallized ? s.teraType : undefined,
  });
}

const TUSK = { pokemon: 'Great Tusk', item: 'Leftovers', ability: 'Protosynthesis', nature: 'Impish', evs: { hp: 252, def: 4 } };
const MANE = { pokemon: 'Flutter Mane', item: 'Choice Specs', ability: 'Protosynthesis', nature: 'Timid', evs: { spa: 252, spe: 252 } };

describe('damage_calc over the MCP SDK client', () => {
  let client;
  const calc = async (args) => client.callTool({ name: 'damage_calc', arguments: args });

  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'], { cwd: REPO_ROOT, timeout: 120_000 });
    ({ client } = await connectV2('2025-11-25'));
  });
  after(async () => {
    await client?.close();
  });

  test('tools/list: schemas and read-only, idempotent, closed-world annotations', async () => {
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'damage_calc');
    assert.ok(tool, 'damage_calc is listed');
    assert.deepEqual(tool.inputSchema.required, ['attacker', 'defender', 'move']);
    assert.equal(tool.outputSchema.type, 'object');
    assert.ok(tool.outputSchema.required.includes('results'));
    assert.equal(tool.annotations.readOnlyHint, true);
    assert.equal(tool.annotations.idempotentHint, true);
    assert.equal(tool.annotations.openWorldHint, false);
    assert.equal(tool.annotations.destructiveHint, false);
  });

  test('a side given by name gets the usage set, with its provenance, and the rolls are the library\'s', async () => {
    const r = await calc({ attacker: 'Kingambit', defender: TUSK, move: 'Kowtow Cleave', format: 'gen9ou' });
    assert.equal(r.isError, false, r.content[0].text);
    const s = r.structuredContent;
    const a = s.attacker;
    assert.equal(a.assumed, true);
    assert.equal(a.provenance.source, 'usageStatistics');
    assert.equal(a.provenance.month, '2024-06');
    assert.equal(a.provenance.cutoff, 1695);
    assert.match(a.provenance.sourceUrl, /^https:\/\/www\.smogon\.com\/stats\/2024-06\/moveset\/gen9ou-1695\.txt$/);
    assert.ok(a.provenance.rawCount > 0);
    assert.ok(a.provenance.shares.spread > 0 && a.provenance.shares.item > 0);
    assert.equal(s.defender.assumed, false);
    assert.equal(s.defender.provenance.source, 'given');
    // The same set get_popular_sets reports as the likeliest.
    const sets = await client.callTool({ name: 'get_popular_sets', arguments: { pokemon: 'Kingambit', format: 'gen9ou' } });
    const usage = sets.structuredContent.usageSet;
    assert.equal(a.set.item, usage.item.name);
    assert.equal(a.set.ability, usage.ability.name);
    assert.equal(a.provenance.shares.item, usage.item.percent);
    assert.deepEqual(a.set.moves, usage.moves.map((m) => m.name));
    assert.equal(`${a.set.nature}:${a.set.evs.join('/')}`, usage.spread.name);
    // The calculation is the library's, on that set.
    const want = calculate(gen9, mon(a), mon(s.defender), new Move(gen9, 'Kowtow Cleave'), new Field());
    const got = s.results[0];
    assert.equal(got.damage.length, 16);
    assert.deepEqual(got.damage, want.damage);
    assert.equal(got.desc, want.desc());
    assert.deepEqual(got.koChance, { chance: want.kochance().chance ?? null, n: want.kochance().n, text: want.kochance().text });
    const text = r.content[0].text;
    assert.ok(text.includes(want.desc()), text);
    assert.match(text, /assumed set \(usage statistics 2024-06, rating ≥ 1695, raw count \d+/);
    assert.ok(text.includes(a.provenance.sourceUrl), text);
  });

  test('doubles: a spread move does 0.75x, exactly as the library computes it', async () => {
    const args = { attacker: MANE, defender: TUSK, move: 'Dazzling Gleam', generation: 9 };
    const singles = (await calc(args)).structuredContent;
    const doubles = (await calc({ ...args, field: { gameType: 'doubles' } })).structuredContent;
    assert.equal(doubles.gameType, 'doubles');
    const field = new Field({ gameType: 'Doubles' });
    const want = calculate(gen9, mon(doubles.attacker), mon(doubles.defender), new Move(gen9, 'Dazzling Gleam'), field);
    assert.deepEqual(doubles.results[0].damage, want.damage);
    assert.ok(doubles.results[0].range[1] < singles.results[0].range[1], 'spread reduction applies');
    // A doubles format means doubles without saying so.
    const vgc = (await calc({ ...args, generation: undefined, format: 'gen9doublesou' })).structuredContent;
    assert.equal(vgc.gameType, 'doubles');
    assert.deepEqual(vgc.results[0].damage, want.damage);
  });

  test('"all": every move of the attacker\'s set, each as the library computes it', async () => {
    const attacker = { ...MANE, moves: ['Moonblast', 'Shadow Ball', 'Mystical Fire', 'Protect'] };
    const r = await calc({ attacker, defender: TUSK, move: 'all', generation: 9 });
    assert.equal(r.isError, false, r.content[0].text);
    const results = r.structuredContent.results;
    assert.deepEqual(results.map((x) => x.move), attacker.moves);
    for (const res of results.slice(0, 3)) {
      const want = calculate(gen9, mon(r.structuredContent.attacker), mon(r.structuredContent.defender), new Move(gen9, res.move), new Field());
      assert.deepEqual(res.damage, want.damage, res.move);
      assert.equal(res.desc, want.desc());
    }
    assert.equal(results[3].range[1], 0, 'Protect does no damage');
    assert.equal(results[3].desc, null);
  });

  test('an immunity is zero damage, not an error (the library\'s desc() would throw)', async () => {
    const r = await calc({ attacker: { pokemon: 'Dragonite', item: 'Choice Band' }, defender: { pokemon: 'Gholdengo', item: 'Leftovers' }, move: 'Extreme Speed', generation: 9 });
    assert.equal(r.isError, false, r.content[0].text);
    const res = r.structuredContent.results[0];
    assert.deepEqual(res.range, [0, 0]);
    assert.equal(res.desc, null);
    assert.equal(res.koChance, null);
    assert.match(r.content[0].text, /Extreme Speed: no damage to Gholdengo/);
  });

  test('hazards and Leftovers count in the KO chance, as the library words it', async () => {
    const field = { defenderSide: { stealthRock: true, spikes: 1 } };
    const attacker = { pokemon: 'Kingambit', item: 'Black Glasses', ability: 'Supreme Overlord', nature: 'Adamant', evs: { atk: 252 } };
    const defender = { pokemon: 'Volcarona', item: 'Leftovers', evs: { hp: 252 } };
    const r = await calc({ attacker, defender, move: 'Iron Head', generation: 9, field });
    const s = r.structuredContent;
    const want = calculate(gen9, mon(s.attacker), mon(s.defender), new Move(gen9, 'Iron Head'), new Field({ defenderSide: { isSR: true, spikes: 1 } }));
    assert.equal(s.results[0].desc, want.desc());
    assert.match(s.results[0].desc, /Stealth Rock/);
    assert.match(s.results[0].desc, /Leftovers/);
  });

  test('unknown names are isError results with suggestions', async () => {
    const cases = [
      [{ attacker: 'Kingambt', defender: 'Great Tusk', move: 'Kowtow Cleave', format: 'gen9ou' }, /unknown Pokémon "Kingambt".*did you mean Kingambit/],
      [{ attacker: 'Kingambit', defender: 'Great Tusk', move: 'Kowtow Cleve', format: 'gen9ou' }, /unknown move "Kowtow Cleve".*did you mean Kowtow Cleave/],
      [{ attacker: { pokemon: 'Kingambit', item: 'Leftovrs' }, defender: 'Great Tusk', move: 'Iron Head', format: 'gen9ou' }, /unknown item "Leftovrs".*did you mean Leftovers/],
      [{ attacker: 'Kingambit', defender: 'Great Tusk', move: 'Iron Head', format: 'gen9ou', field: { weather: 'fog' } }, /unknown weather/],
    ];
    for (const [args, message] of cases) {
      const r = await calc(args);
      assert.equal(r.isError, true, JSON.stringify(args));
      assert.match(r.content[0].text, message);
    }
  });
});

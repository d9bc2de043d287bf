// speed_tiers (issue #12) through the MCP SDK client, against the local corpus; every listed
// speed is recomputed with @smogon/calc 0.12.0's getFinalSpeed and must match exactly.
//
// @smogon/calc is read from node_modules by path: until package.json pins it (the damage_calc
// branch adds it), install it with `npm install --no-save @smogon/calc@0.12.0`. Without it the
// comparisons are skipped, visibly.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { BASE_URL, MODERN_VERSION, REPO_ROOT, connectV2 } from './harness.mjs';

const run = promisify(execFile);
const CALC_DIR = path.join(REPO_ROOT, 'node_modules/@smogon/calc');
const calc = existsSync(CALC_DIR) ? createRequire(import.meta.url)(CALC_DIR) : null;
const { getFinalSpeed } = calc ? createRequire(import.meta.url)(path.join(CALC_DIR, 'dist/mechanics/util.js')) : {};
const NO_CALC = !calc && 'node_modules/@smogon/calc is not installed (npm install --no-save @smogon/calc@0.12.0)';

const STATS = ['hp', 'atk', 'def', 'spa', 'spd', 'spe'];
const WEATHER = { sun: 'Sun', rain: 'Rain', sand: 'Sand', snow: 'Snow', hail: 'Hail' };

/** The speed @smogon/calc gives an entry of the tool under the call's modifiers. */
function calcSpeed(gen, level, entry, modifiers = {}) {
  const g = calc.Generations.get(gen);
  const paradox = ['Protosynthesis', 'Quark Drive'].includes(entry.ability);
  const mon = new calc.Pokemon(g, entry.name, {
    level,
    nature: entry.nature ?? undefined,
    evs: Object.fromEntries(STATS.map((s, i) => [s, entry.evs[i]])),
    ivs: Object.fromEntries(STATS.map((s, i) => [s, entry.ivs[i]])),
    ability: entry.ability ?? 'No Ability',
    item: entry.item ?? undefined,
    boosts: { spe: modifiers.stage ?? 0 },
    status: modifiers.paralysis ? 'par' : '',
    abilityOn: !!modifiers.unburden,
    boostedStat: paradox ? 'auto' : undefined,
  });
  const field = new calc.Field({
    weather: WEATHER[modifiers.weather],
    terrain: modifiers.terrain === 'electric' ? 'Electric' : undefined,
    attackerSide: { isTailwind: !!modifiers.tailwind },
  });
  return getFinalSpeed(g, mon, field, field.attackerSide);
}

let client;
const speedTiers = async (args) => {
  const r = await client.callTool({ name: 'speed_tiers', arguments: args });
  return r;
};
const ok = async (args) => {
  const r = await speedTiers(args);
  assert.equal(r.isError, false, r.content?.[0]?.text);
  return r.structuredContent;
};
const entriesOf = (s) => s.tiers.flatMap((t) => t.entries.map((e) => ({ ...e, tierSpeed: t.speed })));

describe('speed_tiers', () => {
  before(async () => {
    await run(process.execPath, ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou,gen1ou,gen9vgc2024,gen4ou,gen6ou'], {
      cwd: REPO_ROOT,
      timeout: 240_000,
    });
    ({ client } = await connectV2(MODERN_VERSION));
  });
  after(async () => client?.close());

  test('is listed read-only, idempotent and closed-world, with an output schema', async () => {
    const { tools } = await client.listTools();
    const t = tools.find((x) => x.name === 'speed_tiers');
    assert.ok(t, 'speed_tiers listed');
    assert.deepEqual(
      [t.annotations.readOnlyHint, t.annotations.idempotentHint, t.annotations.openWorldHint, t.annotations.destructiveHint],
      [true, true, false, false],
    );
    assert.equal(t.outputSchema.type, 'object');
    assert.ok(t.inputSchema.properties.modifiers.properties.trickRoom);
  });

  test('gen9ou tiers: usage order, sorted fastest first, ties marked, level 100', async () => {
    const s = await ok({ format: 'gen9ou', limit: 15 });
    assert.equal(s.level, 100);
    assert.equal(s.ranking, 'usage');
    assert.equal(s.order, 'fastest first');
    const speeds = s.tiers.map((t) => t.speed);
    assert.deepEqual(speeds, [...speeds].sort((a, b) => b - a));
    assert.equal(new Set(speeds).size, speeds.length, 'one tier per speed');
    for (const t of s.tiers) assert.equal(t.tie, new Set(t.entries.map((e) => e.pokemon)).size > 1);
    assert.ok(s.tiers.some((t) => t.tie), 'fifteen Pokémon with benchmarks share some speed');
    // Great Tusk (base 87): 252+ is 300, its common Jolly spread from the report is listed.
    const tusk = entriesOf(s).filter((e) => e.pokemon === 'greattusk');
    assert.equal(tusk.find((e) => e.kind === 'max+').speed, 300);
    assert.ok(tusk.some((e) => e.kind === 'usage' && e.percent > 0));
    assert.match((await speedTiers({ format: 'gen9ou', limit: 15 })).content[0].text, /\[tie\]/);
  });

  test('every speed matches @smogon/calc under each modifier set, across generations', { skip: NO_CALC }, async () => {
    const cases = [
      ['gen9ou', {}],
      ['gen9ou', { choiceScarf: true }],
      ['gen9ou', { tailwind: true }],
      ['gen9ou', { paralysis: true }],
      ['gen9ou', { stage: 1 }],
      ['gen9ou', { stage: -2, tailwind: true, choiceScarf: true }],
      ['gen9ou', { boosterEnergy: true }],
      ['gen9ou', { weather: 'sun' }],
      ['gen9ou', { weather: 'rain', choiceScarf: true }],
      ['gen9ou', { terrain: 'electric', paralysis: true }],
      ['gen9ou', { unburden: true, choiceScarf: true }],
      ['gen9vgc2024', { tailwind: true }],
      ['gen6ou', { paralysis: true, choiceScarf: true }],
      ['gen6ou', { weather: 'sun', tailwind: true }],
      ['gen6ou', { unburden: true, choiceScarf: true, stage: 1 }],
      ['gen4ou', { weather: 'rain', paralysis: true }],
      ['gen4ou', { stage: 3 }],
      ['gen1ou', {}],
      ['gen1ou', { paralysis: true, stage: -1 }],
      ['gen1ou', { stage: 2 }],
    ];
    let compared = 0;
    const applied = new Set();
    for (const [format, modifiers] of cases) {
      const s = await ok({ format, limit: 50, spreads: 4, modifiers });
      for (const e of entriesOf(s)) {
        e.applied.forEach((a) => applied.add(a));
        const gen = Number(format[3]);
        assert.equal(e.speed, calcSpeed(gen, s.level, e, modifiers), `${format} ${JSON.stringify(modifiers)} ${e.name} ${e.spread}`);
        assert.equal(e.speed, e.tierSpeed);
        compared++;
      }
    }
    assert.ok(compared > 2500, `compared ${compared} speeds`);
    console.log(`# compared ${compared} speeds with @smogon/calc; modifiers exercised: ${[...applied].sort().join(', ')}`);
    for (const m of ['stage', 'tailwind', 'paralysis', 'choice scarf', 'protosynthesis', 'quark drive', 'weather ability', 'unburden']) {
      assert.ok(applied.has(m), `${m} exercised`);
    }
  });

  test('Choice Scarf, Tailwind and paralysis scale the tiers', async () => {
    const base = entriesOf(await ok({ format: 'gen9ou', limit: 5 }));
    // The fastest max+ row, with and without modifiers (x.5 rounds down: Showdown's pokeRound).
    const maxOf = (list) => list.find((e) => e.pokemon === base[0].pokemon && e.kind === 'max+').speed;
    const raw = maxOf(base);
    assert.equal(maxOf(entriesOf(await ok({ format: 'gen9ou', limit: 5, modifiers: { tailwind: true } }))), raw * 2);
    const scarf = entriesOf(await ok({ format: 'gen9ou', limit: 5, modifiers: { choiceScarf: true } }));
    assert.equal(maxOf(scarf), Math.floor(raw * 1.5));
    assert.ok(scarf.every((e) => e.item === 'Choice Scarf' || e.item === 'Booster Energy'));
    const par = entriesOf(await ok({ format: 'gen9ou', limit: 5, modifiers: { paralysis: true } }));
    assert.equal(maxOf(par), Math.floor(raw / 2));
  });

  test('Trick Room reverses the order of the same speeds', async () => {
    const normal = await ok({ format: 'gen9ou', limit: 10 });
    const tr = await ok({ format: 'gen9ou', limit: 10, modifiers: { trickRoom: true } });
    assert.equal(tr.order, 'slowest first');
    assert.equal(tr.trickRoom, true);
    const a = normal.tiers.map((t) => t.speed);
    const b = tr.tiers.map((t) => t.speed);
    assert.deepEqual(b, [...a].reverse());
    assert.ok(b[0] < b.at(-1));
    assert.deepEqual(tr.tiers[0].entries.map((e) => e.pokemon).sort(), normal.tiers.at(-1).entries.map((e) => e.pokemon).sort());
  });

  test('outspeed: the fewest EVs, exact, checked one step below', async () => {
    const s = await ok({ format: 'gen9ou', limit: 1, outspeed: { pokemon: 'Garchomp', target: 'Kingambit' } });
    const o = s.outspeed;
    assert.equal(o.possible, true, o.summary);
    assert.equal(o.name, 'Garchomp');
    // Kingambit's likeliest set (the report's top spread, item and ability).
    assert.equal(o.targetSet.spread, 'Adamant 252 Spe');
    assert.equal(o.targetSet.item, 'Leftovers');
    assert.equal(o.targetSet.ability, 'Supreme Overlord');
    assert.equal(o.targetSet.speed, 199);
    // Garchomp (base 102): 0 EVs neutral is 240 > 199 already.
    assert.deepEqual([o.evs, o.nature, o.speed], [0, 'neutral', 240]);
    assert.match(o.summary, /Garchomp needs 0 Speed EVs with a Speed-neutral nature to outspeed Kingambit/);

    // Races that need EVs: Kingambit (base 50) against Corviknight's and Heatran's likeliest
    // sets. Four EVs fewer (and, for +Spe, a neutral nature) must not be enough.
    for (const [target, nature] of [['Corviknight', 'neutral'], ['Heatran', 'plus']]) {
      const o = (await ok({ format: 'gen9ou', limit: 1, outspeed: { pokemon: 'Kingambit', target } })).outspeed;
      assert.equal(o.possible, true, o.summary);
      assert.equal(o.nature, nature, o.summary);
      assert.ok(o.evs > 0 && o.speed > o.targetSet.speed, o.summary);
      assert.deepEqual(o.byNature.map((n) => n.nature), ['neutral', 'plus']);
      const natureOf = { neutral: 'Hardy', plus: 'Jolly' };
      const speedWith = (ev, n = o.nature) =>
        calcSpeed(9, 100, { name: 'Kingambit', nature: natureOf[n], evs: [0, 0, 0, 0, 0, ev], ivs: [31, 31, 31, 31, 31, 31], ability: 'Supreme Overlord' });
      if (calc) {
        assert.equal(speedWith(o.evs), o.speed);
        assert.equal(o.targetSet.speed, calcSpeed(9, 100, o.targetSet));
        assert.ok(speedWith(o.evs - 4) <= o.targetSet.speed, 'four fewer EVs do not outspeed');
        if (nature === 'plus') assert.ok(speedWith(252, 'neutral') <= o.targetSet.speed, 'no neutral spread does');
        for (const n of o.byNature.filter((x) => x.possible)) {
          assert.ok(speedWith(n.evs, n.nature) > o.targetSet.speed);
          assert.ok(n.evs === 0 || speedWith(n.evs - 4, n.nature) <= o.targetSet.speed);
        }
      }
    }
    const heatran = (await ok({ format: 'gen9ou', limit: 1, outspeed: { pokemon: 'Kingambit', target: 'Heatran' } })).outspeed;
    assert.deepEqual([heatran.evs, heatran.speed, heatran.targetSet.speed], [188, 201, 200]);
    assert.equal(heatran.byNature[0].possible, false);
  });

  test('outspeed: "cannot" when even max+ Speed loses, and under Trick Room', async () => {
    const s = await ok({ format: 'gen9ou', limit: 1, outspeed: { pokemon: 'Kingambit', target: 'Dragapult' } });
    assert.equal(s.outspeed.possible, false);
    assert.deepEqual([s.outspeed.evs, s.outspeed.nature], [252, 'plus']);
    assert.equal(s.outspeed.speed, 218);
    assert.match(s.outspeed.summary, /Kingambit cannot outspeed Dragapult/);
    // Scarf changes the answer for a faster attacker.
    const scarf = await ok({ format: 'gen9ou', limit: 1, outspeed: { pokemon: 'Great Tusk', target: 'Dragapult', modifiers: { choiceScarf: true } } });
    assert.equal(scarf.outspeed.possible, true, scarf.outspeed.summary);
    assert.equal(scarf.outspeed.item, 'Choice Scarf');
    // Trick Room: Dragapult cannot be slower than Kingambit's likeliest set.
    const tr = await ok({ format: 'gen9ou', limit: 1, modifiers: { trickRoom: true }, outspeed: { pokemon: 'Dragapult', target: 'Kingambit' } });
    assert.equal(tr.outspeed.possible, false);
    assert.match(tr.outspeed.summary, /cannot move before \(be slower than\) Kingambit/);
    const trYes = await ok({ format: 'gen9ou', limit: 1, modifiers: { trickRoom: true }, outspeed: { pokemon: 'Kingambit', target: 'Dragapult' } });
    assert.equal(trYes.outspeed.possible, true);
  });

  test('VGC is computed at level 50 from Smogon sets', async () => {
    const s = await ok({ format: 'gen9vgc2024', limit: 6 });
    assert.equal(s.level, 50);
    assert.equal(s.ranking, 'sets');
    const fm = entriesOf(s).filter((e) => e.kind === 'max+');
    assert.ok(fm.length === 6 && fm.every((e) => e.speed < 260));
    if (calc) for (const e of entriesOf(s)) assert.equal(e.speed, calcSpeed(9, 50, e));
  });

  test('bad input is a tool error with suggestions', async () => {
    const bad = await speedTiers({ format: 'gen9ou', outspeed: { pokemon: 'Garchmop', target: 'Kingambit' } });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /Garchomp/);
    const mod = await speedTiers({ format: 'gen9ou', modifiers: { scarf: true } });
    assert.equal(mod.isError, true);
    assert.match(mod.content[0].text, /unknown modifier "scarf".*choiceScarf/);
    const none = await speedTiers({ format: 'gen9zu' });
    assert.equal(none.isError, true);
    assert.match(none.content[0].text, /No usage statistics or sets are loaded for gen9zu/);
  });

  test('pokemon://speed/{format} serves the default tiers', async () => {
    const { contents } = await client.readResource({ uri: 'pokemon://speed/gen9ou' });
    const body = JSON.parse(contents[0].text);
    assert.equal(body.format, 'gen9ou');
    assert.ok(body.tiers.length > 20);
  });
});

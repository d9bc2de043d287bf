// damage_calc against @smogon/calc itself (issue #12): a seeded generator draws cases over
// generations 1-9 from the library's own data (species, moves, items, abilities, natures), with
// weather, terrain, screens, crits, multi-hit moves, Tera (gen 9) and doubles spread moves; each
// case goes to the running worker's damage_calc over MCP with explicit sets, and the same case is
// calculated here with calculate(). The rolls (every hit's), the range and the description must
// be identical. A case the tool refuses (a name its dex does not know in that generation) is
// counted and reported; at least 300 cases must be compared and refusals must stay rare.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Dex } from '@pkmn/dex';
import { calculate, Field, Generations, Move, Pokemon } from '@smogon/calc';

import { call } from './harness.mjs';

const SEED = Number(process.env.CALC_DIFF_SEED ?? 20261206);
const CASES = Number(process.env.CALC_DIFF_CASES ?? 360);
const MIN_COMPARED = 300;

// mulberry32: small, seedable, reproducible.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATS = ['hp', 'atk', 'def', 'spa', 'spd', 'spe'];
const WEATHER = { sun: 'Sun', rain: 'Rain', sand: 'Sand', snow: 'Snow', hail: 'Hail' };
const TERRAIN = { electric: 'Electric', grassy: 'Grassy', psychic: 'Psychic', misty: 'Misty' };
const TYPES = ['Normal', 'Fire', 'Water', 'Electric', 'Grass', 'Ice', 'Fighting', 'Poison', 'Ground', 'Flying',
  'Psychic', 'Bug', 'Rock', 'Ghost', 'Dragon', 'Dark', 'Steel', 'Fairy', 'Stellar'];
const SIDE_FLAGS = { reflect: 'isReflect', lightScreen: 'isLightScreen', auroraVeil: 'isAuroraVeil',
  helpingHand: 'isHelpingHand', stealthRock: 'isSR' };

// Names the server's dex has in that generation (scripts/export-dex.mjs drops CAP, Custom, LGPE
// and Future entries), so cases test calculations rather than the dex's coverage.
const DROPPED = new Set(['CAP', 'Custom', 'LGPE', 'Future']);
function pools(gen) {
  const g = Generations.get(gen);
  const dex = Dex.forGen(gen);
  const known = (table) => (x) => { const e = table.get(x.name); return e?.exists && !DROPPED.has(e.isNonstandard); };
  const species = [...g.species].filter(known(dex.species));
  const moves = [...g.moves].filter((m) => m.category !== 'Status' && m.basePower > 0 && !m.isZ && !m.isMax &&
    known(dex.moves)(m) && !dex.moves.get(m.name).isZ && !dex.moves.get(m.name).isMax);
  const items = gen >= 2 ? [...g.items].filter(known(dex.items)) : [];
  const abilities = gen >= 3 ? [...g.abilities].filter(known(dex.abilities)) : [];
  const natures = gen >= 3 ? [...g.natures] : [];
  return { g, species, moves, items, abilities, natures };
}

function makeCase(rand, gen, P) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const chance = (p) => rand() < p;
  const side = (role) => {
    const sp = pick(P.species);
    const s = { pokemon: sp.name, level: chance(0.2) ? 50 : 100 };
    if (P.items.length && chance(0.7)) s.item = pick(P.items).name;
    if (P.abilities.length) {
      const own = Object.values(sp.abilities ?? {});
      s.ability = own.length && chance(0.7) ? pick(own) : pick(P.abilities).name;
    }
    if (P.natures.length) s.nature = pick(P.natures).name;
    const evs = {};
    if (gen >= 3) {
      let left = 508;
      for (const st of STATS) { const v = Math.min(left, pick([0, 4, 84, 252])); if (v) evs[st] = v; left -= v; }
    } else {
      for (const st of STATS) if (chance(0.3)) evs[st] = pick([0, 128, 200]);
    }
    // Generations 1-2 have one Special stat: the library wants equal SpA and SpD (the tool
    // copies a lone one), so both sides of the comparison get both.
    const special = (o) => { if (gen <= 2 && ('spa' in o || 'spd' in o)) { const v = o.spa ?? o.spd; o.spa = v; o.spd = v; } return o; };
    if (Object.keys(evs).length) s.evs = special(evs);
    if (chance(0.2)) s.ivs = special({ [pick(STATS)]: pick([0, 15, 30]) });
    if (chance(0.3)) s.boosts = special({ [pick(['atk', 'def', 'spa', 'spd'])]: pick([-2, -1, 1, 2, 6]) });
    if (gen >= 9 && chance(0.3)) { s.teraType = pick(TYPES); s.terastallized = true; }
    if (chance(0.1)) s.status = pick(['brn', 'par', 'psn']);
    if (role === 'defender' && chance(0.15)) s.currentHpPercent = pick([25, 50, 75]);
    return s;
  };
  const attacker = side('attacker');
  const defender = side('defender');
  const multi = P.moves.filter((m) => m.multihit);
  const spread = P.moves.filter((m) => m.target === 'allAdjacentFoes' || m.target === 'allAdjacent');
  const mv = gen >= 3 && chance(0.12) ? pick(spread) : chance(0.12) && multi.length ? pick(multi) : pick(P.moves);
  const field = {};
  if (gen >= 3 && (spread.includes(mv) || chance(0.1))) field.gameType = 'doubles';
  if (gen >= 2 && chance(0.35)) field.weather = pick(Object.keys(WEATHER).filter((w) => gen >= 9 ? w !== 'hail' : w !== 'snow'));
  if (gen >= 6 && chance(0.3)) field.terrain = pick(Object.keys(TERRAIN));
  if (chance(0.2)) field.criticalHit = true;
  if (mv.multihit && Array.isArray(mv.multihit) && chance(0.7)) field.hits = pick([2, 3, 4, 5].filter((h) => h <= mv.multihit[1]));
  const dside = {};
  for (const [k] of Object.entries(SIDE_FLAGS)) {
    if (k === 'helpingHand' || (k === 'auroraVeil' && gen < 7)) continue;
    if (chance(0.15)) dside[k] = true;
  }
  if (chance(0.15)) dside.spikes = pick([1, 2, 3]);
  if (Object.keys(dside).length) field.defenderSide = dside;
  if (gen >= 3 && chance(0.15)) field.attackerSide = { helpingHand: true };
  return { generation: gen, attacker, defender, move: mv.name, field };
}

// The same case, straight into the library (the tool's documented mapping of its arguments).
function direct(c) {
  const gen = Generations.get(c.generation);
  const mon = (s) => {
    const { pokemon, teraType, terastallized, currentHpPercent, ...o } = s;
    if (terastallized) o.teraType = teraType;
    if (c.generation < 3) { delete o.ability; delete o.nature; }
    const p = new Pokemon(gen, pokemon, o);
    if (currentHpPercent !== undefined) p.originalCurHP = Math.max(1, Math.floor(p.maxHP() * currentHpPercent / 100));
    return p;
  };
  const f = c.field;
  const sideOf = (s = {}) => Object.fromEntries([
    ...Object.entries(SIDE_FLAGS).filter(([k]) => s[k]).map(([k, v]) => [v, true]),
    ...(s.spikes ? [['spikes', s.spikes]] : []),
  ]);
  const field = new Field({
    gameType: f.gameType === 'doubles' ? 'Doubles' : 'Singles',
    weather: f.weather && WEATHER[f.weather], terrain: f.terrain && TERRAIN[f.terrain],
    attackerSide: sideOf(f.attackerSide), defenderSide: sideOf(f.defenderSide),
  });
  const move = new Move(gen, c.move, { isCrit: !!f.criticalHit, ...(f.hits ? { hits: f.hits } : {}) });
  const r = calculate(gen, mon(c.attacker), mon(c.defender), move, field);
  const range = r.range();
  return { damage: r.damage, range, desc: range[1] > 0 ? r.desc() : null };
}

describe('damage_calc equals @smogon/calc', () => {
  test(`${CASES} seeded cases over generations 1-9 (seed ${SEED})`, { timeout: 600_000 }, async () => {
    const rand = rng(SEED);
    const P = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9].map((g) => [g, pools(g)]));
    const seen = { compared: 0, refused: [], perGen: {}, features: {} };
    const note = (k) => { seen.features[k] = (seen.features[k] ?? 0) + 1; };
    for (let i = 0; i < CASES; i++) {
      const gen = 1 + (i % 9);
      const c = makeCase(rand, gen, P[gen]);
      let want;
      try { want = direct(c); } catch (e) { seen.refused.push(`library: ${e.message}`); continue; }
      // One client address per 80 cases: the anonymous limit is 100 requests a minute.
      const headers = { 'CF-Connecting-IP': `10.212.${Math.floor(i / 80)}.${SEED % 250 + 1}` };
      const res = await call('tools/call', { name: 'damage_calc', arguments: c }, { headers });
      assert.equal(res.status, 200, res.text);
      const r = res.json.result;
      if (r.isError) {
        const text = r.content[0].text;
        assert.match(text, /unknown|not available|Tera/i, `unexpected refusal of ${JSON.stringify(c)}: ${text}`);
        seen.refused.push(text);
        continue;
      }
      const got = r.structuredContent.results[0];
      const label = `case ${i} ${JSON.stringify(c)}`;
      assert.deepEqual(got.damage, want.damage, `rolls differ: ${label}`);
      assert.deepEqual(got.range, want.range, `range differs: ${label}`);
      assert.equal(got.desc, want.desc, `description differs: ${label}`);
      seen.compared++;
      seen.perGen[gen] = (seen.perGen[gen] ?? 0) + 1;
      if (Array.isArray(want.damage) && Array.isArray(want.damage[0])) note('multi-hit');
      if (c.field.gameType === 'doubles') note('doubles');
      if (c.field.weather) note('weather');
      if (c.field.terrain) note('terrain');
      if (c.field.criticalHit) note('crit');
      if (c.field.defenderSide?.reflect || c.field.defenderSide?.lightScreen || c.field.defenderSide?.auroraVeil) note('screens');
      if (c.attacker.terastallized || c.defender.terastallized) note('tera');
      if (c.attacker.item || c.defender.item) note('items');
      if (c.attacker.ability) note('abilities');
      if (want.range[1] === 0) note('no damage');
    }
    console.log(`# compared ${seen.compared}, refused ${seen.refused.length}; per generation ${JSON.stringify(seen.perGen)}; features ${JSON.stringify(seen.features)}`);
    for (const why of seen.refused.slice(0, 10)) console.log(`#   refused: ${why.slice(0, 160)}`);
    assert.ok(seen.compared >= MIN_COMPARED, `only ${seen.compared} cases compared`);
    assert.ok(seen.refused.length <= CASES * 0.1, `${seen.refused.length} of ${CASES} cases refused`);
    for (const g of [1, 2, 3, 4, 5, 6, 7, 8, 9]) assert.ok(seen.perGen[g] >= 20, `generation ${g}: ${seen.perGen[g]} cases`);
    for (const f of ['multi-hit', 'doubles', 'weather', 'terrain', 'crit', 'screens', 'tera', 'items', 'abilities']) {
      assert.ok(seen.features[f] >= 5, `too few ${f} cases: ${seen.features[f]}`);
    }
  });
});

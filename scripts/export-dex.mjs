#!/usr/bin/env node
// Export the parts of @pkmn/dex that porygon needs into one compact JSON table.
//
//   node scripts/export-dex.mjs OUT.json
//
// build.rs runs this at build time and the Rust `dex` module embeds the result
// (`include_str!`), so the data always comes from the pinned @pkmn/dex version
// in package-lock.json and is never typed by hand. Output is deterministic:
// object keys are sorted recursively and lists are emitted in a fixed order.
// Strings are Unicode NFC; ids are Showdown ids (lowercase a-z0-9).
//
// ## Schema (version 1)
//
// {
//   "version": 1,
//   "source": "@pkmn/dex 0.10.11",
//   "species": { ID: Species, ... },
//   "moves":     { ID: [displayName, avail], ... },   // typed Hidden Powers too: "hiddenpowerfire"
//   "items":     { ID: [displayName, avail], ... },
//   "abilities": { ID: [displayName, avail], ... },
//   "natures":   [ { "id", "name", "plus"?, "minus"? }, ... ]   // sorted by id; neutral natures omit plus/minus
//   "typecharts": [ { "gens": [g, ...], "types": [T, ...], "chart": { ATK: { DEF: mult } } }, ... ]
//   "roles": { ROLE: [ [kind, id, effect, gens], ... ], ... }   // see "Roles" below
// }
//
// avail: a 9-character string, one character per generation 1..9:
//   '-' absent   'S' standard   'P' Past (removed from that gen's games, still in National Dex)
//   'U' Unobtainable   'G' Gigantamax (gen 8 G-Max formes and moves)
// We drop entries whose isNonstandard is CAP, Custom, LGPE or Future (not real
// cartridge data for that generation) and keep Past / Unobtainable / Gigantamax,
// because National Dex and gen-8 formats still use them; the letter tells the
// consumer which is which.
//
// Species: stored once, as the data of the NEWEST generation it exists in, plus
// a chain of per-generation deltas going back in time. The delta for gen g
// holds only the fields that differ from the next NEWER gen in which the
// species exists (chained rather than all relative to the newest gen: a change
// such as Clefairy's Normal -> Fairy typing is then stored once, not in every
// older gen, which keeps the table ~15% smaller):
//   {
//     "name": "Garchomp", "num": 445, "avail": "---SSSSSS",
//     "types": ["Dragon", "Ground"],              // order matters: primary first
//     "stats": [hp, atk, def, spa, spd, spe],     // gen 1: spa == spd == the single Special stat
//     "abilities": { "0": A, "1"?: A, "H"?: A, "S"?: A },   // {} in gens 1-2 (no abilities)
//     "tiers": [tier, doublesTier, natDexTier],   // as the dex gives them; "" = none
//     "baseSpecies"?: "Garchomp",                 // omitted when equal to name
//     "forme"?: "Mega-X",                         // omitted when empty
//     "otherFormes"?: ["Garchomp-Mega"],          // only formes that are themselves exported
//     "deltas"?: { "8": { "tiers": ["OU", "(DUU)", "OU"] },
//                  "4": { "abilities": { "0": "Sand Veil" }, "tiers": ["Uber", "Uber", ""] } }
//   }
// A delta may contain types, stats, abilities, tiers. Resolving gen g: start
// from the record and apply, newest first, every delta whose gen is >= g.
//
// Type charts: damage multipliers attacker -> defender for the types that exist
// in those gens, listing only non-neutral (!= 1) pairs. Consecutive identical
// gens are merged (in practice: [1], [2..5], [6..9]). "Stellar" (a gen-9 Tera
// type only, never a species type, neutral against everything on the chart) is
// left out; so is "???".

// ## Roles
//
// The jobs players ask for ("who removes hazards", "Trick Room setters") as the moves, abilities
// and items that do them, derived from @pkmn/dex's data in every generation, never listed by
// hand: a new move with the same data joins its role on the next @pkmn/dex update. Each entry is
// [kind ("move" | "ability" | "item"), id, effect ("" or what exactly it sets: a weather,
// terrain, hazard, screen or status id), gens (the digits of the generations where the rule
// holds, e.g. "89": Teleport switches out only from gen 8)]. The rules, per generation:
//   hazard-removal  moves whose description clears hazards ("hazards" in the short description,
//                   not one that sets them) or swaps field effects (Court Change)
//   hazard-setting  moves that put a side condition on the foe's side, or whose description
//                   sets Spikes / Stealth Rock (Ceaseless Edge, Stone Axe)
//   priority        damaging moves with priority > 0
//   pivot           moves that switch the user out (selfSwitch true or Shed Tail; not Revival
//                   Blessing, whose switch chooses a fainted ally)
//   setup           status moves on the user that raise Attack, Sp. Atk or Speed
//   wallbreaker     items and abilities that multiply Attack or Sp. Atk or every attack
//   weather         moves with a weather, abilities that summon one
//   terrain         moves with a terrain, abilities that summon one
//   screens         moves that halve damage to the user's side for turns
//   trick-room      moves that start Trick Room
//   cleric          healing slot conditions (Wish, Healing Wish) and moves that cure the party
//   phazing         moves that force the target out
//   recovery        status moves that heal the user (walls)
//   status          status moves that inflict a major status on the target
// Z-moves and Max/G-Max moves are left out: no set chooses them.
import {writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {Dex} from '@pkmn/dex';

const GENS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const DROPPED = new Set(['CAP', 'Custom', 'LGPE', 'Future']);
const AVAIL = {null: 'S', Past: 'P', Unobtainable: 'U', Gigantamax: 'G'};
const NOT_CHART_TYPES = new Set(['Stellar', '???']);

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/export-dex.mjs OUT.json');
  process.exit(2);
}

const dexVersion = createRequire(import.meta.url)('@pkmn/dex/package.json').version;
const dexes = Object.fromEntries(GENS.map(g => [g, Dex.forGen(g)]));

/** The avail letter for one dex entry, or null when it is not exported in that gen. */
function availLetter(entry) {
  if (!entry || !entry.exists || DROPPED.has(entry.isNonstandard)) return null;
  const letter = AVAIL[entry.isNonstandard ?? null];
  if (!letter) throw new Error(`unhandled isNonstandard ${entry.isNonstandard} on ${entry.name}`);
  return letter;
}

/** Per-gen letters for an id in one table ('species', 'moves', ...). */
function availability(table, id) {
  return GENS.map(g => {
    const entry = dexes[g][table].get(id);
    // `get` falls back to other data for unknown ids; only trust an exact hit.
    return entry && toID(entry.name) === id ? (availLetter(entry) ?? '-') : '-';
  }).join('');
}

/**
 * All ids of a table that are exported in at least one gen. Keyed by the id of
 * the display name, which equals the dex id except for the typed Hidden Power
 * variants ("Hidden Power Fire" has dex id "hiddenpower"): keying them as
 * "hiddenpowerfire" lets team validation resolve them like Showdown does.
 */
function exportedIds(table) {
  const ids = new Set();
  for (const g of GENS) {
    for (const entry of dexes[g][table].all()) {
      if (availLetter(entry)) ids.add(toID(entry.name));
    }
  }
  return [...ids].sort();
}

const newestGen = avail => avail.length - [...avail].reverse().findIndex(c => c !== '-');

function speciesFields(s, gen) {
  return {
    types: [...s.types],
    stats: [s.baseStats.hp, s.baseStats.atk, s.baseStats.def,
      s.baseStats.spa, s.baseStats.spd, s.baseStats.spe],
    // The dex still lists an ability for gens 1-2; abilities only exist from gen 3.
    abilities: gen >= 3 ? {...s.abilities} : {},
    tiers: [s.tier ?? '', s.doublesTier ?? '', s.natDexTier ?? ''],
  };
}

const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));

function exportSpecies() {
  const ids = exportedIds('species');
  const exported = new Set(ids);
  const result = {};
  for (const id of ids) {
    const avail = availability('species', id);
    const newest = newestGen(avail);
    const s = dexes[newest].species.get(id);
    let newer = speciesFields(s, newest);
    const record = {name: s.name, num: s.num, avail, ...newer};
    if (s.baseSpecies && s.baseSpecies !== s.name) record.baseSpecies = s.baseSpecies;
    if (s.forme) record.forme = s.forme;
    const formes = (s.otherFormes ?? []).filter(f => exported.has(toID(f)));
    if (formes.length) record.otherFormes = formes;

    // Walk back in time; each delta is relative to the next newer existing gen.
    const deltas = {};
    for (let g = newest - 1; g >= 1; g--) {
      if (avail[g - 1] === '-') continue;
      const older = speciesFields(dexes[g].species.get(id), g);
      const delta = {};
      for (const key of Object.keys(older)) {
        if (!same(older[key], newer[key])) delta[key] = older[key];
      }
      if (Object.keys(delta).length) deltas[g] = delta;
      newer = older;
    }
    if (Object.keys(deltas).length) record.deltas = deltas;
    result[id] = record;
  }
  return result;
}

function exportNames(table) {
  const result = {};
  for (const id of exportedIds(table)) {
    const avail = availability(table, id);
    result[id] = [dexes[newestGen(avail)][table].get(id).name, avail];
  }
  return result;
}

function exportNatures() {
  // Natures exist from gen 3 and never changed since.
  return dexes[9].natures.all()
    .filter(n => availLetter(n))
    .map(n => (n.plus ? {id: n.id, name: n.name, plus: n.plus, minus: n.minus}
      : {id: n.id, name: n.name}))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Attacker -> defender multipliers (non-neutral only) for one generation. */
function typeChart(gen) {
  const types = dexes[gen].types.all()
    .filter(t => availLetter(t) === 'S' && !NOT_CHART_TYPES.has(t.name))
    .map(t => t.name)
    .sort();
  // damageTaken codes, per the Showdown data: 0 neutral, 1 weak (2x), 2 resist (0.5x), 3 immune.
  const mult = {0: 1, 1: 2, 2: 0.5, 3: 0};
  const chart = {};
  for (const atk of types) {
    const row = {};
    for (const def of types) {
      const code = dexes[gen].types.get(def).damageTaken[atk] ?? 0;
      if (!(code in mult)) throw new Error(`gen ${gen}: ${atk}->${def} has damageTaken ${code}`);
      if (mult[code] !== 1) row[def] = mult[code];
    }
    chart[atk] = row;
  }
  return {types, chart};
}

function exportTypeCharts() {
  const groups = [];
  for (const g of GENS) {
    const tc = typeChart(g);
    const last = groups[groups.length - 1];
    if (last && same({types: last.types, chart: last.chart}, tc)) last.gens.push(g);
    else groups.push({gens: [g], ...tc});
  }
  return groups;
}

const WEATHER_NAMES = {
  'Sunny Day': 'sunnyday', 'Rain Dance': 'raindance', 'Sandstorm': 'sandstorm', 'Snow': 'snowscape',
  'Hail': 'hail', 'extremely harsh sunlight': 'sunnyday', 'heavy rain': 'raindance',
};
const HAZARD_NAMES = {'Spikes': 'spikes', 'Stealth Rock': 'stealthrock', 'Toxic Spikes': 'toxicspikes', 'Sticky Web': 'stickyweb'};

/** [role, effect] pairs of one move in one gen (see "Roles" in the header). */
function moveRoles(m) {
  if (m.isZ || m.isMax) return [];
  const desc = m.shortDesc ?? '';
  const roles = [];
  const sets = /^Sets |Sets a layer|Foes: .* hazard/.test(desc);
  if ((/hazard/i.test(desc) && !sets && !m.sideCondition) || /Swaps user's field effects/.test(desc)) {
    roles.push(['hazard-removal', '']);
  }
  if (m.sideCondition && m.target === 'foeSide') roles.push(['hazard-setting', toID(m.sideCondition)]);
  else {
    const named = /Sets (?:a layer of )?(Toxic Spikes|Spikes|Stealth Rock|Sticky Web)/.exec(desc);
    if (named) roles.push(['hazard-setting', HAZARD_NAMES[named[1]]]);
  }
  if (m.priority > 0 && m.category !== 'Status') roles.push(['priority', '']);
  if ((m.selfSwitch === true || m.selfSwitch === 'shedtail') && !/^Revives/.test(desc)) roles.push(['pivot', '']);
  const self = m.target === 'self' || m.target === 'adjacentAllyOrSelf';
  const raises = Object.entries(m.boosts ?? {}).some(([stat, n]) => n > 0 && ['atk', 'spa', 'spe'].includes(stat));
  if (m.category === 'Status' && self && (raises || /\+\d (Atk|SpA|Spe)|maximizes Attack/i.test(desc))) {
    roles.push(['setup', '']);
  }
  if (m.weather) roles.push(['weather', toID(m.weather)]);
  if (m.terrain) roles.push(['terrain', toID(m.terrain)]);
  if (m.sideCondition && m.target === 'allySide' && /damage .*halved/.test(desc)) roles.push(['screens', toID(m.sideCondition)]);
  if (m.pseudoWeather === 'trickroom') roles.push(['trick-room', '']);
  if (((m.slotCondition && m.flags?.heal) || (m.target === 'allyTeam' && /^Cures/.test(desc))) && !/^Revives/.test(desc)) roles.push(['cleric', '']);
  if (m.forceSwitch === true) roles.push(['phazing', '']);
  if (m.flags?.heal && m.category === 'Status' && m.target === 'self' && !m.slotCondition) roles.push(['recovery', '']);
  if (m.category === 'Status' && m.status && m.target === 'normal') roles.push(['status', m.status]);
  return roles;
}

function abilityRoles(a) {
  const desc = a.shortDesc ?? '';
  const roles = [];
  const weather = /summons (Sunny Day|Rain Dance|Sandstorm|Snow|Hail)\b|(extremely harsh sunlight|heavy rain) begins/.exec(desc);
  if (weather) roles.push(['weather', WEATHER_NAMES[weather[1] ?? weather[2]]]);
  const terrain = /summons (Electric|Grassy|Misty|Psychic) Terrain/.exec(desc);
  if (terrain) roles.push(['terrain', `${terrain[1].toLowerCase()}terrain`]);
  if (/Attack is doubled/.test(desc)) roles.push(['wallbreaker', '']);
  return roles;
}

function itemRoles(i) {
  const desc = i.shortDesc ?? '';
  return /(Attack|Sp\. Atk) is 1\.5x|attacks do 1\.3x damage/.test(desc) && !/Speed/.test(desc) ? [['wallbreaker', '']] : [];
}

function exportRoles() {
  const found = {}; // role -> "kind id effect" -> gens
  const tables = [['moves', 'move', moveRoles], ['abilities', 'ability', abilityRoles], ['items', 'item', itemRoles]];
  for (const [table, kind, rolesOf] of tables) {
    for (const id of exportedIds(table)) {
      for (const g of GENS) {
        const entry = dexes[g][table].get(id);
        if (!entry || toID(entry.name) !== id || !availLetter(entry)) continue;
        if (kind === 'ability' && g < 3) continue;
        if (kind === 'item' && g < 2) continue;
        for (const [role, effect] of rolesOf(entry)) {
          const key = `${kind} ${id} ${effect}`;
          ((found[role] ??= {})[key] ??= []).push(g);
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(found).map(([role, entries]) => [role,
    Object.entries(entries).map(([key, gens]) => [...key.split(' '), gens.join('')]).sort((a, b) => (a.join(' ') < b.join(' ') ? -1 : 1))]));
}

/** Showdown-style id; NFD first so accented letters keep their base letter. */
function toID(text) {
  return String(text).normalize('NFD').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map(k => [k, sortKeys(value[k])]));
  }
  return value;
}

const table = sortKeys({
  version: 1,
  source: `@pkmn/dex ${dexVersion}`,
  species: exportSpecies(),
  moves: exportNames('moves'),
  items: exportNames('items'),
  abilities: exportNames('abilities'),
  natures: exportNatures(),
  typecharts: exportTypeCharts(),
  roles: exportRoles(),
});

// Some dex names are stored decomposed ("Flabe\u0301be\u0301"); emit NFC so
// display names compare equal to what people type. JSON's syntax is ASCII, so
// normalising the whole text only touches string contents.
const json = JSON.stringify(table).normalize('NFC');
writeFileSync(out, json);
const counts = ['species', 'moves', 'items', 'abilities', 'natures']
  .map(k => `${Object.keys(table[k]).length} ${k}`).join(', ');
console.log(`export-dex: wrote ${out} (${Buffer.byteLength(json)} bytes; ${counts}; ` +
  `type charts for gens ${table.typecharts.map(t => t.gens.join(',')).join(' | ')})`);

// Labels for the golden set's questions about jobs ("who removes hazards in SV OU"), made from
// the data by one written rule, never from a ranker (see README.md, "Questions about jobs"):
//
//   a species' usage document answers "who does job J in format F" when F's statistics show one
//   of J's moves, items or abilities on at least MIN% of its sets (grade 2 from 50 %), or — in a
//   format with no statistics — when at least one of its Smogon sets carries one (grade 2 when
//   every set does; a set that names no ability has the species' only ability, if it has one).
//
// J's moves/items/abilities are listed by hand below, from the game's descriptions, on purpose:
// the server derives them from @pkmn/dex's data (src/dex/roles.rs), and labels that came from the
// same derivation could not catch its mistakes. Prints golden-set entries (JSON) for the specs in
// tests/golden/job-specs.json (the golden set's) or tests/golden/tuning-specs.json (the tuning
// set's, see README.md); a new spec is labelled with
//   node tests/golden/label-jobs.mjs [--specs job-specs.json] [--data ../shared/data] > /tmp/jobs.json
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Dex } = require("@pkmn/dex");
const args = process.argv.slice(2);
const data = args.includes("--data") ? args[args.indexOf("--data") + 1] : new URL("../../../shared/data/", import.meta.url).pathname;
const here = new URL(".", import.meta.url).pathname;

export const JOBS = {
  "hazard-removal": ["Rapid Spin", "Defog", "Mortal Spin", "Tidy Up", "Court Change"],
  "hazard-setting": ["Stealth Rock", "Spikes", "Toxic Spikes", "Sticky Web", "Ceaseless Edge", "Stone Axe"],
  "stealth-rock": ["Stealth Rock", "Stone Axe"],
  spikes: ["Spikes", "Ceaseless Edge"],
  "sticky-web": ["Sticky Web"],
  "rapid-spin": ["Rapid Spin"],
  defog: ["Defog"],
  "fake-out": ["Fake Out"],
  "swords-dance": ["Swords Dance"],
  "dragon-dance": ["Dragon Dance"],
  "volt-switch": ["Volt Switch"],
  "will-o-wisp": ["Will-O-Wisp"],
  "thunder-wave": ["Thunder Wave"],
  "toxic": ["Toxic"],
  "heal-bell": ["Heal Bell", "Aromatherapy"],
  "whirlwind": ["Whirlwind"],
  "light-screen": ["Light Screen"],
  "drizzle": ["Drizzle"],
  "choice-specs": ["Choice Specs"],
  "electric-terrain": ["Electric Surge", "Hadron Engine", "Electric Terrain"],
  "psychic-terrain": ["Psychic Surge", "Psychic Terrain"],
  "toxic-spikes": ["Toxic Spikes"],
  "u-turn": ["U-turn"],
  "choice-band": ["Choice Band"],
  "nasty-plot": ["Nasty Plot"],
  wish: ["Wish"],
  sleep: ["Spore", "Sleep Powder", "Hypnosis", "Lovely Kiss", "Sing"],
  priority: ["Sucker Punch", "Extreme Speed", "Aqua Jet", "Bullet Punch", "Ice Shard", "Mach Punch", "Shadow Sneak",
    "Quick Attack", "Vacuum Wave", "Jet Punch", "Accelerock", "First Impression", "Fake Out", "Water Shuriken",
    "Thunderclap", "Upper Hand"],
  pivot: ["U-turn", "Volt Switch", "Flip Turn", "Parting Shot", "Teleport", "Chilly Reception", "Shed Tail"],
  setup: ["Swords Dance", "Dragon Dance", "Nasty Plot", "Calm Mind", "Quiver Dance", "Shell Smash", "Bulk Up",
    "Belly Drum", "Agility", "Victory Dance", "Tidy Up", "Coil", "Shift Gear", "Tail Glow", "Geomancy",
    "Clangorous Soul", "No Retreat", "Fillet Away", "Rock Polish", "Growth", "Work Up", "Hone Claws", "Amnesia"],
  rain: ["Drizzle", "Rain Dance"],
  sun: ["Drought", "Sunny Day", "Orichalcum Pulse"],
  sand: ["Sand Stream", "Sandstorm"],
  snow: ["Snow Warning", "Snowscape", "Hail", "Chilly Reception"],
  weather: ["Drizzle", "Rain Dance", "Drought", "Sunny Day", "Orichalcum Pulse", "Sand Stream", "Sandstorm",
    "Snow Warning", "Snowscape", "Hail", "Chilly Reception"],
  "trick-room": ["Trick Room"],
  screens: ["Reflect", "Light Screen", "Aurora Veil"],
  cleric: ["Wish", "Heal Bell", "Aromatherapy", "Healing Wish", "Lunar Dance"],
  phazing: ["Roar", "Whirlwind", "Dragon Tail", "Circle Throw"],
  wallbreaker: ["Choice Band", "Choice Specs", "Life Orb"],
  status: ["Will-O-Wisp", "Toxic", "Thunder Wave", "Spore", "Sleep Powder", "Glare", "Stun Spore", "Sing",
    "Hypnosis", "Lovely Kiss", "Sleep Powder"],
};

const id = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "");
const STATS = { gen9ou: ["moveset", "smogon-stats/moveset-gen9ou-1695.txt"], gen1ou: ["chaos", "smogon-stats/chaos-gen1ou-1760.json"] };
// What a usage document prints of each breakdown (src/corpus/documents.rs: TOP_MOVES, TOP_SHARES).
const SHOWN = { Moves: 8, Items: 6, Abilities: 6 };

/** species name → { Moves: [[name, text]], Items: [...], Abilities: [...] } in report order. */
function readStats(format) {
  const [kind, file] = STATS[format];
  const out = new Map();
  if (kind === "chaos") {
    const gen = Dex.forGen(Number(format[3]));
    for (const [species, d] of Object.entries(JSON.parse(readFileSync(data + file, "utf8")).data)) {
      const total = Object.values(d.Items).reduce((a, b) => a + b, 0);
      const table = (counts, lookup) => Object.entries(counts).sort((a, b) => b[1] - a[1])
        .map(([k, w]) => [lookup(k), ((100 * w) / total).toFixed(3)]);
      out.set(species, {
        Moves: table(d.Moves, (k) => (k === "" ? "Nothing" : gen.moves.get(k).name)),
        Items: table(d.Items, (k) => gen.items.get(k)?.name ?? k),
        Abilities: table(d.Abilities, (k) => gen.abilities.get(k)?.name ?? k),
      });
    }
    return out;
  }
  let species = null;
  let section = null;
  const lines = readFileSync(data + file, "utf8").split("\n");
  for (const [i, line] of lines.entries()) {
    const cell = line.replace(/^\s*\|\s?/, "").replace(/\s*\|\s*$/, "").trim();
    if (/^\s*\+-+\+\s*$/.test(line)) {
      section = null;
      // A species block starts with a separator, its name, a separator and "Raw count".
      if (/^\s*\+-+\+\s*$/.test(lines[i + 2] ?? "") && /Raw count/.test(lines[i + 3] ?? "")) {
        species = lines[i + 1].replace(/\|/g, "").trim();
        out.set(species, { Moves: [], Items: [], Abilities: [] });
      }
      continue;
    }
    if (["Moves", "Items", "Abilities", "Spreads", "Teammates", "Checks and Counters"].includes(cell)) {
      section = cell;
      continue;
    }
    const m = /^(.*\S)\s+(\d+\.\d+)%$/.exec(cell);
    if (species && m && out.get(species)[section] && m[1] !== "Other") out.get(species)[section].push([m[1], m[2]]);
  }
  return out;
}

/** Labels and quoted evidence for one spec. */
function label(spec) {
  const names = JOBS[spec.job];
  if (!names) throw new Error(`unknown job ${spec.job}`);
  const wanted = new Set(names.map(id));
  const gen = Dex.forGen(Number(spec.format[3]));
  const speciesId = (name) => id(gen.species.get(name)?.name ?? name);
  const relevant = [];
  const why = [];
  // "Steel-type hazard removers": only species of every type the spec names.
  const typed = (name) => (spec.types ?? []).every((t) => gen.species.get(name)?.types.includes(t));
  if (STATS[spec.format]) {
    for (const [species, b] of readStats(spec.format)) {
      let best = null;
      for (const [kind, shown] of Object.entries(SHOWN)) {
        for (const [name, text] of b[kind].slice(0, shown)) {
          if (wanted.has(id(name)) && Number(text) >= spec.min && (!best || Number(text) > Number(best[1]))) best = [name, text];
        }
      }
      if (!best || !typed(species)) continue;
      relevant.push({ pokemon: speciesId(species), format: spec.format, section: "usage", grade: Number(best[1]) >= 50 ? 2 : 1 });
      why.push(`${species}: "${best[0]} ${best[1]}%"`);
    }
  } else {
    const sets = JSON.parse(readFileSync(`${data}pkmn-sets/${spec.format}.json`, "utf8"));
    for (const [species, bySet] of Object.entries(sets)) {
      const all = Object.values(bySet);
      let carried = 0;
      let line = null;
      for (const set of all) {
        let hit = false;
        for (const slot of set.moves ?? []) {
          const options = Array.isArray(slot) ? slot : [slot];
          if (options.some((o) => wanted.has(id(o)))) {
            hit = true;
            line ??= `- ${options.join(" / ")}`;
          }
        }
        // A set names no ability when the species has only one: it is implied.
        const only = Object.values(gen.species.get(species)?.abilities ?? {});
        const implied = !set.ability && Number(spec.format[3]) >= 3 && only.length === 1 ? only : [];
        if (implied.some((a) => wanted.has(id(a)))) {
          hit = true;
          line ??= `Smogon sets for ${species} in ${spec.format}:`;
        }
        for (const key of ["item", "ability"]) {
          const options = [set[key] ?? []].flat();
          const found = options.find((o) => wanted.has(id(o)));
          if (found) {
            hit = true;
            // The paste shows the first option ("@ Life Orb"); others under "Other options".
            line ??= found === options[0] ? `${key === "item" ? "@ " : "Ability: "}${found}` : found;
          }
        }
        carried += hit ? 1 : 0;
      }
      if (!carried || !typed(species)) continue;
      relevant.push({ pokemon: speciesId(species), format: spec.format, section: "usage", grade: carried === all.length ? 2 : 1 });
      why.push(`${species}: "${line}"`);
    }
  }
  if (!relevant.length) throw new Error(`${spec.id}: nothing in ${spec.format} does ${spec.job}`);
  const types = spec.types ? ` (${spec.types.join("/")}-type only)` : "";
  const rule = types + (STATS[spec.format] ? `on at least ${spec.min}% of its sets in the statistics` : "in at least one Smogon set");
  return {
    id: spec.id,
    category: spec.category,
    query: spec.query,
    filters: spec.filters ?? {},
    relevant,
    why: `${spec.job} (${names.join(", ")}) ${rule}: ${why.join("; ")}`,
  };
}

const specsFile = args.includes("--specs") ? args[args.indexOf("--specs") + 1] : "job-specs.json";
const specs = JSON.parse(readFileSync(here + specsFile, "utf8"));
console.log(JSON.stringify(specs.map(label), null, 2));

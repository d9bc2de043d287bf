// The benchmark peer (bench/peer/README.md): one MCP tool, `get_pokemon`, served the way
// Cloudflare's "remote MCP server" TypeScript template serves tools — an `McpAgent` (agents),
// i.e. one Durable Object per MCP session, holding an SDK v1 `McpServer`, with zod input schemas,
// over Streamable HTTP at /mcp. Its answer has the shape of porygon's get_pokemon
// (src/tools/get_pokemon.rs) minus the usage statistics, computed from @pkmn/dex at call time.
import { McpAgent } from "agents/mcp";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Dex } from "@pkmn/dex";
import dexPackage from "@pkmn/dex/package.json";
import { z } from "zod";

const SOURCE = `@pkmn/dex ${dexPackage.version}`;
const GENS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
// As scripts/export-dex.mjs (porygon's dex table): these entries do not exist for porygon.
const DROPPED = new Set(["CAP", "Custom", "LGPE", "Future"]);
const NOT_CHART_TYPES = new Set(["Stellar", "???"]);
// Showdown's damageTaken codes: 0 neutral, 1 weak (2×), 2 resist (0.5×), 3 immune.
const MULTIPLIER: Record<number, number> = { 0: 1, 1: 2, 2: 0.5, 3: 0 };
const SLOTS: Record<string, string> = { "0": "primary", "1": "secondary", H: "hidden", S: "special" };

type Multiplier = { type: string; multiplier: number };
type Entry = {
  name: string;
  id: string;
  generation: number;
  types: string[];
  baseStats: { hp: number; atk: number; def: number; spa: number; spd: number; spe: number; total: number };
  abilities: { name: string; slot: string }[];
  tiers: { singles: string | null; doubles: string | null; nationalDex: string | null };
  formes: { baseSpecies: string; forme: string | null; otherFormes: string[] };
  matchups: { weaknesses: Multiplier[]; resistances: Multiplier[]; immunities: string[] };
  source: string;
};

const dexes = Object.fromEntries(GENS.map((g) => [g, Dex.forGen(g)]));
const exists = (e: { exists: boolean; isNonstandard: string | null } | undefined) =>
  !!e && e.exists && !DROPPED.has(e.isNonstandard ?? "");

/** The type chart of one generation, built once per isolate: types (alphabetical) and attacker → defender multipliers. */
const charts = new Map<number, { types: string[]; mult: (atk: string, def: string) => number }>();
function chart(gen: number) {
  let c = charts.get(gen);
  if (!c) {
    const dex = dexes[gen];
    const types = dex.types
      .all()
      .filter((t) => t.exists && !t.isNonstandard && !NOT_CHART_TYPES.has(t.name))
      .map((t) => t.name as string)
      .sort();
    const mult = (atk: string, def: string) => MULTIPLIER[dex.types.get(def).damageTaken[atk] ?? 0] ?? 1;
    c = { types, mult };
    charts.set(gen, c);
  }
  return c;
}

/** Weaknesses (strongest first), resistances (strongest first), immunities; alphabetical within one multiplier. */
function matchups(gen: number, defending: string[]) {
  const { types, mult } = chart(gen);
  const m = { weaknesses: [] as Multiplier[], resistances: [] as Multiplier[], immunities: [] as string[] };
  for (const atk of types) {
    const x = defending.reduce((p, def) => p * mult(atk, def), 1);
    if (x === 0) m.immunities.push(atk);
    else if (x > 1) m.weaknesses.push({ type: atk, multiplier: x });
    else if (x < 1) m.resistances.push({ type: atk, multiplier: x });
  }
  m.weaknesses.sort((a, b) => b.multiplier - a.multiplier);
  m.resistances.sort((a, b) => a.multiplier - b.multiplier);
  return m;
}

class LookupError extends Error {}

function lookup(name: string, generation?: number): Entry {
  const any = dexes[9].species.get(name);
  if (!any?.exists) throw new LookupError(`Unknown Pokémon: ${name}`);
  const id = any.id;
  const inGen = (g: number) => {
    const s = dexes[g].species.get(id);
    return exists(s) && s.id === id ? s : undefined;
  };
  const gen = generation ?? [...GENS].reverse().find((g) => inGen(g));
  const s = gen ? inGen(gen) : undefined;
  if (!gen || !s) throw new LookupError(generation ? `${any.name} does not exist in generation ${generation}` : `${any.name} is not in any generation`);
  const b = s.baseStats;
  return {
    name: s.name,
    id: s.id,
    generation: gen,
    types: [...s.types],
    baseStats: { hp: b.hp, atk: b.atk, def: b.def, spa: b.spa, spd: b.spd, spe: b.spe, total: b.hp + b.atk + b.def + b.spa + b.spd + b.spe },
    // The dex still lists abilities for gens 1-2; they begin in generation 3.
    abilities:
      gen >= 3
        ? Object.entries(s.abilities)
            .filter(([slot, a]) => a && SLOTS[slot])
            .map(([slot, a]) => ({ name: a as string, slot: SLOTS[slot] }))
        : [],
    tiers: { singles: s.tier || null, doubles: s.doublesTier || null, nationalDex: s.natDexTier || null },
    formes: {
      baseSpecies: s.baseSpecies,
      forme: s.forme || null,
      otherFormes: (s.otherFormes ?? []).filter((f) => {
        const o = dexes[gen].species.get(f);
        return exists(o);
      }),
    },
    matchups: matchups(gen, [...s.types]),
    source: SOURCE,
  };
}

/** The same text as porygon's get_pokemon (src/tools/get_pokemon.rs, `render`). */
function render(e: Entry): string {
  const list = (xs: Multiplier[]) => (xs.length ? xs.map((m) => `${m.type} (${m.multiplier}×)`).join(", ") : "none");
  const b = e.baseStats;
  const abilities = e.abilities.map((a) => (a.slot === "hidden" ? `${a.name} (hidden)` : a.name));
  const tiers = (
    [
      ["singles", e.tiers.singles],
      ["doubles", e.tiers.doubles],
      ["National Dex", e.tiers.nationalDex],
    ] as const
  )
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${v}`);
  return [
    `${e.name} (generation ${e.generation}) — ${e.types.join("/")}`,
    `Base stats: ${b.hp} HP / ${b.atk} Atk / ${b.def} Def / ${b.spa} SpA / ${b.spd} SpD / ${b.spe} Spe (total ${b.total})`,
    `Abilities: ${abilities.length ? abilities.join(", ") : "none (abilities begin in generation 3)"}`,
    `Tiers: ${tiers.length ? tiers.join(", ") : "none listed"}`,
    `Weak to: ${list(e.matchups.weaknesses)}`,
    `Resists: ${list(e.matchups.resistances)}`,
    `Immune to: ${e.matchups.immunities.length ? e.matchups.immunities.join(", ") : "none"}`,
  ].join("\n");
}

export class PeerMcp extends McpAgent {
  server = new McpServer({ name: "porygon-bench-peer", version: "1.0.0" });

  async init() {
    this.server.registerTool(
      "get_pokemon",
      {
        title: "Get Pokémon",
        description:
          "Look up a Pokémon: types, base stats, abilities, Smogon tiers, and its weaknesses, resistances and immunities " +
          "computed from the type chart. Accepts an optional generation (1-9).",
        inputSchema: {
          name: z.string().min(1).max(100).describe('Pokémon name, e.g. "Garchomp"'),
          generation: z.number().int().min(1).max(9).optional().describe("Generation 1-9; default: newest the species exists in"),
        },
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      async ({ name, generation }) => {
        try {
          const entry = lookup(name, generation);
          return { content: [{ type: "text", text: render(entry) }], structuredContent: entry };
        } catch (e) {
          if (!(e instanceof LookupError)) throw e;
          return { content: [{ type: "text", text: e.message }], isError: true };
        }
      },
    );
  }
}

const mcp = PeerMcp.serve("/mcp");

export default {
  fetch(request: Request, env: unknown, ctx: ExecutionContext): Response | Promise<Response> {
    const { pathname } = new URL(request.url);
    // Like porygon's: answered by the Worker itself, no Durable Object.
    if (pathname === "/health/live") return Response.json({ status: "ok" });
    if (pathname === "/mcp") return mcp.fetch(request, env, ctx);
    return new Response("Not found", { status: 404 });
  },
};

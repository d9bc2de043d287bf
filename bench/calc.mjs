// Issue #12 benchmark: damage_calc latency (p50/p95 at 1 and 10 concurrent clients), uncached
// (every call a new calculation) and cached, with explicit sets and with assumed sets (usage
// statistics), against /health/live in the same run; and the deployable bundle's size (gzip)
// from `wrangler deploy --dry-run` of the release build, against the Workers free-plan limit
// (3 MB compressed). Run with `make bench-calc`.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fmt, get, pool, post, summary, table } from "./lib.mjs";

const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;
const KINGAMBIT = { pokemon: "Kingambit", item: "Black Glasses", ability: "Supreme Overlord", nature: "Adamant", evs: { atk: 252, spe: 252 }, moves: ["Kowtow Cleave", "Sucker Punch", "Iron Head", "Swords Dance"] };
const tusk = (hp) => ({ pokemon: "Great Tusk", item: "Leftovers", nature: "Impish", evs: { hp, def: 252 } });
const call = (args, ip, id) =>
  post("/mcp", { jsonrpc: "2.0", id, method: "tools/call", params: { name: "damage_calc", arguments: args } }, { "CF-Connecting-IP": ip });

const rows = [];
let salt = 0;
for (const clients of [1, 10]) {
  const n = Math.max(60, clients * 6);
  const ip = (tag, i) => `10.70.${tag}.${(i % clients) + 1 + clients}`;
  // Uncached: a defender spread never asked before (HP EVs 0..252 step 4 + a level) per call.
  const fresh = () => { salt++; return { hp: (salt % 64) * 4, level: 100 - Math.floor(salt / 64) % 99 }; };
  const explicit = await pool(n, clients, (i) => { const f = fresh(); return call({ attacker: KINGAMBIT, defender: { ...tusk(f.hp), level: f.level }, move: "Kowtow Cleave", generation: 9 }, ip(1, i), i); });
  const all = await pool(n, clients, (i) => { const f = fresh(); return call({ attacker: KINGAMBIT, defender: { ...tusk(f.hp), level: f.level }, move: "all", generation: 9 }, ip(2, i), i); });
  const assumed = await pool(n, clients, (i) => { const f = fresh(); return call({ attacker: "Kingambit", defender: { pokemon: "Great Tusk", level: f.level, evs: { hp: f.hp } }, move: "Kowtow Cleave", format: "gen9ou" }, ip(3, i), i); });
  // Cached: the same call again and again, from the same clients.
  const same = { attacker: "Kingambit", defender: "Great Tusk", move: "all", format: "gen9ou" };
  await pool(clients, clients, (i) => call(same, ip(4, i), i));
  const cached = await pool(n, clients, (i) => call(same, ip(4, i), i));
  const live = await pool(n, clients, () => get("/health/live"));
  const base = summary(live.map((r) => r.ms));
  for (const [name, rs] of [["explicit sets, one move", explicit], ["explicit sets, \"all\" (4 moves)", all], ["assumed set (usage statistics)", assumed], ["cached", cached], ["/health/live", live]]) {
    const s = summary(rs.map((r) => r.ms));
    const bad = rs.filter((r) => r.status !== 200 || (r.body && r.body.includes('"isError":true'))).length;
    rows.push([clients, name, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p50 / base.p50), bad]);
  }
}
console.log("## damage_calc latency (ms), local workerd\n");
console.log(table(["concurrent clients", "path", "n", "p50", "p95", "p50 ÷ /health/live p50", "errors"], rows));

// The deployable bundle: what `wrangler deploy` uploads (the bundled shim + index.js, the wasm).
const out = ".wrangler/bench-dry-run";
const log = execFileSync(process.execPath, ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--env", "production", "--outdir", out], { encoding: "utf8" });
const total = log.match(/Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+) KiB/);
const files = readdirSync(out).filter((f) => /\.(js|mjs|wasm)$/.test(f));
const sizeRows = files.map((f) => { const b = readFileSync(`${out}/${f}`); return [f.replace(/^[0-9a-f]{40}-/, ""), statSync(`${out}/${f}`).size, gzipSync(b, { level: 9 }).length]; });
const gzipKiB = Number(total?.[2] ?? NaN);
console.log("\n## Deployable bundle (wrangler deploy --dry-run --env production)\n");
console.log(table(["file", "bytes", "gzip -9 bytes"], sizeRows));
console.log(`\nwrangler: Total Upload ${total?.[1] ?? "?"} / gzip ${fmt(gzipKiB)} KiB; free-plan limit ${FREE_PLAN_GZIP_LIMIT / 1024} KiB compressed: ${gzipKiB * 1024 <= FREE_PLAN_GZIP_LIMIT ? "within" : "OVER"}`);
if (!(gzipKiB * 1024 <= FREE_PLAN_GZIP_LIMIT)) process.exitCode = 1;

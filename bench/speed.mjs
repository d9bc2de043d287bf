// Issue #12 benchmark: speed_tiers latency, uncached vs cached, at 1 and 10 concurrent clients,
// against /health/live in the same run (gen9ou corpus loaded). Run with `make bench-speed`.
import { fmt, get, pool, post, summary, table } from "./lib.mjs";

// Uncached calls never repeat their arguments (limit × spreads × stage × flags: > 50,000
// combinations), so each one computes: statistics read, tiers built, outspeed solved.
let salt = Math.floor(Math.random() * 1000);
function uniqueArgs() {
  const i = salt++;
  return {
    format: "gen9ou",
    limit: 10 + (i % 41),
    spreads: 1 + (Math.floor(i / 41) % 6),
    modifiers: { stage: (Math.floor(i / 246) % 13) - 6, tailwind: (i >> 12) % 2 === 1, choiceScarf: (i >> 13) % 2 === 1 },
    outspeed: { pokemon: "Garchomp", target: "Kingambit" },
  };
}
const CACHED = [
  { format: "gen9ou" },
  { format: "gen9ou", limit: 20, modifiers: { choiceScarf: true } },
  { format: "gen9ou", modifiers: { trickRoom: true } },
  { format: "gen9ou", outspeed: { pokemon: "Garchomp", target: "Kingambit" } },
  { format: "gen9ou", limit: 30, modifiers: { tailwind: true, paralysis: true } },
];
const call = (args, ip, id) =>
  post("/mcp", { jsonrpc: "2.0", id, method: "tools/call", params: { name: "speed_tiers", arguments: args } }, { "CF-Connecting-IP": ip });
const failed = (r) => r.status !== 200 || /"isError":true/.test(r.body);

const rows = [];
for (const clients of [1, 10]) {
  const n = Math.max(60, clients * 6);
  const uncached = await pool(n, clients, (i) => call(uniqueArgs(), `10.70.${clients}.${(i % clients) + 1}`, i));
  await pool(CACHED.length * clients, clients, (i) => call(CACHED[i % CACHED.length], `10.71.${clients}.${(i % clients) + 1}`, i));
  const cached = await pool(n, clients, (i) => call(CACHED[i % CACHED.length], `10.71.${clients}.${(i % clients) + 1}`, i));
  const live = await pool(n, clients, () => get("/health/live"));
  const base = summary(live.map((r) => r.ms));
  for (const [name, rs] of [["uncached", uncached], ["cached", cached], ["/health/live", live]]) {
    const s = summary(rs.map((r) => r.ms));
    rows.push([clients, name, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.p50 / base.p50), rs.filter(failed).length]);
  }
}
console.log("## speed_tiers latency (ms), local workerd\n");
console.log(table(["concurrent clients", "path", "n", "p50", "p95", "p99", "p50 ÷ /health/live p50", "errors"], rows));

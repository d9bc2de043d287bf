// Retrieval quality (issue #5): runs every labelled query of tests/golden/queries.json through
// the query_strategy tool of a running worker and prints recall@5 and MRR. A result is relevant
// when its (pokemon, format, section[, set]) matches a label — labels never name document keys,
// so they do not depend on the ranker.
//   node bench/golden.mjs [--url http://127.0.0.1:8787] [--file tests/golden/queries.json] [--min-recall 0.95] [--min-mrr 0.85]
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const url = opt("--url", process.env.PORYGON_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(url)) throw new Error("loopback only");
const minRecall = Number(opt("--min-recall", "0"));
const minMrr = Number(opt("--min-mrr", "0"));
// --file tests/golden/tuning.json evaluates the tuning set instead (see tests/golden/README.md).
const file = opt("--file", "tests/golden/queries.json");
const { queries } = JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));

const relevant = (label, p) =>
  label.pokemon === p.pokemon && label.format === p.format && label.section === p.section && (!label.set || label.set === p.setName);

let hits = 0;
let reciprocal = 0;
const misses = [];
const late = [];
const byCategory = {};
for (const [i, q] of queries.entries()) {
  const body = { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "query_strategy", arguments: { query: q.query, limit: 5, ...q.filters } } };
  const res = await fetch(`${url}/mcp`, { method: "POST", headers: { "content-type": "application/json", "CF-Connecting-IP": `10.254.${Math.floor(i / 250)}.${(i % 250) + 1}` }, body: JSON.stringify(body) });
  const result = (await res.json()).result;
  const passages = result?.structuredContent?.results ?? [];
  const first = passages.findIndex((p) => q.relevant.some((label) => relevant(label, p)));
  const cat = (byCategory[q.category] ??= { n: 0, hit: 0, rr: 0 });
  cat.n++;
  if (first >= 0 && first < 5) {
    hits++;
    cat.hit++;
  }
  if (first > 0) late.push(`${q.id}: "${q.query}" → first relevant at ${first + 1}: ${passages.map((p) => p.pokemon).join(", ")}`);
  if (first >= 0) {
    reciprocal += 1 / (first + 1);
    cat.rr += 1 / (first + 1);
  } else {
    misses.push(`${q.id}: "${q.query}" → ${passages.map((p) => `${p.pokemon}/${p.section}${p.setName ? "/" + p.setName : ""}`).join(", ") || (result?.isError ? "error" : "nothing")}`);
  }
}
const recall = hits / queries.length;
const mrr = reciprocal / queries.length;
console.log(`## Retrieval quality on ${queries.length} labelled queries of ${file} (lexical retrieval)\n`);
console.log(`| category | queries | recall@5 | MRR |\n| --- | --- | --- | --- |`);
for (const [c, v] of Object.entries(byCategory)) console.log(`| ${c} | ${v.n} | ${(v.hit / v.n).toFixed(2)} | ${(v.rr / v.n).toFixed(2)} |`);
console.log(`| **all** | ${queries.length} | **${recall.toFixed(3)}** | **${mrr.toFixed(3)}** |`);
if (misses.length) console.log(`\nMisses:\n${misses.map((m) => `- ${m}`).join("\n")}`);
if (late.length) console.log(`\nAnswered, but not first:\n${late.map((m) => `- ${m}`).join("\n")}`);
const ok = recall >= minRecall && mrr >= minMrr;
console.log(`\ngate: recall@5 ≥ ${minRecall}, MRR ≥ ${minMrr}: ${ok ? "passed" : "FAILED"}`);
console.log(`${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
process.exit(ok ? 0 : 1);

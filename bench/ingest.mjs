// Issue #4 benchmark: a full local ingestion of the gen9ou corpus (sets + analyses subset +
// moveset report), then of all 67 formats' sets, each followed by an idempotent re-run, timed
// end to end through the admin API. Run with `make bench-ingest`.
import { execFileSync } from "node:child_process";
import { fmt, table } from "./lib.mjs";

const url = process.env.BENCH_URL ?? "http://127.0.0.1:8797";
const RUNS = Number(process.env.RUNS ?? 3);

function load(args) {
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ["scripts/load-local-corpus.mjs", "--url", url, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { wallMs, run: JSON.parse(out) };
}

const rows = [];
for (const [label, formats] of [["gen9ou", ["--formats", "gen9ou"]], ["all 67 formats", []]]) {
  for (let i = 1; i <= RUNS; i++) {
    // Odd runs after the first: edit nothing, so everything is unchanged (the idempotent path).
    const { wallMs, run } = load(i === 1 ? formats : [...formats, "--no-upload"]);
    const r = run.report;
    const docs = r.documentsWritten + r.documentsUnchanged;
    rows.push([label, i === 1 ? "first (upload + write)" : "re-run (unchanged)", docs, r.documentsWritten, run.steps, fmt(run.finishedAtMs - run.startedAtMs, 0), fmt(wallMs, 0), fmt(docs / ((run.finishedAtMs - run.startedAtMs) / 1000), 0), r.errors]);
  }
}
console.log(`## Local ingestion (workerd via wrangler dev; KV + per-format FTS5 index; no embeddings locally)\n`);
console.log(table(["corpus", "run", "documents", "written", "steps", "ingest ms", "wall ms (incl. upload)", "documents/s", "errors"], rows));

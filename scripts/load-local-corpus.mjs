#!/usr/bin/env node
// Loads the local corpus into a running worker: uploads ../shared/data into the raw cache (R2)
// through /admin/raw, then runs an ingestion from the cache and waits for it to finish.
//
//   node scripts/load-local-corpus.mjs [--url http://127.0.0.1:8787] [--data ../shared/data] [--formats gen9ou,gen1ou] [--no-upload] [--reembed]
// --reembed re-makes every document's vector (`{"reembed": true}`; nothing where Vectorize is not bound).
// The admin token comes from ADMIN_TOKEN or .dev.vars.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]?.startsWith("--") || all[i + 1] === undefined ? true : all[i + 1]]] : acc), []),
);
const base = String(args.url ?? process.env.PORYGON_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const data = String(args.data ?? join(root, "../shared/data"));
const token = process.env.ADMIN_TOKEN ?? readFileSync(join(root, ".dev.vars"), "utf8").match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim();
if (!token) throw new Error("no ADMIN_TOKEN (run `make deps` to create .dev.vars)");
const auth = { Authorization: `Bearer ${token}` };
const only = typeof args.formats === "string" ? new Set(args.formats.split(",")) : null;

// Statistics files and what they are (see ../shared/data/PROVENANCE.md).
const STATS = [
  // PROVENANCE.md: "month not stated, mid-2024" — labelled 2024-06 here, an approximation.
  { file: "smogon-stats/moveset-gen9ou-1695.txt", format: "gen9ou", kind: "moveset", month: "2024-06", cutoff: 1695 },
  { file: "smogon-stats/chaos-gen1ou-1760.json", format: "gen1ou", kind: "chaos", month: "2018-02", cutoff: 1760 },
];

async function waitForWorker() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${base}/health/live`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`worker at ${base} did not come up`);
}

async function put(key, path) {
  const res = await fetch(`${base}/admin/raw/${key}`, { method: "PUT", headers: auth, body: readFileSync(path) });
  if (res.status !== 201) throw new Error(`PUT ${key}: ${res.status} ${await res.text()}`);
}

async function post(path, body) {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

await waitForWorker();
const started = Date.now();
if (!args["no-upload"]) {
  const uploads = [];
  for (const name of readdirSync(join(data, "pkmn-sets")).filter((n) => n.endsWith(".json"))) {
    const format = name.replace(/\.json$/, "");
    if (!only || only.has(format)) uploads.push([`sets/${name}`, join(data, "pkmn-sets", name)]);
  }
  const analyses = join(data, "pkmn-analyses/gen9ou.subset.json");
  if (existsSync(analyses) && (!only || only.has("gen9ou"))) uploads.push(["analyses/gen9ou.json", analyses]);
  for (const s of STATS.filter((s) => !only || only.has(s.format))) {
    const ext = s.file.split(".").pop();
    s.key = `stats/${s.month}/${s.kind}/${s.format}-${s.cutoff}.${ext}`;
    uploads.push([s.key, join(data, s.file)]);
  }
  for (let i = 0; i < uploads.length; i += 8) await Promise.all(uploads.slice(i, i + 8).map(([k, p]) => put(k, p)));
  for (const s of STATS.filter((s) => s.key)) {
    const r = await post("/admin/raw-manifest", { format: s.format, kind: s.kind, month: s.month, cutoff: s.cutoff, key: s.key });
    if (r.status !== 201) throw new Error(`manifest: ${r.status}`);
  }
  console.error(`uploaded ${uploads.length} raw files in ${Date.now() - started} ms`);
}

const start = await post("/admin/ingest", {
  source: "cache",
  trigger: "local",
  ...(only ? { formats: [...only] } : {}),
  ...(args.reembed ? { reembed: true } : {}),
});
if (start.status !== 202) throw new Error(`ingest start: ${start.status} ${JSON.stringify(start.body)}`);
for (;;) {
  await new Promise((r) => setTimeout(r, 250));
  const state = await (await fetch(`${base}/admin/ingest`, { headers: auth })).json();
  if (!state.current) {
    console.log(JSON.stringify(state.last, null, 2));
    break;
  }
}

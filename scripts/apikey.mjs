#!/usr/bin/env node
// Admin command for API keys (higher quotas than anonymous clients).
//
//   node scripts/apikey.mjs create --name "Acme bot" [--per-minute 1000] [--per-hour 20000] [ENV]
//   node scripts/apikey.mjs revoke --id k_1a2b3c4d [ENV]
//   node scripts/apikey.mjs list [ENV]
// ENV: --env staging|production (Cloudflare account needed), or local by default
//      (--persist-to DIR, default .wrangler/state — the state `make dev` serves).
//
// The token is printed once and never stored: KV holds `key:<sha256(token)>` → record, and
// `id:<id>` → the hash, so a key can be revoked by id. Workers cache lookups for up to 60 s.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [command, ...rest] = process.argv.slice(2);
const opts = {};
for (let i = 0; i < rest.length; i++) {
  const key = rest[i].replace(/^--/, "");
  opts[key] = rest[i + 1] && !rest[i + 1].startsWith("--") ? rest[++i] : true;
}
const target = opts.env
  ? ["--env", String(opts.env), "--remote"]
  : ["--local", "--persist-to", String(opts["persist-to"] ?? join(root, ".wrangler/state"))];

function wrangler(...args) {
  const run = spawnSync(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "kv", "key", ...args, "--binding", "API_KEYS", ...target], {
    cwd: root,
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    process.exit(1);
  }
  return run.stdout;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
// 1..100000, as the worker accepts (policy::limiter::MAX_LIMIT); anything else would be ignored there.
const positive = (v) => (v === undefined ? undefined : Number.isInteger(Number(v)) && Number(v) > 0 && Number(v) <= 100_000 ? Number(v) : usage(`not an integer from 1 to 100000: ${v}`));

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error("usage: apikey.mjs create --name NAME [--per-minute N] [--per-hour N] | revoke --id ID | list  [--env staging|production | --persist-to DIR]");
  process.exit(2);
}

switch (command) {
  case "create": {
    if (typeof opts.name !== "string") usage("--name is required");
    const token = "pgn_" + Array.from(randomBytes(40), (b) => BASE62[b % 62]).join("");
    const id = "k_" + randomBytes(4).toString("hex");
    const hash = sha256(token);
    const record = { id, name: opts.name, perMinute: positive(opts["per-minute"]), perHour: positive(opts["per-hour"]), createdAt: new Date().toISOString() };
    wrangler("put", `key:${hash}`, JSON.stringify(record));
    wrangler("put", `id:${id}`, hash);
    console.log(JSON.stringify({ ...record, token }, null, 2));
    console.error("Store the token now: it is not kept anywhere.");
    break;
  }
  case "revoke": {
    if (typeof opts.id !== "string") usage("--id is required");
    const hash = wrangler("get", `id:${opts.id}`, "--text").trim();
    if (!/^[0-9a-f]{64}$/.test(hash)) usage(`no such key id: ${opts.id}`);
    wrangler("delete", `key:${hash}`);
    wrangler("delete", `id:${opts.id}`);
    console.log(`revoked ${opts.id} (workers forget it within 60 s)`);
    break;
  }
  case "list": {
    const ids = JSON.parse(wrangler("list", "--prefix", "id:")).map((k) => k.name.slice(3));
    console.log(ids.join("\n"));
    break;
  }
  default:
    usage();
}

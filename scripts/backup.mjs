#!/usr/bin/env node
// KV backups in R2 (RUNBOOK.md "Backups and restore"): start one, list them, restore or verify one.
//
//   node scripts/backup.mjs [--url https://<host>] start
//   node scripts/backup.mjs [--url …] list [--json]
//   node scripts/backup.mjs [--url …] show <id>                 the manifest
//   node scripts/backup.mjs [--url …] restore <id> [--no-wait]
//   node scripts/backup.mjs [--url …] verify <id> [--no-wait]
//
// --url defaults to PORYGON_URL or http://127.0.0.1:8787 (`make dev`); the admin token comes from
// ADMIN_TOKEN or .dev.vars. Jobs run in the worker (one at a time); the command waits for the
// job to end (--timeout SECONDS, default 3600), printing progress on stderr and the result as
// JSON on stdout. Exit status: 0 done; 1 failed or refused; 3 verify found keys missing or different.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const positional = [];
const opts = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith("--")) positional.push(a);
  else if (["--json", "--no-wait"].includes(a)) opts[a.slice(2)] = true;
  else opts[a.slice(2)] = process.argv[++i];
}
const [command, id] = positional;
const base = String(opts.url ?? process.env.PORYGON_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
const timeoutMs = Number(opts.timeout ?? 3600) * 1000;

function usage(message) {
  if (message) console.error(`error: ${message}`);
  console.error("usage: backup.mjs [--url URL] start | list [--json] | show <id> | restore <id> [--no-wait] | verify <id> [--no-wait]");
  process.exit(2);
}

function token() {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const vars = join(root, ".dev.vars");
  const found = existsSync(vars) && readFileSync(vars, "utf8").match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim();
  if (!found) usage("no admin token: set ADMIN_TOKEN (or run `make deps` for a local .dev.vars)");
  return found;
}

const auth = { Authorization: `Bearer ${token()}` };

async function api(method, path, { ok = [200, 202] } = {}) {
  let res;
  try {
    res = await fetch(`${base}${path}`, { method, headers: auth });
  } catch (e) {
    fail(`${method} ${base}${path}: ${e.cause?.message ?? e.message}`);
  }
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: text };
  }
  if (!ok.includes(res.status)) fail(`${method} ${path}: HTTP ${res.status}: ${body?.error ?? text}`, body);
  return { status: res.status, body };
}

function fail(message, body) {
  console.error(`error: ${message}`);
  if (body?.current) console.error(`running: ${body.current.task.kind} of ${body.current.backupId}`);
  process.exit(1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;

/** Polls `poll()` (→ a job) until it is no longer running, printing progress now and then. */
async function wait(poll, describe) {
  const deadline = Date.now() + timeoutMs;
  let lastPrint = 0;
  for (;;) {
    const job = await poll();
    if (job && job.status !== "running") return job;
    if (Date.now() - lastPrint > 2000) {
      if (job) console.error(describe(job));
      lastPrint = Date.now();
    }
    if (Date.now() > deadline) fail(`still running after ${timeoutMs / 1000} s (the job continues in the worker)`);
    await sleep(300);
  }
}

function checkId() {
  if (!/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/.test(id ?? "")) usage(`expected a backup id such as 2026-11-26T03-23-00Z, got ${id ?? "nothing"}`);
}

const partProgress = (job) => {
  const p = job.task.progress;
  return `${job.task.kind} ${job.backupId}: part ${Math.min(p.next + 1, p.parts.length)}/${p.parts.length}`;
};

switch (command) {
  case "start": {
    const started = (await api("POST", "/admin/backups")).body;
    console.error(`backup ${started.backupId} started`);
    const job = await wait(
      async () => {
        const state = (await api("GET", "/admin/backups")).body;
        if (state.current?.backupId === started.backupId) return state.current;
        return state.last.backup?.backupId === started.backupId ? state.last.backup : null;
      },
      (job) => {
        const p = job.task.progress;
        const keys = p.namespaces.reduce((n, ns) => n + ns.keys, 0);
        return `backup ${job.backupId}: ${keys} keys in ${p.namespaces.reduce((n, ns) => n + ns.parts.length, 0)} parts`;
      },
    );
    if (job.status !== "finished") fail(`backup ${job.backupId} failed: ${job.errorSamples.join("; ")}`);
    const manifest = (await api("GET", `/admin/backups/${job.backupId}`)).body;
    const prune = job.task.progress.prune ?? { delete: [], objectsDeleted: 0 };
    console.error(
      `backup ${manifest.id}: ${manifest.keys} keys, ${mib(manifest.valueBytes)} of values, ` +
        `${manifest.namespaces.reduce((n, ns) => n + ns.parts.length, 0)} parts (${mib(manifest.partBytes)}) ` +
        `in ${manifest.finishedAtMs - manifest.startedAtMs} ms; retention pruned ${prune.delete.length} backups`,
    );
    console.log(JSON.stringify({ manifest, pruned: prune.delete, objectsDeleted: prune.objectsDeleted }, null, 2));
    break;
  }
  case "list": {
    const state = (await api("GET", "/admin/backups")).body;
    if (opts.json) {
      console.log(JSON.stringify(state, null, 2));
      break;
    }
    console.log(`retention: ${state.retention.daily} daily, ${state.retention.weekly} weekly, ${state.retention.monthly} monthly; cron "${state.schedule}"`);
    if (state.current) console.log(`running: ${state.current.task.kind} of ${state.current.backupId} (step ${state.current.steps})`);
    for (const b of state.backups) {
      const detail = b.status === "complete" ? `${b.keys} keys, ${mib(b.valueBytes)}, ${b.parts} parts, ${b.trigger}` : (b.error ?? "");
      console.log(`${b.id}  ${b.status.padEnd(10)}  ${detail}`);
    }
    break;
  }
  case "show": {
    checkId();
    console.log(JSON.stringify((await api("GET", `/admin/backups/${id}`)).body, null, 2));
    break;
  }
  case "restore":
  case "verify": {
    checkId();
    const started = (await api("POST", `/admin/backups/${id}/${command}`)).body;
    console.error(`${command} of ${id} started (${started.task.progress.parts.length} parts)`);
    if (opts["no-wait"]) {
      console.log(JSON.stringify(started, null, 2));
      break;
    }
    const job = await wait(async () => (await api("GET", `/admin/backups/${id}/${command}`)).body, partProgress);
    const p = job.task.progress;
    if (job.status !== "finished") {
      console.log(JSON.stringify(job, null, 2));
      fail(`${command} of ${id} failed: ${job.errorSamples.join("; ")}`);
    }
    const ms = job.finishedAtMs - job.startedAtMs;
    if (command === "restore") {
      console.error(`restored ${p.restored} keys (${mib(p.valueBytes)}), skipped ${p.skippedExpiring} expired or expiring, in ${ms} ms`);
      console.log(JSON.stringify({ backupId: id, restored: p.restored, skippedExpiring: p.skippedExpiring, valueBytes: p.valueBytes, namespaces: p.namespaces, durationMs: ms }, null, 2));
    } else {
      const t = p.totals;
      console.error(`verify ${id}: ${t.equal} equal, ${t.different} different, ${t.missing} missing, ${t.expired} expired, in ${ms} ms`);
      for (const m of p.mismatches) console.error(`  ${m.binding} ${JSON.stringify(m.key)}: ${m.differs.join(", ")}`);
      const { binding, ...totals } = t;
      console.log(JSON.stringify({ backupId: id, ...totals, namespaces: p.namespaces, mismatches: p.mismatches, durationMs: ms }, null, 2));
      if (t.different > 0 || t.missing > 0) process.exitCode = 3;
    }
    break;
  }
  default:
    usage(command ? `unknown command ${command}` : undefined);
}

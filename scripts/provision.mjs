#!/usr/bin/env node
// `make provision ENV=staging|production [DOMAIN=example.org] [DRY_RUN=1]`: creates, idempotently,
// every Cloudflare resource an environment of wrangler.toml binds, records their ids where the
// deploy reads them, and lists the secrets still to set (RUNBOOK.md, "First-time setup").
//
//   node scripts/provision.mjs --env staging|production [--config wrangler.toml] [--domain D] [--dry-run]
//
// Credentials: CLOUDFLARE_API_TOKEN (Account: Workers KV Storage Edit, Workers R2 Storage Edit,
// Vectorize Edit, Workers Scripts Read) and CLOUDFLARE_ACCOUNT_ID; CLOUDFLARE_API_BASE for
// another API endpoint (the tests' fake). It lists what exists first and creates only what is
// missing, so a second run creates nothing:
//
// - KV namespaces of [[env.<env>.kv_namespaces]], titled porygon-<binding>-<env>
//   (STRATEGY_KV → porygon-strategy-<env>); the ids go into those blocks' `id = "…"` lines;
// - R2 buckets of [[env.<env>.r2_buckets]] (raw cache, backups: no lifecycle rule, the worker
//   prunes and rotates them) and, when the environment has `logpush = true`, its Logpush bucket
//   (porygon-logs, porygon-logs-<env>) with a 30-day expiry rule set through the lifecycle API;
// - the Vectorize index of [[env.<env>.vectorize]] (768 dimensions, cosine: bge-base-en-v1.5) and
//   its metadata indexes pokemon, format, section (they must exist before the first insert);
// - the var CLOUDFLARE_ACCOUNT_ID in [env.<env>.vars] (the fleet alerts query that account);
// - with --domain, the environment's custom domain: routes = staging-mcp.<domain> / mcp.<domain>.
// Durable Objects are created by the deploy (migrations), Analytics Engine datasets by their first
// write, Workers AI needs nothing. --dry-run prints the plan and writes nothing.
// Exit status: 0 done (secrets may still be missing: they are listed), 1 failed, 2 bad usage.

import { clientFromEnv, CloudflareApiError, isScriptNotFound } from "./cloudflare-api.mjs";
import {
  customDomains,
  hostFor,
  isRealId,
  kvTitle,
  LOGS_LIFECYCLE_RULE_ID,
  LOGS_RETENTION_DAYS,
  logsBucketName,
  PLACEHOLDER_DOMAIN,
  readConfig,
  REQUIRED_SECRETS,
  routesLiteral,
  secretPutCommand,
  setEnvKey,
  setKvNamespaceId,
  setVar,
  VECTORIZE_CONFIG,
  VECTORIZE_METADATA_INDEXES,
  writeConfig,
  operatorCli,
} from "./wrangler-config.mjs";

const { opts, env, configPath, usage } = operatorCli(
  "provision.mjs --env staging|production [--config wrangler.toml] [--domain example.org] [--dry-run]",
  { domain: { type: "string" }, "dry-run": { type: "boolean" } },
);
const dryRun = Boolean(opts["dry-run"]);
const domain = opts.domain?.trim().toLowerCase().replace(/\.$/, "") || undefined;
if (domain !== undefined && (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain) || domain === PLACEHOLDER_DOMAIN || domain.endsWith(".invalid"))) {
  usage(`--domain must be a domain name of a zone in the account, e.g. example.org (got ${opts.domain})`);
}

const say = (s) => console.log(s);
const would = dryRun ? "would " : "";

const config = readConfig(configPath);
const section = config.data.env?.[env];
if (!section) usage(`${configPath} has no [env.${env}] section`);
const scriptName = section.name;
if (typeof scriptName !== "string" || !scriptName) usage(`[env.${env}] has no name`);

const client = clientFromEnv();
if (!client || !client.accountId) {
  console.error("error: set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (the account to provision; RUNBOOK.md, First-time setup)");
  process.exit(1);
}
const acct = (p) => client.account(p);

const edits = []; // [description, text => text]
const problems = [];
let created = 0;

say(`${dryRun ? "Plan for" : "Provisioning"} ${env} (Worker ${scriptName}) in account ${client.accountId}, config ${configPath}`);

async function kvNamespaces() {
  const blocks = section.kv_namespaces ?? [];
  if (!blocks.length) return;
  const existing = await client.list(acct("/storage/kv/namespaces"));
  for (const b of blocks) {
    const title = kvTitle(env, b.binding);
    if (isRealId(b.id) && existing.some((n) => n.id === b.id)) {
      say(`  ok       KV ${b.binding}: ${b.id} (${existing.find((n) => n.id === b.id).title})`);
      continue;
    }
    let id = existing.find((n) => n.title === title)?.id;
    if (id) say(`  found    KV namespace ${title}: ${id}`);
    else if (dryRun) say(`  would create KV namespace ${title}`);
    else {
      id = (await client.post(acct("/storage/kv/namespaces"), { title })).id;
      created++;
      say(`  created  KV namespace ${title}: ${id}`);
    }
    const why = isRealId(b.id) ? `its id ${b.id} is not in this account` : `placeholder ${JSON.stringify(b.id ?? null)}`;
    edits.push([`[[env.${env}.kv_namespaces]] ${b.binding}: id = "${id ?? "<new id>"}" (was ${why})`, (t) => (id ? setKvNamespaceId(t, env, b.binding, id) : t)]);
  }
}

const lifecycleRule = () => ({
  id: LOGS_LIFECYCLE_RULE_ID,
  enabled: true,
  conditions: { prefix: "" },
  // maxAge is in seconds (what `wrangler r2 bucket lifecycle add --expire-days 30` sends).
  deleteObjectsTransition: { condition: { type: "Age", maxAge: LOGS_RETENTION_DAYS * 86400 } },
});
const hasLifecycleRule = (rules) =>
  rules.some(
    (r) =>
      r.enabled !== false &&
      !r.conditions?.prefix &&
      r.deleteObjectsTransition?.condition?.type === "Age" &&
      r.deleteObjectsTransition.condition.maxAge === LOGS_RETENTION_DAYS * 86400,
  );

async function r2Buckets() {
  const wanted = (section.r2_buckets ?? []).map((b) => ({ name: b.bucket_name, why: `binding ${b.binding}` }));
  const logs = section.logpush === true ? logsBucketName(env) : undefined;
  if (logs) wanted.push({ name: logs, why: `Logpush, ${LOGS_RETENTION_DAYS}-day lifecycle` });
  if (!wanted.length) return;
  const existing = new Set((await client.list(acct("/r2/buckets"), { items: (r) => r?.buckets ?? [], cursor: true })).map((b) => b.name));
  for (const { name, why } of wanted) {
    if (existing.has(name)) say(`  ok       R2 bucket ${name} (${why})`);
    else if (dryRun) say(`  would create R2 bucket ${name} (${why})`);
    else {
      await client.post(acct("/r2/buckets"), { name });
      created++;
      say(`  created  R2 bucket ${name} (${why})`);
    }
  }
  if (!logs) return;
  if (!existing.has(logs) && dryRun) {
    say(`  would set R2 lifecycle of ${logs}: delete objects after ${LOGS_RETENTION_DAYS} days`);
    return;
  }
  const rules = (await client.get(acct(`/r2/buckets/${logs}/lifecycle`)))?.rules ?? [];
  if (hasLifecycleRule(rules)) {
    say(`  ok       R2 lifecycle of ${logs}: objects deleted after ${LOGS_RETENTION_DAYS} days`);
    return;
  }
  if (dryRun) {
    say(`  would set R2 lifecycle of ${logs}: delete objects after ${LOGS_RETENTION_DAYS} days (keeping its ${rules.length} other rule(s))`);
    return;
  }
  // The PUT replaces the bucket's whole configuration: keep the other rules (e.g. the default
  // multipart-abort rule), replace ours.
  await client.put(acct(`/r2/buckets/${logs}/lifecycle`), { rules: [...rules.filter((r) => r.id !== LOGS_LIFECYCLE_RULE_ID), lifecycleRule()] });
  created++;
  say(`  set      R2 lifecycle of ${logs}: objects deleted after ${LOGS_RETENTION_DAYS} days`);
}

async function vectorize() {
  const blocks = section.vectorize ? (Array.isArray(section.vectorize) ? section.vectorize : [section.vectorize]) : [];
  if (!blocks.length) return;
  // The v2 list is a single page (no result_info paging).
  const existing = (await client.get(acct("/vectorize/v2/indexes"))) ?? [];
  for (const { index_name: name } of blocks) {
    const found = existing.find((i) => i.name === name);
    let exists = Boolean(found);
    if (found) {
      const { dimensions, metric } = found.config ?? {};
      if (dimensions !== VECTORIZE_CONFIG.dimensions || metric !== VECTORIZE_CONFIG.metric) {
        problems.push(`Vectorize index ${name} has ${dimensions} dimensions / ${metric}, not ${VECTORIZE_CONFIG.dimensions} / ${VECTORIZE_CONFIG.metric}: delete and recreate it (RUNBOOK "Rebuilding Vectorize")`);
      } else say(`  ok       Vectorize index ${name} (${dimensions} dimensions, ${metric})`);
    } else if (dryRun) say(`  would create Vectorize index ${name} (${VECTORIZE_CONFIG.dimensions} dimensions, ${VECTORIZE_CONFIG.metric})`);
    else {
      await client.post(acct("/vectorize/v2/indexes"), { name, description: `porygon ${env}: strategy documents (bge-base-en-v1.5)`, config: VECTORIZE_CONFIG });
      created++;
      exists = true;
      say(`  created  Vectorize index ${name} (${VECTORIZE_CONFIG.dimensions} dimensions, ${VECTORIZE_CONFIG.metric})`);
    }
    const have = exists ? ((await client.get(acct(`/vectorize/v2/indexes/${name}/metadata_index/list`)))?.metadataIndexes ?? []) : [];
    for (const want of VECTORIZE_METADATA_INDEXES) {
      const got = have.find((m) => m.propertyName === want.propertyName);
      if (got && got.indexType === want.indexType) say(`  ok       metadata index ${name}.${want.propertyName} (${want.indexType})`);
      else if (got) problems.push(`metadata index ${name}.${want.propertyName} is ${got.indexType}, not ${want.indexType}: delete it and run again`);
      else if (dryRun) say(`  would create metadata index ${name}.${want.propertyName} (${want.indexType})`);
      else {
        await client.post(acct(`/vectorize/v2/indexes/${name}/metadata_index/create`), want);
        created++;
        say(`  created  metadata index ${name}.${want.propertyName} (${want.indexType})`);
      }
    }
  }
}

function notProvisioned() {
  const manual = [
    ["queues", "producers", "queue"],
    ["d1_databases", null, "D1 database"],
    ["hyperdrive", null, "Hyperdrive config"],
  ];
  for (const [key, sub, kind] of manual) {
    const v = sub ? section[key]?.[sub] : section[key];
    for (const b of v ?? []) problems.push(`${kind} ${b.binding ?? b.queue ?? "?"} is bound but not provisioned by this script: create it by hand`);
  }
  for (const b of section.analytics_engine_datasets ?? []) say(`  ok       Analytics Engine dataset ${b.dataset} (created by its first write)`);
  for (const b of section.durable_objects?.bindings ?? []) say(`  ok       Durable Object ${b.name} (${b.class_name}: created by the deploy's migrations)`);
}

function configEdits() {
  edits.push([`[env.${env}.vars] CLOUDFLARE_ACCOUNT_ID = "${client.accountId}"`, (t) => setVar(t, env, "CLOUDFLARE_ACCOUNT_ID", client.accountId, "Written by `make provision`: the account whose Analytics Engine the fleet alerts query.")]);
  if (domain) {
    const host = hostFor(env, domain);
    edits.push([`[env.${env}] routes: custom domain ${host}`, (t) => setEnvKey(t, env, "routes", routesLiteral(host))]);
  } else {
    const hosts = customDomains(section);
    if (!hosts.length || hosts.some((h) => h.endsWith(".invalid"))) {
      say(`  note     no custom domain yet (routes: ${hosts.join(", ") || "none"}): run again with DOMAIN=<a zone of this account>`);
    }
  }
}

function writeEdits() {
  let text = config.text;
  const changed = [];
  for (const [description, edit] of edits) {
    const next = edit(text);
    if (next !== text || description.includes("<new id>")) changed.push(description);
    text = next;
  }
  if (!changed.length) {
    say(`  ok       ${configPath} records every id`);
    return;
  }
  if (!dryRun) writeConfig(configPath, text);
  say(`  ${dryRun ? "would write" : "wrote   "} ${configPath}:`);
  for (const d of changed) say(`      ${d}`);
}

async function secrets() {
  let present = [];
  let deployed = true;
  try {
    present = ((await client.get(acct(`/workers/scripts/${scriptName}/secrets`))) ?? []).map((s) => s.name);
  } catch (e) {
    if (!isScriptNotFound(e)) throw e;
    deployed = false;
  }
  const missing = REQUIRED_SECRETS.filter((s) => !present.includes(s.name));
  if (!missing.length) {
    say(`\nEvery required secret is set on ${scriptName}.`);
    return;
  }
  say(`\nSecrets still to set on ${scriptName}${deployed ? "" : " (not deployed yet: `wrangler secret put` creates it)"}: ${missing.map((s) => s.name).join(", ")}`);
  for (const s of missing) say(`  ${secretPutCommand(s, env, opts.config)}`);
}

let failure;
try {
  await kvNamespaces();
  await r2Buckets();
  await vectorize();
  notProvisioned();
  configEdits();
} catch (e) {
  failure = e;
}
// Whatever was created gets recorded, even when a later step failed: a rerun finds it anyway.
try {
  if (edits.length) writeEdits();
  if (!failure) await secrets();
} catch (e) {
  failure ??= e;
}
if (failure) {
  console.error(`\nerror: ${failure instanceof CloudflareApiError ? failure.message : failure.stack ?? failure}`);
  process.exit(1);
}
if (problems.length) {
  console.error(`\n${problems.map((p) => `problem: ${p}`).join("\n")}`);
  process.exit(1);
}
say(dryRun ? `\nDry run: nothing was created or written.` : `\nDone: ${created} resource(s) created or changed. Next: set the secrets above, then \`make check-config ENV=${env}\`.`);

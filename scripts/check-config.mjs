#!/usr/bin/env node
// `make check-config ENV=staging|production`: the preflight the deploy workflows run right before
// `wrangler deploy` (RUNBOOK.md, "First-time setup" and "Deploying"). Prints one line per problem
// and exits 1 if there is any; 0 when the environment is deployable as configured.
//
//   node scripts/check-config.mjs --env staging|production [--config wrangler.toml] [--offline]
//
// From the file alone:
// - every KV namespace id (and the var CLOUDFLARE_ACCOUNT_ID) is a real id: 32 lowercase hex
//   digits, not a placeholder such as 5555…5555 (`make provision` writes them);
// - no id or bucket is shared with another cloud environment;
// - a custom domain (routes with custom_domain = true) that is not the placeholder
//   porygon.invalid; production has workers_dev = false (zone WAF rules do not see workers.dev);
// - every binding the top level (local) declares — KV, R2, Durable Objects, Analytics Engine,
//   assets, and any other kind — exists in the environment too (bindings are not inherited),
//   plus Workers AI and Vectorize, which only cloud environments can have.
// With CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (and not --offline), in the account:
// - the account is the one recorded in the config; the KV namespaces, R2 buckets (and the
//   Logpush bucket with its 30-day rule), the Vectorize index (768 dimensions, cosine) and its
//   metadata indexes exist;
// - every required secret is set on the Worker (names only; values are never readable).
// Offline, it says what it did not check.

import { clientFromEnv, CloudflareApiError, isScriptNotFound } from "./cloudflare-api.mjs";
import {
  BINDING_KINDS,
  bindingNames,
  CLOUD_ENVS,
  CLOUD_ONLY_BINDINGS,
  customDomains,
  isRealId,
  LOGS_RETENTION_DAYS,
  logsBucketName,
  PLACEHOLDER_DOMAIN,
  readConfig,
  REQUIRED_SECRETS,
  VECTORIZE_CONFIG,
  VECTORIZE_METADATA_INDEXES,
  operatorCli,
} from "./wrangler-config.mjs";

const { opts, env, configPath } = operatorCli(
  "check-config.mjs --env staging|production [--config wrangler.toml] [--offline]",
  { offline: { type: "boolean" } },
);

const problems = [];
const problem = (s) => problems.push(s);
const notes = [];

let config;
try {
  config = readConfig(configPath);
} catch (e) {
  console.error(`${env}: cannot read ${configPath}: ${e.message}`);
  process.exit(1);
}
const top = config.data;
const section = top.env?.[env];
if (!section) {
  console.error(`${env}: ${configPath} has no [env.${env}] section`);
  process.exit(1);
}
const where = (s) => `[env.${env}${s}]`;
const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// --- the file -------------------------------------------------------------------------------
if (typeof section.name !== "string" || !section.name) problem(`${where("")} has no Worker name`);

for (const b of list(section.kv_namespaces)) {
  if (!isRealId(b.id)) problem(`${where(".kv_namespaces")} ${b.binding}: id ${JSON.stringify(b.id ?? null)} is a placeholder, not a namespace id: run make provision ENV=${env}`);
}
const accountVar = section.vars?.CLOUDFLARE_ACCOUNT_ID;
if (accountVar === undefined) problem(`${where(".vars")} has no CLOUDFLARE_ACCOUNT_ID (the fleet alerts' account): run make provision ENV=${env}`);
else if (!isRealId(accountVar)) problem(`${where(".vars")} CLOUDFLARE_ACCOUNT_ID ${JSON.stringify(accountVar)} is not an account id: run make provision ENV=${env}`);

for (const other of CLOUD_ENVS.filter((e) => e !== env && top.env?.[e])) {
  const theirs = top.env[other];
  const theirIds = new Set(list(theirs.kv_namespaces).map((b) => b.id).filter(isRealId));
  for (const b of list(section.kv_namespaces)) if (theirIds.has(b.id)) problem(`${where(".kv_namespaces")} ${b.binding}: id ${b.id} is also used by env.${other}`);
  const theirBuckets = new Set(list(theirs.r2_buckets).map((b) => b.bucket_name));
  for (const b of list(section.r2_buckets)) if (theirBuckets.has(b.bucket_name)) problem(`${where(".r2_buckets")} ${b.binding}: bucket ${b.bucket_name} is also used by env.${other}`);
}
for (const b of list(section.r2_buckets)) if (!b.bucket_name) problem(`${where(".r2_buckets")} ${b.binding}: no bucket_name`);

const hosts = customDomains(section);
if (!hosts.length) problem(`${where("")} has no custom domain (routes = [{ pattern = "…", custom_domain = true }]): run make provision ENV=${env} DOMAIN=<zone>`);
for (const h of hosts) {
  // RFC 2606 reserves these top-level domains: no zone can serve them.
  if (h.endsWith(`.${PLACEHOLDER_DOMAIN}`) || /\.(invalid|test|example|localhost)$/.test(h)) {
    problem(`${where("")} custom domain ${h} is a placeholder: run make provision ENV=${env} DOMAIN=<zone>`);
  } else if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(h)) problem(`${where("")} custom domain ${JSON.stringify(h)} must be a host name (no scheme, path or wildcard)`);
}
if (env === "production" && section.workers_dev !== false) problem(`${where("")} must set workers_dev = false (WAF rules of the zone do not apply on workers.dev)`);

for (const kind of BINDING_KINDS) {
  const own = kind.inherited && section[kind.path[0]] === undefined ? top : section;
  const here = new Set(bindingNames(own, kind));
  for (const name of bindingNames(top, kind)) {
    if (!here.has(name)) problem(`${where("")} lacks the ${kind.kind} binding ${name} that the top level (local) has${kind.inherited ? "" : ": bindings are not inherited"}`);
  }
}
for (const need of CLOUD_ONLY_BINDINGS) {
  if (!bindingNames(section, need).includes(need.name)) problem(`${where("")} lacks the ${need.kind} binding ${need.name} (required in the cloud)`);
}
for (const v of list(section.vectorize)) if (!v.index_name) problem(`${where(".vectorize")} ${v.binding}: no index_name`);
// Vars are not inherited either; a var only the top level sets is a warning (the code's default applies).
for (const name of Object.keys(top.vars ?? {})) {
  if (!(name in (section.vars ?? {}))) notes.push(`warning: ${where(".vars")} does not set ${name} (the top level does): the code's default applies`);
}

// --- the account ----------------------------------------------------------------------------
async function checkAccount(client) {
  const acct = (p) => client.account(p);
  if (isRealId(accountVar) && accountVar !== client.accountId) problem(`${where(".vars")} CLOUDFLARE_ACCOUNT_ID ${accountVar} is not the account of CLOUDFLARE_ACCOUNT_ID (${client.accountId})`);
  const guard = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof CloudflareApiError)) throw e;
      const perm = e.status === 403 ? " (does the token have read access to it?)" : "";
      problem(`cannot check ${what}: ${e.message}${perm}`);
    }
  };

  await guard("KV namespaces", async () => {
    const kv = list(section.kv_namespaces);
    if (!kv.length) return;
    const ids = new Set((await client.list(acct("/storage/kv/namespaces"))).map((n) => n.id));
    for (const b of kv) if (isRealId(b.id) && !ids.has(b.id)) problem(`KV namespace ${b.id} (${b.binding}) does not exist in account ${client.accountId}: run make provision ENV=${env}`);
  });
  await guard("R2 buckets", async () => {
    const wanted = list(section.r2_buckets).map((b) => b.bucket_name).filter(Boolean);
    const logs = section.logpush === true ? logsBucketName(env) : undefined;
    if (logs) wanted.push(logs);
    if (!wanted.length) return;
    const names = new Set((await client.list(acct("/r2/buckets"), { items: (r) => r?.buckets ?? [], cursor: true })).map((b) => b.name));
    for (const name of wanted) if (!names.has(name)) problem(`R2 bucket ${name} does not exist: run make provision ENV=${env}`);
    if (logs && names.has(logs)) {
      const rules = (await client.get(acct(`/r2/buckets/${logs}/lifecycle`)))?.rules ?? [];
      const ok = rules.some((r) => r.enabled !== false && !r.conditions?.prefix && r.deleteObjectsTransition?.condition?.maxAge === LOGS_RETENTION_DAYS * 86400);
      if (!ok) problem(`R2 bucket ${logs} has no ${LOGS_RETENTION_DAYS}-day expiry rule: run make provision ENV=${env}`);
    }
  });
  await guard("Vectorize", async () => {
    const vec = list(section.vectorize).filter((v) => v.index_name);
    if (!vec.length) return;
    const indexes = (await client.get(acct("/vectorize/v2/indexes"))) ?? [];
    for (const { index_name: name } of vec) {
      const found = indexes.find((i) => i.name === name);
      if (!found) {
        problem(`Vectorize index ${name} does not exist: run make provision ENV=${env}`);
        continue;
      }
      if (found.config?.dimensions !== VECTORIZE_CONFIG.dimensions || found.config?.metric !== VECTORIZE_CONFIG.metric) {
        problem(`Vectorize index ${name} has ${found.config?.dimensions} dimensions / ${found.config?.metric}, not ${VECTORIZE_CONFIG.dimensions} / ${VECTORIZE_CONFIG.metric}`);
      }
      const have = (await client.get(acct(`/vectorize/v2/indexes/${name}/metadata_index/list`)))?.metadataIndexes ?? [];
      for (const m of VECTORIZE_METADATA_INDEXES) {
        if (!have.some((h) => h.propertyName === m.propertyName && h.indexType === m.indexType)) problem(`Vectorize index ${name} lacks the ${m.indexType} metadata index ${m.propertyName}: run make provision ENV=${env}`);
      }
    }
  });
  await guard("secrets", async () => {
    let names = [];
    try {
      names = ((await client.get(acct(`/workers/scripts/${section.name}/secrets`))) ?? []).map((s) => s.name);
    } catch (e) {
      if (!isScriptNotFound(e)) throw e;
    }
    for (const s of REQUIRED_SECRETS) if (!names.includes(s.name)) problem(`secret ${s.name} is not set on ${section.name}: npx wrangler secret put ${s.name} --env ${env}`);
  });
}

const client = opts.offline ? undefined : clientFromEnv();
if (client && client.accountId) {
  await checkAccount(client);
} else {
  const why = opts.offline ? "--offline" : "no CLOUDFLARE_API_TOKEN / CLOUDFLARE_ACCOUNT_ID";
  notes.push(`skipped (${why}): that the account holds the KV namespaces, R2 buckets and Vectorize index, and that the secrets ${REQUIRED_SECRETS.map((s) => s.name).join(", ")} are set`);
}

for (const n of notes) console.log(`${env}: ${n}`);
if (problems.length) {
  for (const p of problems) console.error(`${env}: ${p}`);
  console.error(`${env}: ${problems.length} problem(s) in ${configPath}${client ? " and the account" : ""}: not deployable`);
  process.exit(1);
}
console.log(`${env}: ${configPath} is deployable${client ? ` (account ${client.accountId} checked)` : " (file only)"}`);

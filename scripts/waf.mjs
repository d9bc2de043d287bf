#!/usr/bin/env node
// `make waf ENV=staging|production [APPLY=1]`: the zone WAF rules of ops/waf/rules.json, applied
// through the Rulesets API (RUNBOOK.md, "WAF rules"). Dry run by default: prints the diff against
// what the zone has and writes nothing; --apply writes it.
//
//   node scripts/waf.mjs --env staging|production [--config wrangler.toml] [--rules ops/waf/rules.json] [--apply]
//
// Credentials: CLOUDFLARE_API_TOKEN with Zone: Zone Read, Zone WAF Edit (custom rules) and the
// rate limiting rules' permission on the zone; CLOUDFLARE_ACCOUNT_ID narrows the zone lookup.
//
// 1. The host is the environment's custom domain (wrangler.toml routes, `make provision
//    DOMAIN=…`); its zone is found with GET /zones?name=<host minus labels, longest first>.
// 2. For each phase (http_request_firewall_custom, http_ratelimit) it reads the zone's entry point
//    ruleset (GET /zones/{zone}/rulesets/phases/{phase}/entrypoint; 404: none yet).
// 3. The desired rules: every rule of the file for this environment, its expression prefixed with
//    (http.host eq "<host>"), tagged ref = porygon-<env>-<id>. Rules with any other ref — made in
//    the dashboard, by another tool, or the other environment's — are kept as they are, in place;
//    ours take the place of the first of ours (or go last), and ours no longer in the file go.
// 4. Prints the diff. With --apply and a difference: PUT …/entrypoint with the whole rule list
//    (the API replaces the list; it creates the entry point when there is none). No difference:
//    no write, so a second apply is a no-op.
// Exit status: 0 done (or nothing to do), 1 an API call failed, 2 bad usage or an invalid rules file.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { clientFromEnv, CloudflareApiError } from "./cloudflare-api.mjs";
import { CLOUD_ENVS, customDomains, operatorCli, PLACEHOLDER_DOMAIN, readConfig } from "./wrangler-config.mjs";

export const PHASES = ["http_request_firewall_custom", "http_ratelimit"];
const ACTIONS = {
  http_request_firewall_custom: new Set(["block", "managed_challenge", "challenge", "js_challenge", "log", "skip"]),
  http_ratelimit: new Set(["block", "managed_challenge", "challenge", "js_challenge", "log"]),
};
const PERIODS = new Set([10, 60, 120, 300, 600, 3600]);
const TIMEOUTS = new Set([0, 10, 60, 120, 300, 600, 3600, 86400]);
const RULE_KEYS = new Set(["id", "description", "expression", "action", "action_parameters", "logging", "enabled", "ratelimit", "when", "note"]);
// Parameter lists the expressions may use, and what each item must look like.
const PARAMETERS = {
  claudeEgressCidrs: { item: "an IP range", ok: (s) => isCidr(s), render: (s) => s },
  operatorCidrs: { item: "an IP address or range", ok: (s) => isCidr(s), render: (s) => s },
  blockedCountries: { item: "a two-letter country code", ok: (s) => /^[A-Z][A-Z0-9]$/.test(s), render: (s) => JSON.stringify(s) },
};
// Fields compared between the zone's rule and ours (others, such as id, version, last_updated, are the API's).
const FIELDS = ["description", "expression", "action", "action_parameters", "enabled", "logging", "ratelimit"];

function isCidr(s) {
  if (typeof s !== "string") return false;
  const [ip, bits, ...rest] = s.split("/");
  if (rest.length) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split(".").every((o) => Number(o) <= 255) && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 32));
  if (/^[0-9a-fA-F:]+$/.test(ip) && ip.includes(":")) return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 128);
  return false;
}

/** Parentheses and string literals balance (a cheap guard; the API parses the rest). */
function balanced(expr) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return false;
  }
  return depth === 0 && !inString;
}

/** Every problem of a parsed rules file (empty: valid). */
export function validateRules(file) {
  const errors = [];
  const err = (s) => errors.push(s);
  if (!file || typeof file !== "object" || Array.isArray(file)) return ["the file must hold a JSON object"];
  for (const k of Object.keys(file)) if (!["version", "description", "notes", "parameters", "environments", "phases"].includes(k)) err(`unknown top-level key ${k}`);
  if (!Number.isInteger(file.version) || file.version < 1) err("version must be a positive integer");
  const checkParams = (params, where) => {
    if (params === undefined) return;
    if (!params || typeof params !== "object" || Array.isArray(params)) return err(`${where}: must be an object`);
    for (const [name, list] of Object.entries(params)) {
      const spec = PARAMETERS[name];
      if (!spec) err(`${where}.${name}: unknown parameter (known: ${Object.keys(PARAMETERS).join(", ")})`);
      else if (!Array.isArray(list)) err(`${where}.${name}: must be a list`);
      else for (const v of list) if (!spec.ok(v)) err(`${where}.${name}: ${JSON.stringify(v)} is not ${spec.item}`);
    }
  };
  checkParams(file.parameters, "parameters");
  if (file.environments !== undefined) {
    for (const [env, e] of Object.entries(file.environments ?? {})) {
      if (!CLOUD_ENVS.includes(env)) err(`environments.${env}: not an environment (${CLOUD_ENVS.join(", ")})`);
      for (const k of Object.keys(e ?? {})) if (k !== "parameters") err(`environments.${env}.${k}: unknown key`);
      checkParams(e?.parameters, `environments.${env}.parameters`);
    }
  }
  if (!file.phases || typeof file.phases !== "object") return [...errors, "phases must be an object"];
  const ids = new Set();
  for (const [phase, rules] of Object.entries(file.phases)) {
    if (!PHASES.includes(phase)) {
      err(`phases.${phase}: not a phase this script manages (${PHASES.join(", ")})`);
      continue;
    }
    if (!Array.isArray(rules)) {
      err(`phases.${phase}: must be a list of rules`);
      continue;
    }
    rules.forEach((r, i) => {
      const at = `phases.${phase}[${i}]${typeof r?.id === "string" ? ` (${r.id})` : ""}`;
      if (!r || typeof r !== "object") return err(`${at}: must be an object`);
      for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) err(`${at}: unknown key ${k}`);
      if (typeof r.id !== "string" || !/^[a-z0-9][a-z0-9-]{0,47}$/.test(r.id)) err(`${at}: id must be lowercase letters, digits and dashes`);
      else if (ids.has(r.id)) err(`${at}: duplicate id ${r.id}`);
      else ids.add(r.id);
      if (typeof r.description !== "string" || !r.description.trim()) err(`${at}: description required`);
      if (typeof r.expression !== "string" || !r.expression.trim()) err(`${at}: expression required`);
      else {
        if (!balanced(r.expression)) err(`${at}: unbalanced parentheses or quotes in the expression`);
        for (const [, name] of r.expression.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) if (!PARAMETERS[name]) err(`${at}: unknown parameter {{${name}}}`);
      }
      if (!ACTIONS[phase].has(r.action)) err(`${at}: action ${JSON.stringify(r.action)} is not one of ${[...ACTIONS[phase]].join(", ")}`);
      if (r.action === "skip") {
        const p = r.action_parameters;
        if (!p || typeof p !== "object" || !(p.ruleset || p.phases || p.products)) err(`${at}: a skip rule needs action_parameters with ruleset, phases or products`);
      }
      if (r.enabled !== undefined && typeof r.enabled !== "boolean") err(`${at}: enabled must be true or false`);
      if (r.when !== undefined && !PARAMETERS[r.when]) err(`${at}: when names an unknown parameter ${r.when}`);
      if (phase === "http_ratelimit") {
        const rl = r.ratelimit;
        if (!rl || typeof rl !== "object") err(`${at}: a rate limiting rule needs ratelimit {characteristics, period, requests_per_period, mitigation_timeout}`);
        else {
          if (!Array.isArray(rl.characteristics) || !rl.characteristics.includes("cf.colo.id")) err(`${at}: ratelimit.characteristics must include "cf.colo.id"`);
          if (!PERIODS.has(rl.period)) err(`${at}: ratelimit.period must be one of ${[...PERIODS].join(", ")} seconds`);
          if (!Number.isInteger(rl.requests_per_period) || rl.requests_per_period < 1) err(`${at}: ratelimit.requests_per_period must be a positive integer`);
          if (!TIMEOUTS.has(rl.mitigation_timeout)) err(`${at}: ratelimit.mitigation_timeout must be one of ${[...TIMEOUTS].join(", ")} seconds`);
        }
      } else if (r.ratelimit !== undefined) err(`${at}: ratelimit belongs in http_ratelimit rules only`);
    });
  }
  return errors;
}

export const refPrefix = (env) => `porygon-${env}-`;

/** The rules of one phase for one environment and host, as the API takes them. */
export function desiredRules(file, env, host, phase) {
  const params = { ...file.parameters, ...file.environments?.[env]?.parameters };
  const out = [];
  for (const r of file.phases?.[phase] ?? []) {
    if (r.when && !(params[r.when] ?? []).length) continue;
    const expression = r.expression.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name) => {
      const list = params[name] ?? [];
      if (!list.length) throw new Error(`rule ${r.id}: parameter ${name} is empty for ${env} (give the rule "when": "${name}", or values)`);
      return `{${list.map(PARAMETERS[name].render).join(" ")}}`;
    });
    const rule = {
      ref: `${refPrefix(env)}${r.id}`,
      description: `porygon ${env}: ${r.description} [ops/waf/rules.json v${file.version}]`,
      expression: `(http.host eq ${JSON.stringify(host)}) and (${expression})`,
      action: r.action,
      enabled: r.enabled ?? true,
    };
    if (r.action_parameters) rule.action_parameters = r.action_parameters;
    if (r.logging) rule.logging = r.logging;
    if (r.ratelimit) rule.ratelimit = r.ratelimit;
    out.push(rule);
  }
  return out;
}

/** `want` holds for `have`: equal scalars/arrays, and every key of an object `want` equal in `have`. */
function covers(want, have) {
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((w, i) => covers(w, have[i]));
  if (want && typeof want === "object") return have && typeof have === "object" && Object.keys(want).every((k) => covers(want[k], have[k]));
  return want === have;
}

/** The fields in which a rule of the zone differs from ours. */
export function differences(want, have) {
  return FIELDS.filter((f) => {
    if (f === "enabled") return (want.enabled ?? true) !== (have.enabled ?? true);
    if (want[f] === undefined) return have[f] !== undefined && !(typeof have[f] === "object" && Object.keys(have[f]).length === 0);
    return !covers(want[f], have[f]);
  });
}

/** A rule as read, made fit to send back (the API's read-only fields dropped). */
const writable = ({ version: _v, last_updated: _l, categories: _c, ...rule }) => rule;

/**
 * The rule list to PUT and the diff: foreign rules kept in place, ours where the first of ours
 * was (or last), each matched by ref and keeping its id.
 */
export function plan(current, desired, env) {
  const mine = (r) => typeof r.ref === "string" && r.ref.startsWith(refPrefix(env));
  const byRef = new Map(current.filter(mine).map((r) => [r.ref, r]));
  const wantRefs = new Set(desired.map((r) => r.ref));
  const ours = desired.map((d) => (byRef.has(d.ref) ? { id: byRef.get(d.ref).id, ...d } : d));
  const rules = [];
  let placed = false;
  for (const r of current) {
    if (!mine(r)) rules.push(writable(r));
    else if (!placed) {
      rules.push(...ours);
      placed = true;
    }
  }
  if (!placed) rules.push(...ours);
  const diff = [];
  for (const d of desired) {
    const have = byRef.get(d.ref);
    if (!have) diff.push({ op: "+", ref: d.ref, rule: d });
    else {
      const fields = differences(d, have);
      if (fields.length) diff.push({ op: "~", ref: d.ref, rule: d, have, fields });
    }
  }
  for (const r of current.filter(mine)) if (!wantRefs.has(r.ref)) diff.push({ op: "-", ref: r.ref, rule: r });
  // Same rules, another order: a change too (rules run in order).
  const order = (list) => list.filter(mine).map((r) => r.ref).join(",");
  if (!diff.length && order(current) !== order(ours)) diff.push({ op: "order", ref: "(order)" });
  return { rules, diff, foreign: current.filter((r) => !mine(r)) };
}

// ---------------------------------------------------------------------------------------------
async function main() {
  const { opts, env, configPath, usage } = operatorCli(
    "waf.mjs --env staging|production [--config wrangler.toml] [--rules ops/waf/rules.json] [--apply]",
    { rules: { type: "string" }, apply: { type: "boolean" } },
  );
  const rulesPath = resolve(opts.rules ?? "ops/waf/rules.json");

  let file;
  try {
    file = JSON.parse(readFileSync(rulesPath, "utf8"));
  } catch (e) {
    console.error(`error: ${rulesPath}: ${e.message}`);
    process.exit(2);
  }
  const invalid = validateRules(file);
  if (invalid.length) {
    console.error(`error: ${rulesPath} is not a valid ruleset file; nothing was read or written:\n${invalid.map((e) => `  ${e}`).join("\n")}`);
    process.exit(2);
  }

  const section = readConfig(configPath).data.env?.[env];
  if (!section) usage(`${configPath} has no [env.${env}] section`);
  const host = customDomains(section)[0];
  if (!host || host.endsWith(`.${PLACEHOLDER_DOMAIN}`) || host.endsWith(".invalid")) {
    console.error(`error: [env.${env}] has no custom domain yet (${host ?? "no routes"}): run make provision ENV=${env} DOMAIN=<zone> first`);
    process.exit(2);
  }

  const desired = {};
  try {
    for (const phase of PHASES) desired[phase] = desiredRules(file, env, host, phase);
  } catch (e) {
    console.error(`error: ${rulesPath}: ${e.message}`);
    process.exit(2);
  }

  const client = clientFromEnv();
  if (!client) {
    console.error("error: set CLOUDFLARE_API_TOKEN (Zone Read and WAF edit on the zone) to read the zone's rules");
    process.exit(1);
  }

  try {
    // The zone: the longest suffix of the host that is a zone of the account.
    const labels = host.split(".");
    const tried = [];
    let zone;
    for (let i = 1; i <= labels.length - 2 && !zone; i++) {
      const name = labels.slice(i).join(".");
      tried.push(name);
      const found = await client.list("/zones", { query: { name, ...(client.accountId ? { "account.id": client.accountId } : {}) }, perPage: 50 });
      zone = found.find((z) => z.name === name);
    }
    if (!zone) {
      console.error(`error: no zone of this account serves ${host} (looked up ${tried.join(", ")})`);
      process.exit(1);
    }
    console.log(`${opts.apply ? "Applying" : "Dry run:"} ${rulesPath} v${file.version} for ${env} (${host}) on zone ${zone.name} (${zone.id})`);

    let changes = 0;
    for (const phase of PHASES) {
      const path = `/zones/${zone.id}/rulesets/phases/${phase}/entrypoint`;
      let current;
      try {
        current = await client.get(path);
      } catch (e) {
        if (!(e instanceof CloudflareApiError && e.status === 404)) throw e;
        current = undefined;
      }
      const { rules, diff, foreign } = plan(current?.rules ?? [], desired[phase], env);
      console.log(`\n${phase}: ${current ? `entry point version ${current.version}, ${current.rules?.length ?? 0} rule(s)` : "no entry point ruleset yet"}`);
      for (const d of diff) {
        if (d.op === "+") console.log(`  + ${d.ref}  ${d.rule.action}  ${d.rule.expression}`);
        else if (d.op === "~") {
          console.log(`  ~ ${d.ref}: ${d.fields.join(", ")}`);
          for (const f of d.fields) console.log(`      ${f}: ${JSON.stringify(d.have[f])}\n   →  ${" ".repeat(f.length)}  ${JSON.stringify(d.rule[f])}`);
        } else if (d.op === "-") console.log(`  - ${d.ref}  (no longer in ${rulesPath})`);
        else console.log("  ~ porygon's rules change order");
      }
      const unchanged = desired[phase].length - diff.filter((d) => d.op === "+" || d.op === "~").length;
      if (unchanged > 0) console.log(`  = ${unchanged} porygon rule(s) unchanged`);
      if (foreign.length) console.log(`  = ${foreign.length} rule(s) not managed by porygon ${env}, kept as they are: ${foreign.map((r) => r.ref ?? r.id).join(", ")}`);
      if (!diff.length) continue;
      changes += diff.length;
      if (!opts.apply) continue;
      const written = await client.put(path, { rules });
      console.log(`  written: entry point version ${written?.version ?? "?"}, ${written?.rules?.length ?? rules.length} rule(s)`);
    }
    if (!changes) console.log("\nNothing to change: the zone has these rules already.");
    else if (!opts.apply) console.log(`\n${changes} change(s). Dry run: nothing was written; apply with --apply (make waf ENV=${env} APPLY=1).`);
    else console.log(`\n${changes} change(s) applied.`);
  } catch (e) {
    console.error(`error: ${e instanceof CloudflareApiError ? e.message : e.stack ?? e}`);
    process.exit(1);
  }
}

// Run as a command (the tests import nothing from here, but the helpers are exported for reuse).
if (process.argv[1]?.endsWith("waf.mjs")) await main();

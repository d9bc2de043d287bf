// wrangler.toml for the operations scripts (provision.mjs, check-config.mjs, waf.mjs): a reader
// for the TOML this repository writes, targeted edits that keep every comment and line as it is,
// and the conventions those scripts share (resource names, required secrets, Vectorize shape).
//
// The reader covers the TOML wrangler.toml uses: comments, [tables], [[arrays of tables]], bare
// and quoted (dotted) keys, basic and literal strings, integers, floats, booleans, arrays (also
// over several lines) and inline tables. Anything else (multi-line strings, dates) is refused
// with its line number rather than misread. No npm TOML parser is a direct dependency, and a
// round-trip serializer would drop the comments that document every setting.
import { parseArgs } from "node:util";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

/** Like wrangler: wrangler.toml in the current directory unless --config names another file. */
export const defaultConfigPath = () => resolve("wrangler.toml");

/** The cloud environments (the top level of wrangler.toml is the local one). */
export const CLOUD_ENVS = ["staging", "production"];

/**
 * The command line every operations script shares: `--env staging|production`, `--config`
 * (default: the repository's wrangler.toml), `--help`, plus `options` of its own (node:util
 * parseArgs shapes). A mistake prints `usageLine` and exits 2; `usage(message)` does the same
 * for the script's own checks.
 */
export function operatorCli(usageLine, options = {}) {
  const usage = (message) => {
    if (message) console.error(`error: ${message}`);
    console.error(`usage: ${usageLine}`);
    process.exit(2);
  };
  let opts;
  try {
    opts = parseArgs({ options: { env: { type: "string" }, config: { type: "string" }, help: { type: "boolean" }, ...options } }).values;
  } catch (e) {
    usage(e.message);
  }
  if (opts.help) usage();
  if (!CLOUD_ENVS.includes(opts.env)) usage(`--env must be one of ${CLOUD_ENVS.join(", ")}`);
  return { opts, env: opts.env, configPath: opts.config ?? defaultConfigPath(), usage };
}

/** Secrets the worker reads in the cloud (`wrangler secret put NAME --env ENV`). */
export const REQUIRED_SECRETS = [
// `generated`: nobody needs to know the value, so `openssl rand -hex 32 |` feeds it; the others
// prompt for a value the operator keeps (ADMIN_TOKEN for scripts/*.mjs, the webhook secret for the
// receiver) or gets elsewhere.
  { name: "ADMIN_TOKEN", generated: false, note: "≥ 16 characters, e.g. from `openssl rand -hex 32`; keep it: scripts/*.mjs --url send it" },
  { name: "SESSION_ID_KEY", generated: true, note: "signs session ids" },
  { name: "PSEUDONYM_KEY", generated: true, note: "keys log pseudonyms" },
  { name: "ALERT_WEBHOOK", generated: false, note: "the alert receiver's URL" },
  { name: "ALERT_WEBHOOK_SECRET", generated: false, note: "the key the receiver verifies X-Porygon-Signature with" },
  { name: "SENTRY_DSN", generated: false, note: "the Sentry project's DSN" },
  { name: "ANALYTICS_API_TOKEN", generated: false, note: "an API token with Account Analytics: Read (the fleet alerts' SQL queries)" },
];

/** Workers AI bge-base-en-v1.5 embeddings: 768 dimensions, compared by cosine similarity. */
export const VECTORIZE_CONFIG = { dimensions: 768, metric: "cosine" };
/** Metadata indexes the searches filter on (src/ingest/vectors.rs); they must exist before inserts. */
export const VECTORIZE_METADATA_INDEXES = [
  { propertyName: "pokemon", indexType: "string" },
  { propertyName: "format", indexType: "string" },
  { propertyName: "section", indexType: "string" },
];

/** Logpush bucket of an environment with `logpush = true`, and its retention. */
export const logsBucketName = (env) => (env === "production" ? "porygon-logs" : `porygon-logs-${env}`);
export const LOGS_RETENTION_DAYS = 30;
export const LOGS_LIFECYCLE_RULE_ID = "porygon-expire-30d";

/** Title of an environment's KV namespace: STRATEGY_KV → porygon-strategy-<env>, API_KEYS → porygon-api-keys-<env>. */
export const kvTitle = (env, binding) => `porygon-${binding.toLowerCase().replace(/_kv$/, "").replaceAll("_", "-")}-${env}`;

/** Custom domain of an environment: staging-mcp.<domain>, mcp.<domain>. */
export const hostFor = (env, domain) => (env === "production" ? `mcp.${domain}` : `${env}-mcp.${domain}`);
/** The committed placeholder domain (RFC 2606 `.invalid`): check-config refuses it. */
export const PLACEHOLDER_DOMAIN = "porygon.invalid";

/**
 * Binding kinds compared between the top level and an environment (bindings are not inherited
 * by [env.*], except static assets): the wrangler.toml key path and the field naming each binding.
 */
export const BINDING_KINDS = [
  { kind: "KV namespace", path: ["kv_namespaces"], key: "binding" },
  { kind: "R2 bucket", path: ["r2_buckets"], key: "binding" },
  { kind: "Durable Object", path: ["durable_objects", "bindings"], key: "name" },
  { kind: "Analytics Engine dataset", path: ["analytics_engine_datasets"], key: "binding" },
  { kind: "Vectorize index", path: ["vectorize"], key: "binding" },
  { kind: "Workers AI", path: ["ai"], key: "binding" },
  // [assets] is inheritable: an environment without its own [env.*.assets] uses the top level's.
  { kind: "static assets", path: ["assets"], key: "binding", inherited: true },
  { kind: "service", path: ["services"], key: "binding" },
  { kind: "queue producer", path: ["queues", "producers"], key: "binding" },
  { kind: "D1 database", path: ["d1_databases"], key: "binding" },
  { kind: "rate limiter", path: ["ratelimits"], key: "name" },
  { kind: "Hyperdrive", path: ["hyperdrive"], key: "binding" },
  { kind: "browser rendering", path: ["browser"], key: "binding" },
  { kind: "version metadata", path: ["version_metadata"], key: "binding" },
  { kind: "secrets store secret", path: ["secrets_store_secrets"], key: "binding" },
];
/** Bindings every cloud environment must have even though the local level cannot (REFERENCE.md §2). */
export const CLOUD_ONLY_BINDINGS = [
  { kind: "Workers AI", path: ["ai"], key: "binding", name: "AI" },
  { kind: "Vectorize index", path: ["vectorize"], key: "binding", name: "VECTORIZE" },
];

/** The bindings of one kind in a section (a table or an array of tables) → names. */
export function bindingNames(section, { path, key }) {
  let v = section;
  for (const p of path) v = v?.[p];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((b) => b?.[key]).filter((n) => typeof n === "string");
}

/** A real Cloudflare id: 32 lowercase hex digits, and not one digit repeated (the committed placeholders). */
export const isRealId = (id) => typeof id === "string" && /^[0-9a-f]{32}$/.test(id) && !/^(.)\1{31}$/.test(id);

// ---------------------------------------------------------------------------------------------
// Reading

export class TomlError extends Error {}

/**
 * Parses TOML text. Returns { data, tables, entries }: `tables` lists every header (path, whether
 * it is an array table, its line, and the offsets of its body), `entries` every key = value with
 * its table, key path and the offsets of the whole line and of the value, for targeted edits.
 */
export function parseToml(text) {
  const data = {};
  const tables = [{ path: [], array: false, line: 0, start: 0, bodyStart: 0, bodyEnd: text.length }];
  const entries = [];
  let pos = 0;
  let current = data;
  const lineOf = (p) => text.slice(0, p).split("\n").length;
  const fail = (msg, p = pos) => {
    throw new TomlError(`line ${lineOf(p)}: ${msg}`);
  };

  const skipWs = () => {
    while (pos < text.length && (text[pos] === " " || text[pos] === "\t")) pos++;
  };
  const skipComment = () => {
    if (text[pos] === "#") while (pos < text.length && text[pos] !== "\n") pos++;
  };
  // Whitespace, newlines and comments (inside arrays and between statements).
  const skipAll = () => {
    for (;;) {
      skipWs();
      skipComment();
      if (text[pos] === "\n" || text[pos] === "\r") pos++;
      else break;
    }
  };
  const endOfLine = () => {
    skipWs();
    skipComment();
    if (pos < text.length && text[pos] !== "\n" && !(text[pos] === "\r" && text[pos + 1] === "\n")) fail(`unexpected ${JSON.stringify(text[pos])}`);
  };

  const parseBasicString = () => {
    if (text.startsWith('"""', pos)) fail("multi-line strings are not supported here");
    pos++;
    let out = "";
    for (;;) {
      const c = text[pos];
      if (c === undefined || c === "\n") fail("unterminated string");
      pos++;
      if (c === '"') return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[pos++];
      const simple = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
      if (e in simple) out += simple[e];
      else if (e === "u" || e === "U") {
        const n = e === "u" ? 4 : 8;
        const hex = text.slice(pos, pos + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail("bad unicode escape");
        out += String.fromCodePoint(parseInt(hex, 16));
        pos += n;
      } else fail(`bad escape \\${e}`);
    }
  };
  const parseLiteralString = () => {
    if (text.startsWith("'''", pos)) fail("multi-line strings are not supported here");
    const end = text.indexOf("'", pos + 1);
    const nl = text.indexOf("\n", pos + 1);
    if (end < 0 || (nl >= 0 && nl < end)) fail("unterminated string");
    const s = text.slice(pos + 1, end);
    pos = end + 1;
    return s;
  };
  const parseKeyPart = () => {
    skipWs();
    if (text[pos] === '"') return parseBasicString();
    if (text[pos] === "'") return parseLiteralString();
    const m = /^[A-Za-z0-9_-]+/.exec(text.slice(pos, pos + 256));
    if (!m) fail("expected a key");
    pos += m[0].length;
    return m[0];
  };
  const parseKey = () => {
    const parts = [parseKeyPart()];
    for (;;) {
      skipWs();
      if (text[pos] !== ".") return parts;
      pos++;
      parts.push(parseKeyPart());
    }
  };
  const parseValue = () => {
    skipWs();
    const c = text[pos];
    if (c === '"') return parseBasicString();
    if (c === "'") return parseLiteralString();
    if (c === "[") {
      pos++;
      const arr = [];
      for (;;) {
        skipAll();
        if (text[pos] === "]") {
          pos++;
          return arr;
        }
        arr.push(parseValue());
        skipAll();
        if (text[pos] === ",") pos++;
        else if (text[pos] !== "]") fail("expected , or ] in an array");
      }
    }
    if (c === "{") {
      pos++;
      const obj = {};
      skipWs();
      if (text[pos] === "}") {
        pos++;
        return obj;
      }
      for (;;) {
        const key = parseKey();
        skipWs();
        if (text[pos] !== "=") fail("expected = in an inline table");
        pos++;
        assign(obj, key, parseValue());
        skipWs();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "}") {
          pos++;
          return obj;
        } else fail("expected , or } in an inline table");
      }
    }
    const rest = text.slice(pos, pos + 64);
    const bool = /^(true|false)(?![A-Za-z0-9_-])/.exec(rest);
    if (bool) {
      pos += bool[0].length;
      return bool[0] === "true";
    }
    const num = /^[+-]?(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?(?![\d:A-Za-z_-])/.exec(rest);
    if (num) {
      pos += num[0].length;
      return Number(num[0].replaceAll("_", ""));
    }
    fail(`unsupported value ${JSON.stringify(rest.split("\n")[0])}`);
  };
  function assign(obj, key, value) {
    let o = obj;
    for (const k of key.slice(0, -1)) {
      if (o[k] === undefined) o[k] = {};
      if (typeof o[k] !== "object" || Array.isArray(o[k])) fail(`key ${key.join(".")} redefines a value`);
      o = o[k];
    }
    const last = key[key.length - 1];
    if (Object.prototype.hasOwnProperty.call(o, last)) fail(`duplicate key ${key.join(".")}`);
    o[last] = value;
  }
  const descend = (path, array) => {
    let o = data;
    path.forEach((k, i) => {
      const isLast = i === path.length - 1;
      if (isLast && array) {
        if (o[k] === undefined) o[k] = [];
        if (!Array.isArray(o[k])) fail(`[[${path.join(".")}]] is not an array of tables`);
        const t = {};
        o[k].push(t);
        o = t;
        return;
      }
      if (o[k] === undefined) o[k] = {};
      o = Array.isArray(o[k]) ? o[k][o[k].length - 1] : o[k];
      if (typeof o !== "object") fail(`${path.join(".")} is not a table`);
    });
    return o;
  };

  for (;;) {
    skipAll();
    if (pos >= text.length) break;
    const lineStart = text.lastIndexOf("\n", pos - 1) + 1;
    if (text[pos] === "[") {
      const array = text[pos + 1] === "[";
      pos += array ? 2 : 1;
      const path = parseKey();
      skipWs();
      if (!text.startsWith(array ? "]]" : "]", pos)) fail("unterminated table header");
      pos += array ? 2 : 1;
      endOfLine();
      tables[tables.length - 1].bodyEnd = lineStart;
      const index = array ? tables.filter((t) => t.array && t.path.join(".") === path.join(".")).length : 0;
      tables.push({ path, array, index, line: lineOf(lineStart), start: lineStart, bodyStart: Math.min(pos + 1, text.length), bodyEnd: text.length });
      current = descend(path, array);
      continue;
    }
    const key = parseKey();
    skipWs();
    if (text[pos] !== "=") fail("expected =");
    pos++;
    skipWs();
    const valueStart = pos;
    const value = parseValue();
    const valueEnd = pos;
    endOfLine();
    const lineEnd = pos < text.length ? pos + 1 : pos;
    assign(current, key, value);
    entries.push({ table: tables.length - 1, key, value, line: lineOf(lineStart), lineStart, lineEnd, valueStart, valueEnd });
  }
  return { data, tables, entries };
}

export function readConfig(path = defaultConfigPath()) {
  const text = readFileSync(path, "utf8");
  try {
    return { path, text, ...parseToml(text) };
  } catch (e) {
    if (e instanceof TomlError) throw new TomlError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Writes through a temporary file, so an interrupted write never leaves half a config. */
export function writeConfig(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The custom-domain hosts of an environment's `routes`. */
export function customDomains(envSection) {
  const routes = envSection?.routes ?? [];
  return (Array.isArray(routes) ? routes : [routes])
    .filter((r) => r && typeof r === "object" && r.custom_domain === true && typeof r.pattern === "string")
    .map((r) => r.pattern);
}

// ---------------------------------------------------------------------------------------------
// Targeted edits: each returns the new text (unchanged when nothing differs) and touches only the
// line of the value it sets, or inserts one line; comments and layout stay as they are.

const tomlString = (s) => JSON.stringify(String(s));
const samePath = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function replaceValue(text, entry, literal) {
  if (text.slice(entry.valueStart, entry.valueEnd) === literal) return text;
  return text.slice(0, entry.valueStart) + literal + text.slice(entry.valueEnd);
}

/** Offset where a new key line goes in a table: after its last key = value line. */
function insertionPoint(parsed, tableIndex) {
  const own = parsed.entries.filter((e) => e.table === tableIndex);
  if (own.length) return own[own.length - 1].lineEnd;
  return parsed.tables[tableIndex].bodyStart;
}

function insertLine(text, at, line) {
  const before = text.slice(0, at);
  const sep = before.length && !before.endsWith("\n") ? "\n" : "";
  return `${before}${sep}${line}\n${text.slice(at)}`;
}

/** Sets `id = "<id>"` in the [[env.<env>.kv_namespaces]] block whose binding is `binding`. */
export function setKvNamespaceId(text, env, binding, id) {
  const parsed = parseToml(text);
  const path = ["env", env, "kv_namespaces"];
  for (let t = 0; t < parsed.tables.length; t++) {
    const table = parsed.tables[t];
    if (!table.array || !samePath(table.path, path)) continue;
    const own = parsed.entries.filter((e) => e.table === t);
    const b = own.find((e) => samePath(e.key, ["binding"]));
    if (b?.value !== binding) continue;
    const idEntry = own.find((e) => samePath(e.key, ["id"]));
    if (idEntry) return replaceValue(text, idEntry, tomlString(id));
    return insertLine(text, b.lineEnd, `id = ${tomlString(id)}`);
  }
  throw new Error(`no [[env.${env}.kv_namespaces]] block with binding = "${binding}"`);
}

/** Sets NAME = "value" in [env.<env>.vars] (the table must exist); a new line gets `comment` above it. */
export function setVar(text, env, name, value, comment) {
  const parsed = parseToml(text);
  const t = parsed.tables.findIndex((x) => !x.array && samePath(x.path, ["env", env, "vars"]));
  if (t < 0) throw new Error(`no [env.${env}.vars] table`);
  const entry = parsed.entries.find((e) => e.table === t && samePath(e.key, [name]));
  if (entry) return replaceValue(text, entry, tomlString(value));
  const line = `${name} = ${tomlString(value)}`;
  return insertLine(text, insertionPoint(parsed, t), comment ? `# ${comment}\n${line}` : line);
}

/** Sets a key of the [env.<env>] table itself (e.g. routes, workers_dev) to a TOML literal. */
export function setEnvKey(text, env, key, literal) {
  const parsed = parseToml(text);
  const t = parsed.tables.findIndex((x) => !x.array && samePath(x.path, ["env", env]));
  if (t < 0) throw new Error(`no [env.${env}] table`);
  const entry = parsed.entries.find((e) => e.table === t && samePath(e.key, [key]));
  if (entry) return replaceValue(text, entry, literal);
  return insertLine(text, insertionPoint(parsed, t), `${key} = ${literal}`);
}

/** The routes literal for an environment's custom domain. */
export const routesLiteral = (host) => `[{ pattern = ${tomlString(host)}, custom_domain = true }]`;

/** The command that sets one secret (`--config` only when the config is not ./wrangler.toml). */
export function secretPutCommand(secret, env, configPath) {
  const config = configPath && resolve(configPath) !== defaultConfigPath() ? ` --config ${configPath}` : "";
  const put = `npx wrangler secret put ${secret.name} --env ${env}${config}`;
  return secret.generated ? `openssl rand -hex 32 | ${put}   # ${secret.note}` : `${put}   # prompts: ${secret.note}`;
}

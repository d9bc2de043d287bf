// A FAKE Cloudflare API v4, for tests only: an in-memory HTTP server on 127.0.0.1 (port 0) that
// implements just the endpoints scripts/provision.mjs, scripts/check-config.mjs, scripts/waf.mjs
// (and `wrangler secret put`) call, records every call, and answers in Cloudflare's envelope
// with real-looking ids (32 lowercase hex). The account cannot exist locally; nothing else in the
// suite is faked this way (issue #15).
//
// Shapes relied on (Cloudflare API reference and the `cloudflare` TypeScript SDK wrangler 4
// bundles; wrangler's own calls in node_modules/wrangler/wrangler-dist/cli.js):
//   envelope      {success, errors: [{code, message}], messages: [], result, result_info?}
//   KV            GET  /accounts/{a}/storage/kv/namespaces?page&per_page → [{id, title, supports_url_encoding}],
//                      result_info {page, per_page, count, total_count, total_pages}
//                 POST /accounts/{a}/storage/kv/namespaces {title} → {id, title, supports_url_encoding}
//   R2            GET  /accounts/{a}/r2/buckets?per_page&cursor → {buckets: [{name, creation_date, location}]},
//                      result_info {cursor, per_page} (no cursor on the last page)
//                 POST /accounts/{a}/r2/buckets {name, locationHint?} → {name, creation_date, location}
//                 GET  /accounts/{a}/r2/buckets/{b}/lifecycle → {rules: [{id, enabled, conditions: {prefix},
//                      deleteObjectsTransition?: {condition: {type: "Age", maxAge: <seconds>}},
//                      abortMultipartUploadsTransition?: {…}}]}; a new bucket has the default rule
//                      aborting multipart uploads after 7 days
//                 PUT  /accounts/{a}/r2/buckets/{b}/lifecycle {rules} → replaces the whole list
//   Vectorize v2  GET  /accounts/{a}/vectorize/v2/indexes → [{name, description, config: {dimensions, metric},
//                      created_on, modified_on}] (one page)
//                 POST /accounts/{a}/vectorize/v2/indexes {name, description?, config: {dimensions, metric}}
//                 GET  …/indexes/{name}/metadata_index/list → {metadataIndexes: [{propertyName, indexType}]}
//                 POST …/indexes/{name}/metadata_index/create {propertyName, indexType} → {mutationId}
//                      (at most 10 per index)
//   Workers       GET  /accounts/{a}/workers/scripts/{s}/secrets → [{name, type: "secret_text"}];
//                      an unknown script: 404, error code 10007 (wrangler's WORKER_NOT_FOUND_ERR_CODE)
//                 PUT  /accounts/{a}/workers/scripts/{s}/secrets {name, text, type} → {name, type}
//                 PUT  /accounts/{a}/workers/scripts/{s} (multipart upload; wrangler's draft Worker)
//   Zones         GET  /zones?name=&page&per_page → [{id, name, status, account: {id, name}}], page result_info
//   Rulesets      GET  /zones/{z}/rulesets/phases/{phase}/entrypoint → {id, name, kind: "zone", phase, version,
//                      last_updated, rules: [{id, ref, version, last_updated, expression, action,
//                      action_parameters?, description, enabled, logging?, ratelimit?}]}; none yet: 404
//                 PUT  /zones/{z}/rulesets/phases/{phase}/entrypoint {rules, description?} → the new
//                      version (created when absent); a rule sent with an existing id keeps it, `ref`
//                      defaults to the id; rate limiting rules carry ratelimit {characteristics
//                      (with "cf.colo.id"), period, requests_per_period, mitigation_timeout}
// Error codes the scripts branch on are Cloudflare's (10007); the others are the fake's own.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';

const hex32 = () => randomBytes(16).toString('hex');
const now = () => new Date().toISOString();

const CUSTOM_ACTIONS = new Set(['block', 'challenge', 'js_challenge', 'managed_challenge', 'log', 'skip']);
const RATELIMIT_ACTIONS = new Set(['block', 'challenge', 'js_challenge', 'managed_challenge', 'log']);
const PHASES = new Set(['http_request_firewall_custom', 'http_ratelimit']);

const withoutMeta = ({ id: _i, version: _v, last_updated: _l, ...rest }) => rest;
/** JSON with sorted keys, to compare rules whatever their key order. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function startFakeCloudflareApi({ token = `fake-token-${hex32()}`, accountId = hex32(), maxPerPage = 100, zones = [] } = {}) {
  const state = {
    kv: new Map(), // id → {id, title}
    buckets: new Map(), // name → {name, creation_date, location, rules}
    indexes: new Map(), // name → {name, description, config, created_on, modified_on, metadataIndexes}
    scripts: new Map(), // name → {secrets: Map(name → text)}
    zones: new Map(), // id → {id, name, status}
    rulesets: new Map(), // `${zone}/${phase}` → ruleset
  };
  /** Every request, in order: {method, path, query, body}. */
  const calls = [];

  const fake = {
    token,
    accountId,
    state,
    calls,
    url: '',
    /** Environment variables pointing the scripts (and wrangler) at this fake. */
    env() {
      return {
        CLOUDFLARE_API_TOKEN: token,
        CLOUDFLARE_ACCOUNT_ID: accountId,
        CLOUDFLARE_API_BASE: fake.url,
        CLOUDFLARE_API_BASE_URL: fake.url,
      };
    },
    /** Calls that change something (anything but GET). */
    writes() {
      return calls.filter((c) => c.method !== 'GET');
    },
    addZone(name) {
      const zone = { id: hex32(), name, status: 'active' };
      state.zones.set(zone.id, zone);
      return zone;
    },
    zoneByName(name) {
      return [...state.zones.values()].find((z) => z.name === name);
    },
    addKvNamespace(title) {
      const ns = { id: hex32(), title };
      state.kv.set(ns.id, ns);
      return ns;
    },
    addBucket(name) {
      state.buckets.set(name, newBucket(name));
    },
    setSecret(script, name, text = 'set-by-test') {
      if (!state.scripts.has(script)) state.scripts.set(script, { secrets: new Map() });
      state.scripts.get(script).secrets.set(name, text);
    },
    ruleset(zoneId, phase) {
      return state.rulesets.get(`${zoneId}/${phase}`);
    },
    /** Seeds an entrypoint ruleset as if someone had made it elsewhere (e.g. in the dashboard). */
    seedRuleset(zoneId, phase, rules) {
      putRuleset(zoneId, phase, { rules });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
  for (const z of zones) fake.addZone(z);

  function newBucket(name) {
    return {
      name,
      creation_date: now(),
      location: 'ENAM',
      rules: [{ id: 'Default Multipart Abort Rule', enabled: true, conditions: { prefix: '' }, abortMultipartUploadsTransition: { condition: { type: 'Age', maxAge: 604800 } } }],
    };
  }

  function page(items, query) {
    const perPage = Math.min(Number(query.get('per_page')) || 20, maxPerPage);
    const p = Math.max(Number(query.get('page')) || 1, 1);
    const slice = items.slice((p - 1) * perPage, p * perPage);
    return {
      result: slice,
      result_info: { page: p, per_page: perPage, count: slice.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) },
    };
  }

  function putRuleset(zoneId, phase, body) {
    if (!PHASES.has(phase)) throw new ApiError(400, 20021, `the fake does not serve phase ${phase}`);
    if (!body || !Array.isArray(body.rules)) throw new ApiError(400, 20021, 'rules: expected an array');
    const key = `${zoneId}/${phase}`;
    const before = state.rulesets.get(key);
    const version = String(Number(before?.version ?? 0) + 1);
    const known = new Map((before?.rules ?? []).map((r) => [r.id, r]));
    const refs = new Set();
    const rules = body.rules.map((r, i) => {
      const where = `rules[${i}]`;
      if (typeof r.expression !== 'string' || !r.expression.trim()) throw new ApiError(400, 20021, `${where}.expression: required`);
      const actions = phase === 'http_ratelimit' ? RATELIMIT_ACTIONS : CUSTOM_ACTIONS;
      if (!actions.has(r.action)) throw new ApiError(400, 20021, `${where}.action: ${r.action} is not allowed in ${phase}`);
      if (phase === 'http_ratelimit') {
        const rl = r.ratelimit;
        if (!rl || !Array.isArray(rl.characteristics) || !rl.characteristics.includes('cf.colo.id')) throw new ApiError(400, 20021, `${where}.ratelimit.characteristics: must include cf.colo.id`);
        for (const f of ['period', 'requests_per_period', 'mitigation_timeout']) {
          if (!Number.isInteger(rl[f])) throw new ApiError(400, 20021, `${where}.ratelimit.${f}: required integer`);
        }
      } else if (r.ratelimit) throw new ApiError(400, 20021, `${where}.ratelimit: only in http_ratelimit`);
      if (r.action === 'skip' && !r.action_parameters) throw new ApiError(400, 20021, `${where}.action_parameters: required for skip`);
      if (r.id !== undefined && !known.has(r.id)) throw new ApiError(400, 20021, `${where}.id: no rule ${r.id} in this ruleset`);
      const prev = r.id !== undefined ? known.get(r.id) : undefined;
      const id = r.id ?? hex32();
      const ref = r.ref ?? prev?.ref ?? id;
      if (refs.has(ref)) throw new ApiError(400, 20021, `${where}.ref: duplicate ${ref}`);
      refs.add(ref);
      const { id: _i, version: _v, last_updated: _l, ...fields } = r;
      const next = { enabled: true, ...fields, ref };
      const same = prev && canonical(withoutMeta(prev)) === canonical(next);
      return { ...next, id, version: same ? prev.version : version, last_updated: same ? prev.last_updated : now() };
    });
    const ruleset = {
      id: before?.id ?? hex32(),
      name: before?.name ?? body.name ?? 'default',
      description: body.description ?? before?.description ?? '',
      kind: 'zone',
      phase,
      version,
      last_updated: now(),
      rules,
    };
    state.rulesets.set(key, ruleset);
    return ruleset;
  }

  const A = '/accounts/([0-9a-f]{32})';
  const routes = [
    ['GET', `^${A}/storage/kv/namespaces$`, (m, q) => page([...state.kv.values()].map((n) => ({ ...n, supports_url_encoding: true })), q)],
    [
      'POST',
      `^${A}/storage/kv/namespaces$`,
      (m, q, body) => {
        if (typeof body?.title !== 'string' || !body.title) throw new ApiError(400, 10019, 'title: required');
        if ([...state.kv.values()].some((n) => n.title === body.title)) throw new ApiError(400, 10014, 'a namespace with this account ID and title already exists');
        const ns = fake.addKvNamespace(body.title);
        return { result: { ...ns, supports_url_encoding: true } };
      },
    ],
    [
      'GET',
      `^${A}/r2/buckets$`,
      (m, q) => {
        const all = [...state.buckets.values()].sort((a, b) => a.name.localeCompare(b.name));
        const perPage = Math.min(Number(q.get('per_page')) || 20, maxPerPage);
        const start = q.get('cursor') ? all.findIndex((b) => b.name > Buffer.from(q.get('cursor'), 'base64url').toString()) : 0;
        const slice = start < 0 ? [] : all.slice(start, start + perPage);
        const more = start >= 0 && start + perPage < all.length;
        return {
          result: { buckets: slice.map(({ name, creation_date, location }) => ({ name, creation_date, location })) },
          result_info: { per_page: perPage, ...(more ? { cursor: Buffer.from(slice[slice.length - 1].name).toString('base64url') } : {}) },
        };
      },
    ],
    [
      'POST',
      `^${A}/r2/buckets$`,
      (m, q, body) => {
        if (typeof body?.name !== 'string' || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(body.name)) throw new ApiError(400, 10005, 'The specified bucket name is not valid.');
        if (state.buckets.has(body.name)) throw new ApiError(409, 10004, 'The bucket you tried to create already exists, and you own it.');
        fake.addBucket(body.name);
        const { name, creation_date, location } = state.buckets.get(body.name);
        return { result: { name, creation_date, location } };
      },
    ],
    [
      'GET',
      `^${A}/r2/buckets/([^/]+)/lifecycle$`,
      (m) => {
        const b = state.buckets.get(m[2]);
        if (!b) throw new ApiError(404, 10006, 'The specified bucket does not exist.');
        return { result: { rules: structuredClone(b.rules) } };
      },
    ],
    [
      'PUT',
      `^${A}/r2/buckets/([^/]+)/lifecycle$`,
      (m, q, body) => {
        const b = state.buckets.get(m[2]);
        if (!b) throw new ApiError(404, 10006, 'The specified bucket does not exist.');
        if (!Array.isArray(body?.rules)) throw new ApiError(400, 10040, 'rules: expected an array');
        for (const r of body.rules) {
          if (typeof r.id !== 'string' || typeof r.enabled !== 'boolean' || typeof r.conditions !== 'object') throw new ApiError(400, 10040, 'each rule needs id, enabled and conditions');
        }
        b.rules = structuredClone(body.rules);
        return { result: {} };
      },
    ],
    ['GET', `^${A}/vectorize/v2/indexes$`, () => ({ result: [...state.indexes.values()].map(({ metadataIndexes, ...i }) => i) })],
    [
      'POST',
      `^${A}/vectorize/v2/indexes$`,
      (m, q, body) => {
        const { name, config } = body ?? {};
        if (typeof name !== 'string' || !/^[a-z0-9-]{1,64}$/.test(name)) throw new ApiError(400, 3001, 'vectorize.index.invalid_name');
        if (!config || !Number.isInteger(config.dimensions) || config.dimensions < 1 || config.dimensions > 1536 || !['cosine', 'euclidean', 'dot-product'].includes(config.metric)) {
          throw new ApiError(400, 3001, 'vectorize.index.invalid_config');
        }
        if (state.indexes.has(name)) throw new ApiError(409, 3002, 'vectorize.index.duplicate_name');
        const index = { name, description: body.description ?? '', config: { dimensions: config.dimensions, metric: config.metric }, created_on: now(), modified_on: now(), metadataIndexes: [] };
        state.indexes.set(name, index);
        const { metadataIndexes, ...shown } = index;
        return { result: shown };
      },
    ],
    [
      'GET',
      `^${A}/vectorize/v2/indexes/([^/]+)/metadata_index/list$`,
      (m) => {
        const index = state.indexes.get(m[2]);
        if (!index) throw new ApiError(404, 3000, 'vectorize.index.not_found');
        return { result: { metadataIndexes: structuredClone(index.metadataIndexes) } };
      },
    ],
    [
      'POST',
      `^${A}/vectorize/v2/indexes/([^/]+)/metadata_index/create$`,
      (m, q, body) => {
        const index = state.indexes.get(m[2]);
        if (!index) throw new ApiError(404, 3000, 'vectorize.index.not_found');
        if (typeof body?.propertyName !== 'string' || !['string', 'number', 'boolean'].includes(body.indexType)) throw new ApiError(400, 3001, 'propertyName and indexType required');
        if (index.metadataIndexes.some((x) => x.propertyName === body.propertyName)) throw new ApiError(409, 3003, 'vectorize.metadata_index.duplicate');
        if (index.metadataIndexes.length >= 10) throw new ApiError(400, 3004, 'vectorize.metadata_index.limit');
        index.metadataIndexes.push({ propertyName: body.propertyName, indexType: body.indexType });
        return { result: { mutationId: randomUUID() } };
      },
    ],
    [
      'GET',
      `^${A}/workers/scripts/([^/]+)/secrets$`,
      (m) => {
        const script = state.scripts.get(m[2]);
        if (!script) throw new ApiError(404, 10007, 'This Worker does not exist on your account.');
        return { result: [...script.secrets.keys()].map((name) => ({ name, type: 'secret_text' })) };
      },
    ],
    [
      'PUT',
      `^${A}/workers/scripts/([^/]+)/secrets$`,
      (m, q, body) => {
        const script = state.scripts.get(m[2]);
        if (!script) throw new ApiError(404, 10007, 'This Worker does not exist on your account.');
        if (typeof body?.name !== 'string' || typeof body.text !== 'string') throw new ApiError(400, 10021, 'name and text required');
        script.secrets.set(body.name, body.text);
        return { result: { name: body.name, type: 'secret_text' } };
      },
    ],
    [
      'PUT',
      `^${A}/workers/scripts/([^/]+)$`,
      (m) => {
        if (!state.scripts.has(m[2])) state.scripts.set(m[2], { secrets: new Map() });
        return { result: { id: m[2], created_on: now(), modified_on: now() } };
      },
    ],
    [
      'GET',
      '^/zones$',
      (m, q) => {
        const name = q.get('name');
        return page([...state.zones.values()].filter((z) => !name || z.name === name).map((z) => ({ ...z, account: { id: accountId, name: 'fake account' } })), q);
      },
    ],
    [
      'GET',
      '^/zones/([0-9a-f]{32})/rulesets/phases/([a-z_]+)/entrypoint$',
      (m) => {
        if (!state.zones.has(m[1])) throw new ApiError(404, 7003, 'Could not route to /zones: no such zone');
        const rs = state.rulesets.get(`${m[1]}/${m[2]}`);
        if (!rs) throw new ApiError(404, 10003, `could not find entrypoint ruleset in the ${m[2]} phase`);
        return { result: structuredClone(rs) };
      },
    ],
    [
      'PUT',
      '^/zones/([0-9a-f]{32})/rulesets/phases/([a-z_]+)/entrypoint$',
      (m, q, body) => {
        if (!state.zones.has(m[1])) throw new ApiError(404, 7003, 'Could not route to /zones: no such zone');
        return { result: structuredClone(putRuleset(m[1], m[2], body)) };
      },
    ],
  ].map(([method, re, handle]) => ({ method, re: new RegExp(re), handle }));

  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url, 'http://fake');
    const path = url.pathname.replace(/^\/client\/v4/, '');
    const isJson = (req.headers['content-type'] ?? '').includes('json');
    let body;
    try {
      body = raw && isJson ? JSON.parse(raw) : raw ? '<non-JSON body>' : undefined;
    } catch {
      body = '<invalid JSON>';
    }
    const call = { method: req.method, path, query: Object.fromEntries(url.searchParams), body };
    calls.push(call);
    const send = (status, envelope) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ success: status < 400, errors: [], messages: [], result: null, ...envelope }));
    };
    try {
      if (req.headers.authorization !== `Bearer ${token}`) throw new ApiError(403, 10000, 'Authentication error');
      const account = /^\/accounts\/([^/]+)/.exec(path)?.[1];
      if (account !== undefined && account !== accountId) throw new ApiError(403, 10000, 'Authentication error');
      for (const r of routes) {
        if (r.method !== req.method) continue;
        const m = r.re.exec(path);
        if (m) return send(200, r.handle(m, url.searchParams, body));
      }
      call.unknown = true;
      throw new ApiError(404, 7000, 'No route for that URI');
    } catch (e) {
      if (!(e instanceof ApiError)) {
        send(500, { errors: [{ code: 10000, message: `fake: ${e.message}` }] });
        return;
      }
      send(e.status, { errors: [{ code: e.code, message: e.message }] });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${server.address().port}/client/v4`;
  return fake;
}

/** The environment of a child process: nothing of the caller's Cloudflare or wrangler settings, then `extra`. */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('CLOUDFLARE_') || k.startsWith('WRANGLER_')) delete env[k];
  return { ...env, ...extra };
}

/** Runs `argv` and resolves {code, stdout, stderr, out}; stdin gets `input`. */
export function run(argv, { cwd, env = childEnv(), input = '' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, out: stdout + stderr }));
    child.stdin.end(input);
  });
}

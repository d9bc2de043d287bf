// A small Cloudflare API v4 client for the operations scripts (provision.mjs, check-config.mjs,
// waf.mjs). fetch only, no dependency.
//
//   CLOUDFLARE_API_TOKEN   the API token (sent as a bearer token; never printed)
//   CLOUDFLARE_ACCOUNT_ID  the account the account-level calls address
//   CLOUDFLARE_API_BASE    default https://api.cloudflare.com/client/v4 (wrangler's own
//                          CLOUDFLARE_API_BASE_URL is honoured too); the tests point it at
//                          tests/integration/fake-cloudflare-api.mjs
//
// Every answer is Cloudflare's envelope `{success, errors: [{code, message}], messages, result,
// result_info}`: `request` returns `result` or throws a CloudflareApiError carrying the HTTP
// status and the envelope's error codes; `list` follows the two pagination styles in use
// (page/per_page with result_info.total_pages — KV namespaces, zones; result_info.cursor — R2
// buckets) and returns every item.
export const DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4";

export class CloudflareApiError extends Error {
  constructor(method, path, status, errors, detail) {
    const codes = (errors ?? []).map((e) => `[${e.code}] ${e.message}`).join("; ");
    super(`Cloudflare API ${method} ${path}: ${status ? `HTTP ${status}` : "no answer"}${codes ? `: ${codes}` : ""}${detail ? ` (${detail})` : ""}`);
    this.method = method;
    this.path = path;
    this.status = status;
    this.errors = errors ?? [];
  }
  /** The first error code of the envelope (e.g. 10007: no such Worker script). */
  get code() {
    return this.errors[0]?.code;
  }
  hasCode(code) {
    return this.errors.some((e) => e.code === code);
  }
}

/** Worker script not found (also its legacy-environment variant): the script is not deployed yet. */
export const isScriptNotFound = (e) => e instanceof CloudflareApiError && (e.hasCode(10007) || e.hasCode(10090));

export function credentials(env = process.env) {
  return {
    token: env.CLOUDFLARE_API_TOKEN || undefined,
    accountId: env.CLOUDFLARE_ACCOUNT_ID || undefined,
    base: (env.CLOUDFLARE_API_BASE || env.CLOUDFLARE_API_BASE_URL || DEFAULT_API_BASE).replace(/\/+$/, ""),
  };
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function createClient({ token, accountId, base = DEFAULT_API_BASE, fetchImpl = globalThis.fetch, timeoutMs = 30_000, retries = 2 } = {}) {
  if (!token) throw new Error("no Cloudflare API token: set CLOUDFLARE_API_TOKEN");
  base = base.replace(/\/+$/, "");

  async function raw(method, path, { query, body, headers } = {}) {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    const init = {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    };
    // GET and PUT are idempotent: retried on 429/5xx and network errors; POST is not.
    const attempts = method === "POST" ? 1 : retries + 1;
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        if (attempt < attempts) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw new CloudflareApiError(method, path, 0, [], e.cause?.message ?? e.message);
      }
      const text = await res.text();
      let envelope;
      try {
        envelope = text ? JSON.parse(text) : {};
      } catch {
        envelope = undefined;
      }
      if (RETRYABLE.has(res.status) && attempt < attempts) {
        await sleep(Number(res.headers.get("retry-after")) * 1000 || 250 * 2 ** attempt);
        continue;
      }
      if (!envelope || typeof envelope !== "object") {
        throw new CloudflareApiError(method, path, res.status, [], `not JSON: ${text.slice(0, 120)}`);
      }
      if (!res.ok || envelope.success === false) {
        throw new CloudflareApiError(method, path, res.status, envelope.errors);
      }
      return envelope;
    }
  }

  const client = {
    accountId,
    base,
    /** `/accounts/<account id><path>`; refuses to build one without an account id. */
    account(path = "") {
      if (!accountId) throw new Error("no Cloudflare account id: set CLOUDFLARE_ACCOUNT_ID");
      return `/accounts/${accountId}${path}`;
    },
    async request(method, path, options) {
      return (await raw(method, path, options)).result;
    },
    get: (path, options) => client.request("GET", path, options),
    post: (path, body, options) => client.request("POST", path, { ...options, body }),
    put: (path, body, options) => client.request("PUT", path, { ...options, body }),
    /**
     * Every item of a list endpoint. `items(result)` picks the array out of `result` (default:
     * the result itself; R2 buckets: result.buckets). Pages by page number, or by
     * result_info.cursor with `cursor: true` (then an answer without a cursor is the last page).
     */
    async list(path, { query = {}, perPage = 100, items = (r) => r, maxPages = 1000, cursor: byCursor = false } = {}) {
      const all = [];
      let page = 1;
      let cursor;
      for (let n = 0; n < maxPages; n++) {
        const q = { ...query, per_page: perPage, ...(byCursor ? (cursor ? { cursor } : {}) : { page }) };
        const envelope = await raw("GET", path, { query: q });
        const got = items(envelope.result) ?? [];
        all.push(...got);
        const info = envelope.result_info ?? {};
        if (byCursor) {
          if (!info.cursor || info.cursor === cursor) break;
          cursor = info.cursor;
          continue;
        }
        const totalPages = info.total_pages ?? (info.total_count !== undefined ? Math.ceil(info.total_count / (info.per_page || perPage)) : undefined);
        if (totalPages !== undefined ? page >= totalPages : got.length < perPage) break;
        page++;
      }
      return all;
    },
  };
  return client;
}

/** A client from the environment variables, or undefined when no token is set. */
export function clientFromEnv(env = process.env, options = {}) {
  const c = credentials(env);
  if (!c.token) return undefined;
  return createClient({ ...c, ...options });
}

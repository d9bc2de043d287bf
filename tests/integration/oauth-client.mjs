// The OAuth client side of the integration tests (issue #17), shared by oauth*.test.mjs: an
// in-memory MCP SDK auth provider, a headless browser that follows porygon's consent page and the
// fake identity provider, and raw authorization/token requests for the negative cases.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { BASE_URL, CLIENT_IP, MCP_URL } from './harness.mjs';
import { FAKE_IDP_URL } from './fake-idp.mjs';

export const ISSUER = BASE_URL;
export const RESOURCE = `${BASE_URL}/mcp`;
export const CALLBACK = `${BASE_URL}/oauth/callback`;
export const REDIRECT = 'http://127.0.0.1:9/callback'; // the client's loopback redirect: never contacted
export const ACCESS_TTL = 60; // Makefile: OAUTH_ACCESS_TOKEN_TTL:60

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const s256 = (v) => b64url(createHash('sha256').update(v).digest());
/** porygon's user id for an OIDC subject: oidc- + base64url(sha256(issuer|sub)); the fake states no iss. */
export const oidcUserId = (sub) => `oidc-${s256(`${FAKE_IDP_URL}|${sub}`)}`;
export const userOf = (accessToken) => accessToken.split(':')[0];

/** fetch with this file's client address (its own rate-limit bucket in the Rust limiter). */
export const ipFetch = (url, init = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has('CF-Connecting-IP')) headers.set('CF-Connecting-IP', CLIENT_IP);
  return fetch(url, { ...init, headers });
};

export function memoryProvider(label) {
  const s = { label };
  return {
    s,
    get redirectUrl() {
      return REDIRECT;
    },
    get clientMetadata() {
      return {
        client_name: `porygon test <${label}> & "co"`,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      };
    },
    clientInformation: () => s.client,
    saveClientInformation: (c) => {
      s.client = c;
    },
    tokens: () => s.tokens,
    saveTokens: (t) => {
      s.tokens = t;
    },
    redirectToAuthorization: (u) => {
      s.authUrl = u;
    },
    saveCodeVerifier: (v) => {
      s.verifier = v;
    },
    codeVerifier: () => s.verifier,
  };
}

/** A browser: follows redirects by hand with a cookie jar for porygon's origin, stops at the client's redirect URI. */
export function browser() {
  const jar = new Map();
  const origin = new URL(BASE_URL).origin;
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  async function request(url, init = {}) {
    const u = new URL(url);
    const headers = new Headers(init.headers);
    headers.set('CF-Connecting-IP', CLIENT_IP);
    if (u.origin === origin && jar.size) headers.set('Cookie', cookieHeader());
    const r = await fetch(u, { ...init, headers, redirect: 'manual' });
    if (u.origin === origin) {
      for (const c of r.headers.getSetCookie()) {
        const [pair, ...attrs] = c.split(';');
        const i = pair.indexOf('=');
        const name = pair.slice(0, i).trim();
        const value = pair.slice(i + 1).trim();
        if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') jar.delete(name);
        else jar.set(name, value);
      }
    }
    return r;
  }
  /** GET url and follow redirects; returns {page: {status, text, headers}} or {callback: URL}. */
  async function follow(url, init) {
    let r = await request(url, init);
    let at = url;
    for (let hop = 0; hop < 10; hop++) {
      const loc = r.headers.get('location');
      if (!loc || r.status < 300 || r.status >= 400) return { page: { status: r.status, headers: r.headers, text: await r.text() } };
      const next = new URL(loc, at);
      if (next.href.startsWith(REDIRECT)) return { callback: next, response: r };
      at = next.href;
      r = await request(at);
    }
    throw new Error('too many redirects');
  }
  return { jar, request, follow };
}

export const handleOf = (html) => /name="handle" value="([^"]+)"/.exec(html)?.[1];

/** Approve a consent page: POST the form from the same browser and follow to the client's redirect. */
export async function approve(b, html, decision = 'approve') {
  const handle = handleOf(html);
  assert.ok(handle, 'the consent page carries a form handle');
  const r = await b.request(`${BASE_URL}/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ handle, decision }),
  });
  assert.equal(r.status, 302, `consent ${decision}: ${r.status}`);
  const loc = new URL(r.headers.get('location'));
  if (loc.href.startsWith(REDIRECT)) return { callback: loc };
  return b.follow(loc.href);
}

/** Sign in with a fresh browser through consent and the fake IdP; returns the client callback URL. */
export async function signIn(authUrl) {
  const b = browser();
  const first = await b.follow(authUrl);
  assert.ok(first.page, `the authorize URL shows a page (got ${first.callback ?? ''})`);
  assert.equal(first.page.status, 200, first.page.text);
  const done = await approve(b, first.page.text);
  assert.ok(done.callback, `signed in and sent back to the client: ${JSON.stringify(done.page?.text)}`);
  return done.callback;
}

export const form = (o) => new URLSearchParams(o);
export const tokenRequest = (params, headers = {}) =>
  ipFetch(`${BASE_URL}/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: form(params) });

export async function register(metadata) {
  const r = await ipFetch(`${BASE_URL}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(metadata) });
  return { status: r.status, body: await r.json() };
}

export const publicClient = (extra = {}) => ({
  client_name: 'porygon negative tests',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

/** An authorization URL of our own (not the SDK's) for negative tests. */
export function authorizeUrl(clientId, { verifier = 'v'.repeat(64), state = randomBytes(8).toString('hex'), ...overrides } = {}) {
  const u = new URL(`${BASE_URL}/authorize`);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    state,
    resource: RESOURCE,
    scope: 'mcp',
    ...overrides,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

/** A code for `clientId` (own PKCE verifier), through consent and the fake IdP. */
export async function freshCode(clientId, verifier = randomBytes(32).toString('base64url')) {
  const cb = await signIn(authorizeUrl(clientId, { verifier }));
  return { code: cb.searchParams.get('code'), verifier, callback: cb };
}

export const exchange = (clientId, code, verifier, extra = {}) =>
  tokenRequest({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT, resource: RESOURCE, ...extra });

export const refresh = (clientId, refreshToken) => tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource: RESOURCE });

export const METADATA = `${BASE_URL}/.well-known/oauth-protected-resource/mcp`;
/** The 401 the Rust worker answers for an access token the entry found invalid (RFC 6750 §3.1). */
export async function assertInvalidToken(r) {
  assert.equal(r.status, 401, await r.clone().text());
  assert.equal(r.headers.get('www-authenticate'), `Bearer error="invalid_token", resource_metadata="${METADATA}", scope="mcp"`);
  return r;
}
export const remaining = (r) => Number(/"minute";r=(\d+)/.exec(r.headers.get?.('ratelimit') ?? r.headers.ratelimit)?.[1]);

export const mcpPing = (accessToken, id = 1) =>
  ipFetch(MCP_URL, {
    method: 'POST',
    headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
  });

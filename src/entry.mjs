// The Worker's entry (issue #17): a small JS front door in front of the Rust worker.
//
// The build copies this file next to worker-build's shim (<build dir>/worker/entry.mjs) and
// wrangler's `main` points at it. Every Durable Object class is re-exported from the shim, the
// client object through its RPC class (src/objects.mjs); the default export wraps the Rust
// entrypoint class:
//   - the OAuth authorization server (@cloudflare/workers-oauth-provider 1.2.3, its role-based
//     OAuthAuthorizationServer: discovery, /token with RFC 7009 revocation, /register) plus our
//     own /authorize (consent page, upstream sign-in) and /oauth/callback, and the protected
//     resource metadata (RFC 9728) at both well-known paths;
//   - /mcp requests carrying an OAuth-shaped bearer token (`userId:grantId:secret`; porygon's API
//     keys are `pgn_…` without a colon): the token is checked here and the outcome handed to Rust
//     in ctx.props.porygonOAuth ({user, scopes} or {invalid}), the Authorization header removed;
//   - the account page (/oauth/account): a person signs in with the provider, sees which apps hold
//     access as them and revokes it; `POST /admin/oauth/revoke` does the same for an operator;
//   - the daily cron also sweeps expired and orphaned grants (purgeExpiredData);
//   - everything else reaches Rust untouched (anonymous /mcp, API keys, health, admin, …).
// Without PUBLIC_URL nothing OAuth exists: the OAuth routes are 404 (Rust's) and /mcp is as before.
// The library's resource-server wrapper is not used on /mcp: it answers 401 to token-less
// requests, and anonymous use must keep working (/work/notes/oauth-design.md §1, §5).

import { WorkerEntrypoint } from 'cloudflare:workers';
import { AuthorizationError, CimdFetchError, OAuthAuthorizationServer, authorizationErrorRedirect } from '@cloudflare/workers-oauth-provider';
import { provideDex } from './dex.mjs';
import Rust from './shim.mjs';

export * from './shim.mjs';
// In place of the shim's: the client object with its RPC method (src/objects.mjs).
export { ClientObject } from './objects.mjs';

provideDex();

const AUTHORIZE_PATH = '/authorize';
const TOKEN_PATH = '/token';
const REGISTER_PATH = '/register';
const CALLBACK_PATH = '/oauth/callback';
const ACCOUNT_PATH = '/oauth/account';
const ACCOUNT_SIGN_IN_PATH = '/oauth/account/sign-in';
const ADMIN_REVOKE_PATH = '/admin/oauth/revoke';
const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';
const PRM_PATHS = new Set(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']);
const SCOPES = ['mcp'];
// The endpoints that write OAuth state, limited per address by the Rust limiter (OAUTH_ENDPOINT_RATE_LIMIT_*;
// a shared network's members together get its ceiling: policy::quotas::oauth_endpoint_limit).
const LIMITED_PATHS = new Set([REGISTER_PATH, TOKEN_PATH, AUTHORIZE_PATH, CALLBACK_PATH, ACCOUNT_SIGN_IN_PATH]);
const UPSTREAM_TIMEOUT_MS = 10_000;
const MAX_REGISTRATION_BYTES = 16 * 1024;
// The account page's own upstream sign-in (not an OAuth client's): its `state` starts with this
// (the library's states are bare base64url, which has no '.'), so the callback tells them apart.
const ACCOUNT_STATE_PREFIX = 'acct.';
const ACCOUNT_SIGN_IN_TTL = 10 * 60;
const ACCOUNT_SESSION_TTL = 15 * 60;
const ACCOUNT_SIGN_IN_COOKIE = 'porygon_account_signin';
const ACCOUNT_COOKIE = 'porygon_account';
// The daily KV backup's cron (wrangler.toml [triggers]) also sweeps expired and orphaned grants and
// tokens: a few batches a day, the cursor kept in OAUTH_KV between days.
const OAUTH_PURGE_CRON = '23 3 * * *';
const OAUTH_PURGE_BATCHES = 4;
const OAUTH_PURGE_CURSOR_KEY = 'porygon:purge-cursor';

/** `Bearer a:b:c`: the library's token shape (its user ids, and ours, contain no `:`). */
const OAUTH_BEARER = /^Bearer[\t ]+([^\s:]+:[^\s:]+:[^\s:]+)$/i;

const GITHUB = {
  authorizeUrl: 'https://github.com/login/oauth/authorize',
  tokenUrl: 'https://github.com/login/oauth/access_token',
  userinfoUrl: 'https://api.github.com/user',
  scopes: '',
};

/** The OAuth configuration from the environment, or null when PUBLIC_URL is unset (OAuth off). */
function oauthConfig(env) {
  const raw = typeof env.PUBLIC_URL === 'string' ? env.PUBLIC_URL.trim() : '';
  if (!raw) return null;
  const base = raw.replace(/\/+$/, '');
  const idp = (env.OAUTH_IDP || 'github').trim().toLowerCase();
  if (idp !== 'github' && idp !== 'oidc') throw new Error(`OAUTH_IDP must be github or oidc, not ${idp}`);
  const ttl = env.OAUTH_ACCESS_TOKEN_TTL === undefined || env.OAUTH_ACCESS_TOKEN_TTL === '' ? 3600 : Number(env.OAUTH_ACCESS_TOKEN_TTL);
  if (!Number.isInteger(ttl) || ttl < 60) throw new Error('OAUTH_ACCESS_TOKEN_TTL must be an integer of at least 60 (seconds)');
  const upstream =
    idp === 'github'
      ? { ...GITHUB }
      : {
          authorizeUrl: required(env, 'IDP_AUTHORIZE_URL'),
          tokenUrl: required(env, 'IDP_TOKEN_URL'),
          userinfoUrl: required(env, 'IDP_USERINFO_URL'),
          scopes: env.IDP_SCOPES ?? 'openid',
        };
  return {
    base,
    resource: `${base}/mcp`,
    idp,
    providerName: idp === 'github' ? 'GitHub' : 'identity provider',
    accessTokenTTL: ttl,
    clientId: env.OAUTH_IDP_CLIENT_ID ?? '',
    clientSecret: env.OAUTH_IDP_CLIENT_SECRET ?? '',
    subjectField: idp === 'github' ? 'id' : env.IDP_SUBJECT_FIELD || 'sub',
    ...upstream,
  };
}

// A bad OAuth configuration turns OAuth off (logged once per isolate), never anonymous service.
let configError = null;
function configuredOAuth(env) {
  try {
    return oauthConfig(env);
  } catch (e) {
    if (configError !== e.message) {
      configError = e.message;
      console.error(JSON.stringify({ event: 'oauth_config_invalid', error: e.message }));
    }
    return null;
  }
}

function required(env, name) {
  const v = env[name];
  if (typeof v !== 'string' || !v) throw new Error(`OAUTH_IDP=oidc needs ${name}`);
  return v;
}

// One authorization server per isolate and configuration: its issuer and resources are fixed at
// construction.
let cached = null;
function authorizationServer(cfg) {
  const key = JSON.stringify([cfg.base, cfg.accessTokenTTL]);
  if (cached?.key !== key) {
    cached = {
      key,
      server: new OAuthAuthorizationServer({
        issuer: cfg.base,
        resources: [cfg.resource],
        defaultResource: cfg.resource,
        authorizeEndpoint: AUTHORIZE_PATH,
        tokenEndpoint: TOKEN_PATH,
        clientRegistrationEndpoint: REGISTER_PATH,
        scopesSupported: SCOPES,
        clientIdMetadataDocumentEnabled: true,
        accessTokenTTL: cfg.accessTokenTTL,
        refreshTokenTTL: 30 * 24 * 3600,
        refreshTokenIdleTTL: 30 * 24 * 3600,
        onError: ({ code, status, internal }) => {
          // Scrubbed: the category and reason only, never tokens, codes or addresses.
          console.warn(JSON.stringify({ event: 'oauth_error', code, status, category: internal?.category, reason: internal?.reason }));
        },
      }),
    };
  }
  return cached.server;
}

export default class Entry extends WorkerEntrypoint {
  async fetch(request) {
    const cfg = configuredOAuth(this.env);
    if (!cfg) return this.rust(request);
    const url = new URL(request.url);
    const path = url.pathname;

    if (path === '/mcp') {
      const m = OAUTH_BEARER.exec(request.headers.get('Authorization') ?? '');
      if (m) return this.mcpWithToken(request, cfg, m[1]);
      return this.rust(request);
    }
    if (PRM_PATHS.has(path)) return protectedResourceMetadata(request, cfg);
    const route = this.oauthRoute(path, request, cfg);
    if (!route) return this.rust(request);
    try {
      if (LIMITED_PATHS.has(path)) {
        const refused = await this.refusedByLimiter(request, path);
        if (refused) return refused;
      }
      return await route();
    } catch (e) {
      // OAUTH_KV (or the library) failing: a 503 the client may retry, never a 500 or a half answer.
      console.error(JSON.stringify({ event: 'oauth_route_failed', path, error: String(e?.message ?? e).slice(0, 200) }));
      return path === AUTHORIZE_PATH || path === CALLBACK_PATH || path.startsWith('/oauth/account')
        ? htmlPage(503, 'Sign-in is unavailable', '<p>Sign-in is unavailable right now. Try again in a minute.</p>', { 'Retry-After': '60' })
        : oauthError(503, 'temporarily_unavailable', 'The authorization server cannot reach its storage; retry shortly', { 'Retry-After': '5' });
    }
  }

  /** The handler of an OAuth path, or null for the Rust worker's paths. */
  oauthRoute(path, request, cfg) {
    switch (path) {
      case AS_METADATA_PATH:
      case TOKEN_PATH:
        return () => authorizationServer(cfg).fetch(request, this.env, this.ctx);
      case REGISTER_PATH:
        return () => this.register(request, cfg);
      case AUTHORIZE_PATH:
        return () => this.authorize(request, cfg);
      case CALLBACK_PATH:
        return () => this.callback(request, cfg);
      case ACCOUNT_PATH:
        return () => this.account(request, cfg);
      case ACCOUNT_SIGN_IN_PATH:
        return () => this.accountSignIn(request, cfg);
      case ADMIN_REVOKE_PATH:
        return () => this.adminRevoke(request, cfg);
      default:
        return null;
    }
  }

  async scheduled(controller) {
    const cfg = controller.cron === OAUTH_PURGE_CRON ? configuredOAuth(this.env) : null;
    const purge = cfg ? purgeExpired(authorizationServer(cfg), this.env) : null;
    // The Rust crons run whatever the sweep does; a failed sweep is logged and retried tomorrow.
    await Promise.all([this.rustInstance().scheduled(controller), purge]);
  }

  rustInstance() {
    // Through the shim's Proxy, so worker-build's panic recovery keeps working.
    return new Rust(this.ctx, this.env);
  }

  rust(request) {
    return this.rustInstance().fetch(request);
  }

  /** Asks the Rust limiter whether this address may call an OAuth endpoint now: null, or the refusal to send. */
  async refusedByLimiter(request, path) {
    const headers = new Headers();
    const ip = request.headers.get('CF-Connecting-IP');
    if (ip) headers.set('CF-Connecting-IP', ip);
    const props = this.ctx.props;
    let verdict;
    try {
      this.ctx.props = { porygonAdmit: 'oauth-endpoint' };
      verdict = await this.rust(new Request(request.url, { method: 'POST', headers }));
    } finally {
      this.ctx.props = props;
    }
    // Anything but a 429 (the limiter unreachable included) lets sign-in go on.
    if (verdict.status !== 429) return null;
    const retryAfter = verdict.headers.get('Retry-After') ?? '60';
    const refusal =
      path === REGISTER_PATH || path === TOKEN_PATH
        ? oauthError(429, 'temporarily_unavailable', `Too many requests from this address; retry in ${retryAfter} s`)
        : htmlPage(429, 'Too many sign-in attempts', `<p>Too many sign-in attempts from this address. Try again in ${escapeHtml(retryAfter)} seconds.</p>`);
    for (const name of ['Retry-After', 'RateLimit', 'RateLimit-Policy']) {
      const value = verdict.headers.get(name);
      if (value) refusal.headers.set(name, value);
    }
    return refusal;
  }

  async mcpWithToken(request, cfg, token) {
    let verdict;
    try {
      verdict = await authorizationServer(cfg).validateToken(cfg.resource, token, this.env);
    } catch (e) {
      // A token that cannot be checked is never called invalid (the API keys' rule).
      console.error(JSON.stringify({ event: 'oauth_validate_failed', error: String(e?.message ?? e).slice(0, 200) }));
      return new Response(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'OAuth tokens cannot be checked right now; retry shortly' } }),
        { status: 503, headers: { 'Content-Type': 'application/json', 'Retry-After': '1', 'Cache-Control': 'no-store' } },
      );
    }
    this.ctx.props = {
      porygonOAuth: verdict ? { user: verdict.userId, scopes: [...verdict.scope] } : { invalid: 'invalid_token' },
    };
    const headers = new Headers(request.headers);
    headers.delete('Authorization');
    return this.rust(new Request(request, { headers }));
  }

  /** RFC 7591 registration, with redirect URIs checked first so refusals say invalid_redirect_uri. */
  async register(request, cfg) {
    if (request.method === 'POST') {
      const text = await request.text();
      if (text.length > MAX_REGISTRATION_BYTES) return oauthError(400, 'invalid_client_metadata', 'Registration request too large');
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        return oauthError(400, 'invalid_client_metadata', 'The request body must be a JSON object');
      }
      const problem = redirectUrisProblem(body?.redirect_uris);
      if (problem) return oauthError(400, 'invalid_redirect_uri', problem);
      request = new Request(request, { body: text });
    }
    return authorizationServer(cfg).fetch(request, this.env, this.ctx);
  }

  async authorize(request, cfg) {
    const oauth = authorizationServer(cfg).getOAuthApi(this.env);
    try {
      if (request.method === 'GET') {
        const authRequest = await oauth.parseAuthRequest(request);
        // The library lets confidential clients omit PKCE; porygon requires S256 from every client.
        if (!authRequest.codeChallenge || authRequest.codeChallengeMethod !== 'S256') {
          return redirect(authorizationErrorRedirect(authRequest, 'invalid_request', 'PKCE with S256 is required'));
        }
        const details = await oauth.describeConsent(authRequest);
        const consent = await oauth.beginConsent(authRequest);
        consent.headers.set('Content-Type', 'text/html; charset=utf-8');
        consent.headers.set('Cache-Control', 'no-store');
        return new Response(consentPage(details, consent.handle, cfg), { headers: consent.headers });
      }
      if (request.method === 'POST') {
        const form = await request.formData();
        const handle = String(form.get('handle') ?? '');
        if (form.get('decision') !== 'approve') {
          const denied = await oauth.denyConsent(request, handle);
          return new Response(null, { status: 302, headers: denied.headers });
        }
        const approved = await oauth.approveConsent(request, handle, { scope: SCOPES });
        const verifier = randomToken(48);
        const { state, headers } = await oauth.beginUpstream(approved.request, { data: { verifier }, headers: approved.headers });
        headers.set('Location', await upstreamAuthorizeUrl(cfg, state, verifier));
        headers.set('Cache-Control', 'no-store');
        return new Response(null, { status: 302, headers });
      }
      return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET, POST' } });
    } catch (e) {
      return authorizeFailure(e);
    }
  }

  async callback(request, cfg) {
    if (request.method !== 'GET') return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET' } });
    if (new URL(request.url).searchParams.get('state')?.startsWith(ACCOUNT_STATE_PREFIX)) return this.accountCallback(request, cfg);
    const oauth = authorizationServer(cfg).getOAuthApi(this.env);
    let resumed;
    try {
      resumed = await oauth.finishUpstream(request);
    } catch (e) {
      return authorizeFailure(e);
    }
    const { request: original, data, headers } = resumed;
    const params = new URL(request.url).searchParams;
    const code = params.get('code');
    if (params.get('error') || !code) {
      headers.set('Location', authorizationErrorRedirect(original, 'access_denied', `Sign-in at the ${cfg.providerName} did not complete`));
      return new Response(null, { status: 302, headers });
    }
    let userId;
    try {
      userId = await upstreamUserId(cfg, code, data.verifier);
    } catch (e) {
      console.error(JSON.stringify({ event: 'oauth_upstream_failed', idp: cfg.idp, error: String(e?.message ?? e).slice(0, 200) }));
      headers.set('Location', authorizationErrorRedirect(original, 'temporarily_unavailable', `The ${cfg.providerName} could not be reached`));
      return new Response(null, { status: 302, headers });
    }
    // The upstream access token is discarded: porygon stores only the account id (the grant's userId).
    const { redirectTo } = await oauth.completeAuthorization({ request: original, userId, metadata: {}, scope: SCOPES, props: {} });
    headers.set('Location', redirectTo);
    headers.set('Cache-Control', 'no-store');
    return new Response(null, { status: 302, headers });
  }
  // ----- The account page: a signed-in person sees which apps hold access as them and revokes it. -----
  // Its own short upstream sign-in (state + PKCE, bound to the browser by a cookie), then a
  // 15-minute session: a random id in an HttpOnly cookie, only its hash stored (OAUTH_KV), with a
  // CSRF token every form must echo. Cross-site posts are also refused by Origin/Sec-Fetch-Site.

  async accountSignIn(request, cfg) {
    if (request.method !== 'GET') return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET' } });
    const state = ACCOUNT_STATE_PREFIX + randomToken(32);
    const binding = randomToken(32);
    const verifier = randomToken(48);
    await this.env.OAUTH_KV.put(accountKey('sign-in', await sha256Hex(state)), JSON.stringify({ verifier, binding: await sha256Hex(binding) }), {
      expirationTtl: ACCOUNT_SIGN_IN_TTL,
    });
    const headers = new Headers({ Location: await upstreamAuthorizeUrl(cfg, state, verifier), 'Cache-Control': 'no-store' });
    headers.append('Set-Cookie', cookie(cfg, ACCOUNT_SIGN_IN_COOKIE, binding, { path: CALLBACK_PATH, maxAge: ACCOUNT_SIGN_IN_TTL }));
    return new Response(null, { status: 302, headers });
  }

  async accountCallback(request, cfg) {
    const params = new URL(request.url).searchParams;
    const key = accountKey('sign-in', await sha256Hex(params.get('state')));
    const pending = await this.env.OAUTH_KV.get(key, 'json');
    if (!pending) return accountProblem(400, 'This sign-in link has expired or was already used.');
    await this.env.OAUTH_KV.delete(key); // one use
    const binding = readCookie(request, ACCOUNT_SIGN_IN_COOKIE);
    if (!binding || (await sha256Hex(binding)) !== pending.binding) {
      return accountProblem(400, 'This sign-in was started in another browser.');
    }
    const code = params.get('code');
    if (params.get('error') || !code) return accountProblem(400, `Sign-in at the ${cfg.providerName} did not complete.`);
    let user;
    try {
      user = await upstreamUserId(cfg, code, pending.verifier);
    } catch (e) {
      console.error(JSON.stringify({ event: 'oauth_upstream_failed', idp: cfg.idp, error: String(e?.message ?? e).slice(0, 200) }));
      return accountProblem(502, `The ${cfg.providerName} could not be reached.`);
    }
    const session = randomToken(32);
    await this.env.OAUTH_KV.put(accountKey('session', await sha256Hex(session)), JSON.stringify({ user, csrf: randomToken(32) }), {
      expirationTtl: ACCOUNT_SESSION_TTL,
    });
    const headers = new Headers({ Location: `${cfg.base}${ACCOUNT_PATH}`, 'Cache-Control': 'no-store' });
    headers.append('Set-Cookie', cookie(cfg, ACCOUNT_SIGN_IN_COOKIE, '', { path: CALLBACK_PATH, maxAge: 0 }));
    headers.append('Set-Cookie', cookie(cfg, ACCOUNT_COOKIE, session, { path: ACCOUNT_PATH, maxAge: ACCOUNT_SESSION_TTL }));
    return new Response(null, { status: 303, headers });
  }

  async account(request, cfg) {
    if (request.method !== 'GET' && request.method !== 'POST') {
      return new Response('Method not allowed', { status: 405, headers: { Allow: 'GET, POST' } });
    }
    const sessionId = readCookie(request, ACCOUNT_COOKIE);
    const sessionKey = sessionId ? accountKey('session', await sha256Hex(sessionId)) : null;
    const session = sessionKey ? await this.env.OAUTH_KV.get(sessionKey, 'json') : null;
    if (!session) {
      if (request.method === 'POST') return accountProblem(403, 'Your session has ended. Sign in again.');
      return htmlPage(
        200,
        'Your porygon access',
        `<p>Sign in with your ${escapeHtml(cfg.providerName)} account to see the apps that use porygon as you and to revoke their access.</p>
<p><a href="${ACCOUNT_SIGN_IN_PATH}">Sign in with ${escapeHtml(cfg.providerName)}</a></p>`,
      );
    }
    const oauth = authorizationServer(cfg).getOAuthApi(this.env);
    if (request.method === 'POST') {
      const site = request.headers.get('Sec-Fetch-Site');
      const origin = request.headers.get('Origin');
      if ((site && site !== 'same-origin') || (origin && origin !== new URL(cfg.base).origin)) {
        return accountProblem(403, 'This form must be sent from the porygon account page.');
      }
      const form = await request.formData().catch(() => null);
      if (!form || !(await sameSecret(String(form.get('csrf') ?? ''), session.csrf))) {
        return accountProblem(403, 'This form is out of date. Open the account page again.');
      }
      const action = form.get('action');
      let notice;
      if (action === 'revoke') {
        const grant = String(form.get('grant') ?? '');
        if (!/^[A-Za-z0-9_-]{1,128}$/.test(grant)) return accountProblem(400, 'No such access.');
        // The grant is looked up under this user's id only: another person's grant id revokes nothing.
        await oauth.revokeGrant(grant, session.user);
        notice = 'revoked';
      } else if (action === 'revoke-all') {
        await revokeAllGrants(oauth, session.user);
        notice = 'revoked-all';
      } else if (action === 'sign-out') {
        await this.env.OAUTH_KV.delete(sessionKey);
        const headers = new Headers({ Location: `${cfg.base}${ACCOUNT_PATH}`, 'Cache-Control': 'no-store' });
        headers.append('Set-Cookie', cookie(cfg, ACCOUNT_COOKIE, '', { path: ACCOUNT_PATH, maxAge: 0 }));
        return new Response(null, { status: 303, headers });
      } else {
        return accountProblem(400, 'Unknown action.');
      }
      return new Response(null, { status: 303, headers: { Location: `${cfg.base}${ACCOUNT_PATH}?done=${notice}`, 'Cache-Control': 'no-store' } });
    }
    const grants = await userGrants(oauth, session.user);
    const done = new URL(request.url).searchParams.get('done');
    return htmlPage(200, 'Your porygon access', await accountPage(oauth, cfg, session, grants, done));
  }

  /** `POST /admin/oauth/revoke {"user": "<id>"}`: every grant of one account, and its tokens, gone at once. */
  async adminRevoke(request, cfg) {
    // The admin rule lives in Rust (policy::admin); its refusals (401, 503) are passed on as they are.
    const check = new Headers();
    for (const name of ['Authorization', 'CF-Connecting-IP']) if (request.headers.has(name)) check.set(name, request.headers.get(name));
    const gate = await this.rust(new Request(`${cfg.base}/admin/check`, { headers: check }));
    if (gate.status !== 200) return gate;
    if (request.method !== 'POST') return jsonResponse(405, { error: 'POST {"user": "<account id>"}' }, { Allow: 'POST' });
    const body = await request.json().catch(() => null);
    const user = body?.user;
    if (typeof user !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(user)) {
      return jsonResponse(400, { error: 'body: {"user": "<account id>"}, e.g. github-12345 (from the grant keys or the logs)' });
    }
    const revoked = await revokeAllGrants(authorizationServer(cfg).getOAuthApi(this.env), user);
    console.log(JSON.stringify({ event: 'oauth_admin_revoke', grants: revoked }));
    return jsonResponse(200, { user, grantsRevoked: revoked });
  }
}

/** The upstream code exchange and user lookup; returns porygon's user id (no `:` in it). */
async function upstreamUserId(cfg, code, verifier) {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: `${cfg.base}${CALLBACK_PATH}`,
    client_id: cfg.clientId,
    code_verifier: verifier,
  });
  if (cfg.clientSecret) form.set('client_secret', cfg.clientSecret);
  const tokenResponse = await fetch(cfg.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'User-Agent': 'porygon' },
    body: form,
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  const tokens = await tokenResponse.json().catch(() => null);
  if (!tokenResponse.ok || typeof tokens?.access_token !== 'string') {
    throw new Error(`token endpoint answered ${tokenResponse.status} ${tokens?.error ?? ''}`);
  }
  const userResponse = await fetch(cfg.userinfoUrl, {
    headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json', 'User-Agent': 'porygon' },
    signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
  });
  const user = await userResponse.json().catch(() => null);
  if (!userResponse.ok || !user) throw new Error(`userinfo answered ${userResponse.status}`);
  const subject = user[cfg.subjectField];
  if (cfg.idp === 'github') {
    if (!Number.isSafeInteger(subject)) throw new Error('GitHub user without a numeric id');
    return `github-${subject}`;
  }
  if ((typeof subject !== 'string' || !subject) && !Number.isSafeInteger(subject)) throw new Error(`userinfo lacks ${cfg.subjectField}`);
  // The issuer: the origin that vouched for the subject (userinfo's own `iss` when it states one).
  const issuer = typeof user.iss === 'string' && user.iss ? user.iss : new URL(cfg.userinfoUrl).origin;
  return `oidc-${base64url(await sha256(`${issuer}|${subject}`))}`;
}

/** The upstream provider's authorization URL for one sign-in (state + S256 PKCE). */
async function upstreamAuthorizeUrl(cfg, state, verifier) {
  const to = new URL(cfg.authorizeUrl);
  to.searchParams.set('response_type', 'code');
  to.searchParams.set('client_id', cfg.clientId);
  to.searchParams.set('redirect_uri', `${cfg.base}${CALLBACK_PATH}`);
  if (cfg.scopes) to.searchParams.set('scope', cfg.scopes);
  to.searchParams.set('state', state);
  to.searchParams.set('code_challenge', await s256(verifier));
  to.searchParams.set('code_challenge_method', 'S256');
  return to.href;
}

async function userGrants(oauth, user) {
  const grants = [];
  let cursor;
  do {
    const page = await oauth.listUserGrants(user, { cursor, limit: 100 });
    grants.push(...page.items);
    cursor = page.cursor;
  } while (cursor && grants.length < 1000);
  return grants;
}

async function revokeAllGrants(oauth, user) {
  const grants = await userGrants(oauth, user);
  for (const grant of grants) await oauth.revokeGrant(grant.id, user);
  return grants.length;
}

/** One day's sweep of expired and orphaned OAuth records, resuming where yesterday's stopped. */
async function purgeExpired(server, env) {
  try {
    let cursor = (await env.OAUTH_KV.get(OAUTH_PURGE_CURSOR_KEY)) ?? undefined;
    const total = { grantsChecked: 0, grantsPurged: 0, tokensChecked: 0, tokensPurged: 0, done: false };
    for (let batch = 0; batch < OAUTH_PURGE_BATCHES && !total.done; batch++) {
      const r = await server.purgeExpiredData(env, { cursor });
      for (const k of ['grantsChecked', 'grantsPurged', 'tokensChecked', 'tokensPurged']) total[k] += r[k];
      total.done = r.done;
      cursor = r.cursor;
    }
    if (cursor) await env.OAUTH_KV.put(OAUTH_PURGE_CURSOR_KEY, cursor);
    else await env.OAUTH_KV.delete(OAUTH_PURGE_CURSOR_KEY);
    console.log(JSON.stringify({ event: 'oauth_purge', ...total }));
  } catch (e) {
    console.error(JSON.stringify({ event: 'oauth_purge_failed', error: String(e?.message ?? e).slice(0, 200) }));
  }
}

async function accountPage(oauth, cfg, session, grants, done) {
  const notice =
    done === 'revoked' ? '<p><strong>Access revoked.</strong> That app must ask you again to use porygon.</p>'
    : done === 'revoked-all' ? '<p><strong>All access revoked.</strong></p>'
    : '';
  const csrf = escapeHtml(session.csrf);
  const rows = [];
  for (const grant of grants) {
    const client = await oauth.lookupClient(grant.clientId).catch(() => null);
    const name = client?.clientName || grant.clientId;
    const since = new Date(grant.createdAt * 1000).toISOString().slice(0, 10);
    rows.push(`<li><strong>${escapeHtml(name)}</strong> (${escapeHtml(client?.clientUri || grant.clientId)}), since ${since}
<form method="post"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="grant" value="${escapeHtml(grant.id)}"><button name="action" value="revoke">Revoke</button></form></li>`);
  }
  const list = rows.length
    ? `<ul>${rows.join('\n')}</ul>
<form method="post"><input type="hidden" name="csrf" value="${csrf}"><button name="action" value="revoke-all">Revoke all</button></form>`
    : '<p>No app holds access as you.</p>';
  return `${notice}<p>Signed in as your ${escapeHtml(cfg.providerName)} account. porygon stores only its account id
(<code>${escapeHtml(session.user)}</code>) and the access you granted below.</p>
${list}
<form method="post"><input type="hidden" name="csrf" value="${csrf}"><button name="action" value="sign-out">Sign out</button></form>`;
}

function accountProblem(status, message) {
  return htmlPage(status, 'Your porygon access', `<p>${escapeHtml(message)}</p><p><a href="${ACCOUNT_PATH}">Back to your account page</a></p>`);
}

const accountKey = (kind, hash) => `porygon:account-${kind}:${hash}`;

function cookie(cfg, name, value, { path, maxAge }) {
  const secure = cfg.base.startsWith('https:') ? '; Secure' : '';
  // Lax, not Strict: the session cookie is set at the end of a redirect chain that began at the provider.
  return `${name}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
}

function readCookie(request, name) {
  for (const part of (request.headers.get('Cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim() || null;
  }
  return null;
}

/** Equal strings, compared through their hashes so the time taken says nothing about the secret. */
async function sameSecret(a, b) {
  return typeof b === 'string' && b.length > 0 && (await sha256Hex(a)) === (await sha256Hex(b));
}

function jsonResponse(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers } });
}

function protectedResourceMetadata(request, cfg) {
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Max-Age': '86400' };
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { ...cors, 'Access-Control-Allow-Headers': '*' } });
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { ...cors, Allow: 'GET, OPTIONS' } });
  const body = {
    resource: cfg.resource,
    authorization_servers: [cfg.base],
    scopes_supported: SCOPES,
    bearer_methods_supported: ['header'],
    resource_name: 'porygon',
  };
  return new Response(request.method === 'HEAD' ? null : JSON.stringify(body), {
    headers: { ...cors, 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
  });
}

/** Why a DCR `redirect_uris` is refused (RFC 7591 §3.2.2 invalid_redirect_uri), or null. */
function redirectUrisProblem(uris) {
  if (!Array.isArray(uris) || uris.length === 0) return 'redirect_uris must be a non-empty array';
  let compliant = 0;
  for (const raw of uris) {
    if (typeof raw !== 'string') return 'every redirect URI must be a string';
    let u;
    try {
      u = new URL(raw);
    } catch {
      return 'a redirect URI is not an absolute URL';
    }
    if (u.hash || raw.includes('#')) return 'a redirect URI must not have a fragment';
    if (u.username || u.password) return 'a redirect URI must not carry credentials';
    if (u.protocol === 'https:') compliant++;
    else if (u.protocol === 'http:') {
      if (!isLoopback(u.hostname)) return 'http redirect URIs are allowed only on a loopback host';
      compliant++;
    } else if (['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'ftp:', 'ws:', 'wss:'].includes(u.protocol)) {
      return `the ${u.protocol} scheme is not allowed`;
    }
    // Other (private-use) schemes are left to the library: stored, refused whenever used.
  }
  if (compliant === 0) return 'at least one redirect URI must be https, or http on a loopback host';
  return null;
}

function isLoopback(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function authorizeFailure(e) {
  if (e instanceof AuthorizationError && e.redirectTo) return redirect(e.redirectTo);
  if (e instanceof AuthorizationError || e instanceof CimdFetchError) {
    const message = e instanceof AuthorizationError ? e.description : 'This app could not be verified.';
    return htmlPage(400, 'Sign-in cannot continue', `<p>${escapeHtml(message)}</p><p>Start again from your app.</p>`);
  }
  throw e;
}

function consentPage(details, handle, cfg) {
  const name = escapeHtml(details.clientName);
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : 'This app registered itself; its name is not verified.';
  const local = details.redirectIsLoopback
    ? '<p><strong>This sends access to an app on your computer.</strong> Continue only if you just started signing in from it.</p>'
    : '';
  const provider = escapeHtml(cfg.providerName);
  const body = `<h1>Allow ${name} to use porygon as you?</h1>
<p>${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>
${local}
<p>You will sign in with your ${provider} account. porygon stores only your ${provider} account id, to give you
your own request quota; nothing else about you, and no ${provider} token. You can see and revoke the
access you grant at any time on <a href="${ACCOUNT_PATH}">your account page</a>.</p>
<form method="post">
  <input type="hidden" name="handle" value="${escapeHtml(handle)}">
  <p><button name="decision" value="approve">Allow and sign in</button> <button name="decision" value="deny">Deny</button></p>
</form>`;
  return page(`Authorize ${name}`, body);
}

function htmlPage(status, title, body, extraHeaders = {}) {
  return new Response(page(escapeHtml(title), `<h1>${escapeHtml(title)}</h1>${body}`), {
    status,
    headers: {
      ...extraHeaders,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'X-Frame-Options': 'DENY',
    },
  });
}

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title></head>
<body>
${body}
</body></html>`;
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function redirect(location) {
  return new Response(null, { status: 302, headers: { Location: location, 'Cache-Control': 'no-store' } });
}

function oauthError(status, error, description, extraHeaders = {}) {
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: { ...extraHeaders, 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' },
  });
}

function randomToken(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

async function sha256Hex(text) {
  return [...(await sha256(String(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function s256(verifier) {
  return base64url(await sha256(verifier));
}

function base64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

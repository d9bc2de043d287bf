// The Worker's entry (issue #17): a small JS front door in front of the Rust worker.
//
// The build copies this file next to worker-build's shim (<build dir>/worker/entry.mjs) and
// wrangler's `main` points at it. Every Durable Object class is re-exported from the shim; the
// default export wraps the Rust entrypoint class:
//   - the OAuth authorization server (@cloudflare/workers-oauth-provider 1.2.3, its role-based
//     OAuthAuthorizationServer: discovery, /token with RFC 7009 revocation, /register) plus our
//     own /authorize (consent page, upstream sign-in) and /oauth/callback, and the protected
//     resource metadata (RFC 9728) at both well-known paths;
//   - /mcp requests carrying an OAuth-shaped bearer token (`userId:grantId:secret`; porygon's API
//     keys are `pgn_…` without a colon): the token is checked here and the outcome handed to Rust
//     in ctx.props.porygonOAuth ({user, scopes} or {invalid}), the Authorization header removed;
//   - everything else reaches Rust untouched (anonymous /mcp, API keys, health, admin, …).
// Without PUBLIC_URL nothing OAuth exists: the OAuth routes are 404 (Rust's) and /mcp is as before.
// The library's resource-server wrapper is not used on /mcp: it answers 401 to token-less
// requests, and anonymous use must keep working (/work/notes/oauth-design.md §1, §5).

import { WorkerEntrypoint } from 'cloudflare:workers';
import { AuthorizationError, CimdFetchError, OAuthAuthorizationServer, authorizationErrorRedirect } from '@cloudflare/workers-oauth-provider';
import Rust from './shim.mjs';

export * from './shim.mjs';

const AUTHORIZE_PATH = '/authorize';
const TOKEN_PATH = '/token';
const REGISTER_PATH = '/register';
const CALLBACK_PATH = '/oauth/callback';
const AS_METADATA_PATH = '/.well-known/oauth-authorization-server';
const PRM_PATHS = new Set(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']);
const SCOPES = ['mcp'];
const UPSTREAM_TIMEOUT_MS = 10_000;
const MAX_REGISTRATION_BYTES = 16 * 1024;

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
    if (path === AS_METADATA_PATH || path === TOKEN_PATH) {
      return authorizationServer(cfg).fetch(request, this.env, this.ctx);
    }
    if (path === REGISTER_PATH) return this.register(request, cfg);
    if (path === AUTHORIZE_PATH) return this.authorize(request, cfg);
    if (path === CALLBACK_PATH) return this.callback(request, cfg);
    return this.rust(request);
  }

  scheduled(controller) {
    return this.rustInstance().scheduled(controller);
  }

  rustInstance() {
    // Through the shim's Proxy, so worker-build's panic recovery keeps working.
    return new Rust(this.ctx, this.env);
  }

  rust(request) {
    return this.rustInstance().fetch(request);
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
        const to = new URL(cfg.authorizeUrl);
        to.searchParams.set('response_type', 'code');
        to.searchParams.set('client_id', cfg.clientId);
        to.searchParams.set('redirect_uri', `${cfg.base}${CALLBACK_PATH}`);
        if (cfg.scopes) to.searchParams.set('scope', cfg.scopes);
        to.searchParams.set('state', state);
        to.searchParams.set('code_challenge', await s256(verifier));
        to.searchParams.set('code_challenge_method', 'S256');
        headers.set('Location', to.href);
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
your own request quota; nothing else about you, and no ${provider} token.</p>
<form method="post">
  <input type="hidden" name="handle" value="${escapeHtml(handle)}">
  <p><button name="decision" value="approve">Allow and sign in</button> <button name="decision" value="deny">Deny</button></p>
</form>`;
  return page(`Authorize ${name}`, body);
}

function htmlPage(status, title, body) {
  return new Response(page(escapeHtml(title), `<h1>${escapeHtml(title)}</h1>${body}`), {
    status,
    headers: {
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

function oauthError(status, error, description) {
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' },
  });
}

function randomToken(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

async function s256(verifier) {
  return base64url(await sha256(verifier));
}

function base64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

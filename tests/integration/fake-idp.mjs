// A FAKE upstream identity provider, for tests only (issue #17): the one fake of the OAuth suite,
// because a real provider (GitHub, an OIDC issuer) cannot run here. An in-memory OAuth 2.0 server
// on 127.0.0.1:8805 playing the provider porygon's /authorize sends users to (Makefile
// TEST_WRANGLER_ARGS: OAUTH_IDP=oidc, IDP_*_URL → this server). It is strict where a real provider
// is, so porygon's upstream sign-in is checked rather than waved through:
//   GET  /authorize  response_type=code, the configured client_id and redirect_uri, S256 PKCE and a
//                    state are required; the "user" signs in at once as the selected account
//                    (no page) and is sent back to redirect_uri?code&state. Errors → 400, no redirect.
//   POST /token      form: authorization_code grant, client_id + client_secret, redirect_uri and
//                    code_verifier matching the code; a code works once → {access_token, token_type}.
//   GET  /userinfo   Bearer access token → {sub, name}.
//   POST /control/next-account {"sub": "…"}   the account the next sign-ins use (the control call);
//                    {"deny": true} makes the next authorize answer error=access_denied instead.
// Every request is recorded in `calls` (method, path, query/form without secrets).
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

export const FAKE_IDP_PORT = 8805;
export const FAKE_IDP_URL = `http://127.0.0.1:${FAKE_IDP_PORT}`;
export const FAKE_IDP_CLIENT_ID = 'porygon-integration';
export const FAKE_IDP_CLIENT_SECRET = 'integration-idp-secret';

const s256 = (v) => createHash('sha256').update(v).digest('base64url');

/**
 * Starts the fake on :8805. `callbackUrl` is the one redirect URI the fake's client registration
 * allows (porygon's /oauth/callback). Returns {calls, issuedTokens(), nextAccount(sub), denyNext(), close()}.
 */
export async function startFakeIdp({ callbackUrl, port = FAKE_IDP_PORT } = {}) {
  const calls = [];
  const codes = new Map(); // code → {sub, challenge, redirectUri}
  const tokens = new Map(); // access token → sub
  const state = { sub: 'fake-user-1', deny: false };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === null ? '' : JSON.stringify(body));
    };
    const record = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams) };
    calls.push(record);
    try {
      if (req.method === 'POST' && url.pathname === '/control/next-account') {
        const body = JSON.parse(raw || '{}');
        if (body.sub !== undefined) state.sub = String(body.sub);
        if (body.deny !== undefined) state.deny = Boolean(body.deny);
        return send(200, { sub: state.sub, deny: state.deny });
      }
      // GitHub's paths (https://github.com/login/oauth/…, https://api.github.com/user) reach these
      // through the test build's fake https hosts (test-entry.mjs); GitHub asks no scope of porygon.
      if (req.method === 'GET' && (url.pathname === '/authorize' || url.pathname === '/login/oauth/authorize')) {
        const q = url.searchParams;
        const bad = (why) => send(400, { error: 'invalid_request', error_description: why });
        if (q.get('client_id') !== FAKE_IDP_CLIENT_ID) return bad('unknown client_id');
        if (callbackUrl && q.get('redirect_uri') !== callbackUrl) return bad('redirect_uri not registered');
        if (q.get('response_type') !== 'code') return bad('response_type must be code');
        if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return bad('S256 PKCE required');
        if (!q.get('state')) return bad('state required');
        const back = new URL(q.get('redirect_uri'));
        if (state.deny) {
          state.deny = false;
          back.searchParams.set('error', 'access_denied');
        } else {
          const code = randomBytes(16).toString('base64url');
          codes.set(code, { sub: state.sub, challenge: q.get('code_challenge'), redirectUri: q.get('redirect_uri') });
          back.searchParams.set('code', code);
        }
        back.searchParams.set('state', q.get('state'));
        return send(302, null, { location: back.href });
      }
      if (req.method === 'POST' && (url.pathname === '/token' || url.pathname === '/login/oauth/access_token')) {
        const f = new URLSearchParams(raw);
        record.form = Object.fromEntries([...f].filter(([k]) => !['client_secret', 'code', 'code_verifier'].includes(k)));
        const err = (error, why) => send(400, { error, error_description: why });
        if (f.get('grant_type') !== 'authorization_code') return err('unsupported_grant_type', 'authorization_code only');
        if (f.get('client_id') !== FAKE_IDP_CLIENT_ID || f.get('client_secret') !== FAKE_IDP_CLIENT_SECRET) return err('invalid_client', 'bad client credentials');
        const entry = codes.get(f.get('code') ?? '');
        codes.delete(f.get('code') ?? '');
        if (!entry) return err('invalid_grant', 'unknown or used code');
        if (entry.redirectUri !== f.get('redirect_uri')) return err('invalid_grant', 'redirect_uri mismatch');
        if (!f.get('code_verifier') || s256(f.get('code_verifier')) !== entry.challenge) return err('invalid_grant', 'PKCE verification failed');
        const token = randomBytes(24).toString('base64url');
        tokens.set(token, entry.sub);
        return send(200, { access_token: token, token_type: 'Bearer', expires_in: 600 });
      }
      if (req.method === 'GET' && url.pathname === '/userinfo') {
        const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
        const sub = m && tokens.get(m[1]);
        if (!sub) return send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
        return send(200, { sub, name: `Fake ${sub}` });
      }
      if (req.method === 'GET' && url.pathname === '/user') {
        // GitHub's shape: a numeric id (the account, stable across renames) and a login.
        const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
        const sub = m && tokens.get(m[1]);
        if (!sub) return send(401, { message: 'Bad credentials' });
        if (!/^\d+$/.test(sub)) return send(200, { id: sub, login: sub }); // a broken provider answer
        return send(200, { id: Number(sub), login: `fake-${sub}`, name: `Fake ${sub}` });
      }
      return send(404, { error: 'not_found' });
    } catch (e) {
      return send(500, { error: 'server_error', error_description: String(e) });
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    calls,
    /** Every access token this fake issued (porygon must never store one). */
    issuedTokens: () => [...tokens.keys()],
    nextAccount: async (sub) => {
      const r = await fetch(`http://127.0.0.1:${port}/control/next-account`, { method: 'POST', body: JSON.stringify({ sub }) });
      if (!r.ok) throw new Error(`fake IdP control: ${r.status}`);
    },
    denyNext: async () => {
      await fetch(`http://127.0.0.1:${port}/control/next-account`, { method: 'POST', body: JSON.stringify({ deny: true }) });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

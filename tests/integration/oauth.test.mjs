// OAuth sign-in (issue #17): the authorization server in the JS entry (src/entry.mjs,
// @cloudflare/workers-oauth-provider 1.2.3) end to end, with the official MCP TypeScript SDK
// client (@modelcontextprotocol/sdk, its `auth()` flow and StreamableHTTPClientTransport) driven
// headlessly: the authorize URL is followed with fetch through porygon's consent page and the fake
// upstream identity provider (tests/integration/fake-idp.mjs on :8805, the only fake) until the
// redirect back to the client, whose code the SDK then redeems.
//
// Then the negative cases, each refused with the spec's error: those of the authorization server
// (codes, PKCE, redirect URIs, audience) and those of /mcp (invalid, expired, revoked tokens: the
// entry hands its verdict to the Rust worker in ctx.props.porygonOAuth). The shared client side
// is ./oauth-client.mjs; the account page, admin revocation and the purge are in
// oauth-account.test.mjs, client ID metadata documents in oauth-cimd.test.mjs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';

import { BASE_URL, CLIENT_IP, MCP_URL, MODERN_VERSION, call, initialize, modernCall } from './harness.mjs';
import { FAKE_IDP_URL, startFakeIdp } from './fake-idp.mjs';
import { ISSUER, RESOURCE, CALLBACK, REDIRECT, ACCESS_TTL, s256, oidcUserId, userOf, ipFetch, memoryProvider, browser, handleOf, approve, signIn, form, tokenRequest, register, publicClient, authorizeUrl, freshCode, exchange, refresh, assertInvalidToken, remaining, mcpPing } from './oauth-client.mjs';

let idp;
before(async () => {
  idp = await startFakeIdp({ callbackUrl: CALLBACK });
});
after(async () => {
  await idp?.close();
});

describe('discovery', () => {
  test('protected resource metadata at both well-known paths (RFC 9728), same document', async () => {
    const docs = [];
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const r = await ipFetch(`${BASE_URL}${path}`, { headers: { Origin: 'https://claude.ai' } });
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      docs.push(await r.json());
    }
    assert.deepEqual(docs[0], docs[1]);
    assert.equal(docs[0].resource, RESOURCE);
    assert.deepEqual(docs[0].authorization_servers, [ISSUER]);
    assert.deepEqual(docs[0].scopes_supported, ['mcp']);
    assert.deepEqual(docs[0].bearer_methods_supported, ['header']);
  });

  test('authorization server metadata (RFC 8414): endpoints, S256 only, iss, DCR, CIMD', async () => {
    const r = await ipFetch(`${BASE_URL}/.well-known/oauth-authorization-server`);
    assert.equal(r.status, 200);
    const m = await r.json();
    assert.equal(m.issuer, ISSUER);
    assert.equal(m.authorization_endpoint, `${ISSUER}/authorize`);
    assert.equal(m.token_endpoint, `${ISSUER}/token`);
    assert.equal(m.registration_endpoint, `${ISSUER}/register`);
    assert.equal(m.revocation_endpoint, `${ISSUER}/token`);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(m.scopes_supported, ['mcp']);
    assert.equal(m.client_id_metadata_document_supported, true);
    assert.ok(m.response_types_supported.includes('code') && !m.response_types_supported.includes('token'));
    assert.ok(m.grant_types_supported.includes('refresh_token'));
  });

  test('other well-known and unknown paths still reach the Rust worker', async () => {
    assert.equal((await ipFetch(`${BASE_URL}/.well-known/openid-configuration`)).status, 404);
    assert.equal((await ipFetch(`${BASE_URL}/health/live`)).status, 200);
  });
});

describe('the MCP SDK client signs in (DCR, PKCE S256, consent, fake IdP, code, tokens, refresh)', () => {
  const p = memoryProvider('sdk');
  const seen = [];
  const recordingFetch = async (url, init) => {
    const r = await ipFetch(url, init);
    seen.push({ method: init?.method ?? 'GET', url: String(url), status: r.status });
    return r;
  };
  let issuedAt;
  let firstTokens;
  let latestRefreshToken;

  test('auth() discovers, registers (RFC 7591) and starts an S256 authorization', async () => {
    assert.equal(await auth(p, { serverUrl: MCP_URL, fetchFn: recordingFetch }), 'REDIRECT');
    const paths = seen.map((s) => `${s.method} ${new URL(s.url).pathname} ${s.status}`);
    assert.ok(paths.includes('GET /.well-known/oauth-protected-resource/mcp 200'), paths.join('\n'));
    assert.ok(paths.includes('GET /.well-known/oauth-authorization-server 200'), paths.join('\n'));
    assert.ok(paths.includes('POST /register 201'), paths.join('\n'));
    assert.match(p.s.client.client_id, /^\S+$/);
    const u = p.s.authUrl;
    assert.equal(u.origin + u.pathname, `${ISSUER}/authorize`);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(u.searchParams.get('code_challenge'), s256(p.s.verifier));
    assert.equal(u.searchParams.get('resource'), RESOURCE);
    assert.equal(u.searchParams.get('scope'), 'mcp');
    assert.equal(u.searchParams.get('client_id'), p.s.client.client_id);
  });

  test('the consent page says what porygon stores, escapes the client name, cannot be framed', async () => {
    const b = browser();
    const { page } = await b.follow(p.s.authUrl.href);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.match(page.text, /porygon stores only your identity provider account id/);
    assert.ok(page.text.includes('porygon test &#60;sdk&#62; &#38; &#34;co&#34;'), 'client name escaped');
    assert.ok(!page.text.includes('<sdk>'), 'no raw client-supplied markup');
    assert.match(page.text, /an app on your computer/, 'loopback redirect warning');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.ok(b.jar.size >= 1, 'a browser-binding cookie is set');
    assert.equal(idp.calls.filter((c) => c.path === '/authorize').length, 0, 'no upstream sign-in before consent');
  });

  test('approve → fake IdP (state + S256) → callback → the client gets code, state and iss (RFC 9207)', async () => {
    const before = idp.calls.length;
    await idp.nextAccount('sdk-user');
    const callback = await signIn(p.s.authUrl.href);
    const upstream = idp.calls.slice(before).find((c) => c.path === '/authorize');
    assert.equal(upstream.query.code_challenge_method, 'S256');
    assert.ok(upstream.query.state && upstream.query.code_challenge);
    assert.equal(upstream.query.redirect_uri, CALLBACK);
    const tokenCall = idp.calls.slice(before).find((c) => c.path === '/token');
    assert.equal(tokenCall.form.grant_type, 'authorization_code', 'the upstream code was exchanged');
    assert.equal(callback.searchParams.get('iss'), ISSUER);
    assert.equal(callback.searchParams.get('state'), p.s.authUrl.searchParams.get('state'));
    const code = callback.searchParams.get('code');
    assert.ok(code);

    assert.equal(await auth(p, { serverUrl: MCP_URL, authorizationCode: code, fetchFn: ipFetch }), 'AUTHORIZED');
    issuedAt = Date.now();
    firstTokens = { ...p.s.tokens };
    assert.equal(p.s.tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(p.s.tokens.expires_in <= ACCESS_TTL && p.s.tokens.expires_in > 0, `expires_in ${p.s.tokens.expires_in}`);
    assert.equal(p.s.tokens.scope, 'mcp');
    assert.ok(p.s.tokens.refresh_token);
    assert.equal(p.s.tokens.access_token.split(':').length, 3, 'the library\'s user:grant:secret shape');
    assert.equal(userOf(p.s.tokens.access_token), oidcUserId('sdk-user'), 'user id: oidc- + base64url(sha256(issuer|sub))');
    assert.ok(!p.s.tokens.access_token.includes('sdk-user'), 'the upstream subject itself is not in the token');
  });

  test('tools/list through the SDK transport with the token (Authorization removed before Rust)', async () => {
    const sent = [];
    const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
      authProvider: p,
      fetch: async (url, init) => {
        sent.push(new Headers(init?.headers).get('authorization'));
        return ipFetch(url, init);
      },
    });
    const client = new Client({ name: 'porygon-oauth-test', version: '0.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'get_pokemon'), tools.map((t) => t.name).join(','));
    assert.ok(sent.length >= 2 && sent.every((h) => h === `Bearer ${p.s.tokens.access_token}`), 'every request carried the token');
    await client.close();
    // The Rust worker refuses any bearer token that is not a well-formed API key (401), so these
    // answers prove the entry consumed the OAuth token instead of passing it on.
    const raw = await mcpPing(p.s.tokens.access_token);
    assert.equal(raw.status, 200, await raw.text());
  });

  test('a 2026-07-28 stateless client (SDK v2) uses the same tokens: every request carries it and is served', async () => {
    const sent = [];
    const transport = new V2Transport(new URL(MCP_URL), {
      authProvider: p,
      fetch: async (url, init) => {
        const r = await ipFetch(url, init);
        sent.push({ auth: new Headers(init?.headers).get('authorization'), status: r.status, version: new Headers(init?.headers).get('mcp-protocol-version') });
        return r;
      },
    });
    const client = new V2Client({ name: 'porygon-oauth-test-v2', version: '0.0.0' }, { versionNegotiation: { mode: { pin: MODERN_VERSION } } });
    await client.connect(transport, { timeout: 20_000 });
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'get_pokemon'));
    await client.close();
    assert.ok(sent.length >= 1 && sent.every((e) => e.auth === `Bearer ${p.s.tokens.access_token}` && e.status === 200), JSON.stringify(sent));
    assert.ok(sent.some((e) => e.version === MODERN_VERSION), JSON.stringify(sent));
  });

  test('a second account gets its own user id (the IdP control call)', async () => {
    const q = memoryProvider('second');
    assert.equal(await auth(q, { serverUrl: MCP_URL, fetchFn: ipFetch }), 'REDIRECT');
    await idp.nextAccount('other-user');
    const cb = await signIn(q.s.authUrl.href);
    assert.equal(await auth(q, { serverUrl: MCP_URL, authorizationCode: cb.searchParams.get('code'), fetchFn: ipFetch }), 'AUTHORIZED');
    assert.equal(userOf(q.s.tokens.access_token), oidcUserId('other-user'));
    assert.notEqual(userOf(q.s.tokens.access_token), userOf(firstTokens.access_token));
    await idp.nextAccount('fake-user-1');
  });

  test('refresh past the access-token TTL: new tokens, rotation, the old refresh token spent', async () => {
    const wait = issuedAt + (ACCESS_TTL + 2) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    assert.equal(await auth(p, { serverUrl: MCP_URL, fetchFn: ipFetch }), 'AUTHORIZED', 'refreshed, no new sign-in');
    const second = { ...p.s.tokens };
    assert.notEqual(second.access_token, firstTokens.access_token);
    assert.notEqual(second.refresh_token, firstTokens.refresh_token, 'the refresh token rotates');
    assert.equal(userOf(second.access_token), userOf(firstTokens.access_token), 'same user, same grant');
    assert.equal(second.access_token.split(':')[1], firstTokens.access_token.split(':')[1]);
    // The SDK transport with the refreshed token.
    const client = new Client({ name: 'porygon-oauth-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: p, fetch: ipFetch }));
    assert.ok((await client.listTools()).tools.length > 0);
    await client.close();
    // Using the new refresh token retires the one before it: the first one is now refused.
    const third = await refresh(p.s.client.client_id, second.refresh_token);
    assert.equal(third.status, 200);
    latestRefreshToken = (await third.json()).refresh_token;
    const stale = await refresh(p.s.client.client_id, firstTokens.refresh_token);
    assert.equal(stale.status, 400);
    assert.equal((await stale.json()).error, 'invalid_grant');
  });

  test('the expired first access token at /mcp → 401 invalid_token with resource_metadata', async () => {
    assert.ok(Date.now() > issuedAt + ACCESS_TTL * 1000, 'past the TTL (the refresh test waited)');
    await assertInvalidToken(await mcpPing(firstTokens.access_token));
  });
  test('past the TTL the SDK transport gets that 401, refreshes and retries the call, no new sign-in', async () => {
    // An app that kept the expired access token and the current refresh token (as Claude.ai does).
    const q = memoryProvider('stale');
    q.s.client = p.s.client;
    q.s.tokens = { token_type: 'bearer', access_token: firstTokens.access_token, refresh_token: latestRefreshToken };
    const seen = [];
    const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
      authProvider: q,
      fetch: async (url, init) => {
        const r = await ipFetch(url, init);
        const body = typeof init?.body === 'string' ? init.body : String(init?.body ?? '');
        seen.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${r.status}${/grant_type=refresh_token/.test(body) ? ' refresh' : ''}`);
        return r;
      },
    });
    const client = new Client({ name: 'porygon-oauth-test', version: '0.0.0' });
    await client.connect(transport);
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'get_pokemon'));
    await client.close();
    assert.equal(seen[0], 'POST /mcp 401', seen.join('\n'));
    assert.ok(seen.includes('POST /token 200 refresh'), seen.join('\n'));
    assert.ok(seen.slice(seen.indexOf('POST /token 200 refresh')).includes('POST /mcp 200'), seen.join('\n'));
    assert.equal(q.s.authUrl, undefined, 'no new sign-in was started');
    assert.notEqual(q.s.tokens.access_token, firstTokens.access_token);
    assert.equal(userOf(q.s.tokens.access_token), userOf(firstTokens.access_token));
  });

  test('a signed-in account has one quota of its own across two sessions and a 2026-07-28 client, from any network', async () => {
    const q = memoryProvider('quota');
    assert.equal(await auth(q, { serverUrl: MCP_URL, fetchFn: ipFetch }), 'REDIRECT');
    await idp.nextAccount(`quota-${randomBytes(4).toString('hex')}`);
    const cb = await signIn(q.s.authUrl.href);
    assert.equal(await auth(q, { serverUrl: MCP_URL, authorizationCode: cb.searchParams.get('code'), fetchFn: ipFetch }), 'AUTHORIZED');
    const headers = { Authorization: `Bearer ${q.s.tokens.access_token}`, 'CF-Connecting-IP': CLIENT_IP };
    const seen = [];
    const a = await initialize({ headers, protocolVersion: '2025-06-18' });
    seen.push(remaining(a.response));
    const pingA = await call('ping', {}, { sessionId: a.sessionId, protocolVersion: '2025-06-18', headers });
    const b = await initialize({ headers: { ...headers, 'CF-Connecting-IP': '10.77.0.9' }, protocolVersion: '2025-11-25' });
    const pingB = await call('ping', {}, { sessionId: b.sessionId, protocolVersion: '2025-11-25', headers });
    // From a shared network whose pools anonymous callers may have used up: still the account's quota.
    const modern = await modernCall('tools/list', {}, { headers: { ...headers, 'CF-Connecting-IP': '192.0.2.77' } });
    for (const r of [pingA, pingB, modern]) {
      assert.equal(r.status, 200, r.text);
      seen.push(remaining(r));
    }
    // The API-key figures by default (OAUTH_USER_RATE_LIMIT_* unset), not the anonymous 100.
    assert.equal(modern.headers['ratelimit-policy'], '"minute";q=1000;w=60, "hour";q=20000;w=3600');
    // One log counts them all, in order: every answer has fewer left than the one before.
    assert.ok(seen.every((n, i) => Number.isInteger(n) && (i === 0 || n < seen[i - 1])), `remaining: ${seen}`);
    assert.ok(seen[0] <= 1000 - 1 && seen.at(-1) >= 1000 - 10, `remaining: ${seen}`);
  });
});

describe('the authorization server refuses (negative cases)', () => {
  let client;
  before(async () => {
    const r = await register(publicClient());
    assert.equal(r.status, 201, JSON.stringify(r.body));
    client = r.body.client_id;
  });

  test('code reuse: the second exchange is invalid_grant and the first exchange\'s grant is revoked', async () => {
    const { code, verifier } = await freshCode(client);
    const first = await exchange(client, code, verifier);
    assert.equal(first.status, 200);
    const tokens = await first.json();
    const again = await exchange(client, code, verifier);
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error, 'invalid_grant');
    // The replay revoked the grant: its refresh token no longer works.
    const r = await refresh(client, tokens.refresh_token);
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, 'invalid_grant');
  });
  test('code reuse: the first exchange\'s access token at /mcp → 401 invalid_token', async () => {
    const { code, verifier } = await freshCode(client);
    const tokens = await (await exchange(client, code, verifier)).json();
    assert.equal((await mcpPing(tokens.access_token)).status, 200, 'served before the replay');
    assert.equal((await exchange(client, code, verifier)).status, 400);
    await assertInvalidToken(await mcpPing(tokens.access_token));
  });

  test('stolen code: another client_id is invalid_grant; no code_verifier is invalid_request', async () => {
    const thief = (await register(publicClient({ client_name: 'thief' }))).body.client_id;
    const { code, verifier } = await freshCode(client);
    const stolen = await exchange(thief, code, verifier);
    assert.equal(stolen.status, 400);
    assert.equal((await stolen.json()).error, 'invalid_grant');
    const { code: code2 } = await freshCode(client);
    const noVerifier = await tokenRequest({ grant_type: 'authorization_code', code: code2, client_id: client, redirect_uri: REDIRECT });
    assert.equal(noVerifier.status, 400);
    assert.equal((await noVerifier.json()).error, 'invalid_request');
  });

  test('PKCE mismatch: invalid_grant (RFC 7636 §4.6)', async () => {
    const { code } = await freshCode(client);
    const r = await exchange(client, code, randomBytes(32).toString('base64url'));
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, 'invalid_grant');
  });

  test('plain or missing PKCE: error redirect invalid_request with state and iss, also for a confidential client', async () => {
    const confidential = await register(publicClient({ client_name: 'confidential', token_endpoint_auth_method: 'client_secret_basic' }));
    assert.equal(confidential.status, 201, JSON.stringify(confidential.body));
    assert.ok(confidential.body.client_secret);
    const cases = [
      ['plain', client, { code_challenge: 'p'.repeat(64), code_challenge_method: 'plain' }],
      ['missing', client, { code_challenge: undefined, code_challenge_method: undefined }],
      ['missing, confidential client', confidential.body.client_id, { code_challenge: undefined, code_challenge_method: undefined }],
    ];
    for (const [name, id, overrides] of cases) {
      const r = await ipFetch(authorizeUrl(id, { state: 'st-1', ...overrides }), { redirect: 'manual' });
      assert.equal(r.status, 302, name);
      const loc = new URL(r.headers.get('location'));
      assert.ok(loc.href.startsWith(REDIRECT), name);
      assert.equal(loc.searchParams.get('error'), 'invalid_request', name);
      assert.equal(loc.searchParams.get('state'), 'st-1', name);
      assert.equal(loc.searchParams.get('iss'), ISSUER, name);
      assert.equal(loc.searchParams.get('code'), null, name);
    }
  });

  test('unregistered or altered redirect_uri, unknown client_id: 400 page, no Location (no open redirect)', async () => {
    for (const [name, url] of [
      ['unregistered', authorizeUrl(client, { redirect_uri: 'https://evil.example/cb' })],
      ['altered path', authorizeUrl(client, { redirect_uri: 'http://127.0.0.1:9/callback/../evil' })],
      ['altered query', authorizeUrl(client, { redirect_uri: `${REDIRECT}?next=https://evil.example` })],
      ['unknown client', authorizeUrl('no-such-client-id')],
    ]) {
      const r = await ipFetch(url, { redirect: 'manual' });
      assert.equal(r.status, 400, name);
      assert.equal(r.headers.get('location'), null, name);
      assert.match(r.headers.get('content-type'), /^text\/html/, name);
    }
  });

  test('an unknown resource: error redirect invalid_target (RFC 8707); a token request for another resource: invalid_target', async () => {
    const r = await ipFetch(authorizeUrl(client, { resource: 'https://other.example/mcp', state: 'st-2' }), { redirect: 'manual' });
    assert.equal(r.status, 302);
    const loc = new URL(r.headers.get('location'));
    assert.equal(loc.searchParams.get('error'), 'invalid_target');
    assert.equal(loc.searchParams.get('iss'), ISSUER);
    const { code, verifier } = await freshCode(client);
    const t = await exchange(client, code, verifier, { resource: 'https://other.example/mcp' });
    assert.equal(t.status, 400);
    assert.equal((await t.json()).error, 'invalid_target');
  });

  test('DCR with a bad redirect URI: 400 invalid_redirect_uri (RFC 7591 §3.2.2)', async () => {
    for (const uris of [['javascript:alert(1)'], ['http://evil.example/cb'], ['https://ok.example/cb#frag'], ['https://user:pw@ok.example/cb'], [], 'not-an-array']) {
      const r = await register(publicClient({ redirect_uris: uris }));
      assert.equal(r.status, 400, JSON.stringify(uris));
      assert.equal(r.body.error, 'invalid_redirect_uri', JSON.stringify(uris));
    }
    // Loopback http and https are fine.
    for (const uris of [['http://localhost:1234/cb'], ['http://[::1]/cb'], ['https://app.example/cb']]) {
      assert.equal((await register(publicClient({ redirect_uris: uris }))).status, 201, JSON.stringify(uris));
    }
  });

  test('consent: Deny → access_denied with state and iss; a used or foreign handle → 400 page, no redirect', async () => {
    const b = browser();
    const { page } = await b.follow(authorizeUrl(client, { state: 'st-3' }));
    const denied = await approve(b, page.text, 'deny');
    assert.equal(denied.callback.searchParams.get('error'), 'access_denied');
    assert.equal(denied.callback.searchParams.get('state'), 'st-3');
    assert.equal(denied.callback.searchParams.get('iss'), ISSUER);
    // The same handle again.
    const replay = await b.request(`${BASE_URL}/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form({ handle: handleOf(page.text), decision: 'approve' }) });
    assert.equal(replay.status, 400);
    assert.equal(replay.headers.get('location'), null);
    // A handle posted from another browser (no binding cookie): cross-site forgery.
    const b2 = browser();
    const { page: page2 } = await b2.follow(authorizeUrl(client));
    const forged = await ipFetch(`${BASE_URL}/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form({ handle: handleOf(page2.text), decision: 'approve' }), redirect: 'manual' });
    assert.equal(forged.status, 400);
    assert.equal(forged.headers.get('location'), null);
  });

  test('callback: replayed without the browser binding → 400 page; upstream error → access_denied to the client', async () => {
    const b = browser();
    const { page } = await b.follow(authorizeUrl(client, { state: 'st-4' }));
    const r = await b.request(`${BASE_URL}/authorize`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form({ handle: handleOf(page.text), decision: 'approve' }) });
    const upstreamAuthorize = r.headers.get('location');
    assert.ok(upstreamAuthorize.startsWith(`${FAKE_IDP_URL}/authorize?`));
    const back = await ipFetch(upstreamAuthorize, { redirect: 'manual' });
    const callbackUrl = back.headers.get('location');
    assert.ok(callbackUrl.startsWith(CALLBACK));
    const foreign = await ipFetch(callbackUrl, { redirect: 'manual' }); // another browser: no cookie
    assert.equal(foreign.status, 400);
    assert.equal(foreign.headers.get('location'), null);
    // The upstream provider refuses the user: the client hears access_denied.
    await idp.denyNext();
    const b2 = browser();
    const { page: page2 } = await b2.follow(authorizeUrl(client, { state: 'st-5' }));
    const done = await approve(b2, page2.text);
    assert.equal(done.callback.searchParams.get('error'), 'access_denied');
    assert.equal(done.callback.searchParams.get('state'), 'st-5');
    assert.equal(done.callback.searchParams.get('iss'), ISSUER);
  });

  test('revocation (RFC 7009): 200 for a token and for an unknown one; a revoked refresh token is invalid_grant', async () => {
    const { code, verifier } = await freshCode(client);
    const tokens = await (await exchange(client, code, verifier)).json();
    const r1 = await tokenRequest({ token: tokens.access_token, token_type_hint: 'access_token', client_id: client });
    assert.equal(r1.status, 200);
    const r2 = await tokenRequest({ token: `nobody:${'x'.repeat(16)}:${'y'.repeat(32)}`, client_id: client });
    assert.equal(r2.status, 200, 'unknown tokens are not an error (RFC 7009 §2.2)');
    // Revoking the refresh token revokes the grant.
    const r3 = await tokenRequest({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: client });
    assert.equal(r3.status, 200);
    const again = await refresh(client, tokens.refresh_token);
    assert.equal(again.status, 400);
    assert.equal((await again.json()).error, 'invalid_grant');
  });
  test('a revoked access token at /mcp → 401 invalid_token, not served as the user', async () => {
    const { code, verifier } = await freshCode(client);
    const tokens = await (await exchange(client, code, verifier)).json();
    assert.equal((await mcpPing(tokens.access_token)).status, 200);
    const revoked = await tokenRequest({ token: tokens.access_token, token_type_hint: 'access_token', client_id: client });
    assert.equal(revoked.status, 200);
    await assertInvalidToken(await mcpPing(tokens.access_token));
  });

  test('an OAuth-shaped made-up token at /mcp → 401 invalid_token, counted against the address', async () => {
    const ip = `10.78.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`;
    const forged = `${oidcUserId('sdk-user')}:${'g'.repeat(16)}:${'s'.repeat(32)}`;
    const send = () =>
      fetch(MCP_URL, {
        method: 'POST',
        headers: { Authorization: `Bearer ${forged}`, 'CF-Connecting-IP': ip, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
    const first = await assertInvalidToken(await send());
    const second = await assertInvalidToken(await send());
    // Counted against the caller's address (anonymous quota: 100 per minute).
    assert.equal(first.headers.get('ratelimit-policy'), '"minute";q=100;w=60, "hour";q=1000;w=3600');
    assert.equal(remaining(second), remaining(first) - 1, `${first.headers.get('ratelimit')} then ${second.headers.get('ratelimit')}`);
  });
});

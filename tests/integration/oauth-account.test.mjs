// Revoking access (issue #17): the account page a person uses (/oauth/account: sign in with the
// identity provider, see which apps hold access as you, revoke one or all), the operator's
// `POST /admin/oauth/revoke`, and the daily cron's sweep of orphaned grants (purgeExpiredData).
// Every revocation is proven where it matters: the app's access token gets 401 invalid_token at
// /mcp and its refresh token invalid_grant. The attacks: forged, cross-site and stale forms,
// another person's grant id, a replayed or transplanted sign-in.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

import { BASE_URL, MCP_URL, REPO_ROOT, STATE } from './harness.mjs';
import { FAKE_IDP_URL, startFakeIdp } from './fake-idp.mjs';
import { CALLBACK, assertInvalidToken, browser, ipFetch, mcpPing, memoryProvider, oidcUserId, refresh, signIn, userOf } from './oauth-client.mjs';

const run = promisify(execFile);
const ACCOUNT = `${BASE_URL}/oauth/account`;
const ADMIN_TOKEN = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();

let idp;
before(async () => {
  idp = await startFakeIdp({ callbackUrl: CALLBACK });
});
after(async () => {
  await idp?.close();
});

/** An app (its own DCR client) signed in as `sub`: {provider, tokens, user, grant}. */
async function appSignedInAs(sub, label) {
  const p = memoryProvider(label);
  assert.equal(await auth(p, { serverUrl: MCP_URL, fetchFn: ipFetch }), 'REDIRECT');
  await idp.nextAccount(sub);
  const cb = await signIn(p.s.authUrl.href);
  assert.equal(await auth(p, { serverUrl: MCP_URL, authorizationCode: cb.searchParams.get('code'), fetchFn: ipFetch }), 'AUTHORIZED');
  const [user, grant] = p.s.tokens.access_token.split(':');
  return { p, tokens: p.s.tokens, user, grant, clientId: p.s.client.client_id };
}

/** A browser signed in on the account page as `sub`: {b, page, csrf}. */
async function accountSession(sub) {
  const b = browser();
  await idp.nextAccount(sub);
  const done = await b.follow(`${BASE_URL}/oauth/account/sign-in`);
  assert.ok(done.page, 'the sign-in ends on a porygon page');
  assert.equal(done.page.status, 200, done.page.text);
  return { b, page: done.page.text, csrf: csrfOf(done.page.text) };
}

const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

function postForm(b, fields, headers = {}) {
  return b.request(ACCOUNT, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
}

async function assertRevoked(app) {
  await assertInvalidToken(await mcpPing(app.tokens.access_token));
  const r = await refresh(app.clientId, app.tokens.refresh_token);
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_grant');
}

async function assertLive(app) {
  const r = await mcpPing(app.tokens.access_token);
  assert.equal(r.status, 200, await r.text());
}

const wrangler = (...args) =>
  run(process.execPath, [path.join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js'), ...args, '--binding', 'OAUTH_KV', '--local', '--persist-to', path.resolve(REPO_ROOT, STATE)], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
const kvKeys = async (prefix) => {
  const { stdout } = await wrangler('kv', 'key', 'list', '--prefix', prefix);
  return JSON.parse(stdout.slice(stdout.indexOf('['))).map((k) => k.name);
};

describe('the account page: a person sees and revokes the access they granted', () => {
  const alice = `alice-${randomBytes(4).toString('hex')}`;
  const mallory = `mallory-${randomBytes(4).toString('hex')}`;
  let desktop, laptop, malloryApp, session;

  before(async () => {
    desktop = await appSignedInAs(alice, 'desktop');
    laptop = await appSignedInAs(alice, 'laptop');
    malloryApp = await appSignedInAs(mallory, 'mallory');
  });

  test('signed out: the page offers sign-in with the provider and cannot be framed', async () => {
    const r = await ipFetch(ACCOUNT);
    assert.equal(r.status, 200);
    const html = await r.text();
    assert.match(html, /href="\/oauth\/account\/sign-in"/);
    assert.equal(csrfOf(html), undefined, 'no form without a session');
    assert.match(r.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  test('the sign-in is the provider\'s (state + S256), bound to the browser, and lands on the page', async () => {
    const b = browser();
    const start = await b.request(`${BASE_URL}/oauth/account/sign-in`);
    assert.equal(start.status, 302);
    const to = new URL(start.headers.get('location'));
    assert.equal(to.origin + to.pathname, `${FAKE_IDP_URL}/authorize`);
    assert.equal(to.searchParams.get('redirect_uri'), CALLBACK);
    assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
    assert.match(to.searchParams.get('state'), /^acct\.[A-Za-z0-9_-]{40,}$/);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('porygon_account_signin='));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\/oauth\/callback/);

    session = await accountSession(alice);
    assert.ok(session.csrf, 'the page carries a CSRF token');
    assert.ok(session.page.includes(oidcUserId(alice)), 'the page names the one thing stored: the account id');
    assert.ok(session.page.includes('porygon test &#60;desktop&#62;'), 'client names escaped');
    assert.ok(session.page.includes('porygon test &#60;laptop&#62;'));
    assert.ok(!session.page.includes('mallory'), "another person's apps are not listed");
    assert.ok(session.page.includes(desktop.grant) && session.page.includes(laptop.grant));
    const sessionCookie = [...session.b.jar.keys()];
    assert.ok(sessionCookie.includes('porygon_account'));
  });

  test('a sign-in callback works once, and only in the browser that started it', async () => {
    const b = browser();
    await idp.nextAccount(alice);
    const start = await b.request(`${BASE_URL}/oauth/account/sign-in`);
    const atIdp = await fetch(start.headers.get('location'), { redirect: 'manual' });
    const callback = atIdp.headers.get('location');
    assert.ok(callback.startsWith(CALLBACK), callback);
    // Another browser (an attacker who captured the URL) has no binding cookie.
    const stranger = await browser().request(callback);
    assert.equal(stranger.status, 400);
    // That attempt consumed the sign-in: the rightful browser must start again.
    const replay = await b.request(callback);
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /expired or was already used/);
  });

  test('forms are refused without the session, with a wrong or missing CSRF token, or from another site', async () => {
    const revokeDesktop = { action: 'revoke', grant: desktop.grant, csrf: session.csrf };
    assert.equal((await postForm(browser(), revokeDesktop)).status, 403, 'no session cookie');
    assert.equal((await postForm(session.b, { ...revokeDesktop, csrf: 'x'.repeat(43) })).status, 403, 'wrong csrf');
    assert.equal((await postForm(session.b, { action: 'revoke', grant: desktop.grant })).status, 403, 'missing csrf');
    assert.equal((await postForm(session.b, revokeDesktop, { Origin: 'https://evil.example' })).status, 403, 'foreign Origin');
    assert.equal((await postForm(session.b, revokeDesktop, { 'Sec-Fetch-Site': 'cross-site' })).status, 403, 'cross-site');
    assert.equal((await postForm(session.b, { ...revokeDesktop, grant: '../x' })).status, 400, 'malformed grant id');
    assert.equal((await postForm(session.b, { ...revokeDesktop, action: 'delete-everything' })).status, 400);
    await assertLive(desktop);
  });

  test("another person's grant id revokes nothing", async () => {
    const r = await postForm(session.b, { action: 'revoke', grant: malloryApp.grant, csrf: session.csrf });
    assert.equal(r.status, 303);
    await assertLive(malloryApp);
  });

  test('revoke one app: its access and refresh tokens stop working at once, the other app keeps going', async () => {
    const r = await postForm(session.b, { action: 'revoke', grant: desktop.grant, csrf: session.csrf }, { Origin: new URL(BASE_URL).origin });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), `${ACCOUNT}?done=revoked`);
    await assertRevoked(desktop);
    await assertLive(laptop);
    const page = await (await session.b.request(`${ACCOUNT}?done=revoked`)).text();
    assert.match(page, /Access revoked/);
    assert.ok(!page.includes(desktop.grant) && page.includes(laptop.grant));
  });

  test('revoke all, then sign out: the session is gone', async () => {
    const again = await appSignedInAs(alice, 'again');
    const r = await postForm(session.b, { action: 'revoke-all', csrf: session.csrf });
    assert.equal(r.status, 303);
    await assertRevoked(laptop);
    await assertRevoked(again);
    await assertLive(malloryApp);
    const page = await (await session.b.request(ACCOUNT)).text();
    assert.match(page, /No app holds access as you/);
    const out = await postForm(session.b, { action: 'sign-out', csrf: session.csrf });
    assert.equal(out.status, 303);
    const stale = await postForm(session.b, { action: 'revoke-all', csrf: session.csrf });
    assert.equal(stale.status, 403, 'the signed-out session is refused');
  });
});

describe('the operator revokes an account: POST /admin/oauth/revoke', () => {
  const admin = (body, { token = ADMIN_TOKEN, method = 'POST' } = {}) =>
    ipFetch(`${BASE_URL}/admin/oauth/revoke`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: method === 'POST' ? JSON.stringify(body) : undefined,
    });

  test('the admin rule is the Rust one: no or wrong token → 401', async () => {
    assert.equal((await ipFetch(`${BASE_URL}/admin/oauth/revoke`, { method: 'POST', body: '{}' })).status, 401);
    const wrong = await admin({ user: 'github-1' }, { token: 'not-the-admin-token' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer');
  });

  test('bad requests → 400 / 405, nothing revoked', async () => {
    assert.equal((await admin(undefined, { method: 'GET' })).status, 405);
    assert.equal((await admin({})).status, 400);
    assert.equal((await admin({ user: 'x:y' })).status, 400);
    assert.equal((await admin(['github-1'])).status, 400);
  });

  test("every grant of one account goes, with its tokens; other accounts' stay", async () => {
    const sub = `bob-${randomBytes(4).toString('hex')}`;
    const one = await appSignedInAs(sub, 'bob-1');
    const two = await appSignedInAs(sub, 'bob-2');
    const bystander = await appSignedInAs(`carol-${randomBytes(4).toString('hex')}`, 'carol');
    const r = await admin({ user: one.user });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { user: one.user, grantsRevoked: 2 });
    await assertRevoked(one);
    await assertRevoked(two);
    await assertLive(bystander);
    assert.deepEqual(await (await admin({ user: one.user })).json(), { user: one.user, grantsRevoked: 0 }, 'idempotent');
  });
});

describe('the daily cron sweeps grants left behind (purgeExpiredData)', () => {
  test("a grant whose client record is gone is deleted with its tokens; live grants are kept", async () => {
    const orphan = await appSignedInAs(`dave-${randomBytes(4).toString('hex')}`, 'orphan');
    const kept = await appSignedInAs(`erin-${randomBytes(4).toString('hex')}`, 'kept');
    // A client record lost outside the library (a partial deleteClient, a hand edit): its grant is orphaned.
    await wrangler('kv', 'key', 'delete', `client:${orphan.clientId}`);
    assert.deepEqual(await kvKeys(`grant:${orphan.user}:`), [`grant:${orphan.user}:${orphan.grant}`]);

    // The sweep resumes from a stored cursor; a fresh sweep starts from the beginning.
    await wrangler('kv', 'key', 'delete', 'porygon:purge-cursor').catch(() => {});
    for (let day = 0; day < 5; day++) {
      const r = await fetch(`${BASE_URL}/cdn-cgi/handler/scheduled?cron=23+3+*+*+*`);
      assert.ok(r.ok, `scheduled: ${r.status}`);
      if ((await kvKeys(`grant:${orphan.user}:`)).length === 0) break;
    }
    assert.deepEqual(await kvKeys(`grant:${orphan.user}:`), [], 'the orphaned grant is gone');
    assert.deepEqual(await kvKeys(`token:${orphan.user}:`), [], 'and its tokens');
    await assertInvalidToken(await mcpPing(orphan.tokens.access_token));
    assert.equal((await kvKeys(`grant:${kept.user}:`)).length, 1);
    await assertLive(kept);
    assert.equal(userOf(kept.tokens.access_token), kept.user);
  });
});

describe('when OAUTH_KV fails (the test build\'s fault switch), OAuth answers 503 and loses nothing', () => {
  const FAULT = { 'X-Porygon-Fault': 'oauth-kv-error' };

  test('a token that cannot be checked is neither served nor called invalid; the OAuth endpoints say retry', async () => {
    const app = await appSignedInAs(`frank-${randomBytes(4).toString('hex')}`, 'outage');
    const mcp = await ipFetch(MCP_URL, {
      method: 'POST',
      headers: { ...FAULT, Authorization: `Bearer ${app.tokens.access_token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(mcp.status, 503);
    assert.equal(mcp.headers.get('retry-after'), '1');
    assert.equal((await mcp.json()).error.code, -32603);

    const token = await ipFetch(`${BASE_URL}/token`, {
      method: 'POST',
      headers: { ...FAULT, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: app.tokens.refresh_token, client_id: app.clientId }),
    });
    assert.equal(token.status, 503);
    assert.equal((await token.json()).error, 'temporarily_unavailable');
    assert.ok(token.headers.get('retry-after'));

    const registration = await ipFetch(`${BASE_URL}/register`, {
      method: 'POST',
      headers: { ...FAULT, 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'outage', redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(registration.status, 503);

    const signIn = await ipFetch(`${BASE_URL}/oauth/account/sign-in`, { headers: FAULT, redirect: 'manual' });
    assert.equal(signIn.status, 503);
    assert.match(signIn.headers.get('content-type'), /^text\/html/);

    // Nothing was lost: the same tokens work once KV is back.
    await assertLive(app);
    const r = await refresh(app.clientId, app.tokens.refresh_token);
    assert.equal(r.status, 200);
  });
});

describe('what OAUTH_KV holds: no secret in the clear, nothing about a person but the account id', () => {
  test('no stored byte holds an access or refresh token\'s secret, the upstream token, or the upstream profile', async () => {
    const sub = `gina-${randomBytes(4).toString('hex')}`;
    const app = await appSignedInAs(sub, 'storage');
    const refreshed = await refresh(app.clientId, app.tokens.refresh_token);
    assert.equal(refreshed.status, 200);
    const rotated = await refreshed.json();
    const secrets = {
      'access token secret': app.tokens.access_token.split(':')[2],
      'refresh token secret': app.tokens.refresh_token.split(':')[2],
      'rotated access token secret': rotated.access_token.split(':')[2],
      'rotated refresh token secret': rotated.refresh_token.split(':')[2],
      'upstream subject': sub,
      'upstream name': `Fake ${sub}`,
    };
    for (const [i, token] of idp.issuedTokens().entries()) secrets[`upstream access token ${i}`] = token;
    // Every file of the local KV store (both namespaces: keys in SQLite, values in blobs).
    const root = path.resolve(REPO_ROOT, STATE, 'v3', 'kv');
    // SQLite's -wal and -shm files come and go while the worker runs: a scan during which one
    // vanished (checkpointed into the database file, maybe after that file was read) is redone.
    const scan = () => {
      const bytes = [];
      for (const f of readdirSync(root, { recursive: true }).map((name) => path.join(root, name))) {
        try {
          if (statSync(f).isFile()) bytes.push(readFileSync(f));
        } catch (e) {
          if (e.code === 'ENOENT') return null;
          throw e;
        }
      }
      return bytes;
    };
    let stored = null;
    for (let attempt = 0; attempt < 5 && !stored; attempt++) stored = scan();
    assert.ok(stored, 'a stable scan of the KV files');
    assert.ok(stored.length > 0, `no KV files under ${root}`);
    const grantKeys = await kvKeys(`grant:${app.user}:`);
    assert.equal(grantKeys.length, 1, 'the grant is there, under the account id');
    // The control: the scan does see what is stored (the account id is in the grant's key).
    assert.ok(stored.some((bytes) => bytes.includes(`grant:${app.user}:${app.grant}`)), 'the scan finds the grant key');
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(secret && secret.length >= 8, what);
      assert.ok(!stored.some((bytes) => bytes.includes(secret)), `${what} is stored in the clear`);
    }
  });
});

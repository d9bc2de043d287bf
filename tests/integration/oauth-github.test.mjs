// Sign-in through GitHub, the deployed default (issue #17): a second worker of the same test build
// on :8807 with OAUTH_IDP=github and its own state. porygon sends the person to
// https://github.com/login/oauth/authorize and, on the way back, calls github.com and
// api.github.com, which the test build's entry routes to the fake identity provider's GitHub
// paths (test-entry.mjs FAKE_HTTPS_HOSTS, fake-idp.mjs). What is checked is porygon's side: the
// authorize URL it builds, the account id it derives (github-<numeric id>, stable across
// renames), and its refusal of a profile without a numeric id. Having two resource servers also
// allows the wrong-audience test: this server's token, planted in the main worker's OAUTH_KV.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { MCP_URL, REPO_ROOT, STATE as SUITE_STATE } from './harness.mjs';
import { FAKE_IDP_CLIENT_ID, FAKE_IDP_URL, startFakeIdp } from './fake-idp.mjs';

const run = promisify(execFile);
const PORT = '8807';
const BASE = `http://127.0.0.1:${PORT}`;
const STATE = '.wrangler/test-state-github';
const REDIRECT = 'http://127.0.0.1:9/callback';
const s256 = (v) => createHash('sha256').update(v).digest('base64url');

// The suite's worker arguments (Makefile TEST_WRANGLER_ARGS, exported as WRANGLER_ARGS), with
// this worker's origin and GitHub as the provider.
const args = (process.env.WRANGLER_ARGS ?? 'build-test/worker/test-entry.mjs')
  .replace(/--var PUBLIC_URL:\S+/, '')
  .replace(/--var OAUTH_IDP:\S+/, '')
  .concat(` --var PUBLIC_URL:${BASE} --var OAUTH_IDP:github`);
const kv = async (state, ...args) =>
  (
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'kv', 'key', ...args, '--binding', 'OAUTH_KV', '--local', '--persist-to', path.resolve(REPO_ROOT, state)], {
      cwd: REPO_ROOT,
      timeout: 60_000,
      maxBuffer: 1 << 24,
    })
  ).stdout;
const worker = (command) =>
  run(path.join(REPO_ROOT, 'scripts/worker.sh'), [command], { cwd: REPO_ROOT, env: { ...process.env, PORT, STATE, WRANGLER_ARGS: args }, timeout: 120_000 });

let idp;
let lastToken;
before(async () => {
  await run('rm', ['-rf', path.join(REPO_ROOT, STATE)]);
  await worker('start');
  idp = await startFakeIdp({ callbackUrl: `${BASE}/oauth/callback` });
});
after(async () => {
  await idp?.close();
  await worker('stop');
});

/** porygon's /authorize → consent → the GitHub URL porygon built (not followed: it is GitHub's). */
async function toGitHub(cookies) {
  const reg = await fetch(`${BASE}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_name: 'github test', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
  assert.equal(reg.status, 201);
  const { client_id } = await reg.json();
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${BASE}/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id, redirect_uri: REDIRECT, code_challenge: s256(verifier), code_challenge_method: 'S256', state: 'st', resource: `${BASE}/mcp`, scope: 'mcp' })) {
    authorize.searchParams.set(k, v);
  }
  const keep = (r) => r.headers.getSetCookie().forEach((c) => cookies.push(c.split(';')[0]));
  const consent = await fetch(authorize);
  keep(consent);
  const handle = /name="handle" value="([^"]+)"/.exec(await consent.text())[1];
  const approved = await fetch(`${BASE}/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookies.join('; ') },
    body: new URLSearchParams({ handle, decision: 'approve' }),
    redirect: 'manual',
  });
  keep(approved);
  return { client_id, verifier, github: new URL(approved.headers.get('location')) };
}

/** The fake plays github.com's authorize page: the person is signed in and sent back to porygon. */
async function throughGitHub(github, cookies) {
  const fake = await fetch(`${FAKE_IDP_URL}/login/oauth/authorize${github.search}`, { redirect: 'manual' });
  assert.equal(fake.status, 302);
  return fetch(fake.headers.get('location'), { headers: { Cookie: cookies.join('; ') }, redirect: 'manual' });
}

test('porygon sends people to GitHub with its client id, the callback, state and S256, asking no scope', async () => {
  const { github } = await toGitHub([]);
  assert.equal(github.origin + github.pathname, 'https://github.com/login/oauth/authorize');
  assert.equal(github.searchParams.get('client_id'), FAKE_IDP_CLIENT_ID);
  assert.equal(github.searchParams.get('redirect_uri'), `${BASE}/oauth/callback`);
  assert.equal(github.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(github.searchParams.get('state'));
  assert.equal(github.searchParams.get('scope'), null, 'only the public profile: no scope');
});

test('the account id is github-<numeric id>, and the token works at /mcp', async () => {
  const cookies = [];
  const { client_id, verifier, github } = await toGitHub(cookies);
  await idp.nextAccount('583231');
  const back = await throughGitHub(github, cookies);
  assert.equal(back.status, 302);
  const cb = new URL(back.headers.get('location'));
  assert.ok(cb.href.startsWith(REDIRECT), cb.href);
  const token = await fetch(`${BASE}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code'), code_verifier: verifier, client_id, redirect_uri: REDIRECT, resource: `${BASE}/mcp` }),
  });
  assert.equal(token.status, 200);
  const { access_token } = await token.json();
  assert.equal(access_token.split(':')[0], 'github-583231');
  const exchange = idp.calls.findLast((c) => c.path === '/login/oauth/access_token');
  assert.equal(exchange.form.grant_type, 'authorization_code');
  const ping = await fetch(`${BASE}/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  assert.equal(ping.status, 200, await ping.text());
  lastToken = access_token;
});

test("a token whose audience is another server's /mcp is refused: 401 invalid_token, never served", async () => {
  // The suite's main worker (:8799) and this one (:8807) are two resource servers with one
  // authorization-server codebase. Copy this worker's records of the token into the main
  // worker's OAUTH_KV: the main worker then holds a genuine token record whose audience is
  // http://127.0.0.1:8807/mcp, and only its audience check stands between the token and service.
  const user = lastToken.split(':')[0];
  const keys = [];
  for (const prefix of [`grant:${user}:`, `token:${user}:`]) {
    const listed = await kv(STATE, 'list', '--prefix', prefix);
    keys.push(...JSON.parse(listed.slice(listed.indexOf('['))).map((k) => k.name));
  }
  assert.ok(keys.some((k) => k.startsWith('token:')) && keys.some((k) => k.startsWith('grant:')), keys.join(', '));
  for (const key of keys) {
    const value = await kv(STATE, 'get', key);
    await kv(SUITE_STATE, 'put', key, value);
    // Written back here the same way, so the control below also proves the copy is intact.
    await kv(STATE, 'put', key, value);
  }
  const listed = await kv(SUITE_STATE, 'list', '--prefix', `token:${user}:`);
  assert.ok(listed.includes(`token:${user}:`), 'the record is in the main worker\'s KV');

  const elsewhere = await fetch(MCP_URL, {
    method: 'POST',
    headers: { Authorization: `Bearer ${lastToken}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'CF-Connecting-IP': '10.99.0.17' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  assert.equal(elsewhere.status, 401, await elsewhere.clone().text());
  assert.match(elsewhere.headers.get('www-authenticate'), /error="invalid_token"/);
  // The control: at its own server the same token, from the same copied bytes, is still good.
  const home = await fetch(`${BASE}/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${lastToken}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
  });
  assert.equal(home.status, 200);
});

test('a GitHub profile without a numeric id signs no one in: the app gets temporarily_unavailable', async () => {
  const cookies = [];
  const { github } = await toGitHub(cookies);
  await idp.nextAccount('not-a-number');
  const back = await throughGitHub(github, cookies);
  assert.equal(back.status, 302);
  const cb = new URL(back.headers.get('location'));
  assert.ok(cb.href.startsWith(REDIRECT), cb.href);
  assert.equal(cb.searchParams.get('error'), 'temporarily_unavailable');
  assert.equal(cb.searchParams.get('code'), null);
});

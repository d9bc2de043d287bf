// The OAuth endpoints that write state (/register, /token, /authorize, /oauth/callback, the account
// sign-in) are limited per address by the Rust limiter (issue #17): one address cannot fill
// OAUTH_KV with registrations or hammer /token, and it does so without touching its own MCP quota
// or anyone else's. The test worker allows 300 a minute (Makefile TEST_WRANGLER_ARGS; the default
// is 60) and its shared networks a ceiling of 250.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import { BASE_URL, initialize } from './harness.mjs';

const PER_MINUTE = 300; // Makefile: OAUTH_ENDPOINT_RATE_LIMIT_PER_MINUTE:300
const NETWORK_PER_MINUTE = 250; // Makefile: SHARED_EGRESS_NETWORK_PER_MINUTE:250
const freshIp = () => `10.${180 + (randomBytes(1)[0] % 20)}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 250)}`;

const badRegistration = (ip) =>
  fetch(`${BASE_URL}/register`, { method: 'POST', headers: { 'CF-Connecting-IP': ip, 'Content-Type': 'application/json' }, body: '{' });

describe('OAuth endpoints are limited per address', () => {
  test(`${PER_MINUTE} calls a minute are served (refusals count too), then 429 with the OAuth error and when to retry`, async () => {
    const ip = freshIp();
    const served = await Promise.all(Array.from({ length: PER_MINUTE }, () => badRegistration(ip)));
    assert.deepEqual([...new Set(served.map((r) => r.status))], [400], 'each malformed registration is refused on its merits');

    const over = await badRegistration(ip);
    assert.equal(over.status, 429);
    assert.equal((await over.json()).error, 'temporarily_unavailable');
    assert.ok(Number(over.headers.get('retry-after')) > 0, 'Retry-After');
    assert.match(over.headers.get('ratelimit') ?? '', /"minute";r=0/);

    // One bucket for every state-writing endpoint of the address.
    const token = await fetch(`${BASE_URL}/token`, {
      method: 'POST',
      headers: { 'CF-Connecting-IP': ip, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=a:b:c&client_id=x',
    });
    assert.equal(token.status, 429);
    const authorize = await fetch(`${BASE_URL}/authorize?client_id=x`, { headers: { 'CF-Connecting-IP': ip } });
    assert.equal(authorize.status, 429);
    assert.match(authorize.headers.get('content-type'), /^text\/html/, 'a person sees a page');

    // Discovery is not limited, nor is the address's MCP quota touched, nor anyone else's.
    assert.equal((await fetch(`${BASE_URL}/.well-known/oauth-authorization-server`, { headers: { 'CF-Connecting-IP': ip } })).status, 200);
    const mcp = await initialize({ headers: { 'CF-Connecting-IP': ip } });
    assert.equal(mcp.response.status, 200);
    assert.equal((await badRegistration(freshIp())).status, 400);
  });

  test('members of a shared network share one ceiling (its figures), not one address\'s each', async () => {
    // 198.51.100.0/24 plays a shared egress network; each member here sends a few requests at most.
    const member = () => `198.51.100.${1 + (randomBytes(1)[0] % 250)}`;
    const served = await Promise.all(Array.from({ length: NETWORK_PER_MINUTE }, () => badRegistration(member())));
    assert.deepEqual([...new Set(served.map((r) => r.status))], [400]);
    const over = await badRegistration(member());
    assert.equal(over.status, 429, 'the network\'s members together reached its ceiling');
    assert.equal((await badRegistration(freshIp())).status, 400, 'addresses elsewhere are not affected');
  });
});

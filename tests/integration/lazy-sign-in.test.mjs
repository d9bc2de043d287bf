// Lazy sign-in (issue #17): anonymous callers on a shared network (192.0.2.0/24 here, this file
// alone; its ceiling is 250/min) are never challenged until the pool they share is used up; then
// the refusal is the MCP authorization challenge (401 + WWW-Authenticate with resource_metadata),
// which makes Claude.ai offer "Connect", instead of a bare 429. Everyone else keeps the 429.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';

import { BASE_URL, assertSignInChallenge, initialize, modernCall, newId, postMcp } from './harness.mjs';

const sharedIp = () => `192.0.2.${1 + (randomBytes(1)[0] % 250)}`;
const count = (responses, status) => responses.filter((r) => r.status === status).length;

describe('the sign-in challenge appears exactly when a shared pool is used up', () => {
  test('250 sessionless calls (2026-07-28 tools/list) are served, the 251st and later get the challenge, sessions too', async () => {
    // 2026-07-28 clients have no sessions: all of the network's such calls share one pool, under
    // the network's ceiling (250/min), from any address of the network.
    const served = await Promise.all(
      Array.from({ length: 250 }, () => modernCall('tools/list', {}, { headers: { 'CF-Connecting-IP': sharedIp() } })),
    );
    assert.equal(count(served, 200), 250, `statuses: ${[...new Set(served.map((r) => r.status))]}`);
    assert.ok(served.every((r) => !r.headers['www-authenticate']), 'nobody is asked to sign in early');

    const next = await modernCall('tools/list', {}, { headers: { 'CF-Connecting-IP': sharedIp() } });
    assertSignInChallenge(next);
    assert.equal(next.json.id, next.id, 'the challenge answers the request it refuses');
    // The router's deny cache answers the same way, without asking the object.
    const cached = await modernCall('tools/list', {}, { headers: { 'CF-Connecting-IP': sharedIp() } });
    assertSignInChallenge(cached);

    // A new session from the network meets the same full ceiling: challenged as well.
    const opening = await postMcp(
      {
        jsonrpc: '2.0',
        id: newId(),
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'lazy', version: '0' } },
      },
      { headers: { 'CF-Connecting-IP': sharedIp() } },
    );
    assertSignInChallenge(opening);

    // …and the way to sign in is open: the OAuth endpoints are limited apart from the MCP pools.
    const metadata = await fetch(`${BASE_URL}/.well-known/oauth-protected-resource/mcp`, { headers: { 'CF-Connecting-IP': sharedIp() } });
    assert.equal(metadata.status, 200);
    const registration = await fetch(`${BASE_URL}/register`, {
      method: 'POST',
      headers: { 'CF-Connecting-IP': sharedIp(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_name: 'lazy', redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(registration.status, 201, await registration.text());
  });

  test('a caller with an address of its own keeps its 429, with no challenge', async () => {
    const headers = { 'CF-Connecting-IP': `10.${210 + (randomBytes(1)[0] % 40)}.${randomBytes(1)[0]}.7` };
    const { sessionId } = await initialize({ headers, protocolVersion: '2025-06-18' });
    const responses = await Promise.all(
      Array.from({ length: 120 }, () =>
        postMcp({ jsonrpc: '2.0', id: newId(), method: 'ping' }, { sessionId, protocolVersion: '2025-06-18', headers }),
      ),
    );
    assert.equal(count(responses, 200), 98);
    assert.equal(count(responses, 429), 22);
    assert.ok(responses.every((r) => !r.headers['www-authenticate']));
  });
});

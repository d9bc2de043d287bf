// Client ID metadata documents (issue #17, the MCP 2025-11-25 registration Claude.ai prefers): the
// app's client_id is an https URL whose JSON document names it; porygon's authorization server
// fetches and checks that document instead of asking the app to register.
//
// The documents are served by a plain-http server of this file on 127.0.0.1:8806, reached through
// the FAKE https host of the test build's entry (tests/integration/test-entry.mjs): the only
// stand-in, because no https origin with a certificate workerd trusts can run here. Fetching,
// size limits, validation and the flow itself are the library's real code.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';

import { MCP_URL } from './harness.mjs';
import { startFakeIdp } from './fake-idp.mjs';
import { CALLBACK, ISSUER, REDIRECT, authorizeUrl, browser, ipFetch, memoryProvider, oidcUserId, refresh, signIn, userOf } from './oauth-client.mjs';

const HOST = 'clients.porygon-test.example'; // test-entry.mjs's FAKE_CIMD_HOST
const PORT = 8806;
const clientIdOf = (name) => `https://${HOST}/${name}.json`;

/** The documents the fake host serves, by path; `fetches` counts requests per path. */
const documents = {
  '/app.json': { client_id: clientIdOf('app'), client_name: 'CIMD test app', client_uri: `https://${HOST}/`, redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
  // Claims to be a different client than the URL it is served from.
  '/impostor.json': { client_id: clientIdOf('app'), client_name: 'Impostor', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' },
  // Lists only a redirect URI the attacker does not control… and the attacker asks for another.
  '/narrow.json': { client_id: clientIdOf('narrow'), client_name: 'Narrow', redirect_uris: ['http://127.0.0.1:9/only-here'], token_endpoint_auth_method: 'none' },
};
const fetches = {};
let server;
let idp;

before(async () => {
  idp = await startFakeIdp({ callbackUrl: CALLBACK });
  server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    fetches[p] = (fetches[p] ?? 0) + 1;
    const doc = documents[p];
    if (!doc) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such client');
      return;
    }
    // no-store: the library's cache would otherwise keep a document between tests.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(doc));
  });
  await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
});
after(async () => {
  await idp?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('an app identified by its metadata document (no registration)', () => {
  const p = Object.assign(memoryProvider('cimd'), { clientMetadataUrl: clientIdOf('app') });
  const seen = [];
  const recording = async (url, init) => {
    const r = await ipFetch(url, init);
    seen.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${r.status}`);
    return r;
  };

  test('the SDK uses the URL as its client_id and never calls /register', async () => {
    assert.equal(await auth(p, { serverUrl: MCP_URL, fetchFn: recording }), 'REDIRECT');
    assert.ok(!seen.some((s) => s.includes('/register')), seen.join('\n'));
    assert.equal(p.s.client.client_id, clientIdOf('app'));
    assert.equal(p.s.authUrl.searchParams.get('client_id'), clientIdOf('app'));
  });

  test('porygon fetches the document; the consent page names the publishing domain', async () => {
    const before = fetches['/app.json'] ?? 0;
    const { page } = await browser().follow(p.s.authUrl.href);
    assert.equal(page.status, 200, page.text);
    assert.ok((fetches['/app.json'] ?? 0) > before, 'the document was fetched');
    assert.match(page.text, /CIMD test app/);
    assert.match(page.text, new RegExp(`Published by <strong>${HOST.replace(/\./g, '\\.')}</strong>`));
  });

  test('sign-in, code, tokens, MCP and refresh, all as the document client', async () => {
    await idp.nextAccount('cimd-user');
    const cb = await signIn(p.s.authUrl.href);
    assert.equal(cb.searchParams.get('iss'), ISSUER);
    assert.equal(await auth(p, { serverUrl: MCP_URL, authorizationCode: cb.searchParams.get('code'), fetchFn: ipFetch }), 'AUTHORIZED');
    assert.equal(userOf(p.s.tokens.access_token), oidcUserId('cimd-user'));
    const client = new Client({ name: 'porygon-cimd-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(MCP_URL), { authProvider: p, fetch: ipFetch }));
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'get_pokemon'));
    await client.close();
    const r = await refresh(clientIdOf('app'), p.s.tokens.refresh_token);
    assert.equal(r.status, 200, await r.clone().text());
    assert.ok((await r.json()).access_token);
  });
});

describe('documents that must not be trusted', () => {
  async function refused(url) {
    const r = await browser().request(url);
    assert.equal(r.status, 400, `${url}: ${r.status}`);
    assert.equal(r.headers.get('location'), null, 'no redirect anywhere: the client is not verified');
    return r.text();
  }

  test('a document that names another client_id than its URL', async () => {
    const text = await refused(authorizeUrl(clientIdOf('impostor')));
    assert.ok(!text.includes('Impostor'), 'nothing of the document is shown');
    assert.ok(fetches['/impostor.json'] >= 1);
  });

  test('a redirect URI the document does not list', async () => {
    await refused(authorizeUrl(clientIdOf('narrow')));
  });

  test('a document that is not there', async () => {
    await refused(authorizeUrl(clientIdOf('missing')));
  });

  test('a client_id URL that is not https is not a document client (and not registered)', async () => {
    await refused(authorizeUrl(`http://${HOST}/app.json`));
  });
});

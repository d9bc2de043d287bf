// Revisions 2024-11-05 … 2025-11-25 through the official TypeScript SDK clients (v2, and v1 for
// the revision it defaults to): the whole surface a real host uses.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { CLIENT_INFO, LEGACY_VERSIONS, MCP_URL, connectV2, exchangeFor, recordingFetch, textOf } from './harness.mjs';

/** What a get_pokemon Garchomp result must say, whichever client fetched it. */
function assertGarchomp(result) {
  assert.notEqual(result.isError, true, textOf(result));
  const s = result.structuredContent;
  assert.equal(s.name, 'Garchomp');
  assert.deepEqual(s.types, ['Dragon', 'Ground']);
  assert.deepEqual(s.matchups.weaknesses.find((w) => w.type === 'Ice'), { type: 'Ice', multiplier: 4 });
  assert.ok(s.matchups.immunities.includes('Electric'), JSON.stringify(s.matchups));
  assert.equal(s.baseStats.total, 600);
  const text = result.content.find((c) => c.type === 'text');
  assert.ok(text, 'a text content block accompanies structuredContent');
  assert.match(text.text, /Garchomp/);
  assert.match(text.text, /Ice \(4×\)/);
}

for (const version of LEGACY_VERSIONS) {
  describe(`SDK v2 client, protocol ${version}`, () => {
    let client;
    let transport;
    let exchanges;

    before(async () => {
      ({ client, transport, exchanges } = await connectV2(version));
    });
    after(async () => {
      await client?.close();
    });

    test('initialize negotiates the requested revision and issues a visible-ASCII session id', () => {
      assert.equal(client.getNegotiatedProtocolVersion(), version);
      assert.equal(client.getProtocolEra(), 'legacy');
      const init = exchangeFor(exchanges, 'initialize');
      assert.equal(init.requestBody.params.protocolVersion, version, 'the client asked for this revision');
      assert.equal(init.status, 200);
      assert.equal(init.responseBody.result.protocolVersion, version);
      assert.equal(init.responseBody.result.serverInfo.name, 'porygon');
      for (const cap of ['tools', 'resources', 'prompts', 'completions', 'logging']) {
        assert.ok(init.responseBody.result.capabilities[cap], `capability ${cap}`);
      }
      const sid = init.responseHeaders['mcp-session-id'];
      assert.ok(sid, 'Mcp-Session-Id issued');
      assert.match(sid, /^[\x21-\x7E]+$/, 'visible ASCII only');
      assert.equal(transport.sessionId, sid);
      const ack = exchangeFor(exchanges, 'notifications/initialized');
      assert.equal(ack.status, 202);
      assert.equal(ack.requestHeaders['mcp-session-id'], sid);
    });

    test('tools/list describes get_pokemon', async () => {
      const { tools } = await client.listTools();
      const tool = tools.find((t) => t.name === 'get_pokemon');
      assert.ok(tool, JSON.stringify(tools.map((t) => t.name)));
      assert.ok(tool.description && tool.description.length > 20);
      assert.equal(tool.inputSchema.type, 'object');
      assert.deepEqual(tool.inputSchema.required, ['name']);
      assert.equal(tool.inputSchema.properties.name.type, 'string');
      assert.equal(tool.outputSchema?.type, 'object');
      assert.ok(tool.outputSchema.properties.matchups);
      assert.equal(tool.annotations?.readOnlyHint, true);
      const raw = exchangeFor(exchanges, 'tools/list');
      assert.equal(raw.requestHeaders['mcp-protocol-version'], version, 'SDK sends the negotiated version');
      assert.equal(raw.responseBody.result.resultType, undefined, 'no resultType before 2026-07-28');
    });

    test('tools/call get_pokemon Garchomp: structured matchups and a text block', async () => {
      const result = await client.callTool({ name: 'get_pokemon', arguments: { name: 'Garchomp' } });
      assertGarchomp(result);
    });

    test('resources/list, resources/templates/list, resources/read', async () => {
      const { resources } = await client.listResources();
      const charts = resources.filter((r) => r.uri.startsWith('pokemon://typechart/'));
      assert.equal(charts.length, 9, JSON.stringify(resources.map((r) => r.uri)));
      assert.ok(charts.every((r) => r.mimeType === 'application/json' && r.name));

      const { resourceTemplates } = await client.listResourceTemplates();
      const dex = resourceTemplates.find((t) => t.uriTemplate === 'pokemon://dex/{name}');
      assert.ok(dex, JSON.stringify(resourceTemplates));
      assert.equal(dex.mimeType, 'application/json');

      const { contents } = await client.readResource({ uri: 'pokemon://dex/garchomp' });
      assert.equal(contents.length, 1);
      assert.equal(contents[0].uri, 'pokemon://dex/garchomp');
      assert.equal(contents[0].mimeType, 'application/json');
      const entry = JSON.parse(contents[0].text);
      assert.equal(entry.name, 'Garchomp');
      assert.ok(entry.matchups.immunities.includes('Electric'));

      const chart = await client.readResource({ uri: 'pokemon://typechart/9' });
      const parsed = JSON.parse(chart.contents[0].text);
      assert.equal(parsed.multipliers.Ice.Dragon, 2);
      assert.equal(parsed.multipliers.Electric.Ground, 0);
    });

    test('prompts/list and prompts/get pokemon_overview', async () => {
      const { prompts } = await client.listPrompts();
      const overview = prompts.find((p) => p.name === 'pokemon_overview');
      assert.ok(overview, JSON.stringify(prompts));
      assert.ok(overview.arguments.some((a) => a.name === 'name' && a.required === true));

      const got = await client.getPrompt({ name: 'pokemon_overview', arguments: { name: 'garchomp' } });
      assert.ok(got.messages.length >= 1);
      assert.equal(got.messages[0].role, 'user');
      assert.equal(got.messages[0].content.type, 'text');
      assert.match(got.messages[0].content.text, /Garchomp/);
    });

    test('completion/complete suggests Garchomp first for "garc"', async () => {
      const { completion } = await client.complete({
        ref: { type: 'ref/prompt', name: 'pokemon_overview' },
        argument: { name: 'name', value: 'garc' },
      });
      assert.equal(completion.values[0], 'Garchomp', JSON.stringify(completion));
      assert.ok(completion.values.length <= 100);
    });

    test('logging/setLevel returns an empty result; ping answers', async () => {
      assert.deepEqual(await client.setLoggingLevel('info'), {});
      const raw = exchangeFor(exchanges, 'logging/setLevel');
      assert.deepEqual(raw.responseBody.result, {}, 'exactly {} on the wire');
      assert.deepEqual(await client.ping(), {});
      assert.deepEqual(exchangeFor(exchanges, 'ping').responseBody.result, {});
    });

    test('every request after initialize carried the session id', () => {
      const sid = transport.sessionId;
      for (const e of exchanges) {
        if (e.requestBody?.method && e.requestBody.method !== 'initialize') {
          assert.equal(e.requestHeaders['mcp-session-id'], sid, e.requestBody.method);
        }
      }
      const get = exchanges.find((e) => e.method === 'GET');
      if (get) assert.equal(get.status, 405, 'the optional GET stream is refused with 405');
    });
  });
}

describe('SDK v1 client (1.32.2), its default revision 2025-11-25', () => {
  test('connect, list, call, terminate; the terminated session is then 404', async () => {
    const rec = recordingFetch();
    const client = new ClientV1(CLIENT_INFO, { capabilities: {} });
    const transport = new TransportV1(new URL(MCP_URL), { fetch: rec.fetch });
    await client.connect(transport);
    try {
      assert.equal(exchangeFor(rec.exchanges, 'initialize').responseBody.result.protocolVersion, '2025-11-25');
      assert.match(transport.sessionId, /^[\x21-\x7E]+$/);
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'get_pokemon'));
      assertGarchomp(await client.callTool({ name: 'get_pokemon', arguments: { name: 'Garchomp' } }));
      const { completion } = await client.complete({
        ref: { type: 'ref/prompt', name: 'pokemon_overview' },
        argument: { name: 'name', value: 'garc' },
      });
      assert.equal(completion.values[0], 'Garchomp');

      const sid = transport.sessionId;
      await transport.terminateSession();
      const del = rec.exchanges.find((e) => e.method === 'DELETE');
      assert.equal(del?.status, 204);
      assert.equal(del.requestHeaders['mcp-session-id'], sid);

      // A client resuming the terminated session (v1 skips initialize when given a session id)
      // gets 404 and must re-initialize.
      const resumed = new ClientV1(CLIENT_INFO, { capabilities: {} });
      const resumedRec = recordingFetch();
      await resumed.connect(new TransportV1(new URL(MCP_URL), { fetch: resumedRec.fetch, sessionId: sid }));
      try {
        await assert.rejects(resumed.listTools(), (err) => {
          assert.equal(err.code, 404, String(err));
          return true;
        });
        const ex = exchangeFor(resumedRec.exchanges, 'tools/list');
        assert.equal(ex.status, 404);
        assert.equal(ex.requestHeaders['mcp-session-id'], sid);
      } finally {
        await resumed.close();
      }
    } finally {
      await client.close();
    }
  });
});

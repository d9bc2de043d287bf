// Revision 2026-07-28: stateless, per-request `_meta`, routing headers, server/discover.
// First through the SDK v2 client pinned to the revision, then raw requests for the rules the
// conformance suite checks.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CODE,
  LEGACY_VERSIONS,
  META_SERVER,
  META_VERSION,
  MODERN_VERSION,
  assertRpcError,
  assertRpcResult,
  base64Header,
  connectV2,
  exchangeFor,
  forgedSessionId,
  httpRequest,
  initialize,
  modernCall,
  modernMeta,
  postMcp,
  rpcNotification,
  rpcRequest,
  textOf,
} from './harness.mjs';

function assertServerInfoMeta(result) {
  assert.equal(result._meta?.[META_SERVER]?.name, 'porygon', JSON.stringify(result._meta));
  assert.equal(typeof result._meta[META_SERVER].version, 'string');
}

describe('SDK v2 client pinned to 2026-07-28', () => {
  let client;
  let transport;
  let exchanges;

  before(async () => {
    ({ client, transport, exchanges } = await connectV2(MODERN_VERSION));
  });
  after(async () => {
    await client?.close();
  });

  test('connect runs server/discover, no session', () => {
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(client.getNegotiatedProtocolVersion(), MODERN_VERSION);
    assert.equal(transport.sessionId, undefined);
    const discover = exchangeFor(exchanges, 'server/discover');
    assert.equal(discover.status, 200);
    assert.equal(discover.requestHeaders['mcp-protocol-version'], MODERN_VERSION);
    assert.equal(discover.requestHeaders['mcp-method'], 'server/discover');
    assert.equal(discover.responseHeaders['mcp-session-id'], undefined, 'no session id minted');
    assert.ok(!exchanges.some((e) => e.requestBody?.method === 'initialize'), 'no initialize');
    const result = discover.responseBody.result;
    assert.deepEqual(result.supportedVersions, [...LEGACY_VERSIONS, MODERN_VERSION]);
    assert.equal(result.resultType, 'complete');
    assert.ok(Number.isInteger(result.ttlMs) && result.ttlMs > 0);
    assert.equal(result.cacheScope, 'public');
    assert.ok(result.capabilities.tools && result.capabilities.resources && result.capabilities.prompts);
    assert.equal(result.serverInfo, undefined, 'serverInfo lives in _meta, not the body');
    assertServerInfoMeta(result);
    assert.equal(client.getServerVersion()?.name, 'porygon');
  });

  test('tools/list: cacheable complete result', async () => {
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'get_pokemon'));
    const raw = exchangeFor(exchanges, 'tools/list');
    assert.equal(raw.requestHeaders['mcp-method'], 'tools/list');
    assert.equal(raw.requestBody.params._meta[META_VERSION], MODERN_VERSION);
    const result = raw.responseBody.result;
    assert.equal(result.resultType, 'complete');
    assert.equal(result.ttlMs, 300000);
    assert.equal(result.cacheScope, 'public');
    assertServerInfoMeta(result);
  });

  test('tools/call get_pokemon with Mcp-Name', async () => {
    const result = await client.callTool({ name: 'get_pokemon', arguments: { name: 'Garchomp' } });
    assert.notEqual(result.isError, true, textOf(result));
    assert.deepEqual(result.structuredContent.matchups.weaknesses.find((w) => w.type === 'Ice')?.multiplier, 4);
    assert.ok(result.structuredContent.matchups.immunities.includes('Electric'));
    const raw = exchangeFor(exchanges, 'tools/call');
    assert.equal(raw.requestHeaders['mcp-name'], 'get_pokemon');
    assert.equal(raw.responseBody.result.resultType, 'complete');
    assertServerInfoMeta(raw.responseBody.result);
  });

  test('resources, prompts and completion over the modern era', async () => {
    const { contents } = await client.readResource({ uri: 'pokemon://dex/garchomp' });
    assert.equal(JSON.parse(contents[0].text).name, 'Garchomp');
    const read = exchangeFor(exchanges, 'resources/read');
    assert.equal(read.requestHeaders['mcp-name'], 'pokemon://dex/garchomp');
    assert.equal(read.responseBody.result.ttlMs, 300000);
    assert.equal(read.responseBody.result.cacheScope, 'public');

    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'pokemon://dex/{name}'));
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((p) => p.name === 'pokemon_overview'));
    const got = await client.getPrompt({ name: 'pokemon_overview', arguments: { name: 'garchomp' } });
    assert.match(got.messages[0].content.text, /Garchomp/);
    const { completion } = await client.complete({
      ref: { type: 'ref/prompt', name: 'pokemon_overview' },
      argument: { name: 'name', value: 'garc' },
    });
    assert.equal(completion.values[0], 'Garchomp');
  });
});

describe('2026-07-28 raw requests', () => {
  test('server/discover with the required headers and _meta', async () => {
    const res = await modernCall('server/discover');
    const result = assertRpcResult(res, res.id);
    assert.ok(result.supportedVersions.includes(MODERN_VERSION));
    assert.equal(result.resultType, 'complete');
    assert.equal(result.ttlMs, 300000);
    assert.equal(result.cacheScope, 'public');
    assert.ok(result.capabilities.tools);
    assertServerInfoMeta(result);
    assert.equal(res.headers['mcp-session-id'], undefined);
  });

  test('_meta without clientInfo is still served', async () => {
    const meta = modernMeta();
    delete meta['io.modelcontextprotocol/clientInfo'];
    const res = await modernCall('tools/list', {}, { meta });
    const result = assertRpcResult(res, res.id);
    assert.ok(result.tools.some((t) => t.name === 'get_pokemon'));
    assert.equal(result.resultType, 'complete');
    assert.equal(result.ttlMs, 300000);
  });

  test('tools/call returns a complete result', async () => {
    const res = await modernCall('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } });
    const result = assertRpcResult(res, res.id);
    assert.equal(result.resultType, 'complete');
    assert.equal(result.isError, false);
    assert.equal(result.structuredContent.name, 'Garchomp');
    assertServerInfoMeta(result);
  });

  test('an Mcp-Session-Id header is ignored, whatever it holds, and none is minted', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-11-25' });
    for (const id of ['not-a-session', forgedSessionId(), forgedSessionId(sessionId.split('.')[0]), sessionId]) {
      const res = await modernCall('tools/list', {}, { headers: { 'Mcp-Session-Id': id } });
      assertRpcResult(res, res.id);
      assert.equal(res.headers['mcp-session-id'], undefined, id);
    }
    // …and DELETE stays 405 rather than ending the legacy session.
    const del = await httpRequest('DELETE', '/mcp', {
      headers: { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Session-Id': sessionId },
    });
    assert.equal(del.status, 405, del.text);
    const still = await postMcp(rpcRequest('ping'), { sessionId, protocolVersion: '2025-11-25' });
    assert.equal(still.status, 200, still.text);
  });

  test('missing _meta (or a missing required key) → 400 -32602', async () => {
    for (const meta of [null, {}, { [META_VERSION]: MODERN_VERSION }, { 'io.modelcontextprotocol/clientCapabilities': {} }]) {
      const res = await modernCall('server/discover', {}, { meta });
      assertRpcError(res, { status: 400, code: CODE.INVALID_PARAMS, id: res.id });
    }
    const noParams = rpcRequest('tools/list');
    const res = await postMcp(noParams, { protocolVersion: MODERN_VERSION, headers: { 'Mcp-Method': 'tools/list' } });
    assertRpcError(res, { status: 400, code: CODE.INVALID_PARAMS, id: noParams.id });
  });

  test('_meta protocol version ≠ header → 400 -32020', async () => {
    const res = await modernCall('server/discover', {}, { meta: modernMeta({ [META_VERSION]: 'v999.0.0' }) });
    assertRpcError(res, { status: 400, code: CODE.HEADER_MISMATCH, id: res.id });
    const legacy = await modernCall('tools/list', {}, { meta: modernMeta({ [META_VERSION]: '2025-11-25' }) });
    assertRpcError(legacy, { status: 400, code: CODE.HEADER_MISMATCH, id: legacy.id });
  });

  test('unsupported header version → 400 -32022 listing the supported versions', async () => {
    const discover = assertRpcResult(await modernCall('server/discover'));
    const res = await modernCall('server/discover', {}, {
      meta: modernMeta({ [META_VERSION]: 'v999.0.0' }),
      headers: { 'MCP-Protocol-Version': 'v999.0.0' },
    });
    const error = assertRpcError(res, { status: 400, code: CODE.UNSUPPORTED_PROTOCOL_VERSION, id: res.id });
    assert.equal(error.data?.requested, 'v999.0.0');
    assert.ok(Array.isArray(error.data.supported) && error.data.supported.length > 0);
    for (const v of error.data.supported) assert.ok(discover.supportedVersions.includes(v), v);
  });

  test('methods removed in 2026-07-28 → 404 -32601', async () => {
    const cases = [
      ['initialize', { protocolVersion: MODERN_VERSION, capabilities: {}, clientInfo: { name: 'x', version: '1' } }],
      ['ping', {}],
      ['logging/setLevel', { level: 'info' }],
      ['resources/subscribe', { uri: 'pokemon://dex/garchomp' }],
      ['resources/unsubscribe', { uri: 'pokemon://dex/garchomp' }],
      ['unknown/method', {}],
    ];
    for (const [method, params] of cases) {
      const res = await modernCall(method, params);
      assertRpcError(res, { status: 404, code: CODE.METHOD_NOT_FOUND, id: res.id });
      assert.equal(res.headers['mcp-session-id'], undefined, method);
    }
  });

  test('Mcp-Name ≠ params.name → 400 -32020', async () => {
    const res = await modernCall('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, {
      headers: { 'Mcp-Name': 'other_tool' },
    });
    assertRpcError(res, { status: 400, code: CODE.HEADER_MISMATCH, id: res.id });
    const uri = await modernCall('resources/read', { uri: 'pokemon://dex/garchomp' }, {
      headers: { 'Mcp-Name': 'pokemon://dex/pikachu' },
    });
    assertRpcError(uri, { status: 400, code: CODE.HEADER_MISMATCH, id: uri.id });
  });

  test('missing Mcp-Method or Mcp-Name, or Mcp-Method ≠ method → 400 -32020', async () => {
    const noMethod = await modernCall('tools/list', {}, { headers: { 'Mcp-Method': undefined } });
    assertRpcError(noMethod, { status: 400, code: CODE.HEADER_MISMATCH, id: noMethod.id });
    const wrongMethod = await modernCall('tools/list', {}, { headers: { 'Mcp-Method': 'prompts/list' } });
    assertRpcError(wrongMethod, { status: 400, code: CODE.HEADER_MISMATCH, id: wrongMethod.id });
    const noName = await modernCall('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, {
      headers: { 'Mcp-Name': undefined },
    });
    assertRpcError(noName, { status: 400, code: CODE.HEADER_MISMATCH, id: noName.id });
    const badBase64 = await modernCall('prompts/get', { name: 'pokemon_overview', arguments: { name: 'garchomp' } }, {
      headers: { 'Mcp-Name': '=?base64?***?=' },
    });
    assertRpcError(badBase64, { status: 400, code: CODE.HEADER_MISMATCH, id: badBase64.id });
  });

  test('Mcp-Name in =?base64?…?= form, or with surrounding whitespace, is accepted', async () => {
    const encoded = await modernCall('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, {
      headers: { 'Mcp-Name': base64Header('get_pokemon') },
    });
    assert.equal(assertRpcResult(encoded, encoded.id).structuredContent.name, 'Garchomp');
    const prompt = await modernCall('prompts/get', { name: 'pokemon_overview', arguments: { name: 'garchomp' } }, {
      headers: { 'Mcp-Name': base64Header('pokemon_overview') },
    });
    assertRpcResult(prompt, prompt.id);
    const padded = await modernCall('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, {
      headers: { 'Mcp-Name': '  get_pokemon  ' },
    });
    assertRpcResult(padded, padded.id);
  });

  test('an unknown resource is -32602 (not -32002) from 2026-07-28', async () => {
    const res = await modernCall('resources/read', { uri: 'pokemon://dex/notapokemon' });
    assertRpcError(res, { code: CODE.INVALID_PARAMS, id: res.id });
  });

  test('a notification is accepted with 202 and no body', async () => {
    const res = await postMcp(rpcNotification('notifications/cancelled', { requestId: 1, _meta: modernMeta() }), {
      protocolVersion: MODERN_VERSION,
      headers: { 'Mcp-Method': 'notifications/cancelled' },
    });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.text, '');
  });

  test('a batch is refused', async () => {
    const res = await postMcp([rpcRequest('tools/list', { _meta: modernMeta() })], {
      protocolVersion: MODERN_VERSION,
      headers: { 'Mcp-Method': 'tools/list' },
    });
    assertRpcError(res, { status: 400, code: CODE.INVALID_REQUEST });
  });

  test('a body naming 2026-07-28 in _meta without the header → 400 -32020', async () => {
    const request = rpcRequest('tools/list', { _meta: modernMeta() });
    const res = await postMcp(request, { headers: { 'Mcp-Method': 'tools/list' } });
    assertRpcError(res, { status: 400, code: CODE.HEADER_MISMATCH, id: request.id });
  });

  test('GET and DELETE → 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await httpRequest(method, '/mcp', {
        headers: { Accept: 'text/event-stream', 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': 'x' },
      });
      assert.equal(res.status, 405, `${method}: ${res.text}`);
      assert.match(res.headers.allow ?? '', /POST/);
    }
  });
});

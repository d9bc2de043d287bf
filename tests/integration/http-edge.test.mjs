// The HTTP edge: routes, Origin/CORS, methods, size and media-type limits, and JSON-RPC /
// tool-level error handling as any client sees it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CODE,
  assertRpcError,
  assertRpcResult,
  call,
  httpRequest,
  initialize,
  postMcp,
  rpcNotification,
  rpcRequest,
  textOf,
} from './harness.mjs';

const MIB = 1024 * 1024;
const toolsList = () => JSON.stringify(rpcRequest('tools/list'));

describe('routes', () => {
  test('GET /health/live → 200', async () => {
    const res = await httpRequest('GET', '/health/live');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok' });
  });

  test('unknown path → 404 JSON', async () => {
    for (const p of ['/', '/nope', '/mcp/extra', '/sse']) {
      const res = await httpRequest('GET', p);
      assert.equal(res.status, 404, p);
      assert.match(res.headers['content-type'], /^application\/json/);
      assert.equal(res.json.error, 'not_found');
    }
    const post = await httpRequest('POST', '/messages', { headers: { 'Content-Type': 'application/json' }, body: toolsList() });
    assert.equal(post.status, 404);
  });

  test('the Pokédex table is never served: only the router answers', async () => {
    // The table is a module of the bundle, not a static asset: its paths are unknown routes.
    for (const p of ['/dex.json', '/dex.json.txt', '/dex.mjs', '/worker/dex.json.txt', '/assets/dex.json', '/dex.json?x=1']) {
      const res = await httpRequest('GET', p);
      assert.equal(res.status, 404, p);
      assert.equal(res.json.error, 'not_found', p);
    }
  });

  test('GET /mcp → 405 (no server-initiated stream), PUT/PATCH → 405', async () => {
    const get = await httpRequest('GET', '/mcp', { headers: { Accept: 'text/event-stream' } });
    assertRpcError(get, { status: 405 });
    assert.match(get.headers.allow, /POST/);
    const { sessionId } = await initialize();
    const getSession = await httpRequest('GET', '/mcp', { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId } });
    assert.equal(getSession.status, 405);
    for (const method of ['PUT', 'PATCH']) {
      const res = await httpRequest(method, '/mcp', { headers: { 'Content-Type': 'application/json' }, body: toolsList() });
      assertRpcError(res, { status: 405 });
      assert.match(res.headers.allow, /POST/, method);
    }
  });
});

describe('Origin and CORS', () => {
  test('a disallowed Origin → 403 on POST and OPTIONS', async () => {
    const post = await postMcp(rpcRequest('tools/list'), { headers: { Origin: 'https://evil.example' } });
    assertRpcError(post, { status: 403 });
    assert.equal(post.headers['access-control-allow-origin'], undefined);
    const init = await postMcp(
      rpcRequest('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }),
      { headers: { Origin: 'https://evil.example' } },
    );
    assert.equal(init.status, 403);
    assert.equal(init.headers['mcp-session-id'], undefined);
    const options = await httpRequest('OPTIONS', '/mcp', {
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(options.status, 403);
    assert.equal(options.headers['access-control-allow-origin'], undefined);
    const lookalike = await postMcp(rpcRequest('tools/list'), { headers: { Origin: 'https://claude.ai.evil.example' } });
    assert.equal(lookalike.status, 403);
  });

  test('an allowed Origin gets CORS headers exposing Mcp-Session-Id', async () => {
    const res = await postMcp(
      rpcRequest('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }),
      { headers: { Origin: 'https://claude.ai' } },
    );
    assertRpcResult(res);
    assert.equal(res.headers['access-control-allow-origin'], 'https://claude.ai');
    const exposed = res.headers['access-control-expose-headers'].split(',').map((h) => h.trim().toLowerCase());
    assert.ok(exposed.includes('mcp-session-id'), exposed.join());
    assert.ok(exposed.includes('mcp-protocol-version'), exposed.join());
    assert.match(res.headers.vary ?? '', /Origin/i);
    assert.ok(res.headers['mcp-session-id']);
  });

  test('OPTIONS preflight → 204 with methods, headers and a one-day Max-Age', async () => {
    const res = await httpRequest('OPTIONS', '/mcp', {
      headers: {
        Origin: 'https://claude.ai',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, mcp-session-id, mcp-protocol-version',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['access-control-max-age'], '86400');
    assert.equal(res.headers['access-control-allow-origin'], 'https://claude.ai');
    const methods = res.headers['access-control-allow-methods'].split(',').map((m) => m.trim());
    for (const m of ['POST', 'GET', 'DELETE', 'OPTIONS']) assert.ok(methods.includes(m), m);
    const allowed = res.headers['access-control-allow-headers'].split(',').map((h) => h.trim().toLowerCase());
    for (const h of ['content-type', 'accept', 'authorization', 'mcp-session-id', 'mcp-protocol-version', 'mcp-method', 'mcp-name']) {
      assert.ok(allowed.includes(h), `${h} in ${allowed.join()}`);
    }
    const noOrigin = await httpRequest('OPTIONS', '/mcp');
    assert.equal(noOrigin.status, 204);
    assert.equal(noOrigin.headers['access-control-allow-origin'], undefined);
  });

  test('no Origin header (server-to-server) is served', async () => {
    const res = await postMcp(rpcRequest('ping'));
    assert.deepEqual(assertRpcResult(res), {});
  });
});

describe('body and media type', () => {
  test('a body over 1 MiB with Content-Length → 413', async () => {
    const big = JSON.stringify(rpcRequest('tools/call', { name: 'get_pokemon', arguments: { name: 'x'.repeat(MIB) } }));
    assert.ok(big.length > MIB);
    const res = await httpRequest('POST', '/mcp', { headers: { 'Content-Type': 'application/json' }, body: big });
    assertRpcError(res, { status: 413 });
  });

  test('a chunked body over 1 MiB (no Content-Length) → 413', async () => {
    const big = JSON.stringify(rpcRequest('tools/call', { name: 'get_pokemon', arguments: { name: 'x'.repeat(MIB + 10) } }));
    const res = await httpRequest('POST', '/mcp', { headers: { 'Content-Type': 'application/json' }, body: big, chunked: true });
    assertRpcError(res, { status: 413 });
  });

  test('a body just under 1 MiB is read (and rejected only by the tool)', async () => {
    const request = rpcRequest('tools/call', { name: 'get_pokemon', arguments: { name: 'x'.repeat(MIB - 200) } });
    const body = JSON.stringify(request);
    assert.ok(body.length < MIB);
    const res = await httpRequest('POST', '/mcp', { headers: { 'Content-Type': 'application/json' }, body });
    const result = assertRpcResult(res, request.id);
    assert.equal(result.isError, true);
    assert.match(textOf(result), /too long/);
  });

  test('Content-Type other than application/json → 415', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const res = await httpRequest('POST', '/mcp', { headers: { 'Content-Type': ct }, body: toolsList() });
      assertRpcError(res, { status: 415 });
    }
    const withCharset = await httpRequest('POST', '/mcp', {
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: toolsList(),
    });
    assertRpcResult(withCharset);
  });

  test('Accept: */*, no Accept and application/json are served; text/html → 406', async () => {
    for (const accept of ['*/*', undefined, 'application/json', 'text/event-stream, application/json']) {
      const request = rpcRequest('tools/list');
      const res = await httpRequest('POST', '/mcp', {
        headers: { 'Content-Type': 'application/json', Accept: accept },
        body: JSON.stringify(request),
      });
      assertRpcResult(res, request.id);
    }
    const html = await httpRequest('POST', '/mcp', {
      headers: { 'Content-Type': 'application/json', Accept: 'text/html' },
      body: toolsList(),
    });
    assertRpcError(html, { status: 406 });
  });
});

describe('JSON-RPC errors', () => {
  test('malformed JSON → 400 -32700 with id null', async () => {
    for (const body of ['{"jsonrpc":"2.0","id":1,', 'not json', '']) {
      const res = await postMcp(body);
      assertRpcError(res, { status: 400, code: CODE.PARSE_ERROR });
      assert.equal(res.json.id, null, JSON.stringify(body));
    }
  });

  test('not a JSON-RPC request → 400 -32600', async () => {
    for (const message of [{ jsonrpc: '1.0', id: 7, method: 'ping' }, { id: 8 }, 42, []]) {
      const res = await postMcp(message);
      assertRpcError(res, { status: 400, code: CODE.INVALID_REQUEST });
    }
  });

  test('unknown method → -32601 echoing the id', async () => {
    const res = await call('tools/destroy', {});
    assertRpcError(res, { code: CODE.METHOD_NOT_FOUND, id: res.id });
    const stringId = rpcRequest('no/such/method', {}, 'req-abc');
    const res2 = await postMcp(stringId);
    assertRpcError(res2, { code: CODE.METHOD_NOT_FOUND, id: 'req-abc' });
  });

  test('invalid params → -32602', async () => {
    const noName = await call('tools/call', { arguments: { name: 'Garchomp' } });
    assertRpcError(noName, { code: CODE.INVALID_PARAMS, id: noName.id });
    const badUri = await call('resources/read', {});
    assertRpcError(badUri, { code: CODE.INVALID_PARAMS, id: badUri.id });
    const badLevel = await call('logging/setLevel', { level: 'loud' });
    assertRpcError(badLevel, { code: CODE.INVALID_PARAMS, id: badLevel.id });
  });

  test('unknown tool → -32602', async () => {
    const res = await call('tools/call', { name: 'get_pokemans', arguments: {} });
    const error = assertRpcError(res, { code: CODE.INVALID_PARAMS, id: res.id });
    assert.match(error.message, /Unknown tool/);
  });

  test('unknown prompt → -32602', async () => {
    const res = await call('prompts/get', { name: 'nope', arguments: {} });
    assertRpcError(res, { code: CODE.INVALID_PARAMS, id: res.id });
  });

  test('invalid cursor on a list → -32602', async () => {
    for (const method of ['tools/list', 'resources/list', 'prompts/list', 'resources/templates/list']) {
      for (const cursor of ['bogus', 'o:0', 'o:999999']) {
        const res = await call(method, { cursor });
        assertRpcError(res, { code: CODE.INVALID_PARAMS, id: res.id });
      }
    }
  });

  test('resources/read of a traversal or unknown URI → -32002 (legacy revisions)', async () => {
    for (const uri of ['pokemon://dex/..%2F..%2Fetc', 'pokemon://dex/..', 'pokemon://dex/notapokemon', 'pokemon://typechart/10', 'file:///etc/passwd']) {
      const res = await call('resources/read', { uri }, { protocolVersion: '2025-11-25' });
      const error = assertRpcError(res, { code: CODE.RESOURCE_NOT_FOUND, id: res.id });
      assert.equal(error.data?.uri, uri);
    }
  });
  test('a JSON-RPC response or notification from the client → 202, empty body', async () => {
    for (const message of [{ jsonrpc: '2.0', id: 5, result: {} }, { jsonrpc: '2.0', id: 6, error: { code: -1, message: 'no' } }, rpcNotification('notifications/cancelled', { requestId: 1 })]) {
      const res = await postMcp(message, { protocolVersion: '2025-11-25' });
      assert.equal(res.status, 202, `${JSON.stringify(message)}: ${res.text}`);
      assert.equal(res.text, '');
    }
  });

  test('routing headers on a legacy request must agree with the body when sent (-32020)', async () => {
    const res = await call('tools/list', {}, { protocolVersion: '2025-11-25', headers: { 'Mcp-Method': 'prompts/list' } });
    assertRpcError(res, { status: 400, code: CODE.HEADER_MISMATCH, id: res.id });
    const name = await call('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, {
      protocolVersion: '2025-11-25',
      headers: { 'Mcp-Method': 'tools/call', 'Mcp-Name': 'other' },
    });
    assertRpcError(name, { status: 400, code: CODE.HEADER_MISMATCH, id: name.id });
    const ok = await call('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } }, {
      protocolVersion: '2025-11-25',
      headers: { 'Mcp-Method': 'tools/call', 'Mcp-Name': 'get_pokemon' },
    });
    assertRpcResult(ok, ok.id);
  });
});

describe('get_pokemon argument errors are tool results (isError), HTTP 200', () => {
  const cases = [
    [{}, /missing required argument "name"/],
    [{ name: 5 }, /"name" must be a string/],
    [{ name: 'Garchomp', generation: 0 }, /"generation" must be between 1 and 9/],
    [{ name: 'Garchomp', generation: 'four' }, /"generation" must be an integer/],
    [{ name: 'Garchomp', shiny: true }, /unknown argument "shiny"/],
    [{ name: '   ' }, /must not be empty/],
  ];
  for (const [args, message] of cases) {
    test(`arguments ${JSON.stringify(args)}`, async () => {
      const res = await call('tools/call', { name: 'get_pokemon', arguments: args });
      const result = assertRpcResult(res, res.id);
      assert.equal(result.isError, true);
      assert.match(textOf(result), message);
      assert.equal(result.structuredContent, undefined);
    });
  }

  test('no arguments object at all', async () => {
    const res = await call('tools/call', { name: 'get_pokemon' });
    const result = assertRpcResult(res, res.id);
    assert.equal(result.isError, true);
  });

  test('an unknown Pokémon suggests a close name', async () => {
    const res = await call('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchmop' } });
    const result = assertRpcResult(res, res.id);
    assert.equal(result.isError, true);
    const text = textOf(result);
    assert.match(text, /did you mean/i);
    assert.match(text, /Garchomp/);
  });

  test('a species that did not exist in the asked generation is a tool error', async () => {
    const res = await call('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp', generation: 3 } });
    assert.equal(assertRpcResult(res, res.id).isError, true);
    const ok = await call('tools/call', { name: 'get_pokemon', arguments: { name: 'garchomp', generation: 4 } });
    const result = assertRpcResult(ok, ok.id);
    assert.equal(result.isError, false);
    assert.equal(result.structuredContent.generation, 4);
  });
});

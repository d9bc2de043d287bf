// Legacy sessions (2024-11-05 … 2025-11-25): lifecycle, unknown and forged ids, stateless
// fallback, persistence across a worker restart, version pinning.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CODE,
  assertRpcError,
  assertRpcResult,
  call,
  forgedSessionId,
  httpRequest,
  initialize,
  postMcp,
  restartWorker,
  rpcRequest,
} from './harness.mjs';

const garchomp = { name: 'get_pokemon', arguments: { name: 'Garchomp' } };

describe('session lifecycle', () => {
  test('initialize issues a fresh visible-ASCII id per session', async () => {
    const a = await initialize({ protocolVersion: '2025-06-18' });
    const b = await initialize({ protocolVersion: '2025-06-18' });
    assert.match(a.sessionId, /^[\x21-\x7E]+$/);
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal(a.result.protocolVersion, '2025-06-18');
    assert.equal(a.response.headers['content-type'], 'application/json');
  });

  test('an unknown requested revision is answered with one the server speaks', async () => {
    const res = await postMcp(
      rpcRequest('initialize', { protocolVersion: '2099-01-01', capabilities: {}, clientInfo: { name: 'x', version: '1' } }),
    );
    const result = assertRpcResult(res);
    assert.equal(result.protocolVersion, '2025-11-25');
    assert.ok(res.headers['mcp-session-id']);
    // initialize selects the legacy era even when it names the stateless revision.
    const modern = await postMcp(
      rpcRequest('initialize', { protocolVersion: '2026-07-28', capabilities: {}, clientInfo: { name: 'x', version: '1' } }),
    );
    assert.equal(assertRpcResult(modern).protocolVersion, '2025-11-25');
  });

  test('DELETE ends the session (204); the id is then 404 with a JSON-RPC error', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-11-25' });
    const before = await call('tools/list', {}, { sessionId, protocolVersion: '2025-11-25' });
    assertRpcResult(before, before.id);

    const del = await httpRequest('DELETE', '/mcp', {
      headers: { 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': '2025-11-25' },
    });
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');

    const after = await call('tools/call', garchomp, { sessionId, protocolVersion: '2025-11-25' });
    assertRpcError(after, { status: 404, code: CODE.SESSION_NOT_FOUND, id: after.id });

    const again = await httpRequest('DELETE', '/mcp', { headers: { 'Mcp-Session-Id': sessionId } });
    assertRpcError(again, { status: 404, code: CODE.SESSION_NOT_FOUND });
  });

  test('DELETE without a session id is a 400', async () => {
    const res = await httpRequest('DELETE', '/mcp', { headers: { 'MCP-Protocol-Version': '2025-11-25' } });
    assertRpcError(res, { status: 400, code: CODE.INVALID_REQUEST });
  });

  test('forged or malformed session ids → 404', async () => {
    const { sessionId } = await initialize();
    const owner = sessionId.split('.')[0];
    const ids = [
      'abc',
      '',
      `${sessionId}x`,
      sessionId.toUpperCase(),
      forgedSessionId(owner), // well-formed, our owner, never issued
      forgedSessionId(), // well-formed, another owner, never issued
    ];
    for (const id of ids) {
      const res = await call('tools/list', {}, { sessionId: id, protocolVersion: '2025-11-25' });
      assertRpcError(res, { status: 404, code: CODE.SESSION_NOT_FOUND });
      if (res.json.id !== null) assert.equal(res.json.id, res.id, id);
    }
    const del = await httpRequest('DELETE', '/mcp', { headers: { 'Mcp-Session-Id': forgedSessionId(owner) } });
    assertRpcError(del, { status: 404, code: CODE.SESSION_NOT_FOUND });
  });

  test('a request without a session id is served statelessly (Claude.ai style)', async () => {
    const list = await call('tools/list');
    const result = assertRpcResult(list, list.id);
    assert.ok(result.tools.some((t) => t.name === 'get_pokemon'));
    assert.equal(list.headers['mcp-session-id'], undefined, 'no session minted outside initialize');
    assert.equal(result.resultType, undefined, 'served at a legacy revision');

    const tool = await call('tools/call', garchomp, { protocolVersion: '2025-06-18' });
    assert.equal(assertRpcResult(tool, tool.id).structuredContent.name, 'Garchomp');
  });

  test('MCP-Protocol-Version differing from the negotiated revision → 400', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-06-18' });
    const mismatch = await call('tools/list', {}, { sessionId, protocolVersion: '2025-11-25' });
    assertRpcError(mismatch, { status: 400, code: CODE.INVALID_REQUEST, id: mismatch.id });
    const same = await call('tools/list', {}, { sessionId, protocolVersion: '2025-06-18' });
    assertRpcResult(same, same.id);
    const absent = await call('tools/list', {}, { sessionId });
    assertRpcResult(absent, absent.id);
  });

  test('an unsupported MCP-Protocol-Version on a session → 400 -32022', async () => {
    const { sessionId } = await initialize();
    const res = await call('tools/list', {}, { sessionId, protocolVersion: '1999-01-01' });
    const error = assertRpcError(res, { status: 400, code: CODE.UNSUPPORTED_PROTOCOL_VERSION, id: res.id });
    assert.equal(error.data.requested, '1999-01-01');
  });

  test('initialize sent again on an existing session starts a new session', async () => {
    const { sessionId } = await initialize();
    const res = await postMcp(
      rpcRequest('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }),
      { sessionId },
    );
    assertRpcResult(res);
    assert.ok(res.headers['mcp-session-id']);
    assert.notEqual(res.headers['mcp-session-id'], sessionId);
  });
});

describe('concurrency', () => {
  test('concurrent requests on one session and without one all succeed', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-11-25' });
    const calls = [];
    for (let i = 0; i < 8; i++) {
      calls.push(call('tools/list', {}, { sessionId, protocolVersion: '2025-11-25' }));
      calls.push(call('tools/call', garchomp, { sessionId, protocolVersion: '2025-11-25' }));
      calls.push(call('tools/list'));
    }
    for (const res of await Promise.all(calls)) assertRpcResult(res, res.id);
  });
});

describe('session persistence', () => {
  test('a session survives a worker restart', { timeout: 120_000 }, async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-03-26' });
    const level = await call('logging/setLevel', { level: 'warning' }, { sessionId, protocolVersion: '2025-03-26' });
    assert.deepEqual(assertRpcResult(level, level.id), {});

    await restartWorker();

    const res = await call('tools/call', garchomp, { sessionId, protocolVersion: '2025-03-26' });
    const result = assertRpcResult(res, res.id);
    assert.equal(result.structuredContent.name, 'Garchomp');
    // The negotiated revision was persisted too.
    const mismatch = await call('tools/list', {}, { sessionId, protocolVersion: '2025-11-25' });
    assertRpcError(mismatch, { status: 400, id: mismatch.id });
  });
});

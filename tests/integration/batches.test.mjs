// JSON-RPC batches: part of 2025-03-26 (and tolerated for 2024-11-05), removed in 2025-06-18.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  CODE,
  assertRpcError,
  httpRequest,
  initialize,
  postMcp,
  rpcNotification,
  rpcRequest,
} from './harness.mjs';

function mixedBatch() {
  const list = rpcRequest('tools/list');
  const tool = rpcRequest('tools/call', { name: 'get_pokemon', arguments: { name: 'Garchomp' } });
  return { list, tool, batch: [list, rpcNotification('notifications/progress', { progressToken: 't', progress: 1 }), tool] };
}

function assertBatchReply(res, { list, tool }) {
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.ok(Array.isArray(res.json), res.text);
  assert.equal(res.json.length, 2, 'one response per request, none for the notification');
  const byId = new Map(res.json.map((r) => [r.id, r]));
  assert.deepEqual([...byId.keys()].sort(), [list.id, tool.id].sort());
  assert.ok(byId.get(list.id).result.tools.some((t) => t.name === 'get_pokemon'));
  assert.equal(byId.get(tool.id).result.structuredContent.name, 'Garchomp');
}

describe('batches', () => {
  test('2025-03-26 session: 2 requests + 1 notification → 200 array of 2 responses', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-03-26' });
    const b = mixedBatch();
    assertBatchReply(await postMcp(b.batch, { sessionId, protocolVersion: '2025-03-26' }), b);
  });

  test('2025-03-26 by header (no session) and with no header at all', async () => {
    const b = mixedBatch();
    assertBatchReply(await postMcp(b.batch, { protocolVersion: '2025-03-26' }), b);
    const c = mixedBatch();
    assertBatchReply(await postMcp(c.batch), c);
  });

  test('2024-11-05 session: batches are served', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2024-11-05' });
    const b = mixedBatch();
    assertBatchReply(await postMcp(b.batch, { sessionId }), b);
  });

  test('a batch with an error entry still answers every request', async () => {
    const good = rpcRequest('ping');
    const bad = rpcRequest('no/such/method');
    const res = await postMcp([good, bad], { protocolVersion: '2025-03-26' });
    assert.equal(res.status, 200);
    const byId = new Map(res.json.map((r) => [r.id, r]));
    assert.deepEqual(byId.get(good.id).result, {});
    assert.equal(byId.get(bad.id).error.code, CODE.METHOD_NOT_FOUND);
  });

  test('a batch of only notifications → 202, empty body', async () => {
    const { sessionId } = await initialize({ protocolVersion: '2025-03-26' });
    const res = await postMcp(
      [rpcNotification('notifications/progress', { progressToken: 'a', progress: 1 }), rpcNotification('notifications/cancelled', { requestId: 99 })],
      { sessionId, protocolVersion: '2025-03-26' },
    );
    assert.equal(res.status, 202, res.text);
    assert.equal(res.text, '');
  });

  test('2025-06-18 and 2025-11-25: a batch → 400 -32600', async () => {
    for (const version of ['2025-06-18', '2025-11-25']) {
      const { sessionId } = await initialize({ protocolVersion: version });
      const b = mixedBatch();
      const res = await postMcp(b.batch, { sessionId, protocolVersion: version });
      assertRpcError(res, { status: 400, code: CODE.INVALID_REQUEST });
      const byHeader = await postMcp(mixedBatch().batch, { protocolVersion: version });
      assertRpcError(byHeader, { status: 400, code: CODE.INVALID_REQUEST });
      // The session stays usable after the refusal.
      const after = await postMcp(rpcRequest('ping'), { sessionId, protocolVersion: version });
      assert.equal(after.status, 200);
    }
  });

  test('initialize inside a batch → 400, no session minted', async () => {
    const init = rpcRequest('initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'x', version: '1' } });
    for (const batch of [[init], [init, rpcRequest('tools/list')]]) {
      const res = await postMcp(batch, { protocolVersion: '2025-03-26' });
      assertRpcError(res, { status: 400, code: CODE.INVALID_REQUEST });
      assert.equal(res.headers['mcp-session-id'], undefined);
    }
  });

  test('an empty batch is an invalid request', async () => {
    const res = await httpRequest('POST', '/mcp', { headers: { 'Content-Type': 'application/json' }, body: '[]' });
    assertRpcError(res, { status: 400, code: CODE.INVALID_REQUEST });
  });
});

// Fault injection: dependencies fail or slow down for real inside workerd (the local-only
// `X-Porygon-Fault` switch of the test build, src/edge/faults.rs), and the server keeps its
// documented promises — degraded answers that say so, bounded latency, an honest /health, and
// no 5xx storm.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { BASE_URL, httpRequest, initialize, postMcp, REPO_ROOT, rpcRequest } from './harness.mjs';

const PROTOCOL = '2025-06-18';
// Backend timeouts (src/edge/strategy_backend.rs): lexical 2 s, semantic 2.5 s.
const LEXICAL_TIMEOUT_MS = 2_000;
const SEMANTIC_TIMEOUT_MS = 2_500;
// What "bounded" allows on top of a timeout: scheduling on a busy 2-core machine.
const SLACK_MS = 1_500;

let ipCounter = 0;
const freshIp = () => `10.66.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;
// Results are cached per client and shared across clients by query: every test asks something
// no one asked before, so a fault cannot hide behind a cached healthy answer.
let nonce = 0;
const unique = (text) => `${text} run${Date.now().toString(36)}q${++nonce}`;

async function callTool(name, args, { faults, ip = freshIp() } = {}) {
  const headers = { 'CF-Connecting-IP': ip };
  if (faults) headers['X-Porygon-Fault'] = faults;
  const started = performance.now();
  const res = await postMcp(rpcRequest('tools/call', { name, arguments: args }), { protocolVersion: PROTOCOL, headers });
  return { ...res, ms: performance.now() - started };
}

const health = (faults) => httpRequest('GET', '/health', { headers: faults ? { 'X-Porygon-Fault': faults } : {} });

describe('fault injection', () => {
  before(async () => {
    // The gen9ou corpus and statistics (idempotent: a no-op when an earlier file loaded them).
    const args = ['scripts/load-local-corpus.mjs', '--url', BASE_URL, '--formats', 'gen9ou'];
    await promisify(execFile)(process.execPath, args, { cwd: REPO_ROOT, timeout: 120_000 });
  });

  test('the healthy baseline: full answers, not degraded', async () => {
    const res = await callTool('query_strategy', { query: unique('Kingambit sets'), format: 'gen9ou' });
    assert.equal(res.status, 200, res.text);
    const out = res.json.result.structuredContent;
    assert.equal(out.degraded, false);
    assert.equal(out.retrieval.lexical, 'ok');
    assert.ok(out.results.length > 0);
  });

  test('Vectorize/Workers AI errors: lexical results, flagged degraded, fast', async () => {
    const res = await callTool('query_strategy', { query: unique('Great Tusk checks'), format: 'gen9ou' }, { faults: 'semantic-error' });
    assert.equal(res.status, 200, res.text);
    const out = res.json.result.structuredContent;
    assert.equal(res.json.result.isError, false);
    assert.equal(out.degraded, true);
    assert.deepEqual(out.retrieval, { lexical: 'ok', semantic: 'failed' });
    assert.ok(out.results.length > 0);
    assert.ok(out.notes.some((n) => /Semantic search failed/.test(n)), JSON.stringify(out.notes));
    assert.ok(res.ms < SEMANTIC_TIMEOUT_MS, `${res.ms} ms: a failing dependency must not cost its timeout`);
  });

  test('Workers AI timeout: the answer waits at most the semantic timeout', async () => {
    const res = await callTool('query_strategy', { query: unique('Gholdengo sets'), format: 'gen9ou' }, { faults: 'semantic-timeout' });
    assert.equal(res.status, 200, res.text);
    const out = res.json.result.structuredContent;
    assert.equal(out.degraded, true);
    assert.equal(out.retrieval.semantic, 'failed');
    assert.ok(out.notes.some((n) => /did not answer in time/.test(n)), JSON.stringify(out.notes));
    assert.ok(res.ms >= SEMANTIC_TIMEOUT_MS - 100, `${res.ms} ms: the timer really ran`);
    assert.ok(res.ms < SEMANTIC_TIMEOUT_MS + SLACK_MS, `${res.ms} ms: bounded by the timeout`);
  });

  test('FTS errors: a named Pokémon is answered from usage statistics, flagged degraded', async () => {
    const res = await callTool('query_strategy', { query: unique('Kingambit'), format: 'gen9ou' }, { faults: 'fts-error' });
    assert.equal(res.status, 200, res.text);
    const out = res.json.result.structuredContent;
    assert.equal(out.degraded, true);
    assert.equal(out.retrieval.lexical, 'failed');
    assert.equal(out.results[0].section, 'usage');
    assert.equal(out.results[0].pokemon, 'kingambit');
    assert.match(out.results[0].sourceUrl, /smogon\.com\/stats/);
  });

  test('FTS errors with nothing to fall back on: a clear tool error, not a protocol error', async () => {
    const res = await callTool('query_strategy', { query: unique('best hazard removal'), format: 'gen9ou' }, { faults: 'fts-error' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.isError, true);
    assert.match(res.json.result.content[0].text, /Strategy search is unavailable right now/);
  });

  test('a slow index: answered late but whole; slower than its timeout: degraded within the bound', async () => {
    const slow = await callTool('query_strategy', { query: unique('Dragapult sets'), format: 'gen9ou' }, { faults: 'slow=800' });
    assert.equal(slow.status, 200, slow.text);
    assert.equal(slow.json.result.structuredContent.degraded, false);
    assert.ok(slow.ms >= 800, `${slow.ms} ms`);

    const stuck = await callTool('query_strategy', { query: unique('Dragapult checks'), format: 'gen9ou' }, { faults: 'slow=5000' });
    assert.equal(stuck.status, 200, stuck.text);
    const out = stuck.json.result.structuredContent;
    assert.equal(out.degraded, true);
    assert.equal(out.retrieval.lexical, 'failed');
    assert.ok(stuck.ms < LEXICAL_TIMEOUT_MS + SEMANTIC_TIMEOUT_MS + SLACK_MS, `${stuck.ms} ms, not the 5 s the index would take`);
  });

  test('KV errors: /health is 503 naming KV; dex tools still answer; API keys get 503, not 401', async () => {
    const healthy = await health();
    assert.notEqual(healthy.status, 503, healthy.text);

    const down = await health('kv-error');
    assert.equal(down.status, 503, down.text);
    const kv = down.json.checks.find((c) => c.name === 'kv');
    assert.equal(kv.status, 'failing');
    assert.match(kv.detail, /injected fault/);
    assert.ok(down.json.checks.filter((c) => c.name !== 'kv').every((c) => c.status !== 'failing'), down.text);
    assert.equal(down.headers['cache-control'], 'no-store');

    const dex = await callTool('get_pokemon', { name: 'Kingambit' }, { faults: 'kv-error' });
    assert.equal(dex.status, 200, dex.text);
    assert.equal(dex.json.result.isError, false);

    const keyed = await postMcp(rpcRequest('ping'), {
      protocolVersion: PROTOCOL,
      headers: { 'CF-Connecting-IP': freshIp(), Authorization: 'Bearer pgn_1111111111111111111111111111111111111111', 'X-Porygon-Fault': 'kv-error' },
    });
    assert.equal(keyed.status, 503, `a key that cannot be checked is not "invalid": ${keyed.text}`);
    assert.equal(keyed.headers['retry-after'], '1');
    assert.equal(keyed.json.error.code, -32603);

    const after = await health();
    assert.notEqual(after.status, 503, 'the fault was this request only');
  });

  test('no 5xx storm: 40 concurrent calls against failing search all answer 200 within the bound', async () => {
    const { sessionId, result } = await initialize({ headers: { 'CF-Connecting-IP': '10.66.200.1' } });
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        postMcp(
          rpcRequest('tools/call', {
            name: 'query_strategy',
            arguments: { query: unique(i % 2 ? 'Kingambit' : 'entry hazards'), format: 'gen9ou' },
          }),
          {
            sessionId,
            protocolVersion: result.protocolVersion,
            headers: { 'CF-Connecting-IP': '10.66.200.1', 'X-Porygon-Fault': 'fts-error,semantic-timeout' },
          },
        ),
      ),
    );
    const elapsed = performance.now() - started;
    const statuses = responses.map((r) => r.status);
    assert.deepEqual([...new Set(statuses)], [200], `statuses: ${statuses}`);
    const results = responses.map((r) => r.json.result);
    assert.ok(results.every((r) => r.isError || r.structuredContent.degraded), 'every answer says it is degraded or unavailable');
    assert.ok(results.some((r) => !r.isError), 'named Pokémon still got usage answers');
    assert.ok(elapsed < SEMANTIC_TIMEOUT_MS * 2 + SLACK_MS * 2, `${elapsed} ms for the burst: timeouts run concurrently`);
  });
});

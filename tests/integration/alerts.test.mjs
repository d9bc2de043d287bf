// Fleet-wide alerts (issue #15): the MONITOR object's check — run by the 5-minute cron and by
// POST /admin/alerts/check — against a FAKE Analytics Engine SQL API (the real one needs a
// Cloudflare account; this fake on :8804 answers each of the four queries from a scenario),
// sending signed webhooks to the alert sink (:8802). Scenarios: a quiet night that must not
// alert, an incident (every rule at once), the same incident again (cooldown: silence), the
// recovery (one notice per alert), and a broken SQL API (after three failed checks the monitor
// says it is blind, and recovers). The test worker gets ANALYTICS_SQL_URL, ANALYTICS_API_TOKEN
// and RUNBOOK_URL from the Makefile.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { BASE_URL, REPO_ROOT, alertSink } from './harness.mjs';

const token = readFileSync(path.join(REPO_ROOT, '.dev.vars'), 'utf8').match(/^ADMIN_TOKEN=(.*)$/m)[1].trim();
const admin = { Authorization: `Bearer ${token}` };
const WEBHOOK_SECRET = 'integration-webhook-secret';
const SQL_TOKEN = 'integration-analytics-token';

const healthy = {
  traffic: { requests: '1000', errors: '2', denied: '10', p95_ms: 180.5 },
  baselines: { hour_ago: '1100', week_ago: '950' },
  ingestion: { runs: '2', succeeded: '2', last_errors: '0' },
  backups: { runs: '1', succeeded: '1', last_failed: '0' },
};
const SCENARIOS = {
  healthy,
  // 3 a.m.: a handful of requests (one slow 5xx among them), just as few an hour and a week ago.
  quietNight: {
    ...healthy,
    traffic: { requests: '6', errors: '1', denied: '0', p95_ms: 4000 },
    baselines: { hour_ago: '9', week_ago: '14' },
  },
  // Everything at once: 20 % 5xx, p95 3.5 s, traffic below half of both baselines, a 429 storm,
  // an ingestion run with 12 errors, no backup for 26 hours.
  incident: {
    traffic: { requests: '1000', errors: '200', denied: '1500', p95_ms: 3500 },
    baselines: { hour_ago: '2500', week_ago: '2400' },
    ingestion: { runs: '2', succeeded: '1', last_errors: '12' },
    backups: { runs: '0', succeeded: '0', last_failed: 'nan' },
  },
};
const ALL_ALERTS = ['backup-failing', 'denial-storm', 'error-rate', 'ingestion-failing', 'latency', 'traffic-drop'];

let scenario = 'healthy';
let broken = false;
const sqlCalls = [];
// FAKE Analytics Engine SQL API: POST /sql, the statement as the body, the JSON format's shape.
const fakeSql = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    sqlCalls.push({ auth: req.headers.authorization, sql: body });
    if (broken) return res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    const s = SCENARIOS[scenario];
    const row = body.includes("blob1 = 'ingestion'")
      ? s.ingestion
      : body.includes("blob1 = 'backup'")
        ? s.backups
        : body.includes('hour_ago')
          ? s.baselines
          : s.traffic;
    const meta = Object.keys(row).map((name) => ({ name, type: 'Float64' }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ meta, data: [row], rows: 1 }));
  });
});
const alerts = [];
const sink = alertSink(alerts);

before(async () => {
  await new Promise((r) => fakeSql.listen(8804, '127.0.0.1', r));
  await new Promise((r) => sink.listen(8802, '127.0.0.1', r));
});
after(() => {
  fakeSql.close();
  sink.close();
});

async function check() {
  const res = await fetch(`${BASE_URL}/admin/alerts/check`, { method: 'POST', headers: admin });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** The webhooks received since `from`, verified against the signing secret. */
function received(from) {
  return alerts.slice(from).map(({ headers, body }) => {
    const expected = 'sha256=' + createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
    assert.equal(headers['x-porygon-signature'], expected, 'every alert is signed');
    return JSON.parse(body);
  });
}

const names = (notices) => notices.map((n) => n.alert).sort();

test('the 5-minute cron runs the fleet check, and a quiet night raises nothing', async () => {
  scenario = 'quietNight';
  const before = sqlCalls.length;
  const res = await fetch(`${BASE_URL}/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*`);
  assert.equal(res.status, 200);
  for (let i = 0; i < 100 && sqlCalls.length < before + 4; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sqlCalls.length, before + 4, 'the cron asked the four queries');
  const calls = sqlCalls.slice(before);
  assert.ok(calls.every((c) => c.auth === `Bearer ${SQL_TOKEN}`));
  assert.ok(calls.every((c) => /FROM porygon_local WHERE/.test(c.sql) && c.sql.includes('_sample_interval')), calls[0].sql);
  let state;
  for (let i = 0; i < 50; i++) {
    state = (await (await fetch(`${BASE_URL}/admin/alerts`, { headers: admin })).json()).state;
    if (state.last_check_ms) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(state.last_check_ms, 'the check finished and was persisted');
  assert.deepEqual(state.firing, []);
  const again = await check();
  assert.deepEqual(again.notices, []);
  assert.equal(again.snapshot.requests, 6);
});

test('an incident fires every alert once, signed, with its playbook; the cooldown keeps it to one', async () => {
  scenario = 'incident';
  const from = alerts.length;
  const first = await check();
  assert.deepEqual(names(first.notices), ALL_ALERTS);
  const sent = received(from);
  assert.deepEqual(names(sent), ALL_ALERTS, 'one webhook per alert');
  for (const n of sent) {
    assert.equal(n.event, 'alert.fired');
    assert.equal(n.environment, 'local');
    assert.equal(n.runbook, `https://example.org/RUNBOOK.md#alert-${n.alert}`);
    assert.ok(n.detail.length > 0);
  }
  const errorRate = sent.find((n) => n.alert === 'error-rate');
  assert.equal(errorRate.value, 0.2);
  assert.equal(errorRate.threshold, 0.1, 'ERROR_ALERT_RATE of the test worker (Makefile)');
  assert.match(sent.find((n) => n.alert === 'ingestion-failing').detail, /latest ingestion run failed/);

  const from2 = alerts.length;
  const second = await check();
  assert.deepEqual(second.notices, [], 'still firing, within the cooldown: silence');
  assert.equal(alerts.length, from2);
  assert.deepEqual(second.state.firing.map((f) => f.alert).sort(), ALL_ALERTS);
});

test('the recovery is announced once per alert', async () => {
  scenario = 'healthy';
  const from = alerts.length;
  const body = await check();
  assert.deepEqual(names(body.notices), ALL_ALERTS);
  const sent = received(from);
  assert.ok(sent.every((n) => n.event === 'alert.recovered' && n.durationMs >= 0));
  assert.deepEqual(body.state.firing, []);
  assert.deepEqual((await check()).notices, [], 'healthy stays quiet');
});

test('a broken SQL API changes nothing for two checks, then the monitor reports itself blind, then recovers', async () => {
  broken = true;
  const from = alerts.length;
  try {
    assert.deepEqual((await check()).notices, []);
    const second = await check();
    assert.deepEqual(second.notices, []);
    assert.equal(second.state.consecutive_failures, 2);
    assert.match(second.state.last_error, /answered 502/);
    assert.ok(!second.state.last_error.includes(SQL_TOKEN), 'the token never appears in an error');
    const third = await check();
    assert.deepEqual(names(third.notices), ['monitor-blind']);
    assert.equal(third.snapshot, null);
  } finally {
    broken = false;
  }
  const back = await check();
  assert.deepEqual(names(back.notices), ['monitor-blind']);
  assert.equal(back.notices[0].event, 'alert.recovered');
  assert.deepEqual(names(received(from)), ['monitor-blind', 'monitor-blind']);
});

test('the alert routes need the admin token', async () => {
  assert.equal((await fetch(`${BASE_URL}/admin/alerts`)).status, 401);
  assert.equal((await fetch(`${BASE_URL}/admin/alerts/check`, { method: 'POST' })).status, 401);
  assert.equal((await fetch(`${BASE_URL}/admin/alerts/check`, { headers: admin })).status, 404, 'GET is not a check');
});

// `make waf` (scripts/waf.mjs): ops/waf/rules.json against the zone's entry point rulesets,
// through the fake Cloudflare API (fake-cloudflare-api.mjs). Offline, no worker needed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { childEnv, run, startFakeCloudflareApi } from './fake-cloudflare-api.mjs';
import { routesLiteral, setEnvKey } from '../../scripts/wrangler-config.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RULES = JSON.parse(readFileSync(path.join(REPO, 'ops/waf/rules.json'), 'utf8'));
const CUSTOM = 'http_request_firewall_custom';
const RATELIMIT = 'http_ratelimit';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'porygon-waf-test-'));
let n = 0;

/** The repository's wrangler.toml with the environments' custom domains set (as provision does). */
function config({ staging = 'staging-mcp.example.org', production = 'mcp.example.org' } = {}) {
  let text = readFileSync(path.join(REPO, 'wrangler.toml'), 'utf8');
  if (staging) text = setEnvKey(text, 'staging', 'routes', routesLiteral(staging));
  if (production) text = setEnvKey(text, 'production', 'routes', routesLiteral(production));
  const file = path.join(tmp, `wrangler-${++n}.toml`);
  writeFileSync(file, text);
  return file;
}

function rulesFile(mutate) {
  const file = path.join(tmp, `rules-${++n}.json`);
  const copy = structuredClone(RULES);
  const out = mutate ? (mutate(copy) ?? copy) : copy;
  writeFileSync(file, typeof out === 'string' ? out : JSON.stringify(out));
  return file;
}

function waf(fake, args) {
  return run([process.execPath, path.join(REPO, 'scripts/waf.mjs'), ...args], { cwd: REPO, env: childEnv(fake.env()) });
}

const puts = (fake) => fake.writes();
const refs = (ruleset) => (ruleset?.rules ?? []).map((r) => r.ref);

after(() => rmSync(tmp, { recursive: true, force: true }));

describe('make waf', () => {
  let fake;
  let zone;
  let cfg;
  before(async () => {
    fake = await startFakeCloudflareApi({ zones: ['example.org', 'example.net'] });
    zone = fake.zoneByName('example.org');
    cfg = config();
    // Rules someone made in the dashboard: never porygon's to change.
    fake.seedRuleset(zone.id, CUSTOM, [
      { description: 'block a bad network (dashboard)', expression: 'ip.src in {192.0.2.0/24}', action: 'block' },
      { ref: 'corp-allow-office', description: 'office', expression: 'ip.src eq 198.51.100.7', action: 'skip', action_parameters: { ruleset: 'current' } },
    ]);
  });
  after(() => fake.close());

  test('the committed ruleset file is valid and versioned', () => {
    assert.ok(Number.isInteger(RULES.version) && RULES.version >= 1);
    const ids = [...RULES.phases[CUSTOM], ...RULES.phases[RATELIMIT]].map((r) => r.id);
    for (const id of ['ua-scanners', 'ua-empty', 'tor-challenge', 'country-block', 'mcp-methods', 'admin-allowlist', 'claude-egress-skip', 'rl-mcp', 'rl-health', 'rl-admin']) assert.ok(ids.includes(id), id);
    assert.deepEqual(RULES.parameters.blockedCountries, [], 'no country is blocked by default');
  });

  test('a dry run reads the zone, prints the diff and writes nothing', async () => {
    fake.calls.length = 0;
    const before = structuredClone(fake.ruleset(zone.id, CUSTOM));
    const r = await waf(fake, ['--env', 'production', '--config', cfg]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(puts(fake), []);
    assert.deepEqual(fake.ruleset(zone.id, CUSTOM), before);
    assert.equal(fake.ruleset(zone.id, RATELIMIT), undefined);
    assert.match(r.stdout, /\+ porygon-production-ua-scanners {2}block/);
    assert.match(r.stdout, /http_ratelimit: no entry point ruleset yet/);
    assert.match(r.stdout, /2 rule\(s\) not managed by porygon production, kept/);
    assert.match(r.stdout, /Dry run: nothing was written/);
    assert.deepEqual(fake.calls.map((c) => `${c.method} ${c.path}`), [
      'GET /zones',
      `GET /zones/${zone.id}/rulesets/phases/${CUSTOM}/entrypoint`,
      `GET /zones/${zone.id}/rulesets/phases/${RATELIMIT}/entrypoint`,
    ]);
    assert.equal(fake.calls[0].query.name, 'example.org');
  });

  test('--apply PUTs the expected rules, scoped to the host and tagged, keeping the zone\'s own rules', async () => {
    const foreignBefore = fake.ruleset(zone.id, CUSTOM).rules.map((r) => ({ ...r }));
    fake.calls.length = 0;
    const r = await waf(fake, ['--env', 'production', '--config', cfg, '--apply']);
    assert.equal(r.code, 0, r.out);
    const written = puts(fake);
    assert.deepEqual(written.map((c) => `${c.method} ${c.path}`), [
      `PUT /zones/${zone.id}/rulesets/phases/${CUSTOM}/entrypoint`,
      `PUT /zones/${zone.id}/rulesets/phases/${RATELIMIT}/entrypoint`,
    ]);
    const custom = written[0].body.rules;
    // The zone's rules first, as they were (same ids, so the same rules), then porygon's in file order.
    assert.deepEqual(custom.slice(0, 2).map((x) => x.id), foreignBefore.map((x) => x.id));
    assert.deepEqual(custom.slice(0, 2).map((x) => x.expression), foreignBefore.map((x) => x.expression));
    assert.deepEqual(custom.slice(2).map((x) => x.ref), [
      'porygon-production-claude-egress-skip',
      'porygon-production-ua-scanners',
      'porygon-production-ua-empty',
      'porygon-production-tor-challenge',
      'porygon-production-mcp-methods',
    ], 'country-block and admin-allowlist only with their parameters set');
    for (const rule of custom.slice(2)) {
      assert.ok(rule.expression.startsWith('(http.host eq "mcp.example.org") and ('), rule.expression);
      assert.match(rule.description, new RegExp(`^porygon production: .* \\[ops/waf/rules\\.json v${RULES.version}\\]$`));
    }
    const byRef = Object.fromEntries(custom.map((x) => [x.ref, x]));
    assert.equal(byRef['porygon-production-tor-challenge'].expression, '(http.host eq "mcp.example.org") and (ip.src.country eq "T1")');
    assert.equal(byRef['porygon-production-tor-challenge'].action, 'managed_challenge');
    assert.match(byRef['porygon-production-ua-scanners'].expression, /"sqlmap".*"nikto".*"masscan".*"zgrab"/);
    assert.equal(byRef['porygon-production-ua-empty'].expression, '(http.host eq "mcp.example.org") and (http.user_agent eq "")');
    assert.match(byRef['porygon-production-claude-egress-skip'].expression, /ip\.src in \{160\.79\.104\.0\/21\}/);

    const limits = written[1].body.rules;
    assert.deepEqual(limits.map((x) => x.ref), ['porygon-production-rl-mcp', 'porygon-production-rl-health', 'porygon-production-rl-admin']);
    for (const l of limits) {
      assert.deepEqual(l.ratelimit.characteristics, ['cf.colo.id', 'ip.src'], 'per IP (and colo)');
      assert.equal(l.action, 'block');
    }
    assert.match(limits[0].expression, /http\.request\.uri\.path eq "\/mcp" and not ip\.src in \{160\.79\.104\.0\/21\}/);
    assert.match(limits[1].expression, /"\/health"/);
    assert.match(limits[2].expression, /starts_with\(http\.request\.uri\.path, "\/admin\/"\)/);
    assert.match(r.stdout, /8 change\(s\) applied/);
  });

  test('a second apply is a no-op', async () => {
    const versions = [CUSTOM, RATELIMIT].map((p) => fake.ruleset(zone.id, p).version);
    fake.calls.length = 0;
    const r = await waf(fake, ['--env', 'production', '--config', cfg, '--apply']);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(puts(fake), []);
    assert.deepEqual([CUSTOM, RATELIMIT].map((p) => fake.ruleset(zone.id, p).version), versions);
    assert.match(r.stdout, /Nothing to change/);
  });

  test('staging on the same zone adds its own rules; production\'s and the zone\'s survive', async () => {
    const productionRules = fake.ruleset(zone.id, CUSTOM).rules.filter((r) => r.ref.startsWith('porygon-production-'));
    const r = await waf(fake, ['--env', 'staging', '--config', cfg, '--apply']);
    assert.equal(r.code, 0, r.out);
    const custom = fake.ruleset(zone.id, CUSTOM).rules;
    assert.equal(custom.filter((x) => x.ref.startsWith('porygon-staging-')).length, 5);
    assert.ok(custom.filter((x) => x.ref.startsWith('porygon-staging-')).every((x) => x.expression.startsWith('(http.host eq "staging-mcp.example.org")')));
    assert.deepEqual(custom.filter((x) => x.ref.startsWith('porygon-production-')), productionRules);
    assert.ok(custom.some((x) => x.ref === 'corp-allow-office') && custom.some((x) => x.description === 'block a bad network (dashboard)'));
  });

  test('a changed file changes only porygon\'s rules, in place; rules dropped from the file go', async () => {
    // The dashboard adds a rule in the middle of an incident; then the file gains parameters and
    // loses a rule, with a new version.
    const rs = fake.ruleset(zone.id, CUSTOM);
    fake.seedRuleset(zone.id, CUSTOM, [...rs.rules, { ref: 'incident-123', description: 'block an attacker', expression: 'ip.src eq 203.0.113.9', action: 'block' }]);
    const before = fake.ruleset(zone.id, CUSTOM).rules;
    const file = rulesFile((f) => {
      f.version += 1;
      f.environments.production.parameters = { blockedCountries: ['KP'], operatorCidrs: ['203.0.113.0/24', '2001:db8::/32'] };
      f.phases[CUSTOM] = f.phases[CUSTOM].filter((x) => x.id !== 'ua-empty');
    });
    const r = await waf(fake, ['--env', 'production', '--config', cfg, '--rules', file, '--apply']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /- porygon-production-ua-empty/);
    assert.match(r.stdout, /\+ porygon-production-country-block/);
    assert.match(r.stdout, /\+ porygon-production-admin-allowlist/);
    assert.match(r.stdout, /~ porygon-production-tor-challenge: description/);
    const now = fake.ruleset(zone.id, CUSTOM).rules;
    // Every rule that is not production's is still there, unchanged and in the same order.
    const notOurs = (list) => list.filter((x) => !x.ref.startsWith('porygon-production-'));
    assert.deepEqual(notOurs(now), notOurs(before));
    const ours = now.filter((x) => x.ref.startsWith('porygon-production-'));
    assert.deepEqual(ours.map((x) => x.ref.replace('porygon-production-', '')), ['claude-egress-skip', 'ua-scanners', 'tor-challenge', 'country-block', 'mcp-methods', 'admin-allowlist']);
    // Rules that stayed keep their ids.
    const oldIds = Object.fromEntries(before.map((x) => [x.ref, x.id]));
    assert.equal(ours.find((x) => x.ref.endsWith('tor-challenge')).id, oldIds['porygon-production-tor-challenge']);
    assert.equal(ours.find((x) => x.ref.endsWith('country-block')).expression, '(http.host eq "mcp.example.org") and (ip.src.country in {"KP"})');
    assert.match(ours.find((x) => x.ref.endsWith('admin-allowlist')).expression, /not ip\.src in \{203\.0\.113\.0\/24 2001:db8::\/32\}\)$/);
    // Ours sit where ours were: after the two dashboard rules, before staging's and the incident rule.
    const position = (ref) => now.findIndex((x) => x.ref === ref);
    assert.ok(position('corp-allow-office') < position('porygon-production-claude-egress-skip'));
    assert.ok(position('porygon-production-admin-allowlist') < position('incident-123'));
    assert.ok(position('porygon-production-admin-allowlist') < position('porygon-staging-claude-egress-skip'));

    fake.calls.length = 0;
    assert.equal((await waf(fake, ['--env', 'production', '--config', cfg, '--rules', file, '--apply'])).code, 0);
    assert.deepEqual(puts(fake), [], 'applying the same file again writes nothing');
  });

  test('an invalid ruleset file is refused before any API call', async () => {
    const broken = {
      'not JSON': () => '{"version": 1,',
      'no version': (f) => void delete f.version,
      'an unknown action': (f) => void (f.phases[CUSTOM][1].action = 'nuke'),
      'an unknown parameter': (f) => void (f.phases[CUSTOM][1].expression = 'ip.src in {{friends}}'),
      'unbalanced parentheses': (f) => void (f.phases[CUSTOM][1].expression = '(http.user_agent eq ""'),
      'a rate limit without cf.colo.id': (f) => void (f.phases[RATELIMIT][0].ratelimit.characteristics = ['ip.src']),
      'a period the API does not offer': (f) => void (f.phases[RATELIMIT][0].ratelimit.period = 45),
      'a duplicate id': (f) => void f.phases[CUSTOM].push({ ...f.phases[CUSTOM][1] }),
      'a bad country code': (f) => void (f.parameters.blockedCountries = ['north korea']),
      'a bad address': (f) => void (f.environments.staging.parameters = { operatorCidrs: ['10.0.0.300/8'] }),
      'a phase it does not manage': (f) => void (f.phases.http_request_sbfm = []),
      'a skip without parameters': (f) => void delete f.phases[CUSTOM][0].action_parameters,
      'an unknown key': (f) => void (f.phases[CUSTOM][2].priority = 1),
    };
    for (const [what, mutate] of Object.entries(broken)) {
      fake.calls.length = 0;
      const r = await waf(fake, ['--env', 'production', '--config', cfg, '--rules', rulesFile(mutate), '--apply']);
      assert.equal(r.code, 2, `${what}: ${r.out}`);
      assert.match(r.stderr, /error: /, what);
      assert.equal(fake.calls.length, 0, `${what}: no API call`);
    }
  });

  test('the zone is the longest suffix of the host that the account has', async () => {
    const c = config({ production: 'mcp.team.example.net' });
    fake.calls.length = 0;
    const r = await waf(fake, ['--env', 'production', '--config', c]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(fake.calls.filter((x) => x.path === '/zones').map((x) => x.query.name), ['team.example.net', 'example.net']);
    assert.match(r.stdout, /on zone example\.net/);
    const none = await waf(fake, ['--env', 'production', '--config', config({ production: 'mcp.nowhere.example' })]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no zone of this account serves mcp\.nowhere\.example/);
  });

  test('refuses an environment without its custom domain', async () => {
    fake.calls.length = 0;
    const r = await waf(fake, ['--env', 'staging', '--config', path.join(REPO, 'wrangler.toml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no custom domain yet .*porygon\.invalid/);
    assert.equal(fake.calls.length, 0);
  });
});

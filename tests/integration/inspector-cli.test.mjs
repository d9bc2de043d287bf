// The MCP Inspector CLI (@modelcontextprotocol/inspector, pinned in package.json) against the
// worker: what a developer runs by hand. It is given a private HOME and catalog/config paths so it
// reads and writes nothing outside a temp dir, and --stored-auth-only so it never starts an
// interactive OAuth flow or opens a browser.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { MCP_URL, REPO_ROOT, CLIENT_IP } from './harness.mjs';

const BIN = path.join(REPO_ROOT, 'node_modules/.bin/mcp-inspector');
const home = mkdtempSync(path.join(os.tmpdir(), 'porygon-inspector-'));

after(() => rmSync(home, { recursive: true, force: true }));

function inspector(args) {
  return new Promise((resolve) => {
    execFile(
      BIN,
      ['--cli', MCP_URL, '--transport', 'http', '--format', 'json', '--stored-auth-only', '--connect-timeout', '15000',
        '--header', `CF-Connecting-IP: ${CLIENT_IP}`, ...args],
      {
        cwd: home,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          MCP_CATALOG_PATH: path.join(home, 'mcp.json'),
          MCP_CLIENT_CONFIG_PATH: path.join(home, 'client.json'),
          BROWSER: 'none',
          NO_COLOR: '1',
          CI: '1',
        },
      },
      (error, stdout, stderr) => {
        let json;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr, json });
      },
    );
  });
}

const show = (r) => `exit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;

describe('MCP Inspector CLI', () => {
  for (const era of ['legacy', 'modern']) {
    test(`tools/list (${era} era) lists get_pokemon`, async () => {
      const r = await inspector(['--method', 'tools/list', '--protocol-era', era]);
      assert.equal(r.code, 0, show(r));
      const tool = r.json?.result?.tools?.find((t) => t.name === 'get_pokemon');
      assert.ok(tool, show(r));
      assert.equal(tool.annotations.readOnlyHint, true);
    });

    test(`tools/call get_pokemon (${era} era)`, async () => {
      const r = await inspector(['--method', 'tools/call', '--tool-name', 'get_pokemon', '--tool-arg', 'name=Garchomp', '--protocol-era', era]);
      assert.equal(r.code, 0, show(r));
      const result = r.json?.result;
      assert.equal(result?.structuredContent?.name, 'Garchomp', show(r));
      assert.ok(result.structuredContent.matchups.immunities.includes('Electric'));
    });
  }

  test('resources/read and prompts/get', async () => {
    const read = await inspector(['--method', 'resources/read', '--uri', 'pokemon://dex/garchomp']);
    assert.equal(read.code, 0, show(read));
    assert.equal(JSON.parse(read.json.result.contents[0].text).name, 'Garchomp');
    const prompt = await inspector(['--method', 'prompts/get', '--prompt-name', 'pokemon_overview', '--prompt-args', 'name=garchomp']);
    assert.equal(prompt.code, 0, show(prompt));
    assert.match(prompt.json.result.messages[0].content.text, /Garchomp/);
  });
});

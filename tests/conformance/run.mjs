// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// package.json) against a running worker, scenario by scenario.
//
// Only the scenarios that test a server's own protocol behaviour are run: the others call fixture
// tools/prompts/resources the suite expects every server under test to ship (test_simple_text,
// test_prompt_with_arguments, ...). Inside a scenario, a check may fail only when the suite itself
// says it was "Not testable" for want of such a fixture; any other failure fails the run.
//
//   node tests/conformance/run.mjs http://127.0.0.1:8799/mcp
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCENARIOS = [
  "server-initialize",
  "server-session-lifecycle",
  "server-stateless",
  "ping",
  "logging-set-level",
  "tools-list",
  "resources-list",
  "prompts-list",
  "dns-rebinding-protection",
  "caching",
  "http-header-validation",
  "sep-2164-resource-not-found",
  "server-sse-multiple-streams",
];

// The suite's DNS-rebinding check requires a localhost URL.
const url = (process.argv[2] ?? `${process.env.PORYGON_URL}/mcp`).replace("127.0.0.1", "localhost");
const bin = join(import.meta.dirname, "../../node_modules/.bin/conformance");
let passed = 0;
let failed = 0;
let untestable = 0;

for (const scenario of SCENARIOS) {
  const out = mkdtempSync(join(tmpdir(), "porygon-conformance-"));
  const run = spawnSync(bin, ["server", "--url", url, "--scenario", scenario, "-o", out], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const checks = readChecks(out);
  if (checks.length === 0) {
    console.log(`✗ ${scenario}: no results (exit ${run.status})\n${run.stdout}\n${run.stderr}`);
    failed++;
    continue;
  }
  const bad = checks.filter((c) => c.status === "FAILURE" && !/^Not testable/.test(c.errorMessage ?? ""));
  untestable += checks.filter((c) => c.status === "FAILURE" && /^Not testable/.test(c.errorMessage ?? "")).length;
  const ok = checks.filter((c) => c.status === "SUCCESS").length;
  if (bad.length === 0) {
    passed++;
    console.log(`✓ ${scenario}: ${ok} checks passed`);
  } else {
    failed++;
    console.log(`✗ ${scenario}:`);
    for (const c of bad) console.log(`    ${c.id}: ${c.errorMessage ?? c.description}`);
  }
}

console.log(`\nconformance: ${untestable} checks not testable without the suite's fixture tools`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function readChecks(dir) {
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "checks.json") found.push(...JSON.parse(readFileSync(p, "utf8")));
    }
  };
  walk(dir);
  return found;
}

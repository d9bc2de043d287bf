// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// package.json) against a running worker, scenario by scenario.
//
// Only the scenarios that test a server's own protocol behaviour are run: the others call fixture
// tools/prompts/resources the suite expects every server under test to ship (test_simple_text,
// test_prompt_with_arguments, ...). Inside a scenario, a check may fail only when the suite itself
// says it was "Not testable" for want of such a fixture; any other failure fails the run.
//
// The suite cannot send custom headers, so it reaches the worker through a small local proxy that
// gives each scenario its own client address (CF-Connecting-IP): scenarios never share a
// rate-limit bucket, whatever their request counts. The proxy's origin must be allowed
// (ALLOWED_ORIGINS) for the DNS-rebinding check.
//
//   node tests/conformance/run.mjs http://127.0.0.1:8799/mcp [proxy-port]
import { spawn } from "node:child_process";
import http from "node:http";
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

const target = new URL(process.argv[2] ?? `${process.env.PORYGON_URL}/mcp`);
const proxyPort = Number(process.argv[3] ?? Number(target.port) + 1);
let scenarioIp = "10.250.0.1";
const proxy = http.createServer((req, res) => {
  const upstream = http.request(
    { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, "cf-connecting-ip": scenarioIp } },
    (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    },
  );
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
});
await new Promise((resolve) => proxy.listen(proxyPort, "127.0.0.1", resolve));
// The suite's DNS-rebinding check requires a localhost URL.
const url = `http://localhost:${proxyPort}${target.pathname}`;
const bin = join(import.meta.dirname, "../../node_modules/.bin/conformance");
let passed = 0;
let failed = 0;
let untestable = 0;

for (const [i, scenario] of SCENARIOS.entries()) {
  scenarioIp = `10.250.${process.pid % 250}.${i + 1}`;
  const out = mkdtempSync(join(tmpdir(), "porygon-conformance-"));
  const run = await runScenario(["server", "--url", url, "--scenario", scenario, "-o", out]);
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

proxy.close();
console.log(`\nconformance: ${untestable} checks not testable without the suite's fixture tools`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function runScenario(args) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

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

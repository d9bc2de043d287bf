#!/usr/bin/env bash
# `make check-fresh-install`: proves that `make deps build` works on a fresh machine. The
# committed HEAD is cloned into a temporary directory and built under `env -i` with an empty
# HOME and an empty CARGO_HOME; PATH holds only rustup's `cargo`, `rustc` and `rustup` proxies
# (linked from a temporary bin directory) and the system directories (node, npm, python3).
# RUSTUP_HOME is a copy of the existing one that keeps only the toolchains rustup installed (links
# to them; any alias an earlier `make deps` made is left out, so the pinned toolchain of
# rust-toolchain.toml is provided afresh): the toolchains themselves are not what is being proven,
# everything installed on top of them (worker-build, wasm-bindgen-cli, npm packages, actionlint,
# shellcheck) is. Then the installed wasm-bindgen must be Cargo.lock's and build/index_bg.wasm must exist.
# Prints the elapsed time of each phase; every output line carries the seconds since the phase
# began. Removes everything it made (KEEP_FRESH_INSTALL=1 keeps it for a post-mortem).
#
# Environment:
#   FRESH_INSTALL_DIR    where the temporary directory goes (default: $TMPDIR or /tmp)
#   FRESH_SYSTEM_PATH    the system part of PATH (default /usr/bin:/bin; GitHub's runners keep
#                        node in /usr/local/bin)
# Only certificate and proxy settings of the calling environment are passed through: they
# describe the network, not the machine's tools.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\033[1m[fresh-install]\033[0m %s\n' "$*"; }
die() { printf '[fresh-install] FAILED: %s\n' "$*" >&2; exit 1; }

rustup_bin=$(command -v rustup) || die "rustup is not on PATH"
rustup_bin=$(readlink -f "$rustup_bin")
real_rustup_home=$(rustup show home)
system_path=${FRESH_SYSTEM_PATH:-/usr/bin:/bin}
sha=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  say "note: the work tree has uncommitted changes; this checks the committed HEAD ${sha:0:12}"
fi

work=$(mktemp -d "${FRESH_INSTALL_DIR:-${TMPDIR:-/tmp}}/porygon-fresh-install.XXXXXX")
cleanup() {
  if [ "${KEEP_FRESH_INSTALL:-}" = 1 ]; then
    say "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
mkdir -p "$work/home" "$work/cargo-home" "$work/bin" "$work/rustup-home/toolchains"
rustup_home=$work/rustup-home
cp "$real_rustup_home/settings.toml" "$rustup_home/"
for toolchain in "$real_rustup_home"/toolchains/*; do
  [ -L "$toolchain" ] || ln -s "$toolchain" "$rustup_home/toolchains/$(basename "$toolchain")"
done
# rustup's proxies decide what to run by the name they are called with.
for tool in cargo rustc rustup; do ln -s "$rustup_bin" "$work/bin/$tool"; done

fresh_path=$work/bin:$system_path
passthrough=()
for var in SSL_CERT_FILE SSL_CERT_DIR NODE_EXTRA_CA_CERTS CARGO_HTTP_CAINFO \
  http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  if [ -n "${!var:-}" ]; then passthrough+=("$var=${!var}"); fi
done
fresh() {
  env -i HOME="$work/home" CARGO_HOME="$work/cargo-home" RUSTUP_HOME="$rustup_home" \
    PATH="$fresh_path" LANG=C.UTF-8 TERM=dumb ${passthrough[@]+"${passthrough[@]}"} "$@"
}

# The clean room really is clean: the system part of PATH has what setup.sh expects of a
# machine, and none of the cargo tools it is supposed to install. (actionlint and shellcheck are
# always run from .tools/bin, so a system shellcheck, as on GitHub's runners, proves nothing away.)
for tool in node npm python3; do
  fresh bash -c "command -v $tool > /dev/null" || die "$tool is not in $system_path (set FRESH_SYSTEM_PATH)"
done
for tool in worker-build wasm-bindgen; do
  if where=$(fresh bash -c "command -v $tool"); then die "$tool is already on the clean PATH: $where"; fi
done
# (Outside the repo: its rust-toolchain.toml names a toolchain only `make deps` provides.)
(cd "$work" && fresh cargo --version > /dev/null) || die "rustup's cargo proxy does not run with RUSTUP_HOME=$rustup_home"
pinned=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)

# Each output line gets the seconds since its phase began; each phase's total is kept.
phases=()
phase() {
  local name=$1 start=$SECONDS status=0
  shift
  say "$name: $*"
  "$@" 2>&1 | while IFS= read -r line; do printf '  [%4ds] %s\n' "$((SECONDS - start))" "$line"; done \
    || status=$?
  phases+=("$(printf '%-28s %4ds (%dm%02ds)' "$name" "$((SECONDS - start))" "$(((SECONDS - start) / 60))" "$(((SECONDS - start) % 60))")")
  [ "$status" = 0 ] || die "$name (exit $status)"
}

clone=$work/porygon
clone_head() {
  git init --quiet "$clone"
  git -C "$clone" fetch --quiet --no-tags "$root" "$sha"
  git -C "$clone" -c advice.detachedHead=false checkout --quiet --detach FETCH_HEAD
}
# `make` runs in the clone, which has no ../shared beside it: deps and build must not need it.
in_clone() { (cd "$clone" && fresh "$@"); }

total_start=$SECONDS
say "HEAD ${sha:0:12} into $work (cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg))"
phase "clone HEAD" clone_head
phase "make deps (empty cargo home)" in_clone make deps
phase "make build" in_clone make build

want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3}' "$clone/Cargo.lock")
have=$("$work/cargo-home/bin/wasm-bindgen" --version | awk '{print $2}')
[ -n "$want" ] && [ "$have" = "$want" ] || die "wasm-bindgen ${have:-missing} installed, Cargo.lock wants ${want:-?}"
[ -x "$work/cargo-home/bin/worker-build" ] || die "worker-build is not in the fresh CARGO_HOME"
[ -s "$clone/build/index_bg.wasm" ] || die "build/index_bg.wasm was not built"
wasm_bytes=$(stat -c %s "$clone/build/index_bg.wasm")
used=$(in_clone rustc --version)
case "$used" in "rustc $pinned "*) ;; *) die "the build ran $used, rust-toolchain.toml pins $pinned" ;; esac

say "elapsed per phase:"
printf '  %s\n' "${phases[@]}"
printf '  %-28s %4ds (%dm%02ds)\n' "total" "$((SECONDS - total_start))" "$(((SECONDS - total_start) / 60))" "$(((SECONDS - total_start) % 60))"
say "ok: $used (rust-toolchain.toml), wasm-bindgen $have matches Cargo.lock, build/index_bg.wasm is $wasm_bytes bytes"

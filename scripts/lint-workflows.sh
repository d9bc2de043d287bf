#!/usr/bin/env bash
# `make lint-workflows`: actionlint (with shellcheck on every `run:` script) over
# .github/workflows, then a canary: a workflow with known mistakes must be rejected with the
# expected findings, so a linter that silently checks nothing (or lost shellcheck) fails here.
# Then every `uses:` of a workflow or local action that is not local (./…) must name a full commit
# SHA with its tag in a comment (`owner/repo@<40 hex> # vX.Y.Z`): a tag can be moved to other
# code, a commit cannot. That check has its canary too.
# actionlint and shellcheck are pinned and installed by scripts/setup.sh (`make deps`).
set -euo pipefail
cd "$(dirname "$0")/.."

root=$PWD
actionlint=$root/.tools/bin/actionlint
shellcheck=$root/.tools/bin/shellcheck
if [ ! -x "$actionlint" ] || [ ! -x "$shellcheck" ]; then
  echo "lint-workflows: actionlint or shellcheck is missing from .tools/bin: run make deps" >&2
  exit 1
fi
lint() { "$actionlint" -no-color -oneline -shellcheck="$shellcheck" -pyflakes= "$@"; }

workflows=(.github/workflows/*.yml)
lint "${workflows[@]}"
echo "actionlint $("$actionlint" -version | head -1 | awk '{print $NF}') + shellcheck $("$shellcheck" --version | awk '/^version:/ {print $2}'): ${#workflows[@]} workflows clean"

canary=$(mktemp -d)
trap 'rm -rf "$canary"' EXIT
mkdir -p "$canary/.github/workflows"
cat > "$canary/.github/workflows/canary.yml" <<'YAML'
name: canary
on:
  push:
    branchs: [main]
jobs:
  canary:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ steps.nope.outputs.x }} > $GITHUB_OUTPUT
YAML
if out=$(cd "$canary" && lint .github/workflows/canary.yml 2>&1); then
  echo "lint-workflows: actionlint accepted a broken workflow: it is not checking anything" >&2
  exit 1
fi
for want in '"branchs" for "push" section' '"github.event.pull_request.title" is potentially untrusted' \
  'property "nope" is not defined' 'SC2086'; do
  if ! grep -qF -- "$want" <<< "$out"; then
    echo "lint-workflows: the canary's findings lack: $want" >&2
    echo "$out" >&2
    exit 1
  fi
done
echo "canary: a broken workflow is rejected (syntax, injection, expression and shellcheck findings)"

# unpinned FILE...: prints each `uses:` that is neither local nor `owner/repo[/path]@<40 hex> # v…`
# (docker:// images must name a sha256 digest); fails when there is one.
unpinned() {
  local file line ref status=0
  for file in "$@"; do
    while IFS= read -r line; do
      ref=$(sed -E 's/^[0-9]+:[[:space:]]*(-[[:space:]]+)?uses:[[:space:]]*//; s/^["'\'']//; s/["'\'']([[:space:]]|$)/\1/' <<< "$line")
      case $ref in
        ./*) continue ;;
        docker://*@sha256:*) continue ;;
      esac
      if ! grep -qE '^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}[[:space:]]+#[[:space:]]*v[0-9][^[:space:]]*' <<< "$ref"; then
        echo "$file:${line%%:*}: not pinned to a commit SHA with its tag in a comment: $ref"
        status=1
      fi
    done < <(grep -nE '^[[:space:]]*(-[[:space:]]+)?uses:' "$file" || true)
  done
  return "$status"
}

pinned_files=(.github/workflows/*.yml .github/actions/*/action.yml)
if ! unpinned "${pinned_files[@]}" >&2; then
  echo "lint-workflows: pin the actions above: owner/repo@<full commit SHA> # vX.Y.Z" >&2
  exit 1
fi
uses_count=$(cat "${pinned_files[@]}" | grep -cE '^[[:space:]]*(-[[:space:]]+)?uses:[[:space:]]*[^.[:space:]]')
echo "pins: ${uses_count} third-party uses in ${#pinned_files[@]} files, each a full commit SHA with its tag"

cat > "$canary/pins.yml" <<'YAML'
    steps:
      - uses: actions/checkout@v5
      - uses: actions/cache@main
      - uses: "actions/upload-artifact@bbbca2d"
      - uses: Swatinem/rust-cache@6323deb102c322ba6fcbdcafc7e3dddab59af2b6
      - uses: docker://alpine:3.20
      - uses: ./.github/actions/setup
      - uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0
    - uses: 'actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae' # v5.0.5
        uses: docker://alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
YAML
if out=$(unpinned "$canary/pins.yml"); then
  echo "lint-workflows: the pin check accepted unpinned actions" >&2
  exit 1
fi
for want in 'pins.yml:2: ' 'pins.yml:3: ' 'pins.yml:4: ' 'pins.yml:5: ' 'pins.yml:6: '; do
  if ! grep -qF -- "$want" <<< "$out"; then
    echo "lint-workflows: the pin check missed line ${want#pins.yml:} of its canary" >&2
    echo "$out" >&2
    exit 1
  fi
done
if [ "$(wc -l <<< "$out")" != 5 ]; then
  echo "lint-workflows: the pin check flagged a pinned or local action in its canary" >&2
  echo "$out" >&2
  exit 1
fi
echo "canary: tags, branches, short SHAs, a SHA without its tag and a docker tag are rejected; pinned and local actions pass"

#!/usr/bin/env bash
# `make lint-workflows`: actionlint (with shellcheck on every `run:` script) over
# .github/workflows, then a canary: a workflow with known mistakes must be rejected with the
# expected findings, so a linter that silently checks nothing (or lost shellcheck) fails here.
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

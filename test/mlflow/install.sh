#!/usr/bin/env bash
# Installs a pinned MLflow (full package: mlflow-skinny has no `mlflow server`) into a virtualenv
# cached outside the clone, keyed by version, so reruns and CI on a warm machine cost nothing.
# Prints the venv path on the last line of stdout. Idempotent.
set -euo pipefail

MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
CACHE="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
DIR="$CACHE/mlflow-$MLFLOW_VERSION"
VENV="$DIR/venv"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

# [auth] brings Flask-WTF, which `mlflow server --app-name basic-auth` needs.
SPEC="mlflow[auth]==$MLFLOW_VERSION"

start=$(date +%s)
# The marker (holding the spec) is written last, so an interrupted install is redone rather than trusted.
installed() { [[ -x "$VENV/bin/mlflow" && "$(cat "$DIR/.installed" 2>/dev/null)" == "$SPEC" ]]; }
if installed; then
  echo "mlflow $MLFLOW_VERSION already installed in $VENV (0 s)" >&2
  echo "$VENV"
  exit 0
fi

mkdir -p "$DIR"
# Concurrent vitest runs (or a parallel make) must not install into the same venv at once.
exec 9>"$DIR/.lock"
flock 9
if ! installed; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SPEC" >&2
  "$VENV/bin/mlflow" --version >&2
  echo "$SPEC" > "$DIR/.installed"
fi
echo "mlflow $MLFLOW_VERSION installed in $VENV in $(( $(date +%s) - start )) s" >&2
echo "$VENV"

#!/usr/bin/env bash
# The real ServiceMonitor CRD (prometheus-operator), so the chart's ServiceMonitor is validated by the API server
# against its actual schema. It ships in the prometheus-operator Go module, fetched from the Go module proxy and
# cached in ~/.cache/memeops. Prints the CRD file's path. Idempotent.
set -euo pipefail
VERSION=v0.79.2
CACHE="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
OUT="$CACHE/prometheus-operator-$VERSION/monitoring.coreos.com_servicemonitors.yaml"
if [[ ! -s $OUT ]]; then
  mkdir -p "$(dirname "$OUT")"
  mod=$(mktemp -d)
  trap 'chmod -R u+w "$mod"; rm -rf "$mod"' EXIT
  dir=$(GOMODCACHE="$mod" GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@$VERSION" |
    sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
fi
echo "$OUT"

#!/usr/bin/env bash
# Usage: install-prometheus.sh [prometheus|promtool]   (default: both, one path a line)
# Puts the Prometheus server and promtool (both from Debian's `prometheus` package) under
# ${MEMEOPS_CACHE:-~/.cache/memeops}/prometheus-<version>/usr/bin/ without installing anything system-wide:
# `apt-get download` + `dpkg -x`, under a lock. Idempotent: a second run only prints the paths. Prints the path of
# each binary asked for on stdout (progress on stderr).
set -euo pipefail
cache="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
mkdir -p "$cache"
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(prometheus promtool)
for b in "${wanted[@]}"; do
  case "$b" in prometheus | promtool) ;; *) echo "install-prometheus: unknown binary '$b' (prometheus or promtool)" >&2; exit 2 ;; esac
done

candidate() { apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}'; }
version="$(candidate)"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  # A fresh machine may have no package lists yet; updating them needs root.
  echo "install-prometheus: no package lists know 'prometheus'; running apt-get update" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2; else sudo -n apt-get update -qq >&2; fi
  version="$(candidate)"
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "install-prometheus: Debian's prometheus package is not available from the configured apt sources" >&2
  exit 1
fi

dir="$cache/prometheus-${version//[:+~]/_}"
complete() { [ -x "$dir/usr/bin/prometheus" ] && [ -x "$dir/usr/bin/promtool" ]; }
if ! complete; then
  exec 9>"$cache/prometheus.lock"
  flock 9
  if ! complete; then
    work="$(mktemp -d "$cache/prometheus-dl.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    echo "install-prometheus: downloading prometheus $version" >&2
    (cd "$work" && apt-get download -q "prometheus=$version" >&2)
    dpkg -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p "$dir/usr/bin"
    # Only the two binaries are kept (no web assets: the tests use the HTTP API, not the UI). Each lands under a
    # temporary name first, so a reader never sees half a file.
    for b in prometheus promtool; do
      [ -x "$work/root/usr/bin/$b" ] || { echo "install-prometheus: the package has no usr/bin/$b" >&2; exit 1; }
      install -m 0755 "$work/root/usr/bin/$b" "$dir/usr/bin/$b.tmp"
      mv "$dir/usr/bin/$b.tmp" "$dir/usr/bin/$b"
    done
  fi
fi
for b in "${wanted[@]}"; do
  "$dir/usr/bin/$b" --version >/dev/null 2>&1 || { echo "install-prometheus: $dir/usr/bin/$b does not run" >&2; exit 1; }
  echo "$dir/usr/bin/$b"
done

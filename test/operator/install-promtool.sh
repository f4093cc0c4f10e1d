#!/usr/bin/env bash
# Puts promtool (from Debian's `prometheus` package) under ${MEMEOPS_CACHE:-~/.cache/memeops}/promtool-<version>/
# without installing anything system-wide: `apt-get download` + `dpkg -x`. Idempotent: a second run only prints
# the path. Prints the promtool path on stdout (progress on stderr).
set -euo pipefail
cache="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
mkdir -p "$cache"

candidate() { apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}'; }
version="$(candidate)"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  # A fresh machine may have no package lists yet; updating them needs root.
  echo "install-promtool: no package lists know 'prometheus'; running apt-get update" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2; else sudo -n apt-get update -qq >&2; fi
  version="$(candidate)"
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "install-promtool: Debian's prometheus package is not available from the configured apt sources" >&2
  exit 1
fi

dir="$cache/promtool-${version//[:+~]/_}"
bin="$dir/usr/bin/promtool"
if [ ! -x "$bin" ]; then
  exec 9>"$cache/promtool.lock"
  flock 9
  if [ ! -x "$bin" ]; then
    work="$(mktemp -d "$cache/promtool-dl.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    echo "install-promtool: downloading prometheus $version" >&2
    (cd "$work" && apt-get download -q "prometheus=$version" >&2)
    dpkg -x "$work"/prometheus_*.deb "$work/root"
    [ -x "$work/root/usr/bin/promtool" ] || { echo "install-promtool: the package has no usr/bin/promtool" >&2; exit 1; }
    mkdir -p "$dir/usr/bin"
    # Only promtool is kept (the server binary is not needed).
    install -m 0755 "$work/root/usr/bin/promtool" "$bin.tmp"
    mv "$bin.tmp" "$bin"
  fi
fi
"$bin" --version >/dev/null 2>&1 || { echo "install-promtool: $bin does not run" >&2; exit 1; }
echo "$bin"

#!/usr/bin/env bash
# Stop the control plane that up.sh started from this checkout and delete its state (etcd data,
# certificates, kubeconfig). Only the processes listed in .memeops/cluster/pids are touched, and
# only while they still run the recorded binary, so a recycled PID is never killed.
# The logs stay in .memeops/cluster/logs/ for a post-mortem; up.sh clears them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ours() { # ours PID BINARY: is PID still that binary? (a rebuilt binary reads "... (deleted)")
  local exe; exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  [[ ${exe% (deleted)} == "$2" ]]
}

if [[ -f $STATE/pids ]]; then
  # One at a time in reverse start order: the apiserver drains cleanly only while etcd is still up,
  # and clients stopped first do not fill the logs with connection errors.
  while read -r name pid bin; do
    ours "$pid" "$bin" || continue
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do ours "$pid" "$bin" || break; sleep 0.1; done
    if ours "$pid" "$bin"; then
      log "$name (pid $pid) still running 10 s after SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    else
      log "stopped $name (pid $pid)"
    fi
  done < <(tac "$STATE/pids")
fi
if [[ -f $STATE/env ]]; then
  etcd_dir=$(sed -n 's/^ETCD_DIR=//p' "$STATE/env")
  [[ $etcd_dir == /dev/shm/memeops-etcd-* ]] && rm -rf "$etcd_dir"
fi
if [[ -d $STATE ]]; then
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  log "cluster stopped; logs kept in $STATE/logs"
fi

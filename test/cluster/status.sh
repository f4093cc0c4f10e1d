#!/usr/bin/env bash
# Is the control plane from this checkout up and healthy? Exit 0 if so, 1 if not.
# --quiet: only the exit status (up.sh and the vitest global setup use it to decide on reuse).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
quiet=""; [[ ${1:-} == --quiet ]] && quiet=1
say() { [[ -n $quiet ]] || echo "$@"; }

[[ -f $STATE/pids && -f $KUBECONFIG_PATH ]] || { say "cluster: not running (no $KUBECONFIG_PATH)"; exit 1; }
healthy=1 total_kb=0
while read -r name pid bin; do
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  if [[ ${exe% (deleted)} == "$bin" ]]; then
    kb=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status"); total_kb=$((total_kb + kb))
    say "$(printf '%-24s pid %-8s running  rss %5d MiB' "$name" "$pid" $((kb / 1024)))"
  else
    healthy=""; say "$(printf '%-24s pid %-8s NOT RUNNING (see %s)' "$name" "$pid" "$STATE/logs/$name.log")"
  fi
done <"$STATE/pids"
[[ -n $healthy ]] || exit 1
# A cluster started before Kueue joined up.sh lacks it: unhealthy, so up.sh replaces it.
grep -q '^kueue ' "$STATE/pids" || { say "kueue: not started by this cluster's up.sh (run make cluster-down)"; exit 1; }
say "$(printf '%-24s %16s rss %5d MiB' "total" "" $((total_kb / 1024)))"

k() { kubectl --kubeconfig="$KUBECONFIG_PATH" --request-timeout=5s "$@"; }
k get --raw /readyz >/dev/null 2>&1 || { say "kube-apiserver: /readyz not ok"; exit 1; }
node=$(k get node kwok-gpu-node-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status} gpus={.status.allocatable.nvidia\.com/gpu}' 2>/dev/null)
[[ $node == True* ]] || { say "node kwok-gpu-node-0 not Ready ($node)"; exit 1; }
kueue_port=$(sed -n 's/^KUEUE_HEALTH_PORT=//p' "$STATE/env")
curl -fsS "http://127.0.0.1:$kueue_port/readyz" >/dev/null 2>&1 || { say "kueue: /readyz not ok"; exit 1; }
say "kube-apiserver: $(k config view --minify -o jsonpath='{.clusters[0].cluster.server}') ready; node kwok-gpu-node-0 Ready, $node"
say "export KUBECONFIG=$KUBECONFIG_PATH"

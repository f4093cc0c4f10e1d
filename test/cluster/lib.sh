# Shared settings for the test control plane scripts (sourced, not run).
# Versions are pinned here and only here; the binary cache is keyed by them.

K8S_VERSION=v1.33.13   # kube-apiserver/-controller-manager/-scheduler; pairs with kubectl 1.32
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.17.4
KUEUE_VERSION=v0.14.8 # newest on the proxy whose e2e matrix has Kubernetes 1.33 and whose CRDs need no conversion webhook

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${MEMEOPS_CACHE:-$HOME/.cache/memeops}"
K8S_BIN="$CACHE/k8s-$K8S_VERSION/bin"     # kube-* and the etcd that release was tested with
KWOK_BIN="$CACHE/kwok-$KWOK_VERSION/bin"
HELM_BIN="$CACHE/helm-$HELM_VERSION/bin"
KUEUE_BIN="$CACHE/kueue-$KUEUE_VERSION/bin"  # the manager and, in crds/, the CRDs from the same module

STATE="$REPO_ROOT/.memeops/cluster"        # kubeconfig, certs, logs, pids (git-ignored)
KUBECONFIG_PATH="$STATE/kubeconfig"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

#!/usr/bin/env bash
# Build (once) the control-plane binaries the cluster tests run, into a cache outside the clone.
# No package ships kube-apiserver, so everything comes from the Go module proxy; a second run
# finds the binaries and returns at once. Safe to run concurrently (flock).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Module and build caches live next to the binaries so one directory is all a CI cache needs.
# -modcacherw keeps the module cache deletable with plain rm -rf.
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"
export GOFLAGS="-modcacherw -buildvcs=false" CGO_ENABLED=0
command -v go >/dev/null || die "go is required to build the control plane (https://go.dev/dl)"
mkdir -p "$CACHE"
exec 9>"$CACHE/build.lock"
flock -n 9 || { log "another build.sh is running (e.g. started early in the background); waiting for it"; flock 9; }

# have DIR NAMES...: all binaries present and the stamp written after a complete build.
have() { local d=$1; shift; [[ -f $d/.complete ]] || return 1; for b; do [[ -x $d/$b ]] || return 1; done; }
# timed LABEL CMD...: run a build step, report how long it took.
timed() {
  local label=$1 t0=$SECONDS; shift
  log "building $label ..."
  "$@"
  log "built $label in $((SECONDS - t0)) s"
}

build_k8s() {
  local out="$CACHE/k8s-$K8S_VERSION" minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local staging="v0.${K8S_VERSION#v1.}" src="$out/src"
  rm -rf "$src" "$out/bin.tmp"; mkdir -p "$src" "$out/bin.tmp"
  # k8s.io/kubernetes requires its ~30 staging modules at v0.0.0 and points them at ./staging with
  # replace lines, which Go ignores outside the main module. Re-point each at its published tag,
  # taking the list from that release's own go.mod so a version bump needs no edit here.
  # `go mod download` rather than curl: it honours GOPROXY/GOPRIVATE and checks the checksum database.
  local meta; meta=$(cd "$src" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION")
  local mod; mod=$(<"$(sed -n 's/.*"GoMod": "\(.*\)",/\1/p' <<<"$meta")")
  local info; info=$(<"$(sed -n 's/.*"Info": "\(.*\)",/\1/p' <<<"$meta")")
  {
    echo "module memeops.local/k8s-build"
    echo "go $(sed -n 's/^go //p' <<<"$mod")"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging"'#p' <<<"$mod"
    echo ")"
  } >"$src/go.mod"
  # Without these ldflags every binary reports v0.0.0 and kubectl warns about version skew.
  local date; date=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' <<<"$info")
  local x="" pkg kv
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for kv in gitVersion=$K8S_VERSION gitMajor=1 gitMinor=$minor gitTreeState=clean buildDate=$date; do
      x+=" -X $pkg.$kv"
    done
  done
  # One invocation for all four so the shared packages compile once. etcd is built from the
  # server/v3 version this Kubernetes release itself requires (the one it is tested against).
  (cd "$src" && go build -mod=mod -trimpath -ldflags "-s -w$x" -o "$out/bin.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler go.etcd.io/etcd/server/v3)
  mv "$out/bin.tmp/server" "$out/bin.tmp/etcd" # go names a .../server/v3 binary "server"
  rm -rf "$out/bin" && mv "$out/bin.tmp" "$out/bin" && touch "$out/bin/.complete"
}

# go_install DIR PKG@VERSION [LDFLAGS]: a plain `go install` (kwok and helm have no replace lines).
go_install() {
  rm -rf "$1.tmp"; mkdir -p "$1.tmp"
  GOBIN="$1.tmp" go install -trimpath -ldflags "-s -w ${3:-}" "$2"
  rm -rf "$1" && mv "$1.tmp" "$1" && touch "$1/.complete"
}

have "$K8S_BIN" kube-apiserver kube-controller-manager kube-scheduler etcd ||
  timed "kube-apiserver, kube-controller-manager, kube-scheduler, etcd ($K8S_VERSION)" build_k8s
have "$KWOK_BIN" kwok || timed "kwok $KWOK_VERSION" go_install "$KWOK_BIN" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
# helm's release build stamps its version and the Kubernetes version it assumes offline (for
# `helm template`'s .Capabilities.KubeVersion and lint's deprecation checks: the client-go minor
# it was built with). Without them the binary says "v3.17" and assumes Kubernetes 1.20.
build_helm() {
  local mod minor
  mod=$(cd "$CACHE" && go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  minor=$(sed -n 's#^\s*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$mod")
  go_install "$HELM_BIN" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
}
have "$HELM_BIN" helm || timed "helm $HELM_VERSION" build_helm
# Kueue's manager (plain go install: its go.mod has no replace lines) and its CRDs, which the module
# zip carries in config/components/crd/bases; copied next to the binary so up.sh needs no module cache.
build_kueue() {
  local dir commit
  dir=$(cd "$CACHE" && go mod download -json "sigs.k8s.io/kueue@$KUEUE_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  commit=$(cd "$CACHE" && go mod download -json "sigs.k8s.io/kueue@$KUEUE_VERSION" | sed -n 's/.*"Hash": "\(.*\)",*/\1/p')
  go_install "$KUEUE_BIN" "sigs.k8s.io/kueue/cmd/kueue@$KUEUE_VERSION" \
    "-X sigs.k8s.io/kueue/pkg/version.GitVersion=$KUEUE_VERSION -X sigs.k8s.io/kueue/pkg/version.GitCommit=$commit"
  rm -rf "$KUEUE_BIN/crds.tmp" && mkdir "$KUEUE_BIN/crds.tmp"
  cp "$dir"/config/components/crd/bases/*.yaml "$KUEUE_BIN/crds.tmp/" && mv "$KUEUE_BIN/crds.tmp" "$KUEUE_BIN/crds"
}
have "$KUEUE_BIN" kueue crds || timed "kueue $KUEUE_VERSION" build_kueue

log "binaries ready in $CACHE:"
du -sh "$K8S_BIN"/* "$KWOK_BIN/kwok" "$HELM_BIN/helm" "$KUEUE_BIN/kueue" | sed 's/^/  /' >&2

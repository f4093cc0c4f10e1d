#!/usr/bin/env bash
# Print the path of a binary build.sh made (helm, kwok, etcd, kube-apiserver, kueue, ...), so other
# tests and Makefile targets need not know the cache layout: HELM=$(bash test/cluster/which.sh helm)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
for dir in "$K8S_BIN" "$KWOK_BIN" "$HELM_BIN" "$KUEUE_BIN"; do
  [[ -x $dir/${1:?usage: which.sh NAME} ]] && { echo "$dir/$1"; exit 0; }
done
die "$1 is not built: run test/cluster/build.sh"

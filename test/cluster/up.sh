#!/usr/bin/env bash
# Start a real Kubernetes control plane on loopback for the cluster tests: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok playing the kubelet of the fake nodes, and Kueue's manager.
# Idempotent: a healthy cluster started from this checkout is reused; a broken one is replaced.
# Writes .memeops/cluster/kubeconfig; logs go to .memeops/cluster/logs/.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"

if "$HERE/status.sh" --quiet; then
  log "reusing the healthy cluster already running from this checkout ($KUBECONFIG_PATH)"
  exit 0
fi
[[ -f $STATE/pids ]] && { log "found a broken cluster from an earlier run; stopping it"; "$HERE/down.sh"; }
for b in etcd kube-apiserver kube-controller-manager kube-scheduler; do
  [[ -x $K8S_BIN/$b ]] || die "$K8S_BIN/$b missing: run test/cluster/build.sh first"
done
[[ -x $KWOK_BIN/kwok ]] || die "$KWOK_BIN/kwok missing: run test/cluster/build.sh first"
[[ -x $KUEUE_BIN/kueue && -d $KUEUE_BIN/crds ]] || die "$KUEUE_BIN/kueue missing: run test/cluster/build.sh first"
for t in kubectl openssl curl ss setsid; do command -v "$t" >/dev/null || die "$t is required"; done

t0=$EPOCHREALTIME
rm -rf "$STATE" && mkdir -p "$STATE/pki" "$STATE/logs"
# etcd on tmpfs: the data is throwaway and fsync on a disk would dominate API latency.
# The path is keyed by the checkout so two clones on one machine do not share it.
ETCD_DIR="/dev/shm/memeops-etcd-$(printf '%s' "$REPO_ROOT" | md5sum | cut -c1-12)"
rm -rf "$ETCD_DIR"

# Free loopback ports, chosen at random below the ephemeral range (32768+) so neither parallel
# checkouts nor outgoing connections are likely to take one between the check and the bind.
declare -A taken=()
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % 22000))
    [[ -z ${taken[$p]:-} ]] || continue
    ss -Htln "sport = :$p" | grep -q . && continue
    taken[$p]=1; echo "$p"; return
  done
}
ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
KCM_PORT=$(free_port); SCHED_PORT=$(free_port)
KUEUE_HEALTH_PORT=$(free_port); KUEUE_METRICS_PORT=$(free_port); KUEUE_WEBHOOK_PORT=$(free_port)
API="https://127.0.0.1:$API_PORT"

# --- credentials: one CA, a serving cert, service-account keys, static bearer tokens ---------
pki="$STATE/pki"
openssl_q() { openssl "$@" 2>/dev/null; }
openssl_q req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=memeops-test-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
openssl_q req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr"
# 10.0.0.1 is the first IP of the service range: in-cluster clients reach "kubernetes" there.
printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' >"$pki/san.ext"
openssl_q x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 30 -extfile "$pki/san.ext" -out "$pki/apiserver.crt"
openssl_q genrsa -out "$pki/sa.key" 2048
openssl_q rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
token() { openssl rand -hex 24; }
ADMIN_TOKEN=$(token) KCM_TOKEN=$(token) SCHED_TOKEN=$(token) KWOK_TOKEN=$(token) KUEUE_TOKEN=$(token)
# Controller-manager and scheduler get their real identities, so the bootstrap RBAC roles apply
# as in a kubeadm cluster; kwok stands in for kubelets and gets admin rights like the tests,
# and so does Kueue (its release RBAC is not installed).
cat >"$pki/tokens.csv" <<EOF
$ADMIN_TOKEN,memeops-admin,uid-admin,"system:masters"
$KCM_TOKEN,system:kube-controller-manager,uid-kcm
$SCHED_TOKEN,system:kube-scheduler,uid-scheduler
$KWOK_TOKEN,memeops-kwok,uid-kwok,"system:masters"
$KUEUE_TOKEN,memeops-kueue,uid-kueue,"system:masters"
EOF
chmod 600 "$pki"/*.key "$pki/tokens.csv"

kubeconfig() { # kubeconfig FILE TOKEN
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: memeops-test
  cluster:
    server: $API
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: user
  user:
    token: $2
contexts:
- name: memeops-test
  context: {cluster: memeops-test, user: user, namespace: default}
current-context: memeops-test
EOF
  chmod 600 "$1"
}
kubeconfig "$STATE/kcm.kubeconfig" "$KCM_TOKEN"
kubeconfig "$STATE/scheduler.kubeconfig" "$SCHED_TOKEN"
kubeconfig "$STATE/kwok.kubeconfig" "$KWOK_TOKEN"
kubeconfig "$STATE/kueue.kubeconfig" "$KUEUE_TOKEN"
# The admin kubeconfig is written last, after readiness, so its presence means "usable".

# --- processes ---------------------------------------------------------------------------------
# setsid: the components must outlive this script and the terminal or vitest that ran it.
# The pids file records "name pid exe" so down.sh can check it stops exactly these processes.
start() { # start NAME BINARY ARGS...
  local name=$1 bin=$2; shift 2
  setsid "$bin" "$@" </dev/null >"$STATE/logs/$name.log" 2>&1 &
  echo "$name $! $bin" >>"$STATE/pids"
}
# wait_for WHAT SECONDS CMD...: poll until CMD succeeds; on timeout show the logs' tails.
wait_for() {
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out waiting for $what; last log lines:"
      tail -n 15 "$STATE"/logs/*.log >&2
      exit 1
    fi
    # A component that died will not come back: fail fast instead of waiting out the timeout.
    while read -r name pid _; do
      kill -0 "$pid" 2>/dev/null || { log "$name exited; see $STATE/logs/$name.log"; tail -n 20 "$STATE/logs/$name.log" >&2; exit 1; }
    done <"$STATE/pids"
    sleep 0.2
  done
}
cat >"$STATE/env" <<EOF
ETCD_DIR=$ETCD_DIR
API_PORT=$API_PORT
ETCD_PORT=$ETCD_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
KUEUE_HEALTH_PORT=$KUEUE_HEALTH_PORT
EOF
: >"$STATE/pids"
# Whatever goes wrong from here on, leave nothing running behind (logs stay for the post-mortem).
ready=""
trap '[[ -n $ready ]] || { log "start failed; stopping what was started"; "$HERE/down.sh" || true; }' EXIT

start etcd "$K8S_BIN/etcd" --name=memeops --data-dir="$ETCD_DIR" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="memeops=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level=warn
wait_for "etcd" 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

# --endpoint-reconciler-type=none: the "kubernetes" Service cannot point at a loopback address
# (the apiserver would log a refusal every 10 s), and no real pod ever needs to reach it here.
# PodNodeSelector + PodTolerationRestriction: a namespace's annotations can place all its pods on a
# node pool (the e2e tests send theirs to kwok-runner-node-0 this way, without touching pod specs).
start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
  --requestheader-client-ca-file="$pki/ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 --allow-privileged=true --profiling=false \
  --endpoint-reconciler-type=none --enable-admission-plugins=PodNodeSelector,PodTolerationRestriction
wait_for "kube-apiserver /readyz" 60 curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" "$API/readyz"

# The requestheader flags publish a front-proxy CA in extension-apiserver-authentication; without
# them the controller-manager and scheduler log errors while setting up delegated authentication.
# --node-monitor-period=1s: the node's not-ready taint is lifted a second after kwok reports Ready
# instead of up to 5 s later, which is most of a warm start.
start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$STATE/kcm.kubeconfig" \
  --authentication-kubeconfig="$STATE/kcm.kubeconfig" --authorization-kubeconfig="$STATE/kcm.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false --node-monitor-period=1s \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --controllers=node-lifecycle-controller,job-controller,cronjob-controller,ttl-after-finished-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,deployment-controller,replicaset-controller,pod-garbage-collector-controller,resourcequota-controller
start kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig="$STATE/scheduler.kubeconfig" --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false
# The node gets no taint of ours, so test pods need no tolerations. The apiserver adds the
# not-ready taint at creation and node-lifecycle-controller lifts it once kwok reports Ready and
# renews the node's Lease, as on a real cluster. kwok only manages nodes with the annotation below.
KUBECTL=(kubectl --kubeconfig="$STATE/kwok.kubeconfig")
"${KUBECTL[@]}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-gpu-node-0
  annotations: {kwok.x-k8s.io/node: fake}
  labels:
    kubernetes.io/hostname: kwok-gpu-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
    nvidia.com/gpu.present: "true"
status:
  capacity: &res {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "8", ephemeral-storage: 1Ti}
  allocatable: *res
---
# The e2e node: test/e2e/pod-runner.ts runs the real command of each pod bound here as a local process.
# Its taint keeps every other test's pods off it; e2e namespaces add the toleration and node selector
# through the namespace annotations of the two admission plugins enabled above.
apiVersion: v1
kind: Node
metadata:
  name: kwok-runner-node-0
  annotations: {kwok.x-k8s.io/node: fake}
  labels:
    kubernetes.io/hostname: kwok-runner-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
    memeops.io/node-role: e2e-runner
    nvidia.com/gpu.present: "true"
spec:
  taints: [{key: memeops.io/e2e-runner, value: local, effect: NoSchedule}]
status:
  capacity: {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "8", ephemeral-storage: 1Ti}
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", nvidia.com/gpu: "8", ephemeral-storage: 1Ti}
EOF
start kwok "$KWOK_BIN/kwok" --kubeconfig="$STATE/kwok.kubeconfig" \
  --config="$HERE/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.1/16 --node-ip=10.255.0.1

# Kueue: its CRDs (server-side: the Workload CRD is too big for the last-applied annotation), the namespace and the
# empty Secret its internal certificate management fills (as its release manifests create them), then the manager.
# No webhook configuration is registered: the apiserver could not verify the certificate Kueue issues for its
# in-cluster Service name on a loopback URL, and memeops creates queued Jobs suspended itself, which is what
# Kueue's Job webhook would add. Its webhook server still listens, on a loopback port nobody calls.
"${KUBECTL[@]}" apply --server-side -f "$KUEUE_BIN/crds" >/dev/null
"${KUBECTL[@]}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: kueue-system}
---
apiVersion: v1
kind: Secret
metadata: {name: kueue-webhook-server-cert, namespace: kueue-system}
EOF
mkdir -p -m 700 "$STATE/kueue-certs"
cat >"$STATE/kueue-config.yaml" <<EOF
apiVersion: config.kueue.x-k8s.io/v1beta1
kind: Configuration
namespace: kueue-system
health: {healthProbeBindAddress: "127.0.0.1:$KUEUE_HEALTH_PORT"}
metrics: {bindAddress: "127.0.0.1:$KUEUE_METRICS_PORT"}
webhook: {host: 127.0.0.1, port: $KUEUE_WEBHOOK_PORT, certDir: "$STATE/kueue-certs"}
leaderElection: {leaderElect: false}
internalCertManagement: {enable: true, webhookServiceName: kueue-webhook-service, webhookSecretName: kueue-webhook-server-cert}
integrations: {frameworks: [batch/job]}
EOF
"${KUBECTL[@]}" wait --for=condition=Established --timeout=60s -f "$KUEUE_BIN/crds" >/dev/null
# VisibilityOnDemand off: that API server delegates authentication through in-cluster config, which a process outside
# any pod lacks (it exits "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined").
start kueue "$KUEUE_BIN/kueue" --config="$STATE/kueue-config.yaml" --kubeconfig="$STATE/kueue.kubeconfig" \
  --feature-gates=VisibilityOnDemand=false
# Kueue's cert rotator fills the Secret and then waits for the files to appear in certDir, where a kubelet would
# mount the Secret in a pod: this script plays that kubelet (key first, the certificate it waits for last).
kueue_certs() {
  local d="$STATE/kueue-certs" crt key
  crt=$("${KUBECTL[@]}" get secret -n kueue-system kueue-webhook-server-cert -o jsonpath='{.data.tls\.crt}') && [[ -n $crt ]] || return 1
  key=$("${KUBECTL[@]}" get secret -n kueue-system kueue-webhook-server-cert -o jsonpath='{.data.tls\.key}') && [[ -n $key ]] || return 1
  base64 -d <<<"$key" >"$d/tls.key" && base64 -d <<<"$crt" >"$d/tls.crt.tmp" && mv "$d/tls.crt.tmp" "$d/tls.crt"
}
wait_for "kueue's webhook certificate" 60 kueue_certs

wait_for "the default service account" 60 "${KUBECTL[@]}" get serviceaccount default -n default
wait_for "node kwok-gpu-node-0 Ready" 60 "${KUBECTL[@]}" wait --for=condition=Ready node/kwok-gpu-node-0 --timeout=1s
untainted() { [[ -z $("${KUBECTL[@]}" get node kwok-gpu-node-0 -o jsonpath='{.spec.taints}') ]]; }
wait_for "node kwok-gpu-node-0 untainted" 60 untainted
wait_for "node kwok-runner-node-0 Ready" 60 "${KUBECTL[@]}" wait --for=condition=Ready node/kwok-runner-node-0 --timeout=1s
wait_for "kube-controller-manager /healthz" 30 curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
wait_for "kube-scheduler /healthz" 30 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"
# ready once its certificates are in place and its controllers set up
wait_for "kueue /readyz" 60 curl -fsS "http://127.0.0.1:$KUEUE_HEALTH_PORT/readyz"

kubeconfig "$KUBECONFIG_PATH.tmp" "$ADMIN_TOKEN" && mv "$KUBECONFIG_PATH.tmp" "$KUBECONFIG_PATH"
ready=1
log "cluster ready in $(awk "BEGIN{printf \"%.1f\", $EPOCHREALTIME - $t0}") s: export KUBECONFIG=$KUBECONFIG_PATH"

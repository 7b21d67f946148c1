#!/usr/bin/env bash
# Proves a running harness cluster does what the end-to-end suite relies on, with real kubectl and helm:
# node Ready, a Deployment from a locally built image (loaded the kit's way: docker save | ctr import), host ->
# ClusterIP, pod -> Service DNS, a PVC bound on the default StorageClass, policy/v1 + autoscaling/v2 + Pod Security
# admission, and `helm install --wait`. Exits non-zero on the first failure. Usage: smoke.sh [helm-binary]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -f "$ENV_FILE" ] || die "no cluster is up: run $HARNESS_DIR/up.sh first"
source "$ENV_FILE"; export KUBECONFIG
HELM=${1:-${HELM:-helm}}
command -v "$HELM" >/dev/null || die "helm not found; pass its path: $0 /path/to/helm"
k() { "$KUBECTL" "$@"; }
T0=$SECONDS
ok() { printf '  ok  %-58s %4ss\n' "$*" "$((SECONDS - T0))"; }
fail() { printf '  FAIL %s\n' "$*" >&2; k get pods -A -o wide >&2 || true; exit 1; }
NS=todo-e2e-smoke
trap 'k delete ns $NS --wait=false >/dev/null 2>&1 || true' EXIT

k get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True || fail "node not Ready"
ok "node $NODE_NAME Ready"
server=$(k version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)
[ "$server" = "$K8S_VERSION" ] || fail "server reports $server, want $K8S_VERSION"
ok "server version $server"
apis=$(k api-versions)   # captured first: grep -q closing the pipe early would fail kubectl under pipefail
for api in policy/v1 autoscaling/v2; do grep -qx "$api" <<<"$apis" || fail "$api not served"; done
ok "policy/v1 and autoscaling/v2 served"

# a locally built image, loaded the way the kit's containerd load method does it
img=local/todo-e2e-smoke:1
ctx=$(mktemp -d); cp /bin/busybox "$ctx/"; cp "$HARNESS_DIR/smoke/Dockerfile" "$ctx/"
docker build -q -t "$img" --build-arg BASE_IMAGE="${SMOKE_BASE_IMAGE:-local/debian:trixie}" "$ctx" >/dev/null; rm -rf "$ctx"
docker save "$img" | ctr --address "$CONTAINERD_ADDRESS" -n k8s.io images import - >/dev/null
ok "image $img built and imported"

k create ns "$NS" >/dev/null
k label ns "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
if k -n "$NS" run privileged --image="$img" --image-pull-policy=Never --privileged >/dev/null 2>&1; then
  fail "a privileged pod was admitted into a namespace enforcing the restricted Pod Security level"
fi
ok "Pod Security admission rejects a privileged pod"
k label ns "$NS" pod-security.kubernetes.io/enforce=baseline --overwrite >/dev/null

k -n "$NS" create deployment web --image="$img" --replicas=2 --port=8080 >/dev/null
k -n "$NS" patch deployment web --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/imagePullPolicy","value":"Never"}]' >/dev/null
k -n "$NS" expose deployment web --port=80 --target-port=8080 >/dev/null
k -n "$NS" rollout status deployment/web --timeout=120s >/dev/null || fail "deployment web not Ready"
ok "Deployment web (2 replicas) Ready"
ip=$(k -n "$NS" get svc web -o jsonpath='{.spec.clusterIP}')
for _ in $(seq 1 50); do curl -sf --max-time 2 "http://$ip/" | grep -q "smoke ok" && break; sleep 0.2; done
curl -sf --max-time 2 "http://$ip/" | grep -q "smoke ok" || fail "host -> ClusterIP $ip did not answer"
ok "host -> ClusterIP $ip answers"

# bash's /dev/tcp resolves through the image's own glibc (static busybox's wget cannot use NSS)
k -n "$NS" run client --image="$img" --image-pull-policy=Never --restart=Never --command -- bash -c \
  "exec 3<>/dev/tcp/web.$NS.svc.cluster.local/80 && printf 'GET / HTTP/1.0\\r\\nHost: web\\r\\n\\r\\n' >&3 && cat <&3" >/dev/null
k -n "$NS" wait pod/client --for=jsonpath='{.status.phase}'=Succeeded --timeout=60s >/dev/null \
  || { k -n "$NS" logs client >&2 || true; fail "pod -> http://web.$NS.svc.cluster.local failed"; }
k -n "$NS" logs client | grep -q "smoke ok" || fail "pod -> Service by DNS name returned the wrong body"
ok "pod -> Service by DNS name (CoreDNS) answers"

k -n "$NS" apply -f - >/dev/null <<EOY
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 65534, fsGroup: 65534}
  containers:
  - name: w
    image: $img
    imagePullPolicy: Never
    command: [/usr/local/bin/busybox, sh, -c, "echo persisted > /data/f && /usr/local/bin/busybox cat /data/f"]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
EOY
k -n "$NS" wait pod/writer --for=jsonpath='{.status.phase}'=Succeeded --timeout=90s >/dev/null \
  || { k -n "$NS" describe pvc data >&2; fail "pod with a PVC on the default StorageClass did not complete"; }
[ "$(k -n "$NS" get pvc data -o jsonpath='{.status.phase}')" = Bound ] || fail "PVC data not Bound"
k -n "$NS" logs writer | grep -q persisted || fail "volume write not read back"
ok "PVC (no class given) Bound by the default StorageClass, writable"

chart=$(mktemp -d)
(cd "$chart" && "$HELM" create web >/dev/null)
t=$SECONDS
"$HELM" install smoke "$chart/web" -n "$NS" --wait --timeout 120s --set replicaCount=2 \
  --set image.repository=local/todo-e2e-smoke --set image.tag=1 --set image.pullPolicy=Never \
  --set service.port=8080 >/dev/null || fail "helm install --wait failed"
ok "helm install --wait of a 2-replica chart ($((SECONDS - t))s)"
rm -rf "$chart"
"$HELM" uninstall smoke -n "$NS" --wait >/dev/null
echo "smoke: all checks passed in $((SECONDS - T0))s"

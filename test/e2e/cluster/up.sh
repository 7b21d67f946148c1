#!/usr/bin/env bash
# Brings up the throwaway single-node cluster (building its binaries first if they are not cached) and prints
#   KUBECONFIG=<path>
#   CONTAINERD_ADDRESS=<socket>
#   REGISTRY=localhost:5000      (a registry on loopback, for LOAD_METHOD=registry)
# (also written to $STATE_DIR/cluster.env). Idempotent: a healthy running cluster is left as it is; a half-running
# one is torn down and started afresh. Stop it with down.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "the cluster runs kubelet, containerd and iptables: run as root (sudo $0)"

T0=$SECONDS
since() { echo "$((SECONDS - T0))s"; }
kc() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)

report() {
  printf 'KUBECONFIG=%s\nCONTAINERD_ADDRESS=%s\nCONTAINERD_NAMESPACE=k8s.io\nKUBECTL=%s\nREGISTRY=%s\n' \
    "$KUBECONFIG_PATH" "$CONTAINERD_SOCK" "$BIN_DIR/kubectl" "$REGISTRY_HOST" > "$ENV_FILE"
  cat "$ENV_FILE"
}

# The registry beside the cluster (LOAD_METHOD=registry pushes there, the node pulls from it). Not part of healthy():
# a cluster started before it existed gets it without a restart.
registry_up() {
  alive registry && return 0
  local port=${REGISTRY_ADDR##*:}
  [ -z "$(ss -Hltn "sport = :$port")" ] || die "port $port is taken; stop what listens there (ss -ltnp 'sport = :$port')"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$ETC_DIR" "$STATE_DIR/registry"
  printf 'version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\nhttp: {addr: "%s"}\n' \
    "$STATE_DIR/registry" "$REGISTRY_ADDR" > "$ETC_DIR/registry.yml"
  nohup "$ADDON_DIR/registry-$REGISTRY_VERSION" serve "$ETC_DIR/registry.yml" > "$LOG_DIR/registry.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/registry.pid"
  for _ in $(seq 1 100); do [ -n "$(ss -Hltn "sport = :$port")" ] && return 0; sleep 0.1; done
  die "the registry did not start; see $LOG_DIR/registry.log"
}

healthy() {
  local c; for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done
  kc get --raw /readyz >/dev/null 2>&1
}

"$HARNESS_DIR/build.sh" >/dev/null
if healthy; then registry_up; log "cluster already running"; report; exit 0; fi
if [ -d "$STATE_DIR" ]; then log "leftovers of an earlier cluster: tearing them down first"; "$HARNESS_DIR/down.sh"; fi

waitfor() { # what timeout-seconds command...
  local what=$1 until=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || die "$what not ready after $((SECONDS - T0))s; see $LOG_DIR/ (then: $HARNESS_DIR/down.sh)"
    sleep 0.3
  done
  log "$what ready ($(since))"
}
start() { # name command...
  local n=$1; shift
  nohup "$@" > "$LOG_DIR/$n.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/$n.pid"
}
# listening sockets are looked up, never connected to (the node address is not on lo yet)
for port in 2379 2380 6443 10248 10249 10250 10256 10257 10259; do
  [ -z "$(ss -Hltn "sport = :$port")" ] || die "port $port is taken; stop what listens there (ss -ltnp 'sport = :$port')"
done

mkdir -p "$RUN_DIR" "$LOG_DIR" "$ETC_DIR" "$STATE_DIR/etcd" "$STATE_DIR/kubelet" "$STATE_DIR/pod-logs" \
  "$STATE_DIR/cni/net.d" "$STATE_DIR/volumes" "$STATE_DIR/containerd"
"$HARNESS_DIR/pki.sh"

# --- network: node address, and a guard so nothing for the cluster's ranges ever leaves the machine ---
ip addr show dev "$NODE_IF" | grep -q " $NODE_IP/32 " || ip addr add "$NODE_IP/32" dev "$NODE_IF"
iptables -t mangle -N "$GUARD_CHAIN" 2>/dev/null || iptables -t mangle -F "$GUARD_CHAIN"
iptables -t mangle -A "$GUARD_CHAIN" -o lo -j RETURN
iptables -t mangle -A "$GUARD_CHAIN" -o "$CNI_BRIDGE" -j RETURN
for cidr in "$SERVICE_CIDR" "$POD_CIDR" "$NODE_CIDR"; do iptables -t mangle -A "$GUARD_CHAIN" -d "$cidr" -j DROP; done
iptables -t mangle -C POSTROUTING -j "$GUARD_CHAIN" 2>/dev/null || iptables -t mangle -I POSTROUTING -j "$GUARD_CHAIN"
sysctl -qw net.ipv4.ip_forward=1
[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1

# --- control plane ---
start etcd "$BIN_DIR/etcd" --name todo-e2e --data-dir "$STATE_DIR/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster todo-e2e=http://127.0.0.1:2380 --log-level warn \
  --quota-backend-bytes 2147483648 --unsafe-no-fsync
waitfor etcd 30 curl -sf http://127.0.0.1:2379/health

P=$PKI_DIR
start kube-apiserver "$BIN_DIR/kube-apiserver" --advertise-address="$NODE_IP" --bind-address="$NODE_IP" \
  --secure-port=6443 --etcd-servers=http://127.0.0.1:2379 --service-cluster-ip-range="$SERVICE_CIDR" \
  --client-ca-file="$P/ca.crt" --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
  --kubelet-certificate-authority="$P/ca.crt" \
  --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --kubelet-preferred-address-types=InternalIP --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction --allow-privileged=true --profiling=false \
  --service-node-port-range=30000-32767 --event-ttl=30m
waitfor kube-apiserver 90 kc get --raw /readyz

start kube-controller-manager "$BIN_DIR/kube-controller-manager" --kubeconfig="$ETC_DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$ETC_DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$ETC_DIR/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false
start kube-scheduler "$BIN_DIR/kube-scheduler" --kubeconfig="$ETC_DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig="$ETC_DIR/scheduler.kubeconfig" --authorization-kubeconfig="$ETC_DIR/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --profiling=false

# --- node: containerd (its own instance), CNI bridge, kubelet, kube-proxy ---
C=$STATE_DIR/containerd
cat > "$ETC_DIR/containerd.toml" <<EOC
version = 2
root = "$C/root"
state = "$C/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = "$C/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # this VM refuses lowering oom_score_adj; without this every pod fails with "oom_score_adj: Permission denied"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE_DIR/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOC
# the firewall plugin opens Docker's FORWARD policy (DROP) for pod traffic
cat > "$STATE_DIR/cni/net.d/10-todo-e2e.conflist" <<EOC
{
  "cniVersion": "0.4.0",
  "name": "todo-e2e",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$STATE_DIR/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
EOC
start containerd containerd --config "$ETC_DIR/containerd.toml"
waitfor containerd 30 ctr --address "$CONTAINERD_SOCK" version
for tar in "$ADDON_DIR"/images/*.tar; do
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images import "$tar" >/dev/null \
    || die "importing $tar into the cluster's containerd failed; see $LOG_DIR/containerd.log"
done
log "harness images imported ($(since))"

cat > "$ETC_DIR/kubelet-config.yaml" <<EOC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
# only client certificates from this cluster's CA get in at all (the apiserver's is one)
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# this machine runs cgroup v1 without systemd
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$DNS_SVC_IP]
resolvConf: /etc/resolv.conf
tlsCertFile: $PKI_DIR/kubelet.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet.key
podLogsDir: $STATE_DIR/pod-logs
podCIDR: $POD_CIDR
maxPods: 110
# a shared CI machine's disk is not this cluster's to police: never evict for disk, only for memory
evictionHard: {memory.available: "100Mi", nodefs.available: "0%", imagefs.available: "0%", nodefs.inodesFree: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
# Kubernetes 1.35 checks pull credentials again (KEP-2535) for an image the kubelet once pulled from a registry and a
# pod now names differently: dev.test.ts pulls the app's images from the harness registry, the other files import the
# same images into containerd as docker.io/library/..., and the kubelet would try to pull those (no registry has
# them). This cluster holds no private image, so nothing is lost by trusting what is on the node, as 1.34 did.
imagePullCredentialsVerificationPolicy: NeverVerify
EOC
start kubelet "$BIN_DIR/kubelet" --config="$ETC_DIR/kubelet-config.yaml" --kubeconfig="$ETC_DIR/kubelet.kubeconfig" \
  --root-dir="$STATE_DIR/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1

cat > "$ETC_DIR/kube-proxy-config.yaml" <<EOC
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $ETC_DIR/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0}
EOC
start kube-proxy "$BIN_DIR/kube-proxy" --config="$ETC_DIR/kube-proxy-config.yaml"

node_ready() { kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True; }
waitfor "node $NODE_NAME" 120 node_ready

# --- add-ons: CoreDNS as kube-dns, local-path-provisioner as the default StorageClass, NetworkPolicy enforcement ---
sed -e "s#@DNS_SVC_IP@#$DNS_SVC_IP#g" -e "s#@COREDNS_IMAGE@#$COREDNS_IMAGE#g" \
    -e "s#@LOCAL_PATH_IMAGE@#$LOCAL_PATH_IMAGE#g" -e "s#@BUSYBOX_IMAGE@#$BUSYBOX_IMAGE#g" \
    -e "s#@VOLUMES_DIR@#$STATE_DIR/volumes#g" "$HARNESS_DIR/addons.yaml" | kc apply -f - >/dev/null
waitfor "CoreDNS" 120 kc -n kube-system rollout status deploy/coredns --timeout=2s
waitfor "local-path-provisioner" 120 kc -n local-path-storage rollout status deploy/local-path-provisioner --timeout=2s
sed "s#@NETPOL_IMAGE@#$NETPOL_IMAGE#g" "$HARNESS_DIR/network-policies.yaml" | kc apply -f - >/dev/null
waitfor "kube-network-policies" 120 kc -n kube-system rollout status ds/kube-network-policies --timeout=2s
registry_up
log "cluster up in $(since)"
report

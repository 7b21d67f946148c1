# Shared settings of the throwaway cluster harness; sourced by build.sh, up.sh, down.sh.
# Every path, address and name the harness owns is defined here, so down.sh can remove exactly those.

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

K8S_VERSION=v1.35.1          # k8s.io/kubernetes module tag; staging modules pinned to v0.35.1 in build/k8s/go.mod
ETCD_VERSION=v3.6.6          # the etcd Kubernetes 1.35 is tested against (build/dependencies.yaml, kubeadm's default);
                             # in build/k8s/go.mod, which lifts the etcd client modules from upstream's v3.6.5 to it
COREDNS_VERSION=v1.14.7
LOCAL_PATH_VERSION=v0.0.30   # rancher local-path-provisioner: hostPath-backed dynamic PVs
NETPOL_VERSION=v0.8.0        # sigs.k8s.io/kube-network-policies: enforces NetworkPolicies next to the bridge CNI
REGISTRY_VERSION=v3.0.0      # github.com/distribution/distribution/v3: a local registry for LOAD_METHOD=registry
GO_TOOLCHAIN=go1.25.6        # the toolchain Kubernetes 1.35 pins (.go-version); fetched from the module proxy
COREDNS_GO_TOOLCHAIN=go1.25.7

CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/todo-k8s-kit/k8s
BIN_DIR=$CACHE_ROOT/$K8S_VERSION-$GO_TOOLCHAIN/bin          # kube-*, kubelet, kubectl, etcd
ADDON_DIR=$CACHE_ROOT/addons                                 # coredns, local-path-provisioner, pause, image tars

# Runtime state: PKI, configs, etcd data, containerd root, logs, pids. Removed by down.sh.
STATE_DIR=${TODO_E2E_CLUSTER_DIR:-/tmp/todo-k8s-e2e}
RUN_DIR=$STATE_DIR/run
LOG_DIR=$STATE_DIR/logs
PKI_DIR=$STATE_DIR/pki
ETC_DIR=$STATE_DIR/etc
CONTAINERD_SOCK=$STATE_DIR/containerd/containerd.sock
# The registry on the host's loopback: docker pushes to localhost over plain HTTP, and the node's containerd (on the
# host network) pulls localhost images over HTTP by default, so neither needs any configuration.
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_HOST=localhost:5000
KUBECONFIG_PATH=$STATE_DIR/kubeconfig
ENV_FILE=$STATE_DIR/cluster.env

# Network: the node address is an extra /32 on lo (this kernel has no dummy links), so the cluster never depends on
# the host's NICs or their addresses.
# Pod, service and node ranges never leave the machine: an iptables guard drops them on any other interface.
NODE_NAME=todo-e2e
NODE_IF=lo
NODE_IP=10.210.0.2
NODE_CIDR=10.210.0.0/24
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SVC_IP=10.96.0.1
DNS_SVC_IP=10.96.0.10
CNI_BRIDGE=todoe2ecni0
GUARD_CHAIN=TODO-E2E-GUARD

# Images the harness builds locally and imports into its containerd (never pulled).
PAUSE_IMAGE=local/pause:3.10
COREDNS_IMAGE=local/coredns:${COREDNS_VERSION#v}
LOCAL_PATH_IMAGE=local/local-path-provisioner:${LOCAL_PATH_VERSION#v}
BUSYBOX_IMAGE=local/busybox:1.35
NETPOL_IMAGE=local/kube-network-policies:${NETPOL_VERSION#v}-xt   # -xt: built with build/netpol/xt_queue.go

log() { printf '[e2e-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[e2e-cluster] ERROR: %s\n' "$*" >&2; exit 1; }
# the module's own directory in the Go module cache, downloaded at that exact version (the proxy may refuse @latest)
moddir() { (cd /tmp && go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'); }

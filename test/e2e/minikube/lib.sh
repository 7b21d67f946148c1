# Shared settings of the offline minikube for the e2e suite; sourced by build.sh and down.sh.
# Versions: minikube v1.38.1 is the newest k8s.io/minikube the Go module proxy serves; Kubernetes v1.35.1 is what the
# from-source harness (../cluster) builds, and its binaries are reused here. It is minikube v1.38.1's own default
# (constants.DefaultKubernetesVersion, what `--kubernetes-version=stable`, the kit's default, resolves to offline),
# so the suite sets no version.
MK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$MK_DIR/../cluster/lib.sh"     # K8S_VERSION, GO_TOOLCHAIN, BIN_DIR and ADDON_DIR of the harness build

MK_VERSION=v1.38.1
MK_COMMIT=c93a4cb9311efc66b90d33ea03f75f2c4120e9b0
MK_ISO_VERSION=v1.38.0            # Makefile ISO_VERSION of v1.38.1 (only shown by `minikube version`; no ISO is used)
KIC_VERSION=v0.0.50               # pkg/drivers/kic/types.go Version of v1.38.1
MK_GO_TOOLCHAIN=go1.25.7          # minikube's go.mod says go 1.25.0
CRI_DOCKERD_VERSION=v0.3.17       # v0.4.x needs Docker API >= 1.42; bookworm's docker.io 20.10 in the node is API 1.41
CRICTL_VERSION=v1.34.0            # sigs.k8s.io/cri-tools: Kubernetes 1.35's build/dependencies.yaml (v1.35.0 is refused)
# the control-plane image tags minikube v1.38.1 asks for with v1.35.1 (constants_kubeadm_images.go; kubeadm's own
# defaults): the contents are the harness's builds (etcd, CoreDNS $COREDNS_VERSION, its Go pause)
MK_ETCD_TAG=3.6.6-0
MK_COREDNS_TAG=v1.13.1
MK_PAUSE_TAG=3.10.1
METRICS_SERVER_VERSION=v0.8.0     # the addon wants v0.8.1, which the proxy refuses
TRAEFIK_VERSION=v3.7.13           # the ingress addon's controller (ingress-nginx is refused by the proxy): see README.md
CERTGEN_VERSION=v1.5.2            # github.com/jet/kube-webhook-certgen, the ingress addon's admission Jobs

MK_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/todo-k8s-kit/minikube
MK_BIN=$MK_CACHE/bin              # minikube, cri-dockerd, crictl, kubeadm-<k8s version>, storage-provisioner, metrics-server, traefik
MK_WORK=$MK_CACHE/work            # build contexts
# minikube's own home for the suite: the cache below is what it would download; profiles and their certs live here
# too, so a user's ~/.minikube is never touched
E2E_MINIKUBE_HOME=$MK_CACHE/.minikube   # minikube appends .minikube to any other MINIKUBE_HOME
E2E_MINIKUBE_KUBECONFIG=$MK_CACHE/kubeconfig
E2E_PROFILE=todo-e2e

BASE_IMAGE=local/mk-debian:bookworm   # bookworm: systemd 252 still boots on cgroup v1 (trixie's 257 refuses)
KICBASE_IMAGE=local/mk-kicbase:$KIC_VERSION
METRICS_SERVER_IMAGE=registry.k8s.io/metrics-server/metrics-server:$METRICS_SERVER_VERSION
INGRESS_IMAGE=local/mk-ingress-traefik:${TRAEFIK_VERSION#v}
CERTGEN_IMAGE=local/mk-kube-webhook-certgen:${CERTGEN_VERSION#v}
# the kindnet CNI image minikube v1.38.1's manifest runs (pkg/minikube/bootstrapper/images KindNet): our stand-in
KINDNET_IMAGE=docker.io/kindest/kindnetd:v20260213-ea8e5717

export GOPROXY=${GOPROXY:-https://proxy.golang.org,direct}
mklog() { printf '[e2e-minikube %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

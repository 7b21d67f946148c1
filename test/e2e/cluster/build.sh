#!/usr/bin/env bash
# Builds the cluster's binaries from the Go module proxy into a cache keyed by version and Go toolchain:
# Kubernetes (k8s.io/kubernetes at a release tag, via the wrapper module build/k8s) and etcd, CoreDNS,
# local-path-provisioner, kube-network-policies, a pause binary and a container registry. A warm run finds everything cached and returns at once.
# Usage: build.sh            (prints the binary directory)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 GOPROXY=${GOPROXY:-https://proxy.golang.org,direct}
bash "$HARNESS_DIR/deps.sh"
command -v go >/dev/null || die "Go is needed to build Kubernetes: install Go >= 1.21 (it fetches $GO_TOOLCHAIN itself)"

build_k8s() {
  local want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl) b missing=0
  for b in "${want[@]}"; do [ -x "$BIN_DIR/$b" ] || missing=1; done
  [ $missing = 0 ] && return 0
  local minor=${K8S_VERSION#v1.} ld="-s -w" p t0=$SECONDS
  minor=${minor%%.*}
  # the version the binaries report (kubectl version, helm's kubeVersion check); the module zip has no git data
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  log "building Kubernetes $K8S_VERSION and etcd $ETCD_VERSION with $GO_TOOLCHAIN (cold: ~25-40 min on 2 cores)"
  mkdir -p "$BIN_DIR.tmp"
  (cd "$HARNESS_DIR/build/k8s" && GOTOOLCHAIN=$GO_TOOLCHAIN go build -trimpath -ldflags "$ld" -o "$BIN_DIR.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy \
    k8s.io/kubernetes/cmd/kubectl)
  (cd "$HARNESS_DIR/build/k8s" && GOTOOLCHAIN=$GO_TOOLCHAIN go build -trimpath -ldflags "-s -w" \
    -o "$BIN_DIR.tmp/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$BIN_DIR" && mv "$BIN_DIR.tmp" "$BIN_DIR"
  log "Kubernetes built in $((SECONDS - t0))s"
}

build_addon() { # name module-dir package output
  local out=$ADDON_DIR/$4
  [ -x "$out" ] && return 0
  local t0=$SECONDS; mkdir -p "$ADDON_DIR"
  (cd "$HARNESS_DIR/build/$2" && GOTOOLCHAIN=$COREDNS_GO_TOOLCHAIN go build -trimpath -ldflags "-s -w" -o "$out.tmp" "$3")
  mv "$out.tmp" "$out"
  log "$1 built in $((SECONDS - t0))s"
}

build_k8s
build_addon CoreDNS coredns github.com/coredns/coredns "coredns-$COREDNS_VERSION"
build_addon local-path-provisioner local-path github.com/rancher/local-path-provisioner "local-path-provisioner-$LOCAL_PATH_VERSION"
build_addon pause pause todo-k8s-kit/e2e-cluster/pause pause

build_netpol() {
  # upstream's own module at its release tag, built as its Dockerfile does, with ONE change: its nftables `queue`
  # expression becomes the xtables NFQUEUE target (build/netpol/xt_queue.go), because the CI machines' kernel has
  # xt_NFQUEUE but not nft_queue (`nft add rule ... queue num 98` fails there with "No such file or directory").
  local out=$ADDON_DIR/netpol-$NETPOL_VERSION d w=$ADDON_DIR/netpol-src t0=$SECONDS
  [ -x "$out" ] && return 0
  d=$(moddir "sigs.k8s.io/kube-network-policies@$NETPOL_VERSION"); [ -d "$d" ] || die "go mod download sigs.k8s.io/kube-network-policies@$NETPOL_VERSION failed"
  rm -rf "$w"; cp -r "$d" "$w"; chmod -R u+w "$w"
  cp "$HARNESS_DIR/build/netpol/xt_queue.go" "$w/pkg/networkpolicy/"
  perl -0pi -e 's/queue := &expr\.Queue\{Num: uint16\(c\.config\.QueueID\)\}\n\tif c\.config\.FailOpen \{\n\t\tqueue\.Flag = expr\.QueueFlagBypass\n\t\}/queue := xtQueue(c.config.QueueID, c.config.FailOpen)/g' \
    "$w/pkg/networkpolicy/controller.go"
  [ "$(grep -c 'queue := xtQueue(' "$w/pkg/networkpolicy/controller.go")" = 2 ] && ! grep -q 'expr\.Queue' "$w/pkg/networkpolicy/controller.go" \
    || die "the kube-network-policies patch did not apply to $NETPOL_VERSION"
  mkdir -p "$ADDON_DIR"; (cd "$w" && go build -trimpath -ldflags "-s -w" -o "$out.tmp" ./cmd)
  mv "$out.tmp" "$out"; rm -rf "$w"
  log "kube-network-policies built in $((SECONDS - t0))s"
}
build_netpol

build_registry() {
  # the module zip's vendor/ lacks packages its build tags pull in, so the build resolves them from the proxy instead
  local out=$ADDON_DIR/registry-$REGISTRY_VERSION d w=$ADDON_DIR/registry-src t0=$SECONDS
  [ -x "$out" ] && return 0
  d=$(moddir "github.com/distribution/distribution/v3@$REGISTRY_VERSION"); [ -d "$d" ] || die "go mod download github.com/distribution/distribution/v3@$REGISTRY_VERSION failed"
  rm -rf "$w"; cp -r "$d" "$w"; chmod -R u+w "$w"; rm -rf "$w/vendor"
  mkdir -p "$ADDON_DIR"; (cd "$w" && GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w" -o "$out.tmp" ./cmd/registry)
  mv "$out.tmp" "$out"; rm -rf "$w"
  log "registry $REGISTRY_VERSION built in $((SECONDS - t0))s"
}
build_registry

# Images the cluster needs, built from the binaries above (no registry is reachable) and saved as tars that up.sh
# imports into the harness's containerd.
build_image() { # image binary dockerfile name-in-image
  local tar=$ADDON_DIR/images/${1//[\/:]/_}.tar ctx
  [ -s "$tar" ] && return 0
  command -v docker >/dev/null && docker info >/dev/null 2>&1 \
    || die "Docker is needed once to build the cluster's images: start it (bash ../shared/rig/docker-engine.sh)"
  ctx=$(mktemp -d); mkdir -p "$ADDON_DIR/images"
  cp "$2" "$ctx/$4"
  # ENTRYPOINT takes no build args, so each image gets its own line (the sandbox image must have one)
  { cat "$HARNESS_DIR/images/$3"; [ "$4" = busybox ] || printf 'ENTRYPOINT ["/%s"]\n' "$4"; } > "$ctx/Dockerfile"
  docker build -q -t "$1" --build-arg BIN="$4" "$ctx" >/dev/null
  docker save "$1" -o "$tar.tmp" && mv "$tar.tmp" "$tar"
  rm -rf "$ctx"
  log "image $1 saved to $tar"
}
build_image "$PAUSE_IMAGE" "$ADDON_DIR/pause" Dockerfile.static pause
build_image "$COREDNS_IMAGE" "$ADDON_DIR/coredns-$COREDNS_VERSION" Dockerfile.static coredns
build_image "$LOCAL_PATH_IMAGE" "$ADDON_DIR/local-path-provisioner-$LOCAL_PATH_VERSION" Dockerfile.static local-path-provisioner
build_image "$BUSYBOX_IMAGE" /bin/busybox Dockerfile.busybox busybox
build_image "$NETPOL_IMAGE" "$ADDON_DIR/netpol-$NETPOL_VERSION" Dockerfile.static netpol
echo "$BIN_DIR"

#!/usr/bin/env bash
# Builds and caches everything a real minikube needs to start offline, and starts nothing: the kit's own `setup`
# stage starts the cluster, exactly as for a user. Every step is skipped when its output exists (a warm run takes
# seconds). Needs root, Go >= 1.21 (fetches its toolchains), a running Docker engine and the harness's Kubernetes
# build (../cluster/build.sh, run first by this script).
#   minikube v1.38.1          Go module proxy, the Makefile's ldflags, one race fixed (build_minikube)
#   local/mk-debian:bookworm  debootstrap (no registry); the node image's base
#   cri-dockerd, crictl       Go module proxy; minikube's docker runtime needs both in the node
#   storage-provisioner       minikube's own source, leader election off (see below)
#   kubeadm                   the harness's wrapper module (reuses its Go build cache)
#   local/mk-kicbase:v0.0.50  the node image (kicbase/Dockerfile)
#   minikube's cache          kubeadm/kubelet/kubectl and 8 control-plane images where `minikube start` looks first
#   metrics-server v0.8.0     the metrics-server addon's image
#   kindnetd stand-in         kindnet/: the image minikube's kindnet CNI runs (two nodes, or containerd), Debian packages
#   ingress addon images      ingress/build.sh: Traefik behind an ingress-nginx-flag wrapper, kube-webhook-certgen;
#   Gateway API CRDs          the standard channel of the version Traefik's go.mod requires, for gateway/
# Prints the environment the kit's minikube commands need (KEY=VALUE lines; also written to $MK_CACHE/minikube.env).
# Usage: build.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
total0=$SECONDS
bash "$MK_DIR/../cluster/build.sh" >/dev/null
command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "Docker must be running (bash ../shared/rig/docker-engine.sh)"
mkdir -p "$MK_BIN" "$MK_WORK"
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_minikube() {
  # minikube's own source with ONE change: `minikube start` pushes the images on the cache list (see seed_node_cache)
  # from a goroutine that reads the profile's config.json while start itself rewrites it; reading it half-written
  # ("unexpected end of JSON input") skips the push, and the ingress addon then waits for images the node never got.
  # The patch retries that read for a few seconds.
  local out=$MK_BIN/minikube dir w=$MK_WORK/minikube-src p ld t0=$SECONDS stamp="$MK_VERSION+profile-read-retry"
  [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  dir=$(moddir "k8s.io/minikube@$MK_VERSION"); [ -d "$dir" ] || die "go mod download k8s.io/minikube@$MK_VERSION failed"
  rm -rf "$w"; cp -r "$dir" "$w"; chmod -R u+w "$w"
  perl -0pi -e 's/(\t\tc, err := config\.Load\(pName\)\n)(\t\tif err != nil \{\n\t\t\t\/\/ Non-fatal because it may race with profile deletion)/$1\t\tfor i := 0; err != nil \&\& i < 20; i++ { \/\/ start may be rewriting the profile right now\n\t\t\ttime.Sleep(250 * time.Millisecond)\n\t\t\tc, err = config.Load(pName)\n\t\t}\n$2/' \
    "$w/pkg/minikube/machine/cache_images.go"
  grep -q 'start may be rewriting the profile right now' "$w/pkg/minikube/machine/cache_images.go" || die "the minikube patch did not apply to $MK_VERSION"
  p=k8s.io/minikube/pkg/version
  ld="-s -w -X $p.version=$MK_VERSION -X $p.isoVersion=$MK_ISO_VERSION -X $p.gitCommitID=$MK_COMMIT -X $p.storageProvisionerVersion=v5"
  # cgo on: pkg/drivers/kvm does not compile without it, even with libvirt_dlopen
  (cd "$w" && GOTOOLCHAIN=$MK_GO_TOOLCHAIN GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=1 \
    go build -trimpath -tags libvirt_dlopen -ldflags "$ld" -o "$out.tmp" k8s.io/minikube/cmd/minikube)
  mv "$out.tmp" "$out"; echo "$stamp" >"$out.stamp"; rm -rf "$w"; mklog "minikube $MK_VERSION built in $((SECONDS - t0)) s"
}

build_base() {
  have_image "$BASE_IMAGE" && return 0
  local t0=$SECONDS W R
  command -v debootstrap >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  W=$(mktemp -d); R=$W/rootfs
  debootstrap --variant=minbase bookworm "$R" http://deb.debian.org/debian >"$W/debootstrap.log" 2>&1 \
    || { tail -20 "$W/debootstrap.log"; rm -rf "$W"; die "debootstrap bookworm failed"; }
  printf '%s\n' 'deb http://deb.debian.org/debian bookworm main' 'deb http://deb.debian.org/debian bookworm-updates main' \
    'deb http://deb.debian.org/debian-security bookworm-security main' >"$R/etc/apt/sources.list"
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* "$R"/usr/share/man/*
  # outbound TLS may be intercepted by a local CA: the node carries the host's bundle
  mkdir -p "$R/etc/ssl/certs" "$R/usr/local/share/ca-certificates"
  cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/"
  cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/" 2>/dev/null || true
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$R/etc/apt/apt.conf.d/99no-recommends"
  tar --numeric-owner -C "$R" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$W"; mklog "$BASE_IMAGE built in $((SECONDS - t0)) s"
}

build_node_tools() {
  local d p fl t0 w
  if [ ! -x "$MK_BIN/cri-dockerd" ]; then
    t0=$SECONDS; d=$(moddir "github.com/Mirantis/cri-dockerd@$CRI_DOCKERD_VERSION"); p=github.com/Mirantis/cri-dockerd/cmd/version
    (cd "$d" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X $p.Version=${CRI_DOCKERD_VERSION#v} -X $p.GitCommit=local" -o "$MK_BIN/cri-dockerd.tmp" .)
    mkdir -p "$MK_BIN/cri-dockerd-units" && cp "$d"/packaging/systemd/cri-docker.{service,socket} "$MK_BIN/cri-dockerd-units/"
    chmod u+w "$MK_BIN"/cri-dockerd-units/*; mv "$MK_BIN/cri-dockerd.tmp" "$MK_BIN/cri-dockerd"
    mklog "cri-dockerd built in $((SECONDS - t0)) s"
  fi
  if [ ! -x "$MK_BIN/crictl" ]; then
    t0=$SECONDS; d=$(moddir "sigs.k8s.io/cri-tools@$CRICTL_VERSION"); fl="-mod=readonly"; [ -d "$d/vendor" ] && fl="-mod=vendor"
    (cd "$d" && GOFLAGS="$fl -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" -o "$MK_BIN/crictl.tmp" ./cmd/crictl)
    mv "$MK_BIN/crictl.tmp" "$MK_BIN/crictl"; mklog "crictl built in $((SECONDS - t0)) s"
  fi
  if [ ! -x "$MK_BIN/storage-provisioner" ]; then
    # minikube's own source with ONE change, leader election off: built today it links client-go v0.35, which no
    # longer has the "endpoints" lock sig-storage-lib v6 hardcodes, and crash-loops ("endpoints lock is removed,
    # migrate to leases"). minikube runs exactly one replica, so there is nobody to elect against.
    t0=$SECONDS; d=$(moddir "k8s.io/minikube@$MK_VERSION"); w=$MK_WORK/storage-provisioner; rm -rf "$w"; mkdir -p "$w"
    sed -e 's/^package storage$/package main/' \
        -e 's/controller.NewProvisionController(clientset, provisionerName, hostPathProvisioner, serverVersion.GitVersion)/controller.NewProvisionController(clientset, provisionerName, hostPathProvisioner, serverVersion.GitVersion, controller.LeaderElection(false))/' \
        "$d/pkg/storage/storage_provisioner.go" >"$w/storage_provisioner.go"
    grep -q 'controller.LeaderElection(false)' "$w/storage_provisioner.go" || die "storage-provisioner patch did not apply"
    sed -e '/"k8s.io\/minikube\/pkg\/storage"/d' -e 's/storage.StartStorageProvisioner/StartStorageProvisioner/' \
        "$d/cmd/storage-provisioner/main.go" >"$w/main.go"
    sed 's|^module k8s.io/minikube$|module todo-e2e/storage-provisioner|' "$d/go.mod" >"$w/go.mod"; cp "$d/go.sum" "$w/"
    chmod -R u+w "$w"
    (cd "$w" && GOTOOLCHAIN=$MK_GO_TOOLCHAIN GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w" -o "$MK_BIN/storage-provisioner.tmp" .)
    mv "$MK_BIN/storage-provisioner.tmp" "$MK_BIN/storage-provisioner"; mklog "storage-provisioner built in $((SECONDS - t0)) s"
  fi
}

build_kubeadm() {
  # minikube's bootstrapper runs `kubeadm init` in the node; the harness does not build kubeadm. Same wrapper module,
  # toolchain and ldflags as the harness (so its Go build cache is reused); a private copy gets the kubeadm-only
  # modules added to go.sum at the versions k8s.io/kubernetes pins.
  # One file per Kubernetes version (and its own work dir), so builds for two versions never overwrite each other.
  local out=$MK_BIN/kubeadm-$K8S_VERSION mod=$MK_WORK/k8s-wrapper-$K8S_VERSION minor ld="-s -w" p t0=$SECONDS
  [ -x "$out" ] && "$out" version -o short 2>/dev/null | grep -qx "$K8S_VERSION" && return 0
  rm -rf "$mod"; mkdir -p "$mod"; cp "$MK_DIR"/../cluster/build/k8s/go.{mod,sum} "$mod/"
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$mod" && GOTOOLCHAIN=$GO_TOOLCHAIN GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
    go build -trimpath -ldflags "$ld" -o "$out.tmp" k8s.io/kubernetes/cmd/kubeadm)
  mv "$out.tmp" "$out"; mklog "kubeadm $K8S_VERSION built in $((SECONDS - t0)) s"
}

build_kicbase() {
  have_image "$KICBASE_IMAGE" && return 0
  local t0=$SECONDS src ctx vj
  src=$(moddir "k8s.io/minikube@$MK_VERSION")/deploy/kicbase; ctx=$MK_WORK/kicbase-ctx; rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$MK_DIR"/kicbase/* "$ctx/"
  cp "$src"/{10-network-security.conf,11-tcp-mtu-probing.conf,containerd.toml,clean-install,entrypoint} "$ctx/"
  cp "$src"/automount/* "$src"/scheduled-stop/* "$ctx/"
  cp "$MK_BIN"/cri-dockerd "$MK_BIN"/crictl "$MK_BIN"/cri-dockerd-units/* "$ctx/"
  chmod -R u+w "$ctx"
  vj="{\"iso_version\": \"$MK_ISO_VERSION\", \"kicbase_version\": \"$KIC_VERSION\", \"minikube_version\": \"$MK_VERSION\", \"commit\": \"local\"}"
  docker build -q --build-arg BASE="$BASE_IMAGE" --build-arg VERSION_JSON="$vj" -t "$KICBASE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"; mklog "$KICBASE_IMAGE built in $((SECONDS - t0)) s"
}

static_image() { # image binary path-in-image [entrypoint] [user]
  local img=$1 bin=$2 dst=$3 ep=${4:-} user=${5:-} d
  have_image "$img" && return 0
  d=$(mktemp -d); mkdir -p "$d/root/tmp" "$d/root/etc/ssl/certs" "$d/root$(dirname "$dst")"
  cp /etc/ssl/certs/ca-certificates.crt "$d/root/etc/ssl/certs/"; cp "$bin" "$d/root$dst"; chmod 1777 "$d/root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$d/root/etc/passwd"
  { echo 'FROM scratch'; echo 'COPY root/ /'; echo 'ENV PATH=/usr/local/bin:/usr/bin:/bin'
    [ -n "$user" ] && echo "USER $user"; [ -n "$ep" ] && echo "ENTRYPOINT [\"$ep\"]"; } >"$d/Dockerfile"
  docker build -q -t "$img" "$d" >/dev/null; rm -rf "$d"; mklog "image $img"
}

fill_minikube_cache() {
  # What `minikube start` would download, where it looks first. A cached binary or image tar is used as it is (no
  # checksum or digest check), so locally built ones are accepted. Image tags are the ones minikube v1.38.1 asks for
  # with Kubernetes $K8S_VERSION (lib.sh); the contents are the harness's builds (etcd $ETCD_VERSION, CoreDNS
  # $COREDNS_VERSION, its Go pause). Every file is named by its tag, so another version's cache stays as it is.
  local R=registry.k8s.io bdir=$E2E_MINIKUBE_HOME/cache/linux/amd64/$K8S_VERSION
  local b coredns_bin d img
  mkdir -p "$bdir"
  for b in kubelet kubectl; do cmp -s "$BIN_DIR/$b" "$bdir/$b" || install -m 0755 "$BIN_DIR/$b" "$bdir/$b"; done
  cmp -s "$MK_BIN/kubeadm-$K8S_VERSION" "$bdir/kubeadm" || install -m 0755 "$MK_BIN/kubeadm-$K8S_VERSION" "$bdir/kubeadm"
  coredns_bin=$ADDON_DIR/coredns-$COREDNS_VERSION
  static_image $R/kube-apiserver:$K8S_VERSION "$BIN_DIR/kube-apiserver" /usr/local/bin/kube-apiserver
  static_image $R/kube-controller-manager:$K8S_VERSION "$BIN_DIR/kube-controller-manager" /usr/local/bin/kube-controller-manager
  static_image $R/kube-scheduler:$K8S_VERSION "$BIN_DIR/kube-scheduler" /usr/local/bin/kube-scheduler
  static_image $R/etcd:$MK_ETCD_TAG "$BIN_DIR/etcd" /usr/local/bin/etcd
  static_image $R/coredns/coredns:$MK_COREDNS_TAG "$coredns_bin" /coredns /coredns
  static_image $R/pause:$MK_PAUSE_TAG "$ADDON_DIR/pause" /pause /pause
  static_image gcr.io/k8s-minikube/storage-provisioner:v5 "$MK_BIN/storage-provisioner" /storage-provisioner /storage-provisioner
  if ! have_image $R/kube-proxy:$K8S_VERSION; then
    # kube-proxy runs iptables and conntrack: a bookworm image with both and a mode-picking wrapper (upstream uses
    # distroless-iptables + iptables-wrapper for the same reason)
    d=$(mktemp -d); cp "$BIN_DIR/kube-proxy" "$MK_DIR/images/iptables-wrapper" "$d/"
    cat >"$d/Dockerfile" <<DF
FROM $BASE_IMAGE
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends iptables conntrack ipset kmod >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
COPY iptables-wrapper /usr/sbin/iptables-wrapper
RUN chmod 755 /usr/sbin/iptables-wrapper \\
 && for c in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do ln -sf iptables-wrapper /usr/sbin/\$c; done
COPY kube-proxy /usr/local/bin/kube-proxy
DF
    docker build -q -t $R/kube-proxy:$K8S_VERSION "$d" >/dev/null; rm -rf "$d"; mklog "image $R/kube-proxy:$K8S_VERSION"
  fi
  for img in $R/kube-apiserver:$K8S_VERSION $R/kube-controller-manager:$K8S_VERSION $R/kube-scheduler:$K8S_VERSION \
      $R/kube-proxy:$K8S_VERSION $R/etcd:$MK_ETCD_TAG $R/coredns/coredns:$MK_COREDNS_TAG $R/pause:$MK_PAUSE_TAG \
      gcr.io/k8s-minikube/storage-provisioner:v5; do
    cache_image "$img"
  done
}

cache_image() { # image: its tar where minikube looks for it, saved again only when the local image changed
  local img=$1 f=$E2E_MINIKUBE_HOME/cache/images/amd64/${1//:/_} idf=$MK_WORK/image-ids/${1//[\/:]/_} id
  id=$(docker image inspect -f '{{.Id}}' "$img")
  [ -s "$f" ] && [ "$(cat "$idf" 2>/dev/null)" = "$id" ] && return 0   # the cached tar is of this very image
  mkdir -p "$(dirname "$f")" "$(dirname "$idf")"; docker save "$img" -o "$f.tmp" && mv "$f.tmp" "$f" && echo "$id" >"$idf"
  mklog "cached $img"
}

build_metrics_server() {
  local d t0=$SECONDS
  if [ ! -x "$MK_BIN/metrics-server" ]; then
    d=$(moddir "sigs.k8s.io/metrics-server@$METRICS_SERVER_VERSION")
    (cd "$d" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/metrics-server/pkg/version.gitVersion=$METRICS_SERVER_VERSION" -o "$MK_BIN/metrics-server.tmp" ./cmd/metrics-server)
    mv "$MK_BIN/metrics-server.tmp" "$MK_BIN/metrics-server"; mklog "metrics-server built in $((SECONDS - t0)) s"
  fi
  static_image "$METRICS_SERVER_IMAGE" "$MK_BIN/metrics-server" /metrics-server /metrics-server 65534
}

build_kindnet() {
  # minikube's CNI for several nodes, or for the containerd runtime on the docker driver, is kindnet: its manifest
  # runs $KINDNET_IMAGE, which nobody can pull here and whose source the Go module proxy does not serve. A stand-in
  # of ours does its job under its name (kindnet/kindnetd). Rebuilt when its files change.
  local d sum
  sum=$(cat "$MK_DIR"/kindnet/* "$MK_DIR/images/iptables-wrapper" | sha256sum | cut -c1-16)
  [ "$(docker image inspect -f '{{index .Config.Labels "todo-e2e.source"}}' "$KINDNET_IMAGE" 2>/dev/null)" = "$sum" ] && return 0
  d=$(mktemp -d); cp "$MK_DIR"/kindnet/* "$MK_DIR/images/iptables-wrapper" "$d/"
  docker build -q --build-arg BASE="$BASE_IMAGE" --label "todo-e2e.source=$sum" -t "$KINDNET_IMAGE" "$d" >/dev/null
  rm -rf "$d"; mklog "image $KINDNET_IMAGE (the kindnetd stand-in)"
}

timed() { local t0=$SECONDS; "$@"; mklog "$1: $((SECONDS - t0)) s"; }
timed build_minikube
timed build_base
timed build_node_tools
timed build_kubeadm
timed build_kicbase
timed fill_minikube_cache
timed build_metrics_server
timed build_kindnet
[ -f "$MK_DIR/ingress/build.sh" ] && timed bash "$MK_DIR/ingress/build.sh"

# The suite's Gateway (gateway/) runs Traefik's Kubernetes Gateway provider: the Gateway API CRDs it needs are the
# standard channel of the sigs.k8s.io/gateway-api version Traefik's go.mod requires, from the module cache or the proxy.
gateway_api_crds() {
  local t v d
  t=$(moddir "github.com/traefik/traefik/v3@$TRAEFIK_VERSION"); [ -f "$t/go.mod" ] || die "go mod download github.com/traefik/traefik/v3@$TRAEFIK_VERSION failed"
  v=$(sed -n 's|^[[:space:]]*sigs\.k8s\.io/gateway-api \(v[0-9][^ ]*\)$|\1|p' "$t/go.mod")
  [ -n "$v" ] || die "traefik $TRAEFIK_VERSION's go.mod requires no sigs.k8s.io/gateway-api version"
  d=$(moddir "sigs.k8s.io/gateway-api@$v")/config/crd/standard
  [ -f "$d/gateway.networking.k8s.io_httproutes.yaml" ] || die "sigs.k8s.io/gateway-api@$v has no standard-channel CRDs in $d"
  echo "$d" >"$MK_CACHE/gateway-api.crds"
}
timed gateway_api_crds

seed_node_cache() {
  # Images a node needs that nobody can pull here go on minikube's cache list (what `minikube cache add` keeps in
  # config.json, with the image saved under cache/images): `minikube start` loads them into every node it creates,
  # so a profile the kit starts from nothing has them. The addons' images, and the stand-ins for images the chart
  # runs but the kit does not build (a user's node pulls the chart's pinned postgres:17.x itself), and the base images
  # the default LOAD_METHOD=docker-env builds FROM inside the node (a user's node pulls node:24-slim and python:3.13-slim).
  local img list=()
  for img in "$@"; do
    have_image "$img" || die "$img is not in the local Docker: build it first (bash ../shared/rig/base-images.sh for local/*)"
    cache_image "$img"; list+=("$img")
  done
  mkdir -p "$E2E_MINIKUBE_HOME/config"
  node -e '
    const fs = require("node:fs"); const [file, ...images] = process.argv.slice(1)
    const conf = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {}
    conf.cache = { ...conf.cache, ...Object.fromEntries(images.map((i) => [i, null])) }
    fs.writeFileSync(file, JSON.stringify(conf, null, 2))' "$E2E_MINIKUBE_HOME/config/config.json" "${list[@]}"
}
# A second node gets only this list: minikube loads the control-plane images from its cache into the first node
# alone (kubeadm.UpdateCluster), and a user's other nodes get theirs from the preload tarball, which this cache has
# none of. So the images every node runs (pause, kube-proxy, CoreDNS when it lands there) go on the list too.
R=registry.k8s.io
node_images=("$METRICS_SERVER_IMAGE" "$KINDNET_IMAGE" $R/pause:$MK_PAUSE_TAG $R/kube-proxy:$K8S_VERSION $R/coredns/coredns:$MK_COREDNS_TAG ${E2E_NODE_IMAGES:-local/postgres:17 local/node:24 local/python:3.13})
[ -f "$MK_CACHE/ingress.node-images" ] && node_images+=($(cat "$MK_CACHE/ingress.node-images"))
timed seed_node_cache "${node_images[@]}"

# minikube binds every flag to MINIKUBE_<FLAG> (viper AutomaticEnv), so these act as flags of every minikube command
# the kit runs: the node image found in the local daemon (never pulled), no preload tarball (the cache above instead),
# root allowed with the docker driver, no update check, and the addon images built here instead of digest-pinned
# upstream ones nobody can pull offline. No Kubernetes version: the kit's default `stable` is minikube's default,
# $K8S_VERSION, the version cached above.
addon_images=MetricsServer=$METRICS_SERVER_IMAGE
[ -f "$MK_CACHE/ingress.images" ] && addon_images="$addon_images,$(cat "$MK_CACHE/ingress.images")"
{
  echo "MINIKUBE_BIN_DIR=$MK_BIN"
  echo "MINIKUBE_SHIM_DIR=$MK_DIR/shim"
  echo "MINIKUBE_HOME=$E2E_MINIKUBE_HOME"
  echo "MINIKUBE_BASE_IMAGE=$KICBASE_IMAGE"
  echo "MINIKUBE_PRELOAD=false"
  echo "MINIKUBE_FORCE=true"
  echo "MINIKUBE_WANTUPDATENOTIFICATION=false"
  echo "MINIKUBE_ADDON_IMAGES=$addon_images"
  echo "KUBECONFIG=$E2E_MINIKUBE_KUBECONFIG"
  echo "E2E_PROFILE=$E2E_PROFILE"
  if [ -f "$MK_CACHE/gateway-api.crds" ]; then echo "E2E_GATEWAY_API_CRDS=$(cat "$MK_CACHE/gateway-api.crds")"; fi
} | tee "$MK_CACHE/minikube.env"
mklog "minikube offline cache ready in $((SECONDS - total0)) s"

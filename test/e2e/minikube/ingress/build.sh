#!/usr/bin/env bash
# Builds the images minikube's ingress addon runs, for a machine that can pull none of them (see ../README.md,
# "Ingress"). The addon's own manifest is used unchanged; only its three images are replaced:
#   IngressController         local/mk-ingress-traefik   Traefik v3.7.13 (its Kubernetes Ingress NGINX provider) behind
#                                                        controller/, which takes ingress-nginx's flags, answers the
#                                                        addon's probes and its admission webhook
#   KubeWebhookCertgenCreate  local/mk-kube-webhook-certgen   github.com/jet/kube-webhook-certgen v1.5.2, the tool
#   KubeWebhookCertgenPatch                                   ingress-nginx's own certgen was forked from
# Writes $MK_CACHE/ingress.images (the Name=image list for MINIKUBE_ADDON_IMAGES) and $MK_CACHE/ingress.node-images
# (the images ../build.sh puts on minikube's cache list, so every node `minikube start` creates has them).
# Idempotent: binaries and images are rebuilt only when their inputs change. Needs Go, Docker, setcap (libcap2-bin).
# Usage: build.sh
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
ING_DIR=$MK_DIR/ingress
# traefik's go.mod says go 1.26.0; the newest 1.26 patch release (fetched from the module proxy if not local)
ING_GO_TOOLCHAIN=go1.26.8
total0=$SECONDS
command -v docker >/dev/null && docker info >/dev/null 2>&1 || die "Docker must be running (bash ../shared/rig/docker-engine.sh)"
command -v setcap >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcap2-bin >/dev/null; }
command -v setcap >/dev/null || die "setcap not found and apt-get install libcap2-bin failed: install libcap2-bin"
mkdir -p "$MK_BIN" "$MK_WORK"
stamp() { cat "$@" | sha256sum | cut -c1-16; }   # content hash of build inputs
timed() { local t0=$SECONDS; "$@"; mklog "ingress: $1: $((SECONDS - t0)) s"; }

build_traefik() {
  local out=$MK_BIN/traefik d w t0=$SECONDS p=github.com/traefik/traefik/v3/pkg/version
  # (the version text is captured first: grep -q closing the pipe early would fail the check under pipefail)
  [ -x "$out" ] && [[ "$("$out" version 2>/dev/null)" =~ Version:\ +${TRAEFIK_VERSION#v}($'\n'|$) ]] && return 0
  d=$(moddir "github.com/traefik/traefik/v3@$TRAEFIK_VERSION"); [ -d "$d" ] || die "go mod download github.com/traefik/traefik/v3@$TRAEFIK_VERSION failed"
  w=$MK_WORK/traefik-src; rm -rf "$w"; cp -r "$d" "$w"; chmod -R u+w "$w"
  # Four gaps between the module zip and what the Go proxy serves here, each closed with the smallest change:
  # 1. the web UI is a separate npm build, absent from the zip, and embedded with //go:embed static. The dashboard is
  #    not enabled by the controller; a placeholder page satisfies the embed.
  mkdir -p "$w/webui/static"; echo '<!doctype html><title>Traefik</title><p>dashboard not built</p>' >"$w/webui/static/index.html"
  # 2. pkg/config/dynamic/ext is a nested module (so excluded from the zip) the proxy refuses; upstream it is the
  #    extension point of the dynamic configuration: two empty structs, embedded inline (only ext.HTTP and ext.Router
  #    are referenced, checked below).
  [ "$(grep -rhoE '\bext\.[A-Z][A-Za-z]*' --include='*.go' "$w/pkg" | sort -u | tr '\n' ' ')" = "ext.HTTP ext.Router " ] \
    || die "traefik $TRAEFIK_VERSION references more of pkg/config/dynamic/ext than HTTP and Router: extend the stand-in in ingress/build.sh"
  mkdir -p "$w/pkg/config/dynamic/ext"
  printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' >"$w/pkg/config/dynamic/ext/go.mod"
  printf '// Package ext is the extension point of the dynamic configuration; nothing extends it in this build.\npackage ext\n\n// HTTP extends dynamic.HTTP.\ntype HTTP struct{}\n\n// Router extends dynamic.Router.\ntype Router struct{}\n' \
    >"$w/pkg/config/dynamic/ext/ext.go"
  # 3. the go-http-auth fork revision v3.7.13 pins is refused (403); the revision traefik v3.0-v3.6 pinned is served
  #    and has the API the basic/digest auth middlewares use (CheckSecret, RequireAuthStale).
  sed -i 's|github.com/containous/go-http-auth v0.4.1-0.20260804094822-b975dcaa8c48|github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e|' "$w/go.mod"
  grep -q 'go-http-auth v0.4.1-0.20200324110947-a37a7636d23e' "$w/go.mod" || die "traefik go.mod: the go-http-auth replace did not apply"
  # 4. lego's providers/dns links all 219 DNS providers of the ACME DNS-01 challenge; the proxy refuses the SDKs of 14.
  #    ACME cannot work offline anyway: the DNS challenge reports an error, everything else is unchanged.
  sed -i -e '\|"github.com/go-acme/lego/v5/providers/dns"|d' \
    -e 's|provider, err = dns.NewDNSChallengeProviderByName(p.DNSChallenge.Provider)|provider, err = nil, fmt.Errorf("ACME DNS challenge provider %q is not compiled into this build", p.DNSChallenge.Provider)|' \
    "$w/pkg/provider/acme/provider.go"
  grep -q 'is not compiled into this build' "$w/pkg/provider/acme/provider.go" || die "traefik pkg/provider/acme/provider.go: the DNS challenge patch did not apply"
  (cd "$w" && GOTOOLCHAIN=$ING_GO_TOOLCHAIN GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $p.Version=${TRAEFIK_VERSION#v} -X $p.Codename=offline" -o "$out.tmp" ./cmd/traefik) \
    || die "building traefik $TRAEFIK_VERSION failed (sources in $w)"
  mv "$out.tmp" "$out"; rm -rf "$w"; mklog "traefik $TRAEFIK_VERSION built in $((SECONDS - t0)) s"
}

build_certgen() {
  local out=$MK_BIN/kube-webhook-certgen d w t0=$SECONDS
  [ -x "$out" ] && [ "$(cat "$out.version" 2>/dev/null)" = "$CERTGEN_VERSION+admissionregistration-v1" ] && return 0
  d=$(moddir "github.com/jet/kube-webhook-certgen@$CERTGEN_VERSION"); [ -d "$d" ] || die "go mod download github.com/jet/kube-webhook-certgen@$CERTGEN_VERSION failed"
  w=$MK_WORK/certgen-src; rm -rf "$w"; cp -r "$d" "$w"; chmod -R u+w "$w"; rm -rf "$w/vendor"
  # v1.5.2 patches webhook configurations through admissionregistration.k8s.io/v1beta1, removed in Kubernetes 1.22
  # (the addon's patch Job would fail with "the server could not find the requested resource"); v1 has the same
  # types. ingress-nginx's fork made the same move.
  sed -i -e 's|k8s.io/api/admissionregistration/v1beta1|k8s.io/api/admissionregistration/v1|' -e 's|AdmissionregistrationV1beta1()|AdmissionregistrationV1()|g' \
    -e 's|admissionv1beta1|admissionv1|g' "$w/cmd/root.go" "$w/cmd/patch.go" "$w/pkg/k8s/k8s.go"
  ! grep -rq v1beta1 "$w/cmd" "$w/pkg/k8s/k8s.go" || die "kube-webhook-certgen: v1beta1 references left after the patch"
  (cd "$w" && GOTOOLCHAIN=$ING_GO_TOOLCHAIN GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/jet/kube-webhook-certgen/core.Version=${CERTGEN_VERSION#v}" -o "$out.tmp" .) \
    || die "building kube-webhook-certgen $CERTGEN_VERSION failed (sources in $w)"
  mv "$out.tmp" "$out"; echo "$CERTGEN_VERSION+admissionregistration-v1" >"$out.version"; rm -rf "$w"
  mklog "kube-webhook-certgen $CERTGEN_VERSION built in $((SECONDS - t0)) s"
}

build_controller() {
  local out=$MK_BIN/ingress-nginx-controller s t0=$SECONDS
  s=$(stamp "$ING_DIR"/controller/go.mod "$ING_DIR"/controller/*.go)
  [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$s" ] && return 0
  (cd "$ING_DIR/controller" && GOTOOLCHAIN=$ING_GO_TOOLCHAIN GOFLAGS="-buildvcs=false" CGO_ENABLED=0 go vet . \
    && GOTOOLCHAIN=$ING_GO_TOOLCHAIN GOFLAGS="-buildvcs=false" CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out.tmp" .) \
    || die "building the ingress controller wrapper (ingress/controller) failed"
  mv "$out.tmp" "$out"; echo "$s" >"$out.stamp"; mklog "ingress controller wrapper built in $((SECONDS - t0)) s"
}

# import_image IMAGE ROOTDIR STAMP [--change ...]: a one-layer image of ROOTDIR. docker import keeps the file
# capability traefik needs (security.capability xattr); `docker build`'s COPY from the context drops it.
import_image() {
  local img=$1 root=$2 s=$3; shift 3
  [ "$(docker image inspect -f '{{index .Config.Labels "todo-e2e.stamp"}}' "$img" 2>/dev/null)" = "$s" ] && return 0
  mkdir -p "$root/tmp" "$root/etc/ssl/certs"; chmod 1777 "$root/tmp"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nwww-data:x:101:101:www-data:/nonexistent:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  tar --xattrs --xattrs-include=security.capability --numeric-owner -C "$root" -c . \
    | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change "LABEL todo-e2e.stamp=$s" "$@" - "$img" >/dev/null \
    || die "docker import $img failed"
  mklog "image $img"
}

controller_image() {
  local root s
  s=$(stamp "$MK_BIN/traefik" "$MK_BIN/ingress-nginx-controller" "$0")
  [ "$(docker image inspect -f '{{index .Config.Labels "todo-e2e.stamp"}}' "$INGRESS_IMAGE" 2>/dev/null)" = "$s" ] && return 0
  root=$(mktemp -d); mkdir -p "$root/usr/local/bin"
  # The addon's container runs as uid 101 with every capability dropped but NET_BIND_SERVICE, and binds hostPorts
  # 80/443: only a file capability on traefik makes the kernel grant it (ingress-nginx's image does the same to nginx).
  install -m 0755 "$MK_BIN/traefik" "$root/usr/local/bin/traefik"
  setcap cap_net_bind_service=+ep "$root/usr/local/bin/traefik"
  getcap "$root/usr/local/bin/traefik" | grep -q cap_net_bind_service || die "setcap on traefik did not stick (the filesystem of $root must support xattrs)"
  # the addon's args start with /nginx-ingress-controller and its preStop hook runs /wait-shutdown
  install -m 0755 "$MK_BIN/ingress-nginx-controller" "$root/nginx-ingress-controller"
  ln "$root/nginx-ingress-controller" "$root/wait-shutdown"
  import_image "$INGRESS_IMAGE" "$root" "$s" --change 'USER 101' --change 'CMD ["/nginx-ingress-controller"]'
  rm -rf "$root"
}

certgen_image() {
  local root s
  s=$(stamp "$MK_BIN/kube-webhook-certgen" "$0")
  root=$(mktemp -d); install -m 0755 "$MK_BIN/kube-webhook-certgen" "$root/kube-webhook-certgen"
  import_image "$CERTGEN_IMAGE" "$root" "$s" --change 'USER 65534' --change 'ENTRYPOINT ["/kube-webhook-certgen"]'
  rm -rf "$root"
}

timed build_traefik
timed build_certgen
timed build_controller
timed controller_image
timed certgen_image
echo "IngressController=$INGRESS_IMAGE,KubeWebhookCertgenCreate=$CERTGEN_IMAGE,KubeWebhookCertgenPatch=$CERTGEN_IMAGE" >"$MK_CACHE/ingress.images"
printf '%s\n' "$INGRESS_IMAGE" "$CERTGEN_IMAGE" >"$MK_CACHE/ingress.node-images"
mklog "ingress addon images ready in $((SECONDS - total0)) s: $(cat "$MK_CACHE/ingress.images")"

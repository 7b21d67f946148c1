#!/usr/bin/env bash
# Debian packages the harness runs on; installs only what is missing, so a warm machine spends no time here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need=()
for pair in containerd:/usr/bin/containerd runc:/usr/sbin/runc containernetworking-plugins:/usr/lib/cni/bridge \
  iptables:/usr/sbin/iptables conntrack:/usr/sbin/conntrack openssl:/usr/bin/openssl busybox-static:/bin/busybox \
  iproute2:/usr/sbin/ip curl:/usr/bin/curl nftables:/usr/sbin/nft; do
  pkg=${pair%%:*} file=${pair#*:}
  if [ "$pkg" = busybox-static ]; then dpkg -s busybox-static >/dev/null 2>&1 || need+=("$pkg")
  else [ -x "$file" ] || need+=("$pkg"); fi
done
[ ${#need[@]} = 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing Debian packages: ${need[*]}; install them: sudo apt-get install -y ${need[*]}"
log "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } \
  || die "apt-get install ${need[*]} failed; run it by hand to see why"

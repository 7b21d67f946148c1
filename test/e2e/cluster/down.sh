#!/usr/bin/env bash
# Tears the harness cluster down and leaves nothing behind: its processes (by recorded pid), pod sandboxes and their
# network namespaces, mounts, the iptables rules of kube-proxy, kubelet, CNI and the harness's guard, the nftables
# table of kube-network-policies, the CNI bridge, the node address and the state directory. Safe to run when nothing
# is up. The binary cache is kept.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
T0=$SECONDS
pid_of() { [ -f "$RUN_DIR/$1.pid" ] && cat "$RUN_DIR/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && kill -0 "$p" 2>/dev/null; }
stop() { # names...: SIGTERM to all at once, then wait (SIGKILL after 10 s)
  local n p pids=()
  for n in "$@"; do p=$(pid_of "$n") && kill -0 "$p" 2>/dev/null && kill "$p" && pids+=("$p"); rm -f "$RUN_DIR/$n.pid"; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p"
  done
  [ -n "${E2E_CLUSTER_DEBUG:-}" ] && log "stopped $* ($((SECONDS - T0))s)"
  return 0
}
kc() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_PATH" --request-timeout=5s "$@"; }

# Pods first, while kubelet and containerd still run: kubelet then tears every sandbox down through CNI
# (addresses released, per-pod iptables rules removed, network namespaces unmounted).
if alive kube-apiserver && alive kubelet && alive containerd; then
  stop kube-controller-manager kube-scheduler   # nothing may recreate what is deleted now
  # a 1 s grace period, not --force: kubelet then kills with that grace instead of each pod's own (30 s for a
  # process that ignores SIGTERM), and reports back so the pods really go
  kc delete pods --all -A --grace-period=1 --wait=false >/dev/null 2>&1
  running() { ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls 2>/dev/null | awk '$3=="RUNNING"{print $1}'; }
  for i in $(seq 1 100); do
    # kubelet stops sandboxes (CNI DEL) at once; removing them waits for its garbage collector, so count running ones
    [ -z "$(running)" ] && [ -z "$(ls "$STATE_DIR/cni/ipam/todo-e2e" 2>/dev/null | grep -v -e lock -e last_reserved)" ] && break
    # pods already terminating with a long grace period keep it: after 4 s kill their processes; kubelet sees them
    # exit and still tears the sandboxes down through CNI
    if [ "$i" = 20 ]; then
      for t in $(running); do ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
    fi
    sleep 0.2
  done
  [ -n "${E2E_CLUSTER_DEBUG:-}" ] && log "pods gone ($((SECONDS - T0))s)"
fi
stop kube-proxy kubelet kube-scheduler kube-controller-manager
# whatever is left in containerd (kubelet was not running, say) is killed through containerd itself
if alive containerd; then
  for t in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1
  done
  sleep 0.5
  for t in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1
  done
fi
stop containerd kube-apiserver
stop etcd registry
# shims outlive containerd by design; find this instance's by their --address (our socket path), kill them by pid
for d in /proc/[0-9]*; do
  if tr '\0' ' ' 2>/dev/null < "$d/cmdline" | grep -q -- "-address $CONTAINERD_SOCK "; then kill -9 "${d#/proc/}" 2>/dev/null; fi
done

# iptables: kube-proxy's own cleanup, then any KUBE-*/CNI-* chain and the harness guard
[ -x "$BIN_DIR/kube-proxy" ] && "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1
for table in filter nat mangle raw; do
  chains=$(iptables -t "$table" -S 2>/dev/null | awk '$1=="-N"{print $2}' | grep -E "^(KUBE-|CNI-|$GUARD_CHAIN$)" || true)
  [ -n "$chains" ] || continue
  # drop every rule that jumps into one of those chains (from built-in and other chains alike)
  iptables -t "$table" -S | grep -E -- "-j ($(echo $chains | tr ' ' '|'))( |$)" | sed 's/^-A /-D /' |
    while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  for c in $chains; do iptables -t "$table" -F "$c" 2>/dev/null; done
  for c in $chains; do iptables -t "$table" -X "$c" 2>/dev/null; done
done

# kube-network-policies' nftables table (its process may have been killed before removing it)
command -v nft >/dev/null && nft delete table inet kube-network-policies 2>/dev/null

# network namespaces and every mount under the state directory (deepest first)
for ns in /run/netns/cni-*; do
  [ -e "$ns" ] || continue
  # only namespaces that held one of this cluster's pods (bridge CNI named the host side after $CNI_BRIDGE)
  if ip netns exec "$(basename "$ns")" ip -4 addr 2>/dev/null | grep -q "inet ${POD_CIDR%.*}\."; then
    umount "$ns" 2>/dev/null; rm -f "$ns"
  fi
done
awk -v d="$STATE_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
done
ip link show "$CNI_BRIDGE" >/dev/null 2>&1 && ip link delete "$CNI_BRIDGE"
ip addr show dev "$NODE_IF" 2>/dev/null | grep -q " $NODE_IP/32 " && ip addr del "$NODE_IP/32" dev "$NODE_IF"
# cgroups kubelet made (cgroup v1 and v2 layouts), leaves first
for root in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/kubepods.slice; do
  [ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null
done
rm -rf "$STATE_DIR"
log "cluster down ($((SECONDS - T0))s)"

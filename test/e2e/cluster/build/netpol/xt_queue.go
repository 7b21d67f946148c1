// Added to sigs.k8s.io/kube-network-policies by the e2e harness's build.sh (see ../../README.md): the same NFQUEUE
// verdict as upstream's nftables `queue` expression, through the xtables NFQUEUE target (nft_compat) instead, for
// kernels built without nft_queue but with xt_NFQUEUE (iptables' -j NFQUEUE), such as the CI machines'.
package networkpolicy

import (
	"encoding/binary"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// xtQueue is `-j NFQUEUE --queue-num id [--queue-bypass]`: struct xt_NFQ_info_v3 {u16 queuenum, queues_total, flags}
// in host byte order (NFQ_FLAG_BYPASS = 1), padded to the 8-byte xtables alignment.
func xtQueue(id int, bypass bool) expr.Any {
	info := make(xt.Unknown, 8)
	binary.NativeEndian.PutUint16(info[0:], uint16(id))
	binary.NativeEndian.PutUint16(info[2:], 1)
	if bypass {
		binary.NativeEndian.PutUint16(info[4:], 1)
	}
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}

package flux

import (
	"fmt"

	"github.com/openova-io/openova/internal/instance"
)

func init() { features = append(features, l2Announcements) }

// l2Announcements, for the Cilium L2 load-balancer option: Cilium answers
// ARP for LoadBalancer IPs taken from the top /27 of the region's node
// subnet (10.0.16·(i+1).0/20, whose low hosts are the nodes').
func l2Announcements(p *plan, r *region) []unit {
	if p.spec.LoadBalancer.Type != instance.LBCiliumL2 || !p.has("cilium") {
		return nil
	}
	pool := newObj("cilium.io/v2", "CiliumLoadBalancerIPPool", r.Cluster, "")
	pool["spec"] = obj{"blocks": []any{obj{"cidr": L2PoolCIDR(r.Index)}}}
	policy := newObj("cilium.io/v2alpha1", "CiliumL2AnnouncementPolicy", r.Cluster, "")
	policy["spec"] = obj{
		"loadBalancerIPs": true,
		"interfaces":      []any{"^enp7s0$", "^ens10$"}, // Hetzner's private network interface
		"nodeSelector":    obj{"matchExpressions": []any{obj{"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}}},
	}
	return []unit{{"cilium", "l2-announcements.yaml", []obj{pool, policy}}}
}

// L2PoolCIDR is the LoadBalancer IP pool of the i-th region.
func L2PoolCIDR(i int) string { return fmt.Sprintf("10.0.%d.224/27", 16*(i+1)+15) }

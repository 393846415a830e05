package terraform

import (
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/instance"
)

// model is the spec turned into the facts the templates print: addressing
// and resource names decided once, here.
type model struct {
	Spec        *instance.Spec
	Shared      bool // one Hetzner Cloud network for both regions
	Cloudflare  bool
	CiliumChart string
	Bundles     map[string]map[string][]byte
	Regions     []*region
}

type region struct {
	instance.Region
	Index       int
	ID          string // HCL identifier prefix
	Cluster     string
	ClusterID   int    // Cilium Cluster Mesh ID, distinct per region
	Subnet      string // node subnet
	PodCIDR     string // distinct per region for Cluster Mesh
	ServiceCIDR string
	NetworkRef  string // HCL expression of the hcloud_network id
	Pools       []pool
	Peer        *region // the other region, when there are two
}

type pool struct {
	instance.WorkerPool
	ID     string
	Offset int // first host number in the subnet
}

// Addressing (instance/network.go): control planes from host
// instance.ControlPlaneHost, the ingress load balancer at host 5, workers
// from host 256.
const (
	networkCIDR   = instance.NetworkCIDR
	cpHostBase    = instance.ControlPlaneHost
	lbHost        = 5
	workerHostBas = 256
)

func newModel(in Input) *model {
	s := in.Spec
	m := &model{Spec: s, Shared: s.SharedNetwork() || len(s.Regions) == 1, Cloudflare: s.DNS.Provider == instance.DNSCloudflare,
		CiliumChart: in.CiliumChart, Bundles: in.Bundles}
	for i, r := range s.Regions {
		id := hclID(r.Name)
		rr := &region{
			Region: r, Index: i, ID: id, Cluster: s.Cluster(r), ClusterID: instance.ClusterMeshID(i),
			Subnet:      instance.NodeSubnet(i),
			PodCIDR:     instance.PodCIDR(i),
			ServiceCIDR: instance.ServiceCIDR(i),
			NetworkRef:  "hcloud_network.main.id",
		}
		if !m.Shared {
			rr.NetworkRef = "hcloud_network." + id + ".id"
		}
		off := workerHostBas
		for _, w := range r.WorkerPools {
			rr.Pools = append(rr.Pools, pool{WorkerPool: w, ID: id + "_" + hclID(w.Name), Offset: off})
			off += w.Count
		}
		m.Regions = append(m.Regions, rr)
	}
	if len(m.Regions) == 2 {
		m.Regions[0].Peer, m.Regions[1].Peer = m.Regions[1], m.Regions[0]
	}
	return m
}

// hclID makes a name usable as an HCL identifier part (names are already
// lowercase RFC 1123 labels; '-' is valid in HCL but '_' reads better
// next to the suffixes).
func hclID(name string) string { return strings.ReplaceAll(name, "-", "_") }

// cpPrivateIP is the private address of the first control plane, known
// before any server exists (the others join it).
func (r *region) cpPrivateIP() string { return fmt.Sprintf("cidrhost(%q, %d)", r.Subnet, cpHostBase) }

// serverRefs lists the HCL splat expressions of every server of a region.
func (r *region) serverRefs() []string {
	refs := []string{"hcloud_server." + r.ID + "_cp[*]"}
	for _, p := range r.Pools {
		refs = append(refs, "hcloud_server."+p.ID+"[*]")
	}
	return refs
}

func (r *region) clusterLabel() string { return fmt.Sprintf("openova.io/cluster=%s", r.Cluster) }

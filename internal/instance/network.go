package instance

import "fmt"

// The address plan of an instance, one home for both halves of the
// generator: terraform places servers by it, and the Flux tree's Cilium
// (k8sServiceHost, Cluster Mesh peers and IDs) must agree with what the
// first node installed at boot. Region i is spec.regions[i].
//
// One /16 network, a /20 node subnet per region, control planes from
// host 10; pod and service CIDRs never overlap between regions.
const (
	NetworkCIDR      = "10.0.0.0/16"
	ControlPlaneHost = 10 // host number of the first control plane in its subnet
)

// ClusterMeshID is region i's Cilium cluster ID: distinct per region, 1..255.
func ClusterMeshID(i int) int { return i + 1 }

// NodeSubnet is region i's node subnet.
func NodeSubnet(i int) string { return fmt.Sprintf("10.0.%d.0/20", 16*(i+1)) }

// APIHost is the private address of region i's first control plane, where
// its Kubernetes API is reached before any Service exists.
func APIHost(i int) string { return fmt.Sprintf("10.0.%d.%d", 16*(i+1), ControlPlaneHost) }

// PodCIDR and ServiceCIDR are region i's cluster CIDRs.
func PodCIDR(i int) string     { return fmt.Sprintf("10.%d.0.0/16", 42+2*i) }
func ServiceCIDR(i int) string { return fmt.Sprintf("10.%d.0.0/16", 43+2*i) }

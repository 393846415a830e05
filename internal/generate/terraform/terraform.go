// Package terraform renders the terraform/ directory of an instance: the
// OpenTofu configuration that creates the Hetzner Cloud infrastructure of
// every region and boots k3s on it. Names and arguments follow the
// hetznercloud/hcloud provider's published schema; secrets are variables
// and never written into a file.
package terraform

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/instance"
)

// Pinned versions of what the OpenTofu configuration installs. The Hetzner
// cloud controller manager and CSI driver are provider add-ons outside the
// catalog's 52 components (OPENOVA.md §4), so they are pinned here.
const (
	TofuVersionConstraint = "~> 1.10.0"
	HcloudProvider        = "1.60.0"
	CloudflareProvider    = "5.5.0"
	K3sVersion            = "v1.33.3+k3s1"
	HcloudCCMChart        = "1.25.1"
	HcloudCSIChart        = "2.19.0"
	ServerImage           = "ubuntu-24.04"

	upstreamK3s    = "https://github.com/k3s-io/k3s/releases/download"
	upstreamCilium = "https://helm.cilium.io/"
	upstreamHcloud = "https://charts.hetzner.cloud"
)

// Dir is the directory the renderer owns in the instance tree.
const Dir = "terraform"

// MaxUserData is Hetzner's limit on server user-data.
const MaxUserData = 32 * 1024

// Input is what the renderer needs.
type Input struct {
	Spec *instance.Spec // defaulted and validated
	// CiliumChart is the Cilium chart version from the catalog's cilium
	// blueprint: k3s starts without a CNI and Cilium is installed at boot.
	CiliumChart string
	// Bundles are, per cluster name, Kubernetes manifests that the first
	// control-plane node applies at boot (k3s auto-deploys its manifests
	// directory): the instance bootstrap bundle. Keys are file names.
	Bundles map[string]map[string][]byte
}

// IngressLoadBalancerName is the name of a cluster's Hetzner load balancer
// (load balancer option "cloud"). The cloud controller manager adopts it
// for the ingress gateway Service carrying the annotation
// load-balancer.hetzner.cloud/name with this value.
func IngressLoadBalancerName(cluster string) string { return cluster + "-ingress" }

// Render adds terraform/ to the tree.
func Render(in Input, t *filetree.Tree) error {
	if in.CiliumChart == "" {
		return fmt.Errorf("terraform: no Cilium chart version: the catalog's cilium blueprint must pin a Helm chart")
	}
	m := newModel(in)
	files := map[string]string{
		"versions.tf":  versionsTF(m),
		"variables.tf": variablesTF(m),
		"project.tf":   networkTF(m),
		"outputs.tf":   outputsTF(m),
	}
	for _, r := range m.Regions {
		files["region_"+r.Name+".tf"] = regionTF(m, r)
	}
	for name, body := range files {
		if err := t.Add(Dir+"/"+name, hclwrite.Format([]byte(body))); err != nil {
			return err
		}
	}
	for _, r := range m.Regions {
		for role, tpl := range cloudInits(m, r) {
			if err := t.Add(Dir+"/"+templatePath(r, role), []byte(tpl)); err != nil {
				return err
			}
		}
	}
	return nil
}

// templatePath is where a role's cloud-init template lives, relative to
// terraform/.
func templatePath(r *region, role string) string {
	return "cloud-init/" + r.Cluster + "/" + role + ".yaml.tftpl"
}

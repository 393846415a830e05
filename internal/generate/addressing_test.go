package generate

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"testing"

	"sigs.k8s.io/yaml"
)

// The two halves must agree on addresses: the Flux tree's Cilium reaches
// the API at the first control plane's private IP that terraform gives it,
// and each region keeps the cluster ID its first node booted with.
func TestTerraformAndFluxAgreeOnAddresses(t *testing.T) {
	spec, err := os.ReadFile("../../examples/two-region.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tree := generate(t, spec)
	serverIP := regexp.MustCompile(`(?m)^    ip\s+= cidrhost\("([0-9./]+)", ([0-9]+) \+ count\.index\)`)
	bootID := regexp.MustCompile(`(?m)^\s+id: ([0-9]+)$`)
	for _, r := range []string{"fsn", "hel"} {
		tf, _ := tree.Get("terraform/region_" + r + ".tf")
		m := serverIP.FindSubmatch(tf) // the first server block is the control plane's
		if m == nil {
			t.Fatalf("%s: no control-plane server IP in terraform", r)
		}
		cpIP := cidrhost(t, string(m[1]), string(m[2]))

		var hr struct {
			Kind string `json:"kind"`
			Spec struct {
				Values struct {
					K8sServiceHost string `json:"k8sServiceHost"`
					Cluster        struct {
						ID int `json:"id"`
					} `json:"cluster"`
				} `json:"values"`
			} `json:"spec"`
		}
		release, _ := tree.Get("clusters/" + r + "/crds/cilium/release.yaml")
		for _, doc := range bytes.Split(release, []byte("\n---\n")) {
			if err := yaml.Unmarshal(doc, &hr); err != nil {
				t.Fatal(err)
			}
			if hr.Kind == "HelmRelease" {
				break
			}
		}
		if hr.Spec.Values.K8sServiceHost != cpIP {
			t.Errorf("%s: flux's Cilium k8sServiceHost %s, terraform's first control plane %s", r, hr.Spec.Values.K8sServiceHost, cpIP)
		}
		initTpl, _ := tree.Get("terraform/cloud-init/bank-" + r + "/server-init.yaml.tftpl")
		id := bootID.FindSubmatch(initTpl)
		if id == nil || string(id[1]) != strconv.Itoa(hr.Spec.Values.Cluster.ID) {
			t.Errorf("%s: cluster ID at boot %q, in the Flux tree %d", r, id, hr.Spec.Values.Cluster.ID)
		}
	}
}

// cidrhost is OpenTofu's cidrhost for IPv4.
func cidrhost(t *testing.T, prefix, host string) string {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(host)
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) + uint32(n)
	return fmt.Sprintf("%d.%d.%d.%d", v>>24, v>>16&0xff, v>>8&0xff, v&0xff)
}

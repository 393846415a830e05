package generate

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate/terraform"
	"github.com/openova-io/openova/internal/tofutest"
)

var (
	catOnce sync.Once
	cat     *catalog.Catalog
	catErr  error
)

// repoCatalog is the real catalog of this checkout.
func repoCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	catOnce.Do(func() { cat, catErr = catalog.LoadDir("../..") })
	if catErr != nil {
		t.Fatal(catErr)
	}
	return cat
}

func minimal(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/one-region.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// variants of the minimal example that exercise each topology.
func variants(t *testing.T) map[string][]byte {
	m := minimal(t)
	second := func(loc string) []byte {
		return bytes.Replace(m, []byte("  loadBalancer:"), []byte("    - name: "+loc[:3]+"\n      location: "+loc+"\n  loadBalancer:"), 1)
	}
	return map[string][]byte{
		"one-region":        m,
		"shared-network":    second("nbg1"),
		"wireguard-mesh":    second("ash"),
		"k8gb-dns":          bytes.Replace(m, []byte("type: cloud"), []byte("type: k8gb-dns"), 1),
		"air-gapped-mirror": append(append([]byte{}, m...), []byte("  mirror:\n    registry: harbor.acme.internal/mirror\n    charts: oci://harbor.acme.internal/charts\n    binaries: https://files.acme.internal/mirror\n")...),
	}
}

func generate(t *testing.T, spec []byte) *filetree.Tree {
	t.Helper()
	tree, err := Generate(spec, repoCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestGenerateIsDeterministic(t *testing.T) {
	for name, spec := range variants(t) {
		a, b := generate(t, spec), generate(t, spec)
		if strings.Join(a.Paths(), ",") != strings.Join(b.Paths(), ",") {
			t.Fatalf("%s: paths differ", name)
		}
		for _, p := range a.Paths() {
			x, _ := a.Get(p)
			y, _ := b.Get(p)
			if !bytes.Equal(x, y) {
				t.Fatalf("%s: %s differs between two runs", name, p)
			}
		}
	}
}

func TestSpecCopiedVerbatim(t *testing.T) {
	spec := minimal(t)
	got, _ := generate(t, spec).Get(SpecFile)
	if !bytes.Equal(got, spec) {
		t.Fatal("instance.yaml must be the customer's file byte for byte")
	}
}

func TestGenerateRejectsInvalidSpec(t *testing.T) {
	_, err := Generate(bytes.Replace(minimal(t), []byte("location: fsn1"), []byte("location: fra1"), 1), repoCatalog(t))
	if err == nil || !strings.Contains(err.Error(), "spec.regions[0].location") {
		t.Fatalf("want the validation error, got %v", err)
	}
}

func TestTerraformParses(t *testing.T) {
	for name, spec := range variants(t) {
		tree := generate(t, spec)
		p := hclparse.NewParser()
		n := 0
		for _, path := range tree.Under(terraform.Dir) {
			if !strings.HasSuffix(path, ".tf") {
				continue
			}
			src, _ := tree.Get(path)
			if _, diags := p.ParseHCL(src, path); diags.HasErrors() {
				t.Errorf("%s: %s: %v", name, path, diags)
			}
			n++
		}
		if n < 5 {
			t.Fatalf("%s: only %d .tf files", name, n)
		}
	}
}

// The rendered user-data must fit Hetzner's 32 KiB: the template with
// every variable at its largest value.
func TestUserDataFitsHetznerLimit(t *testing.T) {
	bundle := []byte(strings.Repeat("apiVersion: v1\nkind: ConfigMap\n", 200))
	Renderers = append(Renderers, fakeBundle{cluster: "acme-fsn", data: bundle})
	defer func() { Renderers = Renderers[:len(Renderers)-1] }()
	largest := strings.NewReplacer(
		"${k3s_token}", strings.Repeat("k", 128),
		"${hcloud_token}", strings.Repeat("h", 64),
		"${network_id}", strings.Repeat("9", 20),
		"${base64encode(archival_access_key_id)}", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 128))),
		"${base64encode(archival_secret_access_key)}", base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 128))),
		"${floating_ip}", "255.255.255.255", "${node_ip}", "255.255.255.255",
	)
	for name, spec := range variants(t) {
		tree := generate(t, spec)
		tpls := 0
		for _, p := range tree.Under(terraform.Dir + "/cloud-init") {
			src, _ := tree.Get(p)
			rendered := largest.Replace(string(src))
			if strings.Contains(rendered, "${") || strings.Contains(rendered, "%{") {
				t.Fatalf("%s: %s has an unexpected template sequence", name, p)
			}
			if len(rendered) > terraform.MaxUserData {
				t.Errorf("%s: %s renders to %d bytes, over Hetzner's %d", name, p, len(rendered), terraform.MaxUserData)
			}
			t.Logf("%s: %s: %d bytes", name, p, len(rendered))
			tpls++
		}
		if tpls < 3 {
			t.Fatalf("%s: %d cloud-init templates", name, tpls)
		}
	}
}

type fakeBundle struct {
	cluster string
	data    []byte
}

func (f fakeBundle) Name() string { return "test bundle" }
func (f fakeBundle) Render(_ *Input, t *filetree.Tree) error {
	return t.Add(BundleDir+"/"+f.cluster+"/bundle.yaml", f.data)
}

func TestBundleDeliveredToFirstNode(t *testing.T) {
	Renderers = append(Renderers, fakeBundle{cluster: "acme-fsn", data: []byte("kind: Namespace\n")})
	defer func() { Renderers = Renderers[:len(Renderers)-1] }()
	tree := generate(t, minimal(t))
	init, _ := tree.Get("terraform/cloud-init/acme-fsn/server-init.yaml.tftpl")
	join, _ := tree.Get("terraform/cloud-init/acme-fsn/server-join.yaml.tftpl")
	if !bytes.Contains(init, []byte("/var/lib/rancher/k3s/server/manifests/openova/bundle.yaml")) || bytes.Contains(join, []byte("openova/bundle.yaml")) {
		t.Fatal("the bundle goes to the first control-plane node only")
	}
}

func TestNoSecretsInFiles(t *testing.T) {
	tree := generate(t, minimal(t))
	vars, _ := tree.Get("terraform/variables.tf")
	for _, v := range []string{"hcloud_token", "k3s_token", "state_passphrase", "cloudflare_api_token", "archival_access_key_id", "archival_secret_access_key"} {
		block := string(vars)[strings.Index(string(vars), `variable "`+v+`"`):]
		block = block[:strings.Index(block, "\n}\n")]
		if !strings.Contains(block, "sensitive   = true") || strings.Contains(block, "default") {
			t.Errorf("variable %s must be sensitive and have no default:\n%s", v, block)
		}
	}
	// Agents never receive the Hetzner token; only the first control
	// plane writes the archival key.
	agent, _ := tree.Get("terraform/cloud-init/acme-fsn/agent-default.yaml.tftpl")
	if bytes.Contains(agent, []byte("hcloud_token")) || bytes.Contains(agent, []byte("archival_")) {
		t.Fatal("worker user-data must not carry the Hetzner token or the archival key")
	}
	join, _ := tree.Get("terraform/cloud-init/acme-fsn/server-join.yaml.tftpl")
	if bytes.Contains(join, []byte("archival_")) {
		t.Fatal("a joining control plane must not carry the archival key")
	}
}

func TestTopologies(t *testing.T) {
	v := variants(t)
	shared, _ := generate(t, v["shared-network"]).Get("terraform/project.tf")
	if !bytes.Contains(shared, []byte(`resource "hcloud_network" "main"`)) {
		t.Error("fsn1+nbg1 share one network")
	}
	mesh := generate(t, v["wireguard-mesh"])
	net, _ := mesh.Get("terraform/project.tf")
	fsn, _ := mesh.Get("terraform/region_fsn.tf")
	if bytes.Contains(net, []byte(`"main"`)) || !bytes.Contains(fsn, []byte(`"51871"`)) || !bytes.Contains(fsn, []byte("hcloud_server.ash_cp[*]")) {
		t.Error("fsn1+ash need separate networks and a WireGuard mesh firewall naming the peer's servers")
	}
	k8gb, _ := generate(t, v["k8gb-dns"]).Get("terraform/region_fsn.tf")
	if bytes.Contains(k8gb, []byte("hcloud_load_balancer")) || !bytes.Contains(k8gb, []byte(`port        = "443"`)) {
		t.Error("k8gb-dns: no load balancer, HTTPS open on the nodes")
	}
	cloud, _ := generate(t, v["one-region"]).Get("terraform/region_fsn.tf")
	if !bytes.Contains(cloud, []byte(`name               = "acme-fsn-ingress"`)) || bytes.Contains(cloud, []byte(`port        = "443"`)) {
		t.Error("cloud: a load balancer named for the CCM, HTTPS not open on the nodes")
	}
}

func TestAirGappedUsesOnlyTheMirror(t *testing.T) {
	tree := generate(t, variants(t)["air-gapped-mirror"])
	for _, p := range tree.Under(terraform.Dir + "/cloud-init") {
		src, _ := tree.Get(p)
		for _, host := range []string{"github.com", "helm.cilium.io", "charts.hetzner.cloud", "get.k3s.io"} {
			if bytes.Contains(src, []byte(host)) {
				t.Errorf("%s reaches %s despite the mirror", p, host)
			}
		}
		if !bytes.Contains(src, []byte("https://files.acme.internal/mirror/k3s-io/k3s/releases/download/v1.33.3%2Bk3s1")) {
			t.Errorf("%s does not fetch k3s from the mirror", p)
		}
	}
}

// TestTofuFmt checks the OpenTofu output with the real tofu binary, built
// from the Go module proxy by hack/testbin/install-tofu.sh.
func TestTofuFmt(t *testing.T) {
	tofu := tofutest.Bin(t)
	for name, spec := range variants(t) {
		dir := t.TempDir()
		if _, err := filetree.Write(generate(t, spec), dir); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tofu, "fmt", "-check", "-diff", "-recursive", filepath.Join(dir, terraform.Dir)).CombinedOutput()
		if err != nil {
			t.Errorf("%s: tofu fmt -check: %v\n%s", name, err, out)
		}
	}
}

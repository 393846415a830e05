package generate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/generate/terraform"
	"github.com/openova-io/openova/internal/tofutest"
)

// TestArchivalKeyReachesTheFirstNode renders the first control plane's
// user-data with the real tofu, exactly as region_<name>.tf does (its
// generated locals block, templatefile, the sensitive variables from
// TF_VAR_ environment variables), and reads the archival Secret back from
// the cloud-config: the key arrives byte for byte, even with characters
// that would break a hand-quoted YAML string. The variables' validation
// refuses a malformed key by name. Only the cloud-assigned values (network
// id, floating IP) are literals here: tofu cannot plan the hcloud
// resources without the provider, which this machine cannot download.
func TestArchivalKeyReachesTheFirstNode(t *testing.T) {
	tofu := tofutest.Bin(t)
	tree := generate(t, variants(t)["wireguard-mesh"]) // two regions, one network each
	const id, secret = "AKIAEXAMPLE0123456789", `q"8\n$x%{y}#'k:!/+=Zz0-{{.v}}`
	for _, r := range []struct{ id, cluster, network string }{
		{"fsn", "acme-fsn", "hcloud_network.fsn.id"}, {"ash", "acme-ash", "hcloud_network.ash.id"},
	} {
		dir := t.TempDir()
		if _, err := filetree.Write(tree, dir); err != nil {
			t.Fatal(err)
		}
		mod := filepath.Join(dir, terraform.Dir)
		locals := localsBlock(t, tree, "region_"+r.id+".tf")
		locals = strings.NewReplacer(r.network, `"4711"`, "hcloud_floating_ip."+r.id+"_dns.ip_address", `"203.0.113.10"`).Replace(locals)
		render := locals + `
output "user_data" {
  sensitive = true
  value     = templatefile("${path.module}/cloud-init/` + r.cluster + `/server-init.yaml.tftpl", merge(local.` + r.id + `_server_vars, { node_ip = "10.0.1.10" }))
}
`
		// Only variables.tf, the templates and this file: no provider.
		for _, f := range []string{"versions.tf", "project.tf", "outputs.tf", "region_fsn.tf", "region_ash.tf"} {
			if err := os.Remove(filepath.Join(mod, f)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(mod, "render.tf"), []byte(render), 0o600); err != nil {
			t.Fatal(err)
		}
		env := []string{
			"TF_VAR_hcloud_token=" + strings.Repeat("h", 64), "TF_VAR_k3s_token=" + strings.Repeat("k", 64),
			"TF_VAR_state_passphrase=correct horse battery", "TF_VAR_ssh_public_key=ssh-ed25519 AAAA test",
			`TF_VAR_admin_cidrs=["198.51.100.0/24"]`, "TF_VAR_cloudflare_api_token=" + strings.Repeat("c", 40),
			"TF_VAR_archival_access_key_id=" + id, "TF_VAR_archival_secret_access_key=" + secret,
		}
		tofutest.Run(t, tofu, mod, nil, "init", "-input=false", "-backend=false", "-no-color")
		if out, err := tofutest.Run(t, tofu, mod, env, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
			t.Fatalf("%s: tofu apply: %v\n%s", r.cluster, err, out)
		} else if strings.Contains(out, secret) || strings.Contains(out, id) {
			t.Errorf("%s: tofu printed the archival key", r.cluster)
		}
		out, err := tofutest.Run(t, tofu, mod, env, "output", "-json", "user_data")
		if err != nil {
			t.Fatalf("tofu output: %v\n%s", err, out)
		}
		var userData string
		if err := json.Unmarshal([]byte(out), &userData); err != nil {
			t.Fatalf("tofu output: %v\n%s", err, out)
		}
		if len(userData) > terraform.MaxUserData {
			t.Errorf("%s: user-data %d bytes, over Hetzner's %d", r.cluster, len(userData), terraform.MaxUserData)
		}
		got := archivalSecretOf(t, userData)
		if got["accessKeyId"] != id || got["secretAccessKey"] != secret {
			t.Errorf("%s: the node writes %q, want the key given to tofu", r.cluster, got)
		}

		bad := append(env[:len(env)-2:len(env)-2], "TF_VAR_archival_access_key_id=short", "TF_VAR_archival_secret_access_key="+secret)
		if out, err := tofutest.Run(t, tofu, mod, bad, "plan", "-input=false", "-no-color"); err == nil || !strings.Contains(out, "archival_access_key_id must be") {
			t.Fatalf("%s: a malformed key id = %v, want the variable's validation message\n%s", r.cluster, err, out)
		}
	}
}

// localsBlock is the text of the locals block of a generated file.
func localsBlock(t *testing.T, tree *filetree.Tree, name string) string {
	t.Helper()
	src, ok := tree.Get(terraform.Dir + "/" + name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "locals" {
			rg := b.Range()
			return string(src[rg.Start.Byte:rg.End.Byte]) + "\n"
		}
	}
	t.Fatalf("%s has no locals block", name)
	return ""
}

// archivalSecretOf finds the archival Secret among the cloud-config's
// write_files and decodes its data.
func archivalSecretOf(t *testing.T, userData string) map[string]string {
	t.Helper()
	var cc struct {
		WriteFiles []struct{ Path, Content string } `json:"write_files"`
	}
	if err := yaml.Unmarshal([]byte(userData), &cc); err != nil {
		t.Fatalf("user-data is not YAML: %v", err)
	}
	for _, f := range cc.WriteFiles {
		if f.Path != "/var/lib/rancher/k3s/server/manifests/"+flux.ArchivalBootSecret+".yaml" {
			continue
		}
		var s corev1.Secret
		if err := yaml.UnmarshalStrict([]byte(f.Content), &s); err != nil {
			t.Fatalf("%s: %v\n%s", f.Path, err, f.Content)
		}
		if s.APIVersion != "v1" || s.Kind != "Secret" || s.Name != flux.ArchivalBootSecret || s.Namespace != flux.ArchivalBootNamespace {
			t.Fatalf("%s is %s %s %s/%s", f.Path, s.APIVersion, s.Kind, s.Namespace, s.Name)
		}
		out := map[string]string{}
		for k, v := range s.Data { // base64-decoded by the API types, as the API server does
			out[k] = string(v)
		}
		return out
	}
	t.Fatal("the first node's user-data writes no archival Secret")
	return nil
}

package http_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/openova-io/openova/internal/tofutest"
	"github.com/openova-io/openova/internal/wizard"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
)

// TestEveryRequiredVariableComesFromTheWizard walks the wizard to held
// credentials and checks, for the exported tree, that each variable the
// generated OpenTofu root module declares without a default is in the
// environment managed apply gives tofu: statically (the HCL), then with
// the real tofu, which plans variables.tf (no provider needed) with only
// that environment and -input=false, so an unset variable or a value its
// validation refuses fails. Dropping one value must fail, naming it.
func TestEveryRequiredVariableComesFromTheWizard(t *testing.T) {
	tofu := tofutest.Bin(t)
	for _, example := range []string{"one-region", "two-region"} {
		t.Run(example, func(t *testing.T) {
			h := newHarness(t)
			c := h.client().mustLogin("admin", adminPassword)
			id := c.newBootstrap()
			bodies, in := stepBodies(t, "../../../examples/"+example+".yaml")
			for _, st := range wizard.Steps {
				if len(st.Fields) > 0 {
					if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/"+st.Name, bodies[st.Name]); code != 200 {
						t.Fatalf("step %s = %d %s", st.Name, code, data)
					}
				}
			}
			if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", typed); code != 200 {
				t.Fatalf("credentials = %d %s", code, data)
			}
			c.generateAll(id)
			code, archive := c.do("GET", "/api/v1/bootstraps/"+id+"/export", nil)
			if code != http.StatusOK {
				t.Fatalf("export = %d", code)
			}
			files, err := wizard.Unarchive(archive, in.Spec.Tenant+"-instance")
			if err != nil {
				t.Fatal(err)
			}

			// The values exactly as managed apply would pass them.
			sealed, err := h.store.Credentials(context.Background(), orgOf(t, h), id)
			if err != nil {
				t.Fatal(err)
			}
			plain := map[string]string{}
			for name, box := range sealed {
				v, err := h.sealer.Open(box, orgOf(t, h)+"/"+id+"/"+name)
				if err != nil {
					t.Fatal(err)
				}
				plain[name] = string(v)
			}
			env, passphrase := wizhttp.TofuEnv(plain)
			if passphrase == "" {
				t.Fatal("no state passphrase in the held values")
			}

			var required []string
			for p, src := range files {
				if !strings.HasPrefix(p, "terraform/") || !strings.HasSuffix(p, ".tf") || strings.Contains(strings.TrimPrefix(p, "terraform/"), "/") {
					continue
				}
				required = append(required, requiredVariables(t, p, src)...)
			}
			if len(required) < 5 {
				t.Fatalf("found only %v required variables: the HCL walk is broken", required)
			}
			for _, v := range required {
				if !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "TF_VAR_"+v+"=") }) {
					t.Errorf("variable %q has no default and the wizard does not pass TF_VAR_%s", v, v)
				}
			}

			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "variables.tf"), files["terraform/variables.tf"], 0o600); err != nil {
				t.Fatal(err)
			}
			tofutest.Run(t, tofu, dir, nil, "init", "-input=false", "-backend=false", "-no-color")
			out, err := tofutest.Run(t, tofu, dir, env, "plan", "-input=false", "-lock=false", "-no-color")
			if err != nil {
				t.Fatalf("tofu plan with the wizard's values: %v\n%s", err, out)
			}
			for _, v := range plain {
				if len(v) >= 6 && strings.Contains(out, v) && !strings.HasPrefix(v, "ssh-") && !strings.Contains(v, "/") {
					t.Errorf("tofu printed a held value")
				}
			}
			without := slices.DeleteFunc(slices.Clone(env), func(e string) bool { return strings.HasPrefix(e, "TF_VAR_k3s_token=") })
			if out, err := tofutest.Run(t, tofu, dir, without, "plan", "-input=false", "-lock=false", "-no-color"); err == nil || !strings.Contains(out, "k3s_token") {
				t.Fatalf("plan without the k3s token = %v, want a failure naming k3s_token\n%s", err, out)
			}
		})
	}
}

// requiredVariables are the variable blocks of one file without a default.
func requiredVariables(t *testing.T, name string, src []byte) []string {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	var out []string
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 {
			continue
		}
		if _, ok := b.Body.Attributes["default"]; !ok {
			out = append(out, b.Labels[0])
		}
	}
	return out
}

// TestTypedInputsAreValidatedNextToTheirField: an SSH key or admin
// networks the generated configuration would refuse are refused here,
// each error under its own field.
func TestTypedInputsAreValidatedNextToTheirField(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	for _, tc := range []struct{ field, value, says string }{
		{"ssh-public-key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "private key"},
		{"ssh-public-key", "ssh-ed25519 not-base64!", "not an SSH public key"},
		{"ssh-public-key", testSSHKey + "\n" + testSSHKey, "exactly one"},
		{"admin-cidrs", "0.0.0.0/0", "whole internet"},
		{"admin-cidrs", "198.51.100.0/24, 10.0.0.300/8", "10.0.0.300/8 is not a CIDR"},
		{"admin-cidrs", " , ", "at least one network"},
	} {
		code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", map[string]string{tc.field: tc.value})
		body := decode[struct {
			Errors []wizard.FieldError
		}](t, data)
		if code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
			t.Errorf("%s=%q: %d %s, want refused", tc.field, tc.value, code, data)
			continue
		}
		if len(body.Errors) != 1 || body.Errors[0].Field != "credentials."+tc.field || !strings.Contains(body.Errors[0].Message, tc.says) {
			t.Errorf("%s=%q: errors %+v, want one on credentials.%s saying %q", tc.field, tc.value, body.Errors, tc.field, tc.says)
		}
	}
	if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", map[string]string{"admin-cidrs": "198.51.100.7/24 2001:db8::/32", "ssh-public-key": testSSHKey}); code != 200 {
		t.Fatalf("valid inputs = %d %s", code, data)
	}
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/credentials/generate?name=hcloud-token", nil); code == http.StatusCreated {
		t.Fatalf("generating a typed credential = %d %s", code, data)
	}
	env, _ := wizhttp.TofuEnv(map[string]string{"admin-cidrs": "198.51.100.7/24 2001:db8::/32"})
	if want := `TF_VAR_admin_cidrs=["198.51.100.0/24","2001:db8::/32"]`; len(env) != 1 || env[0] != want {
		t.Fatalf("admin networks reach tofu as %v, want %s", env, want)
	}
}

package http_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/generate"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
)

// The archival key goes to tofu twice: to the state backend (AWS_*) and
// to the variables that deliver it to the clusters (TF_VAR_archival_*),
// with one value each. Every TF_VAR_ the wizard sets is a variable the
// generated configuration declares, and no held value is written into the
// generated tree.
func TestArchivalKeyReachesTofuUnderBothNames(t *testing.T) {
	env, _ := wizhttp.TofuEnv(typed)
	for cred, names := range map[string][]string{
		"s3-access-key-id":     {"AWS_ACCESS_KEY_ID", "TF_VAR_archival_access_key_id"},
		"s3-secret-access-key": {"AWS_SECRET_ACCESS_KEY", "TF_VAR_archival_secret_access_key"},
	} {
		for _, n := range names {
			if !slices.Contains(env, n+"="+typed[cred]) {
				t.Errorf("%s does not reach tofu as %s", cred, n)
			}
		}
	}
	for _, example := range []string{"one-region", "two-region"} {
		spec, err := os.ReadFile("../../../examples/" + example + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		tree, err := generate.Generate(spec, embeddedCatalog(t))
		if err != nil {
			t.Fatal(err)
		}
		vars, _ := tree.Get("terraform/variables.tf")
		for _, e := range env {
			name, _, _ := strings.Cut(e, "=")
			if v, ok := strings.CutPrefix(name, "TF_VAR_"); ok && !strings.Contains(string(vars), `variable "`+v+`"`) {
				t.Errorf("%s: the wizard sets %s, which terraform/variables.tf does not declare", example, name)
			}
		}
		for _, p := range tree.Paths() {
			data, _ := tree.Get(p)
			for name, v := range typed {
				if name != "ssh-public-key" && name != "admin-cidrs" && strings.Contains(string(data), v) {
					t.Errorf("%s: %s holds the %s", example, p, name)
				}
			}
		}
	}
}

package flux_test

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/generate/flux"
)

// Flux reads every private repository of the in-cluster Gitea with one
// Secret: each GitRepository (blueprint charts) names the Secret the
// FluxInstance names as its pull secret for the instance repository.
func TestGitRepositoriesReadWithTheFluxPullSecret(t *testing.T) {
	cat := realCatalog(t)
	for name := range examples {
		repos, pull := 0, 0
		for p, data := range render(t, readExample(t, name), cat) {
			if !strings.HasSuffix(p, ".yaml") {
				continue
			}
			for _, doc := range strings.Split(string(data), "\n---\n") {
				var o struct {
					Kind     string
					Metadata struct{ Name, Namespace string }
					Spec     struct {
						URL       string
						SecretRef *struct{ Name string } `json:"secretRef"`
						Sync      *struct {
							Kind, PullSecret string
						} `json:"sync"`
					}
				}
				if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
					continue // not an object (e.g. a kustomization list); others' tests parse those
				}
				switch {
				case o.Kind == "GitRepository":
					repos++
					if o.Spec.SecretRef == nil || o.Spec.SecretRef.Name != flux.GitReadSecret {
						t.Errorf("%s: %s: GitRepository %s (%s) has secretRef %+v, want %q", name, p, o.Metadata.Name, o.Spec.URL, o.Spec.SecretRef, flux.GitReadSecret)
					}
				case o.Kind == "FluxInstance" && o.Spec.Sync != nil:
					pull++
					if o.Spec.Sync.PullSecret != flux.GitReadSecret {
						t.Errorf("%s: %s: FluxInstance pull secret %q, want %q (one Secret for every Gitea repository)", name, p, o.Spec.Sync.PullSecret, flux.GitReadSecret)
					}
				}
			}
		}
		if repos == 0 || pull == 0 {
			t.Errorf("%s: %d GitRepositories and %d FluxInstances checked; want some of each", name, repos, pull)
		}
	}
}

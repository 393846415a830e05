package catalog

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func names(bs []*Blueprint) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name()
	}
	return out
}

func TestResolveAlwaysIncludesMandatoryAndPulledIn(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	got, err := c.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	// 25 mandatory + cnpg, pulled in by gitea.
	if len(got) != 26 || !slices.Contains(names(got), "cnpg") {
		t.Fatalf("empty selection: got %v", names(got))
	}
}

// Dependencies come first; among ready components, the alphabetically
// first; a product expands to its members.
func TestResolveInstallOrder(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	got, err := c.Resolve([]string{"cortex", "keycloak"})
	if err != nil {
		t.Fatal(err)
	}
	order := names(got)
	want := []string{
		"cert-manager", "cilium", "cnpg", "coraza", "crossplane", "external-dns", "external-secrets",
		"failover-controller", "falco", "flux", "gitea", "grafana", "harbor", "k8gb", "keda", "keycloak",
		"knative", "kserve", "bge", "kyverno", "minio", "openbao", "opensearch", "opentofu", "reloader",
		"sigstore", "syft-grype", "trivy", "velero", "vpa",
	}
	if !slices.Equal(order, want) {
		t.Fatalf("order:\n got %v\nwant %v", order, want)
	}
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	for _, b := range got {
		for _, d := range b.Spec.DependsOn {
			if pos[d] > pos[b.Name()] {
				t.Errorf("%s installed before its dependency %s", b.Name(), d)
			}
		}
	}
}

func TestResolveIsDeterministic(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	first, _ := c.Resolve([]string{"bge", "fingate", "keycloak"})
	for i := 0; i < 20; i++ {
		again, err := c.Resolve([]string{"keycloak", "fingate", "bge", "keycloak"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names(first), names(again)) {
			t.Fatalf("selection order changed the result:\n%v\n%v", names(first), names(again))
		}
	}
}

func TestResolveErrors(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	if _, err := c.Resolve([]string{"kafka"}); err == nil || !strings.Contains(err.Error(), `"kafka" is neither a component nor a product`) {
		t.Fatalf("unknown name: got %v", err)
	}
	fsys := fixtureFS(t)
	edit(t, fsys, bpFile("knative"), func(d map[string]any) { set(d, "spec.dependsOn", []any{"bge"}) })
	c = mustLoad(t, fsys)
	if _, err := c.Resolve([]string{"cortex"}); err == nil || !strings.Contains(err.Error(), "bge → kserve → knative → bge") {
		t.Fatalf("cycle: got %v", err)
	}
	fsys = fixtureFS(t)
	edit(t, fsys, bpFile("kserve"), func(d map[string]any) { set(d, "spec.dependsOn", []any{"istio"}) })
	c = mustLoad(t, fsys)
	if _, err := c.Resolve([]string{"kserve"}); err == nil || !strings.Contains(err.Error(), `kserve depends on unknown component "istio"`) {
		t.Fatalf("unknown dependency: got %v", err)
	}
}

func TestClosure(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	got, err := c.Closure("bge")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cert-manager", "knative", "kserve"}; !slices.Equal(got, want) {
		t.Fatalf("closure of bge: got %v, want %v", got, want)
	}
	var m fstest.MapFS = fixtureFS(t)
	if c := mustLoad(t, m); c.Cycle() != nil {
		t.Fatalf("acyclic fixture reported a cycle: %v", c.Cycle())
	}
}

func TestProductMembers(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	p, _ := c.Product("fingate")
	if got, want := p.Members(), []string{"cnpg", "keycloak", "valkey"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

package catalog

import (
	"strings"
	"testing"
)

func TestGraph(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	m, err := Graph(c, GraphMermaid)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"graph LR\n", "  c_kserve --> c_knative\n", "  c_gitea --> c_cnpg\n", `  c_cert_manager["cert-manager (mandatory)"]`, "  class c_gitea mandatory\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, m)
		}
	}
	if strings.Count(m, "-->") != 7 {
		t.Errorf("mermaid: want 7 edges, got %d", strings.Count(m, "-->"))
	}
	d, err := Graph(c, GraphDOT)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"digraph catalog {", `  "bge" -> "kserve";`, `  "gitea" [label="gitea (mandatory)", style=bold];`} {
		if !strings.Contains(d, want) {
			t.Errorf("dot lacks %q:\n%s", want, d)
		}
	}
	again, _ := Graph(c, GraphDOT)
	if again != d {
		t.Error("graph output is not stable")
	}
	if _, err := Graph(c, "svg"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("unknown format: got %v", err)
	}
}

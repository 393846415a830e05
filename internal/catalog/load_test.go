package catalog

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadFixture(t *testing.T) {
	c := mustLoad(t, fixtureFS(t))
	if got := len(c.Blueprints); got != 31 {
		t.Errorf("blueprints: got %d, want 31", got)
	}
	if got := len(c.Products); got != 3 {
		t.Errorf("products: got %d, want 3", got)
	}
	if got := len(c.Mandatory()); got != 25 {
		t.Errorf("mandatory: got %d, want 25", got)
	}
	g, ok := c.Blueprint("grafana")
	if !ok || g.Dir != "platform/grafana" || len(g.Spec.Delivery.Helm) != 2 || g.Spec.Delivery.Helm[1].Repository != "oci://registry.example.org/charts" {
		t.Errorf("grafana decoded wrongly: %+v", g)
	}
	if p, ok := c.Product("fingate"); !ok || p.Spec.Services[0].Name != "ext-authz" {
		t.Errorf("fingate decoded wrongly: %+v", p)
	}
	for i := 1; i < len(c.Blueprints); i++ {
		if c.Blueprints[i-1].Name() >= c.Blueprints[i].Name() {
			t.Fatalf("blueprints not sorted by name at %d", i)
		}
	}
}

// Every way a file can fail to load names the file and the field.
func TestLoadProblemsNameFileAndField(t *testing.T) {
	tests := []struct {
		name, file, field, msg string
		mutate                 func(fstest.MapFS)
	}{
		{"unknown field", bpFile("keda"), "spec.replicas", "unknown field", func(m fstest.MapFS) {
			edit(t, m, bpFile("keda"), func(d map[string]any) { set(d, "spec.replicas", 3) })
		}},
		{"unknown nested field", bpFile("keda"), "spec.delivery.helm[0].chartVersion", "unknown field", func(m fstest.MapFS) {
			edit(t, m, bpFile("keda"), func(d map[string]any) { set(d, "spec.delivery.helm[0].chartVersion", "1") })
		}},
		{"missing required field", bpFile("vpa"), "spec.namespace", "required", func(m fstest.MapFS) {
			edit(t, m, bpFile("vpa"), func(d map[string]any) { delete(d["spec"].(map[string]any), "namespace") })
		}},
		{"wrong type", bpFile("vpa"), "spec.dependsOn", "string", func(m fstest.MapFS) {
			edit(t, m, bpFile("vpa"), func(d map[string]any) { set(d, "spec.dependsOn", "cert-manager") })
		}},
		{"bad enum", bpFile("vpa"), "spec.dr.method", "none", func(m fstest.MapFS) {
			edit(t, m, bpFile("vpa"), func(d map[string]any) { set(d, "spec.dr.method", "rsync") })
		}},
		{"wrong kind", prFile("cortex"), "kind", "Product", func(m fstest.MapFS) {
			edit(t, m, prFile("cortex"), func(d map[string]any) { set(d, "kind", "Blueprint") })
		}},
		{"product unknown field", prFile("cortex"), "spec.members", "unknown field", func(m fstest.MapFS) {
			edit(t, m, prFile("cortex"), func(d map[string]any) { set(d, "spec.members", []any{"vllm"}) })
		}},
		{"broken YAML", bpFile("vpa"), "", "not valid YAML", func(m fstest.MapFS) {
			m[bpFile("vpa")] = &fstest.MapFile{Data: []byte("spec: [unclosed\n")}
		}},
		{"directory without blueprint", "platform/ghost/blueprint.yaml", "", "missing", func(m fstest.MapFS) {
			m["platform/ghost/README.md"] = &fstest.MapFile{Data: []byte("x")}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fixtureFS(t)
			tt.mutate(fsys)
			_, err := Load(fsys)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("want a *LoadError, got %v", err)
			}
			for _, p := range le.Problems {
				if p.File == tt.file && p.Field == tt.field && strings.Contains(p.Message, tt.msg) && (p.Fix != "" || tt.field == "") {
					return
				}
			}
			t.Fatalf("no problem for %s %s containing %q; got:\n%v", tt.file, tt.field, tt.msg, err)
		})
	}
}

func TestLoadWithoutSchemasSaysWhere(t *testing.T) {
	fsys := fixtureFS(t)
	delete(fsys, BlueprintSchemaFile)
	_, err := Load(fsys)
	if err == nil || !strings.Contains(err.Error(), BlueprintSchemaFile) || !strings.Contains(err.Error(), "--dir") {
		t.Fatalf("want an error naming %s and --dir, got %v", BlueprintSchemaFile, err)
	}
}

func TestLoadDirRejectsMissingDirectory(t *testing.T) {
	_, err := LoadDir(t.TempDir() + "/nope")
	if err == nil || !strings.Contains(err.Error(), "--dir") {
		t.Fatalf("want an error naming --dir, got %v", err)
	}
}

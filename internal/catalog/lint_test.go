package catalog

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestFixtureCatalogIsClean(t *testing.T) {
	if ps := Lint(mustLoad(t, fixtureFS(t))); len(ps) > 0 {
		t.Fatalf("the fixture catalog should lint clean, got:\n%v", ps)
	}
}

type lintCase struct {
	name   string
	mutate func(t *testing.T, m fstest.MapFS)
	file   string
	field  string
	msg    string // substring of the message
}

func setBP(name, field string, v any) func(*testing.T, fstest.MapFS) {
	return func(t *testing.T, m fstest.MapFS) {
		edit(t, m, bpFile(name), func(d map[string]any) { set(d, field, v) })
	}
}

func setPR(name, field string, v any) func(*testing.T, fstest.MapFS) {
	return func(t *testing.T, m fstest.MapFS) {
		edit(t, m, prFile(name), func(d map[string]any) { set(d, field, v) })
	}
}

// runLint applies each case to a fresh fixture and asserts that Lint
// reports a problem at that file and field, with a fix.
func runLint(t *testing.T, cases []lintCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fixtureFS(t)
			tt.mutate(t, fsys)
			ps, _, err := LintFS(fsys)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.File == tt.file && p.Field == tt.field && strings.Contains(p.Message, tt.msg) {
					if p.Fix == "" {
						t.Fatalf("problem without a fix: %s", p)
					}
					return
				}
			}
			t.Fatalf("want a problem at %s: %s containing %q; got:\n%v", tt.file, tt.field, tt.msg, ps)
		})
	}
}

func TestLintSchema(t *testing.T) {
	runLint(t, []lintCase{
		{"name pattern", setBP("keda", "metadata.name", "KEDA"), bpFile("keda"), "metadata.name", "does not match pattern"},
		{"unknown field", setBP("keda", "spec.replicas", 2), bpFile("keda"), "spec.replicas", "unknown field"},
		{"http upstream", setBP("keda", "spec.upstream.source", "http://example.org"), bpFile("keda"), "spec.upstream.source", "does not match pattern"},
	})
}

func TestLintNames(t *testing.T) {
	runLint(t, []lintCase{
		{"name differs from directory", setBP("keda", "metadata.name", "kedax"), bpFile("keda"), "metadata.name", "differs from its directory"},
		{"duplicate name", func(t *testing.T, m fstest.MapFS) {
			m["platform/keda2/blueprint.yaml"] = m[bpFile("keda")]
		}, "platform/keda2/blueprint.yaml", "metadata.name", "already used by platform/keda/blueprint.yaml"},
		{"product named like a component", func(t *testing.T, m fstest.MapFS) {
			m["products/keda/product.yaml"] = m[prFile("cortex")]
			edit(t, m, "products/keda/product.yaml", func(d map[string]any) { set(d, "metadata.name", "keda") })
		}, "products/keda/product.yaml", "metadata.name", "already used"},
	})
}

func TestLintReferences(t *testing.T) {
	runLint(t, []lintCase{
		{"unknown dependency", setBP("keda", "spec.dependsOn", []any{"cert-manager", "nats"}), bpFile("keda"), "spec.dependsOn[1]", `"nats" is not a component`},
		{"self dependency", setBP("keda", "spec.dependsOn", []any{"keda"}), bpFile("keda"), "spec.dependsOn[0]", "itself"},
		{"unknown product member", setPR("cortex", "spec.components", []any{"kserve", "vllm"}), prFile("cortex"), "spec.components[1]", `"vllm"`},
		{"unknown optional member", setPR("fingate", "spec.optionalComponents", []any{"temporal"}), prFile("fingate"), "spec.optionalComponents[0]", `"temporal"`},
		{"unknown service component", setPR("fingate", "spec.services[0].component", "ext-authz"), prFile("fingate"), "spec.services[0].component", `"ext-authz"`},
		{"unknown model server", setBP("bge", "spec.delivery.model.servedBy", []any{"vllm"}), bpFile("bge"), "spec.delivery.model.servedBy[0]", `"vllm"`},
	})
}

func TestLintCycles(t *testing.T) {
	runLint(t, []lintCase{
		{"three-component cycle", func(t *testing.T, m fstest.MapFS) {
			setBP("knative", "spec.dependsOn", []any{"bge"})(t, m)
		}, bpFile("bge"), "spec.dependsOn", "dependency cycle: bge → kserve → knative → bge"},
	})
}

func TestLintVersions(t *testing.T) {
	runLint(t, []lintCase{
		{"chart range", setBP("keda", "spec.delivery.helm[0].version", "^2.17.0"), bpFile("keda"), "spec.delivery.helm[0].version", "range"},
		{"chart x range", setBP("keda", "spec.delivery.helm[0].version", "2.17.x"), bpFile("keda"), "spec.delivery.helm[0].version", "range"},
		{"chart latest", setBP("keda", "spec.delivery.helm[0].version", "latest"), bpFile("keda"), "spec.delivery.helm[0].version", "not a pinned version"},
		{"chart star", setBP("keda", "spec.delivery.helm[0].version", "*"), bpFile("keda"), "spec.delivery.helm[0].version", "not a pinned version"},
		{"chart not semver", setBP("keda", "spec.delivery.helm[0].version", "2.17"), bpFile("keda"), "spec.delivery.helm[0].version", "not a semantic version"},
		{"tool latest", setBP("opentofu", "spec.delivery.tool.version", "latest"), bpFile("opentofu"), "spec.delivery.tool.version", "not a pinned version"},
		{"companion tool range", setBP("syft-grype", "spec.delivery.tool.extra[0].version", ">=0.97"), bpFile("syft-grype"), "spec.delivery.tool.extra[0].version", "range"},
		{"model on a branch", setBP("bge", "spec.delivery.model.revision", "main"), bpFile("bge"), "spec.delivery.model.revision", "not a pinned version"},
		{"app version latest", setBP("keda", "spec.upstream.appVersion", "latest"), bpFile("keda"), "spec.upstream.appVersion", "not a pinned version"},
		{"version behind changelog", func(t *testing.T, m fstest.MapFS) {
			setBP("keda", "spec.changelog", []any{
				map[string]any{"version": "1.0.0", "date": "2026-01-01", "changes": []any{"a"}},
				map[string]any{"version": "1.1.0", "date": "2026-02-01", "changes": []any{"b"}},
			})(t, m)
		}, bpFile("keda"), "spec.version", "differs from the newest changelog entry 1.1.0"},
		{"bad support constraint", setBP("keda", "spec.support[0].versions", "one point oh"), bpFile("keda"), "spec.support[0].versions", "not a semver constraint"},
	})
}

func TestLintLicenses(t *testing.T) {
	runLint(t, []lintCase{
		{"BUSL", setBP("openbao", "spec.upstream.license", "BUSL-1.1"), bpFile("openbao"), "spec.upstream.license", "source-available"},
		{"SSPL", setBP("opensearch", "spec.upstream.license", "SSPL-1.0"), bpFile("opensearch"), "spec.upstream.license", "source-available"},
		{"Elastic", setBP("opensearch", "spec.upstream.license", "Elastic-2.0 OR SSPL-1.0"), bpFile("opensearch"), "spec.upstream.license", "source-available"},
		{"RSAL", setBP("valkey", "spec.upstream.license", "RSALv2"), bpFile("valkey"), "spec.upstream.license", "source-available"},
		{"Commons Clause", setBP("valkey", "spec.upstream.license", "Apache-2.0 WITH Commons-Clause"), bpFile("valkey"), "spec.upstream.license", "source-available"},
		{"not SPDX", setBP("keda", "spec.upstream.license", "Apache 2"), bpFile("keda"), "spec.upstream.license", "not an OSI-approved"},
		{"broken expression", setBP("keda", "spec.upstream.license", "(MIT OR Apache-2.0"), bpFile("keda"), "spec.upstream.license", "parenthesis"},
	})
}

func TestLintMandatorySet(t *testing.T) {
	runLint(t, []lintCase{
		{"mandatory demoted", setBP("falco", "spec.tier", "alacarte"), bpFile("falco"), "spec.tier", "one of the 25 mandatory"},
		{"à la carte promoted", setBP("keycloak", "spec.tier", "mandatory"), bpFile("keycloak"), "spec.tier", "not in the mandatory set"},
		{"mandatory missing", func(t *testing.T, m fstest.MapFS) { delete(m, bpFile("falco")) }, bpFile("falco"), "", "mandatory component falco is missing"},
	})
}

func TestLintRemoved(t *testing.T) {
	runLint(t, []lintCase{
		{"removed component", func(t *testing.T, m fstest.MapFS) {
			m["platform/rabbitmq/blueprint.yaml"] = m[bpFile("knative")]
			edit(t, m, "platform/rabbitmq/blueprint.yaml", func(d map[string]any) { set(d, "metadata.name", "rabbitmq") })
		}, "platform/rabbitmq/blueprint.yaml", "metadata.name", "rabbitmq was removed"},
		{"removed dependency", setBP("keycloak", "spec.dependsOn", []any{"cnpg", "mongodb"}), bpFile("keycloak"), "spec.dependsOn[1]", "mongodb was removed"},
		{"removed product member", setPR("cortex", "spec.optionalComponents", []any{"langserve"}), prFile("cortex"), "spec.optionalComponents[0]", "langserve was removed"},
	})
}

func TestLintDataDR(t *testing.T) {
	runLint(t, []lintCase{
		{"data category without DR", setBP("cnpg", "spec.dr.method", "none"), bpFile("cnpg"), "spec.dr.method", "data service"},
		{"claim without DR", func(t *testing.T, m fstest.MapFS) {
			setBP("valkey", "spec.category", "Caching")(t, m)
			setBP("valkey", "spec.dr.method", "none")(t, m)
		}, bpFile("valkey"), "spec.dr.method", "data service"},
	})
}

func TestLintClaims(t *testing.T) {
	props := func(n int) map[string]any {
		p := map[string]any{}
		for i := 0; i < n; i++ {
			p[string(rune('a'+i))] = map[string]any{"type": "string"}
		}
		return p
	}
	runLint(t, []lintCase{
		{"too thin", setBP("cnpg", "spec.claim.schema.properties", props(4)), bpFile("cnpg"), "spec.claim.schema.properties", "this one has 4"},
		{"too fat", setBP("cnpg", "spec.claim.schema.properties", props(11)), bpFile("cnpg"), "spec.claim.schema.properties", "this one has 11"},
		{"not an object", setBP("cnpg", "spec.claim.schema.type", "array"), bpFile("cnpg"), "spec.claim.schema.type", "type object"},
		{"invalid JSON Schema", setBP("cnpg", "spec.claim.schema.properties.tier", map[string]any{"type": "strang"}), bpFile("cnpg"), "spec.claim.schema", "not a valid JSON Schema"},
	})
}

func TestLintPlaceholders(t *testing.T) {
	runLint(t, []lintCase{
		{"unknown placeholder", setBP("keda", "spec.delivery.helm[0].values.ingress.host", "keda.<customer>.example"), bpFile("keda"), "spec.delivery.helm[0].values.ingress.host", "unknown placeholder <customer>"},
		{"unknown placeholder in a list", setBP("keda", "spec.delivery.helm[0].values.hosts", []any{"<tenant>", "<org>"}), bpFile("keda"), "spec.delivery.helm[0].values.hosts[1]", "<org>"},
	})
}

func TestLintDelivery(t *testing.T) {
	runLint(t, []lintCase{
		{"plain http repository", setBP("keda", "spec.delivery.helm[0].repository", "http://charts.example.org"), bpFile("keda"), "spec.delivery.helm[0].repository", "does not match pattern"},
		{"both repository and path", setBP("keda", "spec.delivery.helm[0].path", "chart"), bpFile("keda"), "spec.delivery.helm[0]", "both"},
		{"neither repository nor path", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, bpFile("keda"), func(d map[string]any) {
				delete(d["spec"].(map[string]any)["delivery"].(map[string]any)["helm"].([]any)[0].(map[string]any), "repository")
			})
		}, bpFile("keda"), "spec.delivery.helm[0]", "neither"},
		{"missing local chart", setBP("failover-controller", "spec.delivery.helm[0].path", "charts/failover"), bpFile("failover-controller"), "spec.delivery.helm[0].path", "does not exist"},
		{"local chart outside the blueprint", setBP("failover-controller", "spec.delivery.helm[0].path", "../gitea"), bpFile("failover-controller"), "spec.delivery.helm[0].path", "leaves the blueprint directory"},
		{"missing manifest", setBP("vpa", "spec.delivery.manifests", []any{"crds.yaml"}), bpFile("vpa"), "spec.delivery.manifests[0]", "does not exist"},
	})
}

func TestLintMandatoryDependencies(t *testing.T) {
	runLint(t, []lintCase{
		{"mandatory needs à la carte", setBP("harbor", "spec.dependsOn", []any{"cert-manager", "valkey"}), bpFile("harbor"), "spec.dependsOn[1]", "mandatory harbor depends on à la carte valkey"},
	})
	// The recorded decision (gitea → cnpg) is not a problem.
	for _, p := range Lint(mustLoad(t, fixtureFS(t))) {
		if p.File == bpFile("gitea") {
			t.Fatalf("gitea → cnpg is recorded in PulledIn, yet: %s", p)
		}
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{File: "platform/x/blueprint.yaml", Field: "spec.tier", Message: "bad", Fix: "set it"}
	if got, want := p.String(), "platform/x/blueprint.yaml: spec.tier: bad (fix: set it)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

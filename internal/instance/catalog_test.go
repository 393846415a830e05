package instance

import "github.com/openova-io/openova/internal/catalog"

// The component and product names of OPENOVA.md §1, for unit tests that
// must not depend on the catalog files on disk (examples_test.go checks
// the real catalog).
var (
	testMandatory = []string{
		"opentofu", "crossplane", "flux", "gitea", "cilium", "external-dns", "k8gb",
		"cert-manager", "external-secrets", "openbao", "trivy", "falco", "sigstore",
		"syft-grype", "coraza", "kyverno", "grafana", "opensearch", "vpa", "keda",
		"reloader", "minio", "velero", "harbor", "failover-controller",
	}
	testAlaCarte = []string{
		"cnpg", "ferretdb", "valkey", "strimzi", "clickhouse", "debezium", "temporal",
		"flink", "iceberg", "keycloak", "openmeter", "stalwart", "stunner", "livekit",
		"matrix", "knative", "kserve", "vllm", "milvus", "neo4j", "librechat", "bge",
		"llm-gateway", "anthropic-adapter", "nemo-guardrails", "langfuse", "litmus",
	}
	// testManifestsOnly have no Helm chart (raw manifests).
	testManifestsOnly = map[string]bool{"ferretdb": true, "stalwart": true}
	testProducts      = []string{"core", "catalyst", "cortex", "axon", "fingate", "fabric", "relay", "specter", "exodus"}
)

func testCatalog() *Catalog {
	var bps []*catalog.Blueprint
	add := func(names []string, tier catalog.Tier) {
		for _, n := range names {
			b := &catalog.Blueprint{Metadata: catalog.Metadata{Name: n}, Spec: catalog.BlueprintSpec{Tier: tier}}
			if !testManifestsOnly[n] {
				b.Spec.Delivery.Helm = []catalog.HelmChart{{Release: n}}
			}
			if n == "grafana" {
				b.Spec.Delivery.Helm = append(b.Spec.Delivery.Helm, catalog.HelmChart{Release: "loki"})
			}
			bps = append(bps, b)
		}
	}
	add(testMandatory, catalog.TierMandatory)
	add(testAlaCarte, catalog.TierAlaCarte)
	var ps []*catalog.Product
	for _, n := range testProducts {
		ps = append(ps, &catalog.Product{Metadata: catalog.Metadata{Name: n}})
	}
	return NewCatalog(bps, ps)
}

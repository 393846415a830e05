package instance

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// removed are components taken out of OpenOva for good, with what
// replaces them, so the error says where to go.
var removed = map[string]string{
	"backstage": "the Catalyst portal", "mongodb": "ferretdb", "activemq": "strimzi",
	"vitess": "cnpg", "airflow": "temporal or flink", "camel": "integrations as code on strimzi",
	"dapr": "integrations as code on strimzi", "superset": "grafana", "searxng": "nothing",
	"langserve": "llm-gateway", "trino": "clickhouse or iceberg", "lago": "openmeter",
	"rabbitmq": "strimzi", "redis": "valkey", "vault": "openbao", "istio": "cilium",
}

// productConflict is a product that cannot run under a condition.
type productConflict struct {
	product string
	applies func(*Spec) bool
	detail  string
}

// productConflicts are the unsupported product combinations.
var productConflicts = []productConflict{{
	product: "axon",
	applies: func(s *Spec) bool { return s.Mirror != (Mirror{}) },
	detail: "axon is a hosted, multi-tenant SaaS gateway serving the public internet and cannot run behind an artefact mirror (air-gapped); " +
		"remove axon (cortex serves models without it) or remove spec.mirror",
}}

func validateSelection(s *Spec, cat *Catalog, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range s.Components {
		cp := p.Child("components").Index(i)
		switch {
		case seen[c]:
			errs = append(errs, field.Duplicate(cp, c))
		case removed[c] != "":
			errs = append(errs, field.Invalid(cp, c, fmt.Sprintf("%s was removed from OpenOva; use %s", c, removed[c])))
		case !cat.HasComponent(c):
			errs = append(errs, field.Invalid(cp, c, "unknown component"+suggest(c, cat.ComponentNames())+"; `catalyst catalog list` shows them all"))
		}
		seen[c] = true
	}
	chosen := map[string]bool{}
	for i, pr := range s.Products {
		pp := p.Child("products").Index(i)
		switch {
		case chosen[pr]:
			errs = append(errs, field.Duplicate(pp, pr))
		case !cat.HasProduct(pr):
			errs = append(errs, field.NotSupported(pp, pr, cat.ProductNames()))
		}
		chosen[pr] = true
	}
	for _, c := range productConflicts {
		if chosen[c.product] && c.applies(s) {
			i := indexOf(s.Products, c.product)
			errs = append(errs, field.Invalid(p.Child("products").Index(i), c.product, c.detail))
		}
	}
	return errs
}

// suggest names the closest known name when it is a likely typo.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

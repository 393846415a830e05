package flux

import "github.com/openova-io/openova/internal/catalog"

// Layer is one Flux Kustomization of a cluster; each waits for the one
// before it to be healthy.
type Layer int

// Layers, in apply order.
const (
	// LayerCRDs holds the operators whose custom resources the later
	// layers use, so their CRDs exist before anything refers to them.
	LayerCRDs Layer = iota
	LayerInfrastructure
	LayerPlatform
	LayerProducts
	// LayerProductResources holds custom resources served by operators
	// of the products layer (KnativeServing, InferenceServices).
	LayerProductResources
)

var layerNames = [...]string{"crds", "infrastructure", "platform", "products", "product-resources"}

func (l Layer) String() string { return layerNames[l] }

// Layers lists every layer in apply order.
var Layers = []Layer{LayerCRDs, LayerInfrastructure, LayerPlatform, LayerProducts, LayerProductResources}

// operators install CRDs that generated objects use.
var operators = map[string]bool{
	"cilium": true, "cert-manager": true, "external-secrets": true, "kyverno": true,
	"k8gb": true, "cnpg": true, "strimzi": true, "crossplane": true, "flux": true,
}

// baseLayer places a component before its dependencies are considered:
// the operators first, then the rest of the mandatory set split between
// infrastructure (networking, security, delivery, failover) and platform
// (observability, storage, registry, scaling, operations), then the à la
// carte components as products.
func baseLayer(b *catalog.Blueprint) Layer {
	switch {
	case operators[b.Name()]:
		return LayerCRDs
	case b.Spec.Tier == catalog.TierAlaCarte:
		return LayerProducts
	}
	switch b.Spec.Category {
	case "networking", "security", "policy", "gitops", "infrastructure", "failover":
		return LayerInfrastructure
	}
	return LayerPlatform
}

// crdOwner maps an API group to the component whose chart installs its
// CRDs; an object of that group goes in a layer after that component's.
var crdOwner = map[string]string{
	"cilium.io":                      "cilium",
	"gateway.networking.k8s.io":      "cilium",
	"cert-manager.io":                "cert-manager",
	"external-secrets.io":            "external-secrets",
	"generators.external-secrets.io": "external-secrets",
	"kyverno.io":                     "kyverno",
	"k8gb.io":                        "k8gb",
	"externaldns.k8s.io":             "k8gb",
	"postgresql.cnpg.io":             "cnpg",
	"barmancloud.cnpg.io":            "cnpg",
	"kafka.strimzi.io":               "strimzi",
	"fluxcd.controlplane.io":         "flux",
	"failover.openova.io":            "failover-controller",
	"operator.knative.dev":           "knative",
	"serving.kserve.io":              "kserve",
	"documentdb.io":                  "ferretdb",
}

package flux

import "github.com/openova-io/openova/internal/fluxobj"

// GatewayAPIVersion is the Gateway API release (standard channel) whose
// CRDs Cilium serves Gateways and HTTPRoutes with.
const GatewayAPIVersion = "v1.6.1"

// GatewayAPIArtifact is the OCI artefact, under the registry, holding the
// release's standard-install.yaml as published upstream
// (github.com/kubernetes-sigs/gateway-api/releases). OpenOva's mirror
// carries it; an air-gapped mirror gets it with
// `flux push artifact oci://<registry>/kubernetes-sigs/gateway-api/standard-install:<version> --path=standard-install.yaml`.
const GatewayAPIArtifact = "kubernetes-sigs/gateway-api/standard-install"

func init() { features = append(features, gatewayAPICRDs) }

// gatewayAPICRDs install the Gateway API CRDs in the crds layer: nothing
// else installs them (neither k3s nor the Cilium chart), and the Gateway
// and HTTPRoutes of later layers need them. A nested Kustomization so the
// crds layer is healthy only once they are established; never pruned,
// since deleting a CRD deletes every Gateway and route.
func gatewayAPICRDs(p *plan, r *region) []unit {
	if !p.has("cilium") {
		return nil
	}
	const name = "gateway-api-crds"
	src := newObj(fluxobj.SourceAPIVersion, "OCIRepository", name, fluxobj.DefaultNamespace)
	src["spec"] = obj{
		"interval": "1h",
		"url":      "oci://" + p.registry + "/" + GatewayAPIArtifact,
		"ref":      obj{"tag": GatewayAPIVersion},
	}
	ks := newObj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", name, fluxobj.DefaultNamespace)
	ks["spec"] = obj{
		"interval":  "1h",
		"path":      "./",
		"prune":     false,
		"wait":      true,
		"timeout":   "5m",
		"sourceRef": obj{"kind": "OCIRepository", "name": name},
	}
	for _, o := range []obj{src, ks} {
		setLabels(o, map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/name": "gateway-api"})
	}
	return []unit{{"gateway-api", "crds.yaml", []obj{src, ks}}}
}

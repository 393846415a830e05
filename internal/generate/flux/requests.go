package flux

import (
	"path"

	"github.com/openova-io/openova/internal/fluxobj"
)

// RequestsDir is the directory of a region, under clusters/<region>/, that
// holds the manifests of merged portal requests
// (requests/<namespace>/<name>/). The generator writes only its README:
// the request files are the customer's, so regenerating never removes them.
const RequestsDir = "requests"

// RequestsKustomization is the Flux Kustomization that applies RequestsDir.
const RequestsKustomization = "requests"

// claimsLayer is the latest layer holding a component with a thin claim
// (whose operator serves the requests), and false when none is installed.
// Requests wait for that layer only: a team's database is not held back by
// an unrelated platform component that is unhealthy.
func (p *plan) claimsLayer() (Layer, bool) {
	var last Layer
	found := false
	for _, b := range p.comps {
		if b.Spec.Claim != nil {
			last, found = max(last, p.layer[b.Name()]), true
		}
	}
	return last, found
}

// requestsFiles: the README that keeps RequestsDir in Git, and the
// Kustomization applying it after the layer of the claims' operators. The directory has no
// kustomization.yaml, so kustomize-controller includes every manifest under
// it and each pull request only adds its own files (no shared list to
// conflict on). wait is off: one team's database still starting must not
// hold back another's; the portal's tracker judges readiness itself.
func (p *plan) requestsFiles(root, after string) (map[string][]byte, obj) {
	o := newObj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", RequestsKustomization, fluxobj.DefaultNamespace)
	spec := obj{
		"interval":      "10m",
		"retryInterval": "1m",
		"timeout":       "5m",
		"path":          "./" + path.Join(root, RequestsDir),
		"prune":         true,
		"wait":          false,
		"sourceRef":     obj{"kind": "GitRepository", "name": fluxobj.DefaultNamespace},
	}
	spec["dependsOn"] = []any{obj{"name": after}}
	o["spec"] = spec
	setLabels(o, map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/managed-by": "catalyst"})
	readme := `# Portal requests

The developer portal's pull requests add one directory per request here:
` + "`<namespace>/<name>/manifests.yaml`" + `. The Flux Kustomization ` + "`" + RequestsKustomization + "`" + `
applies every manifest under this directory (there is no kustomization.yaml on
purpose). Removing a request's directory deletes its objects, except those
annotated kustomize.toolkit.fluxcd.io/prune: disabled (deletion protection).
These files are yours: catalyst generate never rewrites or removes them.
`
	return map[string][]byte{path.Join(root, RequestsDir, "README.md"): []byte(readme)}, o
}

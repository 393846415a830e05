package flux

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"path"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/fluxobj"
)

// BundleDir holds, per cluster, the manifests the first control-plane node
// applies once at boot (k3s auto-deploys them); terraform delivers them in
// the node's user-data.
const BundleDir = "bootstrap"

// BundleBudget is what the bundle may take of Hetzner's 32 KiB of
// user-data once gzip-compressed (terraform's cloud-init uses the rest:
// k3s install script, k3s config, Cilium and cloud controller charts).
const BundleBudget = 12 * 1024

// SeedImage runs `catalyst seed`: catalyst embeds the catalog it
// was released with, so regenerating instance.yaml in the cluster gives
// the byte-identical tree the customer holds.
const SeedImage = "openova-io/catalyst"

// bundle renders bootstrap/<cluster>/: Flux (operator chart + FluxInstance
// following the in-cluster Gitea), and the seed Job that installs Gitea's
// repository from instance.yaml. No external Git is involved: the cluster
// generates its own tree, pushes it to its Gitea and protects main; Flux,
// which has been retrying the empty Gitea, then takes over everything,
// including itself.
func (p *plan) bundle(r *region) (map[string][]byte, error) {
	dir := path.Join(BundleDir, r.Cluster)
	out := map[string][]byte{}
	fl, ok := p.cat.Blueprint("flux")
	if !ok || len(fl.Spec.Delivery.Helm) == 0 {
		return nil, fmt.Errorf("the catalog's flux blueprint has no Helm chart for the flux-operator")
	}
	h := p.mirrored(fl).Spec.Delivery.Helm[0]
	vals, err := fluxobj.HelmReleaseObjects(p.mirrored(fl), p.values(r))
	if err != nil {
		return nil, err
	}
	values := map[string]any{}
	for _, u := range vals {
		if u.GetKind() == "HelmRelease" {
			values, _ = u.Object["spec"].(map[string]any)["values"].(map[string]any)
		}
	}
	chart, err := k3sHelmChart(fl.Spec.Namespace, h, values)
	if err != nil {
		return nil, err
	}
	out[dir+"/10-flux-operator.yaml"] = chart
	mans, err := p.manifests(fl, r)
	if err != nil {
		return nil, err
	}
	p.syncFromGitea(mans, r)
	fi, err := marshalDocs(mans)
	if err != nil {
		return nil, err
	}
	out[dir+"/20-flux-instance.yaml"] = fi
	seed, err := p.seed(r)
	if err != nil {
		return nil, err
	}
	out[dir+"/30-seed.yaml"] = seed
	return out, nil
}

// k3sHelmChart installs a chart with k3s's own helm-controller, before
// Flux exists.
func k3sHelmChart(ns string, h catalog.HelmChart, values map[string]any) ([]byte, error) {
	o := newObj("helm.cattle.io/v1", "HelmChart", h.Release, "kube-system")
	spec := obj{"targetNamespace": ns, "createNamespace": true, "version": h.Version, "chart": h.Chart}
	if len(h.Repository) > 6 && h.Repository[:6] == "oci://" {
		spec["chart"] = h.Repository + "/" + h.Chart
	} else {
		spec["repo"] = h.Repository
	}
	if values != nil {
		v, err := marshalDocs([]obj{values})
		if err != nil {
			return nil, err
		}
		spec["valuesContent"] = string(v)
	}
	o["spec"] = spec
	return marshalDocs([]obj{o})
}

// BundleSize is the gzip-compressed size of a cluster's bundle files, as
// terraform writes them into user-data.
func BundleSize(files map[string][]byte) int {
	n := 0
	for _, data := range files {
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		w.Write(data)
		w.Close()
		n += z.Len()
	}
	return n
}

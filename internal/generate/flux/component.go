package flux

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/fluxobj"
	"github.com/openova-io/openova/internal/instance"
)

// unit is one generated file of a component in one layer.
type unit struct {
	component string
	name      string // file name inside clusters/<region>/<layer>/<component>/
	objs      []obj
}

// BlueprintGitOrg is the Gitea organisation holding one repository per
// blueprint, synced from the public monorepo (OPENOVA.md §3).
const BlueprintGitOrg = "openova"

// GitReadSecret is the Secret in flux-system with which Flux reads the
// in-cluster Gitea: the FluxInstance's sync.pullSecret for the instance
// repository (platform/flux/fluxinstance.yaml) and the secretRef of every
// GitRepository of a blueprint repository (private, see `catalyst
// blueprints sync`). One Secret, keys username and password (a read-only
// token), for both.
const GitReadSecret = "flux-system"

// giteaHTTP is the in-cluster Gitea URL (the chart's HTTP Service).
const giteaHTTP = "http://gitea-http.gitea.svc:3000"

func (p *plan) values(r *region) fluxobj.Values {
	v := fluxobj.Values{
		Tenant: p.spec.Tenant, Domain: p.spec.Domain, Region: r.Name, Cluster: r.Cluster,
		Registry: p.registry, ArchivalS3: p.spec.Archival.Endpoint, ArchivalBucket: p.spec.Archival.Bucket,
		ArchivalRegion: p.spec.Archival.SigningRegion(),
		Namespace:      fluxobj.DefaultNamespace, BlueprintGitBase: giteaHTTP + "/" + BlueprintGitOrg,
	}
	if r.Peer != nil {
		v.PeerRegion = r.Peer.Name
	}
	return v
}

// placeholders fills the catalog's placeholders in raw manifests, with the
// same answers fluxobj gives the Helm values.
func (p *plan) placeholders(b *catalog.Blueprint, r *region) *strings.Replacer {
	return p.values(r).Placeholders(b)
}

// mirrored returns b with its chart repositories pointed at the
// customer's chart mirror (air-gapped), or b itself without one.
func (p *plan) mirrored(b *catalog.Blueprint) *catalog.Blueprint {
	return MirroredCharts(b, p.spec.Mirror.Charts)
}

// releases builds a component's sources and HelmReleases for a region:
// values = blueprint defaults ← spec.overrides ← spec.regions[i].overrides
// ← the generator's wiring (regionValues: cluster IDs, peers, API host),
// which comes last because terraform's cloud-init and the peer region rely
// on it; dependsOn from the catalog graph (each dependency's HelmReleases).
func (p *plan) releases(b *catalog.Blueprint, r *region, hrNames map[string][]string) ([]obj, error) {
	us, err := fluxobj.HelmReleaseObjects(p.mirrored(b), p.values(r))
	if err != nil {
		return nil, err
	}
	var deps []any
	for _, d := range b.Spec.DependsOn {
		for _, n := range hrNames[d] {
			deps = append(deps, obj{"name": n, "namespace": fluxobj.DefaultNamespace})
		}
	}
	overrides := p.regionValues(b, r)
	var out []obj
	for _, u := range us {
		o := obj(u.Object)
		if kindOf(o) == "HelmRelease" {
			hrNames[b.Name()] = append(hrNames[b.Name()], nameOf(o))
			spec := o["spec"].(map[string]any)
			if len(deps) > 0 {
				spec["dependsOn"] = deps
			}
			release, _, _ := unstructured.NestedString(o, "spec", "releaseName")
			for _, ov := range []map[string]any{p.spec.ValuesFor(r.Region, b.Name(), release), overrides[release]} {
				if len(ov) > 0 {
					base, _ := spec["values"].(map[string]any)
					spec["values"] = instance.MergeValues(base, normalise(ov).(map[string]any))
				}
			}
		}
		if kindOf(o) == "GitRepository" { // a chart inside the blueprint's private repository
			o["spec"].(map[string]any)["secretRef"] = obj{"name": GitReadSecret}
		}
		out = append(out, o)
	}
	return out, nil
}

// manifests reads a blueprint's manifests with placeholders filled.
func (p *plan) manifests(b *catalog.Blueprint, r *region) ([]obj, error) {
	rep := p.placeholders(b, r)
	var out []obj
	for _, m := range b.Spec.Delivery.Manifests {
		file := path.Join(b.Dir, m)
		data, err := fs.ReadFile(p.cat.FS(), file)
		if err != nil {
			return nil, fmt.Errorf("%s: spec.delivery.manifests: %w", b.File(), err)
		}
		objs, err := decodeDocs([]byte(rep.Replace(string(data))))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for _, o := range objs {
			if meta(o)["namespace"] == nil && kindOf(o) != "Namespace" {
				meta(o)["namespace"] = b.Spec.Namespace
			}
			setLabels(o, blueprintLabels(b))
		}
		out = append(out, objs...)
	}
	return out, nil
}

func decodeDocs(data []byte) ([]obj, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []obj
	for {
		var o obj
		if err := d.Decode(&o); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(o) > 0 {
			out = append(out, normalise(o).(obj))
		}
	}
}

// normalise makes numbers int64/float64, as unstructured objects need.
func normalise(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalise(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalise(e)
		}
		return t
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
	case int:
		return int64(t)
	}
	return v
}

func blueprintLabels(b *catalog.Blueprint) map[string]string {
	return map[string]string{
		"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/managed-by": "catalyst",
		fluxobj.LabelBlueprint: b.Name(), fluxobj.LabelBlueprintVersion: b.Spec.Version,
	}
}

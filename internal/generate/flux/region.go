package flux

import (
	"fmt"
	"path"
	"sort"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/fluxobj"
)

// layout collects a region's objects by layer, component and file.
type layout map[Layer]map[string]map[string][]obj

func (l layout) add(layer Layer, component, file string, objs ...obj) {
	if len(objs) == 0 {
		return
	}
	if l[layer] == nil {
		l[layer] = map[string]map[string][]obj{}
	}
	if l[layer][component] == nil {
		l[layer][component] = map[string][]obj{}
	}
	l[layer][component][file] = append(l[layer][component][file], objs...)
}

// place puts each object in its component's layer, or later when its CRD
// is installed by a component of the same or a later layer.
func (p *plan) place(l layout, component, file string, objs []obj) error {
	for _, o := range objs {
		layer := p.layer[component]
		if owner := crdOwner[group(o)]; owner != "" && p.has(owner) {
			layer = max(layer, p.layer[owner]+1)
		}
		if int(layer) >= len(Layers) {
			return fmt.Errorf("%s %s of %s: its CRD comes from %s in the last layer; no layer is left to apply it in", kindOf(o), nameOf(o), component, crdOwner[group(o)])
		}
		l.add(layer, component, file, o)
	}
	return nil
}

// regionFiles renders clusters/<region>/.
func (p *plan) regionFiles(r *region) (map[string][]byte, error) {
	l := layout{}
	hrNames := map[string][]string{}
	namespaces := map[string]bool{"kube-system": true, fluxobj.DefaultNamespace: true}
	for _, b := range p.comps {
		if !delivered(b) {
			continue
		}
		var release []obj
		if ns := b.Spec.Namespace; !namespaces[ns] {
			namespaces[ns] = true
			release = append(release, namespaceObj(ns, b))
		}
		rel, err := p.releases(b, r, hrNames)
		if err != nil {
			return nil, err
		}
		l.add(p.layer[b.Name()], b.Name(), "release.yaml", append(release, rel...)...)
		mans, err := p.manifests(b, r)
		if err != nil {
			return nil, err
		}
		if b.Name() == "flux" {
			p.syncFromGitea(mans, r)
		}
		if err := p.place(l, b.Name(), "manifests.yaml", mans); err != nil {
			return nil, err
		}
	}
	for _, e := range p.extras(r) {
		if err := p.place(l, e.component, e.name, e.objs); err != nil {
			return nil, err
		}
	}
	if err := p.platformInstance(l); err != nil {
		return nil, err
	}
	return p.files(r, l)
}

func namespaceObj(ns string, b *catalog.Blueprint) obj {
	o := newObj("v1", "Namespace", ns, "")
	setLabels(o, blueprintLabels(b))
	return o
}

// files turns the layout into kustomize directories and the layer
// Kustomizations.
func (p *plan) files(r *region, l layout) (map[string][]byte, error) {
	root := path.Join(ClustersDir, r.Name)
	out := map[string][]byte{}
	var layerObjs []obj
	var prev string
	for _, layer := range Layers {
		comps := l[layer]
		if len(comps) == 0 {
			continue
		}
		dir := path.Join(root, layer.String())
		names := sortedKeys(comps)
		out[dir+"/kustomization.yaml"] = append([]byte(header), kustomization(names)...)
		for _, c := range names {
			files := sortedKeys(comps[c])
			for _, f := range files {
				data, err := marshalDocs(comps[c][f])
				if err != nil {
					return nil, fmt.Errorf("%s/%s/%s: %w", dir, c, f, err)
				}
				out[path.Join(dir, c, f)] = append([]byte(header), data...)
			}
			out[path.Join(dir, c, "kustomization.yaml")] = append([]byte(header), kustomization(files)...)
		}
		layerObjs = append(layerObjs, layerKustomization(layer, root, prev))
		prev = layer.String()
	}
	if layer, ok := p.claimsLayer(); ok {
		files, k := p.requestsFiles(root, layer.String())
		for f, data := range files {
			out[f] = data
		}
		layerObjs = append(layerObjs, k)
	}
	p.keepFailoverFields(r, layerObjs)
	data, err := marshalDocs(layerObjs)
	if err != nil {
		return nil, err
	}
	out[root+"/layers.yaml"] = append([]byte(header), data...)
	out[root+"/kustomization.yaml"] = append([]byte(header), kustomization([]string{"layers.yaml"})...)
	return out, nil
}

// layerKustomization applies one layer after the previous one is healthy,
// and is itself healthy only when everything it applied is (wait: every
// HelmRelease Ready, every Deployment available).
func layerKustomization(layer Layer, root, prev string) obj {
	o := newObj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", layer.String(), fluxobj.DefaultNamespace)
	spec := obj{
		"interval":      "10m",
		"retryInterval": "1m",
		"timeout":       "30m",
		"path":          "./" + path.Join(root, layer.String()),
		"prune":         true,
		"wait":          true,
		"sourceRef":     obj{"kind": "GitRepository", "name": fluxobj.DefaultNamespace},
	}
	if prev != "" {
		spec["dependsOn"] = []any{obj{"name": prev}}
	}
	o["spec"] = spec
	setLabels(o, map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/managed-by": "catalyst"})
	return o
}

// syncFromGitea points the FluxInstance at this region's directory of the
// instance repository in the in-cluster Gitea.
func (p *plan) syncFromGitea(objs []obj, r *region) {
	for _, o := range objs {
		if kindOf(o) != "FluxInstance" {
			continue
		}
		spec, _ := o["spec"].(map[string]any)
		sync, _ := spec["sync"].(map[string]any)
		if sync == nil {
			continue
		}
		sync["url"] = p.repoURL()
		sync["path"] = path.Join(ClustersDir, r.Name)
	}
}

// repoURL is the instance repository in the in-cluster Gitea.
func (p *plan) repoURL() string {
	return fmt.Sprintf("%s/%s/%s.git", giteaHTTP, p.spec.Git.Org, p.spec.Git.Repository)
}

// sortObjs orders objects by kind then namespace then name.
func sortObjs(objs []obj) {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if kindOf(a) != kindOf(b) {
			return kindOf(a) < kindOf(b)
		}
		na, _ := meta(a)["namespace"].(string)
		nb, _ := meta(b)["namespace"].(string)
		if na != nb {
			return na < nb
		}
		return nameOf(a) < nameOf(b)
	})
}

package seed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/openova-io/openova/internal/filetree"
)

// FieldManager owns what the seed applies; Flux takes the objects over
// with its own server-side apply afterwards.
const FieldManager = "catalyst-seed"

// Apply server-side applies every object under the tree's directories
// (the crds layer, Gitea and what Gitea needs, which must run before Flux
// can follow the repository): namespaces first, then CRDs, then the rest.
// Re-applying the same objects changes nothing. An object whose kind is
// not served yet (a CRD its operator installs, e.g. the Barman Cloud
// plugin's ObjectStore) is skipped and the rest applied, so that operator
// gets installed; the error then names every skipped object and the Job
// retries, by when the operator serves the kind. It returns how many
// objects were applied.
func Apply(ctx context.Context, cfg *rest.Config, tree *filetree.Tree, dirs []string) (int, error) {
	objs, err := objectsUnder(tree, dirs)
	if err != nil {
		return 0, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return 0, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	applied := 0
	var waiting []string
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			mapper.Reset() // a CRD applied above may serve it now
			m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if meta.IsNoMatchError(err) {
			waiting = append(waiting, fmt.Sprintf("%s %s/%s (%s)", gvk.Kind, o.GetNamespace(), o.GetName(), gvk.GroupVersion()))
			continue
		}
		if err != nil {
			return applied, fmt.Errorf("%s %s: %w", gvk.Kind, o.GetName(), err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
		}
		if _, err := ri.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
			return applied, fmt.Errorf("apply %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err)
		}
		applied++
	}
	if len(waiting) > 0 {
		return applied, fmt.Errorf("applied %d objects; %d wait for their operator to serve their kind (the seed retries): %s",
			applied, len(waiting), strings.Join(waiting, ", "))
	}
	return applied, nil
}

// objectsUnder decodes every YAML file under dirs but kustomize's own
// kustomization.yaml, in apply order.
func objectsUnder(tree *filetree.Tree, dirs []string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, dir := range dirs {
		paths := tree.Under(dir)
		if len(paths) == 0 {
			return nil, fmt.Errorf("--apply %s: no such directory in the generated tree", dir)
		}
		for _, p := range paths {
			if path.Base(p) == "kustomization.yaml" || path.Ext(p) != ".yaml" {
				continue
			}
			data, _ := tree.Get(p)
			dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
			for {
				u := &unstructured.Unstructured{}
				if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					return nil, fmt.Errorf("%s: %w", p, err)
				}
				if len(u.Object) > 0 {
					out = append(out, u)
				}
			}
		}
	}
	rank := func(u *unstructured.Unstructured) int {
		switch u.GetKind() {
		case "Namespace":
			return 0
		case "CustomResourceDefinition":
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

package testenv

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// RenderChart renders the chart in dir with values, as Helm would for a
// first install of release into namespace, and returns each template's
// output keyed by its path (e.g. witness/templates/deployment.yaml).
func RenderChart(dir, release, namespace string, values map[string]any) (map[string]string, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	vals, err := chartutil.ToRenderValues(ch, values,
		chartutil.ReleaseOptions{Name: release, Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(ch, vals)
}

// RenderedObject is one Kubernetes object of a rendered chart.
type RenderedObject struct {
	Template string
	Object   *unstructured.Unstructured
}

// DecodeRendered splits rendered templates into objects, in template order,
// skipping empty documents (notes, disabled templates).
func DecodeRendered(files map[string]string) ([]RenderedObject, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs []RenderedObject
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		for _, doc := range strings.Split(files[name], "\n---") {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			objs = append(objs, RenderedObject{Template: name, Object: u})
		}
	}
	return objs, nil
}

// DryRunRendered server-side dry-runs every object of a rendered chart into
// namespace (created first) and returns the kinds seen and one error per
// object the API server refused.
func (e *Env) DryRunRendered(ctx context.Context, namespace string, files map[string]string) (map[string]bool, []error) {
	objs, err := DecodeRendered(files)
	if err != nil {
		return nil, []error{err}
	}
	if err := e.EnsureNamespace(ctx, namespace); err != nil {
		return nil, []error{err}
	}
	kinds := map[string]bool{}
	var errs []error
	for _, o := range objs {
		kinds[o.Object.GetKind()] = true
		if err := e.ServerSideDryRun(ctx, o.Object); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", o.Template, err))
		}
	}
	return kinds, errs
}

// Package fluxobj builds the Flux objects that deliver a blueprint's Helm
// charts: a source (HelmRepository for https://, OCIRepository for oci://,
// GitRepository for a chart shipped inside the blueprint) and a
// HelmRelease per chart, with the blueprint's values and their placeholders
// filled for one tenant. Pure functions: no client, no I/O.
package fluxobj

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/openova-io/openova/internal/catalog"
)

// API versions of the Flux objects built here (Flux 2.x GA APIs).
const (
	SourceAPIVersion = "source.toolkit.fluxcd.io/v1"
	HelmAPIVersion   = "helm.toolkit.fluxcd.io/v2"
	DefaultNamespace = "flux-system"
	// helmChartLayer selects the chart layer of an OCI artifact.
	helmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// Labels set on every object, so that the instance and the lifecycle
// manager can tell which blueprint (and version) an object comes from.
const (
	LabelBlueprint        = "catalog.openova.io/blueprint"
	LabelBlueprintVersion = "catalog.openova.io/blueprint-version"
)

// Values are one tenant's answers to the placeholders of catalog.Placeholders,
// plus where the Flux objects live.
type Values struct {
	Tenant, Domain, Region, Cluster, PeerRegion string
	Registry, ArchivalS3, ArchivalBucket        string
	// ArchivalRegion is the archival store's signing region ("auto" for
	// R2 and most S3-compatible stores).
	ArchivalRegion string
	// Namespace holds the sources and HelmReleases; DefaultNamespace when
	// empty. Releases install into the blueprint's own namespace.
	Namespace string
	// BlueprintGitBase is the URL of the Gitea organisation that holds one
	// repository per blueprint (OPENOVA.md §3), for charts shipped inside a
	// blueprint (helm[].path): the GitRepository is BlueprintGitBase/<name>.git
	// at tag v<blueprint version>.
	BlueprintGitBase string
}

// optional placeholders may be filled with the empty string.
var optional = map[string]bool{"<peer-region>": true}

// Placeholders returns the replacer filling b's placeholders with v, for
// raw manifests; Helm values go through HelmReleaseObjects, which also
// refuses a required placeholder left empty.
func (v Values) Placeholders(b *catalog.Blueprint) *strings.Replacer {
	return replacer(v.table(b))
}

func replacer(table map[string]string) *strings.Replacer {
	pairs := make([]string, 0, 2*len(table))
	for tok, val := range table {
		pairs = append(pairs, tok, val)
	}
	return strings.NewReplacer(pairs...)
}

func (v Values) table(b *catalog.Blueprint) map[string]string {
	return map[string]string{
		"<tenant>": v.Tenant, "<domain>": v.Domain, "<region>": v.Region,
		"<cluster>": v.Cluster, "<peer-region>": v.PeerRegion, "<namespace>": b.Spec.Namespace,
		"<registry>": v.Registry, "<archival-s3>": v.ArchivalS3, "<archival-bucket>": v.ArchivalBucket,
		"<archival-region>": v.ArchivalRegion,
	}
}

// HelmReleaseObjects returns, for each Helm chart of b in order, its source
// and its HelmRelease (source first). A blueprint without Helm delivery
// yields none. It fails when a value uses a placeholder that v leaves
// empty, naming the field and the placeholder.
func HelmReleaseObjects(b *catalog.Blueprint, v Values) ([]*unstructured.Unstructured, error) {
	ns := v.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	table := v.table(b)
	var out []*unstructured.Unstructured
	for i, h := range b.Spec.Delivery.Helm {
		at := fmt.Sprintf("%s: spec.delivery.helm[%d]", b.File(), i)
		name := objectName(b, h)
		values, err := fill(h.Values, at+".values", table)
		if err != nil {
			return nil, err
		}
		src, chart, err := source(b, h, name, ns, v, at)
		if err != nil {
			return nil, err
		}
		spec := map[string]any{
			"interval":         "10m",
			"releaseName":      h.Release,
			"targetNamespace":  b.Spec.Namespace,
			"storageNamespace": b.Spec.Namespace,
			"install":          map[string]any{"createNamespace": true, "remediation": map[string]any{"retries": int64(3)}},
			"upgrade":          map[string]any{"remediation": map[string]any{"retries": int64(3)}},
		}
		for k, val := range chart {
			spec[k] = val
		}
		if values != nil {
			spec["values"] = values
		}
		hr := object(HelmAPIVersion, "HelmRelease", name, ns, b)
		hr.Object["spec"] = spec
		out = append(out, src, hr)
	}
	return out, nil
}

// source builds the chart's source and the HelmRelease fields pointing at it.
func source(b *catalog.Blueprint, h catalog.HelmChart, name, ns string, v Values, at string) (*unstructured.Unstructured, map[string]any, error) {
	switch {
	case strings.HasPrefix(h.Repository, "oci://"):
		src := object(SourceAPIVersion, "OCIRepository", name, ns, b)
		src.Object["spec"] = map[string]any{
			"interval":      "1h",
			"url":           strings.TrimSuffix(h.Repository, "/") + "/" + h.Chart,
			"ref":           map[string]any{"tag": h.Version},
			"layerSelector": map[string]any{"mediaType": helmChartLayer, "operation": "copy"},
		}
		return src, map[string]any{"chartRef": map[string]any{"kind": "OCIRepository", "name": name, "namespace": ns}}, nil
	case strings.HasPrefix(h.Repository, "https://"):
		src := object(SourceAPIVersion, "HelmRepository", name, ns, b)
		src.Object["spec"] = map[string]any{"interval": "1h", "url": h.Repository}
		return src, chartSpec(h.Chart, h.Version, "HelmRepository", name), nil
	case h.Path != "":
		if v.BlueprintGitBase == "" {
			return nil, nil, fmt.Errorf("%s.path: the chart ships inside the blueprint, so Values.BlueprintGitBase (the Gitea organisation of blueprint repositories) must be set", at)
		}
		src := object(SourceAPIVersion, "GitRepository", name, ns, b)
		src.Object["spec"] = map[string]any{
			"interval": "1h",
			"url":      strings.TrimSuffix(v.BlueprintGitBase, "/") + "/" + b.Name() + ".git",
			"ref":      map[string]any{"tag": "v" + b.Spec.Version},
		}
		cs := chartSpec("./"+strings.TrimPrefix(h.Path, "./"), h.Version, "GitRepository", name)
		cs["chart"].(map[string]any)["spec"].(map[string]any)["reconcileStrategy"] = "Revision"
		return src, cs, nil
	}
	return nil, nil, fmt.Errorf("%s: neither an https:// or oci:// repository nor a path (run `catalyst catalog lint`)", at)
}

func chartSpec(chart, version, kind, name string) map[string]any {
	return map[string]any{"chart": map[string]any{"spec": map[string]any{
		"chart":     chart,
		"version":   version,
		"interval":  "1h",
		"sourceRef": map[string]any{"kind": kind, "name": name},
	}}}
}

// objectName is <blueprint>, or <blueprint>-<release> when the release is
// named otherwise (the Grafana stack has several charts).
func objectName(b *catalog.Blueprint, h catalog.HelmChart) string {
	if h.Release == b.Name() {
		return b.Name()
	}
	return b.Name() + "-" + h.Release
}

func object(apiVersion, kind, name, ns string, b *catalog.Blueprint) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)
	u.SetNamespace(ns)
	u.SetLabels(map[string]string{
		"app.kubernetes.io/part-of":    "openova",
		"app.kubernetes.io/managed-by": "catalyst",
		LabelBlueprint:                 b.Name(),
		LabelBlueprintVersion:          b.Spec.Version,
	})
	return u
}

// fill returns a deep copy of values with every placeholder replaced, and
// numbers made int64/float64 as unstructured objects require.
func fill(v any, at string, table map[string]string) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if t == nil {
			return nil, nil
		}
		out := make(map[string]any, len(t))
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, err := fill(t[k], at+"."+k, table)
			if err != nil {
				return nil, err
			}
			out[k] = f
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			f, err := fill(e, fmt.Sprintf("%s[%d]", at, i), table)
			if err != nil {
				return nil, err
			}
			out[i] = f
		}
		return out, nil
	case string:
		return fillString(t, at, table)
	case float64:
		if t == float64(int64(t)) {
			return int64(t), nil
		}
		return t, nil
	case int:
		return int64(t), nil
	}
	return v, nil
}

func fillString(s, at string, table map[string]string) (string, error) {
	for tok, val := range table {
		if !strings.Contains(s, tok) {
			continue
		}
		if val == "" && !optional[tok] {
			return "", fmt.Errorf("%s uses %s, which the tenant's values leave empty", at, tok)
		}
	}
	return replacer(table).Replace(s), nil
}

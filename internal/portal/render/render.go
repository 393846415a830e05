// Package render turns a validated thin claim into the Kubernetes objects
// of each region and the files a pull request adds to the instance
// repository. It is pure: no client, no clock.
package render

import (
	"bytes"
	"fmt"
	"path"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate/flux"
)

// Target is the instance a request lands in, read from instance.yaml,
// its regions ordered by the cluster's FailoverGroups (portal.Service.Target).
type Target struct {
	Tenant string
	// Regions are region names, the active (primary) region first.
	Regions []string
	// Registry is the container registry base (the mirror when air-gapped).
	Registry string
	// ChartMirror replaces every Helm repository when air-gapped
	// (instance.yaml spec.mirror.charts); empty: the blueprints' own.
	ChartMirror string
	// ArchivalEndpoint and ArchivalBucket are the archival S3 store.
	ArchivalEndpoint, ArchivalBucket string
}

// Cluster is the Kubernetes cluster name of a region (<tenant>-<region>).
func (t Target) Cluster(region string) string { return t.Tenant + "-" + region }

// Claim is one request: its name and namespace, the thin claim's values
// with the schema's defaults applied, and the Advanced lane.
type Claim struct {
	Name, Namespace string
	Values          map[string]any
	// Advanced holds raw fields merged unchanged into the claim kind's
	// target after the Standard lane is rendered.
	Advanced map[string]any
	// Labels go on every rendered object (the tracker finds them by these).
	Labels map[string]string
	// Blueprint is the claim's blueprint, for the kinds delivered by its
	// chart (ValkeyClaim).
	Blueprint *catalog.Blueprint
}

// Result is what a claim renders to.
type Result struct {
	// Regions the claim runs in, the primary first.
	Regions []string
	// Objects by region name, in apply order.
	Objects map[string][]map[string]any
	// ConnectionSecret is the Secret the operator creates with the
	// connection details, in the claim's namespace of the primary region.
	ConnectionSecret string
	// Ready names the object whose Ready condition says the claim is
	// ready (in the primary region).
	Ready ObjectRef
	// SecretField is the dotted path in the Ready object's that the
	// operator fills once it created ConnectionSecret: the tracker learns
	// the Secret exists without any right to read Secrets. Empty when the
	// Ready object cannot be Ready without the Secret (a HelmRelease whose
	// pods mount it).
	SecretField string
}

// ObjectRef names a namespaced object of a kind.
type ObjectRef struct{ APIVersion, Kind, Namespace, Name string }

// Kind renders one claim kind.
type Kind struct {
	// Check applies the rules that span fields, beyond the JSON Schema;
	// regions is 0 when unknown (the rules that need it are skipped).
	Check func(values map[string]any, regions int) field.ErrorList
	// Render renders a claim whose values passed the schema and Check.
	Render func(t Target, c Claim) (*Result, error)
}

var kinds = map[string]Kind{
	"PostgresClaim": {Check: checkPostgres, Render: renderPostgres},
	"ValkeyClaim":   {Check: checkValkey, Render: renderValkey},
}

// Lookup returns the renderer of a claim kind.
func Lookup(claimKind string) (Kind, bool) {
	k, ok := kinds[claimKind]
	return k, ok
}

// Dir is the directory of a request's manifests in a region:
// clusters/<region>/requests/<namespace>/<name>, applied by the region's
// requests Kustomization.
func Dir(region, namespace, name string) string {
	return path.Join(flux.ClustersDir, region, flux.RequestsDir, namespace, name)
}

// ManifestFile is the one file of a request in each region.
const ManifestFile = "manifests.yaml"

// Files returns the pull request's files: one manifests.yaml per region.
func (r *Result) Files(namespace, name string) (map[string][]byte, error) {
	out := map[string][]byte{}
	regions := make([]string, 0, len(r.Objects))
	for reg := range r.Objects {
		regions = append(regions, reg)
	}
	slices.Sort(regions)
	for _, reg := range regions {
		var b bytes.Buffer
		b.WriteString("# Rendered by the OpenOva portal from a thin claim; change it with a new request or by pull request.\n")
		for i, o := range r.Objects[reg] {
			data, err := yaml.Marshal(o)
			if err != nil {
				return nil, fmt.Errorf("%s object %d: %w", reg, i, err)
			}
			if i > 0 {
				b.WriteString("---\n")
			}
			b.Write(data)
		}
		out[path.Join(Dir(reg, namespace, name), ManifestFile)] = b.Bytes()
	}
	return out, nil
}

func newObj(apiVersion, kind, name, namespace string, labels map[string]string) map[string]any {
	md := map[string]any{"name": name, "namespace": namespace}
	if len(labels) > 0 {
		l := map[string]any{}
		for k, v := range labels {
			l[k] = v
		}
		md["labels"] = l
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
}

// Package platforminstance builds a cluster's PlatformInstance (the
// instance lock's in-cluster twin) from what the generator renders: the
// locked components and their HelmReleases, each with the chart version
// and a digest of the values it pins. The flux renderer writes it into
// the tree; the lifecycle manager reads the same rules to judge drift.
// Pure, no I/O.
package platforminstance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/fluxobj"
)

// BlueprintLabel marks every generated object with its blueprint.
const BlueprintLabel = fluxobj.LabelBlueprint

// HelmReleaseAPIVersion is the HelmRelease version the generator writes.
const HelmReleaseAPIVersion = "helm.toolkit.fluxcd.io/v2"

// ValuesDigest is "sha256:<hex>" of values as canonical JSON (object keys
// sorted, as encoding/json writes maps); nil values digest as {}. It lets
// drift be seen without copying values (which may name secrets) into the
// PlatformInstance.
func ValuesDigest(values map[string]any) (string, error) {
	if values == nil {
		values = map[string]any{}
	}
	b, err := json.Marshal(values)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Component is one locked component.
type Component struct {
	Name, BlueprintVersion, AppVersion string
}

// Release reads a generated object (decoded YAML): a HelmRelease gives its
// blueprint and reference; anything else gives ok false.
func Release(o map[string]any) (component string, ref platformv1.ReleaseRef, ok bool, err error) {
	var hr struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
		Spec       struct {
			Chart struct {
				Spec struct {
					Version string `json:"version"`
				} `json:"spec"`
			} `json:"chart"`
			Values map[string]any `json:"values"`
		} `json:"spec"`
	}
	if o["kind"] != "HelmRelease" || o["apiVersion"] != HelmReleaseAPIVersion {
		return "", ref, false, nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(jsonShaped(o), &hr); err != nil {
		return "", ref, false, err
	}
	bp := hr.Metadata.Labels[BlueprintLabel]
	if bp == "" {
		return "", ref, false, fmt.Errorf("HelmRelease %s has no %s label; regenerate the tree", hr.Metadata.Name, BlueprintLabel)
	}
	digest, err := ValuesDigest(hr.Spec.Values)
	if err != nil {
		return "", ref, false, fmt.Errorf("HelmRelease %s: spec.values: %w", hr.Metadata.Name, err)
	}
	return bp, platformv1.ReleaseRef{Kind: platformv1.KindHelmRelease, Name: hr.Metadata.Name, Namespace: hr.Metadata.Namespace,
		ChartVersion: hr.Spec.Chart.Spec.Version, ValuesDigest: digest}, true, nil
}

// jsonShaped round-trips through JSON so in-memory objects (typed slices,
// ints) read like decoded YAML.
func jsonShaped(o map[string]any) map[string]any {
	b, err := json.Marshal(o)
	if err != nil {
		return o
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return o
	}
	return out
}

// New is the PlatformInstance named after the tenant: components sorted by
// name, each with its releases.
func New(tenant string, regions []string, comps []Component, releases map[string][]platformv1.ReleaseRef) *platformv1.PlatformInstance {
	pi := &platformv1.PlatformInstance{
		TypeMeta:   metav1.TypeMeta{APIVersion: platformv1.GroupVersion.String(), Kind: "PlatformInstance"},
		ObjectMeta: metav1.ObjectMeta{Name: tenant},
		Spec:       platformv1.PlatformInstanceSpec{Tenant: tenant, Regions: regions},
	}
	comps = slices.Clone(comps)
	slices.SortFunc(comps, func(a, b Component) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	for _, c := range comps {
		rs := slices.Clone(releases[c.Name])
		slices.SortFunc(rs, func(a, b platformv1.ReleaseRef) int {
			switch {
			case a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name:
				return -1
			case a.Namespace+"/"+a.Name > b.Namespace+"/"+b.Name:
				return 1
			}
			return 0
		})
		pi.Spec.Components = append(pi.Spec.Components, platformv1.InstalledComponent{
			Name: c.Name, BlueprintVersion: c.BlueprintVersion, AppVersion: c.AppVersion, Releases: rs})
	}
	return pi
}

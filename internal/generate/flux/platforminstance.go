package flux

import (
	"fmt"
	"io/fs"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/api/crds"
	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/platforminstance"
)

// CatalystDir is the directory, in the crds layer of each region, holding
// the platform.openova.io CRDs and the cluster's PlatformInstance: the
// instance lock's in-cluster twin the lifecycle manager judges health,
// support and drift against. Flux applies the CRDs before the object.
const CatalystDir = "catalyst"

// platformInstance adds the CRDs and the PlatformInstance built from the
// region's HelmReleases and the locked components to the layout.
func (p *plan) platformInstance(l layout) error {
	releases := map[string][]platformv1.ReleaseRef{}
	for _, comps := range l {
		for _, files := range comps {
			for _, objs := range files {
				for _, o := range objs {
					bp, ref, ok, err := platforminstance.Release(o)
					if err != nil {
						return err
					}
					if ok {
						releases[bp] = append(releases[bp], ref)
					}
				}
			}
		}
	}
	comps := make([]platforminstance.Component, 0, len(p.comps))
	for _, c := range p.comps {
		comps = append(comps, platforminstance.Component{Name: c.Name(), BlueprintVersion: c.Spec.Version, AppVersion: c.Spec.Upstream.AppVersion})
	}
	regions := make([]string, 0, len(p.regions))
	for _, r := range p.regions {
		regions = append(regions, r.Name)
	}
	pi, err := runtime.DefaultUnstructuredConverter.ToUnstructured(platforminstance.New(p.spec.Tenant, regions, comps, releases))
	if err != nil {
		return err
	}
	delete(pi, "status")
	delete(pi["metadata"].(map[string]any), "creationTimestamp")
	setLabels(pi, map[string]string{"app.kubernetes.io/part-of": "openova", "app.kubernetes.io/managed-by": "catalyst"})
	crdObjs, err := platformCRDs()
	if err != nil {
		return err
	}
	l.add(LayerCRDs, CatalystDir, "crds.yaml", crdObjs...)
	l.add(LayerCRDs, CatalystDir, "platform-instance.yaml", pi)
	return nil
}

func platformCRDs() ([]obj, error) {
	files, err := fs.Glob(crds.Platform, "*.yaml")
	if err != nil {
		return nil, err
	}
	var out []obj
	for _, f := range files {
		raw, err := fs.ReadFile(crds.Platform, f)
		if err != nil {
			return nil, err
		}
		var o obj
		if err := yaml.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("api/crds/%s: %w", f, err)
		}
		out = append(out, o)
	}
	return out, nil
}

package portal

import (
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/portal/render"
)

// TargetOf reads the instance a request lands in from a snapshot of the
// instance repository: its tenant, regions (the first is primary, as the
// generator has it), registry mirror and archival S3.
func TargetOf(files map[string][]byte) (render.Target, error) {
	raw, ok := files[generate.SpecFile]
	if !ok {
		return render.Target{}, fmt.Errorf("%s: not in the instance repository; seed it with catalyst seed first", generate.SpecFile)
	}
	in, err := instance.Parse(raw)
	if err != nil {
		return render.Target{}, fmt.Errorf("%s in the instance repository: %w", generate.SpecFile, err)
	}
	instance.SetDefaults(in)
	s := in.Spec
	t := render.Target{Tenant: s.Tenant, Registry: flux.DefaultRegistry,
		ArchivalEndpoint: s.Archival.Endpoint, ArchivalBucket: s.Archival.Bucket}
	if s.Mirror.Registry != "" {
		t.Registry = strings.TrimSuffix(s.Mirror.Registry, "/")
	}
	for _, r := range s.Regions {
		t.Regions = append(t.Regions, r.Name)
	}
	if len(t.Regions) == 0 {
		return render.Target{}, fmt.Errorf("%s: spec.regions is empty; the instance needs a region", generate.SpecFile)
	}
	return t, nil
}

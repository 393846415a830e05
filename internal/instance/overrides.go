package instance

import "k8s.io/apimachinery/pkg/util/validation/field"

// validateOverrides checks that every override names a catalog component
// and one of its Helm releases; whether the component is installed is
// the generator's question (it resolves products and dependencies).
func validateOverrides(o Overrides, cat *Catalog, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, c := range sortedKeys(o) {
		cp := p.Key(c)
		if !cat.HasComponent(c) {
			errs = append(errs, field.Invalid(cp, c, "unknown component"+suggest(c, cat.ComponentNames())+"; `catalyst catalog list` shows them all"))
			continue
		}
		releases := cat.Releases(c)
		if len(releases) == 0 {
			errs = append(errs, field.Invalid(cp, c, c+" is delivered as manifests, not a Helm chart, so it has no values to override; remove it"))
			continue
		}
		for _, r := range sortedKeys(o[c]) {
			if !contains(releases, r) {
				errs = append(errs, field.NotSupported(cp.Key(r), r, releases))
			} else if len(o[c][r]) == 0 {
				errs = append(errs, field.Required(cp.Key(r), "set the Helm values to merge, or remove the key"))
			}
		}
	}
	return errs
}

func validateSupplyChain(s SupplyChain, p *field.Path) field.ErrorList {
	modes := []string{string(VerifyAudit), string(VerifyEnforce)}
	if !contains(modes, string(s.ImageVerification)) {
		return field.ErrorList{field.NotSupported(p.Child("imageVerification"), s.ImageVerification, modes)}
	}
	return nil
}

// ValuesFor returns the overrides of one Helm release in one region:
// spec.overrides merged with the region's, the region winning.
func (s *Spec) ValuesFor(r Region, component, release string) map[string]any {
	return MergeValues(s.Overrides[component][release], r.Overrides[component][release])
}

// MergeValues returns base with over merged in: maps recursively, anything
// else (lists included) replaced. Neither input is modified; nil when both
// are empty.
func MergeValues(base, over map[string]any) map[string]any {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = MergeValues(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

package flux

// extras are the objects the platform adds to components in a region:
// policies, credentials, replication, failover wiring. Each belongs to the
// component that serves it, so it lives under that component's directory.
func (p *plan) extras(r *region) []unit {
	var out []unit
	for _, f := range features {
		out = append(out, f(p, r)...)
	}
	return out
}

// features each contribute units for a region.
var features = []func(*plan, *region) []unit{}

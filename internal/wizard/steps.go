package wizard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/instance"
)

// Step is one page of the wizard. Fields are the top-level keys of
// instance.yaml's spec that the step edits; its errors are those whose
// field path lies under them.
type Step struct {
	Name   string
	Title  string
	Fields []string
}

// Steps in order (OPENOVA.md §2). credentials, review and export edit no
// spec field.
var Steps = []Step{
	{Name: "organisation", Title: "Organisation and domain", Fields: []string{"tenant", "domain"}},
	{Name: "cloud", Title: "Cloud and regions", Fields: []string{"cloud", "regions"}},
	{Name: "networking", Title: "Networking (load balancer, DNS)", Fields: []string{"loadBalancer", "dns"}},
	{Name: "storage", Title: "Secrets backend and archival S3", Fields: []string{"secrets", "archival"}},
	{Name: "components", Title: "Components and products", Fields: []string{"components", "products"}},
	{Name: "options", Title: "Failover, Git and air-gap mirror", Fields: []string{"failover", "git", "mirror"}},
	{Name: "credentials", Title: "Credentials"},
	{Name: "review", Title: "Review"},
	{Name: "export", Title: "Export"},
}

// StepByName returns a step.
func StepByName(name string) (Step, bool) {
	for _, s := range Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// FieldError is one validation problem, in `catalyst validate`'s words.
type FieldError struct {
	Field   string `json:"field"`   // e.g. spec.regions[0].location
	Message string `json:"message"` // the full line catalyst validate prints
}

// NewInstance is the empty spec a bootstrap starts from.
func NewInstance() instance.Instance {
	return instance.Instance{APIVersion: instance.APIVersion, Kind: instance.Kind}
}

// ApplyStep decodes a step's JSON body (a partial spec with the step's
// keys only, spelled as in instance.yaml) into spec. An unknown key, or a
// key of another step, is an EINVALID error naming it.
func ApplyStep(spec *instance.Spec, step Step, body []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Errorf(EINVALID, "step %s: body is not a JSON object: %v", step.Name, err)
	}
	allowed := map[string]bool{}
	for _, f := range step.Fields {
		allowed[f] = true
	}
	for k := range raw {
		if !allowed[k] {
			return Errorf(EINVALID, "step %s: spec.%s is not edited here (this step sets %s)", step.Name, k, strings.Join(prefixed(step.Fields), ", "))
		}
	}
	var part instance.Spec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&part); err != nil {
		return Errorf(EINVALID, "step %s: %v", step.Name, err)
	}
	for _, f := range step.Fields { // a key left out of the body clears the field
		copyField(spec, &part, f)
	}
	return nil
}

func prefixed(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = "spec." + f
	}
	return out
}

func copyField(dst, src *instance.Spec, f string) {
	switch f {
	case "tenant":
		dst.Tenant = src.Tenant
	case "domain":
		dst.Domain = src.Domain
	case "cloud":
		dst.Cloud = src.Cloud
	case "regions":
		dst.Regions = src.Regions
	case "loadBalancer":
		dst.LoadBalancer = src.LoadBalancer
	case "dns":
		dst.DNS = src.DNS
	case "secrets":
		dst.Secrets = src.Secrets
	case "archival":
		dst.Archival = src.Archival
	case "components":
		dst.Components = src.Components
	case "products":
		dst.Products = src.Products
	case "failover":
		dst.Failover = src.Failover
	case "git":
		dst.Git = src.Git
	case "mirror":
		dst.Mirror = src.Mirror
	}
}

// SpecYAML is instance.yaml as exported: the spec as typed, never
// defaulted, so that the customer sees their own choices.
func SpecYAML(in *instance.Instance) ([]byte, error) {
	return instance.Marshal(in)
}

// Check runs what `catalyst validate` runs on the spec and returns every
// problem; none means the spec generates.
func Check(in *instance.Instance, cat *catalog.Catalog) ([]FieldError, error) {
	data, err := SpecYAML(in)
	if err != nil {
		return nil, err
	}
	_, err = instance.Check(data, instance.NewCatalog(cat.Blueprints, cat.Products))
	var invalid *instance.ValidationError
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &invalid):
		out := make([]FieldError, 0, len(invalid.Errs))
		for _, e := range invalid.Errs {
			out = append(out, FieldError{Field: e.Field, Message: e.Error()})
		}
		return out, nil
	default:
		return nil, fmt.Errorf("check spec: %w", err)
	}
}

// StepErrors are the problems of one step: those under its fields.
func StepErrors(all []FieldError, step Step) []FieldError {
	var out []FieldError
	for _, e := range all {
		for _, f := range step.Fields {
			p := "spec." + f
			if e.Field == p || strings.HasPrefix(e.Field, p+".") || strings.HasPrefix(e.Field, p+"[") {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// MarkDone records a step as saved without errors, or clears it.
func (b *Bootstrap) MarkDone(step string, ok bool) {
	var out []string
	for _, s := range b.Done {
		if s != step {
			out = append(out, s)
		}
	}
	if ok {
		out = append(out, step)
	}
	b.Done = out
}

// IsDone reports whether a step was saved without errors.
func (b *Bootstrap) IsDone(step string) bool {
	for _, s := range b.Done {
		if s == step {
			return true
		}
	}
	return false
}

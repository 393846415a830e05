package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/portal/render"
)

// Request is what a signed-in user submits.
type Request struct {
	Blueprint, Name, Namespace string
	// Values are the thin claim's fields as submitted (strings from a form
	// are converted by the web layer using the schema's types).
	Values map[string]any
	// Advanced is the Advanced lane: raw fields merged unchanged into the
	// claim's target (Offering.Advanced.Target) after the Standard lane;
	// supported best effort.
	Advanced    map[string]any
	RequestedBy string
	Groups      []string
}

// MaxNameLength leaves room for the suffixes operators add to a claim's
// name (<name>-rw, <name>-<region>, <name>-1-initdb) within 63 characters.
const MaxNameLength = 40

// ErrForbidden is returned when the namespace is not one of the caller's
// teams'.
var ErrForbidden = errors.New("not a namespace of your teams")

// ValidationError carries every problem of a request at once.
type ValidationError struct{ Errs field.ErrorList }

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return "request is invalid: " + strings.Join(msgs, "; ")
}

// Validate returns every problem of req at once, with paths "blueprint",
// "name", "namespace" and "values.<field>", each saying what is wrong and
// how to fix it.
func Validate(cat *catalog.Catalog, t Teams, req Request) field.ErrorList {
	var errs field.ErrorList
	o, ok := offering(cat, req.Blueprint)
	if !ok {
		var names []string
		for _, o := range Offerings(cat) {
			names = append(names, o.Blueprint)
		}
		errs = append(errs, field.NotSupported(field.NewPath("blueprint"), req.Blueprint, names))
	}
	errs = append(errs, validateName(req.Name)...)
	errs = append(errs, validateNamespace(t, req)...)
	if ok {
		errs = append(errs, validateValues(o, req.Values)...)
	}
	return errs
}

func validateName(name string) field.ErrorList {
	p := field.NewPath("name")
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "name the resource, e.g. orders-db")}
	case len(validation.IsDNS1123Label(name)) > 0:
		return field.ErrorList{field.Invalid(p, name, "use lowercase letters, digits and '-', starting with a letter or digit, e.g. orders-db")}
	case len(name) > MaxNameLength:
		return field.ErrorList{field.Invalid(p, name, fmt.Sprintf("at most %d characters, so that the operator's suffixes (-rw, -<region>, -1-initdb) fit in 63; shorten it", MaxNameLength))}
	}
	return nil
}

func validateNamespace(t Teams, req Request) field.ErrorList {
	p := field.NewPath("namespace")
	mine := t.Namespaces(req.Groups)
	switch {
	case req.Namespace == "":
		return field.ErrorList{field.Required(p, "choose one of your teams' namespaces: "+list(mine))}
	case !slices.Contains(mine, req.Namespace):
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf("%s is %s; choose one of %s, or ask the platform admin to add it to your team in the teams file",
			req.Namespace, ErrForbidden, list(mine)))}
	}
	return nil
}

func list(s []string) string {
	if len(s) == 0 {
		return "(none: you belong to no team; ask the platform admin)"
	}
	return strings.Join(s, ", ")
}

// validateValues checks the values against the claim's schema, then the
// claim kind's rules across fields.
func validateValues(o Offering, values map[string]any) field.ErrorList {
	sch, err := compile(o)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("values"), fmt.Errorf("blueprint %s: claim schema: %w; run catalyst catalog lint", o.Blueprint, err))}
	}
	doc, err := jsonDoc(values)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("values"), "", "not JSON data: "+err.Error())}
	}
	if err := sch.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return schemaErrors(o, ve)
		}
		return field.ErrorList{field.Invalid(field.NewPath("values"), "", err.Error())}
	}
	if k, ok := render.Lookup(o.ClaimKind); ok {
		return k.Check(withDefaults(o.Schema, values), 0)
	}
	return nil
}

func compile(o Offering) (*jsonschema.Schema, error) {
	doc, err := jsonDoc(o.Schema)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	url := "claim/" + o.Blueprint + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// jsonDoc round-trips v through JSON so the validator sees JSON types.
func jsonDoc(v any) (any, error) {
	if m, ok := v.(map[string]any); ok && m == nil {
		v = map[string]any{}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

var printer = message.NewPrinter(language.English)

// schemaErrors flattens the validator's tree to one error per field.
func schemaErrors(o Offering, ve *jsonschema.ValidationError) field.ErrorList {
	var errs field.ErrorList
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		p := field.NewPath("values")
		for _, seg := range e.InstanceLocation {
			p = p.Child(seg)
		}
		errs = append(errs, kindError(o, p, e.ErrorKind)...)
	}
	walk(ve)
	return errs
}

func kindError(o Offering, p *field.Path, k jsonschema.ErrorKind) field.ErrorList {
	switch k := k.(type) {
	case *kind.AdditionalProperties:
		var errs field.ErrorList
		for _, name := range k.Properties {
			errs = append(errs, field.Forbidden(p.Child(name), fmt.Sprintf("not a field of %s; its fields are %s (raw operator fields go in the Advanced lane)", o.ClaimKind, list(fields(o)))))
		}
		return errs
	case *kind.Required:
		var errs field.ErrorList
		for _, name := range k.Missing {
			errs = append(errs, field.Required(p.Child(name), hint(o, name)))
		}
		return errs
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return field.ErrorList{field.NotSupported(p, k.Got, want)}
	}
	name := strings.TrimPrefix(p.String(), "values.")
	return field.ErrorList{field.Invalid(p, nil, k.LocalizedString(printer)+"; "+hint(o, name))}
}

// hint is a field's description from the schema: what the field means is
// the best guide to a valid value.
func hint(o Offering, name string) string {
	props, _ := o.Schema["properties"].(map[string]any)
	prop, _ := props[name].(map[string]any)
	if d, _ := prop["description"].(string); d != "" {
		return d
	}
	return "see the " + o.ClaimKind + " schema"
}

func fields(o Offering) []string {
	props, _ := o.Schema["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// withDefaults returns values with the schema's top-level defaults filled
// in for absent fields: a thin claim leaves the rest to defaults.
func withDefaults(schema, values map[string]any) map[string]any {
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	for k, p := range props {
		if d, ok := p.(map[string]any)["default"]; ok {
			out[k] = d
		}
	}
	for k, v := range values {
		out[k] = v
	}
	return out
}

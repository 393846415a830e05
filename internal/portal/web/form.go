package portalweb

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Field is one form control generated from a property of a thin claim's
// JSON Schema. The HTML constraint attributes mirror the schema so the
// browser can hint; the server's validation stays the judge.
type Field struct {
	Name, Label, Help string
	// Control is "select" (enum), "checkbox" (boolean), "number"
	// (integer, number) or "text".
	Control string
	Type    string // the schema's type: string, integer, number, boolean
	Options []Option
	Value   string // what the control shows: the submitted value, else the default
	Checked bool
	// Required, Min, Max, Step, Pattern, MinLength and MaxLength become
	// HTML attributes.
	Required             bool
	Min, Max, Step       string
	Pattern              string
	MinLength, MaxLength string
	Error                string // the server's verdict, shown beside the control
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Selected bool
}

// Fields turns a claim schema into form fields: required ones first, then
// by name (a schema's properties carry no order). submitted holds the
// values a person sent, kept when the form comes back with errors; nil
// shows the defaults.
func Fields(schema map[string]any, submitted url.Values) []Field {
	props, _ := schema["properties"].(map[string]any)
	required := map[string]bool{}
	for _, r := range asSlice(schema["required"]) {
		if s, ok := r.(string); ok {
			required[s] = true
		}
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if required[a] != required[b] {
			if required[a] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	out := make([]Field, 0, len(names))
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		out = append(out, newField(n, p, required[n], submitted))
	}
	return out
}

func newField(name string, p map[string]any, required bool, submitted url.Values) Field {
	f := Field{Name: name, Label: label(name), Help: str(p["description"]), Type: schemaType(p), Required: required}
	value, sent := scalarIf(p["default"]), false
	if submitted != nil {
		value, sent = submitted.Get(name), true
	}
	switch {
	case p["enum"] != nil:
		f.Control = "select"
		for _, e := range asSlice(p["enum"]) {
			v := scalar(e)
			f.Options = append(f.Options, Option{Value: v, Selected: v == value})
		}
	case f.Type == "boolean":
		f.Control = "checkbox"
		f.Checked = value == "true"
		if sent {
			f.Checked = isOn(value)
		}
		f.Required = false // unchecked is a valid answer: false
	case f.Type == "integer" || f.Type == "number":
		f.Control, f.Min, f.Max, f.Step = "number", scalarIf(p["minimum"]), scalarIf(p["maximum"]), "any"
		if f.Type == "integer" {
			f.Step = "1"
		}
	default:
		f.Control, f.Pattern = "text", str(p["pattern"])
		f.MinLength, f.MaxLength = scalarIf(p["minLength"]), scalarIf(p["maxLength"])
	}
	f.Value = value
	return f
}

// Values converts a submitted form to the claim's types: integers and
// numbers parsed, checkboxes to booleans, enum choices back to the enum's
// own value (so "17" stays the string "17" and 3 the number 3). Empty
// optional fields are left out so the claim's default applies. Values it
// cannot convert are reported under values.<field> and left out.
func Values(schema map[string]any, form url.Values) (map[string]any, field.ErrorList) {
	props, _ := schema["properties"].(map[string]any)
	out := map[string]any{}
	var errs field.ErrorList
	base := field.NewPath("values")
	for name, raw := range props {
		p, _ := raw.(map[string]any)
		s := strings.TrimSpace(form.Get(name))
		typ := schemaType(p)
		if typ == "boolean" && p["enum"] == nil {
			out[name] = isOn(s)
			continue
		}
		if s == "" {
			continue
		}
		if enum := asSlice(p["enum"]); enum != nil {
			out[name] = s
			for _, e := range enum {
				if scalar(e) == s {
					out[name] = e
				}
			}
			continue
		}
		switch typ {
		case "integer":
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				errs = append(errs, field.Invalid(base.Child(name), s, "must be a whole number, e.g. 3"))
				continue
			}
			out[name] = n
		case "number":
			n, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
				errs = append(errs, field.Invalid(base.Child(name), s, "must be a number, e.g. 2.5"))
				continue
			}
			out[name] = n
		default:
			out[name] = s
		}
	}
	return out, errs
}

// Advanced parses the Advanced lane's text (a YAML or JSON mapping of
// raw fields of target); empty is none.
func Advanced(text, target string) (map[string]any, *field.Error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil || m == nil {
		msg := "not a YAML mapping"
		if err != nil {
			msg += " (" + err.Error() + ")"
		}
		return nil, field.Invalid(field.NewPath("advanced"), "", msg+"; write fields of "+target+", e.g. postgresql: {parameters: {max_connections: \"200\"}}")
	}
	return m, nil
}

// Place puts each error beside its field: "values.<field>" on that field,
// "name", "namespace" and "advanced[.…]" on the request's own inputs
// (returned in own),
// anything else (a whole-claim problem) in general.
func Place(fields []Field, errs field.ErrorList) (own map[string]string, general []string) {
	own = map[string]string{}
	index := map[string]int{}
	for i, f := range fields {
		index[f.Name] = i
	}
	for _, e := range errs {
		msg := message(e)
		path := e.Field
		if rest, ok := strings.CutPrefix(path, "values."); ok {
			if i, ok := index[rest]; ok {
				fields[i].Error = join(fields[i].Error, msg)
				continue
			}
		}
		if path == "name" || path == "namespace" || path == "advanced" || strings.HasPrefix(path, "advanced.") {
			if strings.HasPrefix(path, "advanced") {
				path = "advanced"
			}
			own[path] = join(own[path], msg)
			continue
		}
		general = append(general, e.Error())
	}
	return own, general
}

// message is an error without its path (the control's label shows it).
func message(e *field.Error) string {
	if e.Detail != "" && (e.Type == field.ErrorTypeInvalid || e.Type == field.ErrorTypeForbidden) {
		return e.Detail
	}
	return strings.TrimSpace(strings.TrimPrefix(e.ErrorBody(), e.Field+":"))
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// label makes "deletionProtection" read "Deletion protection"; a name of
// one or two letters is an acronym ("ha" reads "HA").
func label(name string) string {
	if len(name) <= 2 {
		return strings.ToUpper(name)
	}
	var b strings.Builder
	for i, r := range name {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case unicode.IsUpper(r):
			b.WriteRune(' ')
			b.WriteRune(unicode.ToLower(r))
		case r == '_' || r == '-':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func schemaType(p map[string]any) string {
	switch t := p["type"].(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				return s
			}
		}
	}
	return "string"
}

func isOn(s string) bool { return s == "true" || s == "on" }

func asSlice(v any) []any {
	switch s := v.(type) {
	case []any:
		return s
	case []string:
		out := make([]any, len(s))
		for i, e := range s {
			out[i] = e
		}
		return out
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

// scalar prints a JSON value as a form shows it.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func scalarIf(v any) string {
	if v == nil {
		return ""
	}
	return scalar(v)
}

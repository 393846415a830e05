package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func lintNames(c *Catalog) []Problem {
	var ps []Problem
	owner := map[string]string{}
	check := func(file, name, dir string) {
		if base := path.Base(dir); name != base {
			ps = append(ps, Problem{File: file, Field: "metadata.name",
				Message: fmt.Sprintf("name %q differs from its directory %q", name, base),
				Fix:     "rename the directory or the name so that they are equal"})
		}
		if first, dup := owner[name]; dup {
			ps = append(ps, Problem{File: file, Field: "metadata.name",
				Message: fmt.Sprintf("name %q is already used by %s", name, first),
				Fix:     "give every component and product a unique name"})
			return
		}
		owner[name] = file
	}
	for _, b := range c.Blueprints {
		check(b.File(), b.Name(), b.Dir)
	}
	for _, p := range c.Products {
		check(p.File(), p.Name(), p.Dir)
	}
	return ps
}

func lintReferences(c *Catalog) []Problem {
	var ps []Problem
	ref := func(file, field, name string) {
		if _, ok := c.Blueprint(name); !ok {
			ps = append(ps, Problem{File: file, Field: field,
				Message: fmt.Sprintf("%q is not a component of the catalog", name),
				Fix:     "correct the name, or add platform/" + name + "/blueprint.yaml"})
		}
	}
	for _, b := range c.Blueprints {
		for i, d := range b.Spec.DependsOn {
			field := fmt.Sprintf("spec.dependsOn[%d]", i)
			if d == b.Name() {
				ps = append(ps, Problem{File: b.File(), Field: field, Message: "a component cannot depend on itself", Fix: "remove it"})
				continue
			}
			ref(b.File(), field, d)
		}
		if m := b.Spec.Delivery.Model; m != nil {
			for i, s := range m.ServedBy {
				ref(b.File(), fmt.Sprintf("spec.delivery.model.servedBy[%d]", i), s)
			}
		}
	}
	for _, p := range c.Products {
		for i, m := range p.Spec.Components {
			ref(p.File(), fmt.Sprintf("spec.components[%d]", i), m)
		}
		for i, m := range p.Spec.OptionalComponents {
			ref(p.File(), fmt.Sprintf("spec.optionalComponents[%d]", i), m)
		}
		for i, s := range p.Spec.Services {
			if s.Component != "" {
				ref(p.File(), fmt.Sprintf("spec.services[%d].component", i), s.Component)
			}
		}
	}
	return ps
}

func lintCycles(c *Catalog) []Problem {
	cycle := c.Cycle()
	if cycle == nil {
		return nil
	}
	b, _ := c.Blueprint(cycle[0])
	return []Problem{{File: b.File(), Field: "spec.dependsOn",
		Message: "dependency cycle: " + strings.Join(cycle, " → "),
		Fix:     "break the cycle: one of these components must not depend on the next"}}
}

// exactVersion says why v is not one exact version, or "" when it is.
// Helm chart versions may carry a leading v (cert-manager's do).
func exactVersion(v string, semverRequired bool) string {
	switch strings.ToLower(v) {
	case "", "latest", "main", "master", "head", "stable", "*":
		return fmt.Sprintf("%q is not a pinned version", v)
	}
	if strings.ContainsAny(v, "^~<>=*|, ") || strings.Contains(v, ".x") || strings.HasSuffix(v, ".X") {
		return fmt.Sprintf("%q is a range, not an exact version", v)
	}
	if semverRequired {
		if _, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v")); err != nil {
			return fmt.Sprintf("%q is not a semantic version (MAJOR.MINOR.PATCH)", v)
		}
	}
	return ""
}

func lintVersions(c *Catalog) []Problem {
	var ps []Problem
	for _, b := range c.Blueprints {
		f := b.File()
		add := func(field, msg, fix string) { ps = append(ps, Problem{File: f, Field: field, Message: msg, Fix: fix}) }
		own, err := semver.StrictNewVersion(b.Spec.Version)
		if err != nil {
			add("spec.version", fmt.Sprintf("%q is not a semantic version", b.Spec.Version), "use MAJOR.MINOR.PATCH, e.g. 1.0.0")
		}
		var newest *semver.Version
		for i, e := range b.Spec.Changelog {
			v, err := semver.StrictNewVersion(e.Version)
			if err != nil {
				add(fmt.Sprintf("spec.changelog[%d].version", i), fmt.Sprintf("%q is not a semantic version", e.Version), "use MAJOR.MINOR.PATCH")
				continue
			}
			if newest == nil || v.GreaterThan(newest) {
				newest = v
			}
		}
		if own != nil && newest != nil && !own.Equal(newest) {
			add("spec.version", fmt.Sprintf("version %s differs from the newest changelog entry %s", own, newest),
				"add a changelog entry for "+own.String()+", or set spec.version to the newest entry")
		}
		if msg := exactVersion(b.Spec.Upstream.AppVersion, false); msg != "" {
			add("spec.upstream.appVersion", msg, "pin the exact upstream version the delivery installs")
		}
		for i, h := range b.Spec.Delivery.Helm {
			if msg := exactVersion(h.Version, true); msg != "" {
				add(fmt.Sprintf("spec.delivery.helm[%d].version", i), msg, "pin one exact chart version, e.g. 1.19.2")
			}
		}
		if t := b.Spec.Delivery.Tool; t != nil {
			tools := append([]Tool{*t}, t.Extra...)
			for i, tool := range tools {
				field := "spec.delivery.tool.version"
				if i > 0 {
					field = fmt.Sprintf("spec.delivery.tool.extra[%d].version", i-1)
				}
				if msg := exactVersion(tool.Version, false); msg != "" {
					add(field, msg, "pin one exact release of "+tool.Name)
				}
			}
		}
		if m := b.Spec.Delivery.Model; m != nil {
			if msg := exactVersion(m.Revision, false); msg != "" {
				add("spec.delivery.model.revision", msg, "pin the model's exact revision (a commit hash)")
			}
		}
		for i, s := range b.Spec.Support {
			if _, err := semver.NewConstraint(s.Versions); err != nil {
				add(fmt.Sprintf("spec.support[%d].versions", i), fmt.Sprintf("%q is not a semver constraint: %v", s.Versions, err), `write a constraint such as ">=1.19.0 <1.20.0"`)
			}
		}
	}
	return ps
}

func lintLicenses(c *Catalog) []Problem {
	var ps []Problem
	for _, b := range c.Blueprints {
		if err := CheckLicense(b.Spec.Upstream.License); err != nil {
			ps = append(ps, Problem{File: b.File(), Field: "spec.upstream.license", Message: err.Error(),
				Fix: "OpenOva ships only OSI-approved licenses: write the upstream's SPDX identifier, or replace the component with an open-source one"})
		}
	}
	return ps
}

func lintMandatorySet(c *Catalog) []Problem {
	var ps []Problem
	want := setOf(MandatorySet...)
	for _, b := range c.Blueprints {
		switch {
		case want[b.Name()] && b.Spec.Tier != TierMandatory:
			ps = append(ps, Problem{File: b.File(), Field: "spec.tier", Message: fmt.Sprintf("%s is one of the 25 mandatory components but is %q", b.Name(), b.Spec.Tier), Fix: "set tier: mandatory"})
		case !want[b.Name()] && b.Spec.Tier == TierMandatory:
			ps = append(ps, Problem{File: b.File(), Field: "spec.tier", Message: b.Name() + " is not in the mandatory set of OPENOVA.md §1", Fix: "set tier: alacarte (the mandatory set changes only with the spec)"})
		}
	}
	for _, name := range MandatorySet {
		if _, ok := c.Blueprint(name); !ok {
			ps = append(ps, Problem{File: path.Join(PlatformDir, name, BlueprintFile), Message: "mandatory component " + name + " is missing", Fix: "add its blueprint"})
		}
	}
	return ps
}

func lintRemoved(c *Catalog) []Problem {
	var ps []Problem
	removed := setOf(Removed...)
	bad := func(file, field, name string) {
		if removed[name] {
			ps = append(ps, Problem{File: file, Field: field, Message: name + " was removed from the catalog and may not reappear",
				Fix: "drop it; see OPENOVA.md §1 for its replacement"})
		}
	}
	for _, b := range c.Blueprints {
		bad(b.File(), "metadata.name", b.Name())
		for i, d := range b.Spec.DependsOn {
			bad(b.File(), fmt.Sprintf("spec.dependsOn[%d]", i), d)
		}
	}
	for _, p := range c.Products {
		bad(p.File(), "metadata.name", p.Name())
		for i, m := range p.Spec.Components {
			bad(p.File(), fmt.Sprintf("spec.components[%d]", i), m)
		}
		for i, m := range p.Spec.OptionalComponents {
			bad(p.File(), fmt.Sprintf("spec.optionalComponents[%d]", i), m)
		}
	}
	return ps
}

func lintDataDR(c *Catalog) []Problem {
	var ps []Problem
	for _, b := range c.Blueprints {
		data := strings.EqualFold(b.Spec.Category, DataCategory) || b.Spec.Claim != nil
		if data && b.Spec.DR.Method == DRNone {
			ps = append(ps, Problem{File: b.File(), Field: "spec.dr.method", Message: "a data service must say how its data survives the loss of a region",
				Fix: "choose a method other than none (OPENOVA.md §4)"})
		}
	}
	return ps
}

func lintClaims(c *Catalog) []Problem {
	var ps []Problem
	for _, b := range c.Blueprints {
		cl := b.Spec.Claim
		if cl == nil {
			continue
		}
		props, _ := cl.Schema["properties"].(map[string]any)
		if n := len(props); n < MinClaimFields || n > MaxClaimFields {
			ps = append(ps, Problem{File: b.File(), Field: "spec.claim.schema.properties",
				Message: fmt.Sprintf("a thin claim has %d to %d fields, this one has %d", MinClaimFields, MaxClaimFields, n),
				Fix:     "keep the Standard lane to tier, ha, backup, deletionProtection, networkProfile, size and the like; the rest belongs to the Advanced lane"})
		}
		if t, _ := cl.Schema["type"].(string); t != "object" {
			ps = append(ps, Problem{File: b.File(), Field: "spec.claim.schema.type", Message: "a claim schema must be of type object", Fix: "set type: object"})
		}
		if err := compileClaimSchema(b.Name(), cl.Schema); err != nil {
			ps = append(ps, Problem{File: b.File(), Field: "spec.claim.schema", Message: "not a valid JSON Schema: " + err.Error(), Fix: "correct it against JSON Schema draft 2020-12"})
		}
	}
	return ps
}

func compileClaimSchema(name string, schema map[string]any) error {
	raw, err := json.Marshal(schema)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	url := "claim/" + name + ".json"
	if err := comp.AddResource(url, doc); err != nil {
		return err
	}
	_, err = comp.Compile(url)
	return err
}

var placeholderRE = regexp.MustCompile(`<[a-z][a-z0-9-]*>`)

func lintPlaceholders(c *Catalog) []Problem {
	var ps []Problem
	known := setOf(Placeholders...)
	for _, b := range c.Blueprints {
		for i, h := range b.Spec.Delivery.Helm {
			walkStrings(h.Values, fmt.Sprintf("spec.delivery.helm[%d].values", i), func(field, s string) {
				for _, tok := range placeholderRE.FindAllString(s, -1) {
					if !known[tok] {
						ps = append(ps, Problem{File: b.File(), Field: field, Message: fmt.Sprintf("unknown placeholder %s", tok),
							Fix: "use one of " + strings.Join(Placeholders, " ")})
					}
				}
			})
		}
	}
	return ps
}

// walkStrings calls fn for every string inside v, with its field path.
func walkStrings(v any, at string, fn func(field, s string)) {
	switch t := v.(type) {
	case string:
		fn(at, t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(t[k], at+"."+k, fn)
		}
	case []any:
		for i, e := range t {
			walkStrings(e, fmt.Sprintf("%s[%d]", at, i), fn)
		}
	}
}

func lintDelivery(c *Catalog) []Problem {
	var ps []Problem
	for _, b := range c.Blueprints {
		add := func(field, msg, fix string) {
			ps = append(ps, Problem{File: b.File(), Field: field, Message: msg, Fix: fix})
		}
		for i, h := range b.Spec.Delivery.Helm {
			at := fmt.Sprintf("spec.delivery.helm[%d]", i)
			switch {
			case h.Repository != "" && h.Path != "":
				add(at, "both repository and path are set", "keep one: an upstream repository or a chart inside this blueprint")
			case h.Repository == "" && h.Path == "":
				add(at, "neither repository nor path is set", "set repository (https:// or oci://) or path (a chart in this blueprint's directory)")
			case h.Repository != "" && !strings.HasPrefix(h.Repository, "https://") && !strings.HasPrefix(h.Repository, "oci://"):
				add(at+".repository", fmt.Sprintf("%q is neither https:// nor oci://", h.Repository), "use the chart repository's https:// or oci:// address")
			case h.Path != "":
				if msg := localPath(c.fsys, b.Dir, h.Path, "Chart.yaml"); msg != "" {
					add(at+".path", msg, "point path at a chart directory inside "+b.Dir)
				}
			}
		}
		for i, m := range b.Spec.Delivery.Manifests {
			if msg := localPath(c.fsys, b.Dir, m, ""); msg != "" {
				add(fmt.Sprintf("spec.delivery.manifests[%d]", i), msg, "point it at a file inside "+b.Dir)
			}
		}
	}
	return ps
}

// localPath says why rel (relative to dir) is not an existing file of the
// catalog (with want inside it, when want is set), or "".
func localPath(fsys fs.FS, dir, rel, want string) string {
	p := path.Join(dir, rel)
	if path.IsAbs(rel) || !strings.HasPrefix(p, dir+"/") {
		return fmt.Sprintf("%q leaves the blueprint directory", rel)
	}
	if want != "" {
		p = path.Join(p, want)
	}
	if _, err := fs.Stat(fsys, p); err != nil {
		return fmt.Sprintf("%s does not exist", p)
	}
	return ""
}

func lintMandatoryDependencies(c *Catalog) []Problem {
	var ps []Problem
	for _, b := range c.Mandatory() {
		allowed := setOf(PulledIn[b.Name()]...)
		for i, d := range b.Spec.DependsOn {
			dep, ok := c.Blueprint(d)
			if !ok || dep.Spec.Tier == TierMandatory || allowed[d] {
				continue
			}
			ps = append(ps, Problem{File: b.File(), Field: fmt.Sprintf("spec.dependsOn[%d]", i),
				Message: fmt.Sprintf("mandatory %s depends on à la carte %s, which would make it always installed", b.Name(), d),
				Fix:     "drop the dependency, or record the decision in catalog.PulledIn so that the closure shows it"})
		}
	}
	return ps
}

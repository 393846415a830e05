package portal

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Team maps OIDC groups to the namespaces the team may request into.
type Team struct {
	Name       string   `json:"name"`
	Groups     []string `json:"groups"`
	Namespaces []string `json:"namespaces"`
}

// Teams is the teams file of the instance repository.
type Teams []Team

// teamsFile is the file's shape: a single top-level key, so the file can
// grow without breaking old readers.
type teamsFile struct {
	Teams Teams `json:"teams"`
}

// reservedNamespaces hold the platform itself; a team requesting into one
// could reach the platform's credentials.
var reservedNamespaces = []string{"default", "flux-system", "cnpg-system", "openbao", "external-secrets", "gitea", "catalyst"}

// LoadTeams parses the teams file (YAML or JSON) strictly: an unknown field,
// a missing group or namespace, or a namespace that is not a DNS label is an
// error naming the field and the fix.
func LoadTeams(data []byte) (Teams, error) {
	var f teamsFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("teams file: %w; the file is `teams:` followed by a list of {name, groups, namespaces}", err)
	}
	if errs := validateTeams(f.Teams); len(errs) > 0 {
		return nil, fmt.Errorf("teams file: %w", errs.ToAggregate())
	}
	return f.Teams, nil
}

func validateTeams(ts Teams) field.ErrorList {
	var errs field.ErrorList
	root := field.NewPath("teams")
	if len(ts) == 0 {
		errs = append(errs, field.Required(root, "list at least one team: {name, groups, namespaces}"))
	}
	names := map[string]bool{}
	for i, t := range ts {
		p := root.Index(i)
		if msgs := validation.IsDNS1123Label(t.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("name"), t.Name, "a team name is a lowercase DNS label, e.g. payments"))
		} else if names[t.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), t.Name))
		}
		names[t.Name] = true
		if len(t.Groups) == 0 {
			errs = append(errs, field.Required(p.Child("groups"), "name the OIDC groups whose members belong to the team"))
		}
		for j, g := range t.Groups {
			if strings.TrimSpace(g) == "" {
				errs = append(errs, field.Required(p.Child("groups").Index(j), "a group is the non-empty name your identity provider puts in the groups claim"))
			}
		}
		if len(t.Namespaces) == 0 {
			errs = append(errs, field.Required(p.Child("namespaces"), "name the namespaces the team may request into"))
		}
		for j, ns := range t.Namespaces {
			np := p.Child("namespaces").Index(j)
			switch {
			case len(validation.IsDNS1123Label(ns)) > 0:
				errs = append(errs, field.Invalid(np, ns, "a namespace is a lowercase DNS label, e.g. payments-prod"))
			case strings.HasPrefix(ns, "kube-") || slices.Contains(reservedNamespaces, ns):
				errs = append(errs, field.Forbidden(np, ns+" holds the platform itself; give the team a namespace of its own"))
			}
		}
	}
	return errs
}

// Of returns the teams a user of these groups belongs to, in file order.
func (t Teams) Of(groups []string) []Team {
	var out []Team
	for _, tm := range t {
		for _, g := range tm.Groups {
			if slices.Contains(groups, g) {
				out = append(out, tm)
				break
			}
		}
	}
	return out
}

// Namespaces returns the namespaces of the teams of these groups, sorted
// and without duplicates.
func (t Teams) Namespaces(groups []string) []string {
	var out []string
	for _, tm := range t.Of(groups) {
		out = append(out, tm.Namespaces...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Allows says whether a user of these groups may request into namespace.
func (t Teams) Allows(groups []string, namespace string) bool {
	return slices.Contains(t.Namespaces(groups), namespace)
}

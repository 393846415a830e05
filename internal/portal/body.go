package portal

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/portal/render"
)

// body is the pull request's description, for the reviewer: what is asked,
// by whom, where, with which values, what merging does and which Secret the
// application will read. It holds no secret: the claim has none, and the
// connection Secret is named, never shown.
func body(o Offering, req Request, team string, values map[string]any, res *render.Result, files map[string][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s `%s`** for namespace `%s`", o.Title, req.Name, req.Namespace)
	if team != "" {
		fmt.Fprintf(&b, " (team %s)", team)
	}
	fmt.Fprintf(&b, ", requested by %s through the OpenOva portal.\n\n", req.RequestedBy)
	fmt.Fprintf(&b, "### %s (blueprint %s)\n\n| field | value |\n|---|---|\n", o.ClaimKind, o.Blueprint)
	for _, k := range sortedKeys(values) {
		v := fmt.Sprint(values[k])
		if _, typed := req.Values[k]; !typed {
			v += " (default)"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", k, v)
	}
	if len(req.Advanced) > 0 {
		raw, _ := yaml.Marshal(req.Advanced)
		fmt.Fprintf(&b, "\n### Advanced lane\n\nMerged unchanged into %s; outside the blueprint configuration, supported best effort:\n\n```yaml\n%s```\n", o.Advanced.Target, raw)
	}
	b.WriteString("\n### What merging does\n\n")
	regions := res.Regions
	for _, f := range sortedKeys(files) {
		fmt.Fprintf(&b, "- `%s`\n", f)
	}
	where := "region " + regions[0]
	if len(regions) > 1 {
		where = fmt.Sprintf("regions %s (primary) and %s (replica cluster streaming from it)", regions[0], strings.Join(regions[1:], ", "))
	}
	fmt.Fprintf(&b, "\nFlux (Kustomization `requests`) applies these files in %s; the operator then reconciles them.\n", where)
	fmt.Fprintf(&b, "Once ready, the application reads its connection details from the Secret `%s` in namespace `%s` (created by the operator; the portal shows its name, never its value).\n",
		res.ConnectionSecret, req.Namespace)
	b.WriteString("\nCatalyst opened this pull request and never approves or merges it: a reviewer does, under the branch protection and CODEOWNERS of this repository.\n")
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

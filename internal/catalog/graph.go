package catalog

import (
	"fmt"
	"strings"
)

// Graph formats.
const (
	GraphMermaid = "mermaid"
	GraphDOT     = "dot"
)

// Graph renders the dependency graph (an edge from each component to what
// it depends on) in Mermaid or Graphviz DOT, mandatory components marked,
// in name order so the output is stable.
func Graph(c *Catalog, format string) (string, error) {
	var b strings.Builder
	switch format {
	case GraphMermaid:
		b.WriteString("graph LR\n")
		for _, bp := range c.Blueprints {
			fmt.Fprintf(&b, "  %s[%q]\n", mermaidID(bp.Name()), label(bp))
		}
		for _, bp := range c.Blueprints {
			for _, d := range bp.Spec.DependsOn {
				fmt.Fprintf(&b, "  %s --> %s\n", mermaidID(bp.Name()), mermaidID(d))
			}
		}
		b.WriteString("  classDef mandatory stroke-width:3px\n")
		for _, bp := range c.Mandatory() {
			fmt.Fprintf(&b, "  class %s mandatory\n", mermaidID(bp.Name()))
		}
	case GraphDOT:
		b.WriteString("digraph catalog {\n  rankdir=LR;\n  node [shape=box];\n")
		for _, bp := range c.Blueprints {
			style := ""
			if bp.Spec.Tier == TierMandatory {
				style = ", style=bold"
			}
			fmt.Fprintf(&b, "  %q [label=%q%s];\n", bp.Name(), label(bp), style)
		}
		for _, bp := range c.Blueprints {
			for _, d := range bp.Spec.DependsOn {
				fmt.Fprintf(&b, "  %q -> %q;\n", bp.Name(), d)
			}
		}
		b.WriteString("}\n")
	default:
		return "", fmt.Errorf("--format %q: want %s or %s", format, GraphMermaid, GraphDOT)
	}
	return b.String(), nil
}

func label(b *Blueprint) string {
	if b.Spec.Tier == TierMandatory {
		return b.Name() + " (mandatory)"
	}
	return b.Name()
}

// mermaidID makes a node id Mermaid accepts (no dashes, no keywords).
func mermaidID(name string) string {
	return "c_" + strings.ReplaceAll(name, "-", "_")
}

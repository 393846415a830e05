package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Resolve turns a selection — component names and/or product names — into
// the components to install, in install order: the mandatory set always,
// the selection, and everything they depend on, dependencies first and
// ties broken by name so that the same selection always yields the same
// order.
func (c *Catalog) Resolve(selection []string) ([]*Blueprint, error) {
	roots := map[string]bool{}
	for _, b := range c.Mandatory() {
		roots[b.Name()] = true
	}
	for _, name := range selection {
		members, err := c.expand(name)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			roots[m] = true
		}
	}
	closure, err := c.closure(sortedKeys(roots))
	if err != nil {
		return nil, err
	}
	return c.installOrder(closure)
}

// Closure returns the names of every component the named components need,
// transitively, excluding the named ones, sorted by name.
func (c *Catalog) Closure(names ...string) ([]string, error) {
	set, err := c.closure(names)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		delete(set, n)
	}
	return sortedKeys(set), nil
}

// expand returns the components a selected name stands for.
func (c *Catalog) expand(name string) ([]string, error) {
	if b, ok := c.Blueprint(name); ok {
		return []string{b.Name()}, nil
	}
	p, ok := c.Product(name)
	if !ok {
		return nil, fmt.Errorf("%q is neither a component nor a product of the catalog (see `catalyst catalog list`)", name)
	}
	return p.Members(), nil
}

// Members are the components a product always brings: its required
// components and those deploying its services. The Core product
// (allComponents) brings the mandatory set, which every selection has.
func (p *Product) Members() []string {
	set := map[string]bool{}
	for _, m := range p.Spec.Components {
		set[m] = true
	}
	for _, s := range p.Spec.Services {
		if s.Component != "" {
			set[s.Component] = true
		}
	}
	return sortedKeys(set)
}

func (c *Catalog) closure(names []string) (map[string]bool, error) {
	seen := map[string]bool{}
	var visit func(name, from string) error
	visit = func(name, from string) error {
		if seen[name] {
			return nil
		}
		b, ok := c.Blueprint(name)
		if !ok {
			if from == "" {
				return fmt.Errorf("unknown component %q", name)
			}
			return fmt.Errorf("%s depends on unknown component %q", from, name)
		}
		seen[name] = true
		for _, d := range b.Spec.DependsOn {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := visit(n, ""); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

// installOrder sorts a dependency-closed set topologically (Kahn), always
// taking the alphabetically first ready component.
func (c *Catalog) installOrder(set map[string]bool) ([]*Blueprint, error) {
	pending := map[string]int{}
	dependents := map[string][]string{}
	for name := range set {
		b, _ := c.Blueprint(name)
		pending[name] = len(b.Spec.DependsOn)
		for _, d := range b.Spec.DependsOn {
			dependents[d] = append(dependents[d], name)
		}
	}
	var ready []string
	for name, n := range pending {
		if n == 0 {
			ready = append(ready, name)
		}
	}
	var order []*Blueprint
	for len(ready) > 0 {
		sort.Strings(ready)
		next := ready[0]
		ready = ready[1:]
		b, _ := c.Blueprint(next)
		order = append(order, b)
		for _, d := range dependents[next] {
			if pending[d]--; pending[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(order) < len(set) {
		return nil, fmt.Errorf("dependency cycle: %s", strings.Join(c.Cycle(), " → "))
	}
	return order, nil
}

// Cycle returns one dependency cycle as a path that starts and ends with
// the same component, or nil when the graph is acyclic. The search visits
// components by name, so the cycle reported is stable.
func (c *Catalog) Cycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(name string) bool
	visit = func(name string) bool {
		color[name] = grey
		stack = append(stack, name)
		b, ok := c.Blueprint(name)
		if ok {
			deps := append([]string(nil), b.Spec.DependsOn...)
			sort.Strings(deps)
			for _, d := range deps {
				if _, known := c.Blueprint(d); !known {
					continue
				}
				switch color[d] {
				case grey:
					for i, s := range stack {
						if s == d {
							found = append(append([]string(nil), stack[i:]...), d)
						}
					}
					return true
				case white:
					if visit(d) {
						return true
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[name] = black
		return false
	}
	for _, b := range c.Blueprints {
		if color[b.Name()] == white && visit(b.Name()) {
			return found
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package regen

import (
	"bytes"
	"encoding/json"
	"fmt"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// specDoc is instance.yaml as a YAML node tree, so that an edit keeps the
// customer's comments and key order.
type specDoc struct{ root yamlv3.Node }

func parseSpec(raw []byte) (*specDoc, error) {
	var d specDoc
	if err := yamlv3.Unmarshal(raw, &d.root); err != nil {
		return nil, fmt.Errorf("instance.yaml: %w", err)
	}
	if d.root.Kind != yamlv3.DocumentNode || len(d.root.Content) == 0 || d.root.Content[0].Kind != yamlv3.MappingNode {
		return nil, fmt.Errorf("instance.yaml: not a YAML mapping")
	}
	return &d, nil
}

// spec returns the spec mapping.
func (d *specDoc) spec() (*yamlv3.Node, error) {
	s := mapValue(d.root.Content[0], "spec")
	if s == nil || s.Kind != yamlv3.MappingNode {
		return nil, fmt.Errorf("instance.yaml: spec: missing or not a mapping")
	}
	return s, nil
}

// list returns spec.<key> as a sequence, created (empty) when absent.
func (d *specDoc) list(key string) (*yamlv3.Node, error) {
	s, err := d.spec()
	if err != nil {
		return nil, err
	}
	if v := mapValue(s, key); v != nil {
		if v.Kind != yamlv3.SequenceNode {
			return nil, fmt.Errorf("instance.yaml: spec.%s: not a list", key)
		}
		return v, nil
	}
	v := &yamlv3.Node{Kind: yamlv3.SequenceNode, Tag: "!!seq"}
	s.Content = append(s.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: key}, v)
	return v, nil
}

// appendValue adds v to a sequence, its keys in the Go type's field order
// (JSON keeps it; YAML is a superset of JSON) and in block style.
func appendValue(seq *yamlv3.Node, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var n yamlv3.Node
	if err := yamlv3.Unmarshal(raw, &n); err != nil {
		return err
	}
	blockStyle(n.Content[0])
	seq.Content = append(seq.Content, n.Content[0])
	return nil
}

func blockStyle(n *yamlv3.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// decode reads a node into a Go value through its JSON tags.
func decode(n *yamlv3.Node, v any) error {
	raw, err := yamlv3.Marshal(n)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(raw, v)
}

func (d *specDoc) bytes() ([]byte, error) {
	var b bytes.Buffer
	enc := yamlv3.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&d.root); err != nil {
		return nil, fmt.Errorf("write instance.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func mapValue(m *yamlv3.Node, key string) *yamlv3.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalars lists a sequence's scalar values.
func scalars(seq *yamlv3.Node) []string {
	var out []string
	for _, n := range seq.Content {
		if n.Kind == yamlv3.ScalarNode {
			out = append(out, n.Value)
		}
	}
	return out
}

package packager

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Capstan decodes its YAML files with yaml.v2 into plain structs: unknown
// fields are ignored and any scalar fits a string field. We walk yaml.v3 nodes
// instead of decoding into structs so that a value of the wrong shape is
// reported with the name of its field, not as an anonymous type error.

// parseMapping parses data into its top-level mapping. An empty document
// gives an empty mapping (every field then reads as missing).
func parseMapping(data []byte, file string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ParseError{File: file, Err: err}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ParseError{File: file,
			Err: fmt.Errorf("line %d: the document is a %s, want a mapping of fields", root.Line, kindName(root))}
	}
	return root, nil
}

// fieldVisitor is called once for each key of a mapping, with the key's text
// and its (alias-resolved) value.
type fieldVisitor func(key string, value *yaml.Node) error

// eachField calls visit for every key of mapping m in document order and
// refuses a key given twice. prefix is prepended to field names in errors.
func eachField(m *yaml.Node, file, prefix string, visit fieldVisitor) error {
	seen := make(map[string]int, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k.Kind != yaml.ScalarNode {
			// Capstan's structs would ignore such a key too; nothing we know
			// can be spelt that way.
			continue
		}
		if line, dup := seen[k.Value]; dup {
			return &FieldError{File: file, Field: prefix + k.Value,
				Reason: fmt.Sprintf("given twice (lines %d and %d)", line, k.Line)}
		}
		seen[k.Value] = k.Line
		if err := visit(k.Value, deref(m.Content[i+1])); err != nil {
			return err
		}
	}
	return nil
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.DocumentNode:
		return "document"
	default:
		return "alias"
	}
}

// typeReason words a shape mismatch for a FieldError.
func typeReason(want string, n *yaml.Node) string {
	return fmt.Sprintf("want %s, got a %s (line %d)", want, kindName(n), n.Line)
}

// stringValue reads a scalar as text, the way yaml.v2 fills a string field
// (so `version: 1.10` stays "1.10"); null reads as "".
func stringValue(file, field string, n *yaml.Node) (string, error) {
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", &FieldError{File: file, Field: field, Reason: typeReason("a string", n)}
	}
	return n.Value, nil
}

// stringList reads a sequence of scalars; null reads as an empty list.
func stringList(file, field string, n *yaml.Node) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &FieldError{File: file, Field: field, Reason: typeReason("a list of strings", n)}
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		s, err := stringValue(file, fmt.Sprintf("%s[%d]", field, i), deref(item))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// stringMap reads a mapping of scalars to scalars; null reads as nil.
func stringMap(file, field string, n *yaml.Node) (map[string]string, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &FieldError{File: file, Field: field, Reason: typeReason("a mapping of strings", n)}
	}
	out := make(map[string]string, len(n.Content)/2)
	err := eachField(n, file, field+".", func(key string, v *yaml.Node) error {
		s, err := stringValue(file, field+"."+key, v)
		if err != nil {
			return err
		}
		out[key] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

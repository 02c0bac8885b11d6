package target

import (
	"go.yaml.in/yaml/v3"

	"github.com/tagbump/tagbump/pkg/values"
)

// documents returns the root of each document of src (nil for an empty one).
func documents(src []byte) ([]*yaml.Node, error) { return values.Documents(src, "find images") }

// get returns the value at key of the mapping n, or nil; aliases are not
// followed.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Kind == yaml.ScalarNode && n.Content[k].Value == key {
			return n.Content[k+1]
		}
	}
	return nil
}

// scalar returns the string value at key of the mapping n, or "".
func scalar(n *yaml.Node, key string) string {
	v := get(n, key)
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return ""
	}
	return v.Value
}

// items returns the items of the sequence at key of n, nil when there is none.
func items(n *yaml.Node, key string) []*yaml.Node {
	v := get(n, key)
	if v == nil || v.Kind != yaml.SequenceNode {
		return nil
	}
	return v.Content
}

// nonEmpty counts the documents that have content.
func nonEmpty(docs []*yaml.Node) int {
	n := 0
	for _, d := range docs {
		if d != nil {
			n++
		}
	}
	return n
}

// isApplication reports whether the document root d is an Argo CD
// Application.
func isApplication(d *yaml.Node) bool {
	return scalar(d, "apiVersion") == "argoproj.io/v1alpha1" && scalar(d, "kind") == "Application"
}

// at extends the path p by a key or an index.
func at(p values.Path, key string) values.Path {
	return append(append(values.Path{}, p...), values.Segment{Key: key})
}

func index(p values.Path, i int) values.Path {
	return append(append(values.Path{}, p...), values.Segment{Index: i, IsIndex: true})
}

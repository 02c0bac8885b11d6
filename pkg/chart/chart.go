// Package chart is a Helm chart as Helm sees it, without running Helm: the
// chart's values.yaml, its dependencies (Chart.yaml, or requirements.yaml
// for a v1 chart) with alias, condition and tags, and the values of its
// subcharts merged under <alias or name>: with global:. It answers which
// path sets an image (through Defaults) and whether a block is rendered
// (Disabled). It reads files only through a Source.
package chart

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tagbump/tagbump/pkg/values"
	"go.yaml.in/yaml/v3"
)

// Dependency is one entry of Chart.yaml's (or requirements.yaml's)
// dependencies.
type Dependency struct {
	Name       string   `yaml:"name"`
	Alias      string   `yaml:"alias"`
	Version    string   `yaml:"version"`
	Repository string   `yaml:"repository"`
	Condition  string   `yaml:"condition"`
	Tags       []string `yaml:"tags"`
}

// Key is where the dependency's values sit in the parent's: its alias, or
// its name.
func (d Dependency) Key() string {
	if d.Alias != "" {
		return d.Alias
	}
	return d.Name
}

// Dependencies reads the dependencies of Chart.yaml, or of requirements.yaml
// when Chart.yaml lists none (a v1 chart). Either may be nil.
func Dependencies(chartYAML, requirements []byte) ([]Dependency, error) {
	var out []Dependency
	for _, f := range []struct {
		name string
		src  []byte
	}{{"Chart.yaml", chartYAML}, {"requirements.yaml", requirements}} {
		if len(f.src) == 0 || len(out) > 0 {
			continue
		}
		var doc struct {
			Dependencies []Dependency `yaml:"dependencies"`
		}
		if _, err := values.Document(f.src, "read "+f.name); err != nil {
			return nil, err
		}
		if err := yaml.Unmarshal(f.src, &doc); err != nil {
			return nil, fmt.Errorf("read %s: %w", f.name, err)
		}
		for _, d := range doc.Dependencies {
			if d.Name != "" {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// Subchart is a chart Helm loads under the parent: a dependency, or a chart
// in charts/ that no dependency names.
type Subchart struct {
	// Key is where its values sit in the parent's: the alias or name.
	Key string
	// Name is the chart's name.
	Name string
	// ValuesFile is where its values.yaml was read ("app/charts/db/values.yaml",
	// "app/charts/db-1.2.0.tgz:db/values.yaml"); "" when it has none.
	ValuesFile string
	Values     []byte
	// Condition and Tags are the dependency's switches.
	Condition string
	Tags      []string
}

// Chart is a chart's default values: its own and its subcharts'.
type Chart struct {
	// ValuesFile is the path of the chart's values.yaml, Values its
	// content (nil when it has none).
	ValuesFile string
	Values     []byte
	Subcharts  []Subchart
	// Warnings are the subcharts Load skipped and why.
	Warnings []string
}

// FromValues is a chart known only by its values.yaml.
func FromValues(file string, src []byte) *Chart { return &Chart{ValuesFile: file, Values: src} }

// Defaults returns the values a values file is read over, as Helm merges
// them: the chart's values.yaml, with each subchart's values.yaml under its
// key (the parent's values win, key by key) and the parent's global: over
// the subchart's. Without subcharts it is the chart's values.yaml as is.
// The result is for reading only: it is re-encoded.
func (c *Chart) Defaults() ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	if len(c.Subcharts) == 0 {
		return c.Values, nil
	}
	root, err := values.Document(c.Values, "read "+c.ValuesFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.ValuesFile, err)
	}
	if root == nil || root.Kind != yaml.MappingNode {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	global := child(root, "global")
	for _, s := range c.Subcharts {
		sub, err := values.Document(s.Values, "read "+s.ValuesFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.ValuesFile, err)
		}
		if sub == nil || sub.Kind != yaml.MappingNode {
			sub = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		at := own(root, s.Key)
		switch {
		case at == nil:
			at = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			root.Content = append(root.Content, scalar(s.Key), at)
		case at.Kind != yaml.MappingNode:
			continue // the parent replaces (or, with null, deletes) the subchart's values
		}
		if global != nil && global.Kind == yaml.MappingNode {
			g := own(at, "global")
			if g == nil {
				g = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				at.Content = append(at.Content, scalar("global"), g)
			}
			if g.Kind == yaml.MappingNode {
				coalesce(g, global)
			}
		}
		coalesce(at, sub)
	}
	defineAnchors(root, map[*yaml.Node]bool{})
	return yaml.Marshal(root)
}

// coalesce adds to the mapping dst the keys of the mapping src it lacks,
// and merges mappings both have; dst's values win. src is not changed,
// nor any node dst shares with another place (an anchor, src): what is
// merged into is copied first.
func coalesce(dst, src *yaml.Node) {
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], src.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			continue
		}
		d := child(dst, k.Value)
		switch {
		case d == nil && !hasKey(dst, k.Value):
			dst.Content = append(dst.Content, k, v)
		case d != nil && d.Kind == yaml.MappingNode && deref(v).Kind == yaml.MappingNode:
			coalesce(own(dst, k.Value), deref(v))
		}
	}
}

// own replaces the value at key in the mapping m with a copy of it
// (aliases followed) that shares no mapping or list with another place,
// so that it can be merged into, and returns it; nil when m has no key.
// The copy's children are still shared: own each before changing it.
func own(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			n := deref(m.Content[i+1])
			if n == nil {
				return nil
			}
			c := *n
			c.Anchor, c.Content = "", slices.Clone(n.Content)
			m.Content[i+1] = &c
			return &c
		}
	}
	return nil
}

// defineAnchors makes n encodable after own replaced nodes: an alias
// whose anchor is no longer defined before it (walking in document order)
// becomes the anchored node itself, which then defines it for the aliases
// that follow. seen holds the anchored nodes already defined.
func defineAnchors(n *yaml.Node, seen map[*yaml.Node]bool) {
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			if c.Alias == nil || seen[c.Alias] {
				continue
			}
			c = c.Alias
			n.Content[i] = c
		}
		if c.Anchor != "" {
			if seen[c] {
				continue
			}
			seen[c] = true
		}
		defineAnchors(c, seen)
	}
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// deref follows an alias node to its anchor.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// child returns the value at key in the mapping m (aliases followed), or
// nil.
func child(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

// Switch is what keeps a block from being rendered.
type Switch struct {
	// Path is the value that switches it off: ".volumePermissions.enabled",
	// a subchart's condition ".backend.enabled" or ".tags.frontend".
	Path string
	// File is the file that sets it.
	File string
	// Subchart names the subchart's key when the switch is its condition
	// or tags, "" for an enabled: key.
	Subchart string
}

func (s *Switch) String() string {
	if s.Subchart != "" {
		return fmt.Sprintf("the subchart %s is disabled: %s is false in %s", s.Subchart, s.Path, s.File)
	}
	return fmt.Sprintf("%s is false in %s", s.Path, s.File)
}

// layer is one source of values, lowest first in Chart.layers.
type layer struct {
	file  string
	root  *yaml.Node
	mount string // the key a subchart's values sit under, "" for the parent's
}

// layers are the values file (highest) over the chart's values.yaml over
// the subcharts' values, highest first.
func (c *Chart) layers(file string, src []byte) ([]layer, error) {
	top, err := values.Document(src, "read "+file)
	if err != nil {
		return nil, err
	}
	ls := []layer{{file: file, root: top}}
	if c == nil {
		return ls, nil
	}
	def, err := values.Document(c.Values, "read "+c.ValuesFile)
	if err != nil {
		return nil, err
	}
	ls = append(ls, layer{file: c.ValuesFile, root: def})
	for _, s := range c.Subcharts {
		sub, err := values.Document(s.Values, "read "+s.ValuesFile)
		if err != nil {
			return nil, err
		}
		ls = append(ls, layer{file: s.ValuesFile, root: sub, mount: s.Key})
	}
	return ls, nil
}

// lookup returns the value at p that wins over the layers and the file it
// comes from. A layer that has a scalar, a null or a list on the way
// replaces what the layers below have there; lists are not merged.
func lookup(ls []layer, p values.Path) (*yaml.Node, string) {
	for _, l := range ls {
		rel := p
		if l.mount != "" {
			if len(p) == 0 || p[0].IsIndex || p[0].Key != l.mount {
				continue
			}
			rel = p[1:]
		}
		n, final, missing := deref(l.root), false, false
		for _, seg := range rel {
			switch {
			case n == nil:
				missing = true
			case seg.IsIndex && n.Kind == yaml.SequenceNode:
				final = true
				if seg.Index < 0 || seg.Index >= len(n.Content) {
					return nil, ""
				}
				n = deref(n.Content[seg.Index])
				continue
			case !seg.IsIndex && n.Kind == yaml.MappingNode:
				if !hasKey(n, seg.Key) {
					missing = true
					break
				}
				n = child(n, seg.Key)
				continue
			default:
				return nil, "" // replaced on the way
			}
			break
		}
		switch {
		case !missing && n != nil:
			return n, l.file
		case final:
			return nil, ""
		}
	}
	return nil, ""
}

// boolean reads n as Helm does (YAML 1.1): ok is false when n is not a
// boolean (a quoted "false" is a string, which templates read as true).
func boolean(n *yaml.Node) (v, ok bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false, false
	}
	if n.Tag == "!!str" && n.Style&yaml.TaggedStyle != 0 {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// Disabled returns what keeps the block at p of the values file (file,
// src) from being rendered with src over the chart's values, or nil: the
// condition or tags of the subchart it is in, else an enabled: false in a
// mapping on its path (the outermost).
func (c *Chart) Disabled(file string, src []byte, p values.Path) (*Switch, error) {
	ls, err := c.layers(file, src)
	if err != nil {
		return nil, err
	}
	if c != nil && len(p) > 0 && !p[0].IsIndex {
		for _, s := range c.Subcharts {
			if s.Key == p[0].Key {
				if sw := subchartSwitch(ls, s); sw != nil {
					return sw, nil
				}
			}
		}
	}
	for i := 1; i <= len(p); i++ {
		at := append(append(values.Path{}, p[:i]...), values.Segment{Key: "enabled"})
		n, f := lookup(ls, at)
		if v, ok := boolean(n); ok && !v {
			return &Switch{Path: at.String(), File: f}, nil
		}
	}
	return nil, nil
}

// subchartSwitch returns the condition or tag that disables s, or nil. As
// in Helm, the first condition path that holds a boolean decides; tags
// count only when none does, and one true tag enables.
func subchartSwitch(ls []layer, s Subchart) *Switch {
	for _, c := range strings.Split(s.Condition, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := values.ParsePath(c)
		if err != nil {
			continue
		}
		n, f := lookup(ls, p)
		if v, ok := boolean(n); ok {
			if v {
				return nil
			}
			return &Switch{Path: p.String(), File: f, Subchart: s.Key}
		}
	}
	var off *Switch
	for _, t := range s.Tags {
		p := values.Path{{Key: "tags"}, {Key: t}}
		n, f := lookup(ls, p)
		v, ok := boolean(n)
		switch {
		case ok && v:
			return nil
		case ok && off == nil:
			off = &Switch{Path: p.String(), File: f, Subchart: s.Key}
		}
	}
	return off
}

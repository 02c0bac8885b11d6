package values

import (
	"bytes"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Create returns src with the scalar at path added, reading back as value,
// where src lacks it: the missing mappings are written as block mappings
// at the end of the deepest mapping of path that src has, indented as the
// file indents, the value quoted as the file quotes its tags, the line
// ending as the file's; every other byte is kept.
//
// Create refuses (ErrRefused) what it cannot add without changing
// anything else: a path that exists (use Set), a value on the way that is
// not a mapping, a flow mapping ({...}), an alias or merge key on the way,
// an index in the missing part, a file of several documents, and an
// insertion that would change any other value (read back and compared).
func Create(src []byte, path, value string) ([]byte, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	if err := checkValue(value); err != nil {
		err.Op, err.Path = "create", path
		return nil, err
	}
	if err := checkLineBreaks(src); err != nil {
		err.Op, err.Path = "create", path
		return nil, err
	}
	docs, err := parse(src, "create", path)
	if err != nil {
		return nil, err
	}
	refused := func(n *yaml.Node, reason string) *Error {
		e := &Error{Op: "create", Path: path, Kind: ErrRefused, Reason: reason}
		if n != nil {
			e.Line, e.Column = n.Line, n.Column
		}
		return e
	}
	if len(docs) != 1 || len(docs[0].Content) == 0 || docs[0].Content[0].Kind != yaml.MappingNode {
		return nil, refused(nil, "tagbump adds keys only to a file of one document whose top level is a mapping")
	}
	if len(p) == 0 {
		return nil, refused(nil, "the path is the document itself")
	}
	// The deepest mapping on the path that src has.
	parent, i := docs[0].Content[0], 0
	for ; i < len(p); i++ {
		seg := p[i]
		if parent.Kind == yaml.AliasNode {
			return nil, refused(parent, "the path goes through an alias (*"+parent.Value+"): add the key where the anchor is defined")
		}
		var next *yaml.Node
		switch {
		case seg.IsIndex && parent.Kind == yaml.SequenceNode && seg.Index >= 0 && seg.Index < len(parent.Content):
			next = parent.Content[seg.Index]
		case seg.IsIndex:
			return nil, refused(parent, "tagbump does not add items to a list")
		case parent.Kind == yaml.MappingNode:
			for k := 0; k+1 < len(parent.Content); k += 2 {
				kn := parent.Content[k]
				if isMerge(kn) {
					return nil, refused(kn, "the mapping has a merge key (<<), which may already define "+seg.Key)
				}
				if kn.Kind == yaml.ScalarNode && kn.Value == seg.Key {
					next = parent.Content[k+1]
				}
			}
		}
		if next == nil {
			break
		}
		if i == len(p)-1 {
			return nil, refused(next, "the key exists: set it instead")
		}
		if next.Kind != yaml.MappingNode && next.Kind != yaml.SequenceNode && next.Kind != yaml.AliasNode {
			return nil, refused(next, "the value at "+p[:i+1].String()+" is "+kindName(next)+", not a mapping: tagbump does not replace it")
		}
		parent = next
	}
	if parent.Kind != yaml.MappingNode {
		return nil, refused(parent, "the value at "+p[:i].String()+" is "+kindName(parent)+", not a mapping")
	}
	if parent.Style&yaml.FlowStyle != 0 || len(parent.Content) == 0 {
		return nil, refused(parent, "the mapping at "+p[:i].String()+" is written in flow style ({...}): add the key by hand")
	}
	if parent.Anchor != "" {
		return nil, refused(parent, "the mapping at "+p[:i].String()+" is anchored (&"+parent.Anchor+"): adding a key there changes every alias")
	}
	for _, seg := range p[i:] {
		if seg.IsIndex {
			return nil, refused(parent, "tagbump does not add lists")
		}
	}
	col := parent.Content[0].Column - 1
	if hasTabs(src) {
		return nil, refused(parent, "the file indents with tabs")
	}
	step := indentStep(docs[0].Content[0])
	eol := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		eol = "\r\n"
	}
	var b strings.Builder
	for j, seg := range p[i:] {
		b.WriteString(strings.Repeat(" ", col+j*step))
		b.WriteString(renderKey(seg.Key))
		b.WriteString(":")
		if j == len(p[i:])-1 {
			b.WriteString(" ")
			b.Write(render(value, tagStyle(docs[0].Content[0]), false))
		}
		b.WriteString(eol)
	}
	at := blockEnd(src, parent.Content[0].Line, col)
	var out []byte
	out = append(out, src[:at]...)
	if at > 0 && src[at-1] != '\n' {
		out = append(out, eol...)
	}
	out = append(out, b.String()...)
	out = append(out, src[at:]...)
	if err := verifyCreate(src, out, p, value); err != nil {
		e := refused(parent, "the added lines would change the file's other values")
		e.Err = err
		return nil, e
	}
	return out, nil
}

// hasTabs reports whether a line of src starts its indentation with a tab.
func hasTabs(src []byte) bool {
	for _, l := range bytes.Split(src, []byte("\n")) {
		t := bytes.TrimLeft(l, " ")
		if len(t) > 0 && t[0] == '\t' {
			return true
		}
	}
	return false
}

// indentStep is how far the file indents a nested block mapping: the
// smallest step it uses, 2 when it nests none.
func indentStep(root *yaml.Node) int {
	step := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 {
			return
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			v := n.Content[k+1]
			if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
				if d := v.Content[0].Column - n.Content[k].Column; d > 0 && (step == 0 || d < step) {
					step = d
				}
				walk(v)
			}
		}
	}
	walk(root)
	if step == 0 {
		return 2
	}
	return step
}

// tagStyle is the quoting of the file's tags: the style of the first
// scalar under a key "tag", plain when there is none.
func tagStyle(root *yaml.Node) yaml.Style {
	var style yaml.Style
	found := false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for k := 0; k+1 < len(n.Content) && !found; k += 2 {
			if n.Kind == yaml.MappingNode && n.Content[k].Value == "tag" && n.Content[k+1].Kind == yaml.ScalarNode {
				style, found = n.Content[k+1].Style, true
				return
			}
		}
		for _, c := range n.Content {
			if !found {
				walk(c)
			}
		}
	}
	walk(root)
	return style
}

// renderKey writes a mapping key plain when it reads back as itself, else
// double-quoted.
func renderKey(k string) string {
	if plainOK(k, false) && !strings.ContainsAny(k, ":#") {
		return k
	}
	return string(doubleQuote(k))
}

// blockEnd returns the offset where lines go that end the block mapping
// whose first key is on line first (1-based) at column col (0-based): after
// its last line that is not blank or a comment, before the first later
// line indented less than col (or a document marker).
func blockEnd(src []byte, first, col int) int {
	end, off := 0, 0
	for n := 1; off < len(src); n++ {
		next := bytes.IndexByte(src[off:], '\n')
		lineEnd := len(src)
		if next >= 0 {
			lineEnd = off + next + 1
		}
		line := strings.TrimRight(string(src[off:lineEnd]), "\r\n")
		body := strings.TrimLeft(line, " ")
		indent := len(line) - len(body)
		content := body != "" && !strings.HasPrefix(body, "#")
		switch {
		case n < first:
		case n > first && content && (indent < col || strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...")):
			return end
		case content:
			end = lineEnd
		}
		off = lineEnd
	}
	return end
}

// verifyCreate checks that out reads as src with path set to value, and
// nothing else changed.
func verifyCreate(src, out []byte, p Path, value string) error {
	return readsAs(src, out, p, func(m map[string]any, key string) { m[key] = value })
}

// readsAs checks that out reads as src after edit, applied to the
// mapping that holds the last key of p (mappings missing on the way are
// made), and nothing else changed.
func readsAs(src, out []byte, p Path, edit func(m map[string]any, key string)) error {
	before, after, err := decodeBoth(src, out)
	if err != nil {
		return err
	}
	if _, ok := before.(map[string]any); !ok {
		return &Error{Kind: ErrRefused, Reason: "the document is not a mapping"}
	}
	cur := before
	for j, seg := range p {
		switch c := cur.(type) {
		case map[string]any:
			if j == len(p)-1 {
				edit(c, seg.Key)
				break
			}
			if _, ok := c[seg.Key]; !ok {
				c[seg.Key] = map[string]any{}
			}
			cur = c[seg.Key]
		case []any:
			cur = c[seg.Index]
		default:
			return &Error{Kind: ErrRefused, Reason: "the path is not a mapping"}
		}
	}
	if !reflect.DeepEqual(before, after) {
		return &Error{Kind: ErrRefused, Reason: "the file reads differently after the insertion"}
	}
	return nil
}

// decodeBoth decodes the first documents of src and out as plain values.
func decodeBoth(src, out []byte) (before, after any, err error) {
	if err := yaml.Unmarshal(src, &before); err != nil {
		return nil, nil, err
	}
	if err := yaml.Unmarshal(out, &after); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// Keys lists the keys of the block or flow mapping at p in the first
// document of src (p empty: the top level), in order; nil when there is no
// mapping there. Aliases on the way are followed.
func Keys(src []byte, p Path) []string {
	n, err := Document(src, "keys")
	if err != nil {
		return nil
	}
	for _, seg := range p {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		switch {
		case n == nil:
			return nil
		case seg.IsIndex && n.Kind == yaml.SequenceNode && seg.Index >= 0 && seg.Index < len(n.Content):
			n = n.Content[seg.Index]
		case !seg.IsIndex && n.Kind == yaml.MappingNode:
			var next *yaml.Node
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == seg.Key {
					next = n.Content[k+1]
				}
			}
			n = next
		default:
			return nil
		}
	}
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for k := 0; k+1 < len(n.Content); k += 2 {
		if kn := n.Content[k]; kn.Kind == yaml.ScalarNode && !isMerge(kn) {
			out = append(out, kn.Value)
		}
	}
	return out
}

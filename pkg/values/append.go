package values

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Field is one key and string value of a mapping that AppendItem writes.
type Field struct{ Key, Value string }

// AppendItem returns src with a mapping of fields appended as the last
// item of the sequence at path, in the first and only document of src,
// written as the sequence's other items are: a block item (`- key: v`)
// at their column with their keys' offset, or a flow item
// (`- {key: v, ...}`) when they are flow mappings; each value quoted as
// the last item that has the same key quotes it. Where the key at path
// is missing from its mapping, or holds nothing (`key:`), the key and a
// one-item sequence are written there, indented as the file indents its
// other sequences. Every other byte is kept, and the result is read back:
// it must read as src with the item appended and nothing else changed.
//
// AppendItem refuses (ErrRefused) a flow sequence ([...]), a value at path
// that is not a sequence, an alias, an anchored sequence, a file of
// several documents, tab indentation, and an insertion that reads back
// differently.
func AppendItem(src []byte, path string, fields []Field) ([]byte, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	refused := func(n *yaml.Node, reason string) *Error {
		e := &Error{Op: "append", Path: path, Kind: ErrRefused, Reason: reason}
		if n != nil {
			e.Line, e.Column = n.Line, n.Column
		}
		return e
	}
	if len(p) == 0 || p[len(p)-1].IsIndex || len(fields) == 0 {
		return nil, refused(nil, "append needs the path of a key and at least one field")
	}
	for _, f := range fields {
		if err := checkValue(f.Value); err != nil {
			err.Op, err.Path = "append", path
			return nil, err
		}
	}
	if err := checkLineBreaks(src); err != nil {
		err.Op, err.Path = "append", path
		return nil, err
	}
	if hasTabs(src) {
		return nil, refused(nil, "the file indents with tabs")
	}
	docs, err := parse(src, "append", path)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 || len(docs[0].Content) == 0 || docs[0].Content[0].Kind != yaml.MappingNode {
		return nil, refused(nil, "tagbump adds items only to a file of one document whose top level is a mapping")
	}
	root := docs[0].Content[0]
	// The mapping that holds the key, and the key's value there.
	parent := root
	for i, seg := range p[:len(p)-1] {
		next := child(parent, seg)
		if next == nil || next.Kind != yaml.MappingNode {
			return nil, refused(parent, p[:i+1].String()+" is not a mapping of the file")
		}
		parent = next
	}
	key := p[len(p)-1].Key
	var keyNode, seq *yaml.Node
	for k := 0; k+1 < len(parent.Content); k += 2 {
		if isMerge(parent.Content[k]) {
			return nil, refused(parent.Content[k], "the mapping has a merge key (<<), which may already define "+key)
		}
		if parent.Content[k].Value == key {
			keyNode, seq = parent.Content[k], parent.Content[k+1]
		}
	}
	eol := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		eol = "\r\n"
	}
	var at int
	var text string
	switch {
	case seq != nil && seq.Kind == yaml.SequenceNode && seq.Style&yaml.FlowStyle == 0 && len(seq.Content) > 0:
		if seq.Anchor != "" {
			return nil, refused(seq, "the sequence is anchored (&"+seq.Anchor+"): adding an item there changes every alias")
		}
		last := seq.Content[len(seq.Content)-1]
		dash := dashColumn(src, last)
		if dash < 0 {
			return nil, refused(last, "cannot find the '-' of the sequence's last item in the source")
		}
		text = itemText(seq, fields, dash, eol)
		at = blockEnd(src, last.Line, dash+1)
	case seq != nil && seq.Kind == yaml.SequenceNode:
		return nil, refused(seq, "the sequence at "+path+" is written in flow style ([...]): add the item by hand")
	case seq != nil && !isEmpty(seq):
		return nil, refused(seq, "the value at "+path+" is "+kindName(seq)+", not a sequence")
	default:
		if parent.Style&yaml.FlowStyle != 0 || len(parent.Content) == 0 {
			return nil, refused(parent, "the mapping that would hold "+key+" is empty or written in flow style ({...}): add the key by hand")
		}
		col := parent.Content[0].Column - 1
		dash := col + sequenceOffset(root)
		text = itemText(nil, fields, dash, eol)
		if keyNode != nil {
			// "key:" with nothing after it: the items go on the next lines.
			at = lineEnd(src, offset(src, keyNode.Line, 1))
			if at > 0 && src[at-1] != '\n' {
				text = eol + text
			}
		} else {
			text = strings.Repeat(" ", col) + renderKey(key) + ":" + eol + text
			at = blockEnd(src, parent.Content[0].Line, col)
		}
	}
	var out []byte
	out = append(out, src[:at]...)
	if at > 0 && src[at-1] != '\n' {
		out = append(out, eol...)
	}
	out = append(out, text...)
	out = append(out, src[at:]...)
	if err := verifyAppend(src, out, p, fields); err != nil {
		e := refused(parent, "the added lines would change the file's other values")
		e.Err = err
		return nil, e
	}
	return out, nil
}

// child returns the value at seg in n, or nil.
func child(n *yaml.Node, seg Segment) *yaml.Node {
	switch {
	case seg.IsIndex && n.Kind == yaml.SequenceNode && seg.Index >= 0 && seg.Index < len(n.Content):
		return n.Content[seg.Index]
	case !seg.IsIndex && n.Kind == yaml.MappingNode:
		return lookup(n, seg.Key)
	}
	return nil
}

// dashColumn returns the 0-based column of the '-' that starts item, or -1.
func dashColumn(src []byte, item *yaml.Node) int {
	line := offset(src, item.Line, 1)
	pos := offset(src, item.Line, item.Column)
	if line < 0 || pos < 0 {
		return -1
	}
	for i := pos - 1; i >= line; i-- {
		switch src[i] {
		case '-':
			if i+1 < len(src) && (src[i+1] == ' ' || i+1 == pos) {
				return i - line
			}
		case ' ':
		default:
			return -1
		}
	}
	return -1
}

// sequenceOffset is how far the file indents the '-' of a block sequence
// under its key: that of its first such sequence, 0 (`key:\n- item`, as
// kustomize writes them) when it has none.
func sequenceOffset(root *yaml.Node) int {
	off, found := 0, false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for k := 0; k+1 < len(n.Content) && !found && n.Kind == yaml.MappingNode; k += 2 {
			v := n.Content[k+1]
			if v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Content[0].Line > n.Content[k].Line {
				// An item's column is that of its content, two after the '-'.
				off, found = (v.Content[0].Column-3)-(n.Content[k].Column-1), true
				return
			}
			walk(v)
		}
	}
	walk(root)
	return max(off, 0)
}

// itemText writes fields as a sequence item whose '-' is at column dash,
// in the style of the items of seq (nil: a block mapping, keys two after
// the '-', values plain where they read back as themselves).
func itemText(seq *yaml.Node, fields []Field, dash int, eol string) string {
	step, flow := 2, false
	styles := map[string]yaml.Style{}
	if seq != nil {
		for _, it := range seq.Content {
			if it.Kind != yaml.MappingNode || len(it.Content) == 0 {
				continue
			}
			flow = it.Style&yaml.FlowStyle != 0
			if !flow {
				step = it.Content[0].Column - 1 - dash
			}
			for k := 0; k+1 < len(it.Content); k += 2 {
				if v := it.Content[k+1]; v.Kind == yaml.ScalarNode {
					styles[it.Content[k].Value] = v.Style
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", dash) + "-" + strings.Repeat(" ", max(step-1, 1)))
	if flow {
		b.WriteString("{")
	}
	for i, f := range fields {
		switch {
		case flow && i > 0:
			b.WriteString(", ")
		case i > 0:
			b.WriteString(strings.Repeat(" ", dash+max(step, 2)))
		}
		b.WriteString(renderKey(f.Key) + ": ")
		b.Write(render(f.Value, styles[f.Key], flow))
		if !flow {
			b.WriteString(eol)
		}
	}
	if flow {
		b.WriteString("}" + eol)
	}
	return b.String()
}

// verifyAppend checks that out reads as src with the item appended to the
// sequence at p (created when missing), and nothing else changed.
func verifyAppend(src, out []byte, p Path, fields []Field) error {
	item := map[string]any{}
	for _, f := range fields {
		item[f.Key] = f.Value
	}
	return readsAs(src, out, p, func(m map[string]any, key string) {
		s, _ := m[key].([]any)
		m[key] = append(s, item)
	})
}

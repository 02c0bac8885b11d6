package values

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// hit is the scalar a path leads to in one document.
type hit struct {
	doc    int        // index of the document
	node   *yaml.Node // the target
	key    *yaml.Node // its key when its parent is a mapping, else nil
	flow   bool       // the target is inside a flow collection
	chain  []*yaml.Node
	parent *yaml.Node
}

// Modes of locate.
const (
	modeRead   = iota // follow aliases and merge keys
	modeWrite         // refuse aliases, merged keys and anchors used by aliases
	modeShared        // as modeWrite, but allow anchors used by aliases
)

// locate finds the node at p in the documents. In the write modes it
// refuses targets that an edit of their bytes would not change alone:
// aliases and merged keys; modeWrite also refuses targets whose edit would
// change other paths too (anchors used by aliases).
func locate(docs []*yaml.Node, p Path, op, path string, mode int) (*hit, error) {
	write := mode != modeRead
	if len(docs) == 0 {
		return nil, &Error{Op: op, Path: path, Kind: ErrNotFound, Reason: "the file is empty: it has no YAML document, only blank lines or comments"}
	}
	var hits []*hit
	var best *Error
	bestDepth := -1
	for i, d := range docs {
		h, depth, err := walk(d, p, op, path, write)
		if err != nil {
			if err.Kind != ErrNotFound {
				return nil, err
			}
			if depth > bestDepth {
				best, bestDepth = err, depth
			}
			continue
		}
		h.doc = i
		hits = append(hits, h)
	}
	if len(hits) == 0 {
		if len(docs) > 1 {
			best.Reason += fmt.Sprintf(" (in any of the %d documents)", len(docs))
		}
		return nil, best
	}
	if len(hits) > 1 {
		var where []string
		for _, h := range hits {
			where = append(where, fmt.Sprintf("document %d (line %d)", h.doc+1, h.node.Line))
		}
		return nil, &Error{Op: op, Path: path, Kind: ErrRefused,
			Reason: "the path is ambiguous: it exists in " + strings.Join(where, " and ") +
				"; split the file or make the path unique"}
	}
	h := hits[0]
	if mode == modeWrite {
		if err := checkAnchors(docs[h.doc], h, op, path); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// walk follows p from the root of doc. depth is how many segments matched.
func walk(doc *yaml.Node, p Path, op, path string, write bool) (*hit, int, *Error) {
	at := func(n *yaml.Node, kind error, reason string) *Error {
		return &Error{Op: op, Path: path, Line: n.Line, Column: n.Column, Kind: kind, Reason: reason}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, 0, &Error{Op: op, Path: path, Kind: ErrNotFound, Reason: "the document is empty"}
	}
	h := &hit{}
	cur := doc.Content[0]
	for i, seg := range p {
		where := p[:i].String()
		if cur.Kind == yaml.AliasNode {
			if write {
				return nil, i, at(cur, ErrRefused, where+" is the alias *"+cur.Value+
					": edit the anchored value &"+cur.Value+" at "+anchorPath(doc, cur, p[i:])+" instead")
			}
			cur = cur.Alias
		}
		h.chain = append(h.chain, cur)
		h.flow = h.flow || cur.Style&yaml.FlowStyle != 0
		if seg.IsIndex {
			if cur.Kind != yaml.SequenceNode {
				return nil, i, at(cur, ErrNotFound, where+" is "+kindName(cur)+", not a sequence: "+
					"["+strconv.Itoa(seg.Index)+"] does not exist")
			}
			idx := seg.Index
			if idx < 0 {
				idx += len(cur.Content)
			}
			if idx < 0 || idx >= len(cur.Content) {
				return nil, i, at(cur, ErrNotFound, fmt.Sprintf("index [%d] is out of range: %s has %d items",
					seg.Index, where, len(cur.Content)))
			}
			h.parent, h.key, cur = cur, nil, cur.Content[idx]
			continue
		}
		if cur.Kind != yaml.MappingNode {
			return nil, i, at(cur, ErrNotFound, where+" is "+kindName(cur)+", not a mapping: key "+
				strconv.Quote(seg.Key)+" does not exist")
		}
		var found []int
		for k := 0; k+1 < len(cur.Content); k += 2 {
			if kn := cur.Content[k]; kn.Kind == yaml.ScalarNode && kn.Value == seg.Key && !isMerge(kn) {
				found = append(found, k)
			}
		}
		if len(found) > 1 {
			a, b := cur.Content[found[0]], cur.Content[found[1]]
			return nil, i, at(b, ErrRefused, fmt.Sprintf("duplicate key %q in %s (at %d:%d and %d:%d): "+
				"remove one of them", seg.Key, where, a.Line, a.Column, b.Line, b.Column))
		}
		if len(found) == 0 {
			if mk, v := fromMerge(cur, seg.Key); v != nil {
				if write {
					return nil, i, at(mk, ErrRefused, fmt.Sprintf("key %q of %s comes from the merge key <<: "+
						"edit it where it is defined, or add the key to %s", seg.Key, where, where))
				}
				h.parent, h.key, cur = cur, nil, v
				continue
			}
			return nil, i, at(cur, ErrNotFound, fmt.Sprintf("key %q not found in %s; keys there: %s",
				seg.Key, where, keyList(cur)))
		}
		h.parent, h.key, cur = cur, cur.Content[found[0]], cur.Content[found[0]+1]
	}
	if cur.Kind == yaml.AliasNode {
		if write {
			return nil, len(p), at(cur, ErrRefused, "the target is the alias *"+cur.Value+
				": edit the anchored value &"+cur.Value+" at "+anchorPath(doc, cur, nil)+" instead")
		}
		cur = cur.Alias
	}
	if cur.Kind != yaml.ScalarNode {
		return nil, len(p), at(cur, ErrRefused, "the target is "+kindName(cur)+", not a scalar: "+
			"give the path of a value inside it, e.g. "+p.child(Segment{Key: "tag"}).String())
	}
	if write && cur.Style&yaml.TaggedStyle != 0 && cur.ShortTag() != "!!str" {
		return nil, len(p), at(cur, ErrRefused, "the target has the explicit tag "+cur.Tag+
			", which a string cannot have: remove the tag from the file")
	}
	h.chain = append(h.chain, cur)
	h.node = cur
	return h, len(p), nil
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge"
}

// fromMerge looks key up in the mappings merged into m with <<, depth
// first, as Helm does. Each merged mapping is searched once: a mapping that
// merges another ten times over ten levels (the billion laughs through
// merge keys) costs ten lookups a level, not 10^10.
func fromMerge(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	return searchMerges(m, key, map[*yaml.Node]bool{})
}

// searchMerges is fromMerge over the mappings not in seen, which holds
// those already searched without finding key.
func searchMerges(m *yaml.Node, key string, seen map[*yaml.Node]bool) (*yaml.Node, *yaml.Node) {
	for k := 0; k+1 < len(m.Content); k += 2 {
		if !isMerge(m.Content[k]) {
			continue
		}
		srcs := []*yaml.Node{m.Content[k+1]}
		if s := m.Content[k+1]; s.Kind == yaml.SequenceNode {
			srcs = s.Content
		}
		for _, s := range srcs {
			for s.Kind == yaml.AliasNode && s.Alias != nil {
				s = s.Alias
			}
			if s.Kind != yaml.MappingNode || seen[s] {
				continue
			}
			seen[s] = true
			for j := 0; j+1 < len(s.Content); j += 2 {
				if s.Content[j].Kind == yaml.ScalarNode && s.Content[j].Value == key {
					return m.Content[k], s.Content[j+1]
				}
			}
			if _, v := searchMerges(s, key, seen); v != nil {
				return m.Content[k], v
			}
		}
	}
	return nil, nil
}

// checkAnchors refuses a target that is, or is inside, an anchored node an
// alias refers to: the edit would change what the alias reads too.
func checkAnchors(doc *yaml.Node, h *hit, op, path string) error {
	used := map[*yaml.Node]bool{}
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			used[n.Alias] = true
			return
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(doc)
	for _, n := range h.chain {
		if n.Anchor != "" && used[n] {
			what := "the target is"
			if n != h.node {
				what = "the target is inside"
			}
			return &Error{Op: op, Path: path, Line: n.Line, Column: n.Column, Kind: ErrRefused,
				Reason: fmt.Sprintf("%s the anchor &%s, which an alias *%s uses elsewhere: "+
					"editing it would change those values too; edit the file by hand", what, n.Anchor, n.Anchor)}
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// keyList lists the keys of mapping m for an error message.
func keyList(m *yaml.Node) string {
	var ks []string
	for k := 0; k+1 < len(m.Content); k += 2 {
		if len(ks) == 20 {
			ks = append(ks, "...")
			break
		}
		ks = append(ks, m.Content[k].Value)
	}
	if len(ks) == 0 {
		return "none (the mapping is empty)"
	}
	return strings.Join(ks, ", ")
}

// anchorPath is the path of the anchored node alias refers to, followed by
// rest.
func anchorPath(doc *yaml.Node, alias *yaml.Node, rest Path) string {
	ix := indexPaths(doc)
	if _, ok := ix.up[alias.Alias]; !ok {
		return "&" + alias.Value
	}
	return append(ix.path(alias.Alias), rest...).String()
}

// pathIndex knows the parent of every node of a document, aliases not
// followed, and where each alias is used. It keeps one step per node, not
// one path: paths of deep nodes would take memory of the order of the
// number of nodes times their depth.
type pathIndex struct {
	up      map[*yaml.Node]step
	aliases []aliasUse
}

// step leads from a node's parent to the node: seg, or no segment at all
// (none) for a document's root and a value merged with <<.
type step struct {
	parent *yaml.Node
	seg    Segment
	none   bool
}

// aliasUse is an alias node; merged is the mapping it is merged into when
// it is the value (or an item of the value) of a merge key <<.
type aliasUse struct {
	node   *yaml.Node
	merged *yaml.Node
}

func indexPaths(doc *yaml.Node) *pathIndex {
	ix := &pathIndex{up: map[*yaml.Node]step{doc: {none: true}}}
	var visit func(n *yaml.Node, merged *yaml.Node)
	visit = func(n *yaml.Node, merged *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				ix.up[c] = step{parent: n, none: true}
				visit(c, nil)
			}
		case yaml.AliasNode:
			ix.aliases = append(ix.aliases, aliasUse{node: n, merged: merged})
		case yaml.SequenceNode:
			for i, c := range n.Content {
				ix.up[c] = step{parent: n, seg: Segment{Index: i, IsIndex: true}}
				visit(c, merged)
			}
		case yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				key, v := n.Content[k], n.Content[k+1]
				if isMerge(key) {
					ix.up[v] = step{parent: n, none: true}
					visit(v, n)
					continue
				}
				ix.up[v] = step{parent: n, seg: Segment{Key: key.Value}}
				visit(v, nil)
			}
		}
	}
	visit(doc, nil)
	return ix
}

// path returns the path of n, a node of the index.
func (ix *pathIndex) path(n *yaml.Node) Path {
	var p Path
	for st, ok := ix.up[n]; ok && st.parent != nil; st, ok = ix.up[st.parent] {
		if !st.none {
			p = append(p, st.seg)
		}
	}
	slices.Reverse(p)
	return p
}

// maxShared is the most paths sharedBy lists; it says how many more there
// are after them.
const maxShared = 20

// sharedBy lists the paths that read the target of h, at p, through an
// alias of an anchored node on its way: "PATH via *name", or
// "PATH via <<: *name" for a merge key that does not override the value.
// After maxShared paths, one more entry says how many more there are.
func sharedBy(doc *yaml.Node, h *hit, p Path) []string {
	if !aliasInto(doc, h.chain) {
		return nil // the common case: no path index to build
	}
	var out []string
	more := 0
	ix := indexPaths(doc)
	for _, u := range ix.aliases {
		j := slices.Index(h.chain, u.node.Alias)
		if j < 0 {
			continue
		}
		rel := p[j:]
		via := " via *" + u.node.Value
		if u.merged != nil {
			if len(rel) == 0 || rel[0].IsIndex || lookup(u.merged, rel[0].Key) != nil {
				continue // the merging mapping sets the key itself
			}
			via = " via <<: *" + u.node.Value
		}
		if len(out) == maxShared {
			more++
			continue
		}
		out = append(out, append(ix.path(u.node), rel...).String()+via)
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more", more))
	}
	return out
}

// aliasInto reports whether an alias in n refers to one of nodes.
func aliasInto(n *yaml.Node, nodes []*yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return slices.Contains(nodes, n.Alias)
	}
	for _, c := range n.Content {
		if aliasInto(c, nodes) {
			return true
		}
	}
	return false
}

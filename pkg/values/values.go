// Package values edits Helm values files byte-exactly: it changes the bytes
// of one scalar and nothing else. It does no I/O.
//
// Set parses the source once with yaml.v3, finds the scalar at a path,
// computes that scalar's byte span in the original text, splices in the new
// value (quoted where YAML 1.1 or 1.2 would otherwise read it as something
// other than the same string), then parses the result again and checks that
// every other node is unchanged before returning it.
package values

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Get returns the string value of the scalar at path in src. A null or
// empty scalar reads as "". Get follows aliases and merge keys.
func Get(src []byte, path string) (string, error) { return get(src, path, -1) }

// Set returns src with the scalar at path reading back as value; only that
// scalar's bytes change. If the value is already there (and reads as that
// string under YAML 1.1 too), it returns src unchanged (bytes.Equal) and a
// nil error. It refuses aliases, merged keys, anchors used by aliases,
// duplicate keys, paths found in several documents, non-scalar and
// multi-line targets with an *Error of Kind ErrRefused.
func Set(src []byte, path, value string) ([]byte, error) {
	out, _, err := set(src, path, value, -1, modeWrite)
	return out, err
}

// SetIn is Set in the document doc (0-based) of a file of several
// documents: the path is looked up there only, so the same path in other
// documents (every Deployment's .spec.template) is no ambiguity. The edit
// is verified against every document, as Set verifies it.
func SetIn(src []byte, doc int, path, value string) ([]byte, error) {
	out, _, err := set(src, path, value, doc, modeWrite)
	return out, err
}

// GetIn is Get in the document doc (0-based) of src.
func GetIn(src []byte, doc int, path string) (string, error) { return get(src, path, doc) }

// get reads path in document doc, or in whichever document has it when
// doc is negative.
func get(src []byte, path string, doc int) (string, error) {
	if _, err := ParsePath(path); err != nil {
		return "", err
	}
	docs, err := parse(src, "get", path)
	if err != nil {
		return "", err
	}
	return getIn(docs, path, doc)
}

// getIn is get of decoded documents.
func getIn(docs []*yaml.Node, path string, doc int) (string, error) {
	p, err := ParsePath(path)
	if err != nil {
		return "", err
	}
	in, err := document(docs, doc, "get", path)
	if err != nil {
		return "", err
	}
	h, err := locate(in, p, "get", path, modeRead)
	if err != nil {
		return "", err
	}
	if h.node.ShortTag() == "!!null" {
		return "", nil
	}
	return h.node.Value, nil
}

// document returns the documents to look in: all when doc is negative,
// else the one.
func document(docs []*yaml.Node, doc int, op, path string) ([]*yaml.Node, error) {
	switch {
	case doc < 0:
		return docs, nil
	case doc >= len(docs):
		return nil, &Error{Op: op, Path: path, Kind: ErrNotFound, Reason: fmt.Sprintf("the file has no document %d", doc+1)}
	}
	return docs[doc : doc+1], nil
}

// SetShared is Set for a value that aliases share. When path reaches an
// anchored node (&name) that aliases (*name) use, or a value inside one,
// without passing through an alias, SetShared edits the anchored
// definition and returns the other paths that read the value through an
// alias and change with it, each as "PATH via *name" (".loki.image.tag via
// *image") or "PATH via <<: *name" for a merge key. A path through an
// alias is refused as by Set, naming the anchor's path. For other values
// SetShared is Set and returns no paths.
func SetShared(src []byte, path, value string) ([]byte, []string, error) {
	return set(src, path, value, -1, modeShared)
}

// set sets path to value in document doc, or in whichever document has
// the path when doc is negative.
func set(src []byte, path, value string, doc, mode int) ([]byte, []string, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, nil, err
	}
	if err := checkValue(value); err != nil {
		err.Path = path
		return nil, nil, err
	}
	if err := checkLineBreaks(src); err != nil {
		err.Op, err.Path = "set", path
		return nil, nil, err
	}
	docs, err := parse(src, "set", path)
	if err != nil {
		return nil, nil, err
	}
	in, err := document(docs, doc, "set", path)
	if err != nil {
		return nil, nil, err
	}
	h, err := locate(in, p, "set", path, mode)
	if err != nil {
		return nil, nil, err
	}
	if doc >= 0 {
		h.doc = doc
	}
	if alreadySet(h.node, value) {
		return src, nil, nil
	}
	start, end, repl, serr := spliceEdit(src, h, value)
	if serr != nil {
		serr.Op, serr.Path = "set", path
		return nil, nil, serr
	}
	out := make([]byte, 0, len(src)-(end-start)+len(repl))
	out = append(out, src[:start]...)
	out = append(out, repl...)
	out = append(out, src[end:]...)
	if err := verify(docs, out, h, value); err != nil {
		err.Op, err.Path = "set", path
		return nil, nil, err
	}
	var also []string
	if mode == modeShared {
		also = sharedBy(docs[h.doc], h, p)
	}
	return out, also, nil
}

// spliceEdit computes the edit; tests replace it to check that Set's
// read-back verification catches a wrong splice.
var spliceEdit = splice

// alreadySet reports whether n reads as the string value under YAML 1.2 and 1.1.
func alreadySet(n *yaml.Node, value string) bool {
	if n.Value != value || n.ShortTag() != "!!str" {
		return false
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 ||
		n.Tag == "!!str" && n.Style&yaml.TaggedStyle != 0 {
		return true
	}
	return plainString11(value)
}

// checkLineBreaks refuses line breaks other than LF and CRLF (a lone CR,
// NEL, LS, PS): YAML counts them as line breaks, editors and Git mostly do
// not, and an edit positioned by line would land in the wrong place.
func checkLineBreaks(src []byte) *Error {
	line := 1
	for i := 0; i < len(src); i++ {
		var name string
		switch {
		case src[i] == '\n':
			line++
		case src[i] == '\r' && (i+1 == len(src) || src[i+1] != '\n'):
			name = "a carriage return (CR) without a line feed"
		case bytes.HasPrefix(src[i:], []byte("\u0085")):
			name = "a NEL (U+0085)"
		case bytes.HasPrefix(src[i:], []byte("\u2028")):
			name = "a line separator (U+2028)"
		case bytes.HasPrefix(src[i:], []byte("\u2029")):
			name = "a paragraph separator (U+2029)"
		}
		if name != "" {
			return &Error{Line: line, Kind: ErrRefused,
				Reason: "the file has " + name + ", which YAML reads as a line break: use LF or CRLF line endings"}
		}
	}
	return nil
}

package values

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// verify parses out and checks that it has the structure and values of the
// documents old, except that the target h now reads as the string value.
func verify(old []*yaml.Node, out []byte, h *hit, value string) *Error {
	fail := func(reason string) *Error {
		return &Error{Line: h.node.Line, Column: h.node.Column, Kind: ErrRefused,
			Reason: "the edit would change more than the target (" + reason + "); " +
				"this is a bug in tagbump, please report it with the file"}
	}
	docs, err := parse(out, "set", "")
	if err != nil {
		var e *Error
		if ok := asError(err, &e); ok {
			return fail("the result does not parse: " + e.Reason + errSuffix(e))
		}
		return fail(err.Error())
	}
	if len(docs) != len(old) {
		return fail(fmt.Sprintf("%d documents instead of %d", len(docs), len(old)))
	}
	c := &comparer{h: h, value: value}
	for i := range docs {
		if msg := c.same(old[i], docs[i]); msg != "" {
			return fail(msg)
		}
	}
	// A comment after an empty value may move from the key to the value.
	if c.bnode == nil || h.node.LineComment+keyComment(h.key) != c.bnode.LineComment+keyComment(c.bkey) {
		return fail("the comment on the target's line changes")
	}
	return nil
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

func errSuffix(e *Error) string {
	if e.Err != nil {
		return ": " + e.Err.Error()
	}
	return ""
}

// comparer compares the original documents with the edited ones.
type comparer struct {
	h           *hit
	value       string
	bkey, bnode *yaml.Node // the target's key and the target in the result
}

func keyComment(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.LineComment
}

// same compares the node a of the original with b of the result.
func (c *comparer) same(a, b *yaml.Node) string {
	h, value := c.h, c.value
	at := func(what string) string {
		return fmt.Sprintf("%s at line %d:%d", what, a.Line, a.Column)
	}
	if a.Kind != b.Kind || a.Line != b.Line || len(a.Content) != len(b.Content) {
		return at("the structure changes")
	}
	target := a == h.node || a == h.key
	if a == h.key {
		c.bkey = b
	}
	if a.Anchor != b.Anchor || a.HeadComment != b.HeadComment || a.FootComment != b.FootComment ||
		!target && a.LineComment != b.LineComment {
		return at("an anchor or comment changes")
	}
	if a.Line != h.node.Line && a.Column != b.Column {
		return at("a column changes")
	}
	if a == h.node {
		c.bnode = b
		if b.Kind != yaml.ScalarNode || b.Value != value {
			return at("the target does not read back as the value")
		}
		tag := b.ShortTag()
		if tag != "!!str" && !(tag == a.Tag && len(tag) > 0 && tag[0] == '!' && (len(tag) < 2 || tag[1] != '!')) {
			return at("the target reads as " + tag + ", not as a string")
		}
		plain := b.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
		// yaml.v3 sets Tag to "!!str" on every plain string it decodes;
		// only an explicit tag (TaggedStyle) keeps YAML 1.1 from reading it.
		if plain && b.Style&yaml.TaggedStyle == 0 && !plainString11(value) {
			return at("the target would not read as a string under YAML 1.1")
		}
		return ""
	}
	if a.Value != b.Value || a.Tag != b.Tag || a.Style != b.Style || a.Column != b.Column && a.Line != h.node.Line {
		return at("a value changes")
	}
	for i := range a.Content {
		if msg := c.same(a.Content[i], b.Content[i]); msg != "" {
			return msg
		}
	}
	return ""
}

package values

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Embedded returns the YAML text held by the literal block scalar (|) at
// path in document doc of src, such as an Argo CD Application's
// .spec.source.helm.values, without the block's indentation and trailing
// blank lines; it refuses, as SetEmbedded does, a block it cannot edit
// exactly.
func Embedded(src []byte, doc int, path string) (string, error) {
	b, err := embedded(src, doc, path, "get")
	if err != nil {
		return "", err
	}
	return b.text, nil
}

// SetEmbedded is Set of inner, a path in the YAML text held by the
// literal block scalar (|) at path in document doc of src: the inner
// text is edited as Set edits a file, and the changed line is written
// back with the block's indentation; the block's header (| and its
// chomping indicator), indentation and every other byte are kept. The
// result is read back: the block must read as the edited text and every
// other node as before. A folded (>) or quoted scalar, an explicit
// indentation indicator (|2), tabs in the indentation, a file with CRLF
// line endings, or a block whose lines do not read back as its value are
// refused (ErrRefused).
func SetEmbedded(src []byte, doc int, path, inner, value string) ([]byte, error) {
	b, err := embedded(src, doc, path, "set")
	if err != nil {
		return nil, err
	}
	in, err := Set([]byte(b.text), inner, value)
	if err != nil {
		var e *Error
		if asError(err, &e) {
			e.Path = path + " " + e.Path
			if e.Line > 0 {
				e.Line += b.first - 1
			}
		}
		return nil, err
	}
	if string(in) == b.text {
		return src, nil
	}
	oldLines, newLines := strings.Split(b.text, "\n"), strings.Split(string(in), "\n")
	if len(oldLines) != len(newLines) {
		return nil, refuse(b.h.node, "the edit inside the block would add or remove lines")
	}
	out := src
	for i := len(oldLines) - 1; i >= 0; i-- {
		if oldLines[i] == newLines[i] {
			continue
		}
		start := offset(out, b.first+i, 1) + b.indent
		end := start + len(oldLines[i])
		out = append(append(append([]byte{}, out[:start]...), newLines[i]...), out[end:]...)
	}
	want := string(in) + b.chomped
	if e := verify(b.docs, out, b.h, want); e != nil {
		e.Op, e.Path = "set", path
		return nil, e
	}
	return out, nil
}

// block is a literal block scalar and the YAML text it holds.
type block struct {
	docs    []*yaml.Node
	h       *hit
	text    string // the content lines without the indentation, up to the last non-blank
	chomped string // what the scalar's value has after text (its kept line breaks)
	first   int    // the 1-based line of the first content line
	indent  int
}

func embedded(src []byte, doc int, path, op string) (*block, error) {
	if _, err := ParsePath(path); err != nil {
		return nil, err
	}
	if err := checkLineBreaks(src); err != nil {
		err.Op, err.Path = op, path
		return nil, err
	}
	docs, err := parse(src, op, path)
	if err != nil {
		return nil, err
	}
	f := &File{src: src, docs: docs, crlf: bytes.Contains(src, []byte("\r\n"))}
	return f.embedded(doc, path, op)
}

// embedded is embedded of the decoded file f.
func (f *File) embedded(doc int, path, op string) (*block, error) {
	p, err := ParsePath(path)
	if err != nil {
		return nil, err
	}
	if f.breakErr != nil {
		e := *f.breakErr
		e.Op, e.Path = op, path
		return nil, &e
	}
	src, docs := f.src, f.docs
	in, err := document(docs, doc, op, path)
	if err != nil {
		return nil, err
	}
	h, err := locate(in, p, op, path, modeWrite)
	if err != nil {
		return nil, err
	}
	h.doc = doc
	fail := func(reason string) error {
		e := refuse(h.node, reason)
		e.Op, e.Path = op, path
		return e
	}
	n := h.node
	if n.Style&yaml.LiteralStyle == 0 {
		return nil, fail("the value is not a literal block scalar (|): tagbump edits YAML text only in one")
	}
	head := f.offset(n.Line, n.Column)
	if head < 0 {
		return nil, fail("cannot find the block's header in the source")
	}
	end := lineEnd(src, head)
	header := strings.TrimRight(string(src[head:end]), "\r\n")
	if i := strings.Index(header, " #"); i >= 0 {
		header = header[:i]
	}
	if strings.ContainsAny(strings.TrimSpace(header), "123456789") {
		return nil, fail("the block has an explicit indentation indicator (" + strings.TrimSpace(header) + "): tagbump does not edit such blocks")
	}
	// The content lines: from the next line while blank or indented.
	b := &block{docs: docs, h: h, first: n.Line + 1, indent: -1}
	var lines []string
	for off := end; off < len(src); {
		e := lineEnd(src, off)
		line := strings.TrimRight(string(src[off:e]), "\r\n")
		body := strings.TrimLeft(line, " ")
		if strings.HasPrefix(body, "\t") {
			return nil, fail("the block's lines are indented with tabs")
		}
		if body != "" {
			ind := len(line) - len(body)
			if b.indent < 0 {
				b.indent = ind
			}
			if ind < b.indent {
				break
			}
		}
		lines = append(lines, line)
		off = e
	}
	if b.indent < 0 {
		return nil, fail("the block is empty")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if len(l) >= b.indent {
			lines[i] = l[b.indent:]
		} else {
			lines[i] = ""
		}
	}
	b.text = strings.Join(lines, "\n")
	if !strings.HasPrefix(n.Value, b.text) || strings.Trim(n.Value[len(b.text):], "\n") != "" {
		return nil, fail("the block's lines do not read back as its value: tagbump cannot edit it exactly")
	}
	b.chomped = n.Value[len(b.text):]
	if f.crlf {
		return nil, fail("the file has CRLF line endings, which a block scalar's text does not keep: edit it by hand")
	}
	return b, nil
}

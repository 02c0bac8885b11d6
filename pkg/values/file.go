package values

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// File is a multi-document YAML file decoded once, for reading many
// places of it: its documents, and what Embedded checks of the whole file
// (its line breaks), are read once rather than once a read, so reading
// every Application of a file of many costs one decode.
type File struct {
	src      []byte
	docs     []*yaml.Node // document nodes
	breakErr *Error       // checkLineBreaks(src)
	crlf     bool
	lines    []int // the offset of each line's start, when known
}

// offset is offset(f.src, line, col), from the lines' starts when known.
func (f *File) offset(line, col int) int {
	if line < 2 || line > len(f.lines) {
		return offset(f.src, line, col)
	}
	return column(f.src, f.lines[line-1], col)
}

// Parse decodes every document of src, with the limits of Documents.
// The trees are shared: callers read them and never change them.
func Parse(src []byte, op string) (*File, error) {
	docs, err := parse(src, op, "")
	if err != nil {
		return nil, err
	}
	lines := []int{0}
	for i, c := range src {
		if c == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &File{src: src, docs: docs, breakErr: checkLineBreaks(src), crlf: bytes.Contains(src, []byte("\r\n")), lines: lines}, nil
}

// Roots returns the root node of each document (nil for an empty one),
// as Documents does; they are not to be changed.
func (f *File) Roots() []*yaml.Node {
	roots := make([]*yaml.Node, len(f.docs))
	for i, d := range f.docs {
		if len(d.Content) > 0 {
			roots[i] = d.Content[0]
		}
	}
	return roots
}

// Embedded is Embedded of the file.
func (f *File) Embedded(doc int, path string) (string, error) {
	b, err := f.embedded(doc, path, "get")
	if err != nil {
		return "", err
	}
	return b.text, nil
}

// FindImagesIn is FindImagesIn of the file.
func (f *File) FindImagesIn(doc int, path string) ([]Image, error) {
	return findImagesIn(f.docs, doc, path)
}

// GetIn is GetIn of the file.
func (f *File) GetIn(doc int, path string) (string, error) {
	return getIn(f.docs, path, doc)
}

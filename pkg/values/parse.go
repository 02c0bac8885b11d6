package values

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parse decodes every document of src. An empty src has no documents. A
// src with more nodes than MaxNodes is refused before it is decoded.
func parse(src []byte, op, path string) (docs []*yaml.Node, err error) {
	if !utf8.Valid(src) {
		return nil, &Error{Op: op, Path: path, Kind: ErrInvalid,
			Reason: "the file is not valid UTF-8: save it as UTF-8"}
	}
	if err := budget(src, op, path); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, &Error{Op: op, Path: path, Kind: ErrInvalid,
				Reason: "invalid YAML", Err: fmt.Errorf("parser panic: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			e := &Error{Op: op, Path: path, Kind: ErrInvalid, Reason: "invalid YAML"}
			msg := err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				e.Line, _ = strconv.Atoi(m[1])
				msg = msg[len(m[0]):]
			}
			e.Err = errors.New(msg)
			return nil, e
		}
		docs = append(docs, &n)
	}
}

// Document returns the root node of the first document of src (nil for a
// src without one), decoded with the same limits as Get and Set: a file
// of more than MaxNodes nodes, or that is not UTF-8, is refused. op names
// the operation in the error.
func Document(src []byte, op string) (*yaml.Node, error) {
	docs, err := parse(src, op, "")
	if err != nil || len(docs) == 0 || len(docs[0].Content) == 0 {
		return nil, err
	}
	return docs[0].Content[0], nil
}

// Documents returns the root node of each document of src (nil for an
// empty document), decoded with the same limits as Document.
func Documents(src []byte, op string) ([]*yaml.Node, error) {
	docs, err := parse(src, op, "")
	if err != nil {
		return nil, err
	}
	roots := make([]*yaml.Node, len(docs))
	for i, d := range docs {
		if len(d.Content) > 0 {
			roots[i] = d.Content[0]
		}
	}
	return roots, nil
}

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

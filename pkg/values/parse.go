package values

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parse decodes every document of src. An empty src has no documents. A
// src with more nodes than MaxNodes is refused before it is decoded.
func parse(src []byte, op, path string) ([]*yaml.Node, error) {
	if docs, ok := recall(src); ok {
		return docs, nil
	}
	docs, err := decode(src, op, path)
	if err == nil {
		remember(src, docs)
	}
	return docs, err
}

// parsed holds the trees of the last sources decoded without error and of
// at most cacheNodes nodes: a bump reads each file several times in one
// attempt (its images, a value, the edit's verification), and decodes it
// once. Only this package's readers get the trees, which never change
// them; Document and Documents give their callers trees of their own.
var parsed struct {
	sync.Mutex
	src  [2]string
	docs [2][]*yaml.Node
	next int
}

// cacheNodes bounds the files whose trees are kept: real values files
// have a few thousand nodes; a bigger file is decoded each time, so what
// is kept never holds much memory.
const cacheNodes = 20_000

// decodes counts the decodes made, for tests.
var decodes atomic.Int64

func recall(src []byte) ([]*yaml.Node, bool) {
	parsed.Lock()
	defer parsed.Unlock()
	for i, s := range parsed.src {
		if parsed.docs[i] != nil && s == string(src) {
			return parsed.docs[i], true
		}
	}
	return nil, false
}

func remember(src []byte, docs []*yaml.Node) {
	if docs == nil || estimateNodes(src) > cacheNodes {
		return
	}
	parsed.Lock()
	defer parsed.Unlock()
	parsed.src[parsed.next], parsed.docs[parsed.next] = string(src), docs
	parsed.next = (parsed.next + 1) % len(parsed.src)
}

// decode decodes every document of src, refusing a file that is not UTF-8
// or has more than MaxNodes nodes.
func decode(src []byte, op, path string) (docs []*yaml.Node, err error) {
	decodes.Add(1)
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
	docs, err := decode(src, op, "")
	if err != nil || len(docs) == 0 || len(docs[0].Content) == 0 {
		return nil, err
	}
	return docs[0].Content[0], nil
}

// Documents returns the root node of each document of src (nil for an
// empty document), decoded with the same limits as Document.
func Documents(src []byte, op string) ([]*yaml.Node, error) {
	docs, err := decode(src, op, "")
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

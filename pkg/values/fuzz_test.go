package values

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzSet checks that Set either fails with a *Error of a known Kind or
// changes at most one line, reads back as the value and keeps every other
// value. Seeds: the real corpus and the fixtures in testdata/values.
func FuzzSet(f *testing.F) {
	for _, glob := range []string{"../../testdata/corpus/*.yaml", "../../testdata/values/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			docs, err := parse(src, "seed", "")
			if err != nil {
				f.Fatalf("%s: %v", file, err)
			}
			var paths []string
			for _, d := range docs {
				tagLeaves(d, Path{}, &paths)
			}
			// Whole files are too large for the fuzzer to minimize: seed
			// with excerpts that keep the lines leading to a tag.
			for i, p := range paths {
				if i%3 == 0 {
					f.Add(excerpt(src, docs[0], p), p, "v1.2.3")
				}
			}
			if len(src) < 4096 {
				f.Add(src, ".image.tag", "v1.2.3")
			}
		}
	}
	for _, s := range []struct{ src, path, value string }{
		{"image: {repository: x, tag: y}\r\n", ".image.tag", "on"},
		{"\ufefftag: 'a' # c\n", ".tag", "it's"},
		{"tag: # c\n", ".tag", "1.10"},
		{"a: &x 1\nb: *x\n", ".a", "2"},
		{"l:\n- \"a\\\"b\"\n", ".l[0]", "x\ty"},
		{"N:", "N", "0"}, // YAML 1.1 reads the key N as false (found by fuzzing)
	} {
		f.Add([]byte(s.src), s.path, s.value)
	}
	f.Fuzz(func(t *testing.T, src []byte, path, value string) {
		out, err := Set(src, path, value)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not a *values.Error: %v", err)
			}
			if e.Kind != ErrNotFound && e.Kind != ErrRefused && e.Kind != ErrInvalid && e.Kind != ErrTooLarge || e.Reason == "" {
				t.Fatalf("error without a kind or reason: %#v", e)
			}
			return
		}
		checkInvariants(t, src, out, path, value, false)
	})
}

// excerpt returns the lines of src that hold the keys on the way to path p
// and the whole collection that contains the target.
func excerpt(src []byte, doc *yaml.Node, path string) []byte {
	p, _ := ParsePath(path)
	lines := bytes.SplitAfter(src, []byte("\n"))
	keep := map[int]bool{}
	n, parent := doc.Content[0], doc.Content[0]
	for _, s := range p {
		parent = n
		switch {
		case n.Kind == yaml.MappingNode && !s.IsIndex:
			for k := 0; k+1 < len(n.Content); k += 2 {
				if n.Content[k].Value == s.Key {
					keep[n.Content[k].Line] = true
					n = n.Content[k+1]
					break
				}
			}
		case n.Kind == yaml.SequenceNode && s.IsIndex:
			n = n.Content[s.Index]
		}
	}
	first, last := parent.Line, parent.Line
	var deepest func(*yaml.Node)
	deepest = func(m *yaml.Node) {
		last = max(last, m.Line)
		for _, c := range m.Content {
			deepest(c)
		}
	}
	deepest(parent)
	for l := first; l <= last && l <= len(lines); l++ {
		keep[l] = true
	}
	var out []byte
	for l := 1; l <= len(lines); l++ {
		if keep[l] {
			out = append(out, lines[l-1]...)
		}
	}
	return out
}

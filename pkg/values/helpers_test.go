package values

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
)

// decodeAll decodes every document of src as plain Go values.
func decodeAll(src []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
}

// setAny sets the value at p in the decoded tree v and reports whether p existed.
func setAny(v any, p Path, value string) bool {
	for i, s := range p {
		last := i == len(p)-1
		switch c := v.(type) {
		case map[string]any:
			if s.IsIndex {
				return false
			}
			if _, ok := c[s.Key]; !ok {
				return false
			}
			if last {
				c[s.Key] = value
				return true
			}
			v = c[s.Key]
		case []any:
			idx := s.Index
			if idx < 0 {
				idx += len(c)
			}
			if !s.IsIndex || idx < 0 || idx >= len(c) {
				return false
			}
			if last {
				c[idx] = value
				return true
			}
			v = c[idx]
		default:
			return false
		}
	}
	return false
}

// changedLines returns the line numbers (1-based) where a and b differ;
// a and b must have the same number of lines.
func changedLines(t testing.TB, a, b []byte) []int {
	t.Helper()
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	if len(la) != len(lb) {
		t.Fatalf("line count changed: %d -> %d", len(la), len(lb))
	}
	var d []int
	for i := range la {
		if !bytes.Equal(la[i], lb[i]) {
			d = append(d, i+1)
		}
	}
	return d
}

// checkSet asserts the invariants of a successful Set: at most one line
// changed, the path reads back as value (YAML 1.2 and 1.1), and every other
// value is equal.
func checkSet(t testing.TB, src, out []byte, path, value string) {
	t.Helper()
	checkInvariants(t, src, out, path, value, true)
}

// checkInvariants is checkSet; when strict is false it compares the other
// values only where the file decodes into Go maps with string keys (the
// fuzzer finds many that do not, e.g. with duplicate or non-string keys).
func checkInvariants(t testing.TB, src, out []byte, path, value string, strict bool) {
	t.Helper()
	if n := len(changedLines(t, src, out)); n > 1 {
		t.Fatalf("Set(%s=%q) changed %d lines:\n%s", path, value, n, out)
	}
	got, err := Get(out, path)
	if err != nil || got != value {
		t.Fatalf("Get after Set(%s=%q) = %q, %v\n%s", path, value, got, err, out)
	}
	old, err1 := decodeAll(src)
	now, err2 := decodeAll(out)
	if strict && (err1 != nil || err2 != nil) {
		t.Fatalf("decode: %v, %v", err1, err2)
	}
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("decoding the original gives %v, the result %v", err1, err2)
	}
	p, _ := ParsePath(path)
	n := 0
	for _, d := range old {
		if len(p) > 0 && setAny(d, p, value) {
			n++
		}
	}
	if n != 1 {
		if strict || !bytes.Equal(src, out) && n > 1 {
			t.Fatalf("path %s found in %d documents of the original", path, n)
		}
		return
	}
	if diff := cmp.Diff(old, now); diff != "" {
		t.Fatalf("values other than %s changed (-want +got):\n%s", path, diff)
	}
	// YAML 1.1, as Helm reads values (its YAML library is a yaml.v2): the
	// value must come back as that very string.
	if got, ok := get11(t, out, p); !ok || got != value {
		t.Fatalf("under YAML 1.1 %s reads as %#v, want the string %q\n%s", path, got, value, out)
	}
}

// get11 decodes src with yaml.v2 (YAML 1.1 rules) and returns the value at
// p in the document that has it.
func get11(t testing.TB, src []byte, p Path) (any, bool) {
	t.Helper()
	dec := yaml2.NewDecoder(bytes.NewReader(src))
	for {
		var doc any
		if err := dec.Decode(&doc); err != nil {
			if err != io.EOF {
				t.Fatalf("yaml.v2 cannot read the result: %v", err)
			}
			return nil, false
		}
		if v, ok := walk11(doc, p); ok {
			return v, true
		}
	}
}

func walk11(v any, p Path) (any, bool) {
	for _, seg := range p {
		switch n := v.(type) {
		case map[any]any:
			var ok bool
			if seg.IsIndex {
				return nil, false
			}
			if v, ok = n[seg.Key]; !ok {
				// A plain key that YAML 1.1 reads as another type (N is
				// false, 1 is an int): look it up as yaml.v2 decoded it.
				var k any
				if yaml2.Unmarshal([]byte(seg.Key), &k) != nil || k == nil {
					return nil, false
				}
				if v, ok = n[k]; !ok {
					return nil, false
				}
			}
		case []any:
			i := seg.Index
			if i < 0 {
				i += len(n)
			}
			if !seg.IsIndex || i < 0 || i >= len(n) {
				return nil, false
			}
			v = n[i]
		default:
			return nil, false
		}
	}
	return v, true
}

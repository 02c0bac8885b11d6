package values

import (
	"errors"
	"strings"
	"testing"
)

// TestFindImagesStrings: what an image string must hold to count: a
// repository, with a tag or a digest or neither (then it has no TagPath).
func TestFindImagesStrings(t *testing.T) {
	for s, want := range map[string]string{
		"busybox":                  "busybox  ",
		"@sha256:abc":              "",
		":1.0":                     "",
		"busybox:1.36":             "busybox 1.36 .image",
		"reg.example.com:5000/a":   "reg.example.com:5000/a  ",
		"reg.example.com:5000/a:2": "reg.example.com:5000/a 2 .image",
		"a@sha256:abc":             "a sha256:abc .image",
	} {
		imgs, err := FindImages([]byte("image: \"" + s + "\"\n"))
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if len(imgs) == 1 {
			got = imgs[0].Repository + " " + imgs[0].Tag + imgs[0].Digest + " " + imgs[0].TagPath
		}
		if len(imgs) > 1 || got != want {
			t.Errorf("FindImages(image: %q) = %+v, want %q", s, imgs, want)
		}
	}
}

// TestNotFoundEdges: the index one past the end is out of range, and a
// path missing from every document is reported at the deepest match, the
// first one on a tie, naming the number of documents only when there are
// several.
func TestNotFoundEdges(t *testing.T) {
	notFound := func(src, path string) *Error {
		t.Helper()
		_, err := Get([]byte(src), path)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%s) = %v, want not found", path, err)
		}
		return e
	}
	if e := notFound("a: [1, 2]\n", ".a[2]"); !strings.Contains(e.Reason, "index [2] is out of range") {
		t.Errorf("index 2 of 2 items: %v", e)
	}
	if e := notFound("a: [1, 2]\n", ".a[-3]"); !strings.Contains(e.Reason, "index [-3] is out of range") {
		t.Errorf("index -3 of 2 items: %v", e)
	}
	if e := notFound("a: 1\n", ".b"); strings.Contains(e.Reason, "documents") {
		t.Errorf("one document: %v", e)
	}
	e := notFound("a: 1\n---\nb: 2\n", ".c")
	if !strings.Contains(e.Reason, "(in any of the 2 documents)") || e.Line != 1 {
		t.Errorf("two documents, same depth: %v (line %d), want the first one's error", e, e.Line)
	}
	e = notFound("a: 1\n---\nc:\n  d: 2\n", ".c.e")
	if e.Line != 4 {
		t.Errorf("two documents, the second deeper: %v (line %d), want line 4", e, e.Line)
	}
}

// TestGetNestedMerge: Get follows a merge into a mapping that merges
// another one.
func TestGetNestedMerge(t *testing.T) {
	src := []byte("base: &b\n  tag: v1\nmid: &m\n  <<: *b\n  other: x\napp:\n  <<: *m\n")
	if got, err := Get(src, ".app.tag"); err != nil || got != "v1" {
		t.Fatalf("Get(.app.tag) = %q, %v; want v1 through two merges", got, err)
	}
}

// TestInvalidYAMLLine: the parser's line number becomes Error.Line and
// leaves the message.
func TestInvalidYAMLLine(t *testing.T) {
	_, err := Get([]byte("a: 1\nb: [1\nc: 2\n"), ".a")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Line == 0 || strings.Contains(e.Error(), "yaml: line") {
		t.Fatalf("Get on invalid YAML = %v, want an error with its line taken out of the parser's message", err)
	}
}

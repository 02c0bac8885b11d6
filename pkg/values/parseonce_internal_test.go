package values

import (
	"strings"
	"testing"
)

// TestParseOnce: reading a file's images, a value and setting it decode
// the file once, and the edit's result once for its verification; a file
// of more than cacheNodes nodes is decoded each time, so no big tree is
// kept.
func TestParseOnce(t *testing.T) {
	src := []byte("# app\nimage:\n  repository: reg/app # the app\n  tag: \"1.0.0\"\nreplicas: 2\n")
	before := decodes.Load()
	if _, err := FindImages(src); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(src, ".image.tag"); err != nil {
		t.Fatal(err)
	}
	out, err := Set(src, ".image.tag", "1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Get(out, ".image.tag"); err != nil {
		t.Fatal(err)
	}
	if got := decodes.Load() - before; got != 2 {
		t.Errorf("%d decodes for one file and its edit, want 2", got)
	}
	// The trees stay shared, and unchanged, across calls.
	if v, _ := Get(src, ".image.tag"); v != "1.0.0" {
		t.Errorf("Get after Set = %q, want the source's 1.0.0", v)
	}

	big := []byte("items:\n" + strings.Repeat("  - x\n", cacheNodes))
	before = decodes.Load()
	for range 2 {
		if _, err := Get(big, ".items[0]"); err != nil {
			t.Fatal(err)
		}
	}
	if got := decodes.Load() - before; got != 2 {
		t.Errorf("%d decodes of a file over cacheNodes in two reads, want 2", got)
	}
}

package values

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

// TestDiffIsUnified checks that Diff writes what udiff.Unified writes for
// edits that keep the number of lines: one line, lines close together and
// far apart, at the start and the end, with and without a final newline.
func TestDiffIsUnified(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("../../testdata/corpus", "prom_charts_kube-prometheus-stack_values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	edit := func(s []string, at ...int) string {
		c := append([]string(nil), s...)
		for _, i := range at {
			c[i] = "  changed: " + strings.Repeat("x", i%7) + "\n"
		}
		return strings.Join(c, "")
	}
	n := len(lines) - 1
	cases := [][]int{{}, {10}, {0}, {n - 1}, {10, 11}, {10, 14}, {10, 16}, {10, 17}, {10, 18}, {0, n - 1}, {3, 200, 201, 207, 1000}}
	for _, at := range cases {
		old := string(src)
		new := edit(lines, at...)
		if got, want := Diff("a/v.yaml", "b/v.yaml", []byte(old), []byte(new)), udiff.Unified("a/v.yaml", "b/v.yaml", old, new); got != want {
			t.Errorf("edit at %v:\n%s\nwant (udiff):\n%s", at, got, want)
		}
	}
	for _, c := range []struct{ old, new string }{
		{"a: 1\nb: 2", "a: 1\nb: 3"},
		{"a: 1", "a: 2"},
		{"a: 1\n", "a: 2\n"},
		{"a: 1\nb: 2\n", "a: 1\nb: 2\nc: 3\n"}, // not the same number of lines
	} {
		if got, want := Diff("a", "b", []byte(c.old), []byte(c.new)), udiff.Unified("a", "b", c.old, c.new); got != want {
			t.Errorf("Diff(%q, %q) =\n%s\nwant (udiff):\n%s", c.old, c.new, got, want)
		}
	}
}

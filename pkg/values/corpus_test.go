package values

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// tagLeaves returns the paths of every scalar under a key named tag.
func tagLeaves(n *yaml.Node, p Path, out *[]string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			tagLeaves(c, p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			tagLeaves(c, p.child(Segment{Index: i, IsIndex: true}), out)
		}
	case yaml.MappingNode:
		for k := 0; k+1 < len(n.Content); k += 2 {
			key, v := n.Content[k], n.Content[k+1]
			cp := p.child(Segment{Key: key.Value})
			if key.Value == "tag" && v.Kind == yaml.ScalarNode {
				*out = append(*out, cp.String())
			}
			tagLeaves(v, cp, out)
		}
	}
}

// TestCorpus sets every tag leaf of every real values file and checks that
// exactly one line changes and every other value stays equal.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("../../testdata/corpus/*.yaml")
	if err != nil || len(files) < 50 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	// -short (make mutate runs every mutant with it) edits every fourth
	// file under 32 KiB: the whole corpus takes seconds, and gremlins runs
	// it hundreds of times.
	want := 100
	if testing.Short() {
		var some []string
		for i, f := range files {
			if st, err := os.Stat(f); err == nil && st.Size() < 32<<10 && i%4 == 0 {
				some = append(some, f)
			}
		}
		files, want = some, 10
	}
	total := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := parse(src, "test", "")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var paths []string
		for _, d := range docs {
			tagLeaves(d, Path{}, &paths)
		}
		for _, p := range paths {
			for _, v := range []string{"v9.9.9-corpus", "1.10"} {
				out, err := Set(src, p, v)
				if err != nil {
					t.Errorf("%s: %v", filepath.Base(f), err)
					continue
				}
				if n := len(changedLines(t, src, out)); n != 1 {
					t.Errorf("%s: set %s=%s changed %d lines", filepath.Base(f), p, v, n)
				}
				checkSet(t, src, out, p, v)
				total++
			}
		}
	}
	t.Logf("%d edits on %d files", total, len(files))
	if total < want {
		t.Fatalf("only %d tag edits in the corpus", total)
	}
}

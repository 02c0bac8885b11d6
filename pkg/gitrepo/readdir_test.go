package gitrepo_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestReadDir lists a directory of the tip from the trees a partial fetch
// holds, without a request; a missing path or a file is fs.ErrNotExist.
func TestReadDir(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := seedFiles()
	files["app/charts/db/values.yaml"] = "x: 1\n"
	s.MustCreateRepo(t, "charts", files)
	r := open(t, s.URL("charts"))
	snap, err := r.Fetch(context.Background(), "main")
	before := r.Stats()
	got, derr := snap.ReadDir("app")
	if err != nil || derr != nil {
		t.Fatal(err, derr)
	}
	want := []gitrepo.DirEntry{{Name: "charts", Dir: true}, {Name: "values-prod.yaml"}, {Name: "values-staging.yaml"}, {Name: "values.yaml"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadDir(app) (-want +got):\n%s", diff)
	}
	if root, err := snap.ReadDir(""); err != nil || len(root) != 4 {
		t.Errorf("ReadDir(root) = %v, %v", root, err)
	}
	for _, p := range []string{"nope", "app/values.yaml"} {
		if _, err := snap.ReadDir(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadDir(%s) = %v, want fs.ErrNotExist", p, err)
		}
	}
	if after := r.Stats(); after != before {
		t.Errorf("ReadDir sent requests: %+v, before %+v", after, before)
	}
}

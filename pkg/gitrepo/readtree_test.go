package gitrepo_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// ReadTree returns a directory's files, in one blob request on the
// partial path and from the full fetch on a server that cannot filter.
func TestReadTree(t *testing.T) {
	files := seedFiles()
	files["app/templates/deployment.yaml"] = "kind: Deployment\n"
	files["app/charts/sub/values.yaml"] = "x: 1\n"
	for _, filter := range []bool{true, false} {
		r, snap := servedMain(t, files, testenv.WithAllowFilter(filter))
		ctx := context.Background()
		before := r.Stats().UploadPacks
		got, err := snap.ReadTree(ctx, "app")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"app/charts/sub/values.yaml", "app/templates/deployment.yaml", "app/values-prod.yaml", "app/values-staging.yaml", "app/values.yaml"}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, want) {
			t.Fatalf("filter %v: files %q, want %q", filter, keys, want)
		}
		for p, b := range got {
			if string(b) != files[p] {
				t.Errorf("%s = %q, want %q", p, b, files[p])
			}
		}
		if n := r.Stats().UploadPacks - before; filter && n != 1 {
			t.Errorf("%d requests for 5 blobs, want 1", n)
		}
		if _, err := snap.ReadTree(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("missing dir: %v", err)
		}
		if _, err := snap.ReadTree(ctx, "app/values.yaml"); !errors.Is(err, gitrepo.ErrNotRegular) {
			t.Errorf("a file: %v", err)
		}
	}
}

// A symlink in the directory is refused: leaving it out would render
// another chart than the one deployed.
func TestReadTreeSymlink(t *testing.T) {
	s := testenv.NewGitServer(t)
	dir := s.MustCreateRepo(t, "charts", seedFiles())
	clone := filepath.Join(t.TempDir(), "clone")
	testenv.MustGit(t, "", "clone", "-q", dir, clone)
	if err := os.Symlink("../../web/values.yaml", filepath.Join(clone, "app", "linked.yaml")); err != nil {
		t.Fatal(err)
	}
	testenv.MustGit(t, clone, "add", ".")
	testenv.MustGit(t, clone, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "link")
	testenv.MustGit(t, clone, "push", "-q", "origin", "HEAD:main")
	r := open(t, s.URL("charts"))
	snap, err := r.Fetch(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.ReadTree(context.Background(), "app"); !errors.Is(err, gitrepo.ErrNotRegular) {
		t.Errorf("a directory with a symlink: %v, want ErrNotRegular", err)
	}
	if _, err := snap.ReadTree(context.Background(), "web"); err != nil {
		t.Errorf("web: %v", err)
	}
}

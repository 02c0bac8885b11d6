package gitrepo_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestReadFileLargeDirectory: in a directory large enough to be indexed
// (600 files, and a subdirectory among them), every file reads as itself,
// and names that are not there (a prefix, a different case) are missing.
func TestReadFileLargeDirectory(t *testing.T) {
	files := map[string]string{"apps/zz/inner.yaml": "inner\n"}
	for i := range 600 {
		files[fmt.Sprintf("apps/app-%03d.yaml", i)] = fmt.Sprintf("name: app-%03d\n", i)
	}
	_, snap := servedMain(t, files)
	ctx := context.Background()
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	if err := snap.Prefetch(ctx, paths...); err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		got, err := snap.ReadFile(ctx, p)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v, want %q", p, got, err, want)
		}
	}
	for _, p := range []string{"apps/app-600.yaml", "apps/app-00", "apps/APP-001.yaml", "apps/zz/app-001.yaml"} {
		if _, err := snap.ReadFile(ctx, p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%s) = %v, want not found", p, err)
		}
	}
}

// servedMain serves a repository of files from a git server started with
// opts and returns it opened, with a snapshot of its main branch.
func servedMain(t *testing.T, files map[string]string, opts ...testenv.GitServerOption) (*gitrepo.Repo, *gitrepo.Snapshot) {
	t.Helper()
	s := testenv.NewGitServer(t, opts...)
	s.MustCreateRepo(t, "charts", files)
	r := open(t, s.URL("charts"))
	snap, err := r.Fetch(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return r, snap
}

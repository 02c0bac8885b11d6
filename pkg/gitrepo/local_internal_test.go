package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
)

// When the branch cannot move after the work tree was written (a lost
// compare-and-swap), the undo updateWorkTree returns puts the files and the
// index back: a failed push leaves the clone as it was.
func TestLocalWorkTreeUndo(t *testing.T) {
	files := map[string]string{"app/values-staging.yaml": "image:\n  tag: \"1.0.0\"\n", "README.md": "charts\n"}
	bare, err := testenv.CreateBareRepo(filepath.Join(t.TempDir(), "charts.git"), files)
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	testenv.MustGit(t, "", "clone", "-q", bare, clone)
	ctx := context.Background()
	r, err := Open(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid", When: time.Unix(1700000000, 0).UTC()}
	c, err := snap.Commit(map[string][]byte{"app/values-staging.yaml": []byte("image:\n  tag: \"1.0.1\"\n"), "app/new.yaml": []byte("x: 1\n")}, "chore: x", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	wt, _, err := r.checkedOut("refs/heads/main")
	if err != nil {
		t.Fatal(err)
	}
	index := testenv.MustGit(t, clone, "ls-files", "--stage")
	undo, err := r.updateWorkTree(wt, c)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(clone, "app/values-staging.yaml")); string(b) != "image:\n  tag: \"1.0.1\"\n" {
		t.Fatalf("work tree not written: %q", b)
	}
	if got := testenv.MustGit(t, clone, "ls-files", "--stage"); got == index {
		t.Fatal("index not updated")
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(clone, "app/values-staging.yaml")); string(b) != files["app/values-staging.yaml"] {
		t.Errorf("work tree file not put back: %q", b)
	}
	if _, err := os.Stat(filepath.Join(clone, "app/new.yaml")); !os.IsNotExist(err) {
		t.Errorf("new file not removed: %v", err)
	}
	if got := testenv.MustGit(t, clone, "ls-files", "--stage"); got != index {
		t.Errorf("index not put back:\n%s\nwant\n%s", got, index)
	}
	if got := testenv.MustGit(t, clone, "status", "--porcelain"); got != "" {
		t.Errorf("work tree not clean after undo: %q", got)
	}
}

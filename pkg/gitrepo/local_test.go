package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

func TestLocalClone(t *testing.T) {
	bare, err := testenv.CreateBareRepo(filepath.Join(t.TempDir(), "charts.git"), seedFiles())
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	testenv.MustGit(t, "", "clone", "-q", bare, clone)
	r := open(t, clone)
	ctx := context.Background()
	if b, err := r.DefaultBranch(ctx); err != nil || b != "main" {
		t.Fatalf("DefaultBranch = %q, %v", b, err)
	}
	c := bump(t, r, "app/values-staging.yaml", "1.0.0", "1.0.1")
	if err := r.Push(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, clone, "rev-parse", "main"); got != c.Hash.String() {
		t.Fatalf("local main = %s, want %s", got, c.Hash)
	}
	if got := testenv.MustGit(t, clone, "status", "--porcelain"); got != "" {
		t.Fatalf("work tree not clean after push: %q", got)
	}
	b, _ := os.ReadFile(filepath.Join(clone, "app/values-staging.yaml"))
	if string(b) != "image:\n  tag: \"1.0.1\" # staging\n" {
		t.Fatalf("work tree file %q", b)
	}

	// a dirty file is never overwritten
	if err := os.WriteFile(filepath.Join(clone, "api/values-prod.yaml"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tip := testenv.MustGit(t, clone, "rev-parse", "main")
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := snap.Commit(map[string][]byte{"api/values-prod.yaml": []byte("image:\n  tag: \"2\"\n")}, "chore: x", sig, sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, c2); !errors.Is(err, gitrepo.ErrDirty) {
		t.Fatalf("push over a dirty file: %v", err)
	}
	if got := testenv.MustGit(t, clone, "rev-parse", "main"); got != tip {
		t.Fatal("the branch moved although the push was refused")
	}
	if b, _ := os.ReadFile(filepath.Join(clone, "api/values-prod.yaml")); string(b) != "mine\n" {
		t.Fatalf("dirty file overwritten: %q", b)
	}

	// a stale snapshot loses the local compare-and-swap
	stale := c2
	testenv.MustGit(t, clone, "checkout", "-q", "--", "api/values-prod.yaml")
	testenv.MustGit(t, clone, "commit", "-q", "--allow-empty", "-m", "moved")
	if err := r.Push(ctx, stale); !errors.Is(err, gitrepo.ErrRace) || !strings.Contains(err.Error(), "the commit was made on") {
		t.Fatalf("stale local push: %v, want a race naming both commits", err)
	}
}

// A change staged in the index but not in the work tree is a change too:
// the push is refused and the staged content stays.
func TestLocalCloneStagedChange(t *testing.T) {
	bare, err := testenv.CreateBareRepo(filepath.Join(t.TempDir(), "charts.git"), seedFiles())
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	testenv.MustGit(t, "", "clone", "-q", bare, clone)
	file := filepath.Join(clone, "app/values-staging.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.MustGit(t, clone, "add", "app/values-staging.yaml")
	if err := os.WriteFile(file, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	tip := testenv.MustGit(t, clone, "rev-parse", "main")
	r := open(t, clone)
	c := bump(t, r, "app/values-staging.yaml", "1.0.0", "1.0.1")
	if err := r.Push(context.Background(), c); !errors.Is(err, gitrepo.ErrDirty) {
		t.Fatalf("push over a staged change: %v", err)
	}
	if got := testenv.MustGit(t, clone, "rev-parse", "main"); got != tip {
		t.Fatal("the branch moved although the push was refused")
	}
	if got := testenv.MustGit(t, clone, "show", ":app/values-staging.yaml"); got != "mine" {
		t.Fatalf("staged content %q, want it kept", got)
	}
}

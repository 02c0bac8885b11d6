package gitrepo_test

import (
	"context"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestStatsCountEachRead: every blob read is counted once, also when the
// snapshot already holds others.
func TestStatsCountEachRead(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", seedFiles())
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"app/values.yaml", "api/values.yaml", "web/values.yaml"} {
		if _, err := snap.ReadFile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// commit + root tree + 3 chart trees, then 3 blobs
	if st := r.Stats(); st.BlobsFetched != 3 || st.ObjectsFetched != 5+3 || st.UploadPacks != 4 {
		t.Fatalf("stats %+v: want 3 blobs, 8 objects, 4 upload-packs", st)
	}
}

// TestDefaultBranchNotGuessed: the branch HEAD names is the default, also
// when another branch points at the same commit.
func TestDefaultBranchNotGuessed(t *testing.T) {
	s := testenv.NewGitServer(t)
	dir := s.MustCreateRepo(t, "charts", seedFiles(), testenv.WithBranch("trunk"))
	for _, b := range []string{"a-release", "b", "c", "d", "e", "main"} {
		testenv.MustGit(t, dir, "branch", b, "trunk")
	}
	r := open(t, s.URL("charts"))
	// Asked a few times: a guess among the branches at HEAD's commit
	// would not name trunk every time.
	for range 3 {
		if b, err := r.DefaultBranch(context.Background()); err != nil || b != "trunk" {
			t.Fatalf("DefaultBranch = %q, %v; want trunk", b, err)
		}
	}
}

// TestStatsFallback: a full fetch is one upload-pack and one fallback.
func TestStatsFallback(t *testing.T) {
	s := testenv.NewGitServer(t, testenv.WithAllowFilter(false))
	s.MustCreateRepo(t, "charts", seedFiles())
	r := open(t, s.URL("charts"))
	if _, err := r.Fetch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	// The server advertises no filter capability, so no partial request
	// is sent: the one upload-pack is the full fetch.
	if st := r.Stats(); st.Fallbacks != 1 || st.UploadPacks != 1 || st.BlobsFetched != 0 {
		t.Fatalf("stats %+v: want 1 fallback, 1 upload-pack", st)
	}
}

// TestNoTimeout: WithTimeout(0) means no limit, not an expired one.
func TestNoTimeout(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", seedFiles())
	r := open(t, s.URL("charts"), gitrepo.WithTimeout(0))
	if _, err := r.Fetch(context.Background(), "main"); err != nil {
		t.Fatalf("fetch without a timeout: %v", err)
	}
}

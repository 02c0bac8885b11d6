package gitrepo_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/tagbump/tagbump/internal/testenv"
)

// historyServer seeds a repository with 150 commits that alternate between
// app/values-prod.yaml and other files, so FileHistory needs several pages.
func historyServer(t *testing.T, opts ...testenv.GitServerOption) (*testenv.GitServer, []string) {
	t.Helper()
	s := testenv.NewGitServer(t, opts...)
	s.MustCreateRepo(t, "charts", seedFiles())
	var changed []string // commits that changed app/values-prod.yaml, oldest first
	for i := range 150 {
		path := "web/values-prod.yaml"
		if i%3 == 0 {
			path = "app/values-prod.yaml"
		}
		h, err := s.CommitFiles("charts", "main", map[string]string{path: fmt.Sprintf("image:\n  tag: \"1.0.%d\"\n", i)}, fmt.Sprintf("commit %d\n\nTrailer-N: %d", i, i))
		if err != nil {
			t.Fatal(err)
		}
		if path == "app/values-prod.yaml" {
			changed = append(changed, h)
		}
	}
	return s, changed
}

// TestHistory checks what history reading fetches: one server, seeded
// once, for all subtests.
func TestHistory(t *testing.T) {
	s, changed := historyServer(t)
	t.Run("FileHistoryFetchesNoBlobs", func(t *testing.T) { testFileHistory(t, s, changed) })
	t.Run("LogFetchesCommitsOnly", func(t *testing.T) { testLog(t, s) })
	t.Run("LocalAndNoFilter", func(t *testing.T) { testHistoryLocal(t, s, changed) })
}

func testFileHistory(t *testing.T, s *testenv.GitServer, changed []string) {
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	before := r.Stats()
	got, err := snap.FileHistory(ctx, "app/values-prod.yaml", 45, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if len(got) != 45 {
		t.Fatalf("got %d changes, want 45", len(got))
	}
	for i, c := range got {
		if want := changed[len(changed)-1-i]; c.Commit.Hash.String() != want {
			t.Fatalf("change %d is %s, want %s", i, c.Commit.Hash, want)
		}
		if c.Old.IsZero() || c.New.IsZero() || c.Old == c.New {
			t.Fatalf("change %d: old %s new %s", i, c.Old, c.New)
		}
	}
	if st.BlobsFetched != before.BlobsFetched {
		t.Errorf("FileHistory fetched %d blobs, want none", st.BlobsFetched-before.BlobsFetched)
	}
	// 135 commits walked in pages of 64 and 128: two requests.
	if n := st.UploadPacks - before.UploadPacks; n != 2 {
		t.Errorf("FileHistory made %d upload-pack requests, want 2", n)
	}
	var hashes []plumbing.Hash
	for _, c := range got {
		hashes = append(hashes, c.Old, c.New)
	}
	before = r.Stats()
	blobs, err := snap.ReadBlobs(ctx, hashes)
	if err != nil {
		t.Fatal(err)
	}
	if n := r.Stats().UploadPacks - before.UploadPacks; n != 1 {
		t.Errorf("ReadBlobs made %d requests, want 1", n)
	}
	if b := string(blobs[got[0].New]); b != "image:\n  tag: \"1.0.147\"\n" {
		t.Errorf("newest blob = %q", b)
	}
	if len(blobs) != 46 {
		t.Errorf("got %d blobs, want 46 (45 changes share 44)", len(blobs))
	}

	// The whole history: the root commit added the file.
	all, err := snap.FileHistory(ctx, "app/values-prod.yaml", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 51 || !all[50].Old.IsZero() {
		t.Errorf("whole history: %d changes, want 50 and the root commit's addition", len(all))
	}
}

func testLog(t *testing.T, s *testenv.GitServer) {
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	before := r.Stats()
	log, err := snap.Log(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if len(log) != 50 || !strings.HasPrefix(log[0].Message, "commit 149") || !strings.HasPrefix(log[49].Message, "commit 100") {
		t.Fatalf("got %d commits, first %q", len(log), log[0].Message)
	}
	if n := st.ObjectsFetched - before.ObjectsFetched; n != 50 {
		t.Errorf("Log fetched %d objects, want the 50 commits alone", n)
	}
	if n := st.UploadPacks - before.UploadPacks; n != 1 {
		t.Errorf("Log made %d requests, want 1", n)
	}
}

func testHistoryLocal(t *testing.T, s *testenv.GitServer, changed []string) {
	ctx := context.Background()
	clone := filepath.Join(t.TempDir(), "clone")
	testenv.MustGit(t, "", "clone", "-q", s.Dir("charts"), clone)
	local := open(t, clone)
	snap, err := local.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	got, err := snap.FileHistory(ctx, "app/values-prod.yaml", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Commit.Hash.String() != changed[len(changed)-3] {
		t.Fatalf("local: got %d changes", len(got))
	}
	blobs, err := snap.ReadBlobs(ctx, []plumbing.Hash{got[0].New})
	if err != nil || len(blobs[got[0].New]) == 0 {
		t.Fatalf("local ReadBlobs: %v", err)
	}

	nf := testenv.NewGitServer(t, testenv.WithAllowFilter(false))
	nf.MustCreateRepo(t, "charts", seedFiles())
	if _, err := nf.CommitFiles("charts", "main", map[string]string{"README.md": "two\n"}, "second"); err != nil {
		t.Fatal(err)
	}
	r := open(t, nf.URL("charts"))
	snap, err = r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	before := r.Stats().UploadPacks
	log, err := snap.Log(ctx, 5)
	if err != nil || len(log) != 2 || log[0].Message != "second" {
		t.Fatalf("Log without filter support: %d commits, %v; want 2", len(log), err)
	}
	// One deepening fetch, with full objects.
	if n := r.Stats().UploadPacks - before; n != 1 {
		t.Errorf("Log on a server without filter sent %d requests, want 1", n)
	}
}

// sixCommits serves seedFiles with 5 more commits, each of
// web/values-prod.yaml: 6 in all.
func sixCommits(t *testing.T, opts ...testenv.GitServerOption) *testenv.GitServer {
	t.Helper()
	s := testenv.NewGitServer(t, opts...)
	s.MustCreateRepo(t, "charts", seedFiles())
	for i := range 5 {
		if _, err := s.CommitFiles("charts", "main", map[string]string{"web/values-prod.yaml": fmt.Sprintf("image:\n  tag: \"1.0.%d\"\n", i)}, "commit"); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestPrefetchWithLog checks that one request brings the values file and the
// last commits: ReadFile and Log then send nothing.
func TestPrefetchWithLog(t *testing.T) {
	r := open(t, sixCommits(t).URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.PrefetchWithLog(ctx, 50, "app/values-prod.yaml", "missing.yaml"); err != nil {
		t.Fatal(err)
	}
	before := r.Stats()
	b, err := snap.ReadFile(ctx, "app/values-prod.yaml")
	if err != nil || string(b) != "image:\n  tag: \"0.9.0\"\n" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	log, err := snap.Log(ctx, 50)
	if err != nil || len(log) != 6 {
		t.Fatalf("Log: %d commits, %v; want all 6", len(log), err)
	}
	if n := r.Stats().UploadPacks - before.UploadPacks; n != 0 {
		t.Errorf("ReadFile and Log after Prefetch sent %d requests, want 0", n)
	}
}

// TestFileHistoryPageBoundaries changes the file in every commit, so that
// a change sits on each side of every page boundary (64, then 64+256):
// each is found once, with the right blobs, and the commits read as before.
func TestFileHistoryPageBoundaries(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", seedFiles())
	content := func(i int) string { return fmt.Sprintf("image:\n  tag: \"1.0.%d\"\n", i) }
	const commits = 330
	for i := range commits {
		if _, err := s.CommitFiles("charts", "main", map[string]string{"app/values-prod.yaml": content(i)}, fmt.Sprintf("commit %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r := open(t, s.URL("charts"))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	got, err := snap.FileHistory(ctx, "app/values-prod.yaml", commits, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != commits {
		t.Fatalf("%d changes, want %d", len(got), commits)
	}
	for k, c := range got {
		i := commits - 1 - k // newest first
		if c.Commit.Message != fmt.Sprintf("commit %d", i) {
			t.Fatalf("change %d: commit %q, want commit %d", k, c.Commit.Message, i)
		}
		old := "image:\n  tag: \"0.9.0\"\n" // the seed's
		if i > 0 {
			old = content(i - 1)
		}
		if c.New != plumbing.ComputeHash(plumbing.BlobObject, []byte(content(i))) || c.Old != plumbing.ComputeHash(plumbing.BlobObject, []byte(old)) {
			t.Fatalf("change %d (commit %d): blobs %s → %s", k, i, c.Old, c.New)
		}
	}
}

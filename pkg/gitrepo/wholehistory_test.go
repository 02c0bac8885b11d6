package gitrepo_test

import (
	"context"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/tagbump/tagbump/internal/testenv"
)

// TestWholeHistoryTempRemoved: the whole-history fetch (the 4th
// fetch on a server that cannot filter) is cut mid-pack; FileHistory
// fails, and no spooled pack (whole-*) is left in the repository's temp
// directory.
func TestWholeHistoryTempRemoved(t *testing.T) {
	root := t.TempDir()
	longHistory(t, root, 3000)
	s := testenv.NewGitServer(t, testenv.WithRoot(root), testenv.WithAllowFilter(false))
	fetches := 0
	p := faultOnFetch(t, s, &fetches, func(n int) bool { return n >= 4 }, testenv.Fault{Kind: testenv.FaultCut, Bytes: 200 << 10})
	ctx := context.Background()
	r := open(t, p.URL(s.URL("charts")))
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	_, err = snap.FileHistory(ctx, "app/values-prod.yaml", 10, 0)
	t.Logf("fetches %d, err %v", fetches, err)
	if err == nil {
		t.Fatal("FileHistory with the whole fetch cut succeeded")
	}
	left := func() []string {
		var out []string
		ents, _ := os.ReadDir(r.TempDir())
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "whole-") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	if l := left(); len(l) > 0 {
		t.Errorf("left after a failed whole fetch: %v", l)
	}
}

// TestFileHistoryWholeReused: a walk that fetched the whole history goes
// on to the root and keeps what it found on the snapshot, so that asking
// again for more changes of the file (bump's deploymentsWithin does when
// --image or --key filters changes out) sends no request; the whole
// history is not fetched twice. The process's soft memory limit, lowered
// while the whole history is read, is what it was afterwards.
func TestFileHistoryWholeReused(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	longHistory(t, root, 3000)
	for _, s := range []struct {
		name string
		srv  *testenv.GitServer
	}{
		{"filter", testenv.NewGitServer(t, testenv.WithRoot(root))},
		{"nofilter", testenv.NewGitServer(t, testenv.WithRoot(root), testenv.WithAllowFilter(false))},
	} {
		t.Run(s.name, func(t *testing.T) {
			r := open(t, s.srv.URL("charts"))
			snap, err := r.Fetch(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			limit := debug.SetMemoryLimit(-1)
			before := r.Stats().UploadPacks
			one, err := snap.FileHistory(ctx, "app/values-prod.yaml", 1, 0)
			if err != nil || len(one) != 1 {
				t.Fatalf("FileHistory 1: %d changes, %v", len(one), err)
			}
			if n := r.Stats().UploadPacks - before; n < 2 {
				t.Fatalf("FileHistory 1 made %d requests: no whole history", n)
			}
			if l := debug.SetMemoryLimit(-1); l != limit {
				t.Errorf("soft memory limit %d after FileHistory, %d before", l, limit)
			}
			before = r.Stats().UploadPacks
			all, err := snap.FileHistory(ctx, "app/values-prod.yaml", 4, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n := r.Stats().UploadPacks - before; n != 0 {
				t.Errorf("FileHistory 4 after FileHistory 1 made %d requests, want 0", n)
			}
			if len(all) != 3 || all[0].Commit.Hash != one[0].Commit.Hash || all[2].Old != (plumbing.Hash{}) {
				t.Fatalf("FileHistory 4: %d changes, want the 3 down to the root, the first %s", len(all), one[0].Commit.Hash)
			}
			blobs, err := snap.ReadBlobs(ctx, []plumbing.Hash{all[2].New, all[1].New})
			if err != nil || !strings.Contains(string(blobs[all[2].New]), "1.0.0") || !strings.Contains(string(blobs[all[1].New]), "1.1.0") {
				t.Fatalf("the changes' blobs: %q, %v", blobs, err)
			}
			// A file changed often (every 50 commits: 60 changes) keeps
			// 4n of them, not all: 4n are answered from them, more
			// are another walk.
			const often = "c07/values.yaml"
			if _, err := snap.FileHistory(ctx, often, 10, 0); err != nil {
				t.Fatal(err)
			}
			before = r.Stats().UploadPacks
			if h, err := snap.FileHistory(ctx, often, 40, 0); err != nil || len(h) != 40 {
				t.Fatalf("FileHistory 40 of %s: %d changes, %v", often, len(h), err)
			}
			if n := r.Stats().UploadPacks - before; n != 0 {
				t.Errorf("FileHistory 40 after FileHistory 10 made %d requests, want 0", n)
			}
			if h, err := snap.FileHistory(ctx, often, 41, 0); err != nil || len(h) != 41 {
				t.Fatalf("FileHistory 41 of %s: %d changes, %v", often, len(h), err)
			}
			if n := r.Stats().UploadPacks - before; n == 0 {
				t.Errorf("FileHistory 41 was answered from the 40 changes kept: the whole history's changes are kept without a bound")
			}
			// Another max is another walk.
			before = r.Stats().UploadPacks
			if _, err := snap.FileHistory(ctx, "app/values-prod.yaml", 4, 2000); err != nil {
				t.Fatal(err)
			}
			if n := r.Stats().UploadPacks - before; n == 0 {
				t.Errorf("FileHistory within 2000 commits made no request")
			}
		})
	}
}

// faultOnFetch starts a proxy to s that counts the protocol v2 fetch
// requests in fetches and answers those for which nth holds with fault.
func faultOnFetch(t *testing.T, s *testenv.GitServer, fetches *int, nth func(int) bool, fault testenv.Fault) *testenv.FaultProxy {
	t.Helper()
	fetch := testenv.GitV2Command("fetch")
	p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
		Match: func(r *http.Request) bool {
			if !fetch(r) {
				return false
			}
			*fetches++
			return nth(*fetches)
		},
		Fault: fault,
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

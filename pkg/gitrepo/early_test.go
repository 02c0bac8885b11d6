package gitrepo_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestFetchFor checks, on each protocol path, that FetchFor gives a
// snapshot whose files and history read as Fetch's do, and that only a
// stateless v2 session (HTTP) sends the request for them while the trees
// are still being read: then reading them sends nothing more.
func TestFetchFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		early int
		open  func(t *testing.T) *gitrepo.Repo
	}{
		{"http v2", gitrepo.PathV2, 1, func(t *testing.T) *gitrepo.Repo {
			return open(t, sixCommits(t).URL("charts"))
		}},
		{"http v0", gitrepo.PathV0, 0, func(t *testing.T) *gitrepo.Repo {
			return open(t, sixCommits(t, testenv.WithProtocolV2(false)).URL("charts"))
		}},
		{"ssh v2", gitrepo.PathV2, 0, func(t *testing.T) *gitrepo.Repo {
			root := filepath.Dir(sixCommits(t).Dir("charts"))
			key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
			if err != nil {
				t.Fatal(err)
			}
			sshd, knownHosts := testenv.NewSSHD(t, key, root, testenv.WithAcceptEnv("GIT_PROTOCOL"))
			return open(t, sshd.URL("charts"), gitrepo.WithSSHKey(key.Path, ""), gitrepo.WithKnownHosts(knownHosts), gitrepo.WithTimeout(5*time.Second))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.open(t)
			ctx := context.Background()
			snap, err := r.FetchFor(ctx, "main", 3, "app/values-prod.yaml", "app/values.yaml", "app/values.yaml", "nope/values.yaml", "app", "README.md/x")
			if err != nil {
				t.Fatal(err)
			}
			st := r.Stats()
			if st.Path != tc.path || st.EarlyFetches != tc.early {
				t.Fatalf("stats %+v: want path %s and %d early fetches", st, tc.path, tc.early)
			}
			if tc.early == 1 && (st.UploadPacks != 2 || st.BlobsFetched != 2) {
				t.Fatalf("stats %+v: want 2 upload-packs (trees, then blobs and history) and 2 blobs", st)
			}
			for p, want := range map[string]string{"app/values-prod.yaml": "image:\n  tag: \"0.9.0\"\n", "app/values.yaml": seedFiles()["app/values.yaml"], "web/values-prod.yaml": "image:\n  tag: \"1.0.4\"\n"} {
				if b, err := snap.ReadFile(ctx, p); err != nil || string(b) != want {
					t.Fatalf("ReadFile(%s) = %q, %v; want %q", p, b, err, want)
				}
			}
			log, err := snap.Log(ctx, 3)
			if err != nil || len(log) != 3 || !strings.HasPrefix(log[2].Message, "commit") {
				t.Fatalf("Log(3): %d commits, %v", len(log), err)
			}
			if err := snap.PrefetchWithLog(ctx, 3, "app/values-prod.yaml", "app/values.yaml"); err != nil {
				t.Fatal(err)
			}
			// web/values-prod.yaml was not asked for: one request, for
			// its blob alone.
			after := r.Stats()
			if n, objs := after.UploadPacks-st.UploadPacks, after.ObjectsFetched-st.ObjectsFetched; tc.early == 1 && (n != 1 || objs != 1) {
				t.Errorf("reads after FetchFor sent %d upload-pack requests for %d objects, want 1 for 1 (the file it was not told of)", n, objs)
			}
		})
	}
}

// TestFetchForEarlyFails fails the early request: the snapshot is the
// trees', and its reads fetch the files and history themselves.
func TestFetchForEarlyFails(t *testing.T) {
	s := sixCommits(t)
	var posts atomic.Int64 // ls-refs, trees, then the early request
	p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
		Match: func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") && posts.Add(1) == 3
		},
		Fault: testenv.Fault{Kind: testenv.FaultStatus, Status: http.StatusInternalServerError},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var logs testenv.SyncBuffer
	r := open(t, p.URL(s.URL("charts")), gitrepo.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := context.Background()
	snap, err := r.FetchFor(ctx, "main", 3, "app/values-prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); p.FaultsOf(testenv.FaultStatus) != 1 || st.EarlyFetches != 0 || st.BlobsFetched != 0 || st.UploadPacks != 2 {
		t.Fatalf("stats %+v after %d faults: want the early request failed, counted, and nothing of it kept", st, p.FaultsOf(testenv.FaultStatus))
	}
	if !strings.Contains(logs.String(), "early request for files and history failed") || !strings.Contains(logs.String(), "500") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	if b, err := snap.ReadFile(ctx, "app/values-prod.yaml"); err != nil || string(b) != "image:\n  tag: \"0.9.0\"\n" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if log, err := snap.Log(ctx, 3); err != nil || len(log) != 3 {
		t.Fatalf("Log(3): %d commits, %v", len(log), err)
	}
}

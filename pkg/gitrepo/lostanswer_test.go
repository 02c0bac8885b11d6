package gitrepo_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestPushEmptyAnswer answers a push that asked for report-status with
// HTTP 200 and an empty body, or with a report that has no status for the
// pushed branch (git's "remote failed to report status"), once after the
// server took the push and once without forwarding it: either way Push must
// not report success, but an error wrapping ErrNetwork (the answer was
// lost: the next fetch decides).
func TestPushEmptyAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind testenv.FaultKind
		body []byte
	}{
		{"empty-after", testenv.FaultEmptyAfter, nil},
		{"empty", testenv.FaultEmpty, nil},
		{"unpack-ok-only-after", testenv.FaultBodyAfter, testenv.GitReportStatus("unpack ok")},
		{"unpack-ok-only", testenv.FaultBody, testenv.GitReportStatus("unpack ok")},
		{"other-ref-ok-after", testenv.FaultBodyAfter, testenv.GitReportStatus("unpack ok", "ok refs/heads/other")},
		{"other-ref-ok", testenv.FaultBody, testenv.GitReportStatus("unpack ok", "ok refs/heads/other")},
	} {
		kind := tc.kind
		t.Run(tc.name, func(t *testing.T) {
			s := testenv.NewGitServer(t)
			dir := s.MustCreateRepo(t, "charts", seedFiles())
			before := testenv.MustGit(t, dir, "rev-parse", "main")
			p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
				Match: func(r *http.Request) bool {
					return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
				},
				Fault: testenv.Fault{Kind: kind, Body: tc.body},
			}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			r := open(t, p.URL(s.URL("charts")))
			c := bump(t, r, "app/values.yaml", `"1.0.0"`, `"1.1.0"`)
			err = r.Push(context.Background(), c)
			if err == nil {
				t.Fatal("Push returned nil for an empty answer")
			}
			if !errors.Is(err, gitrepo.ErrNetwork) || errors.Is(err, gitrepo.ErrRace) {
				t.Errorf("Push: %v, want an error wrapping ErrNetwork and not ErrRace", err)
			}
			if p.FaultsOf(kind) != 1 {
				t.Fatalf("the proxy injected %d faults, want 1", p.FaultsOf(kind))
			}
			want := before
			if kind == testenv.FaultEmptyAfter || kind == testenv.FaultBodyAfter {
				want = c.Hash.String()
			}
			if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != want {
				t.Errorf("main = %s, want %s", got, want)
			}
		})
	}
}

// TestBlobFetchCutIsNotRefusedFilter cuts the connection of the blob read
// by hash in a repository whose URL says "filter": that is a network
// error, and must not switch the Repo to full fetches.
func TestBlobFetchCutIsNotRefusedFilter(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "filter-charts", seedFiles())
	var reading atomic.Bool // the first upload-pack request once set is the blob read
	p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
		Match: func(r *http.Request) bool {
			return reading.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack")
		},
		Times: 1,
		Fault: testenv.Fault{Kind: testenv.FaultReset},
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	r := open(t, p.URL(s.URL("filter-charts")))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	reading.Store(true)
	_, err = snap.ReadFile(ctx, "app/values.yaml")
	if !errors.Is(err, gitrepo.ErrNetwork) {
		t.Errorf("ReadFile with the connection reset: %v, want ErrNetwork", err)
	}
	if st := r.Stats(); st.Fallbacks != 0 {
		t.Errorf("stats %+v: a network error switched to the full fetch", st)
	}
	if p.FaultsOf(testenv.FaultReset) != 1 {
		t.Fatalf("the proxy injected %d resets, want 1", p.FaultsOf(testenv.FaultReset))
	}
	// The next fetch still takes the partial path.
	snap, err = r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snap.ReadFile(ctx, "app/values.yaml"); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Fallbacks != 0 || st.BlobsFetched != 1 {
		t.Errorf("stats %+v: want the partial path, one blob fetched", st)
	}
}

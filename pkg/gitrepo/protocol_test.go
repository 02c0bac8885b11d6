package gitrepo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// allowFilterOnly is the usual self-hosted set-up: partial clone on, wants
// by id in protocol v0 off (git's default).
var allowFilterOnly = []testenv.GitServerOption{
	testenv.WithAllowFilter(false), testenv.WithConfig("uploadpack.allowFilter", "true"),
}

// Each server set-up takes the path it should, asserted from the client's
// stats and the server's request log, and the bump lands either way.
func TestProtocolPathsHTTP(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []testenv.GitServerOption
		path     string
		v2       bool  // requests carry Git-Protocol: version=2
		requests int64 // HTTP requests of DefaultBranch, Fetch, ReadFile, Push
	}{
		// info/refs (v2), ls-refs HEAD, fetch trees, fetch blob, push
		{"allowFilter only", allowFilterOnly, gitrepo.PathV2, true, 5},
		// info/refs (v2), ls-refs HEAD, fetch (full), push
		{"defaults", []testenv.GitServerOption{testenv.WithAllowFilter(false)}, gitrepo.PathFull, true, 4},
		// info/refs (v0, kept for the fetch) and the early ls-refs that a
		// v0 server cannot parse, fetch trees, fetch blob, push
		{"v0 with want by id", []testenv.GitServerOption{testenv.WithProtocolV2(false)}, gitrepo.PathV0, false, 5},
		// info/refs (v0, kept), the early ls-refs, go-git's full fetch:
		// info/refs, fetch; push
		{"v0 allowFilter only", append([]testenv.GitServerOption{testenv.WithProtocolV2(false)}, allowFilterOnly...), gitrepo.PathFull, false, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testenv.NewGitServer(t, tc.opts...)
			dir := s.MustCreateRepo(t, "charts", seedFiles())
			r := open(t, s.URL("charts"))
			ctx := context.Background()
			if b, err := r.DefaultBranch(ctx); err != nil || b != "main" {
				t.Fatalf("DefaultBranch = %q, %v", b, err)
			}
			c := bump(t, r, "api/values-prod.yaml", `"0.9.0"`, `"1.0.0"`)
			if err := r.Push(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
				t.Fatalf("server main = %s, want %s", got, c.Hash)
			}
			st := r.Stats()
			if st.Path != tc.path {
				t.Errorf("path %q, want %q (stats %+v)", st.Path, tc.path, st)
			}
			if (s.V2Requests() > 0) != tc.v2 {
				t.Errorf("%d of %d requests asked for protocol v2, want v2 = %v", s.V2Requests(), s.Requests(), tc.v2)
			}
			if s.Requests() != tc.requests {
				t.Errorf("%d HTTP requests, want %d", s.Requests(), tc.requests)
			}
			if st.PushAdvertisements != 0 {
				t.Errorf("HTTP push asked for %d advertisements, want none", st.PushAdvertisements)
			}
			wantBlobs := map[string]int{gitrepo.PathV2: 1, gitrepo.PathV0: 1, gitrepo.PathFull: 0}[tc.path]
			if st.BlobsFetched != wantBlobs {
				t.Errorf("blobs fetched %d, want %d", st.BlobsFetched, wantBlobs)
			}
			// A retry on the same Repo takes the same path.
			c2 := bump(t, r, "web/values-prod.yaml", `"0.9.0"`, `"1.0.0"`)
			if err := r.Push(ctx, c2); err != nil {
				t.Fatal(err)
			}
			if got := r.Stats().Path; got != tc.path {
				t.Errorf("second fetch took path %q, want %q", got, tc.path)
			}
			testenv.MustGit(t, dir, "fsck", "--strict")

			_, err := r.Fetch(ctx, "nope")
			if !errors.Is(err, gitrepo.ErrNotFound) || strings.Count(err.Error(), "fetch ") != 1 || !strings.Contains(err.Error(), `branch "nope"`) {
				t.Errorf("fetch of a missing branch: %v, want one ErrNotFound naming the branch", err)
			}
			// An empty repository says so, whether the branch is given or not.
			testenv.MustGit(t, s.Root, "init", "-q", "--bare", "-b", "main", "empty.git")
			e := open(t, s.URL("empty"))
			if _, err := e.DefaultBranch(ctx); !errors.Is(err, gitrepo.ErrNotFound) || !strings.Contains(err.Error(), "empty") {
				t.Errorf("default branch of an empty repository: %v", err)
			}
			if _, err := e.Fetch(ctx, "main"); !errors.Is(err, gitrepo.ErrNotFound) || !strings.Contains(err.Error(), "empty") {
				t.Errorf("fetch of an empty repository: %v", err)
			}
		})
	}
}

// Over SSH the client asks for GIT_PROTOCOL=version=2: an sshd with
// AcceptEnv GIT_PROTOCOL gets protocol v2 and the partial path on a
// repository that only allows filters; without it, the server answers in
// v0 and the path depends on the v0 capabilities.
func TestProtocolPathsSSH(t *testing.T) {
	for _, tc := range []struct {
		name      string
		acceptEnv bool
		anySHA1   bool // uploadpack.allowAnySHA1InWant
		noFilter  bool // uploadpack.allowFilter off too
		path      string
	}{
		{"AcceptEnv GIT_PROTOCOL, allowFilter only", true, false, false, gitrepo.PathV2},
		{"AcceptEnv GIT_PROTOCOL, git defaults", true, false, true, gitrepo.PathFull},
		{"no AcceptEnv, want by id", false, true, false, gitrepo.PathV0},
		{"no AcceptEnv, allowFilter only", false, false, false, gitrepo.PathFull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), seedFiles())
			if err != nil {
				t.Fatal(err)
			}
			if !tc.anySHA1 {
				testenv.MustGit(t, dir, "config", "--unset", "uploadpack.allowAnySHA1InWant")
			}
			if tc.noFilter {
				testenv.MustGit(t, dir, "config", "--unset", "uploadpack.allowFilter")
			}
			key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
			if err != nil {
				t.Fatal(err)
			}
			var opts []testenv.SSHDOption
			if tc.acceptEnv {
				opts = append(opts, testenv.WithAcceptEnv("GIT_PROTOCOL"))
			}
			sshd, knownHosts := testenv.NewSSHD(t, key, root, opts...)
			// The timeout ends a stalled exchange; 5 s was too short for
			// sshd on 2 loaded cores (no answer within 5s in two runs).
			r := open(t, sshd.URL("charts"), gitrepo.WithSSHKey(key.Path, ""), gitrepo.WithKnownHosts(knownHosts), gitrepo.WithTimeout(30*time.Second))
			ctx := context.Background()
			if b, err := r.DefaultBranch(ctx); err != nil || b != "main" {
				t.Fatalf("DefaultBranch = %q, %v", b, err)
			}
			for i, file := range []string{"app/values-prod.yaml", "web/values-prod.yaml"} {
				c := bump(t, r, file, `"0.9.0"`, `"1.0.0"`)
				if err := r.Push(ctx, c); err != nil {
					t.Fatal(err)
				}
				if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() {
					t.Fatalf("server main = %s, want %s", got, c.Hash)
				}
				if st := r.Stats(); st.Path != tc.path || st.PushAdvertisements != i+1 {
					t.Errorf("bump %d: stats %+v, want path %q and one receive-pack advertisement per push", i+1, st, tc.path)
				}
			}
			testenv.MustGit(t, dir, "fsck", "--strict")
			// One connection carries the v2 conversation (or the attempt
			// at it) and both pushes. Without v2, go-git's transport
			// connects for each v0 command: the default branch, then per
			// bump the advertisement and the blob (v0), or the first
			// bump's advertisement and each full fetch.
			want := map[string]int{gitrepo.PathV2: 1, gitrepo.PathV0: 1 + 1 + 2*2, gitrepo.PathFull: 1 + 1 + 1 + 2}[tc.path]
			if tc.acceptEnv {
				want = 1 // the full fetch too, in v2
			}
			if got := sshd.Logins(); got != want {
				t.Errorf("%d SSH connections, want %d", got, want)
			}
		})
	}
}

// TestSSHSecondDeepen: git's upload-pack keeps, for the rest of an SSH
// connection, the shallow boundary of its first deepen, and answers a
// second deepen there with the whole history. The guard's history (deepen
// 3 after the fetch's deepen 1) and a retry's fetch must each get only what
// they ask.
func TestSSHSecondDeepen(t *testing.T) {
	root := t.TempDir()
	dir, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), seedFiles())
	if err != nil {
		t.Fatal(err)
	}
	testenv.MustGit(t, dir, "config", "--unset", "uploadpack.allowAnySHA1InWant")
	s := testenv.NewGitServer(t, testenv.WithRoot(root))
	for i := range 20 {
		if _, err := s.CommitFiles("charts", "main", map[string]string{"README.md": fmt.Sprintf("charts %d\n", i)}, fmt.Sprintf("commit %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root, testenv.WithAcceptEnv("GIT_PROTOCOL"))
	r := open(t, sshd.URL("charts"), gitrepo.WithSSHKey(key.Path, ""), gitrepo.WithKnownHosts(knownHosts))
	ctx := context.Background()
	snap, err := r.Fetch(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	first := r.Stats().ObjectsFetched
	if err := snap.PrefetchWithLog(ctx, 3, "app/values-prod.yaml"); err != nil {
		t.Fatal(err)
	}
	// 3 commits (the tip again among them) and the blob
	if got := r.Stats().ObjectsFetched - first; got != 4 {
		t.Errorf("the history prefetch fetched %d objects, want 4 (3 commits, 1 blob)", got)
	}
	if log, err := snap.Log(ctx, 3); err != nil || len(log) != 3 {
		t.Fatalf("Log = %d commits, %v", len(log), err)
	}
	before := r.Stats().ObjectsFetched
	if _, err := r.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if got := r.Stats().ObjectsFetched - before; got != first {
		t.Errorf("the second fetch got %d objects, the first %d: want the same", got, first)
	}
	if st := r.Stats(); st.Path != gitrepo.PathV2 {
		t.Errorf("path %q, want v2", st.Path)
	}
}

// TestEarlyLsRefs: over HTTP the first ls-refs goes out together with the
// capabilities request, not after its answer. A proxy holds the GET of
// info/refs until the ls-refs POST has arrived: a client that waited for
// the GET's answer first would only get it after the proxy gives up.
func TestEarlyLsRefs(t *testing.T) {
	s := testenv.NewGitServer(t, allowFilterOnly...)
	s.MustCreateRepo(t, "charts", seedFiles())
	target, err := url.Parse("http://" + s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	lsRefs := make(chan struct{}) // closed by the first ls-refs of a round
	arrived := func() <-chan struct{} { mu.Lock(); defer mu.Unlock(); return lsRefs }
	var gaveUp atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/info/refs"):
			select {
			case <-arrived():
			case <-time.After(10 * time.Second):
				gaveUp.Store(true)
			}
		case r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			select {
			case <-lsRefs:
			default:
				if bytes.Contains(body, []byte("command=ls-refs")) {
					close(lsRefs)
				}
			}
			mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	for _, branch := range []string{"", "main"} { // DefaultBranch, then Fetch first
		r := open(t, proxy.URL+"/charts.git")
		ctx := context.Background()
		if branch == "" {
			if b, err := r.DefaultBranch(ctx); err != nil || b != "main" {
				t.Fatalf("DefaultBranch = %q, %v", b, err)
			}
		}
		if _, err := r.Fetch(ctx, "main"); err != nil {
			t.Fatal(err)
		}
		if st := r.Stats(); st.EarlyLsRefs != 1 || st.Path != gitrepo.PathV2 {
			t.Errorf("stats %+v: want the early ls-refs used once, path v2", st)
		}
		if gaveUp.Load() {
			t.Fatal("the client waited for the capabilities before it sent ls-refs")
		}
		mu.Lock()
		lsRefs = make(chan struct{})
		mu.Unlock()
	}
}

// TestEarlyLsRefsRedirect: when info/refs is redirected, the fetch commands
// and the push go where it was found (as git does), and the early ls-refs,
// sent to the old place, is not used: the branch is listed again at the new
// one.
func TestEarlyLsRefsRedirect(t *testing.T) {
	s := testenv.NewGitServer(t, allowFilterOnly...)
	dir := s.MustCreateRepo(t, "charts", seedFiles())
	var moved atomic.Int64
	proxy := httptest.NewServer(redirect("/old/", "http://"+s.Addr()+"/", &moved, nil))
	defer proxy.Close()
	r := open(t, proxy.URL+"/old/charts.git")
	c := bump(t, r, "app/values-prod.yaml", `"0.9.0"`, `"1.0.0"`) // fetch and read
	if st := r.Stats(); st.EarlyLsRefs != 0 || st.Path != gitrepo.PathV2 {
		t.Errorf("stats %+v: want the early ls-refs dropped after the redirect, path v2", st)
	}
	// info/refs and the early ls-refs went to the old place.
	if moved.Load() != 2 {
		t.Errorf("%d requests redirected, want 2", moved.Load())
	}
	if err := r.Push(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() || moved.Load() != 2 {
		t.Fatalf("server main = %s, want %s; the push was redirected: %v", got, c.Hash, moved.Load() != 2)
	}
}

// redirect answers requests under from with a 301 to the same path under
// to; anything else goes to next (404 when nil). moved counts redirects.
func redirect(from, to string, moved *atomic.Int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, from)
		if !ok {
			if next == nil {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		moved.Add(1)
		u := to + rest
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, u, http.StatusMovedPermanently)
	})
}

// TestRedirectCredentials: with credentials, a redirect within the origin
// is followed by the fetch and the push; one to another origin is refused
// before anything is sent there.
func TestRedirectCredentials(t *testing.T) {
	s := testenv.NewGitServer(t, append(slices.Clone(allowFilterOnly), testenv.WithBasicAuth("bot", "tok3n"))...)
	dir := s.MustCreateRepo(t, "charts", seedFiles())
	target, err := url.Parse("http://" + s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	var moved atomic.Int64
	same := httptest.NewServer(redirect("/old/", "/", &moved, httputil.NewSingleHostReverseProxy(target)))
	defer same.Close()
	r := open(t, same.URL+"/old/charts.git", gitrepo.WithHTTPAuth("bot", "tok3n"))
	c := bump(t, r, "app/values-prod.yaml", `"0.9.0"`, `"1.0.0"`)
	if err := r.Push(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != c.Hash.String() || moved.Load() != 2 {
		t.Fatalf("server main = %s, want %s; %d redirected", got, c.Hash, moved.Load())
	}

	// 127.0.0.1 to localhost: another origin.
	other := httptest.NewServer(redirect("/old/", "http://localhost:"+target.Port()+"/", &moved, nil))
	defer other.Close()
	before := s.Requests()
	r = open(t, other.URL+"/old/charts.git", gitrepo.WithHTTPAuth("bot", "tok3n"))
	_, err = r.Fetch(context.Background(), "main")
	if !errors.Is(err, gitrepo.ErrBadAddress) || !strings.Contains(err.Error(), "redirects to http://localhost:"+target.Port()) || strings.Contains(err.Error(), "tok3n") {
		t.Fatalf("Fetch after a redirect to another origin: %v, want ErrBadAddress naming the new place", err)
	}
	if n := s.Requests() - before; n != 0 {
		t.Errorf("%d requests reached the other origin", n)
	}
}

package bump_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// The tests of Run's loop run against git's own http-backend, through a
// fault proxy where a network fault is needed, with a backoff that returns
// 0 and records each pause: they assert how often the loop went round,
// never how long it took.

const values = "image:\n  repository: registry.example.com/app\n  tag: 1.0.0\n"

// pauses records the backoff calls of one Run and returns no pause. When
// limit calls were made it cancels the run, so a loop that would go on
// forever ends and fails the test instead of hanging it.
type pauses struct {
	mu     sync.Mutex
	calls  []int
	limit  int
	cancel context.CancelFunc
	logs   bytes.Buffer // what Run logged, read after it returned
}

// log is the option that sends Run's log to p.logs.
func (p *pauses) log() bump.Option {
	return bump.WithLogger(slog.New(slog.NewTextHandler(&p.logs, nil)))
}

// logged fails t unless Run logged msg n times.
func (p *pauses) logged(t *testing.T, msg string, n int) {
	t.Helper()
	if got := strings.Count(p.logs.String(), msg); got != n {
		t.Errorf("logged %q %d times, want %d; the log:\n%s", msg, got, n, p.logs.String())
	}
}

func (p *pauses) backoff(attempt int) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, attempt)
	if p.limit > 0 && len(p.calls) >= p.limit {
		p.cancel()
	}
	return 0
}

func (p *pauses) got() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.calls...)
}

// loop starts a git server with a charts repository and returns it, the
// repository's directory and a context that pauses can cancel.
func loop(t *testing.T) (*testenv.GitServer, string, context.Context, *pauses) {
	t.Helper()
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": values})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return srv, dir, ctx, &pauses{limit: 100, cancel: cancel}
}

func req(repo, tag string) bump.Request {
	sig := object.Signature{Name: "ci", Email: "ci@example.com"}
	return bump.Request{
		Repo: repo, Chart: "app", Envs: []string{"staging"},
		Image:  imageref.Ref{Registry: "registry.example.com", Repository: "app", Tag: tag},
		Author: sig, Committer: sig,
	}
}

func proxy(t *testing.T, srv *testenv.GitServer, rules ...*testenv.FaultRule) *testenv.FaultProxy {
	t.Helper()
	var opts []testenv.FaultProxyOption
	for _, r := range rules {
		opts = append(opts, testenv.WithFaultRule(r))
	}
	p, err := testenv.StartFaultProxy(srv.Addr(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// subjects returns the commit subjects on main, newest first.
func subjects(t *testing.T, dir string) []string {
	t.Helper()
	return strings.Split(testenv.MustGit(t, dir, "log", "--format=%s", "main"), "\n")
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// raceHook moves main before each of the first n pushes, as a rival
// pipeline would, so that each of them loses the race.
func raceHook(n int) string {
	return `#!/bin/sh
unset GIT_QUARANTINE_PATH
count=$(cat "$GIT_DIR/raced" 2>/dev/null || echo 0)
[ "$count" -ge ` + string(rune('0'+n)) + ` ] && exit 0
echo $((count + 1)) >"$GIT_DIR/raced"
tip=$(git rev-parse refs/heads/main)
c=$(echo "rival $count" | GIT_AUTHOR_NAME=r GIT_AUTHOR_EMAIL=r@x GIT_COMMITTER_NAME=r GIT_COMMITTER_EMAIL=r@x git commit-tree $tip^{tree} -p $tip)
git update-ref refs/heads/main $c $tip
`
}

// TestRunRaces: each lost race is one more attempt, with a pause numbered
// by the attempt, and the bump lands on top of the rivals' commits; when
// every attempt loses, Run gives up after MaxAttempts with a ConflictError.
func TestRunRaces(t *testing.T) {
	t.Parallel()
	srv, dir, ctx, p := loop(t)
	if err := srv.SetHook("charts", "pre-receive", raceHook(2)); err != nil {
		t.Fatal(err)
	}
	res, err := bump.Run(ctx, req(srv.URL("charts"), "1.1.0"), bump.WithBackoff(p.backoff), p.log())
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 3 || !res.Pushed || res.Outcome != bump.Changed || res.LostPushLanded {
		t.Errorf("result %+v, want pushed on attempt 3", res)
	}
	if got := p.got(); !equal(got, []int{1, 2}) {
		t.Errorf("backoff calls %v, want [1 2]", got)
	}
	p.logged(t, "branch moved, redoing the bump", 2)
	p.logged(t, "answer was lost", 0)
	if tip := testenv.MustGit(t, dir, "rev-parse", "main"); tip != res.Commit {
		t.Errorf("main is %s, result says %s", tip, res.Commit)
	}
	if got := subjects(t, dir); len(got) != 4 || !strings.Contains(got[0], "1.1.0") || got[1] != "rival 1" || got[2] != "rival 0" {
		t.Errorf("history %q, want the bump on top of two rival commits", got)
	}

	// Every push loses: MaxAttempts attempts, MaxAttempts-1 pauses.
	srv2, dir2, ctx2, p2 := loop(t)
	if err := srv2.SetHook("charts", "pre-receive", raceHook(9)); err != nil {
		t.Fatal(err)
	}
	r := req(srv2.URL("charts"), "1.1.0")
	r.MaxAttempts = 3
	res, err = bump.Run(ctx2, r, bump.WithBackoff(p2.backoff))
	var ce *bump.ConflictError
	if !errors.As(err, &ce) || ce.Attempts != 3 || ce.Branch != "main" || res != nil {
		t.Fatalf("Run = %+v, %v; want a ConflictError after 3 attempts", res, err)
	}
	if got := p2.got(); !equal(got, []int{1, 2}) {
		t.Errorf("backoff calls %v, want [1 2]", got)
	}
	if got := subjects(t, dir2); len(got) != 4 || strings.Contains(strings.Join(got, "\n"), "1.1.0") {
		t.Errorf("history %q, want three rival commits and no bump", got)
	}
}

// TestRunLostAnswer: a push whose answer is lost (the connection reset, or
// HTTP 200 with an empty body instead of report-status) may or may not
// have landed, and the next fetch decides. When it landed, the bump is
// done in one attempt with that commit; when it did not, the bump is
// redone and pushed on attempt 2. Either way there is one pause and one
// bump commit.
func TestRunLostAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind     testenv.FaultKind
		attempts int
	}{
		{testenv.FaultResetAfter, 1}, // landed
		{testenv.FaultEmptyAfter, 1}, // landed
		{testenv.FaultReset, 2},      // not landed
		{testenv.FaultEmpty, 2},      // not landed
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			t.Parallel()
			srv, dir, ctx, p := loop(t)
			fp := proxy(t, srv, &testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: tc.kind}})
			res, err := bump.Run(ctx, req(fp.URL(srv.URL("charts")), "1.1.0"), bump.WithBackoff(p.backoff), p.log())
			if err != nil {
				t.Fatal(err)
			}
			if fp.FaultsOf(tc.kind) != 1 {
				t.Fatalf("the fault did not fire")
			}
			tip := testenv.MustGit(t, dir, "rev-parse", "main")
			if !res.Pushed || res.Commit != tip || res.Attempts != tc.attempts || res.Outcome != bump.Changed || res.LostPushLanded {
				t.Errorf("result %+v, want pushed as %s (the tip) on attempt %d", res, tip, tc.attempts)
			}
			if got := p.got(); !equal(got, []int{1}) {
				t.Errorf("backoff calls %v, want [1]", got)
			}
			p.logged(t, "push answer lost, checking the branch", 1)
			p.logged(t, "the push whose answer was lost had landed", map[int]int{1: 1, 2: 0}[tc.attempts])
			p.logged(t, "branch moved", 0)
			if got := subjects(t, dir); len(got) != 2 {
				t.Errorf("history %q, want one bump commit", got)
			}
		})
	}
}

// TestRunLostAnswerLandedThenRival: the lost push landed and another
// pipeline pushed on top before the check, touching another file or
// deploying another tag (one the downgrade guard cannot compare). The
// history shows the push: the bump reports it changed, with that commit,
// on attempt 1, and pushes nothing more, so the rival's tag stays.
func TestRunLostAnswerLandedThenRival(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, content string
	}{
		{"another file", "README.md", "rival\n"},
		{"another tag", "app/values-staging.yaml", "image:\n  repository: registry.example.com/app\n  tag: hotfix-7\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, dir, ctx, p := loop(t)
			fp := proxy(t, srv, &testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: testenv.FaultResetAfter}})
			// The hook runs after the lost push landed, when the loop
			// fetches again: a rival commit on top.
			rival := func(attempt int) time.Duration {
				if _, err := srv.CommitFiles("charts", "main", map[string]string{tc.file: tc.content}, "rival"); err != nil {
					t.Error(err)
				}
				return p.backoff(attempt)
			}
			res, err := bump.Run(ctx, req(fp.URL(srv.URL("charts")), "1.1.0"), bump.WithBackoff(rival), p.log())
			if err != nil {
				t.Fatal(err)
			}
			mine := testenv.MustGit(t, dir, "rev-parse", "main^")
			if !res.Pushed || res.Outcome != bump.Changed || res.Commit != mine || res.LostPushLanded || res.Attempts != 1 || len(res.Files) != 1 || res.Files[0].New != "1.1.0" {
				t.Errorf("result %+v, want changed and pushed as %s (under the rival) on attempt 1", res, mine)
			}
			p.logged(t, "the branch now has the value", 0)
			p.logged(t, "had landed", 1)
			if got := subjects(t, dir); len(got) != 3 || got[0] != "rival" {
				t.Errorf("history %q, want the bump and the rival commit only", got)
			}
			if got := testenv.MustGit(t, dir, "show", "main:"+tc.file); got != strings.TrimSuffix(tc.content, "\n") {
				t.Errorf("the rival's %s was overwritten: %q", tc.file, got)
			}
		})
	}
}

// TestRunLostAnswerHistoryFails: after a lost push that landed under a
// rival's commit, the request for the history that would show it fails
// (--allow-rolled-back: the history is not fetched with the files). That is
// a network error, retried, not a "not landed": the next attempt finds the
// push.
func TestRunLostAnswerHistoryFails(t *testing.T) {
	t.Parallel()
	srv, dir, ctx, p := loop(t)
	history := func(r *http.Request) bool {
		if !testenv.GitPost("git-upload-pack")(r) {
			return false
		}
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		return bytes.Contains(b, []byte("deepen 50"))
	}
	fp := proxy(t, srv,
		&testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: testenv.FaultResetAfter}},
		&testenv.FaultRule{Match: history, Times: 1, Fault: testenv.Fault{Kind: testenv.FaultReset}})
	var once sync.Once
	rival := func(attempt int) time.Duration {
		once.Do(func() {
			if _, err := srv.CommitFiles("charts", "main", map[string]string{"README.md": "rival\n"}, "rival"); err != nil {
				t.Error(err)
			}
		})
		return p.backoff(attempt)
	}
	r := req(fp.URL(srv.URL("charts")), "1.1.0")
	r.AllowRolledBack = true
	res, err := bump.Run(ctx, r, bump.WithBackoff(rival), p.log())
	if err != nil {
		t.Fatal(err)
	}
	mine := testenv.MustGit(t, dir, "rev-parse", "main^")
	if fp.FaultsOf(testenv.FaultReset) != 1 || !res.Pushed || res.Outcome != bump.Changed || res.Commit != mine || res.LostPushLanded {
		t.Errorf("result %+v after %d history faults, want changed and pushed as %s", res, fp.FaultsOf(testenv.FaultReset), mine)
	}
	if got := subjects(t, dir); len(got) != 3 || got[0] != "rival" {
		t.Errorf("history %q, want the bump and the rival commit only", got)
	}
}

// TestRunLostAnswerRivalSetIt: the lost push did not land, and another
// pipeline's commit set the same value meanwhile: unchanged, with
// LostPushLanded, and nothing more pushed.
func TestRunLostAnswerRivalSetIt(t *testing.T) {
	t.Parallel()
	srv, dir, ctx, p := loop(t)
	fp := proxy(t, srv, &testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Times: 1, Fault: testenv.Fault{Kind: testenv.FaultReset}})
	rival := func(attempt int) time.Duration {
		if _, err := srv.CommitFiles("charts", "main", map[string]string{"app/values-staging.yaml": "image:\n  repository: registry.example.com/app\n  tag: \"1.1.0\"\n"}, "rival"); err != nil {
			t.Error(err)
		}
		return p.backoff(attempt)
	}
	res, err := bump.Run(ctx, req(fp.URL(srv.URL("charts")), "1.1.0"), bump.WithBackoff(rival), p.log())
	if err != nil {
		t.Fatal(err)
	}
	if res.Pushed || res.Outcome != bump.Unchanged || !res.LostPushLanded || res.Attempts != 2 {
		t.Errorf("result %+v, want unchanged with LostPushLanded on attempt 2", res)
	}
	p.logged(t, "the branch now has the value", 1)
	if got := subjects(t, dir); len(got) != 2 || got[0] != "rival" {
		t.Errorf("history %q, want the rival commit only", got)
	}
}

// TestRunLostAnswerAtLastAttempt: when the last attempt's answer is
// lost and it did not land, the error says so.
func TestRunLostAnswerAtLastAttempt(t *testing.T) {
	t.Parallel()
	for _, kind := range []testenv.FaultKind{testenv.FaultReset, testenv.FaultEmpty} {
		t.Run(kind.String(), func(t *testing.T) {
			t.Parallel()
			srv, dir, ctx, p := loop(t)
			fp := proxy(t, srv, &testenv.FaultRule{Match: testenv.GitPost("git-receive-pack"), Fault: testenv.Fault{Kind: kind}})
			r := req(fp.URL(srv.URL("charts")), "1.1.0")
			r.MaxAttempts = 2
			res, err := bump.Run(ctx, r, bump.WithBackoff(p.backoff))
			if err == nil || !errors.Is(err, gitrepo.ErrNetwork) || !strings.Contains(err.Error(), "answer was lost") || res != nil {
				t.Fatalf("Run = %+v, %v; want a network error saying the last answer was lost", res, err)
			}
			if n := fp.FaultsOf(kind); n != 2 {
				t.Errorf("%d pushes, want 2 (MaxAttempts)", n)
			}
			if got := p.got(); !equal(got, []int{1}) {
				t.Errorf("backoff calls %v, want [1]", got)
			}
			if got := subjects(t, dir); len(got) != 1 {
				t.Errorf("history %q, want the initial commit only", got)
			}
		})
	}
}

// TestRunNetworkRetriesBounded: consecutive transient errors are retried
// WithNetworkRetries times, each after a pause numbered 1, 2, ..., and
// then returned; the count starts again after a success.
func TestRunNetworkRetriesBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		branch  string // "" asks for the default branch first
		match   func(*http.Request) bool
		retries int
	}{
		{"fetch", "main", testenv.GitPost("git-upload-pack"), 3},
		{"default branch", "", testenv.GitAdvertise("git-upload-pack"), 2},
		{"no retries", "main", testenv.GitPost("git-upload-pack"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, dir, ctx, p := loop(t)
			fp := proxy(t, srv, &testenv.FaultRule{Match: tc.match, Fault: testenv.Fault{Kind: testenv.FaultStatus, Status: 503}})
			r := req(fp.URL(srv.URL("charts")), "1.1.0")
			r.Branch = tc.branch
			res, err := bump.Run(ctx, r, bump.WithBackoff(p.backoff), bump.WithNetworkRetries(tc.retries))
			if !errors.Is(err, gitrepo.ErrNetwork) || errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("Run = %+v, %v; want the network error after %d retries", res, err, tc.retries)
			}
			want := make([]int, tc.retries)
			for i := range want {
				want[i] = i + 1
			}
			if got := p.got(); !equal(got, want) {
				t.Errorf("backoff calls %v, want %v", got, want)
			}
			if n := fp.FaultsOf(testenv.FaultStatus); n != int64(tc.retries+1) {
				t.Errorf("%d failed requests, want %d", n, tc.retries+1)
			}
			if got := subjects(t, dir); len(got) != 1 {
				t.Errorf("history %q, want the initial commit only", got)
			}
		})
	}

	// Two faults, a success, two faults: with two retries allowed the
	// bump gets through, as the count restarts after the race in between.
	srv, dir, ctx, p := loop(t)
	if err := srv.SetHook("charts", "pre-receive", raceHook(1)); err != nil {
		t.Fatal(err)
	}
	var before, after int
	var mu sync.Mutex
	fp := proxy(t, srv, &testenv.FaultRule{Match: func(r *http.Request) bool {
		if !testenv.GitPost("git-upload-pack")(r) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		// Two faults before the race, two after it.
		n := &before
		if _, err := os.Stat(filepath.Join(dir, "raced")); err == nil {
			n = &after
		}
		*n++
		return *n <= 2
	}, Fault: testenv.Fault{Kind: testenv.FaultStatus, Status: 503}})
	res, err := bump.Run(ctx, req(fp.URL(srv.URL("charts")), "1.1.0"), bump.WithBackoff(p.backoff), bump.WithNetworkRetries(2))
	if err != nil {
		t.Fatalf("Run: %v (backoff calls %v)", err, p.got())
	}
	if !res.Pushed || res.Attempts != 2 {
		t.Errorf("result %+v, want pushed on attempt 2", res)
	}
	// Two retries, then the race's pause; after it the count starts again
	// (without that, the next fault would end the bump).
	if got := p.got(); len(got) < 4 || !equal(got[:3], []int{1, 2, 1}) {
		t.Errorf("backoff calls %v, want [1 2 1 ...]: two retries, the race's pause, then retries again", got)
	}
	if fp.FaultsOf(testenv.FaultStatus) != 4 {
		t.Errorf("%d faults, want 4", fp.FaultsOf(testenv.FaultStatus))
	}
	if got := subjects(t, dir); len(got) != 3 {
		t.Errorf("history %q, want the rival's commit and the bump", got)
	}
}

// TestRunWriteDigest: with WriteDigest the image's digest is written next
// to the tag; without a digest to write the bump is refused up front.
func TestRunWriteDigest(t *testing.T) {
	t.Parallel()
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": values + "  digest: \"\"\n"})
	r := req(srv.URL("charts"), "1.1.0")
	r.WriteDigest = true
	res, err := bump.Run(context.Background(), r)
	var ie *bump.InputError
	if !errors.As(err, &ie) || ie.Field != "--digest" || res != nil {
		t.Fatalf("Run without a digest = %+v, %v; want an InputError for --digest", res, err)
	}
	r.Image.Digest = "sha256:" + strings.Repeat("d", 64)
	if res, err = bump.Run(context.Background(), r); err != nil || !res.Pushed || res.Digest != r.Image.Digest {
		t.Fatalf("Run with a digest = %+v, %v", res, err)
	}
	want := "image:\n  repository: registry.example.com/app\n  tag: 1.1.0\n  digest: \"" + r.Image.Digest + "\"\n"
	if got := testenv.MustGit(t, dir, "show", "main:app/values-staging.yaml") + "\n"; got != want {
		t.Errorf("values file:\n%s\nwant:\n%s", got, want)
	}
}

package bump_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// TestRunEmptyPushAnswer runs a bump whose first push is answered with
// HTTP 200 and an empty body: once after the server took the push, once
// without forwarding it. The bump must report the commit that is on the
// branch afterwards, never one that did not land.
func TestRunEmptyPushAnswer(t *testing.T) {
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	for _, tc := range []struct {
		kind     testenv.FaultKind
		attempts int
	}{
		{testenv.FaultEmptyAfter, 1}, // landed: the next fetch finds it
		{testenv.FaultEmpty, 2},      // lost: the second attempt pushes
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s := testenv.NewGitServer(t)
			dir := s.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": "image:\n  repository: registry.example.com/app\n  tag: \"1.0.0\"\n"})
			p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
				Match: func(r *http.Request) bool {
					return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
				},
				Times: 1,
				Fault: testenv.Fault{Kind: tc.kind},
			}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			img, err := imageref.Parse("registry.example.com/app:1.1.0")
			if err != nil {
				t.Fatal(err)
			}
			res, err := bump.Run(context.Background(), bump.Request{
				Repo: p.URL(s.URL("charts")), Branch: "main", Chart: "app", Envs: []string{"staging"},
				Image: img, Author: sig, Committer: sig,
			}, bump.WithBackoff(func(int) time.Duration { return 0 }))
			if err != nil {
				t.Fatal(err)
			}
			tip := testenv.MustGit(t, dir, "rev-parse", "main")
			if !res.Pushed || res.Commit != tip || res.Outcome != bump.Changed || res.Attempts != tc.attempts {
				t.Errorf("result pushed %v commit %s outcome %s attempts %d; want pushed, commit %s (the branch tip), changed, %d attempts",
					res.Pushed, res.Commit, res.Outcome, res.Attempts, tip, tc.attempts)
			}
			if got := testenv.MustGit(t, dir, "rev-list", "--count", "main"); got != "2" {
				t.Errorf("main has %s commits, want 2 (one bump, made once)", got)
			}
			if p.FaultsOf(tc.kind) != 1 {
				t.Errorf("the proxy injected %d faults, want 1", p.FaultsOf(tc.kind))
			}
		})
	}
}

// TestRunEmptyDefaultBranch bumps a repository whose remote HEAD names no
// branch, without --branch: Run must end with an error saying so, not
// loop. The deadline only stops a looping Run; the test fails on it.
func TestRunEmptyDefaultBranch(t *testing.T) {
	img, err := imageref.Parse("registry.example.com/app:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	_, err = bump.Run(ctx, bump.Request{
		Repo: testenv.NewEmptyHeadServer(t), Chart: "app", Envs: []string{"staging"},
		Image: img, Author: sig, Committer: sig,
	}, bump.WithBackoff(func(int) time.Duration { return 0 }))
	if ctx.Err() != nil {
		t.Fatal("Run kept looping on a remote HEAD that names no branch")
	}
	if !errors.Is(err, gitrepo.ErrNotFound) || !strings.Contains(err.Error(), "pass the branch") {
		t.Errorf("Run: %v, want ErrNotFound saying to pass the branch", err)
	}
}

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
// HTTP 200 and an empty body, or with a report that has no status for the
// branch ("unpack ok" and a flush): once after the server took the push,
// once without forwarding it. The bump must report the commit that is on
// the branch afterwards, never one that did not land.
func TestRunEmptyPushAnswer(t *testing.T) {
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	noRefStatus := testenv.GitReportStatus("unpack ok")
	for _, tc := range []struct {
		kind     testenv.FaultKind
		body     []byte
		attempts int
	}{
		{testenv.FaultEmptyAfter, nil, 1},        // landed: the next fetch finds it
		{testenv.FaultEmpty, nil, 2},             // lost: the second attempt pushes
		{testenv.FaultBodyAfter, noRefStatus, 1}, // landed
		{testenv.FaultBody, noRefStatus, 2},      // lost
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s := testenv.NewGitServer(t)
			dir := s.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": "image:\n  repository: registry.example.com/app\n  tag: \"1.0.0\"\n"})
			p, err := testenv.StartFaultProxy(s.Addr(), testenv.WithFaultRule(&testenv.FaultRule{
				Match: func(r *http.Request) bool {
					return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack")
				},
				Times: 1,
				Fault: testenv.Fault{Kind: tc.kind, Body: tc.body},
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

// rivalSameValueHook is a pre-receive hook that, on the first push only,
// moves main to a rival commit that sets the same tag, as another
// pipeline deploying the same image would: the push loses the race and
// the next attempt finds nothing to do.
const rivalSameValueHook = `#!/bin/sh
unset GIT_QUARANTINE_PATH
[ -e "$GIT_DIR/raced" ] && exit 0
touch "$GIT_DIR/raced"
tip=$(git rev-parse refs/heads/main)
blob=$(printf 'image:\n  repository: registry.example.com/app\n  tag: "1.1.0"\n' | git hash-object -w --stdin)
sub=$(printf '100644 blob %s\tvalues-staging.yaml\n' "$blob" | git mktree)
root=$(printf '040000 tree %s\tapp\n' "$sub" | git mktree)
c=$(echo 'rival pipeline' | GIT_AUTHOR_NAME=r GIT_AUTHOR_EMAIL=r@x GIT_COMMITTER_NAME=r GIT_COMMITTER_EMAIL=r@x git commit-tree "$root" -p "$tip")
git update-ref refs/heads/main "$c" "$tip"
`

// TestRunNoStaleMessage loses a race to a rival that sets the same tag:
// the result is unchanged, and must not carry the commit message of the
// attempt that lost.
func TestRunNoStaleMessage(t *testing.T) {
	s := testenv.NewGitServer(t)
	dir := s.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": "image:\n  repository: registry.example.com/app\n  tag: \"1.0.0\"\n"})
	if err := s.SetHook("charts", "pre-receive", rivalSameValueHook); err != nil {
		t.Fatal(err)
	}
	img, err := imageref.Parse("registry.example.com/app:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	res, err := bump.Run(context.Background(), bump.Request{
		Repo: s.URL("charts"), Branch: "main", Chart: "app", Envs: []string{"staging"},
		Image: img, Author: sig, Committer: sig,
	}, bump.WithBackoff(func(int) time.Duration { return 0 }))
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, dir, "log", "-1", "--format=%s", "main"); got != "rival pipeline" {
		t.Fatalf("main's last commit is %q, want the rival's: the race did not happen", got)
	}
	if res.Outcome != bump.Unchanged || res.Attempts != 2 || res.Pushed {
		t.Errorf("outcome %s, attempts %d, pushed %v; want unchanged after 2 attempts, not pushed", res.Outcome, res.Attempts, res.Pushed)
	}
	if res.Message != "" || res.Commit != "" {
		t.Errorf("an unchanged result carries message %q and commit %q from the attempt that lost", res.Message, res.Commit)
	}
}

// TestRunNoPush: --no-push makes the commit and reports its diff and
// message, and writes nothing to the repository, whether it is a URL or a
// local clone (whose branch, work tree and index stay as they were).
func TestRunNoPush(t *testing.T) {
	s := testenv.NewGitServer(t)
	const before = "image:\n  repository: registry.example.com/app\n  tag: \"1.0.0\"\n"
	dir := s.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": before})
	clone := t.TempDir()
	testenv.MustGit(t, clone, "clone", "-q", dir, ".")
	img, err := imageref.Parse("registry.example.com/app:1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	for name, repo := range map[string]string{"url": s.URL("charts"), "local clone": clone} {
		t.Run(name, func(t *testing.T) {
			gitDir := dir
			if repo == clone {
				gitDir = clone
			}
			tip := testenv.MustGit(t, gitDir, "rev-parse", "main")
			res, err := bump.Run(context.Background(), bump.Request{
				Repo: repo, Branch: "main", Chart: "app", Envs: []string{"staging"},
				Image: img, Author: sig, Committer: sig, NoPush: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != bump.Changed || res.Pushed || !res.NoPush || len(res.Commit) != 40 ||
				!strings.Contains(res.Diff, `+  tag: "1.1.0"`) || !strings.Contains(res.Message, "update app image to 1.1.0") {
				t.Errorf("result %+v; want changed, not pushed, no_push, a commit hash, the diff and the message", res)
			}
			if got := testenv.MustGit(t, gitDir, "rev-parse", "main"); got != tip {
				t.Errorf("main moved from %s to %s under --no-push", tip, got)
			}
			if repo == clone {
				if st := testenv.MustGit(t, clone, "status", "--porcelain"); st != "" {
					t.Errorf("the clone's work tree or index changed under --no-push:\n%s", st)
				}
			}
		})
	}
}

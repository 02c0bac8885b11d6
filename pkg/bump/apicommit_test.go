package bump_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
)

// shaValues is a values file whose image is tagged with commit SHAs: tags
// the downgrade guard cannot compare, so it lets any of them replace any
// other.
func shaValues(tag string) string {
	return "image:\n  repository: registry.example.com/app\n  tag: " + tag + "\n"
}

// apiLoop starts a git server with a charts repository whose image has
// the commit-SHA tag a1b2c3d, and the GraphQL stand-in over it; it returns
// them, the repository's directory and a Publisher that commits through
// the stand-in.
func apiLoop(t *testing.T) (*testenv.GitServer, string, *testenv.GitHubGraphQL, bump.Publisher) {
	t.Helper()
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "acme/charts", map[string]string{"app/values-staging.yaml": shaValues("a1b2c3d")})
	api := testenv.NewGitHubGraphQL(t, srv)
	api.AddToken("ghs_writer", testenv.GitHubIdentity{Login: "deploy-bot[bot]", Name: "deploy-bot[bot]", Email: "1+deploy-bot[bot]@users.noreply.github.com"})
	gh, err := forge.NewGitHubCommits(forge.GitHubGraphQLURL(api.URL(), ""), "ghs_writer")
	if err != nil {
		t.Fatal(err)
	}
	return srv, dir, api, bump.APICommits(gh, "acme/charts")
}

// TestRunAPICommitLostAnswer: with --commit-via api the host makes its own
// commit from ours, with another hash. Its answer is lost after it landed
// (502 from a proxy, or the connection cut), with or without a rival
// pipeline's deploy of another commit-SHA tag on top before the answer. The
// next fetch finds the host's commit by its parent and tree: the bump
// reports it changed, with the host's commit, on attempt 1, and makes no
// second commit, so the rival's tag stays.
func TestRunAPICommitLostAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		drop  bool // the connection is cut instead of a 502
		rival bool
	}{
		{"502", false, false},
		{"dropped", true, false},
		{"502 under a rival", false, true},
		{"dropped under a rival", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, dir, api, publisher := apiLoop(t)
			var mine string
			api.AfterCommit(func(oid string) {
				mine = oid
				if !tc.rival {
					return
				}
				if _, err := srv.CommitFiles("acme/charts", "main", map[string]string{"app/values-staging.yaml": shaValues("9c8d7ef")}, "rival deploy"); err != nil {
					t.Error(err)
				}
			})
			if tc.drop {
				api.DropAnswers(1)
			} else {
				api.LoseAnswers(1)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			p := &pauses{limit: 10, cancel: cancel}
			res, err := bump.Run(ctx, req(srv.URL("acme/charts"), "e4f5a6b"),
				bump.WithPublisher(publisher), bump.WithBackoff(p.backoff), p.log())
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, p.logs.String())
			}
			if api.Commits() != 1 {
				t.Errorf("%d API commits, want 1: the landed commit was made again", api.Commits())
			}
			if mine == "" || !res.Pushed || res.Outcome != bump.Changed || res.Commit != mine || res.LostPushLanded || res.Attempts != 1 ||
				len(res.Files) != 1 || res.Files[0].New != "e4f5a6b" {
				t.Errorf("result %+v, want changed and pushed as the host's commit %s on attempt 1", res, mine)
			}
			if got := p.got(); !equal(got, []int{1}) {
				t.Errorf("backoff calls %v, want [1]", got)
			}
			p.logged(t, "push answer lost, checking the branch", 1)
			p.logged(t, "had landed", 1)
			p.logged(t, "the branch now has the value", 0)
			want, tag := []string{"chore(staging): update app image to e4f5a6b", "initial commit"}, "e4f5a6b"
			if tc.rival {
				want, tag = append([]string{"rival deploy"}, want...), "9c8d7ef"
			}
			if got := subjects(t, dir); !slices.Equal(got, want) {
				t.Errorf("history %q, want %q", got, want)
			}
			if got := testenv.MustGit(t, dir, "show", "main:app/values-staging.yaml"); got+"\n" != shaValues(tag) {
				t.Errorf("values file on main = %q, want tag %s", got, tag)
			}
		})
	}
}

// TestRunAPICommitLostAnswerNotLanded: the answer is lost before the host
// made the commit. An older commit has the very tree the bump builds (the
// tag was e4f5a6b before a manual revert), under another parent: it is not
// taken for the lost commit, and the bump is made on attempt 2, once.
func TestRunAPICommitLostAnswerNotLanded(t *testing.T) {
	t.Parallel()
	srv, dir, api, publisher := apiLoop(t)
	for _, c := range []struct{ tag, msg string }{{"e4f5a6b", "deploy e4f5a6b"}, {"a1b2c3d", "revert to a1b2c3d"}} {
		if _, err := srv.CommitFiles("acme/charts", "main", map[string]string{"app/values-staging.yaml": shaValues(c.tag)}, c.msg); err != nil {
			t.Fatal(err)
		}
	}
	before := testenv.MustGit(t, dir, "rev-parse", "main")
	api.FailCommits(1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := &pauses{limit: 10, cancel: cancel}
	r := req(srv.URL("acme/charts"), "e4f5a6b")
	r.AllowRolledBack = true // e4f5a6b was deployed and reverted: not what this test is about
	res, err := bump.Run(ctx, r, bump.WithPublisher(publisher), bump.WithBackoff(p.backoff), p.log())
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, p.logs.String())
	}
	tip := testenv.MustGit(t, dir, "rev-parse", "main")
	if api.Commits() != 1 || !res.Pushed || res.Outcome != bump.Changed || res.Commit != tip || res.Attempts != 2 || res.LostPushLanded {
		t.Errorf("result %+v after %d API commits, want changed and pushed as the tip %s on attempt 2, one commit", res, api.Commits(), tip)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main^"); got != before {
		t.Errorf("the bump's parent is %s, want the revert %s", got, before)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main^{tree}"); got != testenv.MustGit(t, dir, "rev-parse", "main~2^{tree}") {
		t.Errorf("the bump's tree %s is not the one deploy e4f5a6b had", got)
	}
	p.logged(t, "had landed", 0)
}

package bump_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
)

// lateLander: the first CreateCommit is answered 502 without being made
// yet; the host makes it while the second request (planned on the same
// parent) is in flight, so that one meets "branch moved"; then a rival
// deploys on top.
type lateLander struct {
	t     *testing.T
	gh    *forge.GitHubCommits
	srv   *testenv.GitServer
	calls int
	first forge.CommitRequest
}

func (l *lateLander) CreateCommit(ctx context.Context, req forge.CommitRequest) (string, error) {
	l.calls++
	switch l.calls {
	case 1:
		l.first = req
		return "", fmt.Errorf("create commit: %w: HTTP 502 (the change may or may not have been made)", forge.ErrServer)
	case 2:
		// the first request completes late on the host
		if _, err := l.gh.CreateCommit(ctx, l.first); err != nil {
			l.t.Fatalf("late landing: %v", err)
		}
		_, err := l.gh.CreateCommit(ctx, req)
		// a rival deploys on top of the late landing
		if _, cerr := l.srv.CommitFiles("acme/charts", "main", map[string]string{"app/values-staging.yaml": shaValues("9c8d7ef")}, "rival deploy"); cerr != nil {
			l.t.Fatal(cerr)
		}
		return "", err
	}
	return l.gh.CreateCommit(ctx, req)
}

// TestRunLostAnswerLandsLateThenRace: an API commit answered 502 lands on
// the host only while the next attempt is under way, which then meets
// "branch moved"; a rival deploys on top. The run must find its first
// commit among the newest commits and stop, not publish again over the
// rival's deploy (it forgot the lost push after the race).
func TestRunLostAnswerLandsLateThenRace(t *testing.T) {
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "acme/charts", map[string]string{"app/values-staging.yaml": shaValues("a1b2c3d")})
	api := testenv.NewGitHubGraphQL(t, srv)
	api.AddToken("ghs_writer", testenv.GitHubIdentity{Login: "deploy-bot[bot]", Name: "deploy-bot[bot]", Email: "1+deploy-bot[bot]@users.noreply.github.com"})
	gh, err := forge.NewGitHubCommits(forge.GitHubGraphQLURL(api.URL(), ""), "ghs_writer")
	if err != nil {
		t.Fatal(err)
	}
	cc := &lateLander{t: t, gh: gh, srv: srv}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := &pauses{limit: 10, cancel: cancel}
	res, err := bump.Run(ctx, req(srv.URL("acme/charts"), "e4f5a6b"),
		bump.WithPublisher(bump.APICommits(cc, "acme/charts")), bump.WithBackoff(p.backoff), p.log())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pushed || res.Outcome != bump.Changed || cc.calls != 2 {
		t.Errorf("result %+v after %d API calls: want changed and pushed, no third call", res, cc.calls)
	}
	t.Logf("history %q", subjects(t, dir))
	if got := testenv.MustGit(t, dir, "show", "main:app/values-staging.yaml"); got+"\n" != shaValues("9c8d7ef") {
		t.Errorf("the rival's deploy was overwritten: values file on main = %q", got)
	}
}

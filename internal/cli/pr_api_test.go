package cli_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/cli"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// apiForge is the GitHub fake with the GraphQL stand-in behind its
// /api/graphql: REST pull requests, auto-merge and API commits on one
// base URL, as on GitHub Enterprise Server.
type apiForge struct {
	*testenv.FakeForge
	api *testenv.GitHubGraphQL
	c   forgeCase
	dir string
}

func startAPIForge(t *testing.T) *apiForge {
	t.Helper()
	c := forgeCases[0] // GitHub
	f := startForge(t, c)
	api := testenv.NewGitHubGraphQL(t, f.Git)
	api.AddToken(f.Token, testenv.GitHubIdentity{Login: "github-actions[bot]", Name: "github-actions[bot]", Email: "41898282+github-actions[bot]@users.noreply.github.com"})
	f.GraphQL = api
	return &apiForge{FakeForge: f, api: api, c: c, dir: f.Git.Dir(c.repo)}
}

// run runs a command of tagbump against the fake with --pr --commit-via api
// and JSON output.
func (f *apiForge) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token, "GITHUB_GRAPHQL_URL=" + f.URL + "/api/graphql"}, f.c.env(f.FakeForge)...)
	return tagbump(t, env, append(args, "--repo", f.c.url(f.FakeForge), "--chart", "app", "--pr", "--commit-via", "api", "-o", "json")...)
}

func (f *apiForge) bump(t *testing.T, tag string, extra ...string) (int, string, string) {
	t.Helper()
	return f.run(t, append([]string{"bump", "--no-verify", "--env", "prod", "--image", "registry.example.com/app:" + tag}, extra...)...)
}

// tempBranches lists the temporary branches left in the repository.
func (f *apiForge) tempBranches(t *testing.T) []string {
	t.Helper()
	var left []string
	for _, r := range strings.Fields(mustGit(t, f.dir, "for-each-ref", "--format=%(refname)", "refs/heads/")) {
		if strings.Contains(r, ".tagbump-") {
			left = append(left, r)
		}
	}
	return left
}

// checkAPICommit checks that branch holds one commit on base's tip, made
// and signed by the host, with tagbump's trailer for branch.
func (f *apiForge) checkAPICommit(t *testing.T, branch, base string) string {
	t.Helper()
	tip := f.BranchSHA(f.c.repo, branch)
	if n := mustGit(t, f.dir, "rev-list", "--count", base+".."+branch); n != "1" {
		t.Errorf("%s has %s commits over %s, want 1", branch, n, base)
	}
	if got, want := mustGit(t, f.dir, "rev-parse", branch+"^"), f.BranchSHA(f.c.repo, base); got != want {
		t.Errorf("the commit on %s has parent %s, want %s's tip %s", branch, got, base, want)
	}
	if got := mustGit(t, f.dir, "log", "-1", "--format=%cn <%ce>|%an|%(trailers:key=Tagbump-Branch,valueonly,separator=%x2C)", branch); got != "GitHub <noreply@github.com>|github-actions[bot]|"+branch {
		t.Errorf("commit on %s: committer|author|trailer = %q", branch, got)
	}
	if vout, err := testenv.NewVerifier(t, []string{f.api.SigningKey()}, nil).VerifyCommit(f.dir, tip); err != nil {
		t.Errorf("the commit on %s is not signed by the host: %v\n%s", branch, err, vout)
	}
	if left := f.tempBranches(t); len(left) > 0 {
		t.Errorf("temporary branches left behind: %v", left)
	}
	return tip
}

// TestPRCommitViaAPI writes tagbump's pull request branch through GitHub's
// GraphQL API (a temporary branch, createCommitOnBranch, one atomic
// updateRefs) and checks it with git: one commit on the base's tip,
// committed and signed by the host, with the trailer; an identical re-run
// writes nothing; a moved base gets a new commit on its tip; a human's
// commit, or a web edit committed by GitHub without the trailer, is
// refused (exit 4) and replaced only with --pr-overwrite; a
// human's push during the API commit is not lost; promote takes the same
// path. It logs the GraphQL requests per PR write.
func TestPRCommitViaAPI(t *testing.T) {
	f := startAPIForge(t)
	const head = "tagbump/app-prod"
	mustBump := func(t *testing.T, tag string, extra ...string) prResult {
		t.Helper()
		code, out, errOut := f.bump(t, tag, extra...)
		if code != 0 {
			t.Fatalf("bump --pr --commit-via api %s: exit %d\n%s", tag, code, errOut)
		}
		noSecret(t, "the token", out+errOut, f.Token)
		return decodePR(t, out)
	}

	gql, gitReqs := f.api.Requests(), f.Git.Requests()
	f.Requests()
	r := mustBump(t, "1.1.0", "--auto-merge", "--merge-method", "squash")
	t.Logf("create with auto-merge: %d GraphQL requests for the PR write (%d ref updates, %d commits); %d API requests in all, %d Git requests",
		f.api.Requests()-gql, f.api.RefUpdates(), f.api.Commits(), len(f.Requests()), f.Git.Requests()-gitReqs)
	if n := f.api.Requests() - gql; n != 4 {
		t.Errorf("%d GraphQL requests for a PR write, want 4 (repository id, temporary branch, commit, move)", n)
	}
	tip := f.checkAPICommit(t, head, "main")
	prs := f.PRs()
	if r.PRAction != "created" || !r.Pushed || r.Commit != tip || r.PRBranch != head || len(prs) != 1 ||
		prs[0].Number != r.PRNumber || prs[0].Head != head || prs[0].AutoMerge != "squash" || r.PRURL == "" || f.api.Commits() != 1 || f.api.RefUpdates() != 2 {
		t.Fatalf("create: %+v; host has %+v, %d API commits, %d ref updates", r, prs, f.api.Commits(), f.api.RefUpdates())
	}
	if got := mustGit(t, f.dir, "show", head+":app/values-prod.yaml"); got+"\n" != prodValues("1.1.0") {
		t.Errorf("values on the PR branch = %q", got)
	}
	if got := mustGit(t, f.dir, "show", "main:app/values-prod.yaml"); got+"\n" != prodValues("1.0.0") {
		t.Errorf("main changed: %q", got)
	}

	// The same tag again: nothing is written.
	commits, updates, gql := f.api.Commits(), f.api.RefUpdates(), f.api.Requests()
	if r2 := mustBump(t, "1.1.0"); r2.PRAction != "unchanged" || r2.Pushed || r2.Commit != tip || f.api.Commits() != commits || f.api.RefUpdates() != updates || f.api.Requests() != gql {
		t.Errorf("identical re-run: %+v, %d API commits, %d ref updates, %d GraphQL requests (before %d, %d, %d)", r2, f.api.Commits(), f.api.RefUpdates(), f.api.Requests(), commits, updates, gql)
	}

	// The base moves: the PR commit is replaced by one on the new tip.
	if _, err := f.Git.CommitFiles(f.c.repo, "main", map[string]string{"README.md": "moved\n"}, "docs: other work"); err != nil {
		t.Fatal(err)
	}
	gql, gitReqs = f.api.Requests(), f.Git.Requests()
	f.Requests()
	r3 := mustBump(t, "1.2.0")
	t.Logf("update after the base moved: %d GraphQL requests for the PR write; %d API requests in all, %d Git requests",
		f.api.Requests()-gql, len(f.Requests()), f.Git.Requests()-gitReqs)
	tip3 := f.checkAPICommit(t, head, "main")
	if r3.PRAction != "updated" || r3.PRNumber != r.PRNumber || r3.Commit != tip3 || len(f.PRs()) != 1 {
		t.Errorf("update: %+v, host has %+v", r3, f.PRs())
	}
	if _, err := testenv.Git(f.dir, "merge-base", "--is-ancestor", tip, tip3); err == nil {
		t.Errorf("the old PR commit %s is an ancestor of the new one %s", tip, tip3)
	}

	// A human's commit on the PR branch: refused, kept; --pr-overwrite
	// replaces it.
	human := humanCommit(t, f.dir, head)
	code, _, errOut := f.bump(t, "1.3.0")
	if code != 4 || !strings.Contains(errOut, human) || f.BranchSHA(f.c.repo, head) != human {
		t.Errorf("human commit: exit %d, want 4 naming %s, branch at %s\n%s", code, human, f.BranchSHA(f.c.repo, head), errOut)
	}
	// An edit in GitHub's web interface is committed by GitHub too, but
	// has no trailer: refused as well.
	web := commitAs(t, f.dir, head, "GitHub", "noreply@github.com")
	if code, _, errOut := f.bump(t, "1.3.0"); code != 4 || f.BranchSHA(f.c.repo, head) != web {
		t.Errorf("web edit: exit %d, want 4\n%s", code, errOut)
	}
	if got := mustGit(t, f.dir, "log", "-1", "--format=%cn <%ce>", head); got != "GitHub <noreply@github.com>" {
		t.Errorf("the web edit's committer is %q", got)
	}
	r5 := mustBump(t, "1.3.0", "--pr-overwrite")
	if tip5 := f.checkAPICommit(t, head, "main"); r5.PRAction != "updated" || r5.Commit != tip5 {
		t.Errorf("--pr-overwrite: %+v", r5)
	}

	// A human pushes to the PR branch while the host makes the commit:
	// the branch move is refused, the bump is redone, meets the human's
	// commit and stops; nothing is lost and no temporary branch is left.
	var raced string
	f.api.BeforeCommit(func() { raced = humanCommit(t, f.dir, head) })
	code, _, errOut = f.bump(t, "1.4.0")
	if code != 4 || raced == "" || f.BranchSHA(f.c.repo, head) != raced {
		t.Errorf("race with a human push: exit %d, branch at %s, human commit %s\n%s", code, f.BranchSHA(f.c.repo, head), raced, errOut)
	}
	if left := f.tempBranches(t); len(left) > 0 {
		t.Errorf("temporary branches left after the race: %v", left)
	}

	// promote goes through the same path.
	if _, err := f.Git.CommitFiles(f.c.repo, "main", map[string]string{"app/values-staging.yaml": prodValues("2.0.0")}, "chore(staging): 2.0.0"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := f.run(t, "promote", "--no-verify", "--from", "staging", "--to", "prod")
	if code != 0 {
		t.Fatalf("promote --pr --commit-via api: exit %d\n%s", code, errOut)
	}
	rp := decodePR(t, out)
	if tipP := f.checkAPICommit(t, "tagbump/promote-app-prod", "main"); rp.PRAction != "created" || rp.Commit != tipP {
		t.Errorf("promote: %+v", rp)
	}
	if got := mustGit(t, f.dir, "show", "tagbump/promote-app-prod:app/values-prod.yaml"); !strings.Contains(got, "tag: 2.0.0") {
		t.Errorf("promote's PR branch: %q", got)
	}
}

// TestPRCommitViaAPISwitch checks that a PR branch written with git by an
// earlier run (committer tagbump) is tagbump's for --commit-via api too,
// and the other way round.
func TestPRCommitViaAPISwitch(t *testing.T) {
	f := startAPIForge(t)
	const head = "tagbump/app-prod"
	if code, _, errOut := forgeBump(t, f.c, f.FakeForge, f.Token, "1.1.0"); code != 0 {
		t.Fatalf("bump --pr with git: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := f.bump(t, "1.2.0"); code != 0 {
		t.Fatalf("then with --commit-via api: exit %d\n%s", code, errOut)
	}
	f.checkAPICommit(t, head, "main")
	if code, _, errOut := forgeBump(t, f.c, f.FakeForge, f.Token, "1.3.0"); code != 0 {
		t.Fatalf("then with git again: exit %d\n%s", code, errOut)
	}
	if got := mustGit(t, f.dir, "log", "-1", "--format=%cn", head); got != "tagbump" {
		t.Errorf("committer after the git run: %q", got)
	}
}

// TestPRCommitViaAPILostAnswers loses the host's answer to each write of
// the PR branch: the commit on the temporary branch (made, answer lost: the
// temporary branch is deleted and the write redone), and the final move
// (made, answer lost: reading the branch shows it landed).
func TestPRCommitViaAPILostAnswers(t *testing.T) {
	f := startAPIForge(t)
	const head = "tagbump/app-prod"

	f.api.LoseAnswers(1)
	code, out, errOut := f.bump(t, "1.1.0")
	if code != 0 {
		t.Fatalf("lost commit answer: exit %d\n%s", code, errOut)
	}
	r := decodePR(t, out)
	if tip := f.checkAPICommit(t, head, "main"); r.PRAction != "created" || r.Commit != tip || f.api.Commits() != 2 {
		t.Errorf("lost commit answer: %+v, %d API commits, want 2 (the lost one and the redone one)", r, f.api.Commits())
	}

	f.api.LoseRefUpdateAnswer(1) // the temporary branch, then the move
	commits := f.api.Commits()
	code, out, errOut = f.bump(t, "1.2.0")
	if code != 0 {
		t.Fatalf("lost move answer: exit %d\n%s", code, errOut)
	}
	r = decodePR(t, out)
	if tip := f.checkAPICommit(t, head, "main"); r.PRAction != "updated" || !r.Pushed || r.Commit != tip || f.api.Commits() != commits+1 {
		t.Errorf("lost move answer: %+v, %d more API commits, want 1", r, f.api.Commits()-commits)
	}
	if got := mustGit(t, f.dir, "show", head+":app/values-prod.yaml"); got+"\n" != prodValues("1.2.0") {
		t.Errorf("values on the PR branch = %q", got)
	}
}

// TestRefUpdateExitCode checks that a ref update GitHub refused when the
// branch had not moved (a ruleset, say) exits as a rejected push, and one
// that lost a race as a conflict.
func TestRefUpdateExitCode(t *testing.T) {
	refused := fmt.Errorf("write pull request branch b through the API: %w", &forge.APIError{Host: "api.github.com", Status: 200, Message: "refused", Kind: forge.ErrRefUpdate})
	if got := cli.ExitCode(refused); got != cli.ExitRejected {
		t.Errorf("refused ref update: exit %d, want %d", got, cli.ExitRejected)
	}
	if got := cli.ExitCode(fmt.Errorf("%w: %w", gitrepo.ErrRace, refused)); got != cli.ExitConflict {
		t.Errorf("refused ref update after a race: exit %d, want %d", got, cli.ExitConflict)
	}
}

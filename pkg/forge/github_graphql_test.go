package forge_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

const (
	writeToken = "ghs_writer0000000000000000000000000000"
	readToken  = "ghs_reader0000000000000000000000000000"
)

type ghFixture struct {
	git  *testenv.GitServer
	api  *testenv.GitHubGraphQL
	dir  string
	tip  string
	repo string
}

func newGHFixture(t *testing.T) *ghFixture {
	t.Helper()
	git := testenv.NewGitServer(t)
	dir := git.MustCreateRepo(t, "acme/charts", map[string]string{
		"app/values-staging.yaml": "image:\n  tag: 1.0.0\n",
		"scripts/deploy.sh":       "#!/bin/sh\necho 1.0.0\n",
	}, testenv.WithMode("scripts/deploy.sh", "100755"))
	api := testenv.NewGitHubGraphQL(t, git)
	api.AddToken(writeToken, testenv.GitHubIdentity{Login: "deploy-bot[bot]", Name: "deploy-bot[bot]", Email: "123+deploy-bot[bot]@users.noreply.github.com"})
	api.AddToken(readToken, testenv.GitHubIdentity{Login: "reader", Name: "Reader", Email: "reader@example.invalid", ReadOnly: true})
	return &ghFixture{git: git, api: api, dir: dir, tip: testenv.MustGit(t, dir, "rev-parse", "main"), repo: "acme/charts"}
}

func (f *ghFixture) client(t *testing.T, token string, opts ...forge.GitHubCommitsOption) *forge.GitHubCommits {
	t.Helper()
	g, err := forge.NewGitHubCommits(forge.GitHubGraphQLURL(f.api.URL(), ""), token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (f *ghFixture) request(files map[string]string) forge.CommitRequest {
	req := forge.CommitRequest{Repository: f.repo, Branch: "main", ExpectedHead: f.tip,
		Message: "chore(staging): update app image to 1.1.0\n\n- app/values-staging.yaml .image.tag: 1.0.0 → 1.1.0\n", Files: map[string][]byte{}}
	for p, c := range files {
		req.Files[p] = []byte(c)
	}
	return req
}

// TestGitHubCreateCommit makes a commit through the GraphQL stand-in and
// checks it with git in the bare repository: content, kept file mode, the
// parent it was planned on, the token's owner as author, the message, and
// the host's signature.
func TestGitHubCreateCommit(t *testing.T) {
	f := newGHFixture(t)
	oid, err := f.client(t, writeToken).CreateCommit(context.Background(), f.request(map[string]string{
		"app/values-staging.yaml": "image:\n  tag: 1.1.0\n",
		"scripts/deploy.sh":       "#!/bin/sh\necho 1.1.0\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := testenv.MustGit(t, f.dir, "rev-parse", "main"); got != oid {
		t.Fatalf("main = %s, CreateCommit returned %s", got, oid)
	}
	if got := testenv.MustGit(t, f.dir, "show", "main:app/values-staging.yaml"); got != "image:\n  tag: 1.1.0" {
		t.Errorf("values file = %q", got)
	}
	if got := testenv.MustGit(t, f.dir, "ls-tree", "main", "scripts/deploy.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("deploy.sh lost its mode: %s", got)
	}
	if got := testenv.MustGit(t, f.dir, "log", "-1", "--format=%P|%an <%ae>|%B", "main"); got != f.tip+"|deploy-bot[bot] <123+deploy-bot[bot]@users.noreply.github.com>|chore(staging): update app image to 1.1.0\n\n- app/values-staging.yaml .image.tag: 1.0.0 → 1.1.0" {
		t.Errorf("commit = %q", got)
	}
	v := testenv.NewVerifier(t, []string{f.api.SigningKey()}, nil)
	if out, err := v.VerifyCommit(f.dir, oid); err != nil {
		t.Errorf("the host's commit does not verify: %v\n%s", err, out)
	}
}

// TestGitHubCreateCommitErrors checks that each documented refusal maps to
// its sentinel and that the branch is left alone.
func TestGitHubCreateCommitErrors(t *testing.T) {
	f := newGHFixture(t)
	ctx := context.Background()
	files := map[string]string{"app/values-staging.yaml": "image:\n  tag: 1.1.0\n"}

	moved := f.request(files)
	moved.ExpectedHead = strings.Repeat("ab", 20)
	_, err := f.client(t, writeToken).CreateCommit(ctx, moved)
	if !errors.Is(err, forge.ErrBranchMoved) || !strings.Contains(err.Error(), "STALE_DATA") {
		t.Errorf("stale expectedHeadOid: %v, want ErrBranchMoved", err)
	}

	_, err = f.client(t, readToken).CreateCommit(ctx, f.request(files))
	if !errors.Is(err, forge.ErrPermission) || !strings.Contains(err.Error(), "contents: write") {
		t.Errorf("read-only token: %v, want ErrPermission naming contents: write", err)
	}

	_, err = f.client(t, "ghs_wrong").CreateCommit(ctx, f.request(files))
	var ae *forge.APIError
	if !errors.Is(err, forge.ErrAuth) || !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("bad token: %v, want ErrAuth with HTTP 401", err)
	}
	if strings.Contains(err.Error(), "ghs_wrong") {
		t.Errorf("error repeats the token: %v", err)
	}

	missing := f.request(files)
	missing.Repository = "acme/nothing"
	if _, err = f.client(t, writeToken).CreateCommit(ctx, missing); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("missing repository: %v, want ErrNotFound", err)
	}
	if got := testenv.MustGit(t, f.dir, "rev-parse", "main"); got != f.tip {
		t.Errorf("a refused commit moved main to %s", got)
	}

	// The race: the branch moves between the check and the ref update;
	// the compare-and-swap refuses it.
	f.api.BeforeCommit(func() {
		if _, err := f.git.CommitFiles("acme/charts", "main", map[string]string{"README.md": "other pipeline\n"}, "other"); err != nil {
			t.Error(err)
		}
	})
	if _, err = f.client(t, writeToken).CreateCommit(ctx, f.request(files)); !errors.Is(err, forge.ErrBranchMoved) {
		t.Errorf("branch moved during the commit: %v, want ErrBranchMoved", err)
	}
	if f.api.Commits() != 0 {
		t.Errorf("%d commits made, want 0", f.api.Commits())
	}
}

// TestGitHubRateLimit checks that a rate limit whose reset fits the
// timeout is waited out, and one that does not is a clear error at once.
func TestGitHubRateLimit(t *testing.T) {
	f := newGHFixture(t)
	ctx := context.Background()
	files := map[string]string{"app/values-staging.yaml": "image:\n  tag: 1.1.0\n"}

	f.api.RateLimit(1, time.Now().Add(time.Hour))
	start := f.api.Requests()
	_, err := f.client(t, writeToken, forge.WithCommitsTimeout(5*time.Second)).CreateCommit(ctx, f.request(files))
	var rl *forge.RateLimitError
	if !errors.As(err, &rl) || rl.Secondary || !strings.Contains(err.Error(), "--timeout") {
		t.Fatalf("rate limit an hour away: %v, want a *RateLimitError naming --timeout", err)
	}
	if n := f.api.Requests() - start; n != 1 {
		t.Errorf("%d requests, want 1 (no retry when the reset is beyond the timeout)", n)
	}

	f.api.RateLimit(1, time.Now()) // resets at once: one retry after it
	oid, err := f.client(t, writeToken, forge.WithCommitsTimeout(30*time.Second)).CreateCommit(ctx, f.request(files))
	if err != nil {
		t.Fatalf("rate limit resetting now: %v", err)
	}
	f.tip = oid

	f.api.SecondaryRateLimit(1, 1)
	start = f.api.Requests()
	oid, err = f.client(t, writeToken, forge.WithCommitsTimeout(30*time.Second)).CreateCommit(ctx, f.request(map[string]string{"app/values-staging.yaml": "image:\n  tag: 1.2.0\n"}))
	if err != nil {
		t.Fatalf("secondary rate limit with retry-after 1: %v", err)
	}
	if n := f.api.Requests() - start; n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if got := testenv.MustGit(t, f.dir, "rev-parse", "main"); got != oid {
		t.Errorf("main = %s, want %s", got, oid)
	}
}

func TestGitHubGraphQLURL(t *testing.T) {
	for _, tc := range []struct{ api, host, want string }{
		{"", "github.com", "https://api.github.com/graphql"},
		{"", "ghe.example.com", "https://ghe.example.com/api/graphql"},
		{"https://api.github.com", "github.com", "https://api.github.com/graphql"},
		{"https://ghe.example.com/api/v3/", "ghe.example.com", "https://ghe.example.com/api/graphql"},
		{"https://ghe.example.com/api/graphql", "x", "https://ghe.example.com/api/graphql"},
	} {
		if got := forge.GitHubGraphQLURL(tc.api, tc.host); got != tc.want {
			t.Errorf("GitHubGraphQLURL(%q, %q) = %q, want %q", tc.api, tc.host, got, tc.want)
		}
	}
	if _, err := forge.NewGitHubCommits("http://api.example.com/graphql", writeToken); !errors.Is(err, forge.ErrBadURL) {
		t.Errorf("token over plain http: %v, want ErrBadURL", err)
	}
}

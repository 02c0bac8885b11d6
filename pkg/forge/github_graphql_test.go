package forge_test

import (
	"context"
	"errors"
	"io"
	"net/http"
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

// TestGitHubUpdateRefs moves refs with updateRefs through the stand-in and
// checks each with git in the bare repository: a ref created from nothing,
// a compare-and-swap refused, two updates of which one is bad applied as
// none, a non-fast-forward refused without Force and done with it, a
// delete, a read-only token, and the repository id asked for only once.
func TestGitHubUpdateRefs(t *testing.T) {
	f := newGHFixture(t)
	ctx := context.Background()
	g := f.client(t, writeToken)
	ref := func(name string) string {
		out, _ := testenv.Git(f.dir, "rev-parse", "-q", "--verify", name)
		return out
	}
	start := f.api.Requests()

	if err := g.UpdateRefs(ctx, f.repo, forge.RefUpdate{Name: "refs/heads/tmp", Before: forge.ZeroOID, After: f.tip}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if got := ref("refs/heads/tmp"); got != f.tip {
		t.Fatalf("tmp = %q after create, want %s", got, f.tip)
	}

	// The ref exists: a Before of zeros (create) is refused.
	err := g.UpdateRefs(ctx, f.repo, forge.RefUpdate{Name: "refs/heads/tmp", Before: forge.ZeroOID, After: f.tip})
	if !errors.Is(err, forge.ErrRefUpdate) {
		t.Errorf("create over an existing ref: %v, want ErrRefUpdate", err)
	}
	if n := f.api.Requests() - start; n != 3 {
		t.Errorf("%d requests for two UpdateRefs, want 3 (the repository id once)", n)
	}

	next, err := g.CreateCommit(ctx, f.request(map[string]string{"app/values-staging.yaml": "image:\n  tag: 1.1.0\n"}))
	if err != nil {
		t.Fatal(err)
	}
	// Two updates, the second guarded by a wrong Before: neither applies.
	err = g.UpdateRefs(ctx, f.repo,
		forge.RefUpdate{Name: "refs/heads/tmp", Before: f.tip, After: next},
		forge.RefUpdate{Name: "refs/heads/main", Before: f.tip, After: f.tip, Force: true})
	if !errors.Is(err, forge.ErrRefUpdate) {
		t.Errorf("a stale Before: %v, want ErrRefUpdate", err)
	}
	if ref("refs/heads/tmp") != f.tip || ref("refs/heads/main") != next {
		t.Errorf("a refused update changed refs: tmp %s main %s", ref("refs/heads/tmp"), ref("refs/heads/main"))
	}

	// main back to its parent is not a fast-forward.
	err = g.UpdateRefs(ctx, f.repo, forge.RefUpdate{Name: "refs/heads/main", Before: next, After: f.tip})
	if !errors.Is(err, forge.ErrRefUpdate) || ref("refs/heads/main") != next {
		t.Errorf("non-fast-forward without Force: %v, main %s", err, ref("refs/heads/main"))
	}
	if err := g.UpdateRefs(ctx, f.repo,
		forge.RefUpdate{Name: "refs/heads/main", Before: next, After: f.tip, Force: true},
		forge.RefUpdate{Name: "refs/heads/tmp", Before: f.tip, After: next}); err != nil {
		t.Fatalf("forced update of two refs: %v", err)
	}
	if ref("refs/heads/main") != f.tip || ref("refs/heads/tmp") != next {
		t.Errorf("forced update: main %s tmp %s", ref("refs/heads/main"), ref("refs/heads/tmp"))
	}

	// A read-only token may not write refs.
	err = f.client(t, readToken).UpdateRefs(ctx, f.repo, forge.RefUpdate{Name: "refs/heads/tmp", Before: next, After: forge.ZeroOID})
	if !errors.Is(err, forge.ErrPermission) || !strings.Contains(err.Error(), "contents: write") || ref("refs/heads/tmp") != next {
		t.Errorf("read-only token: %v, want ErrPermission naming contents: write", err)
	}

	// Delete, unguarded (Before ""), then again: nothing to delete.
	if err := g.UpdateRefs(ctx, f.repo, forge.RefUpdate{Name: "refs/heads/tmp", After: forge.ZeroOID}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got := ref("refs/heads/tmp"); got != "" {
		t.Errorf("tmp = %s after delete", got)
	}
	if err := g.UpdateRefs(ctx, f.repo, forge.RefUpdate{Name: "refs/heads/tmp", After: forge.ZeroOID}); !errors.Is(err, forge.ErrRefUpdate) {
		t.Errorf("delete of a missing ref: %v, want ErrRefUpdate", err)
	}
	if got := f.api.RefUpdates(); got != 3 {
		t.Errorf("the stand-in applied %d ref updates, want 3", got)
	}

	if err := g.UpdateRefs(ctx, "acme/nothing", forge.RefUpdate{Name: "refs/heads/x", Before: forge.ZeroOID, After: f.tip}); !errors.Is(err, forge.ErrNotFound) {
		t.Errorf("missing repository: %v, want ErrNotFound", err)
	}
}

// TestGitHubUpdateRefsPreview checks that the stand-in, like GitHub, knows
// updateRefs only with the schema preview's media type in Accept.
func TestGitHubUpdateRefsPreview(t *testing.T) {
	f := newGHFixture(t)
	body := `{"query": "mutation($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }", "variables": {"input": {"repositoryId": "R_x", "refUpdates": []}}}`
	for _, tc := range []struct{ accept, want string }{
		{"application/json", "Field 'updateRefs' doesn't exist on type 'Mutation'"},
		{"application/vnd.github.update-refs-preview+json", "Could not resolve to a node"},
	} {
		req, err := http.NewRequest(http.MethodPost, f.api.URL()+"/graphql", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "bearer "+writeToken)
		req.Header.Set("Accept", tc.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
			t.Errorf("Accept %s: %d %s, want %q", tc.accept, resp.StatusCode, b, tc.want)
		}
	}
	if f.api.RefUpdates() != 0 {
		t.Errorf("%d ref updates applied", f.api.RefUpdates())
	}
}

package bump_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// blindForge misses the open PR on its first FindOpen, as when another
// pipeline opened it a moment after the lookup.
type blindForge struct {
	forge.Forge
	misses int
}

func (b *blindForge) FindOpen(ctx context.Context, head, base string) (*forge.PR, error) {
	if b.misses > 0 {
		b.misses--
		return nil, nil
	}
	return b.Forge.FindOpen(ctx, head, base)
}

func prRequest(t *testing.T, f *testenv.FakeForge, fg forge.Forge, tag string) bump.Request {
	t.Helper()
	img, err := imageref.Parse("registry.example.com/app:" + tag)
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	return bump.Request{
		Repo: f.URL + "/acme/charts.git", Branch: "main", Chart: "app", Envs: []string{"prod"},
		Image: img, Author: sig, Committer: sig, PR: &bump.PRRequest{Forge: fg},
	}
}

// TestPRCreateConflictUpdates checks that a create refused because the
// PR exists (GitHub's 422) updates that PR instead of failing.
func TestPRCreateConflictUpdates(t *testing.T) {
	testenv.RequireBinary(t, "git")
	f, err := testenv.StartFakeForge("github")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.CreateRepo("acme/charts", map[string]string{"app/values-prod.yaml": "image:\n  repository: registry.example.com/app\n  tag: 1.0.0\n"}); err != nil {
		t.Fatal(err)
	}
	fg, err := forge.New(forge.Options{Kind: forge.GitHub, RepoURL: f.URL + "/acme/charts.git", Token: f.Token})
	if err != nil {
		t.Fatal(err)
	}
	auth := bump.WithGitOptions(gitrepo.WithHTTPAuth("", f.Token))
	nowait := bump.WithBackoff(func(int) time.Duration { return 0 })
	ctx := context.Background()
	res, err := bump.Run(ctx, prRequest(t, f, fg, "1.1.0"), auth, nowait)
	if err != nil || res.PRAction != bump.PRCreated {
		t.Fatalf("first bump: %+v, %v", res, err)
	}
	res2, err := bump.Run(ctx, prRequest(t, f, &blindForge{Forge: fg, misses: 1}, "1.2.0"), auth, nowait)
	if err != nil || res2.PRAction != bump.PRUpdated || res2.PRNumber != res.PRNumber {
		t.Fatalf("bump after a missed lookup: %+v, %v", res2, err)
	}
	if prs := f.PRs(); len(prs) != 1 || prs[0].Title != "chore(prod): update app image to 1.2.0" {
		t.Errorf("host has %+v", prs)
	}

	// A PR branch named like the base is refused before anything.
	req := prRequest(t, f, fg, "1.3.0")
	req.PR.Branch = "main"
	var ie *bump.InputError
	if _, err := bump.Run(ctx, req, auth, nowait); !errors.As(err, &ie) {
		t.Errorf("--pr-branch main: %v, want an InputError", err)
	}
}

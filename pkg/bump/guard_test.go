package bump_test

import (
	"errors"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestGuardNeverOff: on a server that cannot send the guard's history (it
// filters blobs but refuses the tree:0 filter that reads commits alone),
// the bump fails with a GuardError, pushing nothing, instead of deploying
// unguarded; --allow-rolled-back deploys without the check.
func TestGuardNeverOff(t *testing.T) {
	t.Parallel()
	srv := testenv.NewGitServer(t, testenv.WithConfig("uploadpackfilter.tree.allow", "false"))
	dir := srv.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": values})
	if _, err := srv.CommitFiles("charts", "main", map[string]string{"README.md": "charts\n"}, "docs: readme"); err != nil {
		t.Fatal(err)
	}
	_, _, ctx, p := loop(t)
	tip := testenv.MustGit(t, dir, "rev-parse", "main")

	_, err := bump.Run(ctx, req(srv.URL("charts"), "1.1.0"), bump.WithBackoff(p.backoff))
	var ge *bump.GuardError
	if !errors.As(err, &ge) || !errors.Is(err, gitrepo.ErrNoHistory) {
		t.Fatalf("bump on a server that cannot send the history: %v, want a GuardError wrapping ErrNoHistory", err)
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != tip {
		t.Fatalf("main moved to %s: the unguarded bump was pushed", got)
	}

	r := req(srv.URL("charts"), "1.1.0")
	r.AllowRolledBack = true
	res, err := bump.Run(ctx, r, bump.WithBackoff(p.backoff))
	if err != nil || !res.Pushed {
		t.Fatalf("bump with AllowRolledBack: %+v, %v; want it pushed", res, err)
	}
}

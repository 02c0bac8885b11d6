package bump_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// crashAfterPush is a run that pushed its commit to the PR branch and died
// before describing it in the pull request.
type crashAfterPush struct{ forge.Forge }

func (crashAfterPush) Update(context.Context, *forge.PR, forge.Content) (*forge.PR, error) {
	return nil, errors.New("the runner was stopped")
}

// refuseOnce lets fn run inside the first Create, then refuses the first
// Update for the pull request's state, as Gitea does ("the issue is
// already changed") when another run changed it meanwhile.
type refuseOnce struct {
	forge.Forge
	fn      func()
	refused bool
}

func (r *refuseOnce) Create(ctx context.Context, head, base string, c forge.Content) (*forge.PR, error) {
	pr, err := r.Forge.Create(ctx, head, base, c)
	if r.fn != nil {
		fn := r.fn
		r.fn = nil
		fn()
	}
	return pr, err
}

func (r *refuseOnce) Update(ctx context.Context, pr *forge.PR, c forge.Content) (*forge.PR, error) {
	if !r.refused {
		r.refused = true
		return nil, &forge.Error{Op: "update pull request", Message: "the issue is already changed", Kind: forge.ErrConflict}
	}
	return r.Forge.Update(ctx, pr, c)
}

// After its push, a run finds the branch moved on (another run added a
// deploy and did not describe it) and the host refuses its first update of
// the title: it reads again and describes both, instead of failing a
// deploy that is already on the branch.
func TestPRSyncRefusedOnce(t *testing.T) {
	r := newR30(t, nil)
	fg := &refuseOnce{Forge: r.fg}
	fg.fn = func() {
		q := r.req("shop-frontend:1.1.0", true)
		q.PR.Forge = crashAfterPush{r.fg}
		if _, err := bump.Run(r.ctx, q, r.opts()...); err == nil {
			t.Error("the interleaved run was to stop after its push")
		}
	}
	q := r.req("shop-backend:1.1.0", true)
	q.PR.Forge = fg
	res, err := bump.Run(r.ctx, q, r.opts()...)
	if err != nil {
		t.Fatalf("bump after a refused update: %v", err)
	}
	if !fg.refused {
		t.Fatal("the host was never asked to update the pull request")
	}
	got := r.show("tagbump/shop-prod:shop/values-prod.yaml")
	if tagOf(got, "backend") != "1.1.0" || tagOf(got, "frontend") != "1.1.0" {
		t.Fatalf("branch proposes:\n%s", got)
	}
	prs := r.f.PRs()
	if len(prs) != 1 || res.PRNumber != prs[0].Number {
		t.Fatalf("host has %+v, run names #%d", prs, res.PRNumber)
	}
	for _, key := range []string{".backend.image.tag", ".frontend.image.tag"} {
		if !strings.Contains(prs[0].Body, key) {
			t.Errorf("the pull request's body misses %s:\n%s", key, prs[0].Body)
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

// A rollback of backend pending on the pull request branch and a bump of
// frontend make one commit. Merged, the rollback's trailers label only
// backend: frontend may deploy the tag backend's rollback took away, and
// backend still may not.
func TestPendingRollbackLabelsOnlyItsValues(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", false))
	r.run(r.req("shop-backend:1.2.0", false))
	if _, err := bump.Rollback(r.ctx, bump.RollbackRequest{Request: r.req("shop-backend:1.2.0", true)}, r.opts()...); err != nil {
		t.Fatalf("rollback --pr: %v", err)
	}
	res := r.run(r.req("shop-frontend:1.1.0", true))
	if err := r.f.Merge("acme/charts", res.PRNumber); err != nil {
		t.Fatal(err)
	}
	if got := r.show("main:shop/values-prod.yaml"); tagOf(got, "backend") != "1.1.0" || tagOf(got, "frontend") != "1.1.0" {
		t.Fatalf("merged:\n%s", got)
	}
	if res := r.run(r.req("shop-frontend:1.2.0", false)); res.Outcome != bump.Changed {
		t.Errorf("frontend 1.2.0 after backend's rollback of 1.2.0: %s", res.Outcome)
	}
	var rb *bump.RolledBackError
	if _, err := bump.Run(r.ctx, r.req("shop-backend:1.2.0", false), r.opts()...); !errors.As(err, &rb) {
		t.Errorf("backend 1.2.0 again after its rollback: %v, want a RolledBackError", err)
	}
	h, err := bump.History(r.ctx, bump.HistoryRequest{Repo: r.f.URL + "/acme/charts.git", Branch: "main", Chart: "shop", Env: "prod"}, r.opts()...)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, d := range h.Deployments {
		for _, im := range d.Images {
			if _, seen := kinds[im.Key+" "+im.New]; !seen {
				kinds[im.Key+" "+im.New] = d.Kind
			}
		}
	}
	if kinds[".backend.image.tag 1.1.0"] != bump.KindRollback || kinds[".frontend.image.tag 1.1.0"] == bump.KindRollback {
		t.Errorf("history reads the merged pull request as %v", kinds)
	}
}

// closeAfter runs fn inside the first Close, before closing.
type closeAfter struct {
	forge.Forge
	fn func()
}

func (c *closeAfter) Close(ctx context.Context, pr *forge.PR, comment string) error {
	if c.fn != nil {
		fn := c.fn
		c.fn = nil
		fn()
	}
	return c.Forge.Close(ctx, pr, comment)
}

// A run withdraws the pull request (the base already has its value) while
// another run adds its deploy to the branch: the withdrawal is read again,
// and the other deploy gets an open pull request.
func TestWithdrawLeased(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", true))
	r.run(r.req("shop-backend:1.1.0", false)) // deployed directly meanwhile
	fg := &closeAfter{Forge: r.fg, fn: func() { r.run(r.req("shop-frontend:1.1.0", true)) }}
	q := r.req("shop-backend:1.1.0", true)
	q.PR.Forge = fg
	res := r.run(q)
	if fg.fn != nil {
		t.Fatalf("the run closed nothing: %+v", res)
	}
	var open []testenv.FakePR
	for _, p := range r.f.PRs() {
		if p.State == "open" {
			open = append(open, p)
		}
	}
	if len(open) != 1 || !strings.Contains(open[0].Body, ".frontend.image.tag") {
		t.Fatalf("open pull requests %+v: frontend's pending deploy has none", open)
	}
	if got := r.show("tagbump/shop-prod:shop/values-prod.yaml"); tagOf(got, "frontend") != "1.1.0" {
		t.Errorf("branch proposes:\n%s", got)
	}
}

// rivalWriter pushes the PR branch with git, after fn ran once: another
// pipeline's deploy lands on the branch between this run's read and its
// push.
type rivalWriter struct {
	fn     func()
	writes int
}

func (w *rivalWriter) Publish(context.Context, *gitrepo.Commit) (string, error) {
	return "", errors.New("a --pr run pushes only its branch")
}

func (w *rivalWriter) WriteBranch(ctx context.Context, repo *gitrepo.Repo, c *gitrepo.Commit, branch string, old plumbing.Hash) (string, error) {
	w.writes++
	if w.fn != nil {
		fn := w.fn
		w.fn = nil
		fn()
	}
	if err := repo.PushBranch(ctx, c, branch, old); err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

// The push of the PR branch is leased on the tip read: a rival's deploy
// pushed in between is refused as a race, read again, and kept.
func TestPRBranchPushLeased(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", true))
	w := &rivalWriter{fn: func() { r.run(r.req("shop-frontend:1.1.0", true)) }}
	res, err := bump.Run(r.ctx, r.req("shop-backend:1.2.0", true), append(r.opts(), bump.WithPublisher(w))...)
	if err != nil {
		t.Fatal(err)
	}
	if w.writes != 2 || res.Attempts != 2 {
		t.Errorf("%d writes in %d attempts, want the leased push refused once and redone", w.writes, res.Attempts)
	}
	got := r.show("tagbump/shop-prod:shop/values-prod.yaml")
	if tagOf(got, "backend") != "1.2.0" || tagOf(got, "frontend") != "1.1.0" {
		t.Errorf("branch proposes (the rival's deploy lost?):\n%s", got)
	}
}

type createFails struct{ forge.Forge }

func (createFails) Create(context.Context, string, string, forge.Content) (*forge.PR, error) {
	return nil, errors.New("the runner was stopped")
}

// The host refuses auto-merge: the run fails, whether it opened the pull
// request after its push or for a branch an earlier run pushed; a second
// attempt would find the deploy pending and report success without it.
func TestAutoMergeRefusedFails(t *testing.T) {
	r := newR30(t, nil)
	r.f.NoAutoMerge = true
	squash := func(q *bump.Request) { q.PR.AutoMerge = forge.Squash }
	if res, err := bump.Run(r.ctx, r.req("shop-backend:1.1.0", true, squash), r.opts()...); err == nil {
		t.Errorf("after the push: success without auto-merge: %+v", res.PRResult)
	}

	r = newR30(t, nil)
	q := r.req("shop-backend:1.1.0", true)
	q.PR.Forge = createFails{r.fg}
	if _, err := bump.Run(r.ctx, q, r.opts()...); err == nil {
		t.Fatal("the run that was to stop after its push succeeded")
	}
	r.f.NoAutoMerge = true
	if res, err := bump.Run(r.ctx, r.req("shop-backend:1.1.0", true, squash), r.opts()...); err == nil {
		t.Errorf("for the pending branch: success without auto-merge: %+v", res.PRResult)
	}
}

// closeThenDelete deletes the branch right after closing its pull request,
// as a host that deletes a closed pull request's branch does.
type closeThenDelete struct {
	forge.Forge
	del func()
}

func (c *closeThenDelete) Close(ctx context.Context, pr *forge.PR, comment string) error {
	err := c.Forge.Close(ctx, pr, comment)
	if c.del != nil {
		c.del()
		c.del = nil
	}
	return err
}

// A branch deleted after the close holds nothing pending: the run closed
// the pull request and says so.
func TestWithdrawBranchDeleted(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", true))
	r.run(r.req("shop-backend:1.1.0", false))
	fg := &closeThenDelete{Forge: r.fg, del: func() {
		if out, err := exec.Command("git", "--git-dir", r.f.Git.Dir("acme/charts"), "update-ref", "-d", "refs/heads/tagbump/shop-prod").CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}}
	q := r.req("shop-backend:1.1.0", true)
	q.PR.Forge = fg
	if res := r.run(q); res.PRAction != bump.PRClosed || res.PRNumber == 0 {
		t.Errorf("this run closed the pull request; it reports %q #%d (attempts %d)", res.PRAction, res.PRNumber, res.Attempts)
	}
}

// A merged pull request that deployed two services is one deployment for
// rollback: one step undoes both, and the rolled-back tags are both.
func TestRollbackMergedPullRequest(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", false))
	r.run(r.req("shop-frontend:1.1.0", false))
	r.run(r.req("shop-backend:1.2.0", true))
	r.run(r.req("shop-frontend:1.2.0", true))
	dir := r.f.Git.Dir("acme/charts")
	if out, err := exec.Command("git", "--git-dir", dir, "update-ref", "refs/heads/main", "refs/heads/tagbump/shop-prod").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out) // a fast-forward merge
	}
	if _, err := bump.Rollback(r.ctx, bump.RollbackRequest{Request: r.req("shop-backend:1.2.0", false)}, r.opts()...); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	got := r.show("main:shop/values-prod.yaml")
	if tagOf(got, "backend") != "1.1.0" || tagOf(got, "frontend") != "1.1.0" {
		t.Errorf("rollback of the merged pull request left backend %s, frontend %s; want both 1.1.0", tagOf(got, "backend"), tagOf(got, "frontend"))
	}
	var rb *bump.RolledBackError
	for _, img := range []string{"shop-backend:1.2.0", "shop-frontend:1.2.0"} {
		if _, err := bump.Run(r.ctx, r.req(img, false), r.opts()...); !errors.As(err, &rb) {
			t.Errorf("%s after its rollback: %v, want a RolledBackError", img, err)
		}
	}
}

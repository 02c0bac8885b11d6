package bump_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

const r30values = "backend:\n  image:\n    repository: registry.example.com/shop-backend\n    tag: 1.0.0\nfrontend:\n  image:\n    repository: registry.example.com/shop-frontend\n    tag: 1.0.0\n"

type r30 struct {
	t   *testing.T
	f   *testenv.FakeForge
	fg  forge.Forge
	ctx context.Context
}

func newR30(t *testing.T, files map[string]string) *r30 {
	testenv.RequireBinary(t, "git")
	f, err := testenv.StartFakeForge("github")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	if files == nil {
		files = map[string]string{"shop/values-prod.yaml": r30values}
	}
	if err := f.CreateRepo("acme/charts", files); err != nil {
		t.Fatal(err)
	}
	fg, err := forge.New(forge.Options{Kind: forge.GitHub, RepoURL: f.URL + "/acme/charts.git", Token: f.Token})
	if err != nil {
		t.Fatal(err)
	}
	return &r30{t, f, fg, context.Background()}
}

func (r *r30) req(image string, pr bool, mod ...func(*bump.Request)) bump.Request {
	img, err := imageref.Parse("registry.example.com/" + image)
	if err != nil {
		r.t.Fatal(err)
	}
	sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
	q := bump.Request{Repo: r.f.URL + "/acme/charts.git", Branch: "main", Chart: "shop", Envs: []string{"prod"},
		Image: img, Author: sig, Committer: sig}
	if pr {
		q.PR = &bump.PRRequest{Forge: r.fg}
	}
	for _, m := range mod {
		m(&q)
	}
	return q
}

func (r *r30) opts() []bump.Option {
	return []bump.Option{bump.WithGitOptions(gitrepo.WithHTTPAuth("", r.f.Token)), bump.WithBackoff(func(int) time.Duration { return 0 })}
}

func (r *r30) run(q bump.Request) *bump.Result {
	r.t.Helper()
	res, err := bump.Run(r.ctx, q, r.opts()...)
	if err != nil {
		r.t.Fatalf("bump %s: %v", q.Image, err)
	}
	return res
}

func (r *r30) show(ref string) string {
	out, err := exec.Command("git", "--git-dir", r.f.Git.Dir("acme/charts"), "show", ref).CombinedOutput()
	if err != nil {
		r.t.Fatalf("git show %s: %v %s", ref, err, out)
	}
	return string(out)
}

func tagOf(file, svc string) string {
	_, rest, _ := strings.Cut(file, svc+":\n")
	_, rest, _ = strings.Cut(rest, "tag: ")
	v, _, _ := strings.Cut(rest, "\n")
	return v
}

// A direct deploy of a newer backend lands on main while an older one is
// pending: the next --pr run for another service must not bring the older
// pending tag back over it.
func TestPendingStaleAfterBaseMovedOnKey(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", true))
	r.run(r.req("shop-backend:1.2.0", false)) // hotfix pushed directly
	r.run(r.req("shop-frontend:1.1.0", true))
	got := r.show("tagbump/shop-prod:shop/values-prod.yaml")
	if tagOf(got, "backend") != "1.2.0" {
		t.Errorf("PR branch proposes backend %s over main's 1.2.0 (downgrade resurrected):\n%s\n%s", tagOf(got, "backend"), got, r.show("tagbump/shop-prod"))
	}
}

// The base moved backend to another repository; a pending tag of the old
// repository must not be written into the block that now names another.
func TestPendingReplayOntoOtherRepository(t *testing.T) {
	r := newR30(t, nil)
	r.run(r.req("shop-backend:1.1.0", true))
	// by hand on main: backend now runs shop-api 5.0.0 in the same block
	moved := strings.Replace(r30values, "shop-backend\n    tag: 1.0.0", "shop-api\n    tag: 5.0.0", 1)
	dir := r.f.Git.Dir("acme/charts")
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"--git-dir", dir, "-c", "user.name=h", "-c", "user.email=h@x"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cmd := exec.Command("git", "--git-dir", dir, "hash-object", "-w", "--stdin")
	cmd.Stdin = strings.NewReader(moved)
	blob, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	shop := git("mktree")
	_ = shop
	mk := func(entry string) string {
		c := exec.Command("git", "--git-dir", dir, "mktree")
		c.Stdin = strings.NewReader(entry)
		out, err := c.Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	sub := mk("100644 blob " + strings.TrimSpace(string(blob)) + "\tvalues-prod.yaml\n")
	root := mk("040000 tree " + sub + "\tshop\n")
	c := git("commit-tree", root, "-p", "main", "-m", "backend becomes shop-api")
	git("update-ref", "refs/heads/main", c)
	r.run(r.req("shop-frontend:1.1.0", true))
	got := r.show("tagbump/shop-prod:shop/values-prod.yaml")
	if strings.Contains(got, "shop-api\n    tag: 1.1.0") {
		t.Errorf("shop-backend's pending 1.1.0 was written into the shop-api block:\n%s", got)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// interleave runs fn once, inside the first FindOpen, before looking.
type interleave struct {
	forge.Forge
	fn func()
}

func (i *interleave) FindOpen(ctx context.Context, head, base string) (*forge.PR, error) {
	if i.fn != nil {
		fn := i.fn
		i.fn = nil
		fn()
	}
	return i.Forge.FindOpen(ctx, head, base)
}

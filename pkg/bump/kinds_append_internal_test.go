package bump

import (
	"context"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// A kustomization over an Argo Rollout (Kustomize's images: apply to the
// containers of any kind): its resources spell the image "nginx", as
// Docker Hub's official images are written, and --image must name the
// registry (docker.io/library/nginx). The entry tagbump appends must be
// named as the resources spell it, or it applies to nothing.
func TestKustomizeAppendRollout(t *testing.T) {
	ctx := context.Background()
	snap := snapOf(t, map[string]string{
		"app/kustomization.yaml": "resources:\n- rollout.yaml\n",
		"app/rollout.yaml":       "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27.0\n",
	})
	src, err := snap.ReadFile(ctx, "app/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := setKustomization(ctx, snap, "app/kustomization.yaml", src, ref("docker.io/library/nginx:1.27.1"))
	if err != nil || !strings.Contains(string(out), "name: nginx\n") {
		t.Errorf("appended an entry Kustomize applies to nothing (the Rollout runs nginx):\n%s", out)
	}
}

// Resources that spell one image two ways (nginx and docker.io/library/nginx):
// Kustomize matches each spelling with its own entry. One appended entry,
// named by the first spelling, leaves the other workload on the old tag.
func TestKustomizeAppendTwoSpellings(t *testing.T) {
	dep := func(name, img string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: " + img + "\n"
	}
	ctx := context.Background()
	snap := snapOf(t, map[string]string{
		"app/kustomization.yaml": "resources:\n- a.yaml\n- b.yaml\n",
		"app/a.yaml":             dep("a", "nginx:1.27.0"),
		"app/b.yaml":             dep("b", "docker.io/library/nginx:1.27.0"),
	})
	src, _ := snap.ReadFile(ctx, "app/kustomization.yaml")
	out, _, err := setKustomization(ctx, snap, "app/kustomization.yaml", src, ref("docker.io/library/nginx:1.27.1"))
	if err != nil || !(strings.Contains(string(out), "name: nginx\n") && strings.Contains(string(out), "name: docker.io/library/nginx\n")) {
		t.Errorf("b.yaml (docker.io/library/nginx) keeps 1.27.0; the kustomization became:\n%s", out)
	}
}

// A kustomization whose image comes from a remote base: tagbump cannot tell
// how the base writes it, so it adds no entry (which might apply to
// nothing) and says so.
func TestKustomizeAppendUnreadBase(t *testing.T) {
	ctx := context.Background()
	snap := snapOf(t, map[string]string{
		"app/kustomization.yaml": "resources:\n- https://github.com/acme/base//deploy?ref=v1\n",
	})
	src, _ := snap.ReadFile(ctx, "app/kustomization.yaml")
	out, _, err := setKustomization(ctx, snap, "app/kustomization.yaml", src, ref("docker.io/library/nginx:1.27.1"))
	if err == nil || !strings.Contains(err.Error(), "remote base") {
		t.Errorf("setKustomization = %q, %v; want a refusal naming the unread resources", out, err)
	}
}

// snapOf serves files as a repository and returns its fetched main.
func snapOf(t *testing.T, files map[string]string) *gitrepo.Snapshot {
	t.Helper()
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", files)
	repo, err := gitrepo.Open(context.Background(), s.URL("charts"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	snap, err := repo.Fetch(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

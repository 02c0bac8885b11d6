package bump_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// BenchmarkAppsLarge measures bump --app on a repository of 2,000 charts
// with 4,000 Application manifests under apps/ (one per chart and
// environment) against the same bump with --chart/--env, alternating on
// one server so that load on the machine hits both alike; each bump
// pushes a new tag. It reports each one's mean time and HTTP requests,
// and the ratio of the times (issue 24's target: at most one request
// more, at most 1.2 times the time).
func BenchmarkAppsLarge(b *testing.B) {
	s := testenv.NewGitServer(b)
	url := s.URL("charts")
	files := testenv.ChartsFiles(2000, 1)
	for i := range 2000 {
		files[fmt.Sprintf("chart-%04d/Chart.yaml", i)] = fmt.Sprintf("apiVersion: v2\nname: chart-%04d\nversion: 0.1.0\n", i)
		for _, env := range []string{"staging", "prod"} {
			name := fmt.Sprintf("chart-%04d", i)
			files[fmt.Sprintf("apps/%s-%s.yaml", name, env)] = fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: %[1]s-%[2]s
  namespace: argocd
spec:
  project: default
  source:
    repoURL: %[3]s
    targetRevision: main
    path: %[1]s
    helm:
      valueFiles:
        - values-%[2]s.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: %[1]s-%[2]s
`, name, env, url)
		}
	}
	s.MustCreateRepo(b, "charts", files)
	ctx := context.Background()
	sig := object.Signature{Name: "bench", Email: "bench@example.com"}
	bumpWith := func(app bool) func(n int) {
		return func(n int) {
			r := bump.Request{Repo: url, Branch: "main", Author: sig, Committer: sig,
				Image: imageref.Ref{Registry: "registry.example.com", Repository: "chart-1234", Tag: fmt.Sprintf("9.0.%d", n)}}
			if app {
				r.Apps = []string{"chart-1234-prod"}
			} else {
				r.Chart, r.Envs = "chart-1234", []string{"prod"}
			}
			res, err := bump.Run(ctx, r, bump.WithGitOptions(gitrepo.WithTimeout(0)))
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Files) != 1 || res.Files[0].File != "chart-1234/values-prod.yaml" {
				b.Fatalf("files %+v", res.Files)
			}
		}
	}
	alternate(b, s, [2]string{"chart-env", "app"}, bumpWith(false), bumpWith(true))
}

package bump_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// appsRepo is a charts repository with Application manifests under apps/
// that name it by repoURL (the URL the server gives it, as https://…
// would be), and 40 more Applications of other charts.
func appsRepo(url string) map[string]string {
	files := map[string]string{
		"app-service/Chart.yaml":          "apiVersion: v2\nname: app-service\nversion: 0.1.0\n",
		"app-service/values.yaml":         "image:\n  repository: registry.example.com/app-service\n  tag: \"0.9.0\"\n",
		"app-service/values-staging.yaml": "image:\n  tag: app-service-122   # set by CI\n",
		"app-service/values-common.yaml":  "image:\n  tag: app-service-100\n",
		"app-service/values-prod.yaml":    "replicaCount: 3\n",
		"apps/app-service-staging.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-service-staging
  namespace: argocd
spec:
  source:
    repoURL: %s
    targetRevision: main
    path: app-service
    helm:
      valueFiles:
        - values-staging.yaml
`, strings.TrimSuffix(url, ".git")),
		// Multi-source: the chart from a Helm repository, the values from
		// here through $values; the tag is set in the first of two files.
		"apps/prod/app-service-prod.yaml": fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-service-prod
spec:
  sources:
    - repoURL: https://charts.example.com
      chart: app-service
      targetRevision: 0.1.0
      helm:
        valueFiles:
          - $values/app-service/values-common.yaml
          - $values/app-service/values-prod.yaml
    - repoURL: %s
      targetRevision: HEAD
      ref: values
`, strings.ToUpper(url[:4])+url[4:]),
	}
	// Single source, two value files: the last sets no tag, the chart's
	// values.yaml does (so an override could be added there), the first
	// sets it.
	files["apps/app-service-canary.yaml"] = strings.NewReplacer("app-service-staging", "app-service-canary",
		"        - values-staging.yaml\n", "        - values-common.yaml\n        - values-prod.yaml\n").Replace(files["apps/app-service-staging.yaml"])
	// Two charts of the repository in one Application: the image is in
	// one of them.
	files["sidecar/Chart.yaml"] = "apiVersion: v2\nname: sidecar\nversion: 0.1.0\n"
	files["sidecar/values.yaml"] = "image:\n  repository: registry.example.com/sidecar\n  tag: \"2.0\"\n"
	files["apps/duo.yaml"] = fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: app-service-duo
spec:
  sources:
    - repoURL: %[1]s
      targetRevision: main
      path: sidecar
    - repoURL: %[1]s
      targetRevision: main
      path: app-service
      helm:
        valueFiles: [values-staging.yaml]
`, url)
	// A Kustomize overlay and plain manifests, edited through pkg/target.
	files["k8s/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n"
	files["k8s/base/deployment.yaml"] = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-service\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app-service:app-service-1\n"
	files["k8s/qa/kustomization.yaml"] = "resources:\n  - ../base\nimages:\n  - name: registry.example.com/app-service\n    newTag: app-service-122\n"
	files["k8s/plain/deployment.yaml"] = files["k8s/base/deployment.yaml"]
	for name, p := range map[string]string{"app-service-qa-kustomize": "k8s/qa", "app-service-plain": "k8s/plain"} {
		files["apps/"+name+".yaml"] = fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: %s\nspec:\n  source:\n    repoURL: %s\n    targetRevision: main\n    path: %s\n", name, url, p)
	}
	for i := range 40 {
		files[fmt.Sprintf("apps/other-%02d.yaml", i)] = fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: other-%02d\nspec:\n  source:\n    repoURL: %s\n    targetRevision: main\n    path: other-%02d\n", i, url, i)
		files[fmt.Sprintf("other-%02d/values-staging.yaml", i)] = "image:\n  tag: \"1\"\n"
	}
	return files
}

func appsRequest(repo, tag string) bump.Request {
	sig := object.Signature{Name: "ci", Email: "ci@example.com"}
	return bump.Request{Repo: repo, Branch: "main", Image: imageref.Ref{Registry: "registry.example.com", Repository: "app-service", Tag: tag},
		Author: sig, Committer: sig}
}

// TestAppsRequests: --app costs at most one request more than the same
// bump with --chart/--env (the Application manifests, in one request), and
// pushes the same one-line edit.
func TestAppsRequests(t *testing.T) {
	run := func(apps bool) (int64, *bump.Result) {
		s := testenv.NewGitServer(t)
		s.MustCreateRepo(t, "charts", appsRepo(s.URL("charts")))
		r := appsRequest(s.URL("charts"), "app-service-123")
		if apps {
			r.Apps = []string{"app-service-staging"}
		} else {
			r.Chart, r.Envs = "app-service", []string{"staging"}
		}
		before := s.Requests()
		res, err := bump.Run(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		return s.Requests() - before, res
	}
	without, _ := run(false)
	with, res := run(true)
	t.Logf("bump with --chart/--env: %d requests; with --app: %d", without, with)
	if with > without+1 {
		t.Errorf("--app: %d requests, --chart/--env: %d: want at most one more", with, without)
	}
	if !res.Pushed || len(res.Files) != 1 || res.Files[0].File != "app-service/values-staging.yaml" || res.Files[0].App != "app-service-staging" || res.Files[0].Key != ".image.tag" {
		t.Errorf("result %+v", res)
	}
	if subject, _, _ := strings.Cut(res.Message, "\n"); subject != "chore(app-service-staging): update app-service image to app-service-123" {
		t.Errorf("subject %q", subject)
	}
	if !strings.Contains(res.Diff, "+  tag: app-service-123   # set by CI\n") {
		t.Errorf("diff:\n%s", res.Diff)
	}
}

// TestAppsMultiSource: a chart from a Helm repository with value files in
// the repository ($values, repoURL in another spelling, at HEAD): the
// file that sets the tag is edited, not the last one, which does not.
func TestAppsMultiSource(t *testing.T) {
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", appsRepo(s.URL("charts")))
	r := appsRequest(s.URL("charts"), "app-service-123")
	r.Branch, r.Apps, r.DryRun, r.Message = "", []string{"app-service-prod"}, true, "deploy {{.App}} {{.Tag}}"
	res, err := bump.Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].File != "app-service/values-common.yaml" || res.Files[0].Old != "app-service-100" {
		t.Errorf("files %+v", res.Files)
	}
	if !strings.HasPrefix(res.Message, "deploy app-service-prod app-service-123\n") {
		t.Errorf("message %q", res.Message)
	}
	// The same with the chart in the repository: the last file would
	// take an override, but the first sets the tag, and wins.
	r.Apps = []string{"app-service-canary"}
	if res, err = bump.Run(context.Background(), r); err != nil || len(res.Files) != 1 || res.Files[0].File != "app-service/values-common.yaml" || res.Files[0].Created {
		t.Errorf("canary: %v, files %+v", err, res.Files)
	}
	// Two Helm sources: the one whose files name the image is edited.
	r.Apps = []string{"app-service-duo"}
	if res, err = bump.Run(context.Background(), r); err != nil || len(res.Files) != 1 || res.Files[0].File != "app-service/values-staging.yaml" {
		t.Errorf("duo: %v, files %+v", err, res)
	}
	// Kustomize and plain manifests go through pkg/target's editors.
	for app, want := range map[string]string{"app-service-qa-kustomize": "k8s/qa/kustomization.yaml", "app-service-plain": "k8s/plain/deployment.yaml"} {
		r.Apps = []string{app}
		if res, err = bump.Run(context.Background(), r); err != nil || len(res.Files) != 1 || res.Files[0].File != want || res.Files[0].App != app {
			t.Errorf("%s: %v, %+v", app, err, res)
		}
	}
	r.Apps = []string{"app-service-prod"}
	// --branch main names the default branch too: HEAD is it.
	r.Branch = "main"
	if _, err := bump.Run(context.Background(), r); err != nil {
		t.Errorf("--branch main: %v", err)
	}
}

// TestAppsParameters: an Application whose helm.parameters set the tag
// at the key its value file sets it (image.tag) is bumped in its
// manifest, where Argo CD takes the tag from; the value file, which the
// parameter overrides, is left alone.
func TestAppsParameters(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := appsRepo(s.URL("charts"))
	files["apps/params.yaml"] = strings.Replace(files["apps/app-service-staging.yaml"], "app-service-staging", "app-service-qa", 1) +
		"      parameters:\n        - name: image.tag\n          value: app-service-1\n"
	s.MustCreateRepo(t, "charts", files)
	r := appsRequest(s.URL("charts"), "app-service-123")
	r.Apps = []string{"app-service-qa"}
	res, err := bump.Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].File != "apps/params.yaml" || res.Files[0].Key != ".spec.source.helm.parameters[0].value" ||
		res.Files[0].Old != "app-service-1" || res.Files[0].New != "app-service-123" {
		t.Errorf("files %+v", res.Files)
	}
	if got := testenv.MustGit(t, s.Dir("charts"), "diff", "--numstat", "main~1", "main"); strings.TrimSpace(got) != "1\t1\tapps/params.yaml" {
		t.Errorf("changed: %q", got)
	}
}

// TestAppsRefused: an Application that is not there is refused with
// nothing pushed.
func TestAppsRefused(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := appsRepo(s.URL("charts"))
	tip := strings.TrimSpace(testenv.MustGit(t, s.MustCreateRepo(t, "charts", files), "rev-parse", "main"))
	for _, c := range []struct {
		app     string
		problem argocd.Problem
		says    string
	}{
		{"app-service-stagin", argocd.ProblemNotFound, "did you mean app-service-staging, "},
	} {
		r := appsRequest(s.URL("charts"), "app-service-123")
		r.Apps = []string{c.app}
		_, err := bump.Run(context.Background(), r)
		var ae *argocd.AppError
		if !errors.As(err, &ae) || ae.Problem != c.problem || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want a %q AppError saying %q", c.app, err, c.problem, c.says)
		}
	}
	if got := testenv.MustGit(t, s.Dir("charts"), "rev-parse", "main"); strings.TrimSpace(got) != tip {
		t.Errorf("main moved to %s", got)
	}
}

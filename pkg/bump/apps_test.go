package bump_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/target"
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

// TestAppsRequests: --app costs no request more than the same bump with
// --chart/--env when the Application is named after its chart (the
// manifests come with the guard's history and the chart's files), and at
// most one more when it is not; either way it pushes the same one-line
// edit.
func TestAppsRequests(t *testing.T) {
	run := func(app string) (int64, *bump.Result) {
		s := testenv.NewGitServer(t)
		files := appsRepo(s.URL("charts"))
		files["apps/frontend.yaml"] = strings.ReplaceAll(files["apps/app-service-staging.yaml"], "name: app-service-staging", "name: frontend-staging")
		s.MustCreateRepo(t, "charts", files)
		r := appsRequest(s.URL("charts"), "app-service-123")
		if app != "" {
			r.Apps = []string{app}
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
	without, _ := run("")
	for app, more := range map[string]int64{"app-service-staging": 0, "frontend-staging": 1} {
		with, res := run(app)
		t.Logf("bump with --chart/--env: %d requests; with --app %s: %d", without, app, with)
		if with > without+more {
			t.Errorf("--app %s: %d requests, --chart/--env: %d: want at most %d more", app, with, without, more)
		}
		if !res.Pushed || len(res.Files) != 1 || res.Files[0].File != "app-service/values-staging.yaml" || res.Files[0].App != app || res.Files[0].Key != ".image.tag" {
			t.Errorf("result %+v", res)
		}
		if subject, _, _ := strings.Cut(res.Message, "\n"); subject != "chore("+app+"): update app-service image to app-service-123" {
			t.Errorf("subject %q", subject)
		}
		if !strings.Contains(res.Diff, "+  tag: app-service-123   # set by CI\n") {
			t.Errorf("diff:\n%s", res.Diff)
		}
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

// bumpStaging bumps image (app-service when zero) of app-service-staging
// to tag in appsRepo, with valuesExtra appended to its value file and
// manifestExtra to its manifest; it returns the server too.
func bumpStaging(t *testing.T, valuesExtra, manifestExtra string, image imageref.Ref, tag string) (*testenv.GitServer, *bump.Result, error) {
	t.Helper()
	s := testenv.NewGitServer(t)
	files := appsRepo(s.URL("charts"))
	files["app-service/values-staging.yaml"] += valuesExtra
	files["apps/app-service-staging.yaml"] += manifestExtra
	s.MustCreateRepo(t, "charts", files)
	r := appsRequest(s.URL("charts"), tag)
	if image.Repository != "" {
		r.Image = image
	}
	r.Apps = []string{"app-service-staging"}
	res, err := bump.Run(context.Background(), r)
	return s, res, err
}

// stagingPlace is where history and rollback --app app-service-staging
// read the image repository (AppValuesPlace).
func stagingPlace(s *testenv.GitServer, repository string) (bump.Pick, string, []string, error) {
	q := appsRequest(s.URL("charts"), "")
	q.Apps = []string{"app-service-staging"}
	pick := bump.Pick{Images: []imageref.Ref{{Registry: "registry.example.com", Repository: repository}}}
	file, keys, err := bump.AppValuesPlace(context.Background(), q, pick)
	return pick, file, keys, err
}

// TestAppRepositoryOverride: the Application sets the repository of the
// block whose tag the value files give (.image.tag) to another image:
// Argo CD would deploy registry.example.com/other-service with the tag
// tagbump writes for app-service, so the bump is refused, neither written
// into values-staging.yaml nor into an image.tag parameter paired with
// the other repository.
func TestAppRepositoryOverride(t *testing.T) {
	for name, manifest := range map[string]string{
		"parameter":        "      parameters:\n        - name: image.repository\n          value: registry.example.com/other-service\n",
		"valuesObject":     "      valuesObject:\n        image:\n          repository: registry.example.com/other-service\n",
		"parameterWithTag": "      parameters:\n        - name: image.repository\n          value: registry.example.com/other-service\n        - name: image.tag\n          value: o-1\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, res, err := bumpStaging(t, "", manifest, imageref.Ref{}, "app-service-123")
			if err == nil {
				t.Fatalf("bumped %+v: Argo CD deploys registry.example.com/other-service:app-service-123", res.Files)
			}
			if !errors.Is(err, target.ErrOtherImage) || !strings.Contains(err.Error(), "other-service") {
				t.Errorf("refused for another reason: %v", err)
			}
		})
	}
}

// TestAppRollbackPlace: history and rollback --app --image read the place
// bump --app writes, decided the same way (the value files' keys).
// worker: the image.tag parameter is app-service's (its repository is in
// values.yaml); bump writes worker in values-staging.yaml. api: an
// api.tag parameter overrides the value file's .api.tag (api.repository
// is in the value file); bump writes the parameter.
func TestAppRollbackPlace(t *testing.T) {
	for _, c := range []struct{ image, values, manifest string }{
		{"worker", "worker:\n  image:\n    repository: registry.example.com/worker\n    tag: w-1\n", "      parameters:\n        - name: image.tag\n          value: app-service-122\n"},
		{"api", "api:\n  repository: registry.example.com/api\n  tag: a-1\n", "      parameters:\n        - name: api.tag\n          value: a-1\n"},
	} {
		t.Run(c.image, func(t *testing.T) {
			tag := c.image[:1] + "-2" // over w-1, a-1
			s, res, err := bumpStaging(t, c.values, c.manifest, imageref.Ref{Registry: "registry.example.com", Repository: c.image, Tag: tag}, tag)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != 1 {
				t.Fatalf("bump wrote %+v", res.Files)
			}
			_, file, keys, err := stagingPlace(s, c.image)
			if err != nil {
				t.Fatal(err)
			}
			if file != res.Files[0].File || (len(keys) > 0) != strings.HasPrefix(file, "apps/") {
				t.Errorf("history/rollback --image %s read %s at %v; bump wrote %s %s", c.image, file, keys, res.Files[0].File, res.Files[0].Key)
			}
		})
	}
}

// TestAppRollbackManifest: bump --app writes the tag in the Application's
// manifest, as an image.tag parameter or inside helm.values text;
// rollback --app (as the CLI runs it: the file and keys from
// AppValuesPlace, which replace the pick) sets it back there, with the
// editor bump uses, rather than in the value file, which deploys nothing.
func TestAppRollbackManifest(t *testing.T) {
	for name, c := range map[string]struct{ manifest, key string }{
		"parameter": {"      parameters:\n        - name: image.tag\n          value: app-service-122\n", ".spec.source.helm.parameters[0].value"},
		"helmValues": {"      values: |\n        image:\n          repository: registry.example.com/app-service\n          tag: app-service-122  # CI\n",
			".spec.source.helm.values .image.tag"},
	} {
		t.Run(name, func(t *testing.T) {
			s, res, err := bumpStaging(t, "", c.manifest, imageref.Ref{}, "app-service-123")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != 1 || res.Files[0].File != "apps/app-service-staging.yaml" {
				t.Fatalf("bump wrote %+v", res.Files)
			}
			_, file, keys, err := stagingPlace(s, "app-service")
			if err != nil {
				t.Fatal(err)
			}
			if file != "apps/app-service-staging.yaml" || !slices.Equal(keys, []string{c.key}) {
				t.Fatalf("history/rollback --app read %s at %v; bump wrote %s %s", file, keys, res.Files[0].File, res.Files[0].Key)
			}
			rq := appsRequest(s.URL("charts"), "")
			rq.Envs, rq.ValuesFile = []string{"app-service-staging"}, file
			rb, err := bump.Rollback(context.Background(), bump.RollbackRequest{Request: rq, Pick: bump.Pick{Keys: keys}})
			if err != nil {
				t.Fatalf("rollback --app of %s: %v", file, err)
			}
			if len(rb.Files) != 1 || rb.Files[0].Key != c.key || rb.Files[0].New != "app-service-122" {
				t.Errorf("rollback %+v", rb.Files)
			}
			// Byte-exact: the manifest is again what it was before the bump.
			if d := testenv.MustGit(t, s.Dir("charts"), "diff", "main~2", "main"); d != "" {
				t.Errorf("the rollback did not restore %s:\n%s", file, d)
			}
		})
	}
}

// TestAppKustomizeImagesByOriginalName: kustomization.yaml renames app
// to registry.example.com/app-service; the Application's
// kustomize.images "app:1.0" (kustomize edit set image app:1.0, which Argo
// CD runs before the build) overrides that entry's tag. Writing newTag in
// kustomization.yaml deploys nothing: refused.
func TestAppKustomizeImagesByOriginalName(t *testing.T) {
	s := testenv.NewGitServer(t)
	url := s.URL("charts")
	files := map[string]string{
		"overlay/deployment.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app\n",
		"overlay/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\nimages:\n  - name: app\n    newName: registry.example.com/app-service\n    newTag: \"1.0\"\n",
		"apps/k.yaml":                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: k\nspec:\n  source:\n    repoURL: " + url + "\n    targetRevision: main\n    path: overlay\n    kustomize:\n      images:\n        - app:1.0\n",
	}
	s.MustCreateRepo(t, "charts", files)
	r := appsRequest(url, "app-service-123")
	r.Apps = []string{"k"}
	res, err := bump.Run(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), "kustomize.images app:1.0") {
		t.Errorf("bumped %+v (%v): kustomize.images app:1.0 in apps/k.yaml overrides the tag", res, err)
	}
}

// TestAppSourceAndSources: with both spec.source and spec.sources, Argo CD
// deploys spec.sources and ignores spec.source; here spec.sources is a
// chart from a Helm repository with no value file in this repository.
// Editing spec.source's value file deploys nothing: refused.
func TestAppSourceAndSources(t *testing.T) {
	_, res, err := bumpStaging(t, "", "  sources:\n    - repoURL: https://charts.example.com\n      chart: app-service\n      targetRevision: 0.1.0\n", imageref.Ref{}, "app-service-123")
	if err == nil || !strings.Contains(err.Error(), "https://charts.example.com") {
		t.Fatalf("bumped %+v (%v): Argo CD deploys spec.sources, not spec.source", res, err)
	}
}

// TestAppSameManifestAfterSkip: two Applications in one manifest file,
// bumped in one commit; the first's parameter is newer (the bump is
// skipped as a downgrade), the second's older. The second must still be
// written: its edit is not "over" a changed file, and planned.has (which
// counts the skipped change) drops it.
func TestAppSameManifestAfterSkip(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := appsRepo(s.URL("charts"))
	one := func(name, tag string) string {
		return strings.Replace(files["apps/app-service-staging.yaml"], "app-service-staging", name, 1) +
			"      parameters:\n        - name: image.tag\n          value: " + tag + "\n"
	}
	files["apps/pair.yaml"] = one("app-service-qa", "app-service-200") + "---\n" + one("app-service-dev", "app-service-100")
	s.MustCreateRepo(t, "charts", files)
	r := appsRequest(s.URL("charts"), "app-service-123")
	r.Apps = []string{"app-service-qa", "app-service-dev"}
	res, err := bump.Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	written := false
	for _, f := range res.Files {
		if f.App == "app-service-dev" && f.Skipped == "" && f.New == "app-service-123" {
			written = true
		}
	}
	got := testenv.MustGit(t, s.Dir("charts"), "show", "main:apps/pair.yaml")
	if !written || !strings.Contains(got, "value: app-service-123") {
		t.Errorf("app-service-dev not bumped: %+v\n%s", res.Files, got)
	}
}

// TestAppsGuessTooLarge: a values file of the guessed chart that the
// Application does not use, larger than the per-file cap, does not fail
// the bump: the plan never reads it, and it did not before the guessed
// chart's files were prefetched with the manifests (review of d2880c7).
func TestAppsGuessTooLarge(t *testing.T) {
	s := testenv.NewGitServer(t)
	files := appsRepo(s.URL("charts"))
	// 3 MiB, above gitrepo.DefaultMaxFileSize; never deployed by
	// app-service-staging (values-staging.yaml only).
	files["app-service/values-loadtest.yaml"] = "fixtures: \"" + strings.Repeat("x", 3<<20) + "\"\n"
	s.MustCreateRepo(t, "charts", files)
	r := appsRequest(s.URL("charts"), "app-service-123")
	r.Apps = []string{"app-service-staging"}
	res, err := bump.Run(context.Background(), r)
	if err != nil {
		t.Fatalf("--app app-service-staging: %v (values-loadtest.yaml is never read)", err)
	}
	if !res.Pushed || len(res.Files) != 1 || res.Files[0].File != "app-service/values-staging.yaml" {
		t.Errorf("result %+v", res)
	}
}

package argocd_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/pkg/argocd"
)

// dirFiles reads a layout under testdata/argocd as a repository; it counts
// the files read outside a Prefetch, which would each cost a request.
type dirFiles struct {
	root       string
	prefetched map[string]bool
	prefetches int
	unfetched  []string
}

func layout(t *testing.T, name string) *dirFiles {
	t.Helper()
	root := filepath.Join("..", "..", "testdata", "argocd", name)
	if _, err := os.Stat(root); err != nil {
		t.Fatal(err)
	}
	return &dirFiles{root: root, prefetched: map[string]bool{}}
}

func (d *dirFiles) ReadFile(_ context.Context, p string) ([]byte, error) {
	if !d.prefetched[p] {
		d.unfetched = append(d.unfetched, p)
	}
	b, err := os.ReadFile(filepath.Join(d.root, filepath.FromSlash(p)))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
	}
	return b, nil
}

func (d *dirFiles) Prefetch(_ context.Context, paths ...string) error {
	d.prefetches++
	for _, p := range paths {
		d.prefetched[p] = true
	}
	return nil
}

func (d *dirFiles) List(p string) (dirs, files []string, err error) {
	es, err := os.ReadDir(filepath.Join(d.root, filepath.FromSlash(p)))
	if err != nil {
		return nil, nil, &fs.PathError{Op: "list", Path: p, Err: fs.ErrNotExist}
	}
	for _, e := range es {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		} else {
			files = append(files, e.Name())
		}
	}
	return dirs, files, nil
}

func find(t *testing.T, repo argocd.Repo, appsPath string, names ...string) []*argocd.App {
	t.Helper()
	apps, err := argocd.Find(context.Background(), argocd.Query{Names: names, AppsPath: appsPath, Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

// TestSingleSource: the seed's Application, a chart in Git with one value
// file, found under apps/ by the default search, with the repository named
// in its HTTPS form, and one with two value files (Helm's order kept, the
// last is File) named in Azure DevOps' SSH form at HEAD.
func TestSingleSource(t *testing.T) {
	files := layout(t, "single")
	repo := argocd.Repo{URL: "https://acme@dev.azure.com/acme/platform/_git/helm-charts", Branch: "main", DefaultBranch: true, Files: files}
	apps := find(t, repo, "", "app-service-staging", "app-service-prod")
	want := []argocd.Target{{Kind: argocd.KindHelmValues, File: "app-service/values-staging.yaml", Source: -1, ChartDir: "app-service", ValueFiles: []string{"app-service/values-staging.yaml"}}}
	if diff := cmp.Diff(want, apps[0].Targets); diff != "" {
		t.Errorf("staging targets (-want +got):\n%s", diff)
	}
	want = []argocd.Target{{Kind: argocd.KindHelmValues, File: "app-service/values-prod.yaml", Source: -1, ChartDir: "app-service",
		ValueFiles: []string{"app-service/values-common.yaml", "app-service/values-prod.yaml"}}}
	if diff := cmp.Diff(want, apps[1].Targets); diff != "" {
		t.Errorf("prod targets (-want +got):\n%s", diff)
	}
	if apps[0].File != "apps/app-service-staging.yaml" || apps[0].Namespace != "argocd" || apps[0].Multi {
		t.Errorf("app %+v", apps[0])
	}
	// Both manifests came in one prefetch: no file was read on its own.
	if files.prefetches != 1 || len(files.unfetched) != 0 {
		t.Errorf("%d prefetches, files read without one: %v", files.prefetches, files.unfetched)
	}

	// targetRevision HEAD names the default branch only.
	repo.DefaultBranch = false
	_, err := argocd.Find(context.Background(), argocd.Query{Names: []string{"app-service-prod"}, Repo: repo})
	var ae *argocd.AppError
	if !errors.As(err, &ae) || ae.Problem != argocd.ProblemRevision || !strings.Contains(err.Error(), "targetRevision HEAD") {
		t.Errorf("HEAD on a branch that is not the default: %v, want the revision refused", err)
	}
}

// TestMultiSource: $values into a ref: source of the same repository,
// written as git@host:org/repo.git, https://host/org/repo and
// https://HOST/org/repo.git/; a chart from a Helm repository with its
// values in Git; several documents per file.
func TestMultiSource(t *testing.T) {
	repo := argocd.Repo{URL: "https://github.com/acme/gitops.git", Branch: "main", Files: layout(t, "multi")}
	apps := find(t, repo, "", "redis-prod", "web-staging")
	want := []argocd.Target{{Kind: argocd.KindHelmValues, File: "envs/prod/redis.yaml", Source: 0, ValueFiles: []string{"envs/prod/redis.yaml"}}}
	if diff := cmp.Diff(want, apps[0].Targets); diff != "" {
		t.Errorf("redis-prod (-want +got):\n%s", diff)
	}
	want = []argocd.Target{{Kind: argocd.KindHelmValues, File: "envs/staging/web-overrides.yaml", Source: 0, ChartDir: "charts/web",
		ValueFiles: []string{"charts/web/values.yaml", "envs/staging/web.yaml", "envs/staging/web-overrides.yaml"}}}
	if diff := cmp.Diff(want, apps[1].Targets); diff != "" {
		t.Errorf("web-staging (-want +got):\n%s", diff)
	}
	if !apps[1].Multi || apps[1].Doc != 1 || apps[1].File != "argocd/apps.yaml" {
		t.Errorf("web-staging at %s document %d, multi %v", apps[1].File, apps[1].Doc, apps[1].Multi)
	}
	// Only a file Helm reads after the last one here can override it.
	prod := find(t, repo, "", "web-prod")[0].Targets
	want = []argocd.Target{{Kind: argocd.KindHelmValues, File: "envs/prod/web.yaml", Source: 0, ChartDir: "charts/web", ValueFiles: []string{"envs/prod/web.yaml"},
		Warnings: []string{"after envs/prod/web.yaml Helm reads a value file tagbump cannot see (https://config.example.com/web/prod.yaml is a URL): a tag set there wins over the one set here"}}}
	if diff := cmp.Diff(want, prod); diff != "" {
		t.Errorf("web-prod (-want +got):\n%s", diff)
	}
}

// TestAppOfApps: the Applications live in another repository than the
// charts (--apps-repo); the Kustomize overlay, the plain manifests (with
// directory.recurse) and the Application-embedded kinds are reported,
// wherever the manifest lives: what it sets overrides the value files.
func TestAppOfApps(t *testing.T) {
	charts := argocd.Repo{URL: "https://git.example.com/acme/helm-charts", Branch: "main", DefaultBranch: true, Files: layout(t, "appofapps/charts-repo")}
	apps := &argocd.Repo{URL: "https://git.example.com/acme/gitops-apps.git", Branch: "main", DefaultBranch: true, Files: layout(t, "appofapps/apps-repo")}
	got, err := argocd.Find(context.Background(), argocd.Query{Names: []string{"payments-staging", "orders-staging", "plain-staging"}, Repo: charts, Apps: apps})
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(a *argocd.App) (out []string) {
		for _, t := range a.Targets {
			out = append(out, string(t.Kind)+" "+t.File)
		}
		return out
	}
	for i, want := range [][]string{
		{"helm-values payments/values-staging.yaml", "app-parameters apps/payments.yaml"},
		{"kustomization overlays/staging/kustomization.yaml", "app-kustomize-images apps/kustomized.yml"},
		{"manifests plain"},
	} {
		if diff := cmp.Diff(want, kinds(got[i])); diff != "" {
			t.Errorf("%s (-want +got):\n%s", got[i].Name, diff)
		}
	}
	if diff := cmp.Diff([]string{"plain/deployment.yaml", "plain/jobs/migrate.yaml"}, got[2].Targets[0].Files); diff != "" {
		t.Errorf("plain manifests (-want +got):\n%s", diff)
	}

	// With the Applications in the repository being changed, the
	// embedded kinds are targets too, in Helm's order.
	same := argocd.Repo{URL: "git@git.example.com:acme/helm-charts.git", Branch: "main", DefaultBranch: true, Files: layout(t, "appofapps/charts-repo")}
	apps.URL = same.URL
	got, err = argocd.Find(context.Background(), argocd.Query{Names: []string{"payments-staging", "orders-staging"}, Repo: same, Apps: apps})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"helm-values payments/values-staging.yaml", "app-parameters apps/payments.yaml"}, kinds(got[0])); diff != "" {
		t.Errorf("payments-staging (-want +got):\n%s", diff)
	}
	if p := got[0].Targets[1]; p.Manifest != "apps/payments.yaml" || p.Doc != 0 || p.Source != -1 {
		t.Errorf("parameters at %s document %d source %d", p.Manifest, p.Doc, p.Source)
	}
	if diff := cmp.Diff([]string{"kustomization overlays/staging/kustomization.yaml", "app-kustomize-images apps/kustomized.yml"}, kinds(got[1])); diff != "" {
		t.Errorf("orders-staging (-want +got):\n%s", diff)
	}
}

// TestApplicationSets: Applications generated by list, git directories,
// git files and matrix generators, in both template styles; the argo-cd
// repository's own examples (see testdata/argocd/README.md) among them.
func TestApplicationSets(t *testing.T) {
	repo := argocd.Repo{URL: "git@github.com:argoproj/argo-cd.git", Branch: "main", DefaultBranch: true, Files: layout(t, "appsets")}
	cases := []struct {
		appsPath, name string
		want           argocd.Target
	}{
		// git directories, fasttemplate ({{path}}, {{path.basename}})
		{"applicationset/examples/git-generator-directory", "prometheus-operator",
			argocd.Target{Kind: argocd.KindHelmValues, File: "applicationset/examples/git-generator-directory/cluster-addons/prometheus-operator/values.yaml", Source: -1,
				ChartDir: "applicationset/examples/git-generator-directory/cluster-addons/prometheus-operator", ValueFiles: []string{"applicationset/examples/git-generator-directory/cluster-addons/prometheus-operator/values.yaml"}}},
		{"applicationset/examples/git-generator-directory/*.yaml", "argo-workflows",
			argocd.Target{Kind: argocd.KindKustomization, File: "applicationset/examples/git-generator-directory/cluster-addons/argo-workflows/kustomization.yaml", Source: -1}},
		// git files, Go templates ({{.cluster.name}} from config.json)
		{"applicationset/examples/**", "engineering-prod-guestbook",
			argocd.Target{Kind: argocd.KindKustomization, File: "applicationset/examples/git-generator-files-discovery/apps/guestbook/kustomization.yaml", Source: -1}},
		// matrix of git directories and a list, Go templates
		{"applicationset/examples/matrix/list-and-git.yaml", "argo-workflows-engineering-dev",
			argocd.Target{Kind: argocd.KindKustomization, File: "applicationset/examples/matrix/cluster-addons/argo-workflows/kustomization.yaml", Source: -1}},
		// matrix of a list and git directories whose revision the list
		// sets, fasttemplate with path[n]
		{"", "worker-prod", argocd.Target{Kind: argocd.KindHelmValues, File: "services/worker/values-prod.yaml", Source: -1, ChartDir: "services/worker", ValueFiles: []string{"services/worker/values-prod.yaml"}}},
		// git files (YAML) with values and normalize, Go templates
		{"", "api-cfg-staging", argocd.Target{Kind: argocd.KindHelmValues, File: "services/api/values-staging.yaml", Source: -1, ChartDir: "services/api", ValueFiles: []string{"services/api/values-staging.yaml"}}},
	}
	for _, c := range cases {
		apps, err := argocd.Find(context.Background(), argocd.Query{Names: []string{c.name}, AppsPath: c.appsPath, Repo: repo})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if diff := cmp.Diff([]argocd.Target{c.want}, apps[0].Targets); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		if apps[0].AppSet == "" {
			t.Errorf("%s: AppSet not set", c.name)
		}
	}
}

// TestBadInput: each refusal is an *argocd.AppError with its problem and
// a reason that names the way out.
func TestBadInput(t *testing.T) {
	repo := argocd.Repo{URL: "https://gitlab.example.com/acme/charts", Branch: "main", DefaultBranch: true, Files: layout(t, "bad")}
	cases := []struct {
		name, appsPath string
		problem        argocd.Problem
		says           []string
	}{
		{"checkout-stagin", "", argocd.ProblemNotFound, []string{"did you mean checkout-staging?", "per-cluster", "clusters generator", `unknown option "missingkey=explode"`}},
		{"twin", "", argocd.ProblemDuplicate, []string{"apps/twin-a.yaml and apps/twin-b.yaml", "NAMESPACE/NAME"}},
		// The second spells the name with an escape: a duplicate too.
		{"escaped-twin", "", argocd.ProblemDuplicate, []string{"apps/escaped-a.yaml and apps/escaped-b.yaml"}},
		// The second spells the name as a YAML !!binary scalar (base64),
		// which Kubernetes' YAML decoder and yaml.v3 read as the string
		// "binary-twin": a duplicate too, with neither a backslash nor
		// the name's bytes in the file (review of 28e6588).
		{"binary-twin", "", argocd.ProblemDuplicate, []string{"apps/binary-a.yaml and apps/binary-b.yaml"}},
		{"broken-app", "", argocd.ProblemInvalid, []string{"apps/broken.yaml", "not valid YAML", "line 5"}},
		{"other-repo", "", argocd.ProblemOtherRepo, []string{"other-charts.git", "check --repo"}},
		{"old-release", "", argocd.ProblemRevision, []string{"v1.2.0", "not the branch being changed (main, the default branch)"}},
		{"ingress-nginx", "", argocd.ProblemHelmRepo, []string{"ingress-nginx from https://kubernetes.github.io/ingress-nginx", "Helm repository"}},
		{"twin", "nowhere", argocd.ProblemNotFound, []string{"--apps-path nowhere"}},
	}
	for _, c := range cases {
		_, err := argocd.Find(context.Background(), argocd.Query{Names: []string{c.name}, AppsPath: c.appsPath, Repo: repo})
		var ae *argocd.AppError
		if !errors.As(err, &ae) || ae.Problem != c.problem {
			t.Errorf("%s: %v, want a %q AppError", c.name, err, c.problem)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", c.name, err, s)
			}
		}
	}
	// NAMESPACE/NAME picks among same-named Applications only across
	// namespaces: both twins are in argocd.
	if _, err := argocd.Find(context.Background(), argocd.Query{Names: []string{"argocd/twin"}, Repo: repo}); err == nil {
		t.Error("argocd/twin: found, want the duplicate refused")
	}
}

func TestSameRepo(t *testing.T) {
	same := [][2]string{
		{"https://github.com/org/repo", "https://github.com/org/repo.git"},
		{"https://github.com/org/repo", "git@github.com:org/repo.git"},
		{"ssh://git@github.com/org/repo", "git@GitHub.com:org/repo"},
		{"https://GITHUB.com/org/repo/", "http://github.com/org/repo"},
		{"https://github.com:443/org/repo", "https://github.com/org/repo"},
		{"https://org@dev.azure.com/org/proj/_git/repo", "git@ssh.dev.azure.com:v3/org/proj/repo"},
		{"https://token:x@github.com/org/repo", "https://github.com/org/repo"},
	}
	for _, c := range same {
		if !argocd.SameRepo(c[0], c[1]) {
			t.Errorf("%s and %s: not the same, want the same", c[0], c[1])
		}
	}
	differ := [][2]string{
		{"https://github.com/org/repo", "https://github.com/org/repo2"},
		{"https://github.com/org/repo", "https://github.com/Org/repo"}, // paths are case-sensitive
		{"https://github.com:8443/org/repo", "https://github.com/org/repo"},
		{"https://gitlab.com/org/repo", "https://github.com/org/repo"},
		{"", ""},
	}
	for _, c := range differ {
		if argocd.SameRepo(c[0], c[1]) {
			t.Errorf("%s and %s: the same, want different", c[0], c[1])
		}
	}
}

// memFiles is a repository in memory: path → content.
type memFiles map[string]string

func (m memFiles) ReadFile(_ context.Context, p string) ([]byte, error) {
	if s, ok := m[p]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
}

func (m memFiles) Prefetch(context.Context, ...string) error { return nil }

func (m memFiles) List(dir string) (dirs, files []string, err error) {
	prefix := dir + "/"
	if dir == "" || dir == "." {
		prefix = ""
	}
	seen := map[string]bool{}
	for p := range m {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if d, _, nested := strings.Cut(rest, "/"); nested {
			if !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		} else {
			files = append(files, rest)
		}
	}
	if len(dirs) == 0 && len(files) == 0 {
		return nil, nil, fs.ErrNotExist
	}
	return dirs, files, nil
}

// BenchmarkFind4000 finds one Application among 4,000 manifests under
// apps/, the benchmark repository's layout.
func BenchmarkFind4000(b *testing.B) {
	m := memFiles{}
	for i := range 4000 {
		m[fmt.Sprintf("apps/chart-%04d.yaml", i)] = fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: chart-%04d-staging\n  namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example.com/charts.git\n    targetRevision: HEAD\n    path: chart-%04d\n    helm:\n      valueFiles: [values-staging.yaml]\n", i, i)
		m[fmt.Sprintf("chart-%04d/Chart.yaml", i)] = "apiVersion: v2\nname: c\nversion: 1.0.0\n"
	}
	repo := argocd.Repo{URL: "https://git.example.com/charts", Branch: "main", DefaultBranch: true, Files: m}
	for b.Loop() {
		apps, err := argocd.Find(context.Background(), argocd.Query{Names: []string{"chart-1234-staging"}, Repo: repo})
		if err != nil || apps[0].Targets[0].File != "chart-1234/values-staging.yaml" {
			b.Fatal(err)
		}
	}
}

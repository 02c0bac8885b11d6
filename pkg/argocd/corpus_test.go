package argocd_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/argocd"
)

// TestCorpus runs Find over real public manifests (testdata/argocd/corpus,
// sources in its SOURCES file), each read with the repository named in
// the spellings Argo CD takes as the same one (https://…, https://….git,
// git@host:org/repo.git) other than the manifest's own: each Application
// is found and resolved to its targets, or refused for a reason that
// names what it uses.
func TestCorpus(t *testing.T) {
	cases := []struct {
		layout, app string
		urls        []string
		kinds       []argocd.Kind  // targets, in order, when found
		problem     argocd.Problem // else the refusal
		says        string
	}{
		// argo-cd's reference Application: every field at once, a Helm
		// repository chart and a config management plugin (manifest:
		// https://….git).
		{"argo-cd-application", "guestbook", []string{"https://github.com/argoproj/argocd-example-apps", "git@github.com:argoproj/argocd-example-apps.git", "https://GitHub.com/argoproj/argocd-example-apps.git/"},
			nil, argocd.ProblemUnsupported, "config management plugin"},
		// A list generator in fasttemplate (manifest: https://….git).
		{"argo-cd-list", "engineering-prod-guestbook", []string{"https://github.com/argoproj/argo-cd", "git@github.com:argoproj/argo-cd.git", "ssh://git@github.com/argoproj/argo-cd"},
			[]argocd.Kind{argocd.KindManifests}, "", ""},
		// A chart in Git with helm.values in a block scalar (manifest:
		// git@github.com:….git).
		{"clusterfactory", "ipmi-exporter-app", []string{"https://github.com/squarefactory/cluster-factory-ce", "https://github.com/squarefactory/cluster-factory-ce.git", "git@github.com:squarefactory/cluster-factory-ce"},
			[]argocd.Kind{argocd.KindHelmValues, argocd.KindValues}, "", ""},
		// App of apps through a kustomization whose vars fill repoURL in:
		// the manifest as stored names no repository tagbump can match.
		{"app-of-apps-kustomize", "helm-guestbook", []string{"https://github.com/argoproj/argocd-example-apps"},
			nil, argocd.ProblemOtherRepo, "$(REPO_URL)"},
	}
	for _, c := range cases {
		for _, url := range c.urls {
			repo := argocd.Repo{URL: url, Branch: "master", DefaultBranch: true, Files: layout(t, "corpus/"+c.layout)}
			apps, err := argocd.Find(context.Background(), argocd.Query{Names: []string{c.app}, AppsPath: "**", Repo: repo})
			if c.problem != "" {
				var ae *argocd.AppError
				if !errors.As(err, &ae) || ae.Problem != c.problem || !strings.Contains(err.Error(), c.says) {
					t.Errorf("%s with %s: %v, want a %q AppError saying %q", c.app, url, err, c.problem, c.says)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s with %s: %v", c.app, url, err)
				continue
			}
			var kinds []argocd.Kind
			for _, tg := range apps[0].Targets {
				kinds = append(kinds, tg.Kind)
			}
			if !slices.Equal(kinds, c.kinds) {
				t.Errorf("%s with %s: targets %v, want %v", c.app, url, kinds, c.kinds)
			}
		}
	}
}

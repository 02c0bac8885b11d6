package argocd

import (
	"context"
	"io/fs"
	"testing"

	"go.yaml.in/yaml/v3"
)

// listOnly is a directory listing as Files, for dirKind.
type listOnly []string

func (l listOnly) ReadFile(context.Context, string) ([]byte, error) { return nil, fs.ErrNotExist }
func (l listOnly) Prefetch(context.Context, ...string) error        { return nil }
func (l listOnly) List(string) (dirs, files []string, err error)    { return nil, l, nil }

// TestDirKind: the tool Argo CD's repo server picks for a source's
// directory (GetAppSourceType): an explicit helm:, kustomize: or
// directory: block, else the last of the directory's files in name order
// that names a chart or a kustomization.
func TestDirKind(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files listOnly
		spec  string
		want  Kind
		err   bool
	}{
		{"chart", listOnly{"values.yaml", "Chart.yaml"}, "", KindHelmValues, false},
		{"kustomization", listOnly{"kustomization.yaml", "deploy.yaml"}, "", KindKustomization, false},
		{"chart and kustomization: kustomize", listOnly{"kustomization.yaml", "Chart.yaml", "values.yaml"}, "", KindKustomization, false},
		{"chart and Kustomization: kustomize", listOnly{"Chart.yaml", "Kustomization"}, "", KindKustomization, false},
		{"a name ending in Chart.yaml after the kustomization", listOnly{"kustomization.yml", "myChart.yaml"}, "", KindHelmValues, false},
		{"helm: block decides", listOnly{"kustomization.yaml", "Chart.yaml"}, "helm: {releaseName: x}", KindHelmValues, false},
		{"kustomize: block decides", listOnly{"Chart.yaml"}, "kustomize: {images: [a]}", KindKustomization, false},
		{"directory: block decides", listOnly{"Chart.yaml", "kustomization.yaml"}, "directory: {recurse: true}", KindManifests, false},
		{"manifests", listOnly{"a.yaml"}, "", KindManifests, false},
		{"two blocks", listOnly{"Chart.yaml"}, "helm: {}\nkustomize: {}", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s SourceSpec
			if err := yaml.Unmarshal([]byte("path: d\n"+tc.spec), &s); err != nil {
				t.Fatal(err)
			}
			got, err := dirKind(tc.files, &s)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("dirKind(%v, %q) = %q, %v; want %q (error: %v)", tc.files, tc.spec, got, err, tc.want, tc.err)
			}
		})
	}
}

package render_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/render"
)

// memTree is a repository in memory; it counts Prefetch calls.
type memTree struct {
	files map[string][]byte
	reads int
}

func (m *memTree) List(p string) (dirs, files []string, err error) {
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	for f := range m.files {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			continue
		}
		name, _, sub := strings.Cut(rest, "/")
		switch {
		case sub && !slices.Contains(dirs, name):
			dirs = append(dirs, name)
		case !sub:
			files = append(files, name)
		}
	}
	if len(dirs)+len(files) == 0 {
		return nil, nil, fs.ErrNotExist
	}
	return dirs, files, nil
}

func (m *memTree) Prefetch(context.Context, ...string) error {
	m.reads++
	return nil
}

func (m *memTree) ReadFile(_ context.Context, p string) ([]byte, error) {
	if b, ok := m.files[p]; ok {
		return b, nil
	}
	return nil, fs.ErrNotExist
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels:
    app: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/team/app:1.0.0
        - name: proxy
          image: docker.io/library/nginx:1.27
`

func overlay() map[string][]byte {
	return map[string][]byte{
		"base/kustomization.yaml":              []byte("resources:\n  - deployment.yaml\n"),
		"base/deployment.yaml":                 []byte(deployment),
		"base/unused.yaml":                     []byte("not read\n"),
		"components/labels/kustomization.yaml": []byte("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs:\n      team: t\n"),
		"overlays/prod/kustomization.yaml":     []byte("resources:\n  - ../../base\ncomponents:\n  - ../../components/labels\npatches:\n  - path: replicas.yaml\nconfigMapGenerator:\n  - name: cfg\n    files:\n      - app.conf=conf/app.conf\nimages:\n  - name: registry.example.com/team/app\n    newTag: 1.0.0\n"),
		"overlays/prod/replicas.yaml":          []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n"),
		"overlays/prod/conf/app.conf":          []byte("x=1\n"),
		"README.md":                            []byte("not read\n"),
	}
}

// The walk reads what the overlay reaches, one level of kustomizations
// per read, and nothing else.
func TestMaterialize(t *testing.T) {
	tree := &memTree{files: overlay()}
	got, err := render.Materialize(context.Background(), tree, "overlays/prod", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := overlay()
	delete(want, "base/unused.yaml")
	delete(want, "README.md")
	if !maps.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("materialised %v, want %v", slicesKeys(got), slicesKeys(want))
	}
	// overlay (+ its patch and config) → base and component → base's deployment
	if tree.reads != 3 {
		t.Errorf("%d reads, want 3", tree.reads)
	}
}

func slicesKeys(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }

func TestMaterializeRefuses(t *testing.T) {
	for _, tc := range []struct{ name, kustomization, want string }{
		{"escape", "resources:\n  - ../../../outside\n", "escapes the repository"},
		{"escape by a patch", "patches:\n  - path: ../../../../etc/passwd\n", "escapes the repository"},
		{"absolute", "resources:\n  - /etc/passwd\n", "absolute path"},
		{"remote", "resources:\n  - https://github.com/org/repo//deploy?ref=v1\n", "remote resource"},
		{"remote git", "resources:\n  - github.com/org/repo/deploy?ref=v1\n", "remote resource"},
		{"missing", "resources:\n  - nothere.yaml\n", "not in the repository"},
		{"helm", "helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n", "--enable-helm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := overlay()
			files["overlays/prod/kustomization.yaml"] = []byte(tc.kustomization)
			_, err := render.Materialize(context.Background(), &memTree{files: files}, "overlays/prod", 0)
			var ue *render.UnsupportedError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want an UnsupportedError with %q", err, tc.want)
			}
		})
	}
	t.Run("bound", func(t *testing.T) {
		files := overlay()
		files["base/deployment.yaml"] = []byte(strings.Repeat("# padding\n", 1000) + deployment)
		_, err := render.Materialize(context.Background(), &memTree{files: files}, "overlays/prod", 4096)
		var ue *render.UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "larger than 4096 bytes") {
			t.Fatalf("%v, want the bound", err)
		}
	})
}

func TestCheckKustomize(t *testing.T) {
	k := render.Kustomize{Bin: testenv.RequireKustomize(t)}
	ctx := context.Background()
	app := render.Image{Name: "registry.example.com/team/app", Old: "1.0.0", New: "1.1.0"}
	files, err := render.Materialize(ctx, &memTree{files: overlay()}, "overlays/prod", 0)
	if err != nil {
		t.Fatal(err)
	}
	kf := "overlays/prod/kustomization.yaml"
	edited := func(from, to string) map[string][]byte {
		return map[string][]byte{kf: []byte(strings.Replace(string(files[kf]), from, to, 1))}
	}
	t.Run("the images entry", func(t *testing.T) {
		p, err := render.CheckKustomize(ctx, k, render.KustomizeInput{Dir: "overlays/prod", Files: files,
			After: edited("newTag: 1.0.0", "newTag: 1.1.0"), Images: []render.Image{app}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Tool != "kustomize" || p.Version != "v5.7.1" || len(p.Containers) != 1 || p.Containers[0].New != "registry.example.com/team/app:1.1.0" {
			t.Fatalf("proof %+v", p)
		}
	})
	t.Run("more than the image", func(t *testing.T) {
		_, err := render.CheckKustomize(ctx, k, render.KustomizeInput{Dir: "overlays/prod", Files: files,
			After: edited("newTag: 1.0.0", "newTag: 1.1.0\n    newName: registry.example.com/team/other"), Images: []render.Image{app}})
		var re *render.RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("%v, want a refusal", err)
		}
	})
	t.Run("Argo CD's kustomize.images", func(t *testing.T) {
		p, err := render.CheckKustomize(ctx, k, render.KustomizeInput{Dir: "overlays/prod", Files: files,
			EditsBefore: &render.KustomizeEdits{Images: []string{"docker.io/library/nginx:1.27"}},
			EditsAfter:  &render.KustomizeEdits{Images: []string{"docker.io/library/nginx:1.28"}},
			Images:      []render.Image{{Name: "docker.io/library/nginx", Old: "1.27", New: "1.28"}}})
		if err != nil || len(p.Containers) != 1 || p.Containers[0].Container != "proxy" {
			t.Fatalf("%+v, %v", p, err)
		}
	})
}

// An Application's kustomize: block applies before the build, as Argo CD
// applies it: a patch that replaces the image makes the images: edit
// deploy nothing; prefix, labels, namespace, replicas, a patch file and a
// component apply on both sides and leave the edit proven.
func TestCheckKustomizeAppEdits(t *testing.T) {
	k := render.Kustomize{Bin: testenv.RequireKustomize(t)}
	ctx := context.Background()
	app := render.Image{Name: "registry.example.com/team/app", Old: "1.0.0", New: "1.1.0"}
	tree := overlay()
	tree["overlays/prod/more.yaml"] = []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  minReadySeconds: 5\n")
	tree["components/env/kustomization.yaml"] = []byte("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs:\n      env: prod\n")
	edits := &render.KustomizeEdits{NamePrefix: "p-", NameSuffix: "-s", Namespace: "prod", Replicas: []string{"app=3"},
		CommonLabels: map[string]string{"owner": "web"}, CommonAnnotations: map[string]string{"note": "x"},
		Patches:    []render.KustomizePatch{{Path: "more.yaml"}},
		Components: []string{"../../components/env"}}
	files, err := render.Materialize(ctx, &memTree{files: tree}, "overlays/prod", 0, edits)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["components/env/kustomization.yaml"]; !ok {
		t.Fatalf("the Application's component is not materialised: %v", slicesKeys(files))
	}
	kf := "overlays/prod/kustomization.yaml"
	after := map[string][]byte{kf: []byte(strings.Replace(string(files[kf]), "newTag: 1.0.0", "newTag: 1.1.0", 1))}
	p, err := render.CheckKustomize(ctx, k, render.KustomizeInput{Dir: "overlays/prod", Files: files, After: after,
		EditsBefore: edits, EditsAfter: edits, Images: []render.Image{app}})
	if err != nil || len(p.Containers) != 1 || p.Containers[0].Name != "p-app-s" {
		t.Fatalf("%+v, %v; want the container of p-app-s", p, err)
	}
	replaced := *edits
	replaced.Patches = append(slices.Clone(edits.Patches), render.KustomizePatch{
		Target: &render.KustomizeSelector{Kind: "Deployment", Name: "app"},
		Patch:  "- op: replace\n  path: /spec/template/spec/containers/0/image\n  value: registry.example.com/team/app-debug:0.1.0\n"})
	_, err = render.CheckKustomize(ctx, k, render.KustomizeInput{Dir: "overlays/prod", Files: files, After: after,
		EditsBefore: &replaced, EditsAfter: &replaced, Images: []render.Image{app}})
	var re *render.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("%v, want a refusal: the Application's patch replaces the image", err)
	}
	t.Run("a remote component", func(t *testing.T) {
		_, err := render.Materialize(ctx, &memTree{files: tree}, "overlays/prod", 0, &render.KustomizeEdits{Components: []string{"github.com/org/repo//c"}})
		var ue *render.UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "remote resource") {
			t.Fatalf("%v, want the remote component refused", err)
		}
	})
}

func TestCheckManifests(t *testing.T) {
	ctx := context.Background()
	app := render.Image{Name: "registry.example.com/team/app", Old: "1.0.0", New: "1.1.0"}
	f := "deploy/app.yaml"
	before := map[string][]byte{f: []byte(deployment), "deploy/svc.yaml": []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: app\n")}
	after := maps.Clone(before)
	after[f] = []byte(strings.Replace(deployment, "app:1.0.0", "app:1.1.0", 1))
	p, err := render.CheckManifests(ctx, render.ManifestsInput{Dir: path.Dir(f), Before: before, After: after, Images: []render.Image{app}})
	if err != nil || p.Tool != "manifests" || len(p.Containers) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	after[f] = []byte(strings.Replace(string(after[f]), "app: app", "app: other", 1))
	_, err = render.CheckManifests(ctx, render.ManifestsInput{Dir: path.Dir(f), Before: before, After: after, Images: []render.Image{app}})
	if err == nil || !strings.Contains(err.Error(), ".metadata.labels.app: app → other") {
		t.Fatalf("%v, want a refusal naming the label", err)
	}
}

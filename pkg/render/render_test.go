package render_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/render"
)

// chart reads testdata/name as the repository's directory name.
func chart(t *testing.T, name string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	root := filepath.Join("testdata", name)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[name+"/"+filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func input(t *testing.T, name, before, after string, images ...render.Image) render.Input {
	f := name + "/values-prod.yaml"
	return render.Input{
		Chart: name, Files: chart(t, name), ValueFiles: []string{f},
		Before: map[string][]byte{f: []byte(before)}, After: map[string][]byte{f: []byte(after)},
		Images: images,
	}
}

func TestCheck(t *testing.T) {
	h := render.Helm{Bin: testenv.RequireHelm(t)}
	ctx := context.Background()
	app := render.Image{Name: "registry.example.com/team/app", Old: "1.0.0", New: "1.1.0"}

	t.Run("the tag, in every container that ran it", func(t *testing.T) {
		p, err := render.Check(ctx, h, input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\n", app))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Containers) != 2 || p.Tool != "helm" || !strings.HasPrefix(p.Version, "v4.") {
			t.Fatalf("proof %+v", p)
		}
		for _, c := range p.Containers {
			if c.Kind != "Deployment" || c.New != "registry.example.com/team/app:1.1.0" || c.Old != "registry.example.com/team/app:1.0.0" {
				t.Errorf("container %+v", c)
			}
		}
	})
	t.Run("a digest", func(t *testing.T) {
		d := "sha256:" + strings.Repeat("a", 64)
		im := render.Image{Name: app.Name, Old: "1.0.0", New: "1.1.0@" + d}
		p, err := render.Check(ctx, h, input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\n  digest: "+d+"\n", im))
		if err != nil || p.Containers[0].New != app.Name+":1.1.0@"+d {
			t.Fatalf("%+v, %v", p, err)
		}
		// the tag without the digest written does not prove it
		_, err = render.Check(ctx, h, input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\n", im))
		var re *render.RefusedError
		if !errors.As(err, &re) {
			t.Errorf("digest not rendered: %v, want a refusal", err)
		}
	})
	t.Run("more than the image", func(t *testing.T) {
		_, err := render.Check(ctx, h, input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\nreplicaCount: 3\n", app))
		var re *render.RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), ".spec.replicas: 1 → 3") {
			t.Fatalf("%v, want a refusal naming the replicas", err)
		}
	})
	t.Run("another image changed", func(t *testing.T) {
		_, err := render.Check(ctx, h, input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\nsidecar:\n  image: docker.io/library/busybox:1.37\n", app))
		if err == nil || !strings.Contains(err.Error(), "busybox:1.37 (an image the edit does not set)") {
			t.Fatalf("%v, want a refusal naming the sidecar", err)
		}
	})
	t.Run("a container left on the old tag", func(t *testing.T) {
		_, err := render.Check(ctx, h, input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\nmigrations:\n  enabled: false\n", app))
		if err == nil || !strings.Contains(err.Error(), "initContainers") {
			t.Fatalf("%v, want a refusal naming the removed init container", err)
		}
	})
	t.Run("a template that ignores the tag", func(t *testing.T) {
		_, err := render.Check(ctx, h, input(t, "hardcoded", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\n", app))
		var re *render.RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), ".containers[0].image: still registry.example.com/team/app:1.0.0, want registry.example.com/team/app:1.1.0") {
			t.Fatalf("%v, want a refusal naming the container", err)
		}
	})
	t.Run("an image the chart does not run", func(t *testing.T) {
		other := render.Image{Name: "registry.example.com/team/worker", Old: "1.0.0", New: "1.1.0"}
		_, err := render.Check(ctx, h, input(t, "app", "worker:\n  tag: 1.0.0\n", "worker:\n  tag: 1.1.0\n", other))
		var re *render.RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "no container of the render runs registry.example.com/team/worker:1.1.0") {
			t.Fatalf("%v, want a refusal", err)
		}
	})
	t.Run("random output is not a change", func(t *testing.T) {
		in := input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\n", app)
		delete(in.Files, "app/templates/secret.yaml")
		in.Files["app/templates/secret.yaml"] = []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: {{ randAlphaNum 16 | quote }}\n  fixed: {{ .Values.replicaCount | quote }}\n")
		if _, err := render.Check(ctx, h, in); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a chart helm cannot render", func(t *testing.T) {
		in := input(t, "app", "image:\n  tag: 1.0.0\n", "image:\n  tag: 1.1.0\n", app)
		in.Files["app/templates/broken.yaml"] = []byte("{{ .Values.nope.deeper }}\n")
		_, err := render.Check(ctx, h, in)
		var te *render.ToolError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "nil pointer") {
			t.Fatalf("%v, want helm's error", err)
		}
	})
	t.Run("no helm", func(t *testing.T) {
		_, err := render.Check(ctx, render.Helm{Bin: filepath.Join(t.TempDir(), "helm")}, input(t, "app", "", "", app))
		var te *render.ToolError
		if !errors.As(err, &te) {
			t.Fatalf("%v, want a ToolError", err)
		}
	})
}

// A container that ran another image and runs the edited one after is a
// change the edit was not asked for.
func TestCheckOtherImageBecomesTarget(t *testing.T) {
	h := render.Helm{Bin: testenv.RequireHelm(t)}
	files := map[string][]byte{
		"c/Chart.yaml":  []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"),
		"c/values.yaml": []byte("image:\n  repository: registry.example.com/team/app\n  tag: 1.0.0\n"),
		"c/templates/pod.yaml": []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n" +
			"  - name: app\n    image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n" +
			"  - name: helper\n    image: {{ if eq .Values.image.tag \"1.0.0\" }}docker.io/library/busybox:1.37{{ else }}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{ end }}\n"),
	}
	f := "c/values-prod.yaml"
	in := render.Input{Chart: "c", Files: files, ValueFiles: []string{f},
		Before: map[string][]byte{f: []byte("image:\n  tag: 1.0.0\n")}, After: map[string][]byte{f: []byte("image:\n  tag: 1.1.0\n")},
		Images: []render.Image{{Name: "registry.example.com/team/app", Old: "1.0.0", New: "1.1.0"}}}
	_, err := render.Check(context.Background(), h, in)
	if err == nil || !strings.Contains(err.Error(), "a container that ran another image now runs") {
		t.Fatalf("%v: the helper switched from busybox:1.37 to the app image", err)
	}
}

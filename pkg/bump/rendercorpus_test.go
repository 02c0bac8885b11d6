package bump_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/render"
)

// renderCorpus holds charts that follow what public charts do; each
// image its prod render runs is bumped with --render-check and must be
// proven, or refused for the reason listed here.
var renderCorpusWant = map[string]string{
	"aliases docker.io/library/redis":                     "proven",
	"appversion ghcr.io/acme/api":                         "proven",
	"bitnami registry.example.com/bitnami/redis-exporter": "refused: no values file sets it", // global.imageRegistry: not modelled
	"bitnami registry.example.com/bitnami/valkey":         "refused: no values file sets it", // global.imageRegistry: not modelled
	"hardcoded docker.io/envoyproxy/envoy":                "refused: no values file sets it",
	"hardcoded registry.example.com/team/legacy":          "refused: the render does not run the new tag",
	"stringref ghcr.io/acme/web":                          "proven",
	"stringref quay.io/acme/worker":                       "proven",
	"umbrella registry.example.com/team/backend":          "proven",
}

var renderedImage = regexp.MustCompile(`(?m)^\s+image: "?([^"\s]+)"?\s*$`)

// TestRenderCorpus bumps every image each corpus chart renders in prod
// and checks the render as --render-check does; it logs the counts.
func TestRenderCorpus(t *testing.T) {
	helm := testenv.RequireHelm(t)
	testenv.RequireBinary(t, "git")
	root := filepath.Join("..", "..", "testdata", "render-corpus")
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s := testenv.NewGitServer(t)
	s.MustCreateRepo(t, "charts", files)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got := map[string]string{}
	counts := map[string]int{}
	for _, e := range entries {
		chart := e.Name()
		out, err := exec.Command(helm, "template", "r", filepath.Join(root, chart), "-f", filepath.Join(root, chart, "values-prod.yaml")).CombinedOutput()
		if err != nil {
			t.Fatalf("helm template %s: %v\n%s", chart, err, out)
		}
		var names []string
		for _, m := range renderedImage.FindAllStringSubmatch(string(out), -1) {
			name, _, _ := strings.Cut(m[1], "@")
			if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
				name = name[:i]
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		for _, name := range names {
			ref, err := imageref.Parse(name + ":99.0.0")
			if err != nil {
				t.Fatal(err)
			}
			sig := object.Signature{Name: "tagbump", Email: "tagbump@example.invalid"}
			req := bump.Request{
				Repo: s.URL("charts"), Branch: "main", Chart: chart, Envs: []string{"prod"}, Image: ref,
				Author: sig, Committer: sig, DryRun: true, Render: &bump.RenderCheck{Helm: render.Helm{Bin: helm}},
			}
			res, err := bump.Run(ctx, req)
			key := chart + " " + name
			var refused *bump.RenderRefusedError
			var none *bump.NoTargetError
			switch {
			case err == nil && res.Outcome == bump.Changed && len(res.RenderChecks) == 1:
				got[key] = "proven"
			case errors.As(err, &refused):
				t.Logf("%s: %v", key, err)
				got[key] = "refused: the render does not run the new tag"
			case errors.As(err, &none):
				got[key] = "refused: no values file sets it"
			case err != nil:
				got[key] = fmt.Sprintf("refused: %T", errors.Unwrap(err))
				t.Logf("%s: %v", key, err)
			default:
				got[key] = fmt.Sprintf("%s without a proof", res.Outcome)
			}
			counts[got[key]]++
		}
	}
	for k, w := range renderCorpusWant {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, cmp.Or(got[k], "not rendered"), w)
		}
	}
	for k, g := range got {
		if _, ok := renderCorpusWant[k]; !ok {
			t.Errorf("%s: %s, not in the table", k, g)
		}
	}
	t.Logf("render corpus: %d images; %v", len(got), counts)
}

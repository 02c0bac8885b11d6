package render_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tagbump/tagbump/pkg/render"
)

// TestLocalDependencies: the file:// dependencies helm dependency build
// reads are directories of the repository, by their path from the
// chart's; an absolute one or one leaving the repository is refused, and
// none is read when charts/ holds every dependency.
func TestLocalDependencies(t *testing.T) {
	chart := func(repo string, more ...string) map[string][]byte {
		files := map[string][]byte{"charts/web/Chart.yaml": []byte("name: web\ndependencies:\n  - name: common\n    version: 0.1.0\n    repository: " + repo + "\n")}
		for _, p := range more {
			files[p] = nil
		}
		return files
	}
	for _, tc := range []struct {
		name, dir, repo string
		more            []string
		want            []string
		refused         bool
	}{
		{"sibling", "charts/web", "file://../common", nil, []string{"charts/common"}, false},
		{"below", "charts/web", "file://sub/common", nil, []string{"charts/web/sub/common"}, false},
		{"absolute", "charts/web", "file:///srv/common", nil, nil, true},
		{"leaves the repository", "charts/web", "file://../../../common", nil, nil, true},
		{"vendored", "charts/web", "file:///srv/common", []string{"charts/web/charts/common-0.1.0.tgz"}, nil, false},
		{"a repository", "charts/web", "https://charts.example.com", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render.LocalDependencies(tc.dir, chart(tc.repo, tc.more...))
			var unsupported *render.UnsupportedError
			if errors.As(err, &unsupported) != tc.refused || !tc.refused && err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("LocalDependencies(%s) = %v, %v; want %v (refused: %v)", tc.repo, got, err, tc.want, tc.refused)
			}
		})
	}
	// At the repository's root, ../ leaves it.
	root := map[string][]byte{"Chart.yaml": []byte("name: web\ndependencies:\n  - name: common\n    repository: file://../common\n")}
	if _, err := render.LocalDependencies(".", root); err == nil {
		t.Fatal("a root chart's file://../common: no error")
	}
}

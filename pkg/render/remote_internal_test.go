package render

import "testing"

// The forms kustomize's loader fetches (checked against kustomize
// v5.7.1's repospec_test.go cases), and local paths it reads.
func TestRemote(t *testing.T) {
	for _, s := range []string{
		"git::github.com/example/deploy//base",
		"git::https://github.com/example/deploy//base?ref=v1",
		"GIT::github.com/example/deploy",
		"github.com/org/repo",
		"github.com:org/repo//base",
		"git@github.com:org/repo.git/base",
		"git@gitlab.example.com:group/repo//base",
		"ssh://git@example.com/org/repo//base",
		"https://dev.azure.com/org/project/_git/repo/base",
		"https://example.com/manifests/deploy.yaml",
		"http://example.com/x",
		"file:///srv/git/repo//base",
		"file://repo",
		"https://example.com/org/repo?ref=main",
		"user@example.com/org/repo/base",
		"git::user@example.com:org/repo",
	} {
		if !remote(s) {
			t.Errorf("remote(%q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"base", "../../base", "deployment.yaml", "components/labels", "git::base", "git::../base",
		"example.com/org/repo", "my@dir", "./github", "user@host",
	} {
		if remote(s) {
			t.Errorf("remote(%q) = true, want false", s)
		}
	}
}

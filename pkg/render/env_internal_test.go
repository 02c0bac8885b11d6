package render

import (
	"slices"
	"strings"
	"testing"
)

// helm gets PATH and the proxy settings, never tagbump's tokens or the
// user's helm settings.
func TestPassEnv(t *testing.T) {
	t.Setenv("TAGBUMP_GIT_TOKEN", "s3cret-canary")
	t.Setenv("GITHUB_TOKEN", "s3cret-canary")
	t.Setenv("HELM_REPOSITORY_CONFIG", "/home/u/.config/helm/repositories.yaml")
	t.Setenv("HTTPS_PROXY", "http://proxy:3128")
	env := passEnv()
	if strings.Contains(strings.Join(env, "\n"), "s3cret-canary") || slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "HELM_") }) {
		t.Errorf("helm's environment %q", env)
	}
	if !slices.Contains(env, "HTTPS_PROXY=http://proxy:3128") || !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "PATH=") }) {
		t.Errorf("helm's environment lacks PATH or the proxy: %q", env)
	}
}

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

// A parameter's commas reach helm escaped, as Argo CD passes them, except
// in a {a,b} list or where escaped already.
func TestSetValue(t *testing.T) {
	for in, want := range map[string]string{`a,b`: `a\,b`, `{a,b}`: `{a,b}`, `a\,b`: `a\,b`, `1.2.0`: `1.2.0`} {
		if got := setValue(in); got != want {
			t.Errorf("setValue(%q) = %q, want %q", in, got, want)
		}
	}
}

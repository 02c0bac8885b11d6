package cli

import (
	"slices"
	"testing"
)

// TestGivenSecrets checks what the output redaction hides: the secret
// variables, a signing key's lines, and the credentials of URLs in the
// arguments and in TAGBUMP_* variables, also when the URL does not parse.
func TestGivenSecrets(t *testing.T) {
	env := map[string]string{
		"TAGBUMP_GIT_TOKEN":         "git-token-1",
		"TAGBUMP_REGISTRY_PASSWORD": "reg-pass-2",
		"TAGBUMP_SIGN_KEY":          "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUA\n-----END OPENSSH PRIVATE KEY-----\n",
	}
	environ := []string{"TAGBUMP_REPO=https://bot:env-url-pass-3@git.example.com/charts.git", "HOME=/root", "OTHER_URL=https://u:not-ours-4@x"}
	args := []string{
		"bump", "--repo=https://u:arg-pass-5@git.example.com/x.git",
		"--api-url", "https://ghp_abcdefghijklmnop@api.example.com",
		"--repo", "https://bot:bad-port-pass-6@git.example.com:80a/charts",
		"--values-file", "app/values.yaml",
	}
	got := givenSecrets(func(k string) string { return env[k] }, environ, args)
	for _, want := range []string{"git-token-1", "reg-pass-2", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA", "env-url-pass-3", "arg-pass-5", "ghp_abcdefghijklmnop", "bad-port-pass-6"} {
		if !slices.Contains(got, want) {
			t.Errorf("givenSecrets misses %q: %q", want, got)
		}
	}
	if slices.Contains(got, "not-ours-4") {
		t.Errorf("givenSecrets took a variable tagbump does not read: %q", got)
	}
}

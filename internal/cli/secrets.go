package cli

import (
	"strings"

	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// secretVariables are the environment variables whose values are secrets
// tagbump may use: Git tokens (its own and the CI systems'), the registry
// password, key passphrases and the Argo CD API token. TAGBUMP_SIGN_KEY holds a key.
var secretVariables = []string{
	"TAGBUMP_GIT_TOKEN", "GITHUB_TOKEN", "SYSTEM_ACCESSTOKEN", "CI_JOB_TOKEN",
	envRegistryPassword, "TAGBUMP_SSH_KEY_PASSPHRASE", "TAGBUMP_SIGN_KEY_PASSPHRASE", "TAGBUMP_SIGN_KEY",
	envArgoCDToken,
}

// givenSecrets returns the secrets of one run, for the redaction of all
// its output: the values of secretVariables, the lines of a key in
// TAGBUMP_SIGN_KEY, and the credentials of every URL in args and in the
// TAGBUMP_* variables of environ (a --repo with user:token@).
func givenSecrets(getenv func(string) string, environ, args []string) []string {
	var secrets []string
	for _, k := range secretVariables {
		if v := getenv(k); v != "" {
			secrets = append(secrets, v)
		}
	}
	for _, l := range strings.Split(getenv("TAGBUMP_SIGN_KEY"), "\n") {
		// The key's base64 lines, not its BEGIN/END or armor headers.
		if l = strings.TrimSpace(l); len(l) >= 20 && !strings.HasPrefix(l, "-----") && !strings.Contains(l, ": ") {
			secrets = append(secrets, l)
		}
	}
	values := args
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "TAGBUMP_") {
			values = append(values[:len(values):len(values)], v)
		}
	}
	for _, v := range values {
		secrets = append(secrets, urlSecrets(v)...)
	}
	return secrets
}

// urlSecrets returns the credentials of a URL in s ("--repo=URL" or URL):
// the password, or a token given as the user name. It reads the user
// information by hand as well, so that a URL that does not parse (a bad
// port, a '/' in the password) still gives its password up.
func urlSecrets(s string) []string {
	i := strings.Index(s, "://")
	if i < 0 {
		return nil
	}
	if j := strings.LastIndexAny(s[:i], "= "); j >= 0 {
		s = s[j+1:]
		i -= j + 1
	}
	var out []string
	if _, token, ok := gitrepo.URLCredentials(s); ok {
		out = append(out, token)
	}
	rest := s[i+3:]
	if j := strings.IndexAny(rest, "?# \t\r\n"); j >= 0 {
		rest = rest[:j]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if _, pass, ok := strings.Cut(rest[:at], ":"); ok && pass != "" {
			out = append(out, pass)
		}
	}
	return out
}

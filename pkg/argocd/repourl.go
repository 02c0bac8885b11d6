package argocd

import (
	"net/url"
	"strings"
)

// SameRepo reports whether two repository URLs name the same repository,
// compared as Argo CD normalises a repoURL (git.NormalizeGitURL): the
// scheme, user, a ".git" suffix, a trailing "/" and the case of the host do
// not count, so https://host/org/repo, https://host/org/repo.git,
// ssh://git@host/org/repo and git@host:org/repo.git are one repository. A
// port counts, except the scheme's default one. Local paths are compared
// cleaned.
func SameRepo(a, b string) bool {
	na, nb := NormalizeRepoURL(a), NormalizeRepoURL(b)
	return na != "" && na == nb
}

// NormalizeRepoURL returns the form of a repository URL that SameRepo
// compares: "host/path" with the host in lower case, no scheme, user,
// default port, ".git" suffix or trailing slash. Azure DevOps' SSH form
// (ssh.dev.azure.com:v3/org/project/repo) and its HTTPS form
// (dev.azure.com/org/project/_git/repo, also with "org@" in front) come out
// alike.
func NormalizeRepoURL(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	var host, p string
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil {
			return strings.ToLower(s)
		}
		host, p = strings.ToLower(u.Hostname()), u.Path
		if port := u.Port(); port != "" && port != defaultPort(u.Scheme) {
			host += ":" + port
		}
		if u.Scheme == "file" {
			host = ""
		}
	case scpLike(s):
		// git@host:org/repo.git
		at := strings.Index(s, "@")
		colon := strings.Index(s, ":")
		if at < 0 || at > colon {
			at = -1
		}
		host, p = strings.ToLower(s[at+1:colon]), "/"+strings.TrimPrefix(s[colon+1:], "/")
	default:
		p = s // a local path
	}
	p = strings.TrimRight(p, "/")
	p = strings.TrimSuffix(p, ".git")
	p = strings.TrimRight(p, "/")
	if host == "ssh.dev.azure.com" || host == "vs-ssh.visualstudio.com" {
		// v3/org/project/repo ≡ dev.azure.com/org/project/_git/repo
		if parts := strings.Split(strings.TrimPrefix(p, "/"), "/"); len(parts) == 4 && parts[0] == "v3" {
			host, p = "dev.azure.com", "/"+parts[1]+"/"+parts[2]+"/_git/"+parts[3]
		}
	}
	return host + p
}

// scpLike reports whether s is git's scp-like address, [user@]host:path,
// as git tells it from a local path: a ':' before any '/'.
func scpLike(s string) bool {
	colon := strings.Index(s, ":")
	slash := strings.Index(s, "/")
	return colon > 0 && (slash < 0 || colon < slash)
}

func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	case "ssh", "git+ssh", "ssh+git":
		return "22"
	case "git":
		return "9418"
	}
	return ""
}

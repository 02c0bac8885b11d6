package render

import (
	"net/url"
	"path"
	"regexp"
	"strings"
)

// remote reports whether kustomize (v5) would fetch the kustomization
// entry s rather than read it from the repository: a file it loads over
// HTTP (an http or https URL), or a base or component it clones with git
// (a string its repository parser accepts, whatever the repository holds
// at that path: kustomize tries the clone before the directory). The
// test follows kustomize's api/internal/git/repospec.go
// (NewRepoSpecFromURL) and loader.IsRemoteFile; a few forms it refuses
// as malformed are counted as remote too, to be safe.
func remote(s string) bool {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return true
	}
	// Any other scheme, and the hosts and queries of remote bases, are
	// refused too: kustomize fetches some of them, and no repository
	// should need such a path.
	if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.Contains(s, "?ref=") ||
		strings.Contains(s, "?version=") || strings.HasPrefix(s, "github.com/") || strings.HasPrefix(s, "gitlab.com/") ||
		strings.HasPrefix(s, "bitbucket.org/") {
		return true
	}
	return gitRepoSpec(s)
}

// scpUser is the user part kustomize's repository parser accepts before
// a host ("git@").
var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// gitRepoSpec reports whether kustomize's repository parser reads s as
// a git repository, with an optional path in it.
func gitRepoSpec(s string) bool {
	if path.IsAbs(s) {
		return false
	}
	s, _, _ = strings.Cut(s, "?") // ?ref=, ?version=, ?timeout=, ?submodules=
	s = trimFold(s, "git::")      // the forced git protocol: stripped, then cloned anyway
	scheme := ""
	for _, p := range []string{"ssh://", "https://", "http://", "file://"} {
		if rest, ok := cutFold(s, p); ok {
			scheme, s = p, rest
			break
		}
	}
	user := scpUser.FindString(s)
	s = s[len(user):]
	github := strings.HasPrefix(strings.ToLower(s), "github.com/") || strings.HasPrefix(strings.ToLower(s), "github.com:")
	scp := scheme == "" && (user != "" || github)
	if scheme == "" && !scp {
		return false
	}
	var rest string
	if scheme == "file://" {
		rest = user + s
		return rest != "" && !exitsRepo(rest)
	}
	host := s
	sep := strings.Index(s, "/")
	if c := strings.Index(s, ":"); scp && c > 0 && (sep < 0 || c < sep) {
		sep = c
	}
	if sep >= 0 {
		host, rest = s[:sep+1], s[sep+1:]
	}
	if host == "" {
		return false
	}
	// the repository's path, then the path in it: split at _git/<repo>,
	// at //, after .git, else after two segments (org/repo)
	var repo, sub string
	switch {
	case strings.Contains(rest, "_git/"):
		i := strings.Index(rest, "_git/") + len("_git/")
		first, after, _ := strings.Cut(rest[i:], "/")
		repo, sub = rest[:i]+first, after
	case strings.Contains(rest, "//"):
		repo, sub, _ = strings.Cut(rest, "//")
	case strings.Contains(rest, ".git"):
		i := strings.Index(rest, ".git") + len(".git")
		repo, sub = rest[:i], rest[i:]
	default:
		parts := strings.Split(rest, "/")
		if len(parts) < 2 {
			return false
		}
		repo, sub = strings.Join(parts[:2], "/"), strings.Join(parts[2:], "/")
	}
	return repo != "" && !exitsRepo(sub)
}

// exitsRepo reports whether a path in a repository starts with "..".
func exitsRepo(sub string) bool {
	c := path.Clean(strings.TrimPrefix(sub, "/"))
	return c == ".." || strings.HasPrefix(c, "../")
}

// cutFold cuts prefix from s, ignoring case.
func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func trimFold(s, prefix string) string {
	s, _ = cutFold(s, prefix)
	return s
}

package imageref

import (
	"cmp"
	"strings"
)

// dockerHubHosts are the names Docker gives its own registry; they all mean
// docker.io.
var dockerHubHosts = map[string]bool{
	"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true, "registry.hub.docker.com": true,
}

// SameRepository reports whether the repository names a and b, each with or
// without a registry host and without tag or digest, name the same
// repository. It compares as Docker does: a first path component with a dot
// or a colon, or "localhost", is the registry host, compared without regard
// to case; docker.io, index.docker.io and registry-1.docker.io are one
// registry, where a one-component name lives under library/ (so mongo,
// library/mongo, docker.io/library/mongo and index.docker.io/library/mongo
// are equal). A name without a host, as values files often write it
// (team/app), matches that path in any registry; it matches a Docker Hub
// name also by Docker's rules (mongo matches docker.io/library/mongo).
func SameRepository(a, b string) bool {
	ha, pa := splitHost(a)
	hb, pb := splitHost(b)
	if pa == "" || pb == "" {
		return false
	}
	switch {
	case ha != "" && hb != "":
		return ha == hb && hubPath(ha, pa) == hubPath(hb, pb)
	case ha == "" && hb == "":
		return hubPath("docker.io", pa) == hubPath("docker.io", pb)
	case ha == "":
		return pa == pb || hb == "docker.io" && hubPath(hb, pa) == hubPath(hb, pb)
	default:
		return pa == pb || ha == "docker.io" && hubPath(ha, pa) == hubPath(ha, pb)
	}
}

// splitHost splits name into its registry host (lower case, Docker Hub's
// aliases as docker.io, "" when the name has none) and its path.
func splitHost(name string) (host, path string) {
	first, rest, ok := strings.Cut(name, "/")
	if !ok || !strings.ContainsAny(first, ".:") && first != "localhost" {
		return "", name
	}
	host = strings.ToLower(first)
	if dockerHubHosts[host] {
		host = "docker.io"
	}
	return host, rest
}

// hubPath is path as host stores it: Docker Hub keeps official images under
// library/.
func hubPath(host, path string) string {
	if host == "docker.io" && !strings.Contains(path, "/") {
		return "library/" + path
	}
	return path
}

// SameImage reports whether a and b name one repository as a container
// runtime and Kustomize resolve them: a name without a registry is Docker
// Hub's (acme/app is docker.io/acme/app, nginx docker.io/library/nginx).
// Unlike SameRepository it never lets a name without a registry stand for
// one in another registry: in a Kubernetes manifest or a kustomization the
// name is the whole image, not a repository whose registry is set apart.
func SameImage(a, b string) bool {
	ha, pa := splitHost(a)
	hb, pb := splitHost(b)
	if pa == "" || pb == "" {
		return false
	}
	ha, hb = cmp.Or(ha, "docker.io"), cmp.Or(hb, "docker.io")
	return ha == hb && hubPath(ha, pa) == hubPath(hb, pb)
}

// Deploys reports whether name, an image as a Kubernetes manifest or a
// kustomization writes it (without tag), is r's repository, by the rules
// of SameImage.
func (r Ref) Deploys(name string) bool { return SameImage(name, r.Name()) }

// Matches reports whether name, a repository as a values file writes it
// (with or without registry, without tag), names r's repository, by the
// rules of SameRepository.
func (r Ref) Matches(name string) bool { return SameRepository(name, r.Name()) }

// Split splits a reference as a file writes it, "repo:tag@digest" (tag
// and digest optional, the repository possibly with a registry port),
// into its parts, without checking them.
func Split(s string) (repo, tag, digest string) {
	if i := strings.Index(s, "@"); i >= 0 {
		s, digest = s[:i], s[i+1:]
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, tag = s[:i], s[i+1:]
	}
	return s, tag, digest
}

// Package imageref parses container image references strictly and decides
// which tags a deployment may use. It does no I/O.
//
// A reference must name its registry host and its tag explicitly:
// "registry.example.com/team/app:1.2.3" or
// "registry.example.com/team/app:1.2.3@sha256:<64 hex>". Unlike docker,
// Parse never assumes docker.io or ":latest", because a CI pipeline always
// knows the full name of the image it built and a silent default deploys the
// wrong image.
package imageref

import (
	"fmt"
	"regexp"
	"strings"
)

// Ref is a fully qualified image reference.
type Ref struct {
	// Registry is the registry host, with a port when one was given
	// ("registry.example.com", "127.0.0.1:5000").
	Registry string
	// Repository is the repository path inside the registry, without the
	// registry ("team/app").
	Repository string
	// Tag is the tag ("1.2.3").
	Tag string
	// Digest is the manifest digest ("sha256:..."), or empty.
	Digest string
}

// String returns the reference as registry/repository:tag, followed by
// @digest when Digest is set.
func (r Ref) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Name returns registry/repository, without tag or digest; the
// repository alone when Registry is empty (a Ref built from a values file
// that names no registry, never one from Parse).
func (r Ref) Name() string {
	if r.Registry == "" {
		return r.Repository
	}
	return r.Registry + "/" + r.Repository
}

// WithTag returns a copy of r with its tag set to tag and no digest.
func (r Ref) WithTag(tag string) Ref {
	r.Tag, r.Digest = tag, ""
	return r
}

// Error reports an image reference or tag that cannot be used: it names the
// input, the problem and how to fix it.
type Error struct {
	What    string // "image reference" or "tag"
	Input   string // the reference or tag as given
	Problem string // what is wrong with it
	Fix     string // what to do instead
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %q: %s: %s", e.What, e.Input, e.Problem, e.Fix)
}

var (
	tagRe       = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	digestRe    = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)
	componentRe = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)
	hostRe      = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$`)
)

const example = "e.g. registry.example.com/team/app:1.2.3"

// Parse parses s as registry/repository:tag[@digest]. The registry host is
// required (a name with a dot or a port, or "localhost"), the tag is
// required and must follow the OCI grammar, the repository must be lower
// case, and a digest, when present, must be sha256 or sha512 in lower-case
// hex. Errors are *Error.
func Parse(s string) (Ref, error) {
	bad := func(problem, fix string) (Ref, error) {
		return Ref{}, &Error{What: "image reference", Input: s, Problem: problem, Fix: fix}
	}
	if s == "" {
		return bad("empty", "give registry/repository:tag, "+example)
	}
	if strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r\n") {
		return bad("contains white space", "remove it")
	}
	var r Ref
	rest := s
	if i := credentialsEnd(rest); i >= 0 {
		// user:password@host/...: never echo what may be a secret.
		return Ref{}, &Error{What: "image reference", Input: "<redacted>@" + rest[i+1:], Problem: "credentials in the reference", Fix: "remove them and set TAGBUMP_REGISTRY_USERNAME and TAGBUMP_REGISTRY_PASSWORD instead"}
	}
	if i := strings.Index(rest, "://"); i >= 0 {
		return bad("starts with the URL scheme "+rest[:i+3], "remove "+rest[:i+3]+" and give registry/repository:tag, "+example)
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, r.Digest = rest[:i], rest[i+1:]
		if !digestRe.MatchString(r.Digest) {
			return bad(fmt.Sprintf("invalid digest %q", r.Digest), "use sha256: followed by 64 lower-case hex digits")
		}
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return bad("no registry host", "name the registry explicitly, "+example+" (docker.io is never assumed)")
	}
	host := rest[:slash]
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return bad(fmt.Sprintf("%q is not a registry host", host), "start with a host name containing a dot or a port, or localhost, "+example+" (docker.io is never assumed)")
	}
	if !hostRe.MatchString(host) {
		return bad(fmt.Sprintf("invalid registry host %q", host), "use host or host:port, "+example)
	}
	r.Registry = host
	rest = rest[slash+1:]
	colon := strings.LastIndexByte(rest, ':')
	if colon < 0 {
		return bad("no tag", "add an explicit tag, "+example+" (:latest is never assumed)")
	}
	r.Repository, r.Tag = rest[:colon], rest[colon+1:]
	if err := checkRepository(r.Repository); err != nil {
		return bad(err.Problem, err.Fix)
	}
	if err := ValidateTag(r.Tag); err != nil {
		e := err.(*Error)
		return bad(e.Problem, e.Fix)
	}
	return r, nil
}

func checkRepository(repo string) *Error {
	if repo == "" {
		return &Error{Problem: "empty repository", Fix: "name the repository after the host, " + example}
	}
	if len(repo) > 255 {
		return &Error{Problem: fmt.Sprintf("repository is %d characters long", len(repo)), Fix: "use at most 255"}
	}
	if strings.ToLower(repo) != repo {
		return &Error{Problem: fmt.Sprintf("repository %q has upper-case letters", repo), Fix: fmt.Sprintf("use lower case: %q", strings.ToLower(repo))}
	}
	for _, c := range strings.Split(repo, "/") {
		if !componentRe.MatchString(c) {
			return &Error{Problem: fmt.Sprintf("invalid repository path component %q", c), Fix: "use lower-case letters and digits separated by '.', '_', '__' or dashes"}
		}
	}
	return nil
}

// ValidateTag reports whether tag follows the OCI tag grammar
// [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. Errors are *Error.
func ValidateTag(tag string) error {
	switch {
	case tag == "":
		return &Error{What: "tag", Input: tag, Problem: "empty tag", Fix: "give a tag such as 1.2.3"}
	case len(tag) > 128:
		return &Error{What: "tag", Input: tag, Problem: fmt.Sprintf("tag is %d characters long", len(tag)), Fix: "use at most 128 characters"}
	case !tagRe.MatchString(tag):
		return &Error{What: "tag", Input: tag, Problem: fmt.Sprintf("invalid tag %q", tag), Fix: "start with a letter, digit or '_' and use only letters, digits, '.', '_' and '-'"}
	}
	return nil
}

// credentialsEnd returns the index of the '@' that ends credentials in s
// (user:password@host/...), or -1. It is the last '@' with a '/' after it:
// a password may hold '@' or '/', a digest (@sha256:...) holds neither.
func credentialsEnd(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '@' && strings.Contains(s[i:], "/") {
			return i
		}
	}
	return -1
}

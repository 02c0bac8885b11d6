package imageref

import (
	"errors"
	"strings"
)

// ParseSource parses s as the source of a tag operation: what Parse
// accepts, or registry/repository@digest, which names a manifest by digest
// alone and gives a Ref with an empty Tag. Errors are *Error.
func ParseSource(s string) (Ref, error) {
	at := strings.IndexByte(s, '@')
	if at < 0 {
		r, err := Parse(s)
		var e *Error
		if errors.As(err, &e) && e.Problem == "no tag" {
			e.Problem = "no tag and no digest"
			e.Fix = "add a tag or a digest, e.g. registry.example.com/team/app:1.2.3 or registry.example.com/team/app@sha256:<64 hex>"
		}
		return r, err
	}
	name := s[:at]
	slash := strings.LastIndexByte(name, '/')
	if strings.Contains(s[at:], "/") || slash < 0 || strings.Contains(name[slash+1:], ":") {
		// Credentials, no registry host, or a tag: Parse says what it
		// thinks of it.
		return Parse(s)
	}
	// registry/repository@digest: parse it with a stand-in tag, so that
	// host, repository and digest get Parse's checks, then drop the tag.
	const standIn = "source"
	r, err := Parse(name + ":" + standIn + s[at:])
	var e *Error
	if errors.As(err, &e) {
		e.Input = s
		return Ref{}, e
	}
	if err != nil {
		return Ref{}, err
	}
	r.Tag = ""
	return r, nil
}

package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// NotFoundError reports a tag, digest or repository that the registry does
// not have: a 404, or a 401/403 whose body names MANIFEST_UNKNOWN or
// NAME_UNKNOWN. Registries that answer an anonymous request for a missing
// repository with a bare 401 (Docker Hub does) give an *AuthError
// instead, because the two cannot be told apart.
type NotFoundError struct {
	Ref string // the reference that was looked up
	Err error  // the registry's answer
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s not found: check the repository and tag, or push the image first", e.Ref)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// RefusedError reports an operation that tagbump refuses because it would
// move an immutable tag, or because the tag does not hold the expected
// digest.
type RefusedError struct {
	Ref    string // the tag concerned
	Reason string // why, e.g. "tag exists with digest sha256:..."
	Fix    string // what to do instead
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused: %s: %s", e.Ref, e.Reason, e.Fix)
}

// AuthError reports a 401 or 403 from a registry. Anonymous is true when
// no credentials were found for the registry.
type AuthError struct {
	Host      string
	Status    int
	Anonymous bool
	Err       error
}

func (e *AuthError) Error() string {
	if e.Anonymous {
		return fmt.Sprintf("registry %s answered %d to an anonymous request: set TAGBUMP_REGISTRY_USERNAME and TAGBUMP_REGISTRY_PASSWORD or run docker login %s (some registries answer this way for a repository that does not exist)", e.Host, e.Status, e.Host)
	}
	return fmt.Sprintf("registry %s refused the credentials (%d): check the user name, the password or token and its permissions on this repository", e.Host, e.Status)
}

func (e *AuthError) Unwrap() error { return e.Err }

// NetworkError reports a registry that could not be reached, timed out or
// answered with an error status after the retries ran out.
type NetworkError struct {
	Host   string
	Status int // the HTTP status, or 0 when there was no answer
	Err    error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("registry %s: %v", e.Host, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// InsecureError reports a plain-HTTP request to a host that is not allowed
// to use it.
type InsecureError struct {
	Host string
}

func (e *InsecureError) Error() string {
	return fmt.Sprintf("plain http to %s refused: only localhost and 127.0.0.0/8 may use http without TLS; name the host with --insecure-registry %s if it really has no TLS", e.Host, e.Host)
}

// SourceError reports a push source that cannot be read as a docker save
// tarball or an OCI image layout directory.
type SourceError struct {
	Path string
	Err  error
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("read image %s: %v: give a docker save tarball or an OCI image layout directory", e.Path, e.Err)
}

func (e *SourceError) Unwrap() error { return e.Err }

// timeoutError is the error of a request that made no progress for the
// configured timeout. It is temporary so that the retry layer retries it.
type timeoutError struct {
	host string
	d    fmt.Stringer
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer from %s within %s", e.host, e.d)
}
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// classify turns an error of go-containerregistry into one of the typed
// errors of this package; ref names what was looked up.
func (s *session) classify(ref string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var (
		te  *transport.Error
		ie  *InsecureError
		ne  net.Error
		typ interface{ isTyped() }
	)
	switch {
	case errors.As(err, &typ), errors.As(err, &ie):
		return err
	case errors.As(err, &te):
		switch {
		case te.StatusCode == http.StatusNotFound || hasCode(te, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode):
			return &NotFoundError{Ref: ref, Err: err}
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			return &AuthError{Host: s.host, Status: te.StatusCode, Anonymous: s.anonymous, Err: err}
		default:
			return &NetworkError{Host: s.host, Status: te.StatusCode, Err: err}
		}
	case errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return &NetworkError{Host: s.host, Err: err}
	}
	return err
}

func (*NotFoundError) isTyped() {}
func (*RefusedError) isTyped()  {}
func (*AuthError) isTyped()     {}
func (*NetworkError) isTyped()  {}
func (*SourceError) isTyped()   {}

func hasCode(te *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range te.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// retryable reports whether a failed request may be tried again: network
// errors and timeouts, never a canceled context.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// isStatus reports whether err is a registry answer with one of codes.
func isStatus(err error, codes ...int) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	for _, c := range codes {
		if te.StatusCode == c {
			return true
		}
	}
	return false
}

package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Sentinel errors. The errors returned by this package wrap them, so callers
// decide with errors.Is what to do.
var (
	// ErrRace means the branch moved between Fetch and Push: fetch again,
	// redo the edit and push again.
	ErrRace = errors.New("the branch moved since it was fetched (lost a race)")
	// ErrAuth means the server refused the credentials (HTTP 401 or 403,
	// SSH authentication failure) or none were given where needed.
	ErrAuth = errors.New("authentication or authorization failed")
	// ErrNotFound means the repository, the branch or a file does not exist.
	ErrNotFound = errors.New("not found")
	// ErrHostKey means the SSH server's host key is unknown or does not match
	// known_hosts; see HostKeyError.
	ErrHostKey = errors.New("host key verification failed")
	// ErrNetwork means the server could not be reached or did not answer in
	// time.
	ErrNetwork = errors.New("network error")
	// ErrNotRegular means a path names a symlink, a submodule or a
	// directory where a regular file was expected.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge means a file exceeds the maximum size (WithMaxFileSize).
	ErrTooLarge = errors.New("file too large")
	// ErrLimit means a server's answer went past a bound on what tagbump
	// reads from it: a pack that inflates to more than WithMaxFetchBytes
	// (a zip bomb), an advertisement or ref listing larger than any real
	// one. Retrying does not help: the server or what stands between is
	// broken or hostile.
	ErrLimit = errors.New("the server's answer exceeds a limit")
	// ErrBadAddress means the repository address cannot be used: an
	// unsupported protocol or a malformed URL.
	ErrBadAddress = errors.New("invalid repository address")
	// ErrDirty means a local work tree has uncommitted changes in a file
	// that a push to the checked-out branch would overwrite.
	ErrDirty = errors.New("work tree has uncommitted changes")
)

// RejectedError is a push the server refused for a reason other than a
// race: a pre-receive or update hook, a protected branch. Retrying the same
// push will not help.
type RejectedError struct {
	// Ref is the refused reference, e.g. refs/heads/main.
	Ref string
	// Reason is the server's status text followed by the hook's messages.
	Reason string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("push %s: rejected by the server: %s", e.Ref, e.Reason)
}

// HostKeyError is an SSH host key that known_hosts does not vouch for.
type HostKeyError struct {
	// Host is host:port as dialed.
	Host string
	// Unknown is true when known_hosts has no key for Host at all, false
	// when it has a different one (a mismatch: possibly an attack).
	Unknown bool
	// Fingerprint is the SHA256 fingerprint of the key the server presented.
	Fingerprint string
}

func (e *HostKeyError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("ssh host %s: unknown host key %s: add it to known_hosts (--known-hosts FILE)", e.Host, e.Fingerprint)
	}
	return fmt.Sprintf("ssh host %s: host key %s does not match known_hosts: check the server or update known_hosts", e.Host, e.Fingerprint)
}

// Is makes errors.Is(err, ErrHostKey) true.
func (e *HostKeyError) Is(target error) bool { return target == ErrHostKey }

// TimeoutError is a network operation that got no answer in time: within
// the limit of WithTimeout, or before the context's deadline.
type TimeoutError struct {
	Op, Repo string
	Limit    time.Duration // WithTimeout's limit; 0 when there is none
	Err      error
}

func (e *TimeoutError) Error() string {
	if e.Limit > 0 {
		return fmt.Sprintf("%s %s: no answer within %s: raise --timeout or check that the server is up", e.Op, e.Repo, e.Limit)
	}
	return fmt.Sprintf("%s %s: no answer before the deadline: check that the server is up", e.Op, e.Repo)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNetwork) and errors.Is(err,
// context.DeadlineExceeded) true, whatever go-git wrapped.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrNetwork || target == context.DeadlineExceeded
}

// notFoundFile is the cause of a missing file: both fs.ErrNotExist and
// ErrNotFound.
type notFoundFile struct{}

func (notFoundFile) Error() string { return "file does not exist" }
func (notFoundFile) Is(target error) bool {
	return target == fs.ErrNotExist || target == ErrNotFound
}

// classify turns a go-git or network error into one wrapping this
// package's sentinels. op and subject name what failed ("fetch URL").
// It decides by type and HTTP status; the few matches on text are
// pinned by tests (see sshAuthFailed and decodeFailure).
func (r *Repo) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if hk := r.hostKeyErr.Swap(nil); hk != nil {
		return fmt.Errorf("%s %s: %w", op, r.display, hk)
	}
	cause := exposeCause(err)
	var sentinel error
	var nerr net.Error
	switch {
	case errors.Is(err, ErrRace), errors.Is(err, ErrAuth), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrNetwork), errors.Is(err, ErrHostKey), errors.Is(err, ErrBadAddress), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s %s: %w", op, r.display, err)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod), sshAuthFailed(err):
		sentinel = ErrAuth
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%s %s: %w: the repository is empty: push a first commit to it, or check --repo", op, r.display, ErrNotFound)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%s %s: %w: no such repository: check --repo, and that the credentials may read it", op, r.display, ErrNotFound)
	case errors.Is(cause, context.DeadlineExceeded), errors.As(cause, &nerr) && nerr.Timeout(),
		decodeFailure(err, context.DeadlineExceeded), decodeFailure(err, os.ErrDeadlineExceeded):
		return &TimeoutError{Op: op, Repo: r.display, Limit: r.o.timeout, Err: err}
	case errors.As(cause, &nerr), errors.Is(cause, syscall.ECONNREFUSED), errors.Is(cause, syscall.ECONNRESET),
		errors.Is(cause, syscall.EPIPE), errors.Is(cause, io.ErrUnexpectedEOF), errors.Is(cause, io.EOF),
		serverBusy(httpStatus(err)),
		decodeFailure(err, io.ErrUnexpectedEOF), decodeFailure(err, syscall.ECONNRESET):
		sentinel = ErrNetwork
	case errors.Is(err, plumbing.ErrObjectNotFound):
		// A fetch into a shallow store that lacks an object the server
		// names: the branch moved meanwhile.
		sentinel = ErrRace
	}
	if sentinel == nil {
		return fmt.Errorf("%s %s: %w", op, r.display, err)
	}
	if sentinel == ErrAuth {
		return fmt.Errorf("%s %s: %w: %s: %s", op, r.display, sentinel, authCause(err), r.authHint(op))
	}
	return fmt.Errorf("%s %s: %w: %w", op, r.display, sentinel, err)
}

// goGitCause joins an error of go-git that has no Unwrap
// (*plumbing.UnexpectedError, *plumbing.PermanentError) to the error it
// carries, so that errors.Is and errors.As see the network error or the
// HTTP answer inside.
type goGitCause struct {
	error
	cause error
}

func (e goGitCause) Unwrap() []error { return []error{e.error, e.cause} }

// exposeCause returns err with go-git's wrappers opened (see goGitCause).
func exposeCause(err error) error {
	var ue *plumbing.UnexpectedError
	var pe *plumbing.PermanentError
	switch {
	case errors.As(err, &ue) && ue.Err != nil:
		return goGitCause{err, exposeCause(ue.Err)}
	case errors.As(err, &pe) && pe.Err != nil:
		return goGitCause{err, exposeCause(pe.Err)}
	}
	return err
}

// httpStatus returns the HTTP status of an unexpected answer that go-git
// reported as *http.Err (anything but 2xx, 401, 403 and 404), or 0.
func httpStatus(err error) int {
	var he *githttp.Err
	if errors.As(exposeCause(err), &he) && he.Response != nil {
		return he.StatusCode()
	}
	return 0
}

// serverBusy reports whether an HTTP status says the server is overloaded
// or failing (5xx, 429), so that a later try may succeed.
func serverBusy(status int) bool {
	return status >= 500 && status <= 599 || status == 429
}

// decodeUploadPackPrefix is how go-git (transport/internal/common,
// DecodeUploadPackResponse) prefixes any failure to read an upload-pack
// answer, after turning it into text: the server's ERR line and a
// connection cut alike lose their type there. Pinned by
// TestGoGitDecodeFailureWording.
const decodeUploadPackPrefix = "error decoding upload-pack response: "

// decodeFailure reports whether err is go-git's text-only upload-pack
// decoding failure (see decodeUploadPackPrefix) caused by target, as told
// by target's own Error text: a connection cut while the answer's head is
// read (io.ErrUnexpectedEOF, ECONNRESET) or a deadline there.
func decodeFailure(err error, target error) bool {
	return serverSays(err, target.Error())
}

// serverSays reports whether err is go-git's text-only upload-pack
// decoding failure whose cause contains what: the text of an ERR packet
// from the server, or of a local error.
func serverSays(err error, what string) bool {
	msg := err.Error()
	i := strings.Index(msg, decodeUploadPackPrefix)
	return i >= 0 && strings.Contains(msg[i+len(decodeUploadPackPrefix):], what)
}

// sshAuthFailed reports whether err is golang.org/x/crypto/ssh's refusal
// of every authentication method. That package returns it as text only
// ("ssh: unable to authenticate, attempted methods [...], no supported
// methods remain"); pinned by TestSSHFetchPush (a key the server does not
// accept must give ErrAuth).
func sshAuthFailed(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "ssh: unable to authenticate") && strings.Contains(msg, "no supported methods remain")
}

// authCause is go-git's text for a refused request without its empty or
// repeated parts: go-git appends the HTTP body to its sentinel ("authentication
// required: " + body), and the body may be empty, repeat the status or be a
// whole HTML page. A short one-line reason is kept.
func authCause(err error) string {
	msg := err.Error()
	for _, s := range []error{transport.ErrAuthenticationRequired, transport.ErrAuthorizationFailed} {
		if !errors.Is(err, s) {
			continue
		}
		i := strings.Index(msg, s.Error())
		if i < 0 {
			break
		}
		reason := strings.TrimSpace(msg[i+len(s.Error()):])
		reason = strings.TrimSpace(strings.TrimPrefix(reason, ":"))
		if reason == "" || strings.EqualFold(reason, s.Error()) || strings.ContainsAny(reason, "\r\n<") || len(reason) > 200 {
			return s.Error()
		}
		return s.Error() + ": " + reason
	}
	return strings.TrimRight(strings.TrimSpace(msg), ": ")
}

// authHint says what to do about a refused request.
func (r *Repo) authHint(op string) string {
	switch {
	case r.ep != nil && r.ep.Protocol == "ssh":
		return "check the ssh key (--ssh-key or the agent) and that it may access the repository"
	case r.auth == nil:
		return "no token was sent: set TAGBUMP_GIT_TOKEN (or the CI system's token)"
	case strings.HasPrefix(op, "push"):
		return "the token may read but not write: give it write access to the repository"
	}
	return "check the token in TAGBUMP_GIT_TOKEN (or the CI system's token) and the user in TAGBUMP_GIT_USER"
}

// isRaceStatus recognises the statuses git's receive-pack reports when its
// compare-and-swap on the ref fails: "failed to update ref" (ref
// transactions), "failed to lock" (older servers) and "non-fast-forward"
// (receive.denyNonFastForwards; also go-git's client-side "non-fast-forward
// update"). git push's "fetch first" and "stale info" are client-side words
// that no server sends.
func isRaceStatus(s string) bool {
	for _, m := range []string{"failed to update ref", "failed to lock", "non-fast-forward"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

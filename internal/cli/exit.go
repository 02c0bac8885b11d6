package cli

import (
	"context"
	"errors"
	"io/fs"

	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
	"github.com/tagbump/tagbump/pkg/sign"
	"github.com/tagbump/tagbump/pkg/values"
)

// Exit codes. They are part of tagbump's interface: document any change in
// README.md and in exitCodeHelp.
const (
	ExitOK       = 0 // done: changed, unchanged or skipped
	ExitError    = 1 // an unexpected error
	ExitUsage    = 2 // bad flags, arguments or input (invalid YAML, bad path, bad reference)
	ExitNotFound = 3 // image, repository, branch, file or key not found
	ExitRefused  = 4 // refused by policy or immutability (latest, tag pattern, moved tag, alias target)
	ExitAuth     = 5 // authentication or authorization failed
	ExitNetwork  = 6 // network, timeout or server error
	ExitConflict = 7 // the push kept losing races until --retry-for or --max-attempts ran out
	ExitRejected = 8 // the server rejected the push (hook, protected branch)
	ExitCanceled = 130
)

const exitCodeHelp = `

Exit codes:
  0  done (changed, unchanged or skipped)
  1  unexpected error
  2  bad flags, arguments or input
  3  not found (image, repository, branch, file, key)
  4  refused by policy or immutability
  5  authentication or authorization failed
  6  network, timeout or server error
  7  the push lost every race until --retry-for or --max-attempts ran out
  8  the server rejected the push (hook, protected branch)
  130 interrupted`

// ExitKind names an exit code for machine-readable output: "usage",
// "not_found", "refused", "auth", "network", "conflict", "rejected",
// "canceled", or "error".
func ExitKind(code int) string {
	switch code {
	case ExitOK:
		return "ok"
	case ExitUsage:
		return "usage"
	case ExitNotFound:
		return "not_found"
	case ExitRefused:
		return "refused"
	case ExitAuth:
		return "auth"
	case ExitNetwork:
		return "network"
	case ExitConflict:
		return "conflict"
	case ExitRejected:
		return "rejected"
	case ExitCanceled:
		return "canceled"
	}
	return "error"
}

// exitError carries an exit code decided where the error was classified.
type exitError struct {
	code int
	err  error
	hint bool // point at --help: the command line itself was wrong
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// commandLineErr is a usage error in the flags or arguments themselves.
func commandLineErr(err error) error { return &exitError{code: ExitUsage, err: err, hint: true} }

func wantsHint(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.hint
}

// ExitCode maps an error returned by a command to the process exit code.
// It is the only place where that decision is made.
func ExitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return ExitCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return ExitNetwork
	}
	for _, m := range exitMap {
		if m.match(err) {
			return m.code
		}
	}
	return ExitError
}

// exitMap classifies the typed errors of the pkg/ libraries.
var exitMap = []struct {
	match func(error) bool
	code  int
}{
	{isA[*bump.InputError], ExitUsage},
	{isA[*bump.NoTargetError], ExitNotFound},
	{isA[*bump.ConflictError], ExitConflict},
	{isA[*bump.RolledBackError], ExitRefused},
	{isA[*bump.KeyRepositoryError], ExitRefused},
	{isA[*bump.RepositoryChangedError], ExitRefused},
	{isA[*bump.DeployedMeanwhileError], ExitConflict},
	{isA[*bump.NoHistoryError], ExitNotFound},
	{isA[*bump.NothingToPromoteError], ExitNotFound},
	{isA[*bump.BranchTakenError], ExitRefused},
	{func(err error) bool { return errors.Is(err, forge.ErrAuth) || errors.Is(err, forge.ErrPermission) }, ExitAuth},
	{func(err error) bool { return errors.Is(err, forge.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, forge.ErrUnsupported) }, ExitUsage},
	{func(err error) bool { return errors.Is(err, forge.ErrServer) }, ExitNetwork},
	{isA[*gitrepo.RejectedError], ExitRejected},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrRace) }, ExitConflict},
	// A ref update the host refused without a race: a ruleset or branch
	// protection on the pull request branch, as a rejected push.
	{func(err error) bool { return errors.Is(err, forge.ErrRefUpdate) }, ExitRejected},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrAuth) || errors.Is(err, gitrepo.ErrHostKey) }, ExitAuth},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrNetwork) }, ExitNetwork},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrDirty) }, ExitRefused},
	{func(err error) bool {
		return errors.Is(err, gitrepo.ErrNotRegular) || errors.Is(err, gitrepo.ErrTooLarge) || errors.Is(err, gitrepo.ErrBadAddress)
	}, ExitUsage},
	{isA[*sign.KeyError], ExitUsage},
	{isA[*forge.RateLimitError], ExitNetwork},
	{func(err error) bool { return errors.Is(err, forge.ErrBadURL) }, ExitUsage},
	{isA[*imageref.Error], ExitUsage},
	{isA[*registry.InsecureError], ExitUsage},
	{isA[*registry.SourceError], ExitUsage},
	{isA[*registry.NotFoundError], ExitNotFound},
	{isA[*imageref.PolicyError], ExitRefused},
	{isA[*registry.RefusedError], ExitRefused},
	{isA[*registry.AuthError], ExitAuth},
	{isA[*registry.NetworkError], ExitNetwork},
	{func(err error) bool { return errors.Is(err, values.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, values.ErrRefused) }, ExitRefused},
	{func(err error) bool { return errors.Is(err, values.ErrInvalid) }, ExitUsage},
	{func(err error) bool { return errors.Is(err, fs.ErrNotExist) }, ExitNotFound},
}

// isA reports whether err wraps an error of type T.
func isA[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

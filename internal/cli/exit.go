package cli

import (
	"context"
	"errors"
	"io/fs"

	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
	"github.com/tagbump/tagbump/pkg/render"
	"github.com/tagbump/tagbump/pkg/sign"
	"github.com/tagbump/tagbump/pkg/target"
	"github.com/tagbump/tagbump/pkg/values"
	"github.com/tagbump/tagbump/pkg/wait"
)

// Exit codes. They are part of tagbump's interface: document any change in
// docs/reference/exit-codes.md (TestExitCodesDocumented checks it) and in
// exitCodeHelp.
const (
	ExitOK       = 0 // done: changed, unchanged or skipped
	ExitError    = 1 // an unexpected error
	ExitUsage    = 2 // bad flags, arguments or input (invalid YAML, bad path, bad reference)
	ExitNotFound = 3 // image, repository, branch, file or key not found
	ExitRefused  = 4 // refused by policy or immutability (latest, tag pattern, moved tag, alias target)
	ExitAuth     = 5 // authentication or authorization failed
	ExitNetwork  = 6 // network, timeout or server error
	ExitConflict = 7 // the push kept losing races until --retry-for or --max-attempts ran out, or the host refused for the state of a branch or pull request
	ExitRejected = 8 // the server rejected the push (hook, protected branch), or the pull request was closed unmerged (--pr --wait)
	ExitFailed   = 9 // the deployment failed (wait: a failure status, a failed sync, Degraded, a rollback past the commit)
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
  7  the push lost every race until --max-attempts (on bump also
     --retry-for) ran out, or the host refused a request for the state of a branch or pull request
  8  the server rejected the push (hook, protected branch), or with
     --pr --wait the pull request was closed without being merged
  9  the deployment failed (wait: a failure status, a failed sync,
     Degraded, or a rollback past the commit)
  130 interrupted`

// ExitKind names an exit code for machine-readable output: "usage",
// "not_found", "refused", "auth", "network", "conflict", "rejected",
// "deploy_failed", "canceled", or "error".
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
	case ExitFailed:
		return "deploy_failed"
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
	// reported: --output json already printed a result that tells of
	// the error; Run prints no error object after it.
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// commandLineErr is a usage error in the flags or arguments themselves.
func commandLineErr(err error) error { return &exitError{code: ExitUsage, err: err, hint: true} }

// reportedJSON reports whether the command already printed its result,
// error included, with --output json.
func reportedJSON(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.reported
}

func wantsHint(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.hint
}

// ExitCode maps an error returned by a command to the process exit code.
// It is the only place where that decision is made: an interruption, then
// the first row of exitMap that matches.
func ExitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return ExitCanceled
	}
	for _, m := range exitMap {
		if m.match(err) {
			return m.code
		}
	}
	return ExitError
}

// exitMap classifies the typed errors of the pkg/ libraries. One error may
// wrap several causes: the API branch writer wraps a lost answer found to be
// a race as "%w: %w" (gitrepo.ErrRace and forge.ErrServer), a bump that
// gave up wraps the error of its last attempt. The first row that matches
// decides, so the rows go from the most specific cause to the least:
//
//  1. pkg/bump's verdicts: they were reached knowing the causes below.
//  2. What became of the write: a race (the branch moved), a rejection
//     (hook, protected branch, ruleset). A server error or a lost answer
//     that turned out to be a race is a race.
//  3. A cause the user must fix: credentials, something missing, a refusal
//     by policy, bad input. Their order among themselves is the order in
//     which each package's errors were written; they do not mix.
//  4. The host refused a request because of the state of a branch or pull
//     request (forge.ErrConflict: HTTP 409 or 422, e.g. a pull request
//     opened for the same branch meanwhile, and the other 4xx answers
//     without a kind of their own): as after a lost race, the state moved
//     under tagbump and a new run reads it again, so ExitConflict. Not
//     ExitRejected: that says the same push will never be taken.
//  5. Network, timeouts, server errors and rate limits: last, since any
//     other cause in the chain says more about what to do.
var exitMap = []struct {
	match func(error) bool
	code  int
}{
	// 1. pkg/bump's verdicts
	{isA[*bump.InputError], ExitUsage},
	{isA[*bump.NoTargetError], ExitNotFound},
	{isA[*bump.ConflictError], ExitConflict},
	{isA[*bump.RolledBackError], ExitRefused},
	{isA[*bump.GuardError], ExitNetwork},
	{isA[*bump.KeyRepositoryError], ExitRefused},
	{isA[*bump.PinnedDigestError], ExitRefused},
	{isA[*bump.DisabledError], ExitRefused},
	{isA[*bump.RepositoryChangedError], ExitRefused},
	{isA[*bump.DeployedMeanwhileError], ExitConflict},
	{isA[*bump.NoHistoryError], ExitNotFound},
	{isA[*bump.NothingToPromoteError], ExitNotFound},
	{isA[*argocd.AppError], ExitNotFound},
	{isA[*bump.BranchTakenError], ExitRefused},
	{isA[*bump.RenderRefusedError], ExitRefused},
	{isA[*render.UnsupportedError], ExitNotFound},
	{isA[*render.ToolError], ExitNetwork},
	{isA[*wait.FailedError], ExitFailed},
	{isA[*wait.TimeoutError], ExitNetwork},
	// A pull request closed unmerged: the host's gate on the branch (a
	// reviewer, a bot) refused the change, which will never land as it
	// is, and nothing was deployed. That is a rejection (8), not a failed
	// deployment (9), which tells of a cluster that may need a rollback.
	{isA[*wait.ClosedError], ExitRejected},

	// 2. what became of the write
	{func(err error) bool { return errors.Is(err, gitrepo.ErrRace) || errors.Is(err, forge.ErrBranchMoved) }, ExitConflict},
	{isA[*gitrepo.RejectedError], ExitRejected},
	// A ref update the host refused without a race: a ruleset or branch
	// protection on the pull request branch, as a rejected push.
	{func(err error) bool { return errors.Is(err, forge.ErrRefUpdate) }, ExitRejected},

	// 3. causes the user must fix
	{func(err error) bool { return errors.Is(err, forge.ErrAuth) || errors.Is(err, forge.ErrPermission) }, ExitAuth},
	{func(err error) bool { return errors.Is(err, argocd.ErrAuth) }, ExitAuth},
	{func(err error) bool { return errors.Is(err, argocd.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, argocd.ErrBadURL) }, ExitUsage},
	{func(err error) bool { return errors.Is(err, forge.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, forge.ErrUnsupported) }, ExitUsage},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrAuth) || errors.Is(err, gitrepo.ErrHostKey) }, ExitAuth},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, gitrepo.ErrDirty) }, ExitRefused},
	{func(err error) bool {
		return errors.Is(err, gitrepo.ErrNotRegular) || errors.Is(err, gitrepo.ErrTooLarge) || errors.Is(err, gitrepo.ErrBadAddress) ||
			errors.Is(err, gitrepo.ErrBadName)
	}, ExitUsage},
	{isA[*sign.KeyError], ExitUsage},
	{func(err error) bool { return errors.Is(err, forge.ErrBadURL) }, ExitUsage},
	{isA[*imageref.Error], ExitUsage},
	{isA[*registry.InsecureError], ExitUsage},
	{isA[*registry.SourceError], ExitUsage},
	{isA[*registry.NotFoundError], ExitNotFound},
	{isA[*imageref.PolicyError], ExitRefused},
	{isA[*registry.RefusedError], ExitRefused},
	{isA[*attest.RefusedError], ExitRefused},
	{isA[*attest.PolicyError], ExitUsage},
	{isA[*attest.TUFError], ExitNetwork}, // the TUF repository was unreachable or served what does not verify
	{isA[*registry.AuthError], ExitAuth},
	{func(err error) bool { return errors.Is(err, target.ErrNoImage) }, ExitNotFound},
	{func(err error) bool {
		return errors.Is(err, target.ErrOtherImage) || errors.Is(err, target.ErrPinned) || errors.Is(err, target.ErrAmbiguous) ||
			errors.Is(err, target.ErrRefused)
	}, ExitRefused},
	{func(err error) bool { return errors.Is(err, values.ErrNotFound) }, ExitNotFound},
	{func(err error) bool { return errors.Is(err, values.ErrRefused) }, ExitRefused},
	{func(err error) bool { return errors.Is(err, values.ErrInvalid) }, ExitUsage},
	{func(err error) bool { return errors.Is(err, values.ErrTooLarge) }, ExitUsage},
	{func(err error) bool { return errors.Is(err, fs.ErrNotExist) }, ExitNotFound},

	// 4. the state of a branch or pull request
	{func(err error) bool { return errors.Is(err, forge.ErrConflict) }, ExitConflict},

	// 5. network, timeouts, server errors
	{func(err error) bool {
		return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, gitrepo.ErrNetwork) || errors.Is(err, gitrepo.ErrLimit) ||
			errors.Is(err, forge.ErrServer) || errors.Is(err, argocd.ErrServer)
	}, ExitNetwork},
	{isA[*forge.RateLimitError], ExitNetwork},
	{isA[*registry.NetworkError], ExitNetwork},
}

// isA reports whether err wraps an error of type T.
func isA[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

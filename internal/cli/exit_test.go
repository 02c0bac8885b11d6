package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

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

// wrapped is err as a command returns it: with an operation before it.
func wrapped(err error) error { return fmt.Errorf("bump: %w", err) }

// both is an error with two causes, as pkg/bump's API writer makes them.
func both(a, b error) error { return wrapped(fmt.Errorf("%w: %w", a, b)) }

func forgeErr(kind error, status int) error {
	return &forge.Error{Op: "create pull request", Status: status, Message: "m", Kind: kind}
}

// exitCases are errors as commands return them, with the exit code each
// must give: one at least for each row of exitMap (TestExitCodeEveryRow),
// and the mixtures whose order the table decides.
var exitCases = []struct {
	name string
	err  error
	want int
}{
	{"nil", nil, ExitOK},
	{"unclassified", errors.New("boom"), ExitError},
	{"decided where classified", commandLineErr(errors.New("bad flag")), ExitUsage},
	{"canceled", wrapped(context.Canceled), ExitCanceled},
	{"canceled during a race", both(gitrepo.ErrRace, context.Canceled), ExitCanceled},

	// 1. pkg/bump's verdicts
	{"bump input", wrapped(&bump.InputError{}), ExitUsage},
	{"no target", wrapped(&bump.NoTargetError{}), ExitNotFound},
	{"races ran out", wrapped(&bump.ConflictError{}), ExitConflict},
	{"rolled back", wrapped(&bump.RolledBackError{}), ExitRefused},
	{"guard cannot read history", wrapped(&bump.GuardError{Err: gitrepo.ErrNoHistory}), ExitNetwork},
	{"key repository", wrapped(&bump.KeyRepositoryError{}), ExitRefused},
	{"pinned digest", wrapped(&bump.PinnedDigestError{}), ExitRefused},
	{"not rendered", wrapped(&bump.DisabledError{}), ExitRefused},
	{"render check refused", wrapped(&bump.RenderRefusedError{RefusedError: &render.RefusedError{Chart: "app", Reason: "r"}}), ExitRefused},
	{"render check cannot render", wrapped(&render.UnsupportedError{Target: "overlays/prod", Reason: "remote"}), ExitNotFound},
	{"helm cannot run", wrapped(&render.ToolError{Tool: "helm", Op: "template", Err: errors.New("exec: not found")}), ExitNetwork},
	{"repository changed", wrapped(&bump.RepositoryChangedError{}), ExitRefused},
	{"deployed meanwhile", wrapped(&bump.DeployedMeanwhileError{}), ExitConflict},
	{"no history", wrapped(&bump.NoHistoryError{}), ExitNotFound},
	{"nothing to promote", wrapped(&bump.NothingToPromoteError{}), ExitNotFound},
	{"application not found", wrapped(&argocd.AppError{App: "shop", Problem: argocd.ProblemNotFound}), ExitNotFound},
	{"branch taken", wrapped(&bump.BranchTakenError{}), ExitRefused},
	{"deployment failed", wrapped(&wait.FailedError{}), ExitFailed},
	{"wait timed out", wrapped(&wait.TimeoutError{Last: forgeErr(forge.ErrAuth, 401)}), ExitNetwork},
	{"pull request closed unmerged", wrapped(&wait.ClosedError{PR: forge.PRStatus{Number: 3, State: forge.PRClosed}}), ExitRejected},
	{"argo cd token refused", wrapped(forgeErr(argocd.ErrAuth, 403)), ExitAuth},
	{"argo cd application missing", wrapped(forgeErr(argocd.ErrNotFound, 404)), ExitNotFound},
	{"argo cd server over http", wrapped(fmt.Errorf("server: %w", argocd.ErrBadURL)), ExitUsage},
	{"argo cd server failed", wrapped(forgeErr(argocd.ErrServer, 503)), ExitNetwork},

	// 2. what became of the write
	{"race", wrapped(gitrepo.ErrRace), ExitConflict},
	{"api branch moved", wrapped(forgeErr(forge.ErrBranchMoved, 200)), ExitConflict},
	{"rejected", wrapped(&gitrepo.RejectedError{Ref: "refs/heads/main", Reason: "hook declined"}), ExitRejected},
	{"ref update refused", wrapped(forgeErr(forge.ErrRefUpdate, 200)), ExitRejected},
	// the API branch writer: a lost answer, then the branch had moved
	{"race and server error", both(gitrepo.ErrRace, forgeErr(forge.ErrServer, 502)), ExitConflict},
	{"race and branch moved", both(gitrepo.ErrRace, forgeErr(forge.ErrBranchMoved, 200)), ExitConflict},
	{"race and ref update refused", both(gitrepo.ErrRace, forgeErr(forge.ErrRefUpdate, 200)), ExitConflict},
	{"race and deadline", both(gitrepo.ErrRace, context.DeadlineExceeded), ExitConflict},
	{"rejected and network", both(&gitrepo.RejectedError{}, gitrepo.ErrNetwork), ExitRejected},

	// 3. causes the user must fix
	{"forge auth", wrapped(forgeErr(forge.ErrAuth, 401)), ExitAuth},
	{"forge permission", wrapped(forgeErr(forge.ErrPermission, 403)), ExitAuth},
	{"forge not found", wrapped(forgeErr(forge.ErrNotFound, 404)), ExitNotFound},
	{"forge unsupported", wrapped(forge.ErrUnsupported), ExitUsage},
	{"git auth", wrapped(gitrepo.ErrAuth), ExitAuth},
	{"host key", wrapped(&gitrepo.HostKeyError{Host: "h:22"}), ExitAuth},
	{"git not found", wrapped(gitrepo.ErrNotFound), ExitNotFound},
	{"dirty", wrapped(gitrepo.ErrDirty), ExitRefused},
	{"not regular", wrapped(gitrepo.ErrNotRegular), ExitUsage},
	{"too large", wrapped(gitrepo.ErrTooLarge), ExitUsage},
	{"too many YAML nodes", wrapped(&values.Error{Op: "set", Kind: values.ErrTooLarge, Reason: "r"}), ExitUsage},
	{"bad address", wrapped(gitrepo.ErrBadAddress), ExitUsage},
	{"signing key", wrapped(&sign.KeyError{}), ExitUsage},
	{"bad api url", wrapped(forge.ErrBadURL), ExitUsage},
	{"bad reference", wrapped(&imageref.Error{}), ExitUsage},
	{"insecure registry", wrapped(&registry.InsecureError{}), ExitUsage},
	{"image source", wrapped(&registry.SourceError{Err: fs.ErrNotExist}), ExitUsage},
	{"image not found", wrapped(&registry.NotFoundError{}), ExitNotFound},
	{"tag policy", wrapped(&imageref.PolicyError{}), ExitRefused},
	{"registry refused", wrapped(&registry.RefusedError{}), ExitRefused},
	{"signature refused", wrapped(&attest.RefusedError{Kind: attest.NoSignature}), ExitRefused},
	{"signature policy", wrapped(&attest.PolicyError{Input: "--trusted-root", Err: errors.New("x")}), ExitUsage},
	{"trusted root from TUF", wrapped(&attest.TUFError{URL: "https://tuf.example", Err: errors.New("x")}), ExitNetwork},
	{"registry auth", wrapped(&registry.AuthError{}), ExitAuth},
	{"no image in a target", wrapped(&target.Error{Kind: target.ErrNoImage}), ExitNotFound},
	{"kustomize entry of another image", wrapped(&target.Error{Kind: target.ErrOtherImage}), ExitRefused},
	{"target ambiguous", wrapped(&target.Error{Kind: target.ErrAmbiguous}), ExitRefused},
	{"key not found", wrapped(values.ErrNotFound), ExitNotFound},
	{"values refused", wrapped(values.ErrRefused), ExitRefused},
	{"invalid yaml", wrapped(values.ErrInvalid), ExitUsage},
	{"file not found", wrapped(fs.ErrNotExist), ExitNotFound},
	// reading the branch after a lost answer failed for a cause to fix
	{"server error and git auth", both(forgeErr(forge.ErrServer, 502), gitrepo.ErrAuth), ExitAuth},
	{"network and not found", both(gitrepo.ErrNetwork, gitrepo.ErrNotFound), ExitNotFound},

	// 4. the state of a branch or pull request
	{"forge conflict", wrapped(forgeErr(forge.ErrConflict, 409)), ExitConflict},
	{"forge conflict after a server error", both(forgeErr(forge.ErrConflict, 409), forgeErr(forge.ErrServer, 503)), ExitConflict},

	// 5. network, timeouts, server errors
	{"deadline", wrapped(context.DeadlineExceeded), ExitNetwork},
	{"git network", wrapped(gitrepo.ErrNetwork), ExitNetwork},
	{"git timeout", wrapped(&gitrepo.TimeoutError{Op: "fetch", Repo: "r"}), ExitNetwork},
	{"forge server", wrapped(forgeErr(forge.ErrServer, 502)), ExitNetwork},
	{"lost answer", both(gitrepo.ErrNetwork, forgeErr(forge.ErrServer, 502)), ExitNetwork},
	{"rate limit", wrapped(&forge.RateLimitError{}), ExitNetwork},
	{"registry network", wrapped(&registry.NetworkError{}), ExitNetwork},
}

// TestExitCode checks the exit code of each case: every row of exitMap,
// and mixtures of causes, which the most specific decides.
func TestExitCode(t *testing.T) {
	for _, tc := range exitCases {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("%s: ExitCode(%v) = %d (%s), want %d (%s)", tc.name, tc.err, got, ExitKind(got), tc.want, ExitKind(tc.want))
		}
	}
}

// TestExitCodeEveryRow checks that each row of exitMap decides at least one
// of exitCases: a new row needs a case, and a row that an earlier one
// shadows shows up.
func TestExitCodeEveryRow(t *testing.T) {
	decided := make([]bool, len(exitMap))
	for _, tc := range exitCases {
		var ee *exitError
		if tc.err == nil || errors.As(tc.err, &ee) || errors.Is(tc.err, context.Canceled) {
			continue // decided before the table
		}
		for i, m := range exitMap {
			if m.match(tc.err) {
				decided[i] = true
				break
			}
		}
	}
	for i, ok := range decided {
		if !ok {
			t.Errorf("exitMap row %d (exit %d) decides none of exitCases: add a case for it", i, exitMap[i].code)
		}
	}
}

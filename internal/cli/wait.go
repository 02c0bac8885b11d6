package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/argocd"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/wait"
)

// envArgoCDToken is the variable the Argo CD API token is read from, as
// the argocd CLI reads it.
const envArgoCDToken = "ARGOCD_AUTH_TOKEN"

// waitFlags say what to wait for: the flags of wait, and of bump,
// promote and rollback with --wait.
type waitFlags struct {
	Wait          bool // bump, promote, rollback: --wait
	StatusContext string
	ArgoCDServer  string
	App           string
	AppNamespace  string
	TokenFile     string
	Timeout       time.Duration
	// Interval and MaxInterval are the first and the longest pause
	// between polls (hidden flags, for tests).
	Interval, MaxInterval time.Duration
	// sharedApp: the command's --app names the Applications to change,
	// and App is set from it (waitForApp).
	sharedApp bool
}

// waitForApp makes the Application to change (--app) the one a wait
// through the Argo CD API waits for: one Application, NAME or
// NAMESPACE/NAME.
func (w *waitFlags) waitForApp(apps []string) error {
	if !w.Wait || w.ArgoCDServer == "" || len(apps) == 0 {
		return nil
	}
	if len(apps) > 1 {
		return usageErr(fmt.Errorf("--wait --argocd-server waits for one Application, and --app names %d: wait for each with tagbump wait", len(apps)))
	}
	w.App = apps[0]
	if ns, name, ok := strings.Cut(apps[0], "/"); ok {
		w.App = name
		if w.AppNamespace == "" {
			w.AppNamespace = ns
		}
	}
	return nil
}

// register adds the flags; timeoutFlag is the name of the flag of the
// wait's timeout (--timeout in wait, --wait-timeout where --timeout is a
// Git and registry timeout).
func (w *waitFlags) register(f *pflag.FlagSet, timeoutFlag string) {
	f.StringVar(&w.StatusContext, "status-context", "", "wait for the commit statuses whose context matches this glob, e.g. argocd/app-service-staging or argocd/*-staging")
	f.StringVar(&w.ArgoCDServer, "argocd-server", "", "wait for an application through this Argo CD API server (https://HOST), with the token in "+envArgoCDToken)
	if f.Lookup("app") == nil {
		f.StringVar(&w.App, "app", "", "Argo CD application to wait for (with --argocd-server)")
	} else {
		// The command's own --app (the Application to change) is the
		// one waited for: see waitForApp.
		w.sharedApp = true
	}
	f.StringVar(&w.AppNamespace, "app-namespace", "", "namespace of the Argo CD application, when it is not in Argo CD's own (apps in any namespace)")
	f.StringVar(&w.TokenFile, "argocd-token-file", "", "read the Argo CD API token from this file instead of "+envArgoCDToken)
	usage := "give up waiting after this long (exit 6)"
	if timeoutFlag != "timeout" {
		usage += "; with --pr the merge and the deployment share it"
	}
	f.DurationVar(&w.Timeout, timeoutFlag, wait.DefaultTimeout, usage)
	f.DurationVar(&w.Interval, "poll-interval", wait.DefaultInterval, "first pause between polls")
	f.DurationVar(&w.MaxInterval, "poll-max-interval", wait.DefaultMaxInterval, "longest pause between polls")
	_ = f.MarkHidden("poll-interval")
	_ = f.MarkHidden("poll-max-interval")
}

// registerWait adds --wait and the flags of what to wait for to a command
// that lands a commit (bump, promote, rollback), whose --timeout is
// another's: the wait's is --wait-timeout.
func (w *waitFlags) registerWait(f *pflag.FlagSet) {
	f.BoolVar(&w.Wait, "wait", false, "after the push, wait until the commit is deployed (see tagbump wait): --status-context, or --argocd-server and --app; with --pr, until the pull request is merged (exit 8 if closed unmerged), then until its merge commit is deployed")
	w.register(f, "wait-timeout")
}

// checkWait refuses --wait where there is no commit to wait for, and the
// flags of the wait without --wait. With --pr the wait is for the pull
// request's merge, then for the merge commit's deployment.
func (w *waitFlags) checkWait(f *pflag.FlagSet, dryRun, noPush bool) error {
	if !w.Wait {
		for _, name := range []string{"status-context", "argocd-server", "app", "app-namespace", "argocd-token-file", "wait-timeout"} {
			if name == "app" && w.sharedApp {
				continue
			}
			if fl := f.Lookup(name); fl != nil && fl.Changed && fl.Value.String() != fl.DefValue {
				return usageErr(fmt.Errorf("--%s needs --wait", name))
			}
		}
		return nil
	}
	if dryRun || noPush {
		return usageErr(errors.New("--wait needs a push: drop --dry-run or --no-push"))
	}
	return w.check()
}

// check refuses a wait that names no source, or two.
func (w *waitFlags) check() error {
	statuses, argo := w.StatusContext != "", w.ArgoCDServer != "" || w.App != ""
	switch {
	case statuses && argo:
		return usageErr(errors.New("--status-context and --argocd-server/--app conflict: wait for the commit status or for the application, not both"))
	case !statuses && !argo:
		return usageErr(errors.New("say what to wait for: --status-context CONTEXT (the commit status Argo CD's notifications post), or --argocd-server URL --app NAME"))
	case argo && (w.ArgoCDServer == "" || w.App == ""):
		return usageErr(errors.New("--argocd-server and --app go together"))
	case statuses:
		if _, err := path.Match(w.StatusContext, ""); err != nil {
			return usageErr(fmt.Errorf("invalid --status-context %q: %w", w.StatusContext, err))
		}
	}
	if w.Timeout <= 0 || w.Interval <= 0 || w.MaxInterval < w.Interval {
		return usageErr(fmt.Errorf("invalid timeout or poll intervals: use positive durations"))
	}
	return nil
}

// WaitOptions are the inputs of `tagbump wait`.
type WaitOptions struct {
	Repo, Branch, Commit string
	SSHKey, KnownHosts   string
	GitTimeout           time.Duration
	Provider, APIURL     string
	Dotenv               string
	Output               outputFlag
	waitFlags
}

// NewCmdWait builds `tagbump wait`. runF replaces the command's work in tests.
func NewCmdWait(streams IOStreams, runF func(*WaitOptions) error) *cobra.Command {
	opts := &WaitOptions{}
	cmd := &cobra.Command{
		Use:   "wait --repo URL --commit SHA (--status-context CONTEXT | --argocd-server URL --app NAME)",
		Short: "Wait until Argo CD has deployed a commit of the charts repository and it is healthy",
		Long: `wait closes the loop after bump: it polls until the commit is deployed.

With --status-context it reads the commit's statuses (and GitHub's check
runs) on the charts repository through the host's API (GitHub, GitLab,
Azure DevOps, Bitbucket Cloud, Gitea/Forgejo), the statuses Argo CD's
notifications post; CI needs no Argo CD credentials then. A glob matches
the contexts posted so far: it succeeds when at least one matches and
every matching one succeeded, stays pending while any is pending, and
fails (exit 9) as soon as any failed. A context that has not posted yet
is unknown to a glob: name it exactly when it must count.

With --argocd-server and --app it reads the application from Argo CD's API
with the token in ARGOCD_AUTH_TOKEN (or --argocd-token-file), read-only
and project-scoped. The commit is deployed when the application is synced
to it or to a later commit of the branch (read from the repository's
history), its last sync succeeded and it is Healthy. Degraded, a failed
sync, or a sync started after the commit that left an earlier revision
deployed, is a failed deployment (exit 9).

It polls one request at a time, every 2 s growing to 15 s, honours
Retry-After and asks conditionally (ETag) where the host answers with one.
It logs one line per change of state; --output json prints
{commit, state, synced_revision, health, waited_seconds}, and the CI
system gets the same as outputs. When --timeout runs out it exits 6 and
names the last state seen.`,
		Example: `  tagbump wait --repo https://github.com/acme/helm-charts --commit "$COMMIT" \
    --status-context 'argocd/app-service-staging'
  ARGOCD_AUTH_TOKEN=... tagbump wait --repo https://github.com/acme/helm-charts \
    --commit "$COMMIT" --argocd-server https://argocd.example.com --app app-service-staging`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runWait(cmd, streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Repo, "repo", "", "charts repository: https or ssh URL")
	f.StringVar(&opts.Branch, "branch", "", "branch the commit is on (default: the repository's default branch)")
	f.StringVar(&opts.Commit, "commit", "", "commit to wait for (the commit bump printed)")
	f.StringVar(&opts.SSHKey, "ssh-key", "", "private key file for ssh URLs (default: ssh-agent)")
	f.StringVar(&opts.KnownHosts, "known-hosts", "", "known_hosts file for ssh URLs (default: ~/.ssh/known_hosts and the system file)")
	f.DurationVar(&opts.GitTimeout, "git-timeout", 2*time.Minute, "fail a Git operation or API request that takes longer than this")
	f.StringVar(&opts.Provider, "provider", "", "API of the charts repository's host: github, gitlab, azure, bitbucket or gitea (default: from the URL)")
	f.StringVar(&opts.APIURL, "api-url", "", "API base URL of the host (default: derived from --repo)")
	f.StringVar(&opts.Dotenv, "dotenv", "", "write the result as KEY=VALUE lines to this file (GitLab artifacts:reports:dotenv)")
	opts.Output.register(f)
	opts.waitFlags.register(f, "timeout")
	return cmd
}

func runWait(cmd *cobra.Command, streams IOStreams, opts *WaitOptions) error {
	if opts.Repo == "" || opts.Commit == "" {
		return usageErr(errors.New("--repo and --commit are required"))
	}
	if !fullSHA.MatchString(opts.Commit) {
		return usageErr(fmt.Errorf("invalid --commit %q: give the commit's full SHA (what bump prints, or its commit output)", opts.Commit))
	}
	if err := opts.Output.check(); err != nil {
		return err
	}
	if err := opts.waitFlags.check(); err != nil {
		return err
	}
	env := ci.Detect(os.Getenv)
	w := waitTarget{
		repo: opts.Repo, branch: opts.Branch, commit: opts.Commit,
		gitOpts:  gitOptions(env, opts.Repo, opts.SSHKey, opts.KnownHosts, opts.GitTimeout),
		provider: opts.Provider, apiURL: opts.APIURL, timeout: opts.GitTimeout,
	}
	res, err := doWait(cmd.Context(), streams, env, &opts.waitFlags, w, opts.Timeout)
	return finishWait(logger(cmd.Context()), streams, env, opts.Output, opts.Dotenv, opts.Commit, res, err)
}

// fullSHA is a commit's full hash, SHA-1 or SHA-256: the hosts' status
// APIs take no abbreviation.
var fullSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// waitTarget is the commit to wait for and how to reach its repository.
type waitTarget struct {
	repo, branch, commit string
	gitOpts              []gitrepo.Option
	provider, apiURL     string
	timeout              time.Duration
}

// doWait builds the source the flags name and polls it for up to budget,
// logging each change of state.
func doWait(ctx context.Context, streams IOStreams, env ci.Env, w *waitFlags, t waitTarget, budget time.Duration) (wait.Result, error) {
	var src wait.Source
	if w.StatusContext != "" {
		reader, err := statusReader(env, t)
		if err != nil {
			return wait.Result{}, err
		}
		src = &wait.Statuses{Reader: reader, Commit: t.commit, Context: w.StatusContext}
	} else {
		token, err := argoCDToken(w.TokenFile, streams.Redactor)
		if err != nil {
			return wait.Result{}, err
		}
		client, err := argocd.New(w.ArgoCDServer, token, &http.Client{Timeout: t.timeout})
		if err != nil {
			return wait.Result{}, err
		}
		repo, err := gitrepo.Open(ctx, t.repo, append(t.gitOpts, gitrepo.WithLogger(slogLogger(ctx)))...)
		if err != nil {
			return wait.Result{}, err
		}
		defer repo.Close()
		branch := t.branch
		if branch == "" {
			if branch, err = repo.DefaultBranch(ctx); err != nil {
				return wait.Result{}, err
			}
		}
		src = &wait.Application{
			Client: client, Name: w.App, AppNamespace: w.AppNamespace, Commit: t.commit, RepoURL: t.repo,
			History: &wait.GitHistory{Repo: repo, Branch: branch, Commit: t.commit},
		}
	}
	logger(ctx).Info("waiting for the deployment", "commit", t.commit, "timeout", budget.Round(time.Second))
	return poll(ctx, streams, env, w, src, budget)
}

// poll runs the wait for src for up to budget, showing its progress: in a
// terminal one line redrawn at each poll, elsewhere a log line per change
// of state.
func poll(ctx context.Context, streams IOStreams, env ci.Env, w *waitFlags, src wait.Source, budget time.Duration) (wait.Result, error) {
	lg := logger(ctx)
	opts := []wait.Option{wait.WithTimeout(budget), wait.WithIntervals(w.Interval, w.MaxInterval)}
	if f, ok := ci.Underlying(streams.Err).(*os.File); ok && env.System == ci.Generic && isatty.IsTerminal(f.Fd()) {
		// In a terminal: one line, redrawn at each poll.
		opts = append(opts, wait.WithEveryPoll(func(o wait.Observation, waited time.Duration) {
			fmt.Fprintf(streams.Err, "\r\033[K%s  %s", waited.Round(time.Second), o.Detail)
		}))
		defer fmt.Fprintln(streams.Err)
	} else {
		// In CI and logs: a line per change of state.
		opts = append(opts, wait.WithProgress(func(o wait.Observation, waited time.Duration) {
			lg.Info(o.Detail, "state", o.State, "waited", waited.Round(time.Second))
		}))
	}
	return wait.Run(ctx, src, opts...)
}

// statusReader returns the host's status reader for the charts repository,
// with the token Git uses (none for a public repository).
func statusReader(env ci.Env, t waitTarget) (forge.StatusReader, error) {
	o, err := hostAPI(env, t, "--status-context")
	if err != nil {
		return nil, err
	}
	return forge.NewStatusReader(o)
}

// hostAPI says how to reach the API of the charts repository's host, with
// the token Git uses (none for a public repository); flag names what needs
// it.
func hostAPI(env ci.Env, t waitTarget, flag string) (forge.Options, error) {
	repo, ok := webURL(t.repo)
	if !ok {
		return forge.Options{}, usageErr(fmt.Errorf("%s needs a --repo URL (https://, ssh:// or git@host:path): a local clone has no host API", flag))
	}
	kind, _ := hostKind(repo, t.provider, t.timeout, true)
	if !validKind(kind) {
		return forge.Options{}, usageErr(fmt.Errorf("%s: the host of %s is not one tagbump recognises: pass --provider github|gitlab|azure|bitbucket|gitea", flag, address.Redact(repo)))
	}
	user, token, _ := env.Token(os.Getenv, address.Host(repo))
	if urlCredentialsWin(repo) {
		user, token, _ = gitrepo.URLCredentials(repo)
	}
	return forge.Options{Kind: kind, RepoURL: repo, APIURL: t.apiURL, User: user, Token: token, HTTPClient: &http.Client{Timeout: t.timeout}}, nil
}

// argoCDToken reads the token from file, else from ARGOCD_AUTH_TOKEN, and
// adds it to the secrets the output hides.
func argoCDToken(file string, red *ci.Redactor) (string, error) {
	token := os.Getenv(envArgoCDToken)
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usageErr(fmt.Errorf("--argocd-token-file: %w", err))
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		return "", &exitError{code: ExitAuth, err: fmt.Errorf("--argocd-server: no token: set %s or --argocd-token-file (an Argo CD project role's token with applications, get)", envArgoCDToken)}
	}
	if red != nil {
		red.Add(token)
	}
	return token, nil
}

// waitReport is what --output json prints at the end of a wait.
type waitReport struct {
	Commit         string  `json:"commit"`
	State          string  `json:"state"`
	Detail         string  `json:"detail,omitempty"`
	SyncedRevision string  `json:"synced_revision,omitempty"`
	Health         string  `json:"health,omitempty"`
	Message        string  `json:"message,omitempty"`
	WaitedSeconds  float64 `json:"waited_seconds"`
	Polls          int     `json:"polls"`
	// PRState is, with --pr, where the pull request stood at the end:
	// merged, closed (unmerged) or open.
	PRState string `json:"pr_state,omitempty"`
}

func newWaitReport(commit string, res wait.Result, err error) waitReport {
	r := waitReport{
		Commit: commit, State: string(res.State), Detail: res.Detail, SyncedRevision: res.SyncedRevision,
		Health: res.Health, Message: res.Message, WaitedSeconds: res.Waited.Round(time.Millisecond).Seconds(), Polls: res.Polls,
	}
	switch {
	case isA[*wait.TimeoutError](err):
		r.State = "timeout"
	case isA[*wait.ClosedError](err):
		r.State = "closed"
	case err != nil && r.State == "":
		r.State = "error"
	}
	if err != nil && r.Message == "" {
		r.Message = err.Error()
	}
	return r
}

func (r waitReport) outputs() [][2]string {
	out := [][2]string{
		{"deploy_commit", r.Commit}, {"deploy_state", r.State}, {"synced_revision", r.SyncedRevision},
		{"health", r.Health}, {"waited_seconds", fmt.Sprint(r.WaitedSeconds)},
	}
	if r.PRState != "" {
		out = append(out, [2]string{"pr_state", r.PRState})
	}
	return out
}

// afterCommit is the wait of a command that landed a commit with --wait.
type afterCommit struct {
	flags  *waitFlags
	target waitTarget
}

// run waits for the commit res landed on its branch, when it pushed one;
// nil report when there was nothing to wait for. With --pr it first waits
// for the pull request that holds the change to be merged, then for the
// commit the merge left on the base; both share one --wait-timeout. The
// dotenv file, when asked for, is written again with the bump's outputs
// and the wait's.
func (a *afterCommit) run(ctx context.Context, streams IOStreams, env ci.Env, res *bump.Result, dotenv string) (*waitReport, error) {
	if a == nil || !a.flags.Wait {
		return nil, nil
	}
	lg := logger(ctx)
	publish := func(report waitReport, err error) (*waitReport, error) {
		return &report, publishWait(streams, env, report, err, ci.WithDotenv(dotenv), ci.WithDotenvResult(ciResult(res)))
	}
	t := a.target
	t.commit, t.branch = res.Commit, res.Branch
	start, budget := time.Now(), a.flags.Timeout
	var merged *wait.Result
	switch {
	case res.PRAction != "" && (res.PRNumber == 0 || res.PRAction == bump.PRClosed):
		lg.Info("no pull request holds the change: nothing to wait for", "branch", res.Branch, "pr_action", res.PRAction)
		return nil, nil
	case res.PRAction != "":
		o, err := hostAPI(env, t, "--wait with --pr")
		if err != nil {
			return nil, err
		}
		reader, err := forge.NewPRReader(o)
		if err != nil {
			return nil, err
		}
		src := &wait.PullRequest{Reader: reader, Number: res.PRNumber}
		lg.Info("waiting for the pull request to be merged", "pr", res.PRURL, "timeout", budget)
		pres, err := poll(ctx, streams, env, a.flags, src, budget)
		if err != nil {
			hintTimeout(err, budget, "merge the pull request (with --auto-merge the host merges it once its checks pass), or raise --wait-timeout")
			report := newWaitReport("", pres, err)
			report.PRState = string(forge.PROpen)
			if isA[*wait.ClosedError](err) {
				report.PRState = string(forge.PRClosed)
			}
			return publish(report, err)
		}
		t.commit = src.Merged.MergeCommit
		lg.Info("pull request merged", "pr", res.PRURL, "commit", t.commit, "waited", pres.Waited.Round(time.Second))
		merged, budget = &pres, budget-time.Since(start)
	case !res.Pushed || res.Commit == "":
		lg.Info("nothing pushed: nothing to wait for", "branch", res.Branch)
		return nil, nil
	}
	wres, err := doWait(ctx, streams, env, a.flags, t, budget)
	hintTimeout(err, a.flags.Timeout, "raise --wait-timeout, or check that Argo CD watches the branch")
	if merged != nil {
		wres.Waited, wres.Polls = time.Since(start), wres.Polls+merged.Polls
	}
	report := newWaitReport(t.commit, wres, err)
	if merged != nil {
		report.PRState = string(forge.PRMerged)
	}
	if r, err := publish(report, err); err != nil {
		return r, err
	}
	lg.Info("deployed", "commit", t.commit, "detail", wres.Detail, "waited", wres.Waited.Round(time.Second))
	return &report, nil
}

// hintTimeout sets what a *wait.TimeoutError in err says to do, and the
// time it says was allowed (the whole budget of a wait in two phases).
func hintTimeout(err error, budget time.Duration, hint string) {
	var te *wait.TimeoutError
	if errors.As(err, &te) {
		te.Timeout, te.Hint = budget, hint
	}
}

// finishWait reports a wait: CI outputs and annotation, the report on
// stdout with --output json, a log line otherwise.
func finishWait(lg *log.Logger, streams IOStreams, env ci.Env, output outputFlag, dotenv, commit string, res wait.Result, err error) error {
	report := newWaitReport(commit, res, err)
	err = publishWait(streams, env, report, err, ci.WithDotenv(dotenv))
	if output.Format == "json" && verdict(err) {
		if perr := output.print(streams.Out, "", report); perr != nil && err == nil {
			return perr
		}
		if err != nil {
			return &exitError{code: ExitCode(err), err: err, reported: true}
		}
		return nil
	}
	if err == nil {
		lg.Info("deployed", "commit", commit, "detail", res.Detail, "waited", res.Waited.Round(time.Second))
	}
	return err
}

// verdict reports whether a wait ended with a verdict: deployed (nil),
// failed, timed out, or its pull request closed without a merge.
func verdict(err error) bool {
	return err == nil || isA[*wait.FailedError](err) || isA[*wait.TimeoutError](err) || isA[*wait.ClosedError](err)
}

// publishWait writes a wait's CI outputs when it reached a verdict (opts
// add the dotenv file), and annotates its error; it returns the error of the wait, or of writing
// the outputs.
func publishWait(streams IOStreams, env ci.Env, report waitReport, err error, opts ...ci.Option) error {
	if verdict(err) {
		if werr := env.WriteValues(report.outputs(), nil, streams.commands(), append(opts, ci.WithRedactor(streams.Redactor))...); werr != nil && err == nil {
			err = fmt.Errorf("write CI outputs: %w", werr)
		}
	}
	if err != nil {
		env.Annotate(streams.commands(), "error", err.Error())
	}
	return err
}

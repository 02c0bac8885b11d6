package cli

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

// DefaultAuthor is the committer when --committer (TAGBUMP_COMMITTER) is
// not set, and the author when neither --author nor --committer is.
const DefaultAuthor = "tagbump <tagbump@tagbump.invalid>"

// BumpOptions are the inputs of `tagbump bump`.
type BumpOptions struct {
	Repo, Branch, Chart string
	Envs                []string
	ValuesFile          string
	Apps                []string
	AppsPath, AppsRepo  string
	Images              []string
	Keys                []string
	KeyOtherRepository  bool
	Digest              bool
	DigestKey           string
	AllowDowngrade      bool
	AllowRolledBack     bool
	AllowDisabled       bool
	NoCreate            bool
	Message             string
	SkipCI              bool
	Author              string
	Committer           string
	MaxAttempts         int
	RetryFor            time.Duration
	DryRun, NoPush      bool
	NoVerify            bool
	PushFrom            string
	SSHKey, KnownHosts  string
	MaxFetchBytes       int64
	Render              renderFlags
	MaxFileSize         int64
	Sign                signFlags
	Dotenv              string
	Registry            registryFlags
	Signature           signatureFlags
	Output              outputFlag
	PR                  prFlags
	Wait                waitFlags
}

// noCreateUsage is the help of --no-create, for every command that writes
// values files.
const noCreateUsage = "refuse to add a tag (or digest, or --key) that only the chart's values define to a values file that lacks it (default: add the minimal override)"

// NewCmdBump builds `tagbump bump`. runF replaces the command's work in tests.
func NewCmdBump(streams IOStreams, runF func(*BumpOptions) error) *cobra.Command {
	opts := &BumpOptions{}
	opts.Registry.Redactor = streams.Redactor
	cmd := &cobra.Command{
		Use:   "bump --repo URL (--chart NAME --env ENV | --app NAME) --image REGISTRY/REPO:TAG",
		Short: "Verify an image, set its tag in the charts repo, commit and push",
		Long: `bump is the pipeline step. It verifies the image in its registry (or pushes
it with --push-from), fetches the tip of the charts repository's branch,
sets the tag in <chart>/values-<env>.yaml changing only the tag's bytes,
commits a conventional commit and pushes it. When another pipeline pushed
first it fetches the new tip, redoes the edit and pushes again after a
random pause that grows with the contention, for up to --retry-for and at
most --max-attempts times. It never force-pushes. A Git request cut by the
network or answered 5xx or 429 is retried (up to 10 times in a row, with
backoff); a timeout, 401, 403 or 404 is not. When a push's answer is lost,
the next fetch tells whether it landed, so a commit is never made twice.

With --app NAME (repeatable) the files come from the Argo CD Application's
manifest instead of --chart/--env/--values-file: tagbump finds it under
--apps-path (default: apps/, applications/, argocd/, argo-cd/, argo/ and the
files at the root; --apps-repo when the manifests live in another
repository), also where an ApplicationSet (list, git directories, git files,
matrix) generates it, takes the sources whose repoURL is --repo at the
branch being bumped, and sets the tag in the last of the Helm valueFiles
(relative to the path, or $ref/... of a multi-source Application) that sets
it, or the Application's own helm.parameters, helm.valuesObject,
helm.values or kustomize.images where those set the image (they win over
the files). An Application that is missing, defined twice, invalid, at
another revision, in another repository or a chart from a Helm
repository with nothing in Git is refused (exit 3). Kustomize and
plain-manifest sources are edited as --values-file edits those files.

An older tag never replaces a newer one (semver, or a common prefix ending
in a build number) unless --allow-downgrade: the bump is skipped, exit 0.

With --pr the commit goes to tagbump's own branch (--pr-branch) and a pull
request (merge request on GitLab) to the base branch is opened, or updated
on a re-run; when the base already has the value an open tagbump pull
request is closed. The host (GitHub, GitLab, Azure DevOps, Bitbucket Cloud,
Gitea/Forgejo) is found from the URL or named with --provider; its API gets
the token Git uses. Someone else's commit on the branch is refused (exit 4)
unless --pr-overwrite.

Git auth: HTTPS takes a token from TAGBUMP_GIT_TOKEN, else GITHUB_TOKEN,
SYSTEM_ACCESSTOKEN or CI_JOB_TOKEN, sent as basic auth and never put in a
URL. The basic-auth user name is TAGBUMP_GIT_USER, else the CI system's
(x-access-token on GitHub, build on Azure, oauth2 on GitLab; with
CI_JOB_TOKEN gitlab-ci-token), else "tagbump". Credentials in the --repo
URL are used only when no token is configured, with a warning; they are
never printed. SSH uses --ssh-key or an ssh-agent and checks host keys against
known_hosts (--known-hosts).

Signed commits: --sign-key FILE (or the key itself in TAGBUMP_SIGN_KEY,
with TAGBUMP_SIGN_KEY_PASSPHRASE) signs every commit with an SSH key
(git's gpg.format=ssh) or an armored OpenPGP key. On GitHub,
--commit-via api has GitHub make the commit instead of pushing it
(GraphQL createCommitOnBranch): it is signed by GitHub and authored by
the token's owner. With --pr the pull request branch is written through
the API as well (a temporary branch, then one atomic updateRefs).`,
		Example: `  tagbump bump --repo https://git.example.com/helm-charts --chart app-service \
    --env staging --image registry.example.com/app-service:app-service-123
  tagbump bump --repo https://git.example.com/helm-charts --app app-service-staging \
    --image registry.example.com/app-service:app-service-123`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.PR.check(cmd.Flags()); err != nil {
				return err
			}
			apps, err := appFlags(cmd.Flags(), opts.Apps, &opts.Wait, "chart", "env", "values-file")
			if err != nil {
				return err
			}
			opts.Apps = apps
			if err := opts.Wait.checkWait(cmd.Flags(), opts.DryRun, opts.NoPush); err != nil {
				return err
			}
			if len(opts.Apps) > 0 {
				opts.ValuesFile = ""
			}
			if runF != nil {
				return runF(opts)
			}
			return runBump(cmd, streams, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Repo, "repo", "", "charts repository: https or ssh URL, or a local path")
	f.StringVar(&opts.Branch, "branch", "", "branch to bump (default: the repository's default branch)")
	f.StringVar(&opts.Chart, "chart", "", "chart directory name (needed when --values-file has {chart}; names the chart in the commit subject)")
	f.StringSliceVar(&opts.Envs, "env", nil, "environment; repeat for several (one commit)")
	f.StringVar(&opts.ValuesFile, "values-file", bump.DefaultValuesFile, "values file path template with {chart} and {env}")
	registerAppFlags(f, &opts.Apps, &opts.AppsPath, &opts.AppsRepo)
	f.StringArrayVar(&opts.Images, "image", nil, "image to deploy: REGISTRY/REPO:TAG[@sha256:...]; repeat to set several in one commit, each found by its repository")
	f.StringSliceVar(&opts.Keys, "key", nil, "path of the value to set, e.g. .image.tag; repeatable (default: found from the image's repository)")
	f.BoolVar(&opts.KeyOtherRepository, "key-other-repository", false, "let --key set the tag of an image that names another repository than --image (a mirror); its repository is kept")
	f.BoolVar(&opts.Digest, "digest", false, "also write the image's digest (to the block's digest key, or --digest-key)")
	f.StringVar(&opts.DigestKey, "digest-key", "", "path where --digest writes the digest when the image block has no digest key")
	f.BoolVar(&opts.AllowDowngrade, "allow-downgrade", false, "let an older tag replace a newer one")
	f.BoolVar(&opts.NoCreate, "no-create", false, noCreateUsage)
	f.BoolVar(&opts.AllowDisabled, "allow-disabled", false, "also write the tag into blocks the chart does not render (enabled: false, a subchart switched off by its condition or tags)")
	f.BoolVar(&opts.AllowRolledBack, "allow-rolled-back", false, "deploy a tag even though a rollback in the last 50 commits took it away")
	f.StringVar(&opts.Message, "message", bump.DefaultMessage, "commit subject template (Go template: .Chart .Env .App .Image .Tag .OldTag .Digest)")
	f.BoolVar(&opts.SkipCI, "skip-ci", false, "append [skip ci] to the commit subject")
	registerIdentity(f, &opts.Author, &opts.Committer)
	f.IntVar(&opts.MaxAttempts, "max-attempts", bump.DefaultMaxAttempts, "pushes to try at most when other pipelines push first")
	f.DurationVar(&opts.RetryFor, "retry-for", bump.DefaultRetryFor, "how long to keep redoing the bump when other pipelines push first")
	f.BoolVar(&opts.DryRun, "dry-run", false, "do everything but push and registry writes; print the diff and the commit message")
	f.BoolVar(&opts.NoPush, "no-push", false, "do everything but the push, registry writes included; print the diff and the commit message, write nothing to the Git repository")
	f.BoolVar(&opts.NoVerify, "no-verify", false, "do not check the image in the registry")
	f.StringVar(&opts.PushFrom, "push-from", "", "push the image first from a docker-save tarball or an OCI layout directory")
	f.StringVar(&opts.SSHKey, "ssh-key", "", "private key file for ssh URLs (default: ssh-agent)")
	f.StringVar(&opts.KnownHosts, "known-hosts", "", "known_hosts file for ssh URLs (default: ~/.ssh/known_hosts and the system file)")
	registerMaxFetchBytes(f, &opts.MaxFetchBytes)
	opts.Render.register(f)
	registerMaxFileSize(f, &opts.MaxFileSize)
	opts.Registry.register(f)
	opts.Signature.register(f)
	opts.Output.register(f)
	opts.PR.register(f)
	gitTimeout(f)
	f.StringVar(&opts.Dotenv, "dotenv", "", "write the result as KEY=VALUE lines to this file (GitLab artifacts:reports:dotenv)")
	opts.Wait.registerWait(f)
	opts.Sign.register(f) // last: it shares --api-url with flag sets registered before it
	return cmd
}

func runBump(cmd *cobra.Command, streams IOStreams, opts *BumpOptions) error {
	env := ci.Detect(os.Getenv)
	res, err := doBump(cmd, streams, env, opts)
	after := &afterCommit{flags: &opts.Wait, target: waitTarget{repo: opts.Repo, gitOpts: opts.gitOptions(env),
		provider: opts.PR.Provider, apiURL: opts.PR.APIURL, timeout: opts.Registry.Timeout}}
	return finishCommit(cmd.Context(), streams, env, opts.Output, opts.Dotenv, opts.DryRun, res, err, after)
}

// finishCommit tells the CI system and the user what a bump, rollback or
// promote did: annotations, CI outputs, then the result; with --wait
// (after) it then waits for the commit's deployment, and --output json
// prints the bump's result with the wait's under "wait".
func finishCommit(ctx context.Context, streams IOStreams, env ci.Env, output outputFlag, dotenv string, dryRun bool, res *bump.Result, err error, after *afterCommit) error {
	lg := logger(ctx)
	// stdout carries data only (commit=$(tagbump bump ...)). Workflow
	// commands go to stderr: the GitHub runner and the Azure Pipelines
	// agent read commands from a step's stderr as from its stdout; GitLab
	// has no such commands.
	cmdOut := streams.commands()
	if err != nil {
		env.Annotate(cmdOut, "error", err.Error())
		return err
	}
	for _, c := range res.Files {
		if c.Skipped != "" {
			env.Annotate(cmdOut, "warning", fmt.Sprintf("%s %s: skipped: %s", c.File, c.Key, c.Skipped))
		}
	}
	for _, w := range res.Warnings {
		env.Annotate(cmdOut, "warning", w)
	}
	if err := env.WriteOutputs(ciResult(res), cmdOut, ci.WithDotenv(dotenv), ci.WithRedactor(streams.Redactor)); err != nil {
		return fmt.Errorf("write CI outputs: %w", err)
	}
	if output.Format == "json" {
		report, werr := after.run(ctx, streams, env, res, dotenv)
		if perr := writeBumpResult(lg, streams, output, dryRun, res, report); perr != nil {
			return perr
		}
		if werr != nil {
			return &exitError{code: ExitCode(werr), err: werr, reported: report != nil}
		}
		return nil
	}
	if err := writeBumpResult(lg, streams, output, dryRun, res, nil); err != nil {
		return err
	}
	_, err = after.run(ctx, streams, env, res, dotenv)
	return err
}

func doBump(cmd *cobra.Command, streams IOStreams, env ci.Env, opts *BumpOptions) (*bump.Result, error) {
	req, err := opts.request(cmd.Context())
	if err != nil {
		return nil, err
	}
	hosts := []string{req.Image.Registry}
	for _, im := range req.Images {
		hosts = append(hosts, im.Registry)
	}
	ropts, err := opts.Registry.options(hosts...)
	if err != nil {
		return nil, err
	}
	policy, _ := opts.Registry.policy()
	for _, im := range append([]imageref.Ref{req.Image}, req.Images...) {
		if err := policy.Check(im.Tag); err != nil {
			return nil, err
		}
	}
	for _, t := range env.Trailers() {
		req.Trailers = append(req.Trailers, bump.Trailer{Key: t[0], Value: t[1]})
	}
	if opts.PushFrom != "" {
		pr := newProgressReporter(streams.Err, logger(cmd.Context()), 5*time.Second)
		defer pr.done()
		ropts = append(ropts, registry.WithProgress(pr.report))
	}
	if err := opts.Sign.check(opts.Repo, opts.Author, opts.Committer, opts.NoPush); err != nil {
		return nil, err
	}
	if req.PR, err = opts.PR.request(env, opts.Repo, opts.Registry.Timeout); err != nil {
		return nil, err
	}
	if err := opts.Sign.checkPR(req.PR); err != nil {
		return nil, err
	}
	gopts := opts.gitOptions(env)
	logger := slogLogger(cmd.Context()).With(env.LogFields()...)
	req.Signoff = opts.Sign.Signoff
	copts, err := opts.Sign.options(env, os.Getenv, opts.Repo, opts.Registry.Timeout, logger)
	if err != nil {
		return nil, err
	}
	if opts.AppsRepo != "" {
		copts = append(copts, bump.WithAppsGitOptions(append(gitOptionsFor(env, opts.AppsRepo, opts.Repo, opts.SSHKey, opts.KnownHosts, opts.Registry.Timeout),
			gitrepo.WithMaxFetchBytes(opts.MaxFetchBytes), gitrepo.WithMaxFileSize(opts.MaxFileSize), gitrepo.WithLogger(logger))...))
	}
	return bump.Run(cmd.Context(), req, append(copts,
		bump.WithGitOptions(append(gopts, gitrepo.WithLogger(logger))...),
		bump.WithRegistryOptions(ropts...),
		bump.WithLogger(logger),
	)...)
}

// ciResult is what the CI system is told about a bump.
func ciResult(r *bump.Result) ci.Result {
	out := ci.Result{
		Image: r.Image, Digest: r.Digest, Outcome: r.Outcome,
		Changed: r.Pushed, Repo: r.Repo, Branch: r.Branch,
	}
	if r.Pushed {
		out.Commit = r.Commit
	}
	out.PRURL, out.PRNumber, out.PRAction = r.PRURL, r.PRNumber, r.PRAction
	if s := r.Signature; s != nil && s.Verified {
		out.Signature = &ci.Signature{SignedBy: s.Identity, Issuer: s.Issuer, Attested: s.PredicateTypes}
	}
	switch {
	case r.DryRun:
		out.Outcome = "dry-run"
	case r.NoPush && r.Outcome == bump.Changed:
		out.Outcome = "no-push"
	}
	for _, f := range r.Files {
		if f.Skipped == "" && f.Old != f.New {
			out.Files = append(out.Files, ci.FileChange{File: f.File, Key: f.Key, Old: f.Old, New: f.New})
		}
	}
	return out
}

// request turns flags into a bump.Request, refusing bad combinations.
func (o *BumpOptions) request(ctx context.Context) (bump.Request, error) {
	o.Images = slices.DeleteFunc(o.Images, func(s string) bool { return s == "" }) // --image "" is no image
	if o.Repo == "" || len(o.Envs) == 0 && len(o.Apps) == 0 || len(o.Images) == 0 {
		return bump.Request{}, usageErr(fmt.Errorf("--repo, --env (or --app) and --image are required (and --chart, unless --values-file has no {chart})"))
	}
	if o.MaxAttempts < 1 {
		return bump.Request{}, usageErr(fmt.Errorf("invalid --max-attempts %d: use 1 or more", o.MaxAttempts))
	}
	if o.RetryFor <= 0 {
		return bump.Request{}, usageErr(fmt.Errorf("invalid --retry-for %s: use a positive duration, e.g. 10m", o.RetryFor))
	}
	if err := o.Output.check(); err != nil {
		return bump.Request{}, err
	}
	if o.DryRun && o.NoPush {
		return bump.Request{}, usageErr(fmt.Errorf("--dry-run and --no-push conflict: --dry-run already pushes nothing"))
	}
	if o.DigestKey != "" && !o.Digest {
		return bump.Request{}, usageErr(fmt.Errorf("--digest-key needs --digest"))
	}
	if o.PushFrom != "" {
		if _, err := os.Stat(o.PushFrom); err != nil {
			return bump.Request{}, usageErr(fmt.Errorf("--push-from %s: %w: give a docker save tarball or an OCI layout directory", o.PushFrom, errors.Unwrap(err)))
		}
	}
	if o.NoVerify && o.PushFrom != "" {
		return bump.Request{}, usageErr(fmt.Errorf("--no-verify and --push-from conflict: a pushed image is always verified"))
	}
	if len(o.Images) > 1 && len(o.Keys) > 0 {
		return bump.Request{}, usageErr(fmt.Errorf("--key is ambiguous with more than one --image: leave it out, each image's blocks are found by its repository"))
	}
	if len(o.Images) > 1 && o.PushFrom != "" {
		return bump.Request{}, usageErr(fmt.Errorf("--push-from pushes one image: run one bump per pushed image, or push first and bump them together"))
	}
	var refs []imageref.Ref
	for _, im := range o.Images {
		ref, err := parseImage(im)
		if err != nil {
			return bump.Request{}, err
		}
		refs = append(refs, ref)
	}
	author, committer, err := identities(o.Author, o.Committer, o.Sign.signing())
	if err != nil {
		return bump.Request{}, err
	}
	sc, err := o.Signature.check(ctx, o.Registry.Timeout)
	if err != nil {
		return bump.Request{}, err
	}
	if sc != nil && o.NoVerify && (refs[0].Digest == "" || !o.Digest) {
		// Without the registry's word that the tag is at the digest, only
		// a commit of the digest itself deploys what was checked.
		return bump.Request{}, usageErr(fmt.Errorf("--require-signature and --require-attestation check the image's digest: drop --no-verify, or give the image as REPO:TAG@sha256:... with --digest, so that the commit deploys the digest checked"))
	}
	return bump.Request{
		Repo: o.Repo, Branch: o.Branch, Chart: o.Chart, Envs: o.Envs, Signature: sc,
		ValuesFile: o.ValuesFile, Apps: o.Apps, AppsPath: o.AppsPath, AppsRepo: o.AppsRepo, Image: refs[0], Images: refs[1:], Keys: o.Keys, KeyOtherRepository: o.KeyOtherRepository, AllowRolledBack: o.AllowRolledBack, AllowDisabled: o.AllowDisabled, NoCreate: o.NoCreate,
		WriteDigest: o.Digest, DigestKey: o.DigestKey, Verify: !o.NoVerify, PushFrom: o.PushFrom, AllowDowngrade: o.AllowDowngrade, Message: o.Message,
		SkipCI: o.SkipCI, Author: author, Committer: committer, MaxAttempts: o.MaxAttempts, RetryFor: o.RetryFor,
		DryRun: o.DryRun, NoPush: o.NoPush, Render: o.Render.request(o.Registry.Timeout),
	}, nil
}

// parseSignature parses "Name <email>", the value of flag; the time is
// set at commit.
func parseSignature(flag, s string) (object.Signature, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name == "" {
		return object.Signature{}, usageErr(fmt.Errorf(`invalid --%s %q: use "Name <email>"`, flag, s))
	}
	return object.Signature{Name: a.Name, Email: a.Address}, nil
}

// urlCredentialsWin reports whether the credentials in the repository URL
// authenticate (Git and the pull request API alike): they win over the CI
// system's own token, and TAGBUMP_GIT_TOKEN wins over them.
func urlCredentialsWin(repo string) bool {
	_, _, ok := gitrepo.URLCredentials(repo)
	return ok && os.Getenv("TAGBUMP_GIT_TOKEN") == ""
}

func (o *BumpOptions) gitOptions(env ci.Env) []gitrepo.Option {
	return append(gitOptions(env, o.Repo, o.SSHKey, o.KnownHosts, o.Registry.Timeout), gitrepo.WithMaxFetchBytes(o.MaxFetchBytes), gitrepo.WithMaxFileSize(o.MaxFileSize))
}

// gitOptions are the gitrepo options for repo: the CI token for its host,
// the SSH key and known_hosts, the timeout.
func gitOptions(env ci.Env, repo, sshKey, knownHosts string, timeout time.Duration) []gitrepo.Option {
	return gitOptionsFor(env, repo, repo, sshKey, knownHosts, timeout)
}

// gitOptionsFor are the gitrepo options for repo read beside charts (the
// --repo): the token tagbump was given goes only to charts' host, so
// another host (--apps-repo elsewhere) gets none; its URL's own
// credentials and the SSH key still apply.
func gitOptionsFor(env ci.Env, repo, charts, sshKey, knownHosts string, timeout time.Duration) []gitrepo.Option {
	g := []gitrepo.Option{gitrepo.WithTimeout(timeout)}
	sameHost := strings.EqualFold(address.Host(repo), address.Host(charts))
	// Credentials in the --repo URL win over the CI system's own token (the
	// action passes github.token by default, which reaches no other
	// repository), as git uses them before any other; TAGBUMP_GIT_TOKEN
	// wins over both.
	if user, token, ok := env.Token(os.Getenv, address.Host(repo)); ok && sameHost && !urlCredentialsWin(repo) {
		g = append(g, gitrepo.WithHTTPAuth(user, token))
	}
	if sshKey != "" {
		g = append(g, gitrepo.WithSSHKey(sshKey, os.Getenv("TAGBUMP_SSH_KEY_PASSPHRASE")))
	}
	if knownHosts != "" {
		g = append(g, gitrepo.WithKnownHosts(knownHosts))
	}
	return g
}

func writeBumpResult(lg *log.Logger, streams IOStreams, output outputFlag, dryRun bool, res *bump.Result, waited *waitReport) error {
	for _, c := range res.Files {
		for _, a := range c.AlsoChanges {
			lg.Info("anchored value: also changes "+a, "file", c.File, "key", c.Key)
		}
	}
	if output.Format == "json" {
		return output.print(streams.Out, "", struct {
			*bump.Result
			Wait *waitReport `json:"wait,omitempty"`
		}{res, waited})
	}
	for _, c := range res.Files {
		if c.Skipped != "" {
			lg.Warn("skipped: "+c.Skipped, "file", c.File, "key", c.Key)
		}
	}
	if writePRResult(lg, streams, res) {
		return nil
	}
	switch {
	case res.Outcome == bump.Unchanged:
		lg.Info("unchanged: the branch already has the value", "branch", res.Branch)
	case res.Outcome != bump.Changed:
	case dryRun || res.NoPush:
		fmt.Fprint(streams.Out, res.Diff)
		fmt.Fprintf(streams.Out, "\n%s", indent(res.Message))
		if dryRun {
			lg.Info("dry run: nothing pushed", "branch", res.Branch)
		} else {
			lg.Info("not pushed (--no-push): the commit was made and not kept", "branch", res.Branch, "commit", res.Commit)
		}
	default:
		fmt.Fprintln(streams.Out, res.Commit)
		lg.Info("pushed", "branch", res.Branch, "commit", res.Commit, "attempts", res.Attempts)
	}
	return nil
}

// indent indents the lines of s by four spaces, leaving blank lines empty.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "    " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// repoFlags name a chart's values files in the charts repository: the
// flags of history, rollback and promote.
type repoFlags struct {
	Repo, Branch, Chart, ValuesFile string
	SSHKey, KnownHosts              string
	Timeout                         time.Duration
}

func (f *repoFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Repo, "repo", "", "charts repository: https or ssh URL, or a local path")
	fs.StringVar(&f.Branch, "branch", "", "branch (default: the repository's default branch)")
	fs.StringVar(&f.Chart, "chart", "", "chart directory name")
	fs.StringVar(&f.ValuesFile, "values-file", bump.DefaultValuesFile, "values file path template with {chart} and {env}")
	fs.StringVar(&f.SSHKey, "ssh-key", "", "private key file for ssh URLs (default: ssh-agent)")
	fs.StringVar(&f.KnownHosts, "known-hosts", "", "known_hosts file for ssh URLs (default: ~/.ssh/known_hosts and the system file)")
	if fs.Lookup("timeout") == nil { // promote's comes with the registry flags
		fs.DurationVar(&f.Timeout, "timeout", 2*time.Minute, "fail a Git operation that takes longer than this")
	}
}

// gitTimeout makes the registry flags' --timeout in fs bound each Git
// operation too, with a default that fits a fallback fetch of a big
// repository, which takes longer than a registry request.
func gitTimeout(fs *pflag.FlagSet) {
	timeout := fs.Lookup("timeout")
	timeout.Usage = "fail a registry request or Git operation that takes longer than this"
	_ = timeout.Value.Set("2m")
	timeout.DefValue = timeout.Value.String()
}

func (f *repoFlags) gitOptions(ctx context.Context, env ci.Env) []gitrepo.Option {
	return append(gitOptions(env, f.Repo, f.SSHKey, f.KnownHosts, f.Timeout), gitrepo.WithLogger(slogLogger(ctx).With(env.LogFields()...)))
}

// commitFlags are the flags of rollback and promote that shape the commit
// and its report, as in bump.
type commitFlags struct {
	Author         string
	SkipCI         bool
	MaxAttempts    int
	DryRun, NoPush bool
	Dotenv         string
	Output         outputFlag
	PR             prFlags
	Sign           signFlags
}

func (f *commitFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.SkipCI, "skip-ci", false, "append [skip ci] to the commit subject")
	fs.StringVar(&f.Author, "author", "", `commit author and committer "Name <email>" (default "`+DefaultAuthor+`")`)
	fs.IntVar(&f.MaxAttempts, "max-attempts", bump.DefaultMaxAttempts, "pushes to try when other pipelines push first")
	fs.BoolVar(&f.DryRun, "dry-run", false, "do everything but push; print the diff and the commit message")
	fs.BoolVar(&f.NoPush, "no-push", false, "do everything but the push; print the diff and the commit message, write nothing to the Git repository")
	fs.StringVar(&f.Dotenv, "dotenv", "", "write the result as KEY=VALUE lines to this file (GitLab artifacts:reports:dotenv)")
	f.Output.register(fs)
}

// registerPR adds the pull request flags, with prBranch as --pr-branch's
// default: a rollback's or promote's PR does not replace a bump's.
func (f *commitFlags) registerPR(fs *pflag.FlagSet, prBranch string) {
	f.PR.register(fs)
	f.Sign.register(fs) // after the PR flags: it shares their --api-url
	b := fs.Lookup("pr-branch")
	_ = b.Value.Set(prBranch)
	b.DefValue = prBranch
}

// request fills the repository and commit fields of a bump.Request, with
// the CI run's trailers, refusing bad combinations.
func (f *commitFlags) request(r *repoFlags, env ci.Env, envs ...string) (bump.Request, error) {
	if r.Repo == "" || r.Chart == "" && strings.Contains(r.ValuesFile, "{chart}") {
		return bump.Request{}, usageErr(fmt.Errorf("--repo and --chart are required (--chart unless --values-file has no {chart})"))
	}
	if f.MaxAttempts < 1 {
		return bump.Request{}, usageErr(fmt.Errorf("invalid --max-attempts %d: use 1 or more", f.MaxAttempts))
	}
	if err := f.Output.check(); err != nil {
		return bump.Request{}, err
	}
	if f.DryRun && f.NoPush {
		return bump.Request{}, usageErr(fmt.Errorf("--dry-run and --no-push conflict: --dry-run already pushes nothing"))
	}
	author := f.Author
	if author == "" {
		author = DefaultAuthor
	}
	sig, err := parseSignature(author)
	if err != nil {
		return bump.Request{}, err
	}
	req := bump.Request{
		Repo: r.Repo, Branch: r.Branch, Chart: r.Chart, Envs: envs, ValuesFile: r.ValuesFile,
		SkipCI: f.SkipCI, Author: sig, Committer: sig, MaxAttempts: f.MaxAttempts, DryRun: f.DryRun, NoPush: f.NoPush,
	}
	for _, t := range env.Trailers() {
		req.Trailers = append(req.Trailers, bump.Trailer{Key: t[0], Value: t[1]})
	}
	if err := f.Sign.check(r.Repo, f.Author, f.NoPush); err != nil {
		return bump.Request{}, err
	}
	req.Signoff = f.Sign.Signoff
	if req.PR, err = f.PR.request(env, r.Repo, r.Timeout); err != nil {
		return bump.Request{}, err
	}
	if err := f.Sign.checkPR(req.PR); err != nil {
		return bump.Request{}, err
	}
	return req, nil
}

// signOptions are the bump options that sign the command's commits, or
// have the host make them (--commit-via api).
func (f *commitFlags) signOptions(ctx context.Context, env ci.Env, r *repoFlags) ([]bump.Option, error) {
	return f.Sign.options(env, os.Getenv, r.Repo, r.Timeout, slogLogger(ctx).With(env.LogFields()...))
}

// bumpOptions are the pkg/bump options of a command: Git access and the
// logger, whose lines carry the CI run.
func (r *repoFlags) bumpOptions(ctx context.Context, env ci.Env) []bump.Option {
	logger := slogLogger(ctx).With(env.LogFields()...)
	return []bump.Option{bump.WithGitOptions(r.gitOptions(ctx, env)...), bump.WithLogger(logger)}
}

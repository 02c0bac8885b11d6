package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/imageref"
)

// repoFlags name a chart's values files in the charts repository: the
// flags of history, rollback and promote.
type repoFlags struct {
	Repo, Branch, Chart, ValuesFile string
	SSHKey, KnownHosts              string
	Timeout                         time.Duration
	MaxFetchBytes, MaxFileSize      int64
}

func (f *repoFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Repo, "repo", "", "charts repository: https or ssh URL, or a local path")
	fs.StringVar(&f.Branch, "branch", "", "branch (default: the repository's default branch)")
	fs.StringVar(&f.Chart, "chart", "", "chart directory name")
	fs.StringVar(&f.ValuesFile, "values-file", bump.DefaultValuesFile, "values file path template with {chart} and {env}")
	fs.StringVar(&f.SSHKey, "ssh-key", "", "private key file for ssh URLs (default: ssh-agent)")
	fs.StringVar(&f.KnownHosts, "known-hosts", "", "known_hosts file for ssh URLs (default: ~/.ssh/known_hosts and the system file)")
	registerMaxFetchBytes(fs, &f.MaxFetchBytes)
	registerMaxFileSize(fs, &f.MaxFileSize)
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
	return append(gitOptions(env, f.Repo, f.SSHKey, f.KnownHosts, f.Timeout), gitrepo.WithMaxFetchBytes(f.MaxFetchBytes), gitrepo.WithMaxFileSize(f.MaxFileSize), gitrepo.WithLogger(slogLogger(ctx).With(env.LogFields()...)))
}

// registerMaxFetchBytes adds --max-fetch-bytes, the bound on what a
// fetch's pack may inflate to.
func registerMaxFetchBytes(fs *pflag.FlagSet, n *int64) {
	fs.Int64Var(n, "max-fetch-bytes", gitrepo.DefaultMaxFetchBytes, "fail a fetch whose pack inflates to more than this many bytes (a broken or hostile server; the largest public charts repository takes 62 MiB); a long file history's one fetch of the whole history may inflate to 8 times this, in objects of at most this/8, and hold at most this/256 objects")
}

// registerMaxFileSize adds --max-file-size, the largest values file (or
// chart values.yaml) tagbump reads.
func registerMaxFileSize(fs *pflag.FlagSet, n *int64) {
	fs.Int64Var(n, "max-file-size", gitrepo.DefaultMaxFileSize, "refuse a values file larger than this many bytes (the largest public values files are about 200 KB)")
}

// pickFlags are history's and rollback's --image and --key: which images
// of the values file they are about, as bump's pick what it sets.
type pickFlags struct {
	Images []string
	Keys   []string
}

func (f *pickFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.Images, "image", nil, "only the image blocks that name this repository: REGISTRY/REPO (a tag is ignored); repeatable (default: every image of the file)")
	fs.StringSliceVar(&f.Keys, "key", nil, "only the image whose tag is at this path, e.g. .image.tag (or its block, .image); repeatable")
}

// pick returns the images picked; --image takes a name with or without a
// tag.
func (f *pickFlags) pick() (bump.Pick, error) {
	p := bump.Pick{Keys: f.Keys}
	for _, s := range f.Images {
		ref, err := imageref.Parse(s)
		if err != nil && !strings.Contains(s[strings.LastIndexByte(s, '/')+1:], ":") {
			if r, err2 := imageref.Parse(s + ":latest"); err2 == nil {
				ref, err = r, nil
			}
		}
		if err != nil {
			return bump.Pick{}, usageErr(fmt.Errorf("--image %s: %w", s, err))
		}
		p.Images = append(p.Images, ref)
	}
	return p, nil
}

// commitFlags are the flags of rollback and promote that shape the commit
// and its report, as in bump.
type commitFlags struct {
	Author         string
	Committer      string
	SkipCI         bool
	NoCreate       bool
	MaxAttempts    int
	DryRun, NoPush bool
	Dotenv         string
	Output         outputFlag
	PR             prFlags
	Sign           signFlags
	Render         renderFlags
	Wait           waitFlags
}

func (f *commitFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.SkipCI, "skip-ci", false, "append [skip ci] to the commit subject")
	fs.BoolVar(&f.NoCreate, "no-create", false, noCreateUsage)
	registerIdentity(fs, &f.Author, &f.Committer)
	fs.IntVar(&f.MaxAttempts, "max-attempts", bump.DefaultMaxAttempts, "pushes to try when other pipelines push first")
	fs.BoolVar(&f.DryRun, "dry-run", false, "do everything but push; print the diff and the commit message")
	fs.BoolVar(&f.NoPush, "no-push", false, "do everything but the push; print the diff and the commit message, write nothing to the Git repository")
	fs.StringVar(&f.Dotenv, "dotenv", "", "write the result as KEY=VALUE lines to this file (GitLab artifacts:reports:dotenv)")
	f.Output.register(fs)
	f.Render.register(fs)
	f.Wait.registerWait(fs)
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
	author, committer, err := identities(f.Author, f.Committer, f.Sign.signing())
	if err != nil {
		return bump.Request{}, err
	}
	req := bump.Request{
		Repo: r.Repo, Branch: r.Branch, Chart: r.Chart, Envs: envs, ValuesFile: r.ValuesFile,
		SkipCI: f.SkipCI, NoCreate: f.NoCreate, Author: author, Committer: committer, MaxAttempts: f.MaxAttempts, DryRun: f.DryRun, NoPush: f.NoPush,
		Render: f.Render.request(r.Timeout),
	}
	for _, t := range env.Trailers() {
		req.Trailers = append(req.Trailers, bump.Trailer{Key: t[0], Value: t[1]})
	}
	if err := f.Sign.check(r.Repo, f.Author, f.Committer, f.NoPush); err != nil {
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

// registerIdentity adds --author and --committer.
func registerIdentity(fs *pflag.FlagSet, author, committer *string) {
	fs.StringVar(author, "author", "", `commit author "Name <email>": the person or bot the change is for (default: the committer)`)
	fs.StringVar(committer, "committer", "", `commit committer "Name <email>": tagbump's own identity, by which it knows its commits on the --pr branch (default "`+DefaultAuthor+`"; when signing, --author)`)
}

// identities returns the commit's author and committer from --author and
// --committer. The committer is tagbump's identity, not the author's: with
// the Tagbump-Branch trailer it is how tagbump tells its own commit on a
// pull request branch from a person's, and a pipeline that passes the
// developer who triggered it as --author must not make that developer's
// commits there look like tagbump's. The author defaults to the committer.
// When signing, the committer defaults to --author instead: hosts verify a
// signature against the committer's email, and before --committer existed
// --author named the signing account.
func identities(author, committer string, signing bool) (a, c object.Signature, err error) {
	if signing && committer == "" {
		committer = author
	}
	if c, err = parseSignature("committer", cmp.Or(committer, DefaultAuthor)); err != nil {
		return a, c, err
	}
	if author == "" {
		return c, c, nil
	}
	a, err = parseSignature("author", author)
	return a, c, err
}

// signing reports whether commits are to be signed: --sign-key or
// TAGBUMP_SIGN_KEY is set.
func (o *signFlags) signing() bool {
	return o.SignKey != "" || os.Getenv("TAGBUMP_SIGN_KEY") != ""
}

package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/log"
	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// prFlags are the pull request flags of bump (and of any command that
// commits to a charts repository).
type prFlags struct {
	PR                          bool
	Branch, Title, Body         string
	Labels, Reviewers, Assignee []string
	Draft, Overwrite, AutoMerge bool
	MergeMethod                 string
	Provider, APIURL            string
}

func (p *prFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&p.PR, "pr", false, "open or update a pull/merge request instead of pushing to --branch")
	f.StringVar(&p.Branch, "pr-branch", bump.DefaultPRBranch, "branch of the pull request, a template with {chart}, {env} (several envs joined with +) and, for bump, {image} (the image repository's last path element: a pull request per image)")
	f.StringVar(&p.Title, "pr-title", "", "pull request title template (default: the commit subject)")
	f.StringVar(&p.Body, "pr-body", "", "pull request body template: .Chart .Env .Image .Tag .OldTag .Digest .Subject .Table .RunURL .Branch (default: a table of the changes)")
	f.StringSliceVar(&p.Labels, "pr-label", nil, "label to add to the pull request; repeatable")
	_ = f.SetAnnotation("pr-label", spacedAnnotation, []string{"true"})
	f.StringSliceVar(&p.Reviewers, "pr-reviewer", nil, "reviewer to request on a new pull request; repeatable")
	f.StringSliceVar(&p.Assignee, "pr-assignee", nil, "assignee of a new pull request; repeatable")
	f.BoolVar(&p.Draft, "pr-draft", false, "open the pull request as a draft")
	f.BoolVar(&p.Overwrite, "pr-overwrite", false, "replace the pull request branch even when someone else pushed a commit to it")
	f.BoolVar(&p.AutoMerge, "auto-merge", false, "enable the host's native auto-merge on the pull request")
	f.StringVar(&p.MergeMethod, "merge-method", forge.MergeCommit, "merge method of --auto-merge: merge, squash or rebase")
	f.StringVar(&p.Provider, "provider", "", "API of the charts repository's host: github, gitlab, azure, bitbucket or gitea (default: from the URL)")
	f.StringVar(&p.APIURL, "api-url", "", "API base URL of the host (default: derived from --repo)")
}

// check refuses a bad --merge-method, and a PR flag given a value other
// than its default without --pr (CI templates pass every flag, "false"
// and "" included); --api-url also serves --commit-via api, and it and
// --provider serve --wait.
func (p *prFlags) check(f *pflag.FlagSet) error {
	if p.PR {
		switch p.MergeMethod {
		case forge.MergeCommit, forge.Squash, forge.Rebase:
		default:
			return usageErr(fmt.Errorf("invalid --merge-method %q: use merge, squash or rebase", p.MergeMethod))
		}
		return nil
	}
	for _, name := range []string{"pr-branch", "pr-title", "pr-body", "pr-label", "pr-reviewer", "pr-assignee", "pr-draft", "pr-overwrite", "auto-merge", "merge-method", "provider", "api-url"} {
		if via := f.Lookup("commit-via"); name == "api-url" && via != nil && via.Value.String() == "api" {
			continue // --commit-via api uses the API too
		}
		if w := f.Lookup("wait"); (name == "api-url" || name == "provider") && w != nil && w.Value.String() == "true" {
			continue // --wait reads the commit's statuses through the API
		}
		if fl := f.Lookup(name); fl != nil && fl.Changed && fl.Value.String() != fl.DefValue && fl.Value.String() != "[]" {
			return usageErr(fmt.Errorf("--%s needs --pr", name))
		}
	}
	return nil
}

// request builds the bump's PRRequest: the host's API found from the
// repository URL (or --provider), with the token Git uses.
func (p *prFlags) request(env ci.Env, repo string, timeout time.Duration) (*bump.PRRequest, error) {
	if !p.PR {
		return nil, nil
	}
	repo, ok := webURL(repo)
	if !ok {
		return nil, usageErr(fmt.Errorf("--pr needs a --repo URL (https://, ssh:// or git@host:path): a local clone has no host to open a pull request on"))
	}
	kind, _ := hostKind(repo, p.Provider, timeout, true)
	if p.Provider != "" && !validKind(kind) {
		return nil, usageErr(fmt.Errorf("invalid --provider %q: use github, gitlab, azure, bitbucket or gitea", p.Provider))
	}
	if kind == "" {
		return nil, usageErr(fmt.Errorf("--pr: the host of %s is not one tagbump recognises, and answers neither Gitea's nor GitLab's version endpoint: pass --provider github|gitlab|azure|bitbucket|gitea", address.Redact(repo)))
	}
	user, token, ok := env.Token(os.Getenv, address.Host(repo))
	if urlCredentialsWin(repo) {
		// Git uses the URL's credentials (see gitOptions), and so does
		// the API.
		user, token, ok = gitrepo.URLCredentials(repo)
	}
	if !ok {
		return nil, &exitError{code: ExitAuth, err: fmt.Errorf("--pr: no token for the %s API of %s: set TAGBUMP_GIT_TOKEN (the CI system's own token is used only for its own host)", kind, address.Redact(repo))}
	}
	client := &http.Client{Timeout: timeout}
	f, err := forge.New(forge.Options{Kind: kind, RepoURL: repo, APIURL: p.APIURL, User: user, Token: token, HTTPClient: client})
	if err != nil {
		return nil, err
	}
	r := &bump.PRRequest{
		Forge: f, Branch: p.Branch, Title: p.Title, Body: p.Body,
		Labels: p.Labels, Reviewers: p.Reviewers, Assignees: p.Assignee, Draft: p.Draft,
		Overwrite: p.Overwrite, RunURL: env.RunURL,
	}
	if p.AutoMerge {
		r.AutoMerge = p.MergeMethod
	}
	return r, nil
}

// hostKind is the kind of host API of repo (a web URL) and how it was
// found: --provider first, then the URL (and the CI system's server
// variables), then the version endpoints a self-hosted Gitea, Forgejo or
// GitLab answers, when mayProbe. A --provider is returned as given, valid
// or not.
func hostKind(repo, provider string, timeout time.Duration, mayProbe bool) (forge.Kind, string) {
	if provider != "" {
		return forge.Kind(strings.ToLower(provider)), "--provider"
	}
	if k := forge.Detect(repo, os.Getenv("GITHUB_SERVER_URL"), os.Getenv("CI_SERVER_HOST")); k != "" {
		return k, "the URL"
	}
	if !mayProbe {
		return "", ""
	}
	return probe(repo, timeout), "its version endpoint"
}

// probe asks a host that forge.Detect does not know which kind it is
// (self-hosted Gitea, Forgejo or GitLab), within timeout.
func probe(repo string, timeout time.Duration) forge.Kind {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return forge.Probe(ctx, repo, &http.Client{Timeout: timeout})
}

func validKind(k forge.Kind) bool {
	for _, x := range forge.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// writePRResult reports a bump with --pr in text form: the PR's URL on
// stdout and a log line. It reports false when there was no PR step.
func writePRResult(lg *log.Logger, streams IOStreams, res *bump.Result) bool {
	if res.PRAction == "" {
		return false
	}
	if res.PRURL != "" {
		fmt.Fprintln(streams.Out, res.PRURL)
	}
	if res.Outcome == bump.Unchanged && res.PRAction != bump.PRCreated {
		lg.Info("unchanged: the base branch already has the value", "branch", res.Branch, "pr_action", res.PRAction)
		return true
	}
	lg.Info("pull request "+res.PRAction, "branch", res.PRBranch, "base", res.Branch, "commit", res.Commit)
	return true
}

// webURL returns the https URL of the repository at repo, which the
// host's API is derived from: repo itself for http(s), and for ssh://
// and scp-like (git@host:path) addresses the same host and path over
// https (Azure DevOps' ssh.dev.azure.com:v3/ORG/PROJECT/REPO becomes
// dev.azure.com/ORG/PROJECT/_git/REPO, vs-ssh.visualstudio.com's
// ORG.visualstudio.com/PROJECT/_git/REPO). ok is false for a local path.
func webURL(repo string) (string, bool) {
	if strings.HasPrefix(repo, "https://") || strings.HasPrefix(repo, "http://") {
		return repo, true
	}
	var host, path string
	switch {
	case strings.HasPrefix(repo, "ssh://"):
		u, err := address.Parse(repo)
		if err != nil || u.Hostname() == "" {
			return "", false
		}
		host, path = u.Hostname(), strings.TrimPrefix(u.Path, "/")
	case !strings.Contains(repo, "://") && strings.Contains(repo, ":") && !strings.HasPrefix(repo, "/") && !strings.HasPrefix(repo, "."):
		hostPart, p, _ := strings.Cut(repo, ":")
		if i := strings.LastIndex(hostPart, "@"); i >= 0 {
			hostPart = hostPart[i+1:]
		}
		if hostPart == "" || strings.Contains(hostPart, "/") {
			return "", false
		}
		host, path = hostPart, p
	default:
		return "", false
	}
	if strings.EqualFold(host, "ssh.dev.azure.com") {
		parts := strings.Split(strings.TrimPrefix(path, "v3/"), "/")
		if len(parts) == 3 {
			return "https://dev.azure.com/" + parts[0] + "/" + parts[1] + "/_git/" + parts[2], true
		}
	}
	if strings.EqualFold(host, "vs-ssh.visualstudio.com") {
		parts := strings.Split(strings.TrimPrefix(path, "v3/"), "/")
		if len(parts) == 3 {
			return "https://" + parts[0] + ".visualstudio.com/" + parts[1] + "/_git/" + parts[2], true
		}
	}
	return "https://" + host + "/" + strings.TrimPrefix(path, "/"), true
}

package cli

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/address"
	"github.com/tagbump/tagbump/pkg/bump"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
	"github.com/tagbump/tagbump/pkg/sign"
)

// noEnvAnnotation marks a flag that bindEnv leaves alone: its TAGBUMP_
// variable means something else (TAGBUMP_SIGN_KEY is the key, not a path).
const noEnvAnnotation = "tagbump_no_env"

func noEnv(f *pflag.FlagSet, name string) {
	_ = f.SetAnnotation(name, noEnvAnnotation, []string{"true"})
}

// signFlags are the flags of a command that makes commits: how they are
// signed and how they land. Every such command registers them, so every
// commit tagbump makes is signed alike.
type signFlags struct {
	SignKey   string
	Signoff   bool
	CommitVia string
	APIURL    string

	flags *pflag.FlagSet
}

func (c *signFlags) register(f *pflag.FlagSet) {
	f.StringVar(&c.SignKey, "sign-key", "", "sign commits with this SSH or armored OpenPGP private key file (TAGBUMP_SIGN_KEY holds the key itself, not a path)")
	noEnv(f, "sign-key")
	f.BoolVar(&c.Signoff, "signoff", false, "add a Signed-off-by trailer for the author")
	f.StringVar(&c.CommitVia, "commit-via", "push", "how the commit lands: push (git push) or api (GitHub makes and signs it: GraphQL createCommitOnBranch)")
	// --api-url is shared with the pull request flags: whichever set
	// registers it first owns it, and apiURL reads it from the flag set.
	if f.Lookup("api-url") == nil {
		f.StringVar(&c.APIURL, "api-url", "", "API base URL of the Git host (default: from the repository's host, e.g. https://api.github.com)")
	}
	c.flags = f
}

// options returns the bump options that sign commits (through the git
// options) and, with --commit-via api, land them through the host's API.
func (c *signFlags) options(env ci.Env, getenv func(string) string, repo string, timeout time.Duration, logger *slog.Logger) ([]bump.Option, error) {
	var opts []bump.Option
	key, err := c.signKey(getenv)
	if err != nil {
		return nil, err
	}
	if key != nil {
		opts = append(opts, bump.WithGitOptions(gitrepo.WithSigner(key)))
		logger.Debug("signing commits", "format", string(key.Format()), "key", key.Fingerprint())
	}
	if c.CommitVia == "api" {
		pub, err := c.apiPublisher(env, getenv, repo, timeout)
		if err != nil {
			return nil, err
		}
		opts = append(opts, bump.WithPublisher(pub))
	}
	return opts, nil
}

// signKey reads the signing key: the file --sign-key names, else the key
// itself in TAGBUMP_SIGN_KEY; nil when neither is set. The key stays in
// memory: it is never written anywhere, and errors never repeat it.
func (o *signFlags) signKey(getenv func(string) string) (*sign.Key, error) {
	pass := []byte(getenv("TAGBUMP_SIGN_KEY_PASSPHRASE"))
	if o.SignKey != "" {
		b, err := os.ReadFile(o.SignKey)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--sign-key %s: %w: give a readable private key file", o.SignKey, unwrapPath(err)))
		}
		return sign.Parse(o.SignKey, b, pass)
	}
	v := getenv("TAGBUMP_SIGN_KEY")
	if v == "" {
		return nil, nil
	}
	if !strings.Contains(v, "-----BEGIN") {
		return nil, usageErr(fmt.Errorf("TAGBUMP_SIGN_KEY: %w: it holds the key itself (the text of the key file), not a path: use --sign-key FILE for a file", sign.ErrBadKey))
	}
	return sign.Parse("TAGBUMP_SIGN_KEY", []byte(v), pass)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// checkCommitVia refuses what --commit-via api cannot honour.
func (o *signFlags) check(repo, author, committer string, noPush bool) error {
	switch o.CommitVia {
	case "push":
		return nil
	case "api":
	default:
		return usageErr(fmt.Errorf("invalid --commit-via %q: use push or api", o.CommitVia))
	}
	switch {
	case author != "":
		return usageErr(fmt.Errorf("--author does not apply with --commit-via api: GitHub authors API commits as the token's owner; drop --author"))
	case committer != "":
		return usageErr(fmt.Errorf("--committer does not apply with --commit-via api: GitHub commits API commits itself; drop --committer"))
	case o.SignKey != "" || os.Getenv("TAGBUMP_SIGN_KEY") != "":
		return usageErr(fmt.Errorf("--sign-key (TAGBUMP_SIGN_KEY) does not apply with --commit-via api: GitHub signs API commits itself; drop one of them"))
	case o.Signoff:
		return usageErr(fmt.Errorf("--signoff does not apply with --commit-via api: the author is the token's owner, not known before the commit; add a Signed-off-by line with --message if a DCO check needs one"))
	case noPush:
		return usageErr(fmt.Errorf("--no-push and --commit-via api conflict: an API commit is made on the server"))
	}
	if host, _ := repoHostPath(repo); host == "" {
		return usageErr(fmt.Errorf("--commit-via api needs a GitHub repository URL (https://github.com/OWNER/REPO or git@github.com:OWNER/REPO), not %s", repo))
	}
	return nil
}

// checkPR refuses --pr with --commit-via api on a host other than GitHub:
// only GitHub's API writes the pull request branch.
func (o *signFlags) checkPR(pr *bump.PRRequest) error {
	if pr == nil || pr.Forge == nil {
		return nil
	}
	return o.checkPRHost(pr.Forge.Kind())
}

// checkPRHost is checkPR for a pull request on a host of kind.
func (o *signFlags) checkPRHost(kind forge.Kind) error {
	if o.CommitVia != "api" || kind == forge.GitHub {
		return nil
	}
	return usageErr(fmt.Errorf("--pr with --commit-via api needs a GitHub repository: the pull request branch is written through GitHub's API, and the host is %s: drop --commit-via api (sign with --sign-key instead) or open the pull request on GitHub", kind))
}

// apiPublisher builds the GitHub API commit path for the bump's repository.
func (o *signFlags) apiPublisher(env ci.Env, getenv func(string) string, repo string, timeout time.Duration) (bump.Publisher, error) {
	host, path := repoHostPath(repo)
	if !isGitHub(host, getenv) && o.apiURL() == "" {
		return nil, usageErr(fmt.Errorf("--commit-via api: %s is not github.com nor the GitHub server of this run (GITHUB_SERVER_URL): for GitHub Enterprise pass --api-url https://%s/api/v3; other hosts are not supported yet", host, host))
	}
	repository := strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if strings.Count(repository, "/") != 1 {
		return nil, usageErr(fmt.Errorf("--commit-via api: %s does not name OWNER/REPO", repo))
	}
	_, token, _ := env.Token(getenv, host)
	apiURL := o.apiURL()
	if apiURL == "" && sameHost(getenv("GITHUB_SERVER_URL"), host) {
		apiURL = getenv("GITHUB_GRAPHQL_URL")
	}
	gh, err := forge.NewGitHubCommits(forge.GitHubGraphQLURL(apiURL, host), token, forge.WithCommitsTimeout(timeout))
	if err != nil {
		return nil, err
	}
	return bump.APICommits(gh, repository), nil
}

// flagIs reports whether the flag name, registered by any flag set of the
// command, has the value v.
func (o *signFlags) flagIs(name, v string) bool {
	if o.flags == nil {
		return false
	}
	f := o.flags.Lookup(name)
	return f != nil && f.Value.String() == v
}

// apiURL is --api-url, wherever it was registered.
func (o *signFlags) apiURL() string {
	if o.flags != nil {
		if f := o.flags.Lookup("api-url"); f != nil {
			return f.Value.String()
		}
	}
	return o.APIURL
}

func isGitHub(host string, getenv func(string) string) bool {
	return strings.EqualFold(host, "github.com") || sameHost(getenv("GITHUB_SERVER_URL"), host)
}

func sameHost(serverURL, host string) bool {
	return host != "" && strings.EqualFold(address.Host(serverURL), host)
}

// repoHostPath splits an https, ssh:// or scp-like (git@host:path)
// repository address into host and path; host is "" for a local path.
func repoHostPath(repo string) (host, path string) {
	if strings.Contains(repo, "://") {
		u, err := url.Parse(repo)
		if err != nil || u.Scheme == "file" {
			return "", ""
		}
		return u.Hostname(), u.Path
	}
	at := strings.Index(repo, "@")
	colon := strings.Index(repo, ":")
	if at < 0 || colon < at || strings.HasPrefix(repo, "/") || strings.HasPrefix(repo, ".") {
		return "", ""
	}
	return repo[at+1 : colon], repo[colon+1:]
}

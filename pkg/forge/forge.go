// Package forge opens, updates and closes pull requests (merge requests on
// GitLab) on the Git hosts tagbump supports: GitHub, GitLab, Azure DevOps,
// Bitbucket Cloud and Gitea/Forgejo. Each host sits behind the small Forge
// interface, so callers do not know which host they talk to. The package
// knows nothing of YAML or of Git objects, and it never prints.
//
// It speaks each host's REST API with net/http and encoding/json rather
// than the hosts' client modules: a bump needs five or six endpoints per
// host, and the clients are large. Built alone (stripped, CGO off) over a
// net/http and encoding/json program of 6,127,778 bytes, go-github v75 adds
// 655,360 bytes, GitLab's client-go v1.46.0 2,142,208 and Gitea's SDK
// v0.25.1 692,224, before Azure DevOps' module, which covers every service
// area; this package adds about 160 kB to tagbump for all five hosts.
package forge

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Kind names a Git host's API.
type Kind string

// The hosts the package supports.
const (
	GitHub    Kind = "github"
	GitLab    Kind = "gitlab"
	Azure     Kind = "azure"
	Bitbucket Kind = "bitbucket"
	Gitea     Kind = "gitea" // Gitea and Forgejo
)

// Kinds lists the supported hosts, for help texts and validation.
var Kinds = []Kind{GitHub, GitLab, Azure, Bitbucket, Gitea}

// Merge methods for auto-merge.
const (
	MergeCommit = "merge"
	Squash      = "squash"
	Rebase      = "rebase"
)

// PR is a pull request (a merge request on GitLab) as the host returned it.
type PR struct {
	// Number is the number users see (GitLab's iid, Azure's
	// pullRequestId).
	Number int
	// URL is the page of the PR in the host's web interface.
	URL string
	// Head and Base are the source and target branch names.
	Head, Base string
	Title      string
	Body       string
	Labels     []string
	Draft      bool
	// id is the host's internal identifier where it differs from Number
	// (GitHub's GraphQL node ID).
	id string
}

// Content is what a PR should say.
type Content struct {
	Title, Body string
	// Labels are added on creation and update (labels set by humans are
	// kept).
	Labels []string
	// Reviewers and Assignees are user names (Azure: unique names or
	// e-mail addresses); they are requested on creation.
	Reviewers, Assignees []string
	// Draft opens the PR as a draft.
	Draft bool
}

// Forge is one repository on one host.
type Forge interface {
	// Kind returns the host's kind.
	Kind() Kind
	// FindOpen returns the open PR from head to base, or nil when there is
	// none.
	FindOpen(ctx context.Context, head, base string) (*PR, error)
	// Create opens a PR from head to base.
	Create(ctx context.Context, head, base string, c Content) (*PR, error)
	// Update sets the title and body of pr and adds c's labels.
	Update(ctx context.Context, pr *PR, c Content) (*PR, error)
	// Close comments on pr and closes it.
	Close(ctx context.Context, pr *PR, comment string) error
	// Check refuses, before anything is changed, what the host cannot do
	// (ErrUnsupported) or what the token cannot do (ErrPermission).
	Check(c Content, autoMerge string) error
	// AutoMerge asks the host to merge pr with m.Method once its checks
	// and approvals allow, with m.Message as the message of the merge or
	// squash commit where the host's API takes one, and to delete pr's
	// head branch (tagbump's own) once it is merged where the host offers
	// that; ErrUnsupported where the host has no such feature.
	AutoMerge(ctx context.Context, pr *PR, m Merge) error
}

// Merge is how a pull request is to be merged.
type Merge struct {
	// Method is MergeCommit, Squash or Rebase.
	Method string
	// Message is the message of the commit the merge writes on the base
	// (the merge commit, or the squash commit): tagbump's own commit
	// message, subject, body and trailers, so that the base's history
	// reads as if tagbump had pushed there. "" leaves the host's default
	// message. A rebase keeps tagbump's commit, message included, and
	// needs none.
	//
	// GitHub takes it as commitHeadline and commitBody of
	// enablePullRequestAutoMerge, GitLab as merge_commit_message and
	// squash_commit_message, Azure DevOps as completionOptions.mergeCommitMessage,
	// Gitea and Forgejo as MergeTitleField and MergeMessageField. Bitbucket
	// Cloud has no auto-merge: its merge message is whatever the person who
	// merges writes.
	Message string
}

// headline splits a commit message into its subject and the rest (body
// and trailers), without the blank line between them.
func headline(msg string) (subject, rest string) {
	subject, rest, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.TrimSpace(subject), strings.TrimSpace(rest)
}

// Needs reports whether pr differs from c in what Update changes: title,
// body or a missing label.
func Needs(pr *PR, c Content) bool {
	if pr.Title != c.Title || strings.TrimSpace(pr.Body) != strings.TrimSpace(c.Body) {
		return true
	}
	for _, l := range c.Labels {
		if !slices.Contains(pr.Labels, l) {
			return true
		}
	}
	return false
}

// Sentinel errors; the package's errors wrap them.
var (
	// ErrAuth means the host refused the token (401).
	ErrAuth = errors.New("authentication failed")
	// ErrPermission means the token is valid but lacks a permission (403);
	// the error says which.
	ErrPermission = errors.New("permission denied")
	// ErrNotFound means the repository, branch, PR or user does not exist,
	// or the token may not see it.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported means the host has no such feature.
	ErrUnsupported = errors.New("not supported by the host")
	// ErrConflict means the host refused because of the state of the PR or
	// the branches (e.g. a PR for the branch already exists).
	ErrConflict = errors.New("conflict")
	// ErrServer means the host failed (5xx) or could not be reached.
	ErrServer = errors.New("server error")
)

// Error is a refused API request.
type Error struct {
	// Op says what was attempted, e.g. "create pull request".
	Op string
	// Status is the HTTP status code, 0 when none arrived.
	Status int
	// Message is the host's own message, shortened.
	Message string
	// Hint says what to do about it, e.g. which permission is missing.
	Hint string
	// Kind is one of the sentinel errors.
	Kind error
	// RetryAfter is the pause a 429 or 503 answer's Retry-After header
	// asked for (0 when none; set by the status reads only).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Kind }

// Options says how to reach a repository's API.
type Options struct {
	// Kind is the host's kind; Detect finds it from the URL.
	Kind Kind
	// RepoURL is the repository's https clone URL.
	RepoURL string
	// APIURL overrides the API base derived from RepoURL.
	APIURL string
	// User and Token are the credentials used for Git; the token is sent
	// only to the API base, never over http:// to a host other than this
	// machine, and never along a redirect to another scheme, host or port.
	User, Token string
	// HTTPClient sends requests (nil: a client on http.DefaultTransport);
	// the package uses a copy with its own redirect policy.
	HTTPClient *http.Client
}

// New returns the Forge for o.Kind.
func New(o Options) (Forge, error) {
	u, err := url.Parse(o.RepoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &Error{Op: "pull request for " + o.RepoURL, Kind: ErrUnsupported, Hint: "--pr needs an https:// repository URL"}
	}
	u.User = nil
	if o.Token != "" {
		// The API URL, or the repository URL the host's API is found
		// from; call checks each request's URL again.
		if err := clearText("pull request API", cmp.Or(o.APIURL, o.RepoURL)); err != nil {
			return nil, err
		}
	}
	c := newClient(o)
	switch o.Kind {
	case GitHub:
		return newGitHub(c, u, o)
	case Gitea:
		return newGitea(c, u, o)
	case GitLab:
		return newGitLab(c, u, o)
	case Azure:
		return newAzure(c, u, o)
	case Bitbucket:
		return newBitbucket(c, u, o)
	case "":
		return nil, &Error{Op: "pull request for " + u.Redacted(), Kind: ErrUnsupported, Hint: "the host is not known: pass --provider " + kindList()}
	}
	return nil, &Error{Op: "pull request for " + u.Redacted(), Kind: ErrUnsupported, Hint: fmt.Sprintf("unknown provider %q: use %s", o.Kind, kindList())}
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, "|")
}

// Detect returns the host's kind from the repository URL: github.com (or
// the host of githubServer, GITHUB_SERVER_URL for GitHub Enterprise),
// gitlab.com (or gitlabHost, CI_SERVER_HOST), dev.azure.com and
// *.visualstudio.com, bitbucket.org. It returns "" for any other host.
func Detect(repoURL, githubServer, gitlabHost string) Kind {
	u, err := url.Parse(repoURL)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "github.com" || (githubServer != "" && host == strings.ToLower(hostname(githubServer))):
		return GitHub
	case host == "gitlab.com" || (gitlabHost != "" && host == strings.ToLower(gitlabHost)):
		return GitLab
	case host == "dev.azure.com" || strings.HasSuffix(host, ".visualstudio.com"):
		return Azure
	case host == "bitbucket.org":
		return Bitbucket
	}
	return ""
}

func hostname(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// repoPath returns the URL path without leading slash and .git suffix.
func repoPath(u *url.URL) string {
	return strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
}

// ownerRepo splits "owner/repo" off the end of a URL path and returns the
// prefix before it (a sub-path the host is served under).
func ownerRepo(u *url.URL) (prefix, owner, repo string, err error) {
	parts := strings.Split(repoPath(u), "/")
	if len(parts) < 2 || parts[len(parts)-1] == "" || parts[len(parts)-2] == "" {
		return "", "", "", &Error{Op: "pull request for " + u.Redacted(), Kind: ErrUnsupported, Hint: "the URL does not end in OWNER/REPO"}
	}
	n := len(parts)
	prefix = strings.Join(parts[:n-2], "/")
	if prefix != "" {
		prefix = "/" + prefix
	}
	return prefix, parts[n-2], parts[n-1], nil
}

// maxPages bounds the pages a lookup of the open pull request reads.
const maxPages = 100

// tooManyPages reports a list that did not end within maxPages.
func tooManyPages(op string) error {
	return &Error{Op: op, Kind: ErrServer, Message: fmt.Sprintf("the list did not end within %d pages", maxPages),
		Hint: "close stale pull requests, or raise the host's page size"}
}

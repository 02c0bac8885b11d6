package forge

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// PRState is where a pull request stands, the same word on every host.
type PRState string

// The states of a pull request. A host's own words map onto them: GitLab's
// locked (a merge under way) is open, Azure DevOps' active is open and
// completed merged, Bitbucket's DECLINED and SUPERSEDED are closed.
const (
	PROpen   PRState = "open"
	PRMerged PRState = "merged"
	PRClosed PRState = "closed"
)

// PRStatus is a pull request's state as its host reports it.
type PRStatus struct {
	Number int
	URL    string
	State  PRState
	// Native is the host's own word for the state.
	Native string
	// MergeCommit is, once merged, the commit the merge left at the tip
	// of the base branch: the merge commit, the squash commit, or the
	// last of the rebased commits; always a full hash. It is "" while
	// the pull request is open, and may be "" for a moment after the
	// host reports the merge.
	MergeCommit string
}

// PRReader reads the state of a pull request. Every Forge is one.
type PRReader interface {
	// PullRequest returns the state of pull request number. A host that
	// supports conditional requests is asked with the ETag of its
	// previous answer.
	PullRequest(ctx context.Context, number int) (PRStatus, error)
}

// NewPRReader returns the PRReader for o.Kind: the host's Forge.
func NewPRReader(o Options) (PRReader, error) {
	return newAs[PRReader](o, prOp)
}

// prOp is the operation every pull request read names.
const prOp = "read pull request"

// fullHash is a commit's full hash, SHA-1 or SHA-256.
var fullHash = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// hubPRState reads a pull request as GitHub and Gitea answer it (GET
// .../pulls/{number}): state open or closed, merged, and merge_commit_sha,
// which is a test merge while the pull request is open and, once merged,
// the merge commit, the squash commit or the rebased tip
// (docs.github.com/en/rest/pulls/pulls#get-a-pull-request).
func hubPRState(ctx context.Context, c *client, u string, hint string) (PRStatus, error) {
	var p struct {
		Number         int     `json:"number"`
		HTMLURL        string  `json:"html_url"`
		State          string  `json:"state"`
		Merged         bool    `json:"merged"`
		MergeCommitSHA *string `json:"merge_commit_sha"`
	}
	if err := c.get(ctx, prOp, u, &p); err != nil {
		return PRStatus{}, statusHint(err, hint)
	}
	out := PRStatus{Number: p.Number, URL: p.HTMLURL, Native: p.State, State: PROpen}
	switch {
	case p.Merged:
		out.State, out.Native = PRMerged, "merged"
		if p.MergeCommitSHA != nil && fullHash.MatchString(*p.MergeCommitSHA) {
			out.MergeCommit = *p.MergeCommitSHA
		}
	case p.State == "closed":
		out.State = PRClosed
	}
	return out, nil
}

// PullRequest reads the pull request (GET .../pulls/{pull_number},
// docs.github.com/en/rest/pulls/pulls#get-a-pull-request), conditionally:
// a 304 costs no rate limit.
func (g *github) PullRequest(ctx context.Context, number int) (PRStatus, error) {
	return hubPRState(ctx, g.c, g.url("/pulls/%d", number),
		"the token needs pull requests: read on "+g.owner+"/"+g.repo+" (in a workflow: permissions: pull-requests: read)")
}

// PullRequest reads the pull request (GET .../pulls/{index},
// repoGetPullRequest): merged and merge_commit_sha as GitHub's.
func (g *gitea) PullRequest(ctx context.Context, number int) (PRStatus, error) {
	return hubPRState(ctx, g.c, g.url("/pulls/%d", number), "the token needs the read:repository scope on "+g.owner+"/"+g.repo)
}

// PullRequest reads the merge request (GET
// /projects/:id/merge_requests/:iid, docs.gitlab.com/api/merge_requests#get-single-mr).
// The commit on the target branch is merge_commit_sha for a merge commit,
// squash_commit_sha for a squash with a fast-forward merge, and sha (the
// source branch's head, rebased by GitLab before it fast-forwards) for a
// fast-forward merge: both are null then.
func (g *gitlab) PullRequest(ctx context.Context, number int) (PRStatus, error) {
	var m struct {
		IID             int     `json:"iid"`
		WebURL          string  `json:"web_url"`
		State           string  `json:"state"`
		SHA             *string `json:"sha"`
		MergeCommitSHA  *string `json:"merge_commit_sha"`
		SquashCommitSHA *string `json:"squash_commit_sha"`
	}
	if err := g.c.get(ctx, prOp, fmt.Sprintf("%s/merge_requests/%d", g.api, number), &m); err != nil {
		return PRStatus{}, statusHint(err, "the token needs the read_api scope and at least the Reporter role")
	}
	out := PRStatus{Number: m.IID, URL: m.WebURL, Native: m.State, State: PROpen}
	switch m.State {
	case "merged":
		out.State = PRMerged
		deref := func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		}
		if c := cmp.Or(deref(m.MergeCommitSHA), deref(m.SquashCommitSHA), deref(m.SHA)); fullHash.MatchString(c) {
			out.MergeCommit = c
		}
	case "closed":
		out.State = PRClosed
	}
	return out, nil
}

// PullRequest reads the pull request (GET .../pullrequests/{pullRequestId},
// learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-requests/get-pull-request-by-id):
// status active, abandoned or completed; once completed, lastMergeCommit
// is the commit the completion left on the target branch (while active it
// is a test merge, not on any branch).
func (a *azure) PullRequest(ctx context.Context, number int) (PRStatus, error) {
	var p struct {
		ID              int    `json:"pullRequestId"`
		Status          string `json:"status"`
		LastMergeCommit *struct {
			CommitID string `json:"commitId"`
		} `json:"lastMergeCommit"`
	}
	if err := a.c.get(ctx, prOp, fmt.Sprintf("%s/pullrequests/%d?%s", a.api, number, azureVersion), &p); err != nil {
		return PRStatus{}, statusHint(err, "the token needs Code (read): give the build identity Read on the repository")
	}
	out := PRStatus{Number: p.ID, URL: fmt.Sprintf("%s/pullrequest/%d", a.web, p.ID), Native: p.Status, State: PROpen}
	switch p.Status {
	case "completed":
		out.State = PRMerged
		if p.LastMergeCommit != nil && fullHash.MatchString(strings.ToLower(p.LastMergeCommit.CommitID)) {
			out.MergeCommit = strings.ToLower(p.LastMergeCommit.CommitID)
		}
	case "abandoned":
		out.State = PRClosed
	}
	return out, nil
}

// PullRequest reads the pull request (GET .../pullrequests/{pull_request_id},
// developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-pull-request-id-get):
// state OPEN, MERGED, DECLINED or SUPERSEDED, and merge_commit once
// merged. Bitbucket gives merge_commit.hash abbreviated (12 digits): the
// full hash is read from the commit (GET .../commit/{commit},
// api-group-commits): one request more, when the merge is seen.
func (b *bitbucket) PullRequest(ctx context.Context, number int) (PRStatus, error) {
	const hint = "the token needs the pullrequest scope (read)"
	var p struct {
		ID          int    `json:"id"`
		State       string `json:"state"`
		MergeCommit *struct {
			Hash string `json:"hash"`
		} `json:"merge_commit"`
		Links struct {
			HTML struct {
				Href string `json:"href"`
			} `json:"html"`
		} `json:"links"`
	}
	if err := b.c.get(ctx, prOp, fmt.Sprintf("%s/pullrequests/%d", b.api, number), &p); err != nil {
		return PRStatus{}, statusHint(err, hint)
	}
	out := PRStatus{Number: p.ID, URL: p.Links.HTML.Href, Native: p.State, State: PROpen}
	switch p.State {
	case "MERGED":
		out.State = PRMerged
		if p.MergeCommit == nil || p.MergeCommit.Hash == "" {
			return out, nil
		}
		hash := strings.ToLower(p.MergeCommit.Hash)
		if !fullHash.MatchString(hash) {
			var c struct {
				Hash string `json:"hash"`
			}
			if err := b.c.get(ctx, prOp, b.api+"/commit/"+url.PathEscape(hash), &c); err != nil {
				return PRStatus{}, statusHint(err, hint)
			}
			if hash = strings.ToLower(c.Hash); !fullHash.MatchString(hash) {
				return out, nil
			}
		}
		out.MergeCommit = hash
	case "DECLINED", "SUPERSEDED":
		out.State = PRClosed
	}
	return out, nil
}

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

// gitea speaks the Gitea (and Forgejo) API v1 as its swagger describes it
// (docs.gitea.com/api/1.24, sections repository and issue: repoListPullRequests,
// repoCreatePullRequest, repoEditPullRequest, repoMergePullRequest,
// issueAddLabel, issueCreateComment).
type gitea struct {
	c           *client
	api         string
	owner, repo string
	// pause is the wait between tries of a merge Gitea is not ready for.
	pause time.Duration
}

func newGitea(c *client, u *url.URL, o Options) (Forge, error) {
	prefix, owner, repo, err := ownerRepo(u)
	if err != nil {
		return nil, err
	}
	g := &gitea{c: c, owner: owner, repo: repo, pause: 500 * time.Millisecond}
	g.api = u.Scheme + "://" + u.Host + prefix + "/api/v1"
	if o.APIURL != "" {
		g.api = strings.TrimSuffix(o.APIURL, "/")
	}
	token := o.Token
	c.auth = func(r *http.Request) {
		if token != "" {
			r.Header.Set("Authorization", "token "+token)
		}
	}
	c.hint = func(op string, status int, msg string) string {
		if status == http.StatusForbidden {
			return "the token needs the write:repository and write:issue scopes and write access to " + owner + "/" + repo
		}
		return ""
	}
	return g, nil
}

func (g *gitea) Kind() Kind { return Gitea }

func (g *gitea) url(format string, a ...any) string {
	return g.api + "/repos/" + url.PathEscape(g.owner) + "/" + url.PathEscape(g.repo) + fmt.Sprintf(format, a...)
}

func (g *gitea) Check(c Content, autoMerge string) error { return nil }

// FindOpen pages through the open pull requests into base until a page
// comes back empty: the server's [api] MAX_RESPONSE_ITEMS caps limit
// (Gitea's default is 50, an administrator may set less), so a page
// shorter than the limit asked for is not the last one. base_branch
// narrows the list where the server knows the filter; older servers ignore
// it and list every open pull request. The lookup by base and head (GET
// .../pulls/{base}/{head}, repoGetPullRequestByBaseHead) is not used: Gitea
// answers it with any pull request of the pair, a merged one as readily as
// the open one (1.24, models/issues.GetPullRequestByBaseHeadInfo), and
// tagbump's branch has a merged pull request after each deploy.
//
// A pull request from a fork is not tagbump's, whatever its branch's name:
// its head.repo is the fork, not the base repository. A server (or a proxy)
// that ignores page answers the same page again: the list ends there.
func (g *gitea) FindOpen(ctx context.Context, head, base string) (*PR, error) {
	var last []int
	for page := 1; page <= maxPages; page++ {
		q := url.Values{"state": {"open"}, "base_branch": {base}, "limit": {"50"}, "page": {fmt.Sprint(page)}}
		var prs []hubPR
		if _, err := g.c.call(ctx, "list pull requests", http.MethodGet, g.url("/pulls?%s", q.Encode()), nil, &prs); err != nil {
			return nil, err
		}
		numbers := make([]int, len(prs))
		for i, p := range prs {
			numbers[i] = p.Number
		}
		if len(prs) == 0 || slices.Equal(numbers, last) {
			return nil, nil
		}
		last = numbers
		for _, p := range prs {
			if p.Head.Ref == head && p.Base.Ref == base && p.sameRepo() {
				pr := p.pr()
				if t, ok := strings.CutPrefix(pr.Title, giteaDraft); ok {
					pr.Title, pr.Draft = t, true
				}
				return pr, nil
			}
		}
	}
	return nil, tooManyPages("list pull requests")
}

// Gitea marks drafts with a title prefix ("work in progress").
const giteaDraft = "WIP: "

func (g *gitea) Create(ctx context.Context, head, base string, c Content) (*PR, error) {
	title := c.Title
	if c.Draft {
		title = giteaDraft + title
	}
	body := map[string]any{"head": head, "base": base, "title": title, "body": c.Body}
	if len(c.Assignees) > 0 {
		body["assignees"] = c.Assignees
	}
	if len(c.Reviewers) > 0 {
		body["reviewers"] = c.Reviewers
	}
	var p hubPR
	if _, err := g.c.call(ctx, "create pull request", http.MethodPost, g.url("/pulls"), body, &p); err != nil {
		return nil, err
	}
	pr := p.pr()
	pr.Title = c.Title
	return pr, g.labels(ctx, pr, c.Labels)
}

// labels adds labels by name; they must exist in the repository.
func (g *gitea) labels(ctx context.Context, pr *PR, labels []string) error {
	err := addHubLabels(ctx, g.c, g.url("/issues/%d/labels", pr.Number), pr, labels)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnprocessableEntity {
		e.Hint = "create the labels in the repository first"
	}
	return err
}

func (g *gitea) Update(ctx context.Context, pr *PR, c Content) (*PR, error) {
	title, have := c.Title, *pr
	if pr.Draft {
		// A draft stays a draft.
		title, have.Title = giteaDraft+title, giteaDraft+pr.Title
	}
	out, err := updateHub(ctx, g.c, g.url("/pulls/%d", pr.Number), &have, title, c.Body)
	if err != nil {
		return nil, err
	}
	return out, g.labels(ctx, out, c.Labels)
}

func (g *gitea) Close(ctx context.Context, pr *PR, comment string) error {
	return closeHub(ctx, g.c, g.url(""), pr.Number, comment)
}

// AutoMerge schedules the merge with merge_when_checks_succeed (Gitea
// merges at once when nothing is pending), with m.Message's subject as
// MergeTitleField and the rest as MergeMessageField (Gitea joins them with
// a blank line), and delete_branch_after_merge. Right after a push Gitea
// may still be checking mergeability: the request is then tried again a
// few times. A merge already scheduled (409) keeps the message it was
// scheduled with, though the pull request now proposes something else: it
// is cancelled (DELETE .../pulls/N/merge, repoCancelScheduledAutoMerge)
// and scheduled again with m.Message.
func (g *gitea) AutoMerge(ctx context.Context, pr *PR, m Merge) error {
	body := map[string]any{"Do": m.Method, "merge_when_checks_succeed": true, "delete_branch_after_merge": true}
	if subject, rest := headline(m.Message); subject != "" && m.Method != Rebase {
		body["MergeTitleField"], body["MergeMessageField"] = subject, rest
	}
	var err error
	cancelled := false
	for try := 0; try < 20; try++ {
		var status int
		status, err = g.c.call(ctx, "enable auto-merge", http.MethodPost, g.url("/pulls/%d/merge", pr.Number), body, nil, http.StatusConflict)
		if err == nil && status == http.StatusConflict && !cancelled {
			// Already scheduled: cancel (404 if it was merged or
			// cancelled meanwhile) and schedule again.
			if _, err = g.c.call(ctx, "cancel auto-merge", http.MethodDelete, g.url("/pulls/%d/merge", pr.Number), nil, nil, http.StatusNotFound); err != nil {
				return err
			}
			cancelled = true
			try--
			continue
		}
		if err == nil {
			return nil // merged, scheduled, or (409) scheduled by someone else meanwhile
		}
		var e *Error
		if !errors.As(err, &e) || !(e.Status == http.StatusMethodNotAllowed && strings.Contains(e.Message, "try again later") || e.Status == http.StatusInternalServerError) {
			break
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(g.pause):
		}
	}
	return err
}

// Inspect reads the token's access and branch's protection (Gitea 1.24
// swagger: repoGet, repoGetBranch, repoGetBranchProtection):
//   - GET /repos/{owner}/{repo}: permissions (admin, push, pull);
//   - GET /repos/{owner}/{repo}/branches/{branch}: protected, user_can_push
//     (for the token's user) and effective_branch_protection_name;
//   - GET /repos/{owner}/{repo}/branch_protections/{name}: enable_push,
//     push_whitelist_usernames and _teams, required_approvals,
//     require_signed_commits (repository admins only).
//
// Gitea's API does not tell a token's scopes: a missing scope shows as a
// 403 naming it.
func (g *gitea) Inspect(ctx context.Context, branch string) (*Access, error) {
	a := &Access{Branch: BranchRules{Name: branch, Known: true}, ScopesNote: notReported("Gitea")}
	var repo struct {
		Permissions *struct {
			Admin bool `json:"admin"`
			Push  bool `json:"push"`
			Pull  bool `json:"pull"`
		} `json:"permissions"`
	}
	if _, err := g.c.call(ctx, "read repository", http.MethodGet, g.url(""), nil, &repo); err != nil {
		return nil, err
	}
	if p := repo.Permissions; p != nil {
		a.Permission = map[bool]string{true: "admin", false: map[bool]string{true: "write", false: "read"}[p.Push]}[p.Admin]
		a.CanPush = ptr(p.Push)
	}
	var br struct {
		Protected  bool   `json:"protected"`
		CanPush    bool   `json:"user_can_push"`
		Approvals  int    `json:"required_approvals"`
		Protection string `json:"effective_branch_protection_name"`
	}
	if _, err := g.c.call(ctx, "read branch", http.MethodGet, g.url("/branches/%s", url.PathEscape(branch)), nil, &br); err != nil {
		return nil, err
	}
	b := &a.Branch
	if !br.Protected {
		return a, nil
	}
	b.Protected, b.PushRefused, b.Approvals = true, !br.CanPush, br.Approvals
	var p struct {
		EnablePush bool     `json:"enable_push"`
		Whitelist  bool     `json:"enable_push_whitelist"`
		Users      []string `json:"push_whitelist_usernames"`
		Teams      []string `json:"push_whitelist_teams"`
		Approvals  int      `json:"required_approvals"`
		Signed     bool     `json:"require_signed_commits"`
	}
	status, err := g.c.call(ctx, "read branch protection", http.MethodGet, g.url("/branch_protections/%s", url.PathEscape(cmp.Or(br.Protection, branch))), nil, &p, http.StatusForbidden, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		b.Known = false
		b.Note = "the branch is protected; the rule's details are readable by repository admins only"
		return a, nil
	}
	b.PullRequest = !p.EnablePush
	b.Approvals, b.Signed = p.Approvals, p.Signed
	switch {
	case !p.EnablePush:
		b.Pushers = "nobody"
	case p.Whitelist:
		who := append([]string{}, p.Users...)
		for _, t := range p.Teams {
			who = append(who, "team "+t)
		}
		b.Pushers = cmp.Or(strings.Join(who, ", "), "nobody")
	}
	return a, nil
}

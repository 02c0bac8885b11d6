package forge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// github speaks GitHub's REST API (docs.github.com/en/rest/pulls/pulls,
// /rest/issues/labels, /rest/issues/assignees, /rest/issues/comments,
// /rest/pulls/review-requests) and, for auto-merge, the GraphQL mutation
// enablePullRequestAutoMerge (docs.github.com/en/graphql/reference/mutations).
type github struct {
	c           *client
	api, gql    string // REST base and GraphQL endpoint
	owner, repo string
}

func newGitHub(c *client, u *url.URL, o Options) (Forge, error) {
	_, owner, repo, err := ownerRepo(u)
	if err != nil {
		return nil, err
	}
	g := &github{c: c, owner: owner, repo: repo}
	switch {
	case o.APIURL != "":
		g.api = strings.TrimSuffix(o.APIURL, "/")
	case strings.EqualFold(u.Hostname(), "github.com"):
		g.api = "https://api.github.com"
	default: // GitHub Enterprise Server
		g.api = u.Scheme + "://" + u.Host + "/api/v3"
	}
	if base, ok := strings.CutSuffix(g.api, "/v3"); ok {
		g.gql = base + "/graphql"
	} else {
		g.gql = g.api + "/graphql"
	}
	c.auth = bearer(o.Token)
	c.hint = func(op string, status int, msg string) string {
		if status == http.StatusForbidden || (status == http.StatusNotFound && strings.Contains(op, "pull")) {
			return "the token needs pull-requests: write and contents: write on " + owner + "/" + repo + " (in a workflow: permissions: pull-requests: write)"
		}
		return ""
	}
	return g, nil
}

func (g *github) Kind() Kind { return GitHub }

func (g *github) url(format string, a ...any) string {
	return g.api + "/repos/" + url.PathEscape(g.owner) + "/" + url.PathEscape(g.repo) + fmt.Sprintf(format, a...)
}

// hubPR is a pull request as GitHub and Gitea (whose API follows
// GitHub's) return it.
type hubPR struct {
	Number  int       `json:"number"`
	HTMLURL string    `json:"html_url"`
	NodeID  string    `json:"node_id"`
	Title   string    `json:"title"`
	Body    string    `json:"body"`
	Draft   bool      `json:"draft"`
	Head    hubBranch `json:"head"`
	Base    hubBranch `json:"base"`
	Labels  []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

// hubBranch is a pull request's head or base: the branch and the
// repository it is in (a fork's, for a fork's pull request).
type hubBranch struct {
	Ref  string `json:"ref"`
	Repo *struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

// sameRepo reports whether p's head branch is in the base repository, not
// in a fork: a fork's branch may have any name, tagbump's included.
func (p *hubPR) sameRepo() bool {
	name := func(b hubBranch) string {
		if b.Repo == nil {
			return ""
		}
		return b.Repo.FullName
	}
	return strings.EqualFold(name(p.Head), name(p.Base))
}

func (p *hubPR) pr() *PR {
	out := &PR{Number: p.Number, URL: p.HTMLURL, id: p.NodeID, Title: p.Title, Body: p.Body, Draft: p.Draft, Head: p.Head.Ref, Base: p.Base.Ref}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.Name)
	}
	return out
}

func (g *github) Check(c Content, autoMerge string) error { return nil }

func (g *github) FindOpen(ctx context.Context, head, base string) (*PR, error) {
	q := url.Values{"state": {"open"}, "head": {g.owner + ":" + head}, "base": {base}}
	var prs []hubPR
	if _, err := g.c.call(ctx, "list pull requests", http.MethodGet, g.url("/pulls?%s", q.Encode()), nil, &prs); err != nil {
		return nil, err
	}
	for _, p := range prs {
		if p.Head.Ref == head && p.Base.Ref == base {
			return p.pr(), nil
		}
	}
	return nil, nil
}

func (g *github) Create(ctx context.Context, head, base string, c Content) (*PR, error) {
	body := map[string]any{"title": c.Title, "body": c.Body, "head": head, "base": base, "draft": c.Draft}
	var p hubPR
	if _, err := g.c.call(ctx, "create pull request", http.MethodPost, g.url("/pulls"), body, &p); err != nil {
		return nil, err
	}
	pr := p.pr()
	if err := g.labels(ctx, pr, c.Labels); err != nil {
		return pr, err
	}
	if len(c.Reviewers) > 0 {
		if _, err := g.c.call(ctx, "request reviewers", http.MethodPost, g.url("/pulls/%d/requested_reviewers", pr.Number), map[string]any{"reviewers": c.Reviewers}, nil); err != nil {
			return pr, err
		}
	}
	if len(c.Assignees) > 0 {
		if _, err := g.c.call(ctx, "add assignees", http.MethodPost, g.url("/issues/%d/assignees", pr.Number), map[string]any{"assignees": c.Assignees}, nil); err != nil {
			return pr, err
		}
	}
	return pr, nil
}

// labels adds labels to pr (GitHub creates missing ones).
func (g *github) labels(ctx context.Context, pr *PR, labels []string) error {
	return addHubLabels(ctx, g.c, g.url("/issues/%d/labels", pr.Number), pr, labels)
}

// addHubLabels adds labels to pr with POST .../issues/N/labels, GitHub's
// and Gitea's endpoint, and keeps the labels the answer lists.
func addHubLabels(ctx context.Context, c *client, url string, pr *PR, labels []string) error {
	if len(missing(pr.Labels, labels)) == 0 {
		return nil
	}
	var out []struct {
		Name string `json:"name"`
	}
	if _, err := c.call(ctx, "add labels", http.MethodPost, url, map[string]any{"labels": labels}, &out); err != nil {
		return err
	}
	pr.Labels = pr.Labels[:0]
	for _, l := range out {
		pr.Labels = append(pr.Labels, l.Name)
	}
	if m := missing(pr.Labels, labels); len(m) > 0 {
		// Gitea ignores names it does not know.
		return &Error{Op: "add labels", Kind: ErrNotFound, Message: "the repository has no label " + strings.Join(m, ", "), Hint: "create the labels in the repository first"}
	}
	return nil
}

// closeHub comments on a pull request and closes it, with GitHub's and
// Gitea's endpoints: POST .../issues/N/comments, PATCH .../pulls/N.
func closeHub(ctx context.Context, c *client, repoURL string, n int, comment string) error {
	if _, err := c.call(ctx, "comment on pull request", http.MethodPost, fmt.Sprintf("%s/issues/%d/comments", repoURL, n), map[string]any{"body": comment}, nil); err != nil {
		return err
	}
	_, err := c.call(ctx, "close pull request", http.MethodPatch, fmt.Sprintf("%s/pulls/%d", repoURL, n), map[string]any{"state": "closed"}, nil)
	return err
}

func (g *github) Update(ctx context.Context, pr *PR, c Content) (*PR, error) {
	out, err := updateHub(ctx, g.c, g.url("/pulls/%d", pr.Number), pr, c.Title, c.Body)
	if err != nil {
		return nil, err
	}
	return out, g.labels(ctx, out, c.Labels)
}

// updateHub sets the title and body of pr with PATCH .../pulls/N (GitHub,
// Gitea) when they differ.
func updateHub(ctx context.Context, c *client, url string, pr *PR, title, body string) (*PR, error) {
	if pr.Title == title && strings.TrimSpace(pr.Body) == strings.TrimSpace(body) {
		return pr, nil
	}
	var p hubPR
	if _, err := c.call(ctx, "update pull request", http.MethodPatch, url, map[string]any{"title": title, "body": body}, &p); err != nil {
		return nil, err
	}
	return p.pr(), nil
}

func (g *github) Close(ctx context.Context, pr *PR, comment string) error {
	return closeHub(ctx, g.c, g.url(""), pr.Number, comment)
}

// AutoMerge enables auto-merge with m.Message as the merge or squash
// commit's commitHeadline (its subject) and commitBody. GitHub offers no
// per pull request deletion of the head branch: the repository setting
// "Automatically delete head branches" (delete_branch_on_merge) does it.
// On a pull request whose auto-merge is already enabled GitHub keeps the
// first request, message and method included, and answers with it: one
// that differs from m is disabled (disablePullRequestAutoMerge) and
// enabled again.
func (g *github) AutoMerge(ctx context.Context, pr *PR, m Merge) error {
	const enable = `mutation($input: EnablePullRequestAutoMergeInput!) {
  enablePullRequestAutoMerge(input: $input) { pullRequest { number autoMergeRequest { commitHeadline commitBody mergeMethod } } }
}`
	const disable = `mutation($input: DisablePullRequestAutoMergeInput!) {
  disablePullRequestAutoMerge(input: $input) { pullRequest { number } }
}`
	input := map[string]any{"pullRequestId": pr.id, "mergeMethod": strings.ToUpper(m.Method)}
	subject, rest := headline(m.Message)
	if subject != "" && m.Method != Rebase {
		input["commitHeadline"], input["commitBody"] = subject, rest
	}
	var out struct {
		Data struct {
			Enable *struct {
				PullRequest struct {
					AutoMergeRequest *struct {
						CommitHeadline *string `json:"commitHeadline"`
						CommitBody     *string `json:"commitBody"`
						MergeMethod    string  `json:"mergeMethod"`
					} `json:"autoMergeRequest"`
				} `json:"pullRequest"`
			} `json:"enablePullRequestAutoMerge"`
		} `json:"data"`
	}
	if err := g.graphQL(ctx, "enable auto-merge", enable, input, &out); err != nil {
		return err
	}
	if out.Data.Enable == nil || out.Data.Enable.PullRequest.AutoMergeRequest == nil {
		return nil
	}
	a := out.Data.Enable.PullRequest.AutoMergeRequest
	same := strings.EqualFold(a.MergeMethod, m.Method)
	if _, ok := input["commitHeadline"]; ok {
		same = same && a.CommitHeadline != nil && strings.TrimSpace(*a.CommitHeadline) == subject &&
			a.CommitBody != nil && strings.TrimSpace(*a.CommitBody) == rest
	}
	if same {
		return nil
	}
	if err := g.graphQL(ctx, "disable auto-merge", disable, map[string]any{"pullRequestId": pr.id}, nil); err != nil {
		return err
	}
	return g.graphQL(ctx, "enable auto-merge", enable, input, nil)
}

// graphQL runs a mutation with one variable, $input, and decodes the
// answer into out (unless nil); GraphQL's errors list becomes an *Error.
func (g *github) graphQL(ctx context.Context, op, query string, input map[string]any, out any) error {
	body := map[string]any{"query": query, "variables": map[string]any{"input": input}}
	var raw json.RawMessage
	if _, err := g.c.call(ctx, op, http.MethodPost, g.gql, body, &raw); err != nil {
		return err
	}
	var errs struct {
		Errors []struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &errs); err != nil {
		return &Error{Op: op, Message: "unexpected answer: " + err.Error(), Kind: ErrServer}
	}
	if len(errs.Errors) > 0 {
		e := &Error{Op: op, Message: errs.Errors[0].Message, Kind: ErrConflict}
		switch errs.Errors[0].Type {
		case "FORBIDDEN":
			e.Kind, e.Hint = ErrPermission, "the token needs pull-requests: write and contents: write"
		case "UNPROCESSABLE":
			e.Hint = "allow auto-merge in the repository settings and protect the base branch with required checks"
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Op: op, Message: "unexpected answer: " + err.Error(), Kind: ErrServer}
		}
	}
	return nil
}

// missing returns the entries of want that have does not hold.
func missing(have, want []string) []string {
	var out []string
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// Inspect reads the token's scopes and permissions and branch's rules:
//   - GET /repos/{owner}/{repo} (docs.github.com/en/rest/repos/repos#get-a-repository):
//     permissions (admin, maintain, push, triage, pull), and the
//     X-OAuth-Scopes header, which only classic tokens get
//     (docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps);
//     fine-grained tokens and app tokens (a workflow's GITHUB_TOKEN) get
//     none;
//   - GET /repos/{owner}/{repo}/branches/{branch}/protection
//     (docs.github.com/en/rest/branches/branch-protection): classic
//     protection, readable with admin access only, 404 "Branch not
//     protected" where there is none;
//   - GET /repos/{owner}/{repo}/rules/branches/{branch}
//     (docs.github.com/en/rest/repos/rules#get-rules-for-a-branch): the
//     rulesets' rules, readable with metadata access.
func (g *github) Inspect(ctx context.Context, branch string) (*Access, error) {
	a := &Access{Branch: BranchRules{Name: branch, Known: true}}
	var repo struct {
		Permissions *struct {
			Admin, Maintain, Push, Triage, Pull bool
		} `json:"permissions"`
	}
	var hdr http.Header
	if _, err := g.c.callHeader(ctx, "read repository", http.MethodGet, g.url(""), nil, &repo, &hdr); err != nil {
		return nil, err
	}
	if v, ok := hdr["X-Oauth-Scopes"]; ok {
		a.Scopes = splitScopes(strings.Join(v, ","))
	} else {
		a.ScopesNote = "not reported: a fine-grained token or an app's token (a workflow's GITHUB_TOKEN) has permissions, not scopes; see the repository permission"
	}
	if p := repo.Permissions; p != nil {
		for _, x := range []struct {
			name string
			on   bool
		}{{"admin", p.Admin}, {"maintain", p.Maintain}, {"push", p.Push}, {"triage", p.Triage}, {"pull", p.Pull}} {
			if x.on {
				a.Permission = x.name
				break
			}
		}
		a.CanPush = ptr(p.Push)
	}
	b := &a.Branch
	var prot struct {
		Reviews *struct {
			Count int `json:"required_approving_review_count"`
		} `json:"required_pull_request_reviews"`
		Signatures *struct {
			Enabled bool `json:"enabled"`
		} `json:"required_signatures"`
		Lock *struct {
			Enabled bool `json:"enabled"`
		} `json:"lock_branch"`
		EnforceAdmins *struct {
			Enabled bool `json:"enabled"`
		} `json:"enforce_admins"`
		Restrictions *struct {
			Users []struct {
				Login string `json:"login"`
			} `json:"users"`
			Teams []struct {
				Slug string `json:"slug"`
			} `json:"teams"`
			Apps []struct {
				Slug string `json:"slug"`
			} `json:"apps"`
		} `json:"restrictions"`
	}
	status, err := g.c.call(ctx, "read branch protection", http.MethodGet, g.url("/branches/%s/protection", url.PathEscape(branch)), nil, &prot, http.StatusForbidden)
	var e *Error
	switch {
	case errors.As(err, &e) && e.Status == http.StatusNotFound && strings.Contains(e.Message, "Branch not protected"):
		status = 0 // no classic protection; rulesets may still apply
	case errors.As(err, &e) && e.Status == http.StatusNotFound:
		status = http.StatusForbidden // how GitHub answers a token without admin access
	case err != nil:
		return nil, err
	}
	switch status {
	case 0: // only rulesets, read below
	case http.StatusForbidden:
		// The rules below are readable by all.
		// The branch itself says whether something protects it
		// (docs.github.com/en/rest/branches/branches#get-a-branch).
		var br struct {
			Protected bool `json:"protected"`
		}
		if _, err := g.c.call(ctx, "read branch", http.MethodGet, g.url("/branches/%s", url.PathEscape(branch)), nil, &br); err != nil {
			return nil, err
		}
		if br.Protected {
			b.Protected, b.Known = true, false
			b.Note = "the branch is protected; its classic protection is readable with admin access only (rulesets are shown)"
		}
	default:
		b.Protected = true
		if prot.Reviews != nil {
			b.PullRequest, b.Approvals = true, prot.Reviews.Count
		}
		b.Signed = prot.Signatures != nil && prot.Signatures.Enabled
		b.PushRefused = b.PullRequest || prot.Lock != nil && prot.Lock.Enabled
		if r := prot.Restrictions; r != nil {
			var who []string
			for _, u := range r.Users {
				who = append(who, u.Login)
			}
			for _, t := range r.Teams {
				who = append(who, "team "+t.Slug)
			}
			for _, x := range r.Apps {
				who = append(who, "app "+x.Slug)
			}
			b.Pushers = strings.Join(who, ", ")
			if b.Pushers == "" {
				b.Pushers, b.PushRefused = "nobody", true
			}
		}
		if repo.Permissions != nil && repo.Permissions.Admin && (prot.EnforceAdmins == nil || !prot.EnforceAdmins.Enabled) {
			// Classic protection applies to admins only with
			// enforce_admins ("Do not allow bypassing the above
			// settings"): this admin token pushes past it.
			b.Signed, b.PushRefused, b.Pushers = false, false, ""
			b.Note = "its classic protection does not apply to admins (enforce_admins is off), and this token is an admin's: it may push directly"
		}
	}
	var rules []struct {
		Type       string `json:"type"`
		Parameters *struct {
			Count int `json:"required_approving_review_count"`
		} `json:"parameters"`
	}
	if _, err := g.c.call(ctx, "read branch rules", http.MethodGet, g.url("/rules/branches/%s?per_page=100", url.PathEscape(branch)), nil, &rules); err != nil {
		return nil, err
	}
	for _, r := range rules {
		switch r.Type {
		case "pull_request":
			b.Protected, b.PullRequest, b.PushRefused = true, true, true
			if r.Parameters != nil {
				b.Approvals = max(b.Approvals, r.Parameters.Count)
			}
		case "required_signatures":
			b.Protected, b.Signed = true, true
		case "update":
			b.Protected, b.PushRefused = true, true
			b.Pushers = "the ruleset's bypass list"
		case "non_fast_forward", "deletion", "required_linear_history", "required_status_checks", "creation":
			b.Protected = true
		}
	}
	return a, nil
}

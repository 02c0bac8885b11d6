package forge

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// azure speaks the Azure DevOps Services REST API 7.1
// (learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-requests:
// get-pull-requests, create, update with status abandoned and
// autoCompleteSetBy; pull-request-labels/create;
// pull-request-threads/create). Azure's own Go module
// (github.com/microsoft/azure-devops-go-api) is not used: it covers every
// service area and would carry far more code than these five requests.
type azure struct {
	c       *client
	api     string // .../_apis/git/repositories/<repo>
	web     string // the repository's web URL
	project string
}

const azureVersion = "api-version=7.1"

func newAzure(c *client, u *url.URL, o Options) (Forge, error) {
	p := strings.Trim(u.Path, "/")
	i := strings.Index(p, "/_git/")
	if i < 0 || strings.Contains(p[i+len("/_git/"):], "/") {
		return nil, &Error{Op: "pull request for " + u.Redacted(), Kind: ErrUnsupported, Hint: "an Azure DevOps URL looks like https://dev.azure.com/ORG/PROJECT/_git/REPO"}
	}
	prefix, repo := p[:i], p[i+len("/_git/"):]
	a := &azure{c: c, project: prefix}
	root := u.Scheme + "://" + u.Host
	a.web = root + "/" + prefix + "/_git/" + repo
	a.api = root + "/" + prefix + "/_apis/git/repositories/" + url.PathEscape(repo)
	if o.APIURL != "" {
		a.api = strings.TrimSuffix(o.APIURL, "/") + "/" + prefix + "/_apis/git/repositories/" + url.PathEscape(repo)
	}
	user, token := o.User, o.Token
	c.auth = func(r *http.Request) {
		if token != "" {
			r.SetBasicAuth(user, token) // a PAT or the job's System.AccessToken
		}
	}
	c.hint = func(op string, status int, msg string) string {
		if status == http.StatusForbidden || strings.Contains(msg, "TF401027") {
			return "give the pipeline's build identity \"Contribute to pull requests\" on the repository (Project settings > Repositories > Security)"
		}
		return ""
	}
	return a, nil
}

func (a *azure) Kind() Kind { return Azure }

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (a *azure) Check(c Content, autoMerge string) error {
	if len(c.Assignees) > 0 {
		return &Error{Op: "pull request", Kind: ErrUnsupported, Hint: "Azure DevOps pull requests have no assignees: use --pr-reviewer"}
	}
	for _, r := range c.Reviewers {
		if !guid.MatchString(r) {
			return &Error{Op: "pull request reviewer " + r, Kind: ErrUnsupported, Hint: "Azure DevOps takes reviewers by identity ID (a GUID)"}
		}
	}
	return nil
}

type azurePR struct {
	ID            int    `json:"pullRequestId"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	IsDraft       bool   `json:"isDraft"`
	SourceRefName string `json:"sourceRefName"`
	TargetRefName string `json:"targetRefName"`
	Labels        []struct {
		Name string `json:"name"`
	} `json:"labels"`
	CreatedBy struct {
		ID string `json:"id"`
	} `json:"createdBy"`
	// ForkSource is set on a fork's pull request.
	ForkSource *struct {
		Name string `json:"name"`
	} `json:"forkSource"`
}

func (a *azure) pr(p *azurePR) *PR {
	out := &PR{Number: p.ID, URL: fmt.Sprintf("%s/pullrequest/%d", a.web, p.ID), Title: p.Title, Body: p.Description, Draft: p.IsDraft,
		Head: strings.TrimPrefix(p.SourceRefName, "refs/heads/"), Base: strings.TrimPrefix(p.TargetRefName, "refs/heads/"), id: p.CreatedBy.ID}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.Name)
	}
	return out
}

// FindOpen lists the active pull requests from head to base and returns
// one that is not from a fork (forkSource): a fork's branch may have any
// name, tagbump's included.
func (a *azure) FindOpen(ctx context.Context, head, base string) (*PR, error) {
	q := url.Values{
		"searchCriteria.sourceRefName": {"refs/heads/" + head},
		"searchCriteria.targetRefName": {"refs/heads/" + base},
		"searchCriteria.status":        {"active"},
	}
	var out struct {
		Value []azurePR `json:"value"`
	}
	if _, err := a.c.call(ctx, "list pull requests", http.MethodGet, a.api+"/pullrequests?"+q.Encode()+"&"+azureVersion, nil, &out); err != nil {
		return nil, err
	}
	for i := range out.Value {
		p := a.pr(&out.Value[i])
		if p.Head == head && p.Base == base && out.Value[i].ForkSource == nil {
			// The list cuts descriptions to 400 characters; the pull
			// request by its id has the whole (and tagbump's marker,
			// at its end).
			var full azurePR
			if _, err := a.c.call(ctx, "read pull request", http.MethodGet, fmt.Sprintf("%s/pullrequests/%d?%s", a.api, p.Number, azureVersion), nil, &full); err != nil {
				return nil, err
			}
			return a.pr(&full), nil
		}
	}
	return nil, nil
}

func (a *azure) Create(ctx context.Context, head, base string, c Content) (*PR, error) {
	body := map[string]any{
		"sourceRefName": "refs/heads/" + head, "targetRefName": "refs/heads/" + base,
		"title": c.Title, "description": c.Body, "isDraft": c.Draft,
	}
	if len(c.Labels) > 0 {
		var labels []map[string]string
		for _, l := range c.Labels {
			labels = append(labels, map[string]string{"name": l})
		}
		body["labels"] = labels
	}
	if len(c.Reviewers) > 0 {
		var rs []map[string]string
		for _, r := range c.Reviewers {
			rs = append(rs, map[string]string{"id": r})
		}
		body["reviewers"] = rs
	}
	var p azurePR
	if _, err := a.c.call(ctx, "create pull request", http.MethodPost, a.api+"/pullrequests?"+azureVersion, body, &p); err != nil {
		return nil, err
	}
	return a.pr(&p), nil
}

func (a *azure) Update(ctx context.Context, pr *PR, c Content) (*PR, error) {
	out := pr
	if pr.Title != c.Title || strings.TrimSpace(pr.Body) != strings.TrimSpace(c.Body) {
		var p azurePR
		if _, err := a.c.call(ctx, "update pull request", http.MethodPatch, fmt.Sprintf("%s/pullrequests/%d?%s", a.api, pr.Number, azureVersion),
			map[string]any{"title": c.Title, "description": c.Body}, &p); err != nil {
			return nil, err
		}
		out = a.pr(&p)
	}
	for _, l := range missing(out.Labels, c.Labels) {
		if _, err := a.c.call(ctx, "add label", http.MethodPost, fmt.Sprintf("%s/pullRequests/%d/labels?%s", a.api, pr.Number, azureVersion), map[string]any{"name": l}, nil); err != nil {
			return nil, err
		}
		out.Labels = append(out.Labels, l)
	}
	return out, nil
}

func (a *azure) Close(ctx context.Context, pr *PR, comment string) error {
	thread := map[string]any{
		"comments": []map[string]any{{"parentCommentId": 0, "content": comment, "commentType": 1}},
		"status":   "closed",
	}
	if _, err := a.c.call(ctx, "comment on pull request", http.MethodPost, fmt.Sprintf("%s/pullRequests/%d/threads?%s", a.api, pr.Number, azureVersion), thread, nil); err != nil {
		return err
	}
	_, err := a.c.call(ctx, "abandon pull request", http.MethodPatch, fmt.Sprintf("%s/pullrequests/%d?%s", a.api, pr.Number, azureVersion), map[string]any{"status": "abandoned"}, nil)
	return err
}

// AutoMerge sets auto-complete, in the name of the PR's creator (the
// token's identity: tagbump created it), with m.Message as the merge or
// squash commit's message, deleting the source branch (tagbump's) on
// completion.
func (a *azure) AutoMerge(ctx context.Context, pr *PR, m Merge) error {
	strategy := map[string]string{MergeCommit: "noFastForward", Squash: "squash", Rebase: "rebase"}[m.Method]
	options := map[string]any{"mergeStrategy": strategy, "deleteSourceBranch": true}
	if msg := strings.TrimSpace(m.Message); msg != "" && m.Method != Rebase {
		options["mergeCommitMessage"] = msg
	}
	body := map[string]any{"autoCompleteSetBy": map[string]string{"id": pr.id}, "completionOptions": options}
	_, err := a.c.call(ctx, "set auto-complete", http.MethodPatch, fmt.Sprintf("%s/pullrequests/%d?%s", a.api, pr.Number, azureVersion), body, nil)
	return err
}

// azureMinReviewers is the policy type "Minimum number of reviewers"
// (learn.microsoft.com/en-us/azure/devops/repos/git/branch-policies).
const azureMinReviewers = "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd"

// azurePRPolicies are the policy types that govern pull requests into a
// branch (learn.microsoft.com/en-us/azure/devops/repos/git/branch-policies):
// a required one makes Azure Repos refuse direct pushes to it. The
// repository-wide Git policies (file size, path length, reserved names,
// commit author email) check pushes instead and are not among them.
var azurePRPolicies = map[string]bool{
	azureMinReviewers:                      true, // Minimum number of reviewers
	"0609b952-1397-4640-95ec-e00a01b2c241": true, // Build
	"fd2167ab-b0be-447a-8ec8-39368250530e": true, // Required reviewers
	"c6a1889d-b943-4856-b76f-9e46bb6b0df2": true, // Comment requirements
	"40e92b44-2fe1-4dd6-b3d8-74a9c21d0c6e": true, // Work item linking
	"fa4e907d-c16b-4a4c-9dfa-4916e5d171ab": true, // Require a merge strategy
	"cbdc66da-9728-4af8-aada-9a5a32e4a226": true, // Status
}

// Inspect reads branch's policies: GET .../_apis/git/repositories/{name}
// for the repository's id, then GET .../_apis/git/policy/configurations
// with repositoryId and refName (learn.microsoft.com/en-us/rest/api/azure/devops/git/policy-configurations/get),
// the policies that apply to the branch. A branch with an enabled,
// blocking policy takes changes through pull requests only: Azure DevOps
// refuses direct pushes to it (TF402455). Azure DevOps has no rule for
// signed commits, and its API does not tell a token's scopes.
func (a *azure) Inspect(ctx context.Context, branch string) (*Access, error) {
	out := &Access{Branch: BranchRules{Name: branch, Known: true}, ScopesNote: notReported("Azure DevOps")}
	var repo struct {
		ID string `json:"id"`
	}
	if _, err := a.c.call(ctx, "read repository", http.MethodGet, a.api+"?"+azureVersion, nil, &repo); err != nil {
		return nil, err
	}
	root := a.api[:strings.LastIndex(a.api, "/repositories/")] // .../_apis/git
	q := url.Values{"repositoryId": {repo.ID}, "refName": {"refs/heads/" + branch}}
	var list struct {
		Value []struct {
			IsEnabled  bool `json:"isEnabled"`
			IsBlocking bool `json:"isBlocking"`
			IsDeleted  bool `json:"isDeleted"`
			Type       struct {
				ID          string `json:"id"`
				DisplayName string `json:"displayName"`
			} `json:"type"`
			Settings struct {
				MinimumApproverCount int `json:"minimumApproverCount"`
			} `json:"settings"`
		} `json:"value"`
	}
	if _, err := a.c.call(ctx, "read branch policies", http.MethodGet, root+"/policy/configurations?"+q.Encode()+"&"+azureVersion, nil, &list); err != nil {
		return nil, err
	}
	b := &out.Branch
	var names []string
	for _, p := range list.Value {
		if !p.IsEnabled || p.IsDeleted || !azurePRPolicies[strings.ToLower(p.Type.ID)] {
			continue
		}
		b.Protected = true
		if p.IsBlocking {
			b.PullRequest, b.PushRefused = true, true
			names = append(names, p.Type.DisplayName)
		}
		if strings.EqualFold(p.Type.ID, azureMinReviewers) {
			b.Approvals = max(b.Approvals, p.Settings.MinimumApproverCount)
		}
	}
	if b.PushRefused {
		b.Pushers = "nobody: required policies (" + strings.Join(names, ", ") + ")"
	}
	return out, nil
}

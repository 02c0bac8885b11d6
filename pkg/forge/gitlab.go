package forge

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// gitlab speaks GitLab's REST API v4 (docs.gitlab.com/api/merge_requests:
// list, create, update, merge with auto_merge; docs.gitlab.com/api/notes
// for the closing comment; docs.gitlab.com/api/users to find reviewer and
// assignee IDs).
type gitlab struct {
	c        *client
	api      string // .../api/v4/projects/<url-encoded path>
	base     string // .../api/v4
	jobToken bool
}

func newGitLab(c *client, u *url.URL, o Options) (Forge, error) {
	path := repoPath(u)
	if !strings.Contains(path, "/") {
		return nil, &Error{Op: "merge request for " + u.Redacted(), Kind: ErrUnsupported, Hint: "the URL does not end in GROUP/PROJECT"}
	}
	g := &gitlab{c: c, base: u.Scheme + "://" + u.Host + "/api/v4", jobToken: o.User == "gitlab-ci-token"}
	if o.APIURL != "" {
		g.base = strings.TrimSuffix(o.APIURL, "/")
	}
	g.api = g.base + "/projects/" + url.PathEscape(path)
	token := o.Token
	c.auth = func(r *http.Request) {
		if token != "" {
			r.Header.Set("PRIVATE-TOKEN", token)
		}
	}
	c.hint = func(op string, status int, msg string) string {
		if status == http.StatusForbidden || status == http.StatusNotFound {
			return "the token needs the api scope and at least the Developer role on " + path
		}
		return ""
	}
	return g, nil
}

func (g *gitlab) Kind() Kind { return GitLab }

func (g *gitlab) Check(c Content, autoMerge string) error {
	if g.jobToken {
		return &Error{Op: "merge request", Kind: ErrPermission,
			Hint: "GitLab's CI_JOB_TOKEN cannot open merge requests: put a project access token with the api scope (role Developer) in TAGBUMP_GIT_TOKEN"}
	}
	if autoMerge == Rebase {
		return &Error{Op: "auto-merge", Kind: ErrUnsupported, Hint: "GitLab sets the merge method per project: use --merge-method merge or squash"}
	}
	return nil
}

const gitlabDraft = "Draft: "

type gitlabMR struct {
	IID          int      `json:"iid"`
	WebURL       string   `json:"web_url"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Draft        bool     `json:"draft"`
	Labels       []string `json:"labels"`
	SourceBranch string   `json:"source_branch"`
	TargetBranch string   `json:"target_branch"`
	// SourceProjectID differs from TargetProjectID for a fork's merge
	// request.
	SourceProjectID int `json:"source_project_id"`
	TargetProjectID int `json:"target_project_id"`
}

func (m *gitlabMR) pr() *PR {
	title := strings.TrimPrefix(m.Title, gitlabDraft)
	return &PR{Number: m.IID, URL: m.WebURL, Title: title, Body: m.Description, Draft: m.Draft, Labels: m.Labels, Head: m.SourceBranch, Base: m.TargetBranch}
}

// FindOpen lists the open merge requests from head to base and returns the
// one whose source project is the target project: a fork's merge request
// is not tagbump's, whatever its branch's name.
func (g *gitlab) FindOpen(ctx context.Context, head, base string) (*PR, error) {
	q := url.Values{"state": {"opened"}, "source_branch": {head}, "target_branch": {base}}
	var mrs []gitlabMR
	if _, err := g.c.call(ctx, "list merge requests", http.MethodGet, g.api+"/merge_requests?"+q.Encode(), nil, &mrs); err != nil {
		return nil, err
	}
	for _, m := range mrs {
		if m.SourceBranch == head && m.TargetBranch == base && m.SourceProjectID == m.TargetProjectID {
			return m.pr(), nil
		}
	}
	return nil, nil
}

// userIDs looks up user names.
func (g *gitlab) userIDs(ctx context.Context, names []string) ([]int, error) {
	var ids []int
	for _, n := range names {
		var users []struct {
			ID int `json:"id"`
		}
		if _, err := g.c.call(ctx, "find user "+n, http.MethodGet, g.base+"/users?"+url.Values{"username": {n}}.Encode(), nil, &users); err != nil {
			return nil, err
		}
		if len(users) == 0 {
			return nil, &Error{Op: "find user " + n, Kind: ErrNotFound, Hint: "check --pr-reviewer and --pr-assignee"}
		}
		ids = append(ids, users[0].ID)
	}
	return ids, nil
}

func (g *gitlab) Create(ctx context.Context, head, base string, c Content) (*PR, error) {
	title := c.Title
	if c.Draft {
		title = gitlabDraft + title
	}
	// The source branch is tagbump's: GitLab removes it once merged,
	// however the merge request is merged.
	body := map[string]any{"source_branch": head, "target_branch": base, "title": title, "description": c.Body, "remove_source_branch": true}
	if len(c.Labels) > 0 {
		body["labels"] = strings.Join(c.Labels, ",")
	}
	for _, f := range []struct {
		key   string
		names []string
	}{{"reviewer_ids", c.Reviewers}, {"assignee_ids", c.Assignees}} {
		if len(f.names) == 0 {
			continue
		}
		ids, err := g.userIDs(ctx, f.names)
		if err != nil {
			return nil, err
		}
		body[f.key] = ids
	}
	var m gitlabMR
	if _, err := g.c.call(ctx, "create merge request", http.MethodPost, g.api+"/merge_requests", body, &m); err != nil {
		return nil, err
	}
	return m.pr(), nil
}

func (g *gitlab) Update(ctx context.Context, pr *PR, c Content) (*PR, error) {
	body := map[string]any{}
	if pr.Title != c.Title || strings.TrimSpace(pr.Body) != strings.TrimSpace(c.Body) {
		title := c.Title
		if pr.Draft {
			title = gitlabDraft + title
		}
		body["title"], body["description"] = title, c.Body
	}
	if add := missing(pr.Labels, c.Labels); len(add) > 0 {
		body["add_labels"] = strings.Join(add, ",")
	}
	if len(body) == 0 {
		return pr, nil
	}
	var m gitlabMR
	if _, err := g.c.call(ctx, "update merge request", http.MethodPut, fmt.Sprintf("%s/merge_requests/%d", g.api, pr.Number), body, &m); err != nil {
		return nil, err
	}
	return m.pr(), nil
}

func (g *gitlab) Close(ctx context.Context, pr *PR, comment string) error {
	if _, err := g.c.call(ctx, "comment on merge request", http.MethodPost, fmt.Sprintf("%s/merge_requests/%d/notes", g.api, pr.Number), map[string]any{"body": comment}, nil); err != nil {
		return err
	}
	_, err := g.c.call(ctx, "close merge request", http.MethodPut, fmt.Sprintf("%s/merge_requests/%d", g.api, pr.Number), map[string]any{"state_event": "close"}, nil)
	return err
}

// AutoMerge sets auto-merge with m.Message as the merge commit's message
// and, when squashing, the squash commit's, and has GitLab remove the
// source branch once merged. GitLab keeps an auto-merge that is already
// set as it was set, messages included, though the merge request now
// proposes something else: it is cancelled first
// (POST .../cancel_merge_when_pipeline_succeeds; 406 when none is set).
func (g *gitlab) AutoMerge(ctx context.Context, pr *PR, m Merge) error {
	if _, err := g.c.call(ctx, "cancel auto-merge", http.MethodPost, fmt.Sprintf("%s/merge_requests/%d/cancel_merge_when_pipeline_succeeds", g.api, pr.Number), nil, nil, http.StatusNotAcceptable); err != nil {
		return err
	}
	body := map[string]any{"auto_merge": true, "should_remove_source_branch": true}
	if msg := strings.TrimSpace(m.Message); msg != "" {
		body["merge_commit_message"] = msg
		if m.Method == Squash {
			body["squash_commit_message"] = msg
		}
	}
	if m.Method == Squash {
		body["squash"] = true
	}
	_, err := g.c.call(ctx, "enable auto-merge", http.MethodPut, fmt.Sprintf("%s/merge_requests/%d/merge", g.api, pr.Number), body, nil)
	return err
}

// gitlabRoles names GitLab's access levels (docs.gitlab.com/api/members#roles).
var gitlabRoles = map[int]string{0: "No one", 5: "Minimal access", 10: "Guest", 15: "Planner", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner", 60: "Admin"}

// Inspect reads the token's scopes and role and branch's protection:
//   - GET /personal_access_tokens/self (docs.gitlab.com/api/personal_access_tokens#get-details-on-a-personal-access-token):
//     scopes; a CI job token or an OAuth token has no such details;
//   - GET /projects/:id (docs.gitlab.com/api/projects#get-a-single-project):
//     permissions.project_access and group_access, the token's role;
//   - GET /projects/:id/protected_branches/:name (docs.gitlab.com/api/protected_branches):
//     404 where the branch is not protected, else push_access_levels;
//   - GET /projects/:id/push_rule (docs.gitlab.com/api/project_push_rules):
//     reject_unsigned_commits (GitLab Premium; 404 without push rules).
func (g *gitlab) Inspect(ctx context.Context, branch string) (*Access, error) {
	a := &Access{Branch: BranchRules{Name: branch, Known: true}}
	var tok struct {
		Scopes []string `json:"scopes"`
	}
	status, err := g.c.call(ctx, "read token", http.MethodGet, g.base+"/personal_access_tokens/self", nil, &tok, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	if status == http.StatusOK {
		a.Scopes = append([]string{}, tok.Scopes...)
	} else {
		a.ScopesNote = "not reported: a CI job token or an OAuth token has no token details"
	}
	type role struct {
		Level int `json:"access_level"`
	}
	var proj struct {
		Permissions struct {
			Project *role `json:"project_access"`
			Group   *role `json:"group_access"`
		} `json:"permissions"`
	}
	if _, err := g.c.call(ctx, "read project", http.MethodGet, g.api, nil, &proj); err != nil {
		return nil, err
	}
	level := -1
	for _, x := range []*role{proj.Permissions.Project, proj.Permissions.Group} {
		if x != nil {
			level = max(level, x.Level)
		}
	}
	if level >= 0 {
		a.Permission = gitlabRoles[level]
		a.CanPush = ptr(level >= 30)
	}
	b := &a.Branch
	rules, err := g.protections(ctx, branch)
	if err != nil {
		return nil, err
	}
	var who []string
	for _, pb := range rules {
		// Where several rules match, the most restrictive applies
		// (docs.gitlab.com/user/project/repository/branches/protected).
		b.Protected = true
		refused := true
		for _, p := range pb.Push {
			who = append(who, p.Description)
			switch {
			case p.UserID != nil || p.GroupID != nil || p.DeployKeyID != nil:
				refused = false // a named user, group or key: maybe this token's
			case p.Level > 0 && level >= p.Level:
				refused = false
			}
		}
		b.PushRefused = b.PushRefused || refused
	}
	b.Pushers = strings.Join(who, ", ")
	b.PullRequest = b.PushRefused
	var rule struct {
		Unsigned bool `json:"reject_unsigned_commits"`
	}
	status, err = g.c.call(ctx, "read push rules", http.MethodGet, g.api+"/push_rule", nil, &rule, http.StatusNotFound, http.StatusForbidden)
	if err != nil {
		return nil, err
	}
	if status == http.StatusOK && rule.Unsigned {
		b.Protected, b.Signed = true, true
	}
	return a, nil
}

// gitlabProtection is a protected branch rule as GitLab's API lists it.
type gitlabProtection struct {
	Name string `json:"name"`
	Push []struct {
		Level       int    `json:"access_level"`
		Description string `json:"access_level_description"`
		UserID      *int   `json:"user_id"`
		GroupID     *int   `json:"group_id"`
		DeployKeyID *int   `json:"deploy_key_id"`
	} `json:"push_access_levels"`
}

// protections returns the protected branch rules that match branch: its
// own (GET protected_branches/:name finds a rule by its name), else those
// whose wildcard pattern matches it, from the list of every rule (GET
// protected_branches, docs.gitlab.com/api/protected_branches), as GitLab
// matches them: '*' stands for any characters.
func (g *gitlab) protections(ctx context.Context, branch string) ([]gitlabProtection, error) {
	var own gitlabProtection
	status, err := g.c.call(ctx, "read protected branch", http.MethodGet, g.api+"/protected_branches/"+url.PathEscape(branch), nil, &own, http.StatusNotFound)
	if err != nil || status == http.StatusOK {
		return []gitlabProtection{own}, err
	}
	var out []gitlabProtection
	for page := 1; page <= maxPages; page++ {
		var list []gitlabProtection
		if _, err := g.c.call(ctx, "list protected branches", http.MethodGet, fmt.Sprintf("%s/protected_branches?per_page=100&page=%d", g.api, page), nil, &list); err != nil {
			return nil, err
		}
		for _, p := range list {
			if strings.Contains(p.Name, "*") && wildcardMatch(p.Name, branch) {
				out = append(out, p)
			}
		}
		if len(list) < 100 {
			break
		}
	}
	return out, nil
}

// wildcardMatch reports whether name matches pattern, where '*' matches
// any characters (slashes too) and every other character itself.
func wildcardMatch(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(name) < len(first)+len(last) || !strings.HasPrefix(name, first) || !strings.HasSuffix(name, last) {
		return false
	}
	name = name[len(first) : len(name)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(name, p)
		if i < 0 {
			return false
		}
		name = name[i+len(p):]
	}
	return true
}

package forge

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// bitbucket speaks the Bitbucket Cloud REST API 2.0
// (developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests:
// list, create, update, decline, create a comment). Bitbucket pull
// requests have no labels, no assignees and no auto-merge; reviewers are
// account UUIDs.
type bitbucket struct {
	c   *client
	api string // .../2.0/repositories/<workspace>/<repo>
}

func newBitbucket(c *client, u *url.URL, o Options) (Forge, error) {
	_, ws, repo, err := ownerRepo(u)
	if err != nil {
		return nil, err
	}
	base := "https://api.bitbucket.org/2.0"
	if o.APIURL != "" {
		base = strings.TrimSuffix(o.APIURL, "/")
	}
	b := &bitbucket{c: c, api: base + "/repositories/" + url.PathEscape(ws) + "/" + url.PathEscape(repo)}
	user, token := o.User, o.Token
	c.auth = func(r *http.Request) {
		switch {
		case token == "":
		case user == "" || user == "x-token-auth" || user == "x-access-token" || user == "tagbump":
			r.Header.Set("Authorization", "Bearer "+token) // a repository or workspace access token
		default:
			r.SetBasicAuth(user, token) // an app password
		}
	}
	c.hint = func(op string, status int, msg string) string {
		if status == http.StatusForbidden {
			return "the token needs the pullrequest:write scope on " + ws + "/" + repo
		}
		return ""
	}
	return b, nil
}

func (b *bitbucket) Kind() Kind { return Bitbucket }

func (b *bitbucket) Check(c Content, autoMerge string) error {
	switch {
	case autoMerge != "":
		return &Error{Op: "auto-merge", Kind: ErrUnsupported, Hint: "Bitbucket Cloud has no auto-merge: drop --auto-merge"}
	case len(c.Labels) > 0:
		return &Error{Op: "pull request labels", Kind: ErrUnsupported, Hint: "Bitbucket Cloud pull requests have no labels: drop --pr-label"}
	case len(c.Assignees) > 0:
		return &Error{Op: "pull request assignees", Kind: ErrUnsupported, Hint: "Bitbucket Cloud pull requests have no assignees: use --pr-reviewer"}
	}
	for _, r := range c.Reviewers {
		if !strings.HasPrefix(r, "{") || !strings.HasSuffix(r, "}") {
			return &Error{Op: "pull request reviewer " + r, Kind: ErrUnsupported, Hint: "Bitbucket Cloud takes reviewers by account UUID, e.g. {0a1b...}"}
		}
	}
	return nil
}

type bitbucketPR struct {
	ID          int          `json:"id"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Draft       bool         `json:"draft"`
	Source      bitbucketEnd `json:"source"`
	Destination bitbucketEnd `json:"destination"`
	Links       struct {
		HTML struct {
			Href string `json:"href"`
		} `json:"html"`
	} `json:"links"`
}

// bitbucketEnd is a pull request's source or destination: a branch of a
// repository (the fork's, for a fork's pull request).
type bitbucketEnd struct {
	Branch struct {
		Name string `json:"name"`
	} `json:"branch"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

func (p *bitbucketPR) pr() *PR {
	return &PR{Number: p.ID, URL: p.Links.HTML.Href, Title: p.Title, Body: p.Description, Draft: p.Draft, Head: p.Source.Branch.Name, Base: p.Destination.Branch.Name}
}

// FindOpen lists the open pull requests from head to base and returns the
// one whose source repository is the destination's: a fork's pull request
// is not tagbump's, whatever its branch's name.
func (b *bitbucket) FindOpen(ctx context.Context, head, base string) (*PR, error) {
	q := url.Values{"state": {"OPEN"}, "q": {fmt.Sprintf("source.branch.name=%q AND destination.branch.name=%q", head, base)}}
	var out struct {
		Values []bitbucketPR `json:"values"`
	}
	if _, err := b.c.call(ctx, "list pull requests", http.MethodGet, b.api+"/pullrequests?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	for i := range out.Values {
		v := &out.Values[i]
		if p := v.pr(); p.Head == head && p.Base == base && strings.EqualFold(v.Source.Repository.FullName, v.Destination.Repository.FullName) {
			return p, nil
		}
	}
	return nil, nil
}

func branchRef(name string) map[string]any {
	return map[string]any{"branch": map[string]string{"name": name}}
}

func (b *bitbucket) Create(ctx context.Context, head, base string, c Content) (*PR, error) {
	// close_source_branch: the source branch is tagbump's, Bitbucket
	// deletes it once the pull request is merged.
	body := map[string]any{"title": c.Title, "description": c.Body, "source": branchRef(head), "destination": branchRef(base), "draft": c.Draft, "close_source_branch": true}
	if len(c.Reviewers) > 0 {
		var rs []map[string]string
		for _, r := range c.Reviewers {
			rs = append(rs, map[string]string{"uuid": r})
		}
		body["reviewers"] = rs
	}
	var p bitbucketPR
	if _, err := b.c.call(ctx, "create pull request", http.MethodPost, b.api+"/pullrequests", body, &p); err != nil {
		return nil, err
	}
	return p.pr(), nil
}

func (b *bitbucket) Update(ctx context.Context, pr *PR, c Content) (*PR, error) {
	if pr.Title == c.Title && strings.TrimSpace(pr.Body) == strings.TrimSpace(c.Body) {
		return pr, nil
	}
	var p bitbucketPR
	if _, err := b.c.call(ctx, "update pull request", http.MethodPut, fmt.Sprintf("%s/pullrequests/%d", b.api, pr.Number), map[string]any{"title": c.Title, "description": c.Body}, &p); err != nil {
		return nil, err
	}
	return p.pr(), nil
}

func (b *bitbucket) Close(ctx context.Context, pr *PR, comment string) error {
	if _, err := b.c.call(ctx, "comment on pull request", http.MethodPost, fmt.Sprintf("%s/pullrequests/%d/comments", b.api, pr.Number), map[string]any{"content": map[string]string{"raw": comment}}, nil); err != nil {
		return err
	}
	_, err := b.c.call(ctx, "decline pull request", http.MethodPost, fmt.Sprintf("%s/pullrequests/%d/decline", b.api, pr.Number), nil, nil)
	return err
}

func (b *bitbucket) AutoMerge(ctx context.Context, pr *PR, m Merge) error {
	return &Error{Op: "auto-merge", Kind: ErrUnsupported, Hint: "Bitbucket Cloud has no auto-merge"}
}

// Inspect reads the token's scopes and branch's restrictions:
//   - GET /repositories/{workspace}/{repo} and its X-OAuth-Scopes header,
//     which Bitbucket Cloud sends to OAuth and access tokens
//     (developer.atlassian.com/cloud/bitbucket/rest/intro/#authentication);
//     an app password's answer has none;
//   - GET /repositories/{workspace}/{repo}/branch-restrictions
//     (developer.atlassian.com/cloud/bitbucket/rest/api-group-branch-restrictions):
//     kind push (only the users and groups listed may push),
//     require_approvals_to_merge (value), for the rules whose glob pattern
//     matches branch; readable with repository:admin only;
//   - GET /repositories/{workspace}/{repo}/branching-model
//     (developer.atlassian.com/cloud/bitbucket/rest/api-group-branching-model),
//     for a rule with branch_match_kind branching_model: its branch_type
//     names the development or production branch, or a kind of branch
//     (feature, bugfix, release, hotfix) by its prefix.
//
// Bitbucket Cloud has no rule for signed commits.
func (b *bitbucket) Inspect(ctx context.Context, branch string) (*Access, error) {
	out := &Access{Branch: BranchRules{Name: branch, Known: true}}
	var hdr http.Header
	var repo struct {
		Main struct {
			Name string `json:"name"`
		} `json:"mainbranch"`
	}
	if _, err := b.c.callHeader(ctx, "read repository", http.MethodGet, b.api, nil, &repo, &hdr); err != nil {
		return nil, err
	}
	if v, ok := hdr["X-Oauth-Scopes"]; ok {
		out.Scopes = splitScopes(strings.Join(v, ","))
	} else {
		out.ScopesNote = "not reported: Bitbucket names scopes only to OAuth and access tokens"
	}
	br := &out.Branch
	type restriction struct {
		Kind       string `json:"kind"`
		MatchKind  string `json:"branch_match_kind"`
		Pattern    string `json:"pattern"`
		BranchType string `json:"branch_type"`
		Value      *int   `json:"value"`
		Users      []struct {
			DisplayName string `json:"display_name"`
		} `json:"users"`
		Groups []struct {
			Name string `json:"name"`
		} `json:"groups"`
	}
	var model *bitbucketModel // read at the first branching_model rule
	next := b.api + "/branch-restrictions?pagelen=100"
	for page := 0; next != "" && page < maxPages; page++ {
		var list struct {
			Values []restriction `json:"values"`
			Next   string        `json:"next"`
		}
		status, err := b.c.call(ctx, "read branch restrictions", http.MethodGet, next, nil, &list, http.StatusForbidden)
		if err != nil {
			return nil, err
		}
		if status == http.StatusForbidden {
			br.Known = false
			br.Note = "branch restrictions are readable with the repository:admin scope only"
			return out, nil
		}
		for _, r := range list.Values {
			switch r.MatchKind {
			case "glob":
				if ok, _ := path.Match(r.Pattern, branch); !ok {
					continue
				}
			case "branching_model":
				if model == nil {
					if model, err = b.branchingModel(ctx, repo.Main.Name); err != nil {
						br.Known = false
						br.Note = "a restriction on a branch type of the branching model was not checked: " + err.Error()
						continue
					}
				}
				if !model.has(r.BranchType, branch) {
					continue
				}
			default:
				continue
			}
			br.Protected = true
			switch r.Kind {
			case "push":
				var who []string
				for _, u := range r.Users {
					who = append(who, u.DisplayName)
				}
				for _, g := range r.Groups {
					who = append(who, "group "+g.Name)
				}
				br.Pushers = strings.Join(who, ", ")
				if br.Pushers == "" {
					br.Pushers, br.PushRefused, br.PullRequest = "nobody", true, true
				}
			case "require_approvals_to_merge":
				if r.Value != nil {
					br.Approvals = max(br.Approvals, *r.Value)
				}
			}
		}
		next = list.Next
	}
	return out, nil
}

// bitbucketModel is a repository's branching model: its development and
// production branches and the prefixes of its branch types.
type bitbucketModel struct {
	development, production string
	prefixes                map[string]string
}

// has reports whether branch is of the model's branch type kind.
func (m *bitbucketModel) has(kind, branch string) bool {
	switch kind {
	case "development":
		return m.development != "" && m.development == branch
	case "production":
		return m.production != "" && m.production == branch
	}
	p, ok := m.prefixes[kind]
	return ok && p != "" && strings.HasPrefix(branch, p)
}

// branchingModel reads the repository's branching model; main is the
// repository's main branch, which a model branch with use_mainbranch
// tracks.
func (b *bitbucket) branchingModel(ctx context.Context, main string) (*bitbucketModel, error) {
	type modelBranch struct {
		Name          string `json:"name"`
		UseMainbranch bool   `json:"use_mainbranch"`
		Enabled       *bool  `json:"enabled"`
	}
	var in struct {
		Development *modelBranch `json:"development"`
		Production  *modelBranch `json:"production"`
		BranchTypes []struct {
			Kind   string `json:"kind"`
			Prefix string `json:"prefix"`
		} `json:"branch_types"`
	}
	if _, err := b.c.call(ctx, "read branching model", http.MethodGet, b.api+"/branching-model", nil, &in); err != nil {
		return nil, err
	}
	name := func(m *modelBranch) string {
		switch {
		case m == nil || m.Enabled != nil && !*m.Enabled:
			return ""
		case m.UseMainbranch && main != "":
			return main
		}
		return m.Name
	}
	out := &bitbucketModel{development: name(in.Development), production: name(in.Production), prefixes: map[string]string{}}
	for _, t := range in.BranchTypes {
		out.prefixes[t.Kind] = t.Prefix
	}
	return out, nil
}

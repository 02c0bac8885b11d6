package testenv

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// githubAPI follows GitHub's REST API as GitHub Enterprise Server lays it
// out (REST under /api/v3, GraphQL at /api/graphql):
//   - docs.github.com/en/rest/pulls/pulls: list, create, get (merged,
//     merge_commit_sha; conditional with ETag), update pull requests (422
//     "A pull request already exists for owner:branch." on a duplicate);
//   - docs.github.com/en/rest/issues/labels#add-labels-to-an-issue;
//   - docs.github.com/en/rest/issues/comments#create-an-issue-comment;
//   - docs.github.com/en/rest/issues/assignees#add-assignees-to-an-issue;
//   - docs.github.com/en/rest/pulls/review-requests#request-reviewers-for-a-pull-request;
//   - docs.github.com/en/graphql/reference/mutations#enablepullrequestautomerge
//     with docs.github.com/en/graphql/reference/input-objects#enablepullrequestautomergeinput
//     (commitHeadline and commitBody: the merge or squash commit's message);
//   - docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api:
//     lists answer per_page items (default 30, at most 100) of page (from 1),
//     with a Link header naming the next page while there is one.
//
// A token without pull-requests: write gets 403 "Resource not accessible
// by integration", as a workflow's GITHUB_TOKEN does.
func (f *FakeForge) githubAPI(w http.ResponseWriter, r *http.Request) {
	access := f.auth(r)
	if access == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	if r.URL.Path == "/api/graphql" && r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if f.GraphQL != nil && !bytes.Contains(body, []byte("PullRequestAutoMerge")) {
			f.GraphQL.ServeHTTP(w, r)
			return
		}
		f.githubGraphQL(w, r, access)
		return
	}
	m := githubRoute.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	owner, repo, kind, num, sub := m[1], m[2], m[3], m[4], m[5]
	path := owner + "/" + repo
	if _, err := os.Stat(f.Git.Dir(path)); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	if r.Method != http.MethodGet && access != "rw" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, _ := strconv.Atoi(num)
	var pr *FakePR
	if num != "" {
		if pr = f.pr(n); pr == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
			return
		}
	}
	invalid := func(msg string) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": "PullRequest", "code": "custom", "message": msg}}})
	}
	switch {
	case kind == "pulls" && num == "" && r.Method == http.MethodGet:
		q := r.URL.Query()
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		out := []map[string]any{}
		for _, p := range f.prs {
			if h := q.Get("head"); h != "" && h != forkOwner(p, owner)+":"+p.Head {
				continue
			}
			if b := q.Get("base"); b != "" && b != p.Base {
				continue
			}
			if state != "all" && githubState(p) != state {
				continue
			}
			out = append(out, f.githubPR(owner, repo, p))
		}
		page, size := intParam(q, "page", 1, 1<<30), intParam(q, "per_page", 30, 100)
		if page*size < len(out) {
			next := *r.URL
			v := next.Query()
			v.Set("page", strconv.Itoa(page+1))
			next.RawQuery = v.Encode()
			w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, f.URL, next.RequestURI()))
		}
		writeJSON(w, http.StatusOK, pageOf(out, page, size))
	case kind == "pulls" && num == "" && r.Method == http.MethodPost:
		var in struct {
			Title               *string `json:"title"`
			Head                string  `json:"head"`
			HeadRepo            string  `json:"head_repo"`
			Base                string  `json:"base"`
			Body                string  `json:"body"`
			MaintainerCanModify *bool   `json:"maintainer_can_modify"`
			Draft               bool    `json:"draft"`
			Issue               *int    `json:"issue"`
		}
		if err := decode(r, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON: " + err.Error()})
			return
		}
		head := strings.TrimPrefix(in.Head, owner+":")
		switch {
		case in.Title == nil || in.Head == "" || in.Base == "":
			invalid("title, head and base are required")
		case !f.branchExists(path, head):
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": "PullRequest", "field": "head", "code": "invalid"}}})
		case !f.branchExists(path, in.Base):
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": "PullRequest", "field": "base", "code": "invalid"}}})
		case f.openPR(head, in.Base) != nil:
			invalid("A pull request already exists for " + owner + ":" + head + ".")
		default:
			p := f.newPR(path, head, in.Base, *in.Title, in.Body, in.Draft)
			writeJSON(w, http.StatusCreated, f.githubPR(owner, repo, p))
		}
	case kind == "pulls" && sub == "" && r.Method == http.MethodGet:
		// Conditional, as GitHub answers it: an ETag, and 304 without a
		// body (and without a charge on the rate limit) for a matching
		// If-None-Match.
		data, _ := json.Marshal(f.githubPR(owner, repo, pr))
		if writeETag(w, r, data) {
			f.prNotModified++
		}
	case kind == "pulls" && sub == "" && r.Method == http.MethodPatch:
		var in struct {
			Title               *string `json:"title"`
			Body                *string `json:"body"`
			State               *string `json:"state"`
			Base                *string `json:"base"`
			MaintainerCanModify *bool   `json:"maintainer_can_modify"`
		}
		if err := decode(r, &in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON: " + err.Error()})
			return
		}
		if in.State != nil && *in.State != "open" && *in.State != "closed" {
			invalid("state must be open or closed")
			return
		}
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Body != nil {
			pr.Body = *in.Body
		}
		if in.State != nil && pr.State != "merged" {
			pr.State = *in.State
		}
		pr.HeadSHA = f.BranchSHA(path, pr.Head)
		writeJSON(w, http.StatusOK, f.githubPR(owner, repo, pr))
	case kind == "issues" && sub == "labels" && r.Method == http.MethodPost:
		var in struct {
			Labels []string `json:"labels"`
		}
		if err := decode(r, &in); err != nil || len(in.Labels) == 0 {
			invalid("labels is required")
			return
		}
		pr.Labels = addLabels(pr.Labels, in.Labels...)
		out := []map[string]any{}
		for _, l := range pr.Labels {
			out = append(out, map[string]any{"name": l})
		}
		writeJSON(w, http.StatusOK, out)
	case kind == "issues" && sub == "comments" && r.Method == http.MethodPost:
		var in struct {
			Body string `json:"body"`
		}
		if err := decode(r, &in); err != nil || in.Body == "" {
			invalid("body is required")
			return
		}
		pr.Comments = append(pr.Comments, in.Body)
		writeJSON(w, http.StatusCreated, map[string]any{"id": len(pr.Comments), "body": in.Body})
	case kind == "issues" && sub == "assignees" && r.Method == http.MethodPost:
		var in struct {
			Assignees []string `json:"assignees"`
		}
		if err := decode(r, &in); err != nil {
			invalid(err.Error())
			return
		}
		pr.Assignees = addLabels(pr.Assignees, in.Assignees...)
		writeJSON(w, http.StatusCreated, f.githubPR(owner, repo, pr))
	case kind == "pulls" && sub == "requested_reviewers" && r.Method == http.MethodPost:
		var in struct {
			Reviewers     []string `json:"reviewers"`
			TeamReviewers []string `json:"team_reviewers"`
		}
		if err := decode(r, &in); err != nil {
			invalid(err.Error())
			return
		}
		pr.Reviewers = addLabels(pr.Reviewers, in.Reviewers...)
		writeJSON(w, http.StatusCreated, f.githubPR(owner, repo, pr))
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	}
}

var githubRoute = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/(pulls|issues)(?:/(\d+)(?:/(labels|comments|assignees|requested_reviewers))?)?$`)

func githubState(p *FakePR) string {
	if p.State == "merged" {
		return "closed"
	}
	return p.State
}

func (f *FakeForge) githubPR(owner, repo string, p *FakePR) map[string]any {
	labels := []map[string]any{}
	for _, l := range p.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	return map[string]any{
		"number":   p.Number,
		"node_id":  fmt.Sprintf("PR_node%d", p.Number),
		"html_url": fmt.Sprintf("%s/%s/%s/pull/%d", f.URL, owner, repo, p.Number),
		"state":    githubState(p),
		"merged":   p.State == "merged",
		// A test merge while open; once merged the merge commit, the
		// squash commit or the rebased tip (docs.github.com/en/rest/pulls/pulls#get-a-pull-request).
		"merge_commit_sha": cmp.Or(p.MergeCommit, testMerge(p)),
		"merged_at":        mergedAt(p),
		"title":            p.Title,
		"body":             p.Body,
		"draft":            p.Draft,
		"labels":           labels,
		// A fork's pull request has the fork as head.repo and its owner
		// in head.label (docs.github.com/en/rest/pulls/pulls#get-a-pull-request).
		"head": map[string]any{"ref": p.Head, "sha": p.HeadSHA, "label": forkOwner(p, owner) + ":" + p.Head, "repo": map[string]any{"full_name": cmp.Or(p.Fork, owner+"/"+repo)}},
		"base": map[string]any{"ref": p.Base, "repo": map[string]any{"full_name": owner + "/" + repo}},
	}
}

// githubGraphQL answers the enablePullRequestAutoMerge mutation; GraphQL
// reports errors with status 200 and an errors list.
func (f *FakeForge) githubGraphQL(w http.ResponseWriter, r *http.Request, access string) {
	var in struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := decode(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return
	}
	mutation := "enablePullRequestAutoMerge"
	if strings.Contains(in.Query, "disablePullRequestAutoMerge") {
		mutation = "disablePullRequestAutoMerge"
	}
	gqlErr := func(typ, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{mutation: nil}, "errors": []map[string]string{{"type": typ, "message": msg}}})
	}
	if !strings.Contains(in.Query, mutation) {
		gqlErr("INTERNAL", "this fake knows only enablePullRequestAutoMerge and disablePullRequestAutoMerge")
		return
	}
	if mutation == "disablePullRequestAutoMerge" {
		f.githubDisableAutoMerge(w, in.Variables, access, gqlErr)
		return
	}
	// One variable, the input object, decoded strictly: its documented
	// fields only.
	var input struct {
		PullRequestID    string  `json:"pullRequestId"`
		MergeMethod      string  `json:"mergeMethod"`
		CommitHeadline   *string `json:"commitHeadline"`
		CommitBody       *string `json:"commitBody"`
		AuthorEmail      *string `json:"authorEmail"`
		ExpectedHeadOid  *string `json:"expectedHeadOid"`
		ClientMutationID *string `json:"clientMutationId"`
	}
	raw, _ := json.Marshal(in.Variables["input"])
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if !strings.Contains(in.Query, "$input: EnablePullRequestAutoMergeInput!") || len(in.Variables) != 1 || dec.Decode(&input) != nil {
		gqlErr("INTERNAL", "Variable $input of type EnablePullRequestAutoMergeInput! was provided invalid value")
		return
	}
	id, method := input.PullRequestID, input.MergeMethod
	n, err := strconv.Atoi(strings.TrimPrefix(id, "PR_node"))
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.pr(n)
	switch {
	case err != nil || pr == nil:
		gqlErr("NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", id))
	case method != "MERGE" && method != "SQUASH" && method != "REBASE":
		gqlErr("INTERNAL", "Expected type PullRequestMergeMethod")
	case access != "rw":
		gqlErr("FORBIDDEN", "Resource not accessible by integration")
	case f.NoAutoMerge:
		gqlErr("UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository")
	case pr.AutoMerge != "":
		// Auto-merge is already enabled: GitHub keeps the request as it
		// was first made, headline and body included, and answers with it
		// (the pull request's autoMergeRequest, AutoMergeRequest in
		// docs.github.com/en/graphql/reference/objects#automergerequest).
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"enablePullRequestAutoMerge": map[string]any{"pullRequest": githubAutoMergeRequest(n, pr)}}})
	default:
		pr.AutoMerge, pr.MergeMessage = strings.ToLower(method), ""
		// GitHub writes the headline, a blank line and the body.
		if input.CommitHeadline != nil {
			pr.MergeMessage = *input.CommitHeadline
			if input.CommitBody != nil && *input.CommitBody != "" {
				pr.MergeMessage += "\n\n" + *input.CommitBody
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"enablePullRequestAutoMerge": map[string]any{"pullRequest": githubAutoMergeRequest(n, pr)}}})
	}
}

// githubAutoMergeRequest is the pull request with its autoMergeRequest
// (commitHeadline, commitBody, mergeMethod) as a mutation answers it.
func githubAutoMergeRequest(n int, pr *FakePR) map[string]any {
	out := map[string]any{"number": n, "autoMergeRequest": nil}
	if pr.AutoMerge != "" {
		headline, body, _ := strings.Cut(pr.MergeMessage, "\n\n")
		out["autoMergeRequest"] = map[string]any{"commitHeadline": headline, "commitBody": body, "mergeMethod": strings.ToUpper(pr.AutoMerge)}
	}
	return out
}

// githubDisableAutoMerge answers disablePullRequestAutoMerge
// (docs.github.com/en/graphql/reference/mutations#disablepullrequestautomerge,
// input pullRequestId and clientMutationId): the pull request no longer
// merges itself.
func (f *FakeForge) githubDisableAutoMerge(w http.ResponseWriter, vars map[string]any, access string, gqlErr func(typ, msg string)) {
	var input struct {
		PullRequestID    string  `json:"pullRequestId"`
		ClientMutationID *string `json:"clientMutationId"`
	}
	raw, _ := json.Marshal(vars["input"])
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(vars) != 1 || dec.Decode(&input) != nil {
		gqlErr("INTERNAL", "Variable $input of type DisablePullRequestAutoMergeInput! was provided invalid value")
		return
	}
	n, err := strconv.Atoi(strings.TrimPrefix(input.PullRequestID, "PR_node"))
	f.mu.Lock()
	defer f.mu.Unlock()
	pr := f.pr(n)
	switch {
	case err != nil || pr == nil:
		gqlErr("NOT_FOUND", fmt.Sprintf("Could not resolve to a node with the global id of '%s'", input.PullRequestID))
	case access != "rw":
		gqlErr("FORBIDDEN", "Resource not accessible by integration")
	default:
		pr.AutoMerge, pr.MergeMessage = "", ""
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"disablePullRequestAutoMerge": map[string]any{"pullRequest": githubAutoMergeRequest(n, pr)}}})
	}
}

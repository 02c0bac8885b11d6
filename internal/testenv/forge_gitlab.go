package testenv

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// gitlabAPI follows GitLab's REST API v4:
//   - docs.gitlab.com/api/merge_requests: list (state, source_branch,
//     target_branch), get (merge_commit_sha, squash_commit_sha, sha), create (409 "Another open merge request already
//     exists for this source branch: !N" on a duplicate), update (title,
//     description, add_labels, state_event), create with
//     remove_source_branch, merge with auto_merge (merge_commit_message,
//     squash_commit_message, squash, should_remove_source_branch, sha;
//     docs.gitlab.com/api/merge_requests#merge-a-merge-request);
//   - docs.gitlab.com/api/notes#create-new-merge-request-note;
//   - docs.gitlab.com/api/users#list-users (username);
//   - docs.gitlab.com/api/rest/#pagination: lists answer per_page items
//     (default 20, at most 100) of page (from 1), with X-Next-Page empty on
//     the last page, X-Total and X-Per-Page.
//
// The project is addressed by its URL-encoded path. A token without the
// api scope gets 403 "insufficient_scope".
func (f *FakeForge) gitlabAPI(w http.ResponseWriter, r *http.Request) {
	access := f.auth(r)
	if access == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	if r.URL.Path == "/api/v4/users" && r.Method == http.MethodGet {
		users := []map[string]any{}
		if u := r.URL.Query().Get("username"); u == "alice" || u == "bob" {
			users = append(users, map[string]any{"id": map[string]int{"alice": 101, "bob": 102}[u], "username": u})
		}
		writeJSON(w, http.StatusOK, users)
		return
	}
	m := gitlabRoute.FindStringSubmatch(r.URL.EscapedPath())
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		return
	}
	project, err := url.PathUnescape(m[1])
	if err != nil || strings.Contains(m[1], "/") {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	if _, err := os.Stat(f.Git.Dir(project)); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	if access != "rw" {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.", "scope": "api"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	num, sub := m[2], m[3]
	var pr *FakePR
	if num != "" {
		n, _ := strconv.Atoi(num)
		if pr = f.pr(n); pr == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
	}
	bad := func(msg string) { writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg}) }
	switch {
	case num == "" && r.Method == http.MethodGet:
		q := r.URL.Query()
		out := []map[string]any{}
		for _, p := range f.prs {
			if s := q.Get("state"); s != "" && s != "all" && s != gitlabState(p) {
				continue
			}
			if s := q.Get("source_branch"); s != "" && s != p.Head {
				continue
			}
			if t := q.Get("target_branch"); t != "" && t != p.Base {
				continue
			}
			out = append(out, f.gitlabMR(project, p))
		}
		page, size := intParam(q, "page", 1, 1<<30), intParam(q, "per_page", 20, 100)
		next := ""
		if page*size < len(out) {
			next = strconv.Itoa(page + 1)
		}
		w.Header().Set("X-Next-Page", next)
		w.Header().Set("X-Page", strconv.Itoa(page))
		w.Header().Set("X-Per-Page", strconv.Itoa(size))
		w.Header().Set("X-Total", strconv.Itoa(len(out)))
		writeJSON(w, http.StatusOK, pageOf(out, page, size))
	case num == "" && r.Method == http.MethodPost:
		var in struct {
			SourceBranch       string `json:"source_branch"`
			TargetBranch       string `json:"target_branch"`
			Title              string `json:"title"`
			Description        string `json:"description"`
			Labels             string `json:"labels"`
			AssigneeIDs        []int  `json:"assignee_ids"`
			ReviewerIDs        []int  `json:"reviewer_ids"`
			RemoveSourceBranch bool   `json:"remove_source_branch"`
			Squash             bool   `json:"squash"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		switch {
		case in.SourceBranch == "":
			bad("source_branch is missing")
		case in.TargetBranch == "":
			bad("target_branch is missing")
		case in.Title == "":
			bad("title is missing")
		case !f.branchExists(project, in.SourceBranch) || !f.branchExists(project, in.TargetBranch):
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Branch Not Found"})
		case f.openPR(in.SourceBranch, in.TargetBranch) != nil:
			writeJSON(w, http.StatusConflict, map[string]any{"message": []string{fmt.Sprintf("Another open merge request already exists for this source branch: !%d", f.openPR(in.SourceBranch, in.TargetBranch).Number)}})
		default:
			p := f.newPR(project, in.SourceBranch, in.TargetBranch, in.Title, in.Description, strings.HasPrefix(in.Title, "Draft: "))
			p.DeleteBranch = in.RemoveSourceBranch
			if in.Labels != "" {
				p.Labels = addLabels(p.Labels, strings.Split(in.Labels, ",")...)
			}
			for _, id := range in.ReviewerIDs {
				p.Reviewers = append(p.Reviewers, strconv.Itoa(id))
			}
			for _, id := range in.AssigneeIDs {
				p.Assignees = append(p.Assignees, strconv.Itoa(id))
			}
			writeJSON(w, http.StatusCreated, f.gitlabMR(project, p))
		}
	case sub == "" && num != "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.gitlabMR(project, pr))
	case sub == "" && r.Method == http.MethodPut:
		var in struct {
			Title       *string `json:"title"`
			Description *string `json:"description"`
			AddLabels   string  `json:"add_labels"`
			StateEvent  string  `json:"state_event"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		if in.Title == nil && in.Description == nil && in.AddLabels == "" && in.StateEvent == "" {
			bad("title, description, add_labels, state_event are missing, at least one parameter must be provided")
			return
		}
		if in.StateEvent != "" && in.StateEvent != "close" && in.StateEvent != "reopen" {
			bad("state_event does not have a valid value")
			return
		}
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Description != nil {
			pr.Body = *in.Description
		}
		if in.AddLabels != "" {
			pr.Labels = addLabels(pr.Labels, strings.Split(in.AddLabels, ",")...)
		}
		if in.StateEvent == "close" && pr.State == "open" {
			pr.State = "closed"
		}
		pr.HeadSHA = f.BranchSHA(project, pr.Head)
		writeJSON(w, http.StatusOK, f.gitlabMR(project, pr))
	case sub == "notes" && r.Method == http.MethodPost:
		var in struct {
			Body string `json:"body"`
		}
		if err := decode(r, &in); err != nil || in.Body == "" {
			bad("body is missing")
			return
		}
		pr.Comments = append(pr.Comments, in.Body)
		writeJSON(w, http.StatusCreated, map[string]any{"id": len(pr.Comments), "body": in.Body})
	case sub == "merge" && r.Method == http.MethodPut:
		var in struct {
			AutoMerge                 bool    `json:"auto_merge"`
			MergeWhenPipelineSucceeds bool    `json:"merge_when_pipeline_succeeds"`
			Squash                    *bool   `json:"squash"`
			MergeCommitMessage        *string `json:"merge_commit_message"`
			SquashCommitMessage       *string `json:"squash_commit_message"`
			ShouldRemoveSourceBranch  *bool   `json:"should_remove_source_branch"`
			SHA                       string  `json:"sha"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		if pr.State != "open" {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed"})
			return
		}
		if !in.AutoMerge && !in.MergeWhenPipelineSucceeds {
			bad("this fake merges only with auto_merge")
			return
		}
		if f.NoAutoMerge {
			// GitLab answers 405 for a merge request it will not set to
			// auto-merge (docs.gitlab.com/api/merge_requests#merge-a-merge-request:
			// "cannot be accepted"), e.g. where pipelines must succeed and
			// none can run.
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed"})
			return
		}
		if in.SHA != "" && in.SHA != f.BranchSHA(project, pr.Head) {
			writeJSON(w, http.StatusConflict, map[string]string{"message": "SHA does not match HEAD of source branch"})
			return
		}
		if pr.AutoMerge != "" {
			// Auto-merge is already set: the fake keeps the merge
			// parameters it was first set with, messages included, as
			// GitLab keeps an MR's auto-merge until it is cancelled
			// (docs.gitlab.com/api/merge_requests#cancel-merge-when-pipeline-succeeds).
			writeJSON(w, http.StatusOK, f.gitlabMR(project, pr))
			return
		}
		pr.AutoMerge, pr.MergeMessage = "merge", ""
		if in.MergeCommitMessage != nil {
			pr.MergeMessage = *in.MergeCommitMessage
		}
		if in.Squash != nil && *in.Squash {
			// The squash commit gets squash_commit_message; the merge
			// commit after it (merge method "merge commit with squash")
			// merge_commit_message. The fake keeps the squash commit's.
			pr.AutoMerge, pr.MergeMessage = "squash", ""
			if in.SquashCommitMessage != nil {
				pr.MergeMessage = *in.SquashCommitMessage
			}
		}
		if in.ShouldRemoveSourceBranch != nil {
			pr.DeleteBranch = *in.ShouldRemoveSourceBranch
		}
		writeJSON(w, http.StatusOK, f.gitlabMR(project, pr))
	case sub == "cancel_merge_when_pipeline_succeeds" && r.Method == http.MethodPost:
		// docs.gitlab.com/api/merge_requests#cancel-merge-when-pipeline-succeeds:
		// 405 on a merged or closed MR, 406 when auto-merge is not set.
		switch {
		case pr.State != "open":
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed"})
		case pr.AutoMerge == "":
			writeJSON(w, http.StatusNotAcceptable, map[string]string{"message": "406 Not Acceptable"})
		default:
			pr.AutoMerge, pr.MergeMessage = "", ""
			writeJSON(w, http.StatusCreated, f.gitlabMR(project, pr))
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
	}
}

var gitlabRoute = regexp.MustCompile(`^/api/v4/projects/([^/]+)/merge_requests(?:/(\d+)(?:/(notes|merge|cancel_merge_when_pipeline_succeeds))?)?$`)

func gitlabState(p *FakePR) string {
	if p.State == "open" {
		return "opened"
	}
	return p.State
}

func (f *FakeForge) gitlabMR(project string, p *FakePR) map[string]any {
	labels := append([]string{}, p.Labels...)
	return map[string]any{
		"id": 1000 + p.Number, "iid": p.Number, "web_url": fmt.Sprintf("%s/%s/-/merge_requests/%d", f.URL, project, p.Number),
		"title": p.Title, "description": p.Body, "draft": strings.HasPrefix(p.Title, "Draft: "), "labels": labels,
		"source_branch": p.Head, "target_branch": p.Base, "state": gitlabState(p), "sha": p.HeadSHA, "merged_at": mergedAt(p),
		// docs.gitlab.com/api/merge_requests#get-single-mr: merge_commit_sha
		// and squash_commit_sha are null until merged. The fake's project
		// merges "merge" with a merge commit, "squash" as a squash and a
		// fast-forward (no merge commit), and "rebase" as a fast-forward
		// after GitLab rebased the source branch: sha is then the tip.
		"merge_commit_sha": gitlabMergeSHA(p, "merge"), "squash_commit_sha": gitlabMergeSHA(p, "squash"),
		"merge_when_pipeline_succeeds": p.AutoMerge != "", "force_remove_source_branch": p.DeleteBranch,
		// A fork's merge request has the fork's project as its source
		// (docs.gitlab.com/api/merge_requests#list-project-merge-requests:
		// source_project_id, target_project_id); the fake numbers the
		// project 1 and a fork 2.
		"source_project_id": gitlabProjectID(p), "target_project_id": 1,
	}
}

// gitlabMergeSHA is the merge commit of a merge request merged with
// method, null otherwise.
func gitlabMergeSHA(p *FakePR, method string) any {
	if p.State != "merged" || p.MergeMethod != method {
		return nil
	}
	return p.MergeCommit
}

func gitlabProjectID(p *FakePR) int {
	if p.Fork != "" {
		return 2
	}
	return 1
}

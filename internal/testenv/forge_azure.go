package testenv

import (
	"cmp"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// azureCreator is the identity ID of the fake's token.
const azureCreator = "6a2f0c3e-1b4d-4e8f-9a7b-0c1d2e3f4a5b"

// azureAPI follows the Azure DevOps Services REST API 7.1:
//   - learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-requests/get-pull-requests
//     (searchCriteria.sourceRefName, targetRefName, status; $top pull
//     requests after the first $skip: the page names no default for $top,
//     the fake answers at most 100 without it);
//   - .../git/pull-requests/get-pull-request-by-id (status, lastMergeCommit);
//   - .../git/pull-requests/create (409 TF401179 "An active pull request
//     for the source and target branch already exists." on a duplicate);
//   - .../git/pull-requests/update (title, description, status abandoned,
//     autoCompleteSetBy with completionOptions: mergeStrategy,
//     mergeCommitMessage, deleteSourceBranch and the other fields of
//     GitPullRequestCompletionOptions on that page);
//   - .../git/pull-request-labels/create;
//   - .../git/pull-request-threads/create.
//
// Every request needs api-version. A token without "Contribute to pull
// requests" gets 403 TF401027.
func (f *FakeForge) azureAPI(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, typeKey, msg string) {
		writeJSON(w, status, map[string]any{"$id": "1", "innerException": nil, "message": msg, "typeName": "Microsoft.TeamFoundation." + typeKey, "typeKey": typeKey, "errorCode": 0, "eventId": 3000})
	}
	access := f.auth(r)
	if access == "" {
		w.WriteHeader(http.StatusUnauthorized) // Azure answers a bad PAT with an empty 401
		return
	}
	m := azureRoute.FindStringSubmatch(r.URL.Path)
	if m == nil {
		fail(http.StatusNotFound, "ApiResourceNotFoundException", "The API resource location was not found.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		fail(http.StatusBadRequest, "VssInvalidPreviewVersionException", "No api-version was supplied for the \""+r.Method+"\" request. The version must be supplied either as part of the Accept header (e.g. \"application/json; api-version=1.0\") or as a query parameter (e.g. \"?api-version=1.0\").")
		return
	}
	repo := m[1] + "/_git/" + m[2]
	if _, err := os.Stat(f.Git.Dir(repo)); err != nil {
		fail(http.StatusNotFound, "GitRepositoryNotFoundException", "TF401019: The Git repository with name or identifier "+m[2]+" does not exist or you do not have permissions for the operation you are attempting.")
		return
	}
	if r.Method != http.MethodGet && access != "rw" {
		fail(http.StatusForbidden, "GitNeedsPermissionException", "TF401027: You need the Git 'PullRequestContribute' permission to perform this action. Details: identity 'Build Service', scope 'repository'.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	num, sub := m[3], strings.ToLower(m[4])
	var pr *FakePR
	if num != "" {
		n, _ := strconv.Atoi(num)
		if pr = f.pr(n); pr == nil {
			fail(http.StatusNotFound, "GitPullRequestNotFoundException", "TF401180: The requested pull request was not found.")
			return
		}
	}
	bad := func(msg string) { fail(http.StatusBadRequest, "InvalidArgumentValueException", msg) }
	switch {
	case num == "" && r.Method == http.MethodGet:
		q := r.URL.Query()
		out := []map[string]any{}
		for _, p := range f.prs {
			if s := q.Get("searchCriteria.status"); s != "" && s != "all" && s != azureState(p) {
				continue
			}
			if s := q.Get("searchCriteria.sourceRefName"); s != "" && s != "refs/heads/"+p.Head {
				continue
			}
			if s := q.Get("searchCriteria.targetRefName"); s != "" && s != "refs/heads/"+p.Base {
				continue
			}
			pr := f.azurePR(p)
			// "description field will be truncated up to 400
			// symbols in the result" (Get Pull Requests); the pull
			// request by id has it whole.
			if d := []rune(p.Body); len(d) > 400 {
				pr["description"] = string(d[:400])
			}
			out = append(out, pr)
		}
		skip, _ := strconv.Atoi(q.Get("$skip"))
		top := intParam(q, "$top", 100, 1<<30)
		out = pageOf(out[min(max(skip, 0), len(out)):], 1, top)
		writeJSON(w, http.StatusOK, map[string]any{"value": out, "count": len(out)})
	case num == "" && r.Method == http.MethodPost:
		var in struct {
			SourceRefName string `json:"sourceRefName"`
			TargetRefName string `json:"targetRefName"`
			Title         string `json:"title"`
			Description   string `json:"description"`
			IsDraft       bool   `json:"isDraft"`
			Labels        []struct {
				Name string `json:"name"`
			} `json:"labels"`
			Reviewers []struct {
				ID string `json:"id"`
			} `json:"reviewers"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		head, okH := strings.CutPrefix(in.SourceRefName, "refs/heads/")
		base, okB := strings.CutPrefix(in.TargetRefName, "refs/heads/")
		switch {
		case !okH || !okB || in.Title == "":
			bad("Value cannot be null or a full ref name is required: sourceRefName, targetRefName and title.")
		case !f.branchExists(repo, head) || !f.branchExists(repo, base):
			fail(http.StatusNotFound, "GitRefNotFoundException", "TF401398: The pull request cannot be activated because the source and/or the target branch no longer exists, or the requested refs are not branches")
		case f.openPR(head, base) != nil:
			fail(http.StatusConflict, "GitPullRequestExistsException", "TF401179: An active pull request for the source and target branch already exists.")
		default:
			p := f.newPR(repo, head, base, in.Title, in.Description, in.IsDraft)
			for _, l := range in.Labels {
				p.Labels = addLabels(p.Labels, l.Name)
			}
			for _, rv := range in.Reviewers {
				p.Reviewers = append(p.Reviewers, rv.ID)
			}
			writeJSON(w, http.StatusCreated, f.azurePR(p))
		}
	case sub == "" && num != "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.azurePR(pr))
	case sub == "" && r.Method == http.MethodPatch:
		var in struct {
			Title             *string `json:"title"`
			Description       *string `json:"description"`
			Status            *string `json:"status"`
			AutoCompleteSetBy *struct {
				ID string `json:"id"`
			} `json:"autoCompleteSetBy"`
			CompletionOptions *struct {
				AutoCompleteIgnoreConfigIDs []int   `json:"autoCompleteIgnoreConfigIds"`
				BypassPolicy                bool    `json:"bypassPolicy"`
				BypassReason                string  `json:"bypassReason"`
				DeleteSourceBranch          bool    `json:"deleteSourceBranch"`
				MergeCommitMessage          *string `json:"mergeCommitMessage"`
				MergeStrategy               string  `json:"mergeStrategy"`
				SquashMerge                 bool    `json:"squashMerge"`
				TransitionWorkItems         bool    `json:"transitionWorkItems"`
				TriggeredByAutoComplete     bool    `json:"triggeredByAutoComplete"`
			} `json:"completionOptions"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		if in.AutoCompleteSetBy != nil {
			strategies := map[string]string{"noFastForward": "merge", "squash": "squash", "rebase": "rebase", "rebaseMerge": "rebase"}
			if in.AutoCompleteSetBy.ID != azureCreator || in.CompletionOptions == nil || strategies[in.CompletionOptions.MergeStrategy] == "" {
				bad("autoCompleteSetBy must be a valid identity and completionOptions.mergeStrategy one of noFastForward, squash, rebase, rebaseMerge")
				return
			}
			pr.AutoMerge = strategies[in.CompletionOptions.MergeStrategy]
			pr.DeleteBranch, pr.MergeMessage = in.CompletionOptions.DeleteSourceBranch, ""
			if m := in.CompletionOptions.MergeCommitMessage; m != nil {
				pr.MergeMessage = *m
			}
		}
		if in.Status != nil {
			if *in.Status != "abandoned" && *in.Status != "active" {
				bad("status must be active or abandoned")
				return
			}
			if pr.State == "open" && *in.Status == "abandoned" {
				pr.State = "closed"
			}
		}
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Description != nil {
			pr.Body = *in.Description
		}
		pr.HeadSHA = f.BranchSHA(repo, pr.Head)
		writeJSON(w, http.StatusOK, f.azurePR(pr))
	case sub == "labels" && r.Method == http.MethodPost:
		var in struct {
			Name string `json:"name"`
		}
		if err := decode(r, &in); err != nil || in.Name == "" {
			bad("name is required")
			return
		}
		pr.Labels = addLabels(pr.Labels, in.Name)
		writeJSON(w, http.StatusOK, map[string]any{"id": "label-" + in.Name, "name": in.Name, "active": true})
	case sub == "threads" && r.Method == http.MethodPost:
		var in struct {
			Comments []struct {
				ParentCommentID int    `json:"parentCommentId"`
				Content         string `json:"content"`
				CommentType     any    `json:"commentType"`
			} `json:"comments"`
			Status any `json:"status"`
		}
		if err := decode(r, &in); err != nil || len(in.Comments) == 0 || in.Comments[0].Content == "" {
			bad("a thread needs at least one comment with content")
			return
		}
		pr.Comments = append(pr.Comments, in.Comments[0].Content)
		writeJSON(w, http.StatusOK, map[string]any{"id": len(pr.Comments), "comments": in.Comments})
	default:
		fail(http.StatusNotFound, "ApiResourceNotFoundException", "The API resource location was not found.")
	}
}

var azureRoute = regexp.MustCompile(`(?i)^/([^/]+/[^/]+)/_apis/git/repositories/([^/]+)/pullrequests(?:/(\d+)(?:/(labels|threads))?)?$`)

func azureState(p *FakePR) string {
	switch p.State {
	case "open":
		return "active"
	case "merged":
		return "completed"
	}
	return "abandoned"
}

func (f *FakeForge) azurePR(p *FakePR) map[string]any {
	labels := []map[string]any{}
	for _, l := range p.Labels {
		labels = append(labels, map[string]any{"name": l, "active": true})
	}
	out := map[string]any{
		"pullRequestId": p.Number, "status": azureState(p), "title": p.Title, "description": p.Body, "isDraft": p.Draft,
		"sourceRefName": "refs/heads/" + p.Head, "targetRefName": "refs/heads/" + p.Base, "labels": labels,
		"createdBy":             map[string]string{"id": azureCreator, "displayName": "Build Service"},
		"lastMergeSourceCommit": map[string]string{"commitId": p.HeadSHA},
		// A test merge while active; once completed, the commit the
		// completion left on the target branch.
		"lastMergeCommit": map[string]string{"commitId": cmp.Or(p.MergeCommit, testMerge(p))},
		"url":             fmt.Sprintf("%s/_apis/git/pullRequests/%d", f.URL, p.Number),
	}
	if p.Fork != "" {
		// A fork's pull request names its source in forkSource, a
		// GitForkRef (learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-requests/get-pull-requests#gitforkref);
		// sourceRefName is the branch's name in the fork.
		out["forkSource"] = map[string]any{"name": "refs/heads/" + p.Head, "repository": map[string]any{"name": p.Fork}}
	}
	if p.AutoMerge != "" {
		out["autoCompleteSetBy"] = map[string]string{"id": azureCreator}
		out["completionOptions"] = map[string]any{"deleteSourceBranch": p.DeleteBranch, "mergeCommitMessage": p.MergeMessage}
	}
	return out
}

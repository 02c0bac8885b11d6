package testenv

import (
	"cmp"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
)

// bitbucketAPI follows the Bitbucket Cloud REST API 2.0
// (developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests):
// get a pull request (state, merge_commit), list pull requests (state, and a q filter on source.branch.name and
// destination.branch.name as in developer.atlassian.com/cloud/bitbucket/rest/intro/#filtering),
// create, update, decline, and create a comment. Errors have the
// documented {"type": "error", "error": {"message": ...}} shape; a token
// without the pullrequest:write scope gets 403 with the required scope.
// Lists answer pagelen values (default 10, at most 50) of page (from 1),
// with a next link while there are more
// (developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination).
// close_source_branch on create is kept (FakePR.DeleteBranch). The API
// lives under /2.0.
func (f *FakeForge) bitbucketAPI(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string, detail any) {
		e := map[string]any{"message": msg}
		if detail != nil {
			e["detail"] = detail
		}
		writeJSON(w, status, map[string]any{"type": "error", "error": e})
	}
	access := f.auth(r)
	if access == "" {
		fail(http.StatusUnauthorized, "Token is invalid or not supported for this endpoint.", nil)
		return
	}
	if m := bitbucketCommit.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		// api-group-commits, get a commit: the full hash of an
		// abbreviated one.
		full := f.resolve(m[1]+"/"+m[2], m[3])
		if full == "" {
			fail(http.StatusNotFound, "Commit not found", nil)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"type": "commit", "hash": full})
		return
	}
	m := bitbucketRoute.FindStringSubmatch(r.URL.Path)
	if m == nil {
		fail(http.StatusNotFound, "Resource not found", nil)
		return
	}
	repo := m[1] + "/" + m[2]
	if _, err := os.Stat(f.Git.Dir(repo)); err != nil {
		fail(http.StatusNotFound, "Repository "+repo+" not found", nil)
		return
	}
	if r.Method != http.MethodGet && access != "rw" {
		fail(http.StatusForbidden, "Your credentials lack one or more required privilege scopes.", map[string]any{"granted": []string{"repository:write"}, "required": []string{"pullrequest:write"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	num, sub := m[3], m[4]
	var pr *FakePR
	if num != "" {
		n, _ := strconv.Atoi(num)
		if pr = f.pr(n); pr == nil {
			fail(http.StatusNotFound, "Pull request not found", nil)
			return
		}
	}
	bad := func(msg string) { fail(http.StatusBadRequest, msg, nil) }
	switch {
	case num == "" && r.Method == http.MethodGet:
		q := r.URL.Query()
		var src, dst string
		if s := q.Get("q"); s != "" {
			fm := bitbucketFilter.FindStringSubmatch(s)
			if fm == nil {
				bad("Invalid query: this fake knows source.branch.name=\"X\" AND destination.branch.name=\"Y\"")
				return
			}
			src, dst = fm[1], fm[2]
		}
		values := []map[string]any{}
		for _, p := range f.prs {
			if s := q.Get("state"); s != "" && s != bitbucketState(p) {
				continue
			}
			if (src != "" && src != p.Head) || (dst != "" && dst != p.Base) {
				continue
			}
			values = append(values, f.bitbucketPR(repo, p))
		}
		page, size := intParam(q, "page", 1, 1<<30), intParam(q, "pagelen", 10, 50)
		out := map[string]any{"values": pageOf(values, page, size), "pagelen": size, "size": len(values), "page": page}
		if page*size < len(values) {
			next := *r.URL
			v := next.Query()
			v.Set("page", strconv.Itoa(page+1))
			next.RawQuery = v.Encode()
			out["next"] = f.URL + next.RequestURI()
		}
		writeJSON(w, http.StatusOK, out)
	case num == "" && r.Method == http.MethodPost:
		type branch struct {
			Branch struct {
				Name string `json:"name"`
			} `json:"branch"`
		}
		var in struct {
			Title       string  `json:"title"`
			Description string  `json:"description"`
			Source      *branch `json:"source"`
			Destination *branch `json:"destination"`
			Draft       bool    `json:"draft"`
			Reviewers   []struct {
				UUID string `json:"uuid"`
			} `json:"reviewers"`
			CloseSourceBranch bool `json:"close_source_branch"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		switch {
		case in.Title == "" || in.Source == nil || in.Source.Branch.Name == "":
			bad("title and source.branch.name are required")
		case !f.branchExists(repo, in.Source.Branch.Name):
			bad("source branch " + in.Source.Branch.Name + " not found")
		default:
			base := "main"
			if in.Destination != nil && in.Destination.Branch.Name != "" {
				base = in.Destination.Branch.Name
			}
			p := f.newPR(repo, in.Source.Branch.Name, base, in.Title, in.Description, in.Draft)
			for _, rv := range in.Reviewers {
				p.Reviewers = append(p.Reviewers, rv.UUID)
			}
			p.DeleteBranch = in.CloseSourceBranch
			writeJSON(w, http.StatusCreated, f.bitbucketPR(repo, p))
		}
	case sub == "" && num != "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, f.bitbucketPR(repo, pr))
	case sub == "" && r.Method == http.MethodPut:
		var in struct {
			Title       *string `json:"title"`
			Description *string `json:"description"`
		}
		if err := decode(r, &in); err != nil {
			bad(err.Error())
			return
		}
		if in.Title != nil {
			pr.Title = *in.Title
		}
		if in.Description != nil {
			pr.Body = *in.Description
		}
		pr.HeadSHA = f.BranchSHA(repo, pr.Head)
		writeJSON(w, http.StatusOK, f.bitbucketPR(repo, pr))
	case sub == "comments" && r.Method == http.MethodPost:
		var in struct {
			Content struct {
				Raw string `json:"raw"`
			} `json:"content"`
		}
		if err := decode(r, &in); err != nil || in.Content.Raw == "" {
			bad("content.raw is required")
			return
		}
		pr.Comments = append(pr.Comments, in.Content.Raw)
		writeJSON(w, http.StatusCreated, map[string]any{"id": len(pr.Comments), "content": map[string]string{"raw": in.Content.Raw}})
	case sub == "decline" && r.Method == http.MethodPost:
		if pr.State != "open" {
			bad("Only open pull requests can be declined")
			return
		}
		pr.State = "closed"
		writeJSON(w, http.StatusOK, f.bitbucketPR(repo, pr))
	default:
		fail(http.StatusNotFound, "Resource not found", nil)
	}
}

var (
	bitbucketRoute  = regexp.MustCompile(`^/2\.0/repositories/([^/]+)/([^/]+)/pullrequests(?:/(\d+)(?:/(comments|decline))?)?$`)
	bitbucketCommit = regexp.MustCompile(`^/2\.0/repositories/([^/]+)/([^/]+)/commit/([0-9a-f]{7,40})$`)
	bitbucketFilter = regexp.MustCompile(`^source\.branch\.name\s*=\s*"([^"]*)"\s+AND\s+destination\.branch\.name\s*=\s*"([^"]*)"$`)
)

func bitbucketState(p *FakePR) string {
	return map[string]string{"open": "OPEN", "merged": "MERGED", "closed": "DECLINED"}[p.State]
}

func (f *FakeForge) bitbucketPR(repo string, p *FakePR) map[string]any {
	// merge_commit is null until merged, and its hash abbreviated to 12
	// digits as Bitbucket gives hashes in pull requests.
	var merge any
	if p.State == "merged" {
		merge = map[string]string{"type": "commit", "hash": p.MergeCommit[:12]}
	}
	return map[string]any{
		"merge_commit": merge,
		"id":           p.Number, "title": p.Title, "description": p.Body, "state": bitbucketState(p), "draft": p.Draft, "close_source_branch": p.DeleteBranch,
		// source.repository is the fork for a fork's pull request
		// (developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests,
		// the pullrequest object's source and destination: branch, commit,
		// repository).
		"source":      map[string]any{"branch": map[string]string{"name": p.Head}, "commit": map[string]string{"hash": p.HeadSHA}, "repository": map[string]string{"full_name": cmp.Or(p.Fork, repo)}},
		"destination": map[string]any{"branch": map[string]string{"name": p.Base}, "repository": map[string]string{"full_name": repo}},
		"links":       map[string]any{"html": map[string]string{"href": fmt.Sprintf("%s/%s/pull-requests/%d", f.URL, repo, p.Number)}},
	}
}

package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// FakeStatus is a commit status (a check run on GitHub) as a FakeForge
// keeps it, in the host's own words: State is GitHub's pending, success,
// failure or error; GitLab's pending, running, success, failed or
// canceled; Azure DevOps' pending, succeeded, failed or error; Bitbucket's
// INPROGRESS, SUCCESSFUL, FAILED or STOPPED. A check run has Status
// (queued, in_progress, completed) and, once completed, Conclusion.
type FakeStatus struct {
	Context     string
	State       string
	Description string
	TargetURL   string
	// Genre is Azure DevOps' context genre (the part before the name).
	Genre string
	// CheckRun makes it a GitHub check run named Context.
	CheckRun           bool
	Status, Conclusion string
	id                 int
}

// SetStatus adds a status to commit sha; the newest status of a context
// is the one the hosts report as its latest.
func (f *FakeForge) SetStatus(sha string, s FakeStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.statuses == nil {
		f.statuses = map[string][]FakeStatus{}
	}
	f.statusSeq++
	s.id = f.statusSeq
	f.statuses[sha] = append(f.statuses[sha], s)
}

// LimitStatuses makes the next n status requests answer 429 with
// Retry-After: after (seconds), as the hosts' rate limits do.
func (f *FakeForge) LimitStatuses(n, after int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statusLimit, f.statusRetryAfter = n, after
}

// StatusRequests returns how many status requests arrived, and how many
// of them were answered 304 Not Modified.
func (f *FakeForge) StatusRequests() (total, notModified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statusRequests, f.statusNotModified
}

// latest returns the newest status of each context of sha (check runs
// or statuses); the caller holds mu.
func (f *FakeForge) latest(sha string, checkRuns bool) []FakeStatus {
	var out []FakeStatus
	seen := map[string]int{}
	for _, s := range f.statuses[sha] {
		if s.CheckRun != checkRuns {
			continue
		}
		key := s.Genre + "/" + s.Context
		if i, ok := seen[key]; ok {
			out[i] = s
			continue
		}
		seen[key] = len(out)
		out = append(out, s)
	}
	return out
}

// all returns every status of sha, newest first; the caller holds mu.
func (f *FakeForge) all(sha string) []FakeStatus {
	var out []FakeStatus
	list := f.statuses[sha]
	for i := len(list) - 1; i >= 0; i-- {
		if !list[i].CheckRun {
			out = append(out, list[i])
		}
	}
	return out
}

// commitExists reports whether sha names a commit of repo.
func (f *FakeForge) commitExists(repo, sha string) bool {
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(sha) {
		return false
	}
	return exec.Command("git", "--git-dir", f.Git.Dir(repo), "cat-file", "-e", sha+"^{commit}").Run() == nil
}

var (
	githubStatusRoute = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)/commits/([^/]+)/(status|check-runs)$`)
	gitlabStatusRoute = regexp.MustCompile(`^/api/v4/projects/([^/]+)/repository/commits/([^/]+)/statuses$`)
	azureStatusRoute  = regexp.MustCompile(`(?i)^/([^/]+/[^/]+)/_apis/git/repositories/([^/]+)/commits/([^/]+)/statuses$`)
	bitbucketStatus   = regexp.MustCompile(`^/2\.0/repositories/([^/]+)/([^/]+)/commit/([^/]+)/statuses$`)
)

// statusAPI answers the commit status endpoints of the forge's host and
// reports whether the request was one:
//   - GitHub: docs.github.com/en/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
//     (GET .../commits/{ref}/status: state, statuses with the latest of each
//     context, sha, total_count; per_page, page) and
//     docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
//     (GET .../commits/{ref}/check-runs: total_count, check_runs; check_name,
//     status, filter, per_page, page, app_id); 422 "No commit found for SHA"
//     for an unknown commit. Answers carry an ETag, and a request with a
//     matching If-None-Match gets 304 (docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
//   - GitLab: docs.gitlab.com/api/commits#list-the-statuses-of-a-commit
//     (GET /projects/:id/repository/commits/:sha/statuses: ref, stage,
//     name, pipeline_id, order_by, sort, all, page, per_page; the latest
//     of each name unless all=true); 404 "404 Commit Not Found".
//   - Azure DevOps: learn.microsoft.com/en-us/rest/api/azure/devops/git/statuses/list
//     (GET .../commits/{commitId}/statuses?api-version=7.1: count, value;
//     top, skip, latestOnly); 404 for an unknown commit.
//   - Bitbucket Cloud: developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses
//     (GET .../commit/{commit}/statuses: values, pagelen, page, size;
//     q, sort, refname, pagelen, page); 404 for an unknown commit.
//
// Unknown query parameters are refused with 400, so that the client sends
// only documented ones.
func (f *FakeForge) statusAPI(w http.ResponseWriter, r *http.Request) bool {
	var repo, sha, what string
	var allowed []string
	switch f.kind {
	case "github":
		m := githubStatusRoute.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		repo, sha, what = m[1]+"/"+m[2], m[3], m[4]
		allowed = []string{"per_page", "page"}
		if what == "check-runs" {
			allowed = append(allowed, "check_name", "status", "filter", "app_id")
		}
	case "gitlab":
		m := gitlabStatusRoute.FindStringSubmatch(r.URL.EscapedPath())
		if m == nil {
			return false
		}
		p, err := url.PathUnescape(m[1])
		if err != nil {
			return false
		}
		repo, sha = p, m[2]
		allowed = []string{"ref", "stage", "name", "pipeline_id", "order_by", "sort", "all", "page", "per_page"}
	case "azure":
		m := azureStatusRoute.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		repo, sha = m[1]+"/_git/"+m[2], m[3]
		allowed = []string{"api-version", "top", "skip", "latestOnly"}
	case "bitbucket":
		m := bitbucketStatus.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		repo, sha = m[1]+"/"+m[2], m[3]
		allowed = []string{"q", "sort", "refname", "pagelen", "page"}
	default:
		return false
	}
	f.mu.Lock()
	f.statusRequests++
	limited := f.statusLimit > 0
	if limited {
		f.statusLimit--
	}
	after := f.statusRetryAfter
	f.mu.Unlock()
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
		return true
	}
	if f.auth(r) == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return true
	}
	if limited {
		w.Header().Set("Retry-After", strconv.Itoa(after))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "API rate limit exceeded"})
		return true
	}
	for k := range r.URL.Query() {
		if !contains(allowed, k) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "unknown query parameter " + k})
			return true
		}
	}
	if f.kind == "azure" && r.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "VssInvalidPreviewVersionException: api-version is required"})
		return true
	}
	if _, err := os.Stat(f.Git.Dir(repo)); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return true
	}
	if !f.commitExists(repo, sha) {
		switch f.kind {
		case "github":
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "No commit found for SHA: " + sha})
		case "gitlab":
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Commit Not Found"})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "commit " + sha + " not found"})
		}
		return true
	}
	f.mu.Lock()
	var body any
	switch f.kind {
	case "github":
		body = f.githubStatuses(sha, what)
	case "gitlab":
		var list []map[string]any
		src := f.latest(sha, false)
		if r.URL.Query().Get("all") == "true" {
			src = f.all(sha)
		}
		for _, s := range src {
			list = append(list, map[string]any{"id": s.id, "sha": sha, "ref": "main", "status": s.State, "name": s.Context,
				"target_url": nullable(s.TargetURL), "description": nullable(s.Description), "created_at": time.Now().UTC().Format(time.RFC3339), "allow_failure": false})
		}
		body = orEmpty(list)
	case "azure":
		var list []map[string]any
		src := f.all(sha)
		if r.URL.Query().Get("latestOnly") == "true" {
			src = f.latest(sha, false)
		}
		for _, s := range src {
			list = append(list, map[string]any{"id": s.id, "state": s.State, "description": s.Description, "targetUrl": s.TargetURL,
				"context": map[string]string{"name": s.Context, "genre": s.Genre}, "creationDate": time.Now().UTC().Format(time.RFC3339)})
		}
		body = map[string]any{"count": len(list), "value": orEmpty(list)}
	case "bitbucket":
		var list []map[string]any
		for _, s := range f.latest(sha, false) {
			list = append(list, map[string]any{"type": "build", "key": s.Context, "state": s.State, "name": s.Context, "description": s.Description, "url": s.TargetURL,
				"refname": nil, "created_on": time.Now().UTC().Format(time.RFC3339), "updated_on": time.Now().UTC().Format(time.RFC3339)})
		}
		body = map[string]any{"values": orEmpty(list), "pagelen": 10, "page": 1, "size": len(list)}
	}
	f.mu.Unlock()
	data, _ := json.Marshal(body)
	if f.kind == "github" {
		if writeETag(w, r, data) {
			f.mu.Lock()
			f.statusNotModified++
			f.mu.Unlock()
		}
		return true
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(append(data, '\n'))
	return true
}

// githubStatuses is GitHub's combined status or check run list of sha;
// the caller holds mu.
func (f *FakeForge) githubStatuses(sha, what string) any {
	if what == "check-runs" {
		var runs []map[string]any
		for _, s := range f.latest(sha, true) {
			var conclusion any
			if s.Status == "completed" {
				conclusion = s.Conclusion
			}
			runs = append(runs, map[string]any{"id": s.id, "head_sha": sha, "name": s.Context, "status": s.Status, "conclusion": conclusion,
				"html_url": s.TargetURL, "output": map[string]any{"title": nullable(s.Description), "summary": nil}})
		}
		return map[string]any{"total_count": len(runs), "check_runs": orEmpty(runs)}
	}
	var list []map[string]any
	combined := "success"
	for _, s := range f.latest(sha, false) {
		list = append(list, map[string]any{"id": s.id, "context": s.Context, "state": s.State, "description": nullable(s.Description), "target_url": nullable(s.TargetURL)})
		switch {
		case s.State == "failure" || s.State == "error":
			combined = "failure"
		case s.State == "pending" && combined == "success":
			combined = "pending"
		}
	}
	if len(list) == 0 {
		combined = "pending"
	}
	return map[string]any{"state": combined, "sha": sha, "total_count": len(list), "statuses": orEmpty(list)}
}

func orEmpty(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String describes s for test failures.
func (s FakeStatus) String() string { return fmt.Sprintf("%s=%s", s.Context, s.State) }

package testenv

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// FakeRules are the rules a FakeForge's API reports for a branch
// (Protect). The Git server does not enforce them: they are what the host
// tells `tagbump doctor`.
type FakeRules struct {
	// PullRequest requires changes to arrive through a pull request, with
	// Approvals approvals.
	PullRequest bool
	Approvals   int
	// Signed requires signed commits.
	Signed bool
	// Pushers, when not nil, are the only users who may push (empty:
	// nobody).
	Pushers []string
	// Ruleset puts the rules in a GitHub ruleset instead of classic branch
	// protection.
	Ruleset bool
}

// Protect makes the API report rules for branch of every repository.
func (f *FakeForge) Protect(branch string, rules FakeRules) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rules == nil {
		f.rules = map[string]FakeRules{}
	}
	f.rules[branch] = rules
}

// SetScopes sets the scopes the host reports for the read-write token
// (GitHub's and Bitbucket's X-OAuth-Scopes header, GitLab's token
// details); nil, the default, reports none, as for a fine-grained token.
func (f *FakeForge) SetScopes(scopes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = scopes
}

// azureRepoID is the id the fake gives every Azure repository.
const azureRepoID = "3411ebc1-d5aa-464f-9615-0b527bc66719"

var (
	githubAccessRoute    = regexp.MustCompile(`^/api/v3/repos/([^/]+)/([^/]+)(?:/branches/([^/]+)(/protection)?|/rules/branches/([^/]+))?$`)
	gitlabAccessRoute    = regexp.MustCompile(`^/api/v4/projects/([^/]+)(?:/protected_branches/([^/]+)|/(push_rule)|/(protected_branches))?$`)
	azureAccessRoute     = regexp.MustCompile(`(?i)^/([^/]+/[^/]+)/_apis/git/(?:repositories/([^/]+)|(policy/configurations))$`)
	bitbucketAccessRoute = regexp.MustCompile(`^/2\.0/repositories/([^/]+)/([^/]+)(/branch-restrictions)?$`)
)

// accessAPI answers the reads of a token's access and a branch's rules,
// and reports whether it did:
//   - GitHub: GET /repos/{o}/{r} (permissions; X-OAuth-Scopes for a
//     classic token, docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps),
//     GET .../branches/{b} (protected), GET .../branches/{b}/protection
//     (docs.github.com/en/rest/branches/branch-protection: 404 "Branch not
//     protected"; 403 for a token without admin access), GET
//     .../rules/branches/{b} (docs.github.com/en/rest/repos/rules: rules of
//     type pull_request, required_signatures, update);
//   - GitLab: GET /personal_access_tokens/self (scopes), GET /projects/:id
//     (permissions.project_access), GET .../protected_branches/:name
//     (push_access_levels; 404 when no rule has that name), GET
//     .../protected_branches (every rule), GET .../push_rule
//     (reject_unsigned_commits; 404 when there is none);
//   - Azure DevOps: GET .../_apis/git/repositories/{name} (id), GET
//     .../_apis/git/policy/configurations?repositoryId&refName (the
//     policies that apply to the branch);
//   - Bitbucket Cloud: GET /2.0/repositories/{ws}/{repo}
//     (X-OAuth-Scopes), GET .../branch-restrictions (repository:admin
//     only: 403 for the read-only token).
func (f *FakeForge) accessAPI(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	switch f.kind {
	case "github":
		m := githubAccessRoute.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		f.githubAccess(w, r, m)
	case "gitlab":
		if r.URL.Path == "/api/v4/personal_access_tokens/self" {
			f.gitlabToken(w, r)
			return true
		}
		m := gitlabAccessRoute.FindStringSubmatch(r.URL.EscapedPath())
		if m == nil {
			return false
		}
		f.gitlabAccess(w, r, m)
	case "azure":
		m := azureAccessRoute.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		f.azureAccess(w, r, m)
	case "bitbucket":
		m := bitbucketAccessRoute.FindStringSubmatch(r.URL.Path)
		if m == nil {
			return false
		}
		f.bitbucketAccess(w, r, m)
	default:
		return false
	}
	return true
}

// branchRules returns the rules of branch and whether it has any.
func (f *FakeForge) branchRules(branch string) (FakeRules, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rules[branch]
	return r, ok
}

func (f *FakeForge) reportedScopes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.scopes
}

func (f *FakeForge) githubAccess(w http.ResponseWriter, r *http.Request, m []string) {
	access := f.auth(r)
	if access == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	notFound := func(msg string) { writeJSON(w, http.StatusNotFound, map[string]string{"message": msg}) }
	path := m[1] + "/" + m[2]
	if _, err := os.Stat(f.Git.Dir(path)); err != nil {
		notFound("Not Found")
		return
	}
	branch := m[3] + m[5]
	rules, protected := f.branchRules(branch)
	switch {
	case branch == "":
		if s := f.reportedScopes(); s != nil && access == "rw" {
			w.Header().Set("X-OAuth-Scopes", strings.Join(s, ", "))
		}
		rw := access == "rw"
		writeJSON(w, http.StatusOK, map[string]any{"full_name": path, "private": true,
			"permissions": map[string]bool{"admin": false, "maintain": false, "push": rw, "triage": rw, "pull": true}})
	case m[5] != "": // rules/branches/{b}
		out := []map[string]any{}
		if protected && rules.Ruleset {
			if rules.PullRequest {
				out = append(out, map[string]any{"type": "pull_request", "ruleset_source_type": "Repository", "ruleset_source": path, "ruleset_id": 1,
					"parameters": map[string]any{"required_approving_review_count": rules.Approvals, "dismiss_stale_reviews_on_push": false,
						"require_code_owner_review": false, "require_last_push_approval": false, "required_review_thread_resolution": false}})
			}
			if rules.Signed {
				out = append(out, map[string]any{"type": "required_signatures", "ruleset_source_type": "Repository", "ruleset_source": path, "ruleset_id": 1})
			}
			if rules.Pushers != nil {
				out = append(out, map[string]any{"type": "update", "ruleset_source_type": "Repository", "ruleset_source": path, "ruleset_id": 1,
					"parameters": map[string]any{"update_allows_fetch_and_merge": false}})
			}
		}
		writeJSON(w, http.StatusOK, out)
	case !f.branchExists(path, branch):
		notFound("Branch not found")
	case m[4] == "":
		writeJSON(w, http.StatusOK, map[string]any{"name": branch, "protected": protected, "commit": map[string]any{"sha": f.BranchSHA(path, branch)}})
	case access != "rw":
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
	case !protected || rules.Ruleset:
		notFound("Branch not protected")
	default:
		out := map[string]any{"url": f.URL + r.URL.Path,
			"required_signatures": map[string]any{"enabled": rules.Signed},
			"enforce_admins":      map[string]any{"enabled": false},
		}
		if rules.PullRequest {
			out["required_pull_request_reviews"] = map[string]any{"required_approving_review_count": rules.Approvals, "dismiss_stale_reviews": false, "require_code_owner_reviews": false}
		}
		if rules.Pushers != nil {
			users := []map[string]any{}
			for _, u := range rules.Pushers {
				users = append(users, map[string]any{"login": u, "type": "User"})
			}
			out["restrictions"] = map[string]any{"users": users, "teams": []any{}, "apps": []any{}}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (f *FakeForge) gitlabToken(w http.ResponseWriter, r *http.Request) {
	scopes := f.reportedScopes()
	if f.auth(r) != "rw" || scopes == nil {
		// A job token has no token details.
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 42, "name": "tagbump", "revoked": false, "active": true, "scopes": scopes,
		"user_id": 7, "created_at": "2026-01-02T03:04:05Z", "expires_at": "2027-01-02"})
}

func (f *FakeForge) gitlabAccess(w http.ResponseWriter, r *http.Request, m []string) {
	access := f.auth(r)
	if access == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	project, err := url.PathUnescape(m[1])
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	if _, err := os.Stat(f.Git.Dir(project)); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Project Not Found"})
		return
	}
	if access != "rw" {
		// The read-only token stands for one without the api (or
		// read_api) scope: the REST API refuses it altogether.
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.", "scope": "api read_api"})
		return
	}
	level := 30
	switch {
	case m[3] == "push_rule":
		rules, _ := f.branchRules("main")
		if !rules.Signed {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": 1, "project_id": 1, "reject_unsigned_commits": true, "commit_committer_check": false, "deny_delete_tag": false})
	case m[4] != "":
		// Every rule, a name or a wildcard pattern each (one page).
		f.mu.Lock()
		out := []map[string]any{}
		for name, rules := range f.rules {
			out = append(out, gitlabProtection(name, rules))
		}
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case m[2] != "":
		// The rule named so (a wildcard rule by its pattern), as GitLab
		// finds it: a branch that only a wildcard protects answers 404.
		branch, _ := url.PathUnescape(m[2])
		rules, ok := f.branchRules(branch)
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
			return
		}
		writeJSON(w, http.StatusOK, gitlabProtection(branch, rules))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": 1, "path_with_namespace": project,
			"permissions": map[string]any{"project_access": map[string]int{"access_level": level, "notification_level": 3}, "group_access": nil}})
	}
}

// gitlabProtection is the protected branch name (or pattern) with rules
// as GitLab's API answers it: Maintainers push unless the rules name who
// may; "No one" (0) when nobody may, and changes then go through merge
// requests.
func gitlabProtection(name string, rules FakeRules) map[string]any {
	push := []map[string]any{{"id": 1, "access_level": 40, "access_level_description": "Maintainers", "user_id": nil, "group_id": nil, "deploy_key_id": nil}}
	if rules.PullRequest || rules.Pushers != nil && len(rules.Pushers) == 0 {
		push = []map[string]any{{"id": 1, "access_level": 0, "access_level_description": "No one", "user_id": nil, "group_id": nil, "deploy_key_id": nil}}
	}
	for i, u := range rules.Pushers {
		push = append(push, map[string]any{"id": 2 + i, "access_level": 30, "access_level_description": u, "user_id": 100 + i, "group_id": nil, "deploy_key_id": nil})
	}
	return map[string]any{"id": 1, "name": name, "push_access_levels": push,
		"merge_access_levels": []map[string]any{{"id": 1, "access_level": 30, "access_level_description": "Developers + Maintainers"}},
		"allow_force_push":    false, "code_owner_approval_required": false}
}

func (f *FakeForge) azureAccess(w http.ResponseWriter, r *http.Request, m []string) {
	fail := func(status int, typeKey, msg string) {
		writeJSON(w, status, map[string]any{"$id": "1", "innerException": nil, "message": msg, "typeName": "Microsoft.TeamFoundation." + typeKey, "typeKey": typeKey, "errorCode": 0, "eventId": 3000})
	}
	if f.auth(r) == "" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == "" {
		fail(http.StatusBadRequest, "VssInvalidPreviewVersionException", "No api-version was supplied for the \"GET\" request.")
		return
	}
	if m[2] != "" {
		repo := m[1] + "/_git/" + m[2]
		if _, err := os.Stat(f.Git.Dir(repo)); err != nil {
			fail(http.StatusNotFound, "GitRepositoryNotFoundException", "TF401019: The Git repository with name or identifier "+m[2]+" does not exist or you do not have permissions for the operation you are attempting.")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": azureRepoID, "name": m[2], "defaultBranch": "refs/heads/main",
			"project": map[string]any{"name": strings.SplitN(m[1], "/", 2)[1]}})
		return
	}
	// The policies that apply to refName in the repository repositoryId
	// (a GUID: a name is refused).
	if q.Get("repositoryId") != azureRepoID {
		fail(http.StatusBadRequest, "InvalidArgumentValueException", "The value specified for the following variable must be a valid Guid: repositoryId.")
		return
	}
	ref, ok := strings.CutPrefix(q.Get("refName"), "refs/heads/")
	if !ok {
		fail(http.StatusBadRequest, "InvalidArgumentValueException", "refName must be a fully-qualified ref name")
		return
	}
	out := []map[string]any{}
	rules, protected := f.branchRules(ref)
	scope := []map[string]any{{"refName": "refs/heads/" + ref, "matchKind": "Exact", "repositoryId": azureRepoID}}
	if protected && rules.PullRequest {
		out = append(out, map[string]any{"id": 1, "revision": 1, "isEnabled": true, "isBlocking": true, "isDeleted": false,
			"type":     map[string]any{"id": "fa4e907d-c16b-4a4c-9dfa-4906e5d171dd", "displayName": "Minimum number of reviewers"},
			"settings": map[string]any{"minimumApproverCount": rules.Approvals, "creatorVoteCounts": false, "scope": scope}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "value": out})
}

func (f *FakeForge) bitbucketAccess(w http.ResponseWriter, r *http.Request, m []string) {
	fail := func(status int, msg string) {
		writeJSON(w, status, map[string]any{"type": "error", "error": map[string]any{"message": msg}})
	}
	access := f.auth(r)
	if access == "" {
		fail(http.StatusUnauthorized, "Token is invalid or not supported for this endpoint.")
		return
	}
	repo := m[1] + "/" + m[2]
	if _, err := os.Stat(f.Git.Dir(repo)); err != nil {
		fail(http.StatusNotFound, "Repository "+repo+" not found")
		return
	}
	if m[3] == "" {
		if s := f.reportedScopes(); s != nil && access == "rw" {
			w.Header().Set("X-OAuth-Scopes", strings.Join(s, ", "))
		}
		writeJSON(w, http.StatusOK, map[string]any{"type": "repository", "full_name": repo, "is_private": true, "mainbranch": map[string]any{"name": "main", "type": "branch"}})
		return
	}
	if access != "rw" {
		fail(http.StatusForbidden, "Your credentials lack one or more required privilege scopes.")
		return
	}
	f.mu.Lock()
	values := []map[string]any{}
	id := 0
	for branch, rules := range f.rules {
		id++
		if rules.Pushers != nil || rules.PullRequest {
			users := []map[string]any{}
			for _, u := range rules.Pushers {
				users = append(users, map[string]any{"type": "user", "display_name": u, "uuid": fmt.Sprintf("{%08d-0000-4000-8000-000000000000}", id)})
			}
			values = append(values, map[string]any{"type": "branchrestriction", "id": id, "kind": "push", "branch_match_kind": "glob", "pattern": branch, "users": users, "groups": []any{}})
		}
		if rules.Approvals > 0 {
			id++
			values = append(values, map[string]any{"type": "branchrestriction", "id": id, "kind": "require_approvals_to_merge", "branch_match_kind": "glob", "pattern": branch, "value": rules.Approvals, "users": []any{}, "groups": []any{}})
		}
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"pagelen": 100, "page": 1, "size": len(values), "values": values})
}

package forge_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

// fakeRepo creates acme/charts (Azure: org/p/_git/charts) on f and returns
// the options that reach it with token.
func fakeRepo(t *testing.T, f *testenv.FakeForge, kind, token string) forge.Options {
	t.Helper()
	repo, u := "acme/charts", f.URL+"/acme/charts.git"
	if kind == "azure" {
		repo, u = "org/p/_git/charts", f.URL+"/org/p/_git/charts"
	}
	if err := f.CreateRepo(repo, map[string]string{"a": "1\n"}); err != nil {
		t.Fatal(err)
	}
	o := forge.Options{Kind: forge.Kind(kind), RepoURL: u, Token: token}
	if kind == "bitbucket" {
		o.APIURL = f.URL + "/2.0"
	}
	return o
}

// TestInspect reads scopes and branch rules from each host's stand-in: an
// unprotected branch; a protected one (pull requests required, signed
// commits where the host has the rule); scopes where the host reports
// them, and the note where it does not.
func TestInspect(t *testing.T) {
	testenv.RequireBinary(t, "git")
	for _, c := range []struct {
		kind   string
		scopes []string
		// want is the protected branch's rules as the host reports them.
		want forge.BranchRules
		// permission and canPush as reported for the read-write token.
		permission string
		canPush    bool
	}{
		{"github", []string{"repo", "workflow"}, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 1, Signed: true, PushRefused: true, Pushers: "nobody"}, "push", true},
		{"gitlab", []string{"api", "write_repository"}, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Signed: true, PushRefused: true, Pushers: "No one"}, "Developer", true},
		{"azure", nil, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 1, PushRefused: true, Pushers: "nobody: required policies (Minimum number of reviewers)"}, "", false},
		{"bitbucket", []string{"repository:write", "pullrequest:write"}, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 1, PushRefused: true, Pushers: "nobody"}, "", false},
	} {
		t.Run(c.kind, func(t *testing.T) {
			f, err := testenv.StartFakeForge(c.kind)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			o := fakeRepo(t, f, c.kind, f.Token)
			fg, err := forge.New(o)
			if err != nil {
				t.Fatal(err)
			}
			in := fg.(forge.Inspector)
			ctx := context.Background()

			// Unprotected, and a token whose scopes are not reported.
			a, err := in.Inspect(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(forge.BranchRules{Name: "main", Known: true}, a.Branch); diff != "" {
				t.Errorf("unprotected branch (-want +got):\n%s", diff)
			}
			if a.Scopes != nil || a.ScopesNote == "" {
				t.Errorf("scopes %v, note %q: want none and a note", a.Scopes, a.ScopesNote)
			}
			if a.Permission != c.permission || (a.CanPush != nil) != (c.permission != "") || a.CanPush != nil && *a.CanPush != c.canPush {
				t.Errorf("permission %q, can push %v: want %q, %v", a.Permission, a.CanPush, c.permission, c.canPush)
			}

			// Protected, and scopes reported where the host does.
			f.Protect("main", testenv.FakeRules{PullRequest: true, Approvals: 1, Signed: true, Pushers: []string{}})
			f.SetScopes(c.scopes)
			a, err = in.Inspect(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, a.Branch); diff != "" {
				t.Errorf("protected branch (-want +got):\n%s", diff)
			}
			if c.scopes != nil && !slices.Equal(a.Scopes, c.scopes) {
				t.Errorf("scopes %v, want %v", a.Scopes, c.scopes)
			}
		})
	}
}

// TestInspectGitHub covers what GitHub reports differently: rules in a
// ruleset (readable by all), and classic protection that a token without
// admin access may not read (the branch still says it is protected).
func TestInspectGitHub(t *testing.T) {
	testenv.RequireBinary(t, "git")
	f, err := testenv.StartFakeForge("github")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := fakeRepo(t, f, "github", f.Token)
	ctx := context.Background()
	inspect := func(o forge.Options) *forge.Access {
		t.Helper()
		fg, err := forge.New(o)
		if err != nil {
			t.Fatal(err)
		}
		a, err := fg.(forge.Inspector).Inspect(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.Protect("main", testenv.FakeRules{Ruleset: true, PullRequest: true, Approvals: 2, Signed: true})
	want := forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 2, Signed: true, PushRefused: true}
	if diff := cmp.Diff(want, inspect(o).Branch); diff != "" {
		t.Errorf("ruleset (-want +got):\n%s", diff)
	}

	f.Protect("main", testenv.FakeRules{Pushers: []string{"release-bot"}})
	if b := inspect(o).Branch; b.Pushers != "release-bot" || b.PushRefused || b.PullRequest {
		t.Errorf("push restricted to a user: %+v", b)
	}
	o.Token = f.ReadOnlyToken
	b := inspect(o).Branch
	if b.Known || !b.Protected || b.Note == "" {
		t.Errorf("classic protection unreadable: %+v, want protected, not known, a note", b)
	}
}

// inspectRoutes runs Inspect of kind on main against a server that
// answers routes (escaped path -> JSON; any other path: 404) and fails
// the test on any request but a GET.
func inspectRoutes(t *testing.T, kind forge.Kind, repoURL, apiSuffix string, routes map[string]string) forge.BranchRules {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("Inspect sent %s %s", r.Method, r.URL)
		}
		body, ok := routes[r.URL.EscapedPath()]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"404 Not Found"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	f, err := forge.New(forge.Options{Kind: kind, RepoURL: repoURL, APIURL: srv.URL + apiSuffix, Token: "tok-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.(forge.Inspector).Inspect(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return a.Branch
}

// TestInspectGitHubAdminBypass: classic protection is readable with admin
// access only, and unless enforce_admins is enabled its rules do not apply
// to admins: such a token may push to main directly. With enforce_admins
// they do.
func TestInspectGitHubAdminBypass(t *testing.T) {
	routes := map[string]string{
		"/repos/acme/charts": `{"permissions":{"admin":true,"maintain":true,"push":true,"triage":true,"pull":true}}`,
		"/repos/acme/charts/branches/main/protection": `{"required_pull_request_reviews":{"required_approving_review_count":1},
			"enforce_admins":{"enabled":false},"required_signatures":{"enabled":true}}`,
		"/repos/acme/charts/rules/branches/main": `[]`,
	}
	b := inspectRoutes(t, forge.GitHub, "https://github.example/acme/charts", "", routes)
	if b.PushRefused || b.Signed || !b.Protected || b.Note == "" {
		t.Errorf("admin token, enforce_admins disabled: %+v; want protected, push allowed, no signature required of it, a note", b)
	}
	routes["/repos/acme/charts/branches/main/protection"] = `{"required_pull_request_reviews":{"required_approving_review_count":1},
		"enforce_admins":{"enabled":true},"required_signatures":{"enabled":true}}`
	if b = inspectRoutes(t, forge.GitHub, "https://github.example/acme/charts", "", routes); !b.PushRefused || !b.Signed {
		t.Errorf("admin token, enforce_admins enabled: %+v; want push refused, signatures required", b)
	}
}

// TestInspectBitbucketBranchingModel: a restriction may name a branch
// type of the branching model (branch_match_kind "branching_model"): the
// development branch, main here; it protects main. When the model cannot
// be read, the rules are not known, never "not protected".
func TestInspectBitbucketBranchingModel(t *testing.T) {
	routes := map[string]string{
		"/2.0/repositories/ws/charts": `{"mainbranch":{"name":"main"}}`,
		"/2.0/repositories/ws/charts/branch-restrictions": `{"values":[{"kind":"push","branch_match_kind":"branching_model","branch_type":"development","users":[],"groups":[]},
			{"kind":"require_approvals_to_merge","branch_match_kind":"branching_model","branch_type":"release","value":3,"users":[],"groups":[]}]}`,
		"/2.0/repositories/ws/charts/branching-model": `{"development":{"name":"main","use_mainbranch":true},
			"branch_types":[{"kind":"release","prefix":"release/"}]}`,
	}
	b := inspectRoutes(t, forge.Bitbucket, "https://bitbucket.org/ws/charts", "/2.0", routes)
	if !b.Known || !b.Protected || !b.PushRefused || b.Approvals != 0 {
		t.Errorf("push restricted to nobody on the development branch (main): %+v; want it protected, pushes refused, no approvals (those are release/'s)", b)
	}
	delete(routes, "/2.0/repositories/ws/charts/branching-model")
	if b = inspectRoutes(t, forge.Bitbucket, "https://bitbucket.org/ws/charts", "/2.0", routes); b.Known || b.Note == "" {
		t.Errorf("branching model unreadable: %+v; want the rules not known, and why", b)
	}
}

// TestInspectGitLabWildcard: GET protected_branches/:name finds a rule by
// its name, a wildcard rule by its pattern: main protected by "ma*"
// answers 404 there, and the list of rules has it.
func TestInspectGitLabWildcard(t *testing.T) {
	b := inspectRoutes(t, forge.GitLab, "https://gitlab.example/group/charts", "/api/v4", map[string]string{
		"/api/v4/personal_access_tokens/self":                      `{"scopes":["api"]}`,
		"/api/v4/projects/group%2Fcharts":                          `{"permissions":{"project_access":{"access_level":30}}}`,
		"/api/v4/projects/group%2Fcharts/protected_branches":       `[{"name":"release/*","push_access_levels":[{"access_level":40}]},{"name":"ma*","push_access_levels":[{"access_level":0,"access_level_description":"No one"}]}]`,
		"/api/v4/projects/group%2Fcharts/protected_branches/ma%2A": `{"name":"ma*","push_access_levels":[{"access_level":0,"access_level_description":"No one"}]}`,
		"/api/v4/projects/group%2Fcharts/push_rule":                `null`,
	})
	if !b.Protected || !b.PushRefused || b.Pushers != "No one" {
		t.Errorf("main protected by the wildcard ma* (push: No one): %+v; want protected, pushes refused, only ma*'s pushers", b)
	}
}

// TestInspectAzureRepoPolicy: repository-wide Git policies (file size,
// path length, reserved names) are enabled and blocking but check pushes;
// they do not make a branch take changes through pull requests only.
func TestInspectAzureRepoPolicy(t *testing.T) {
	b := inspectRoutes(t, forge.Azure, "https://dev.azure.com/org/p/_git/charts", "", map[string]string{
		"/org/p/_apis/git/repositories/charts": `{"id":"r1"}`,
		"/org/p/_apis/git/policy/configurations": `{"count":2,"value":[{"isEnabled":true,"isBlocking":true,"isDeleted":false,
			"type":{"id":"2e26e725-8201-4edd-8bf5-978563c34a80","displayName":"File size restriction"},
			"settings":{"maximumGitBlobSizeInBytes":10485760,"useUncompressedSize":false,"scope":[{"repositoryId":"r1"}]}},
			{"isEnabled":true,"isBlocking":true,"isDeleted":false,
			"type":{"id":"001a79cf-fda1-4c4e-9e7c-bac40ee5ead8","displayName":"Path Length restriction"},
			"settings":{"maxPathLength":248,"scope":[{"repositoryId":"r1"}]}}]}`,
	})
	if b.PullRequest || b.PushRefused || b.Protected {
		t.Errorf("only repository-wide push policies: %+v; want no pull request requirement", b)
	}
}

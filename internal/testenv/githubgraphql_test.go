package testenv_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestGitHubGraphQLStrict checks that the stand-in refuses what GitHub
// refuses: calls that are not the documented mutation, inputs that miss
// required fields or carry unknown ones, and requests without a token.
func TestGitHubGraphQLStrict(t *testing.T) {
	git := testenv.NewGitServer(t)
	dir := git.MustCreateRepo(t, "acme/charts", map[string]string{"a.yaml": "a: 1\n"})
	tip := testenv.MustGit(t, dir, "rev-parse", "main")
	api := testenv.NewGitHubGraphQL(t, git)
	api.AddToken("tok", testenv.GitHubIdentity{Login: "bot", Name: "bot", Email: "bot@example.invalid"})
	const mutation = `mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }`
	good := func() map[string]any {
		return map[string]any{
			"branch":          map[string]any{"repositoryNameWithOwner": "acme/charts", "branchName": "main"},
			"message":         map[string]any{"headline": "chore: x"},
			"expectedHeadOid": tip,
			"fileChanges":     map[string]any{"additions": []any{map[string]any{"path": "a.yaml", "contents": "YTogMgo="}}},
		}
	}
	post := func(token, query string, input map[string]any) (int, string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"input": input}})
		req, _ := http.NewRequest(http.MethodPost, api.URL()+"/graphql", strings.NewReader(string(body)))
		if token != "" {
			req.Header.Set("Authorization", "bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, string(out)
	}
	for _, tc := range []struct {
		name, token, query string
		edit               func(map[string]any)
		status             int
		want               string
	}{
		{"no token", "", mutation, nil, 401, "Bad credentials"},
		{"a query", "tok", `query { viewer { login } }`, nil, 200, "only answers the documented createCommitOnBranch"},
		{"unknown payload field", "tok", strings.Replace(mutation, "oid", "oid author", 1), nil, 200, "doesn't exist on type"},
		{"no expectedHeadOid", "tok", mutation, func(m map[string]any) { delete(m, "expectedHeadOid") }, 200, "invalid value for expectedHeadOid (Expected value to not be null)"},
		{"short expectedHeadOid", "tok", mutation, func(m map[string]any) { m["expectedHeadOid"] = "abc" }, 200, "GitObjectID"},
		{"no headline", "tok", mutation, func(m map[string]any) { m["message"] = map[string]any{"body": "b"} }, 200, "message.headline"},
		{"unknown input field", "tok", mutation, func(m map[string]any) { m["author"] = "x" }, 200, "Field is not defined on CreateCommitOnBranchInput"},
		{"contents not base64", "tok", mutation, func(m map[string]any) {
			m["fileChanges"] = map[string]any{"additions": []any{map[string]any{"path": "a.yaml", "contents": "not base64!"}}}
		}, 200, "Base64String"},
		{"branch by name only", "tok", mutation, func(m map[string]any) { m["branch"] = map[string]any{"branchName": "main"} }, 200, "repositoryNameWithOwner"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			if tc.edit != nil {
				tc.edit(in)
			}
			status, body := post(tc.token, tc.query, in)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, body %s; want %d and %q", status, body, tc.status, tc.want)
			}
		})
	}
	if got := testenv.MustGit(t, dir, "rev-parse", "main"); got != tip || api.Commits() != 0 {
		t.Fatalf("a refused call changed main (%s) or made %d commits", got, api.Commits())
	}
	status, body := post("tok", mutation, good())
	if status != 200 || !strings.Contains(body, `"oid"`) || api.Commits() != 1 {
		t.Errorf("the documented call: status %d, body %s", status, body)
	}
	if got := testenv.MustGit(t, dir, "show", "main:a.yaml"); got != "a: 2" {
		t.Errorf("a.yaml = %q after the commit", got)
	}
}

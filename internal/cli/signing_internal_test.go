package cli

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/tagbump/tagbump/internal/ci"
	"github.com/tagbump/tagbump/pkg/forge"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

func TestRepoHostPath(t *testing.T) {
	for _, tc := range []struct{ repo, host, path string }{
		{"https://github.com/acme/charts.git", "github.com", "/acme/charts.git"},
		{"ssh://git@github.com/acme/charts", "github.com", "/acme/charts"},
		{"git@github.com:acme/charts.git", "github.com", "acme/charts.git"},
		{"/srv/charts", "", ""},
		{"./charts", "", ""},
		{"file:///srv/charts", "", ""},
	} {
		if h, p := repoHostPath(tc.repo); h != tc.host || p != tc.path {
			t.Errorf("repoHostPath(%q) = %q, %q; want %q, %q", tc.repo, h, p, tc.host, tc.path)
		}
	}
}

// TestAPIPublisherEndpoint checks which GraphQL endpoint and repository an
// API commit goes to: GITHUB_GRAPHQL_URL for the run's own GitHub
// Enterprise server, --api-url when given, and a refusal for other hosts.
func TestAPIPublisherEndpoint(t *testing.T) {
	var hit string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit = r.URL.Path + " " + r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"createCommitOnBranch":{"commit":{"oid":"` + strings.Repeat("c", 40) + `"}}}}`))
	}))
	defer srv.Close()
	ghesHost := strings.TrimPrefix(srv.URL, "http://")
	ghesHost = ghesHost[:strings.LastIndex(ghesHost, ":")]
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": "ghs_run_token",
		"GITHUB_SERVER_URL": "https://" + ghesHost, "GITHUB_GRAPHQL_URL": srv.URL + "/api/graphql",
	}
	getenv := func(k string) string { return env[k] }
	c := &signFlags{CommitVia: "api"}
	pub, err := c.apiPublisher(ci.Detect(getenv), getenv, "https://"+ghesHost+"/acme/charts.git", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	commit := &gitrepo.Commit{Branch: "main", Parent: plumbing.NewHash(strings.Repeat("a", 40))}
	if _, err := pub.Publish(context.Background(), commit); err != nil {
		t.Fatal(err)
	}
	if hit != "/api/graphql bearer ghs_run_token" {
		t.Errorf("request went to %q, want GITHUB_GRAPHQL_URL with the run's token", hit)
	}

	if _, err := c.apiPublisher(ci.Detect(getenv), getenv, "https://git.example.com/acme/charts.git", time.Minute); err == nil || !strings.Contains(err.Error(), "--api-url") {
		t.Errorf("a host that is not GitHub: %v, want a refusal naming --api-url", err)
	}
	// The run's token is not sent to another host: without
	// TAGBUMP_GIT_TOKEN there is no token for it.
	c.APIURL = srv.URL
	if _, err := c.apiPublisher(ci.Detect(getenv), getenv, "https://git.example.com/acme/charts.git", time.Minute); !errors.Is(err, forge.ErrAuth) {
		t.Errorf("--api-url for another host without TAGBUMP_GIT_TOKEN: %v, want forge.ErrAuth", err)
	}
	env["TAGBUMP_GIT_TOKEN"] = "ghp_explicit"
	hit = ""
	pub, err = c.apiPublisher(ci.Detect(getenv), getenv, "https://git.example.com/acme/charts.git", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(context.Background(), commit); err != nil || hit != "/graphql bearer ghp_explicit" {
		t.Errorf("--api-url: %v, request %q; want /graphql with TAGBUMP_GIT_TOKEN", err, hit)
	}
}

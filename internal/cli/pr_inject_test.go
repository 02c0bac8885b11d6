package cli_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestPRBodyInertGitea bumps, with --pr on a real Gitea, a values file
// whose old tag holds markdown, HTML, line breaks and a mention of an
// existing team, and checks the pull request as stored and as Gitea renders
// it: the old tag stays in its table cell, and there is no bold approval,
// no mention, no image and no <details> block.
func TestPRBodyInertGitea(t *testing.T) {
	bin, src := testenv.RequireGitea(t)
	g, err := testenv.StartGitea(bin, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	// The organisation the injection mentions exists, so that Gitea would
	// render a mention link.
	if err := g.API(http.MethodPost, "/orgs", map[string]any{"username": "acme"}, nil); err != nil {
		t.Fatal(err)
	}
	values := "image:\n  repository: registry.example.com/app\n  tag: " + strconv.Quote(testenv.MarkdownInjection) + "\n"
	url, err := g.CreateRepo("inject", map[string]string{"app/values-prod.yaml": values})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"TAGBUMP_GIT_TOKEN=" + g.Token, "TAGBUMP_GIT_USER=" + g.Owner}
	code, out, errOut := tagbump(t, env, "bump", "--no-verify", "--repo", url, "--chart", "app", "--env", "prod",
		"--image", "registry.example.com/app:1.1.0", "--pr", "--provider", "gitea", "--pr-title", "Deploy {{.Tag}} over {{.OldTag}}", "-o", "json")
	if code != 0 {
		t.Fatalf("bump: exit %d\n%s", code, errOut)
	}
	var pr giteaPR
	if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/inject/pulls/"+strconv.Itoa(decodePR(t, out).PRNumber), nil, &pr); err != nil {
		t.Fatal(err)
	}
	if err := testenv.CheckInertMarkdown(pr.Body); err != nil {
		t.Error(err)
	}
	if strings.ContainsAny(pr.Title, "\r\n") || strings.Contains(pr.Title, "@acme") {
		t.Errorf("title %q: a line break or a mention", pr.Title)
	}
	html, err := g.RenderMarkdown("inject", pr.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<details", "<img", ">@acme</a>", "<strong>LGTM", `href="https://evil.example`} {
		if strings.Contains(html, bad) {
			t.Errorf("the rendered body has %s", bad)
		}
	}
	if n := strings.Count(html, "<table"); n != 1 {
		t.Errorf("the rendered body has %d tables, want 1", n)
	}
	// The old tag is in a code element in the table.
	at := strings.Index(html, "LGTM")
	if at < 0 || strings.LastIndex(html[:at], "<code") < strings.LastIndex(html[:at], "</code>") ||
		strings.LastIndex(html[:at], "<td") < strings.LastIndex(html[:at], "</td>") {
		t.Errorf("the old tag is not in a code element of a table cell")
	}
	if t.Failed() {
		t.Logf("body:\n%s\nrendered:\n%s", pr.Body, html)
	}
}

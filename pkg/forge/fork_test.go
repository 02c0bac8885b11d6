package forge_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagbump/tagbump/pkg/forge"
)

// TestFindOpenIgnoresForks opens, on each stand-in, a pull request from a
// fork whose branch has the name of tagbump's PR branch: it is not
// tagbump's, and FindOpen must not return it (tagbump would rewrite its
// title and body and enable auto-merge on the fork's content). The
// repository's own pull request from the same branch name is found.
func TestFindOpenIgnoresForks(t *testing.T) {
	for _, s := range standIns("") {
		t.Run(s.kind, func(t *testing.T) {
			f, s, fg := startStandIn(t, s.kind)
			ctx := context.Background()
			f.OpenForkPR("mallory/charts", "tagbump/app-prod", "main", "evil")
			pr, err := fg.FindOpen(ctx, "tagbump/app-prod", "main")
			if err != nil {
				t.Fatal(err)
			}
			if pr != nil {
				t.Fatalf("FindOpen returned the fork's pull request #%d %q", pr.Number, pr.Title)
			}
			branches(t, f.Git.Dir(s.repo), "tagbump/app-prod")
			own, err := fg.Create(ctx, "tagbump/app-prod", "main", forge.Content{Title: "deploy", Body: "b"})
			if err != nil {
				t.Fatal(err)
			}
			if pr, err = fg.FindOpen(ctx, "tagbump/app-prod", "main"); err != nil || pr == nil || pr.Number != own.Number {
				t.Errorf("FindOpen: %+v, %v, want #%d", pr, err, own.Number)
			}
		})
	}
}

// TestGiteaFindOpenIgnoresForks does the same against a server that lists
// pull requests as Gitea's API does (docs.gitea.com/api/1.24,
// repoListPullRequests: PullRequest.head and .base are PRBranchInfo with
// repo_id and repo): a fork's pull request has the fork as head.repo.
func TestGiteaFindOpenIgnoresForks(t *testing.T) {
	const list = `[{"number":7,"html_url":"http://x/acme/charts/pulls/7","title":"evil","body":"",
	  "head":{"ref":"tagbump/app-prod","repo_id":9,"repo":{"id":9,"full_name":"mallory/charts"}},
	  "base":{"ref":"main","repo_id":1,"repo":{"id":1,"full_name":"acme/charts"}}},
	 {"number":8,"html_url":"http://x/acme/charts/pulls/8","title":"deploy","body":"",
	  "head":{"ref":"tagbump/app-prod","repo_id":1,"repo":{"id":1,"full_name":"acme/charts"}},
	  "base":{"ref":"main","repo_id":1,"repo":{"id":1,"full_name":"acme/charts"}}}]`
	for _, c := range []struct {
		name, list string
		want       int
	}{
		{"fork only", list[:strings.Index(list, `,
	 {"number":8`)] + "]", 0},
		{"fork and own", list, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if p := r.URL.Query().Get("page"); p != "" && p != "1" {
					w.Write([]byte("[]"))
					return
				}
				w.Write([]byte(c.list))
			}))
			defer srv.Close()
			fg, err := forge.New(forge.Options{Kind: forge.Gitea, RepoURL: srv.URL + "/acme/charts.git", Token: "t"})
			if err != nil {
				t.Fatal(err)
			}
			pr, err := fg.FindOpen(context.Background(), "tagbump/app-prod", "main")
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			if pr != nil {
				got = pr.Number
			}
			if got != c.want {
				t.Errorf("FindOpen returned #%d, want #%d (0: none)", got, c.want)
			}
		})
	}
}

// TestGiteaFindOpenPageIgnored lists against a server (or a proxy) that
// ignores page and answers the same non-empty page every time: FindOpen
// stops at the repeated page instead of asking up to its page limit.
func TestGiteaFindOpenPageIgnored(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[{"number":1,"title":"x","head":{"ref":"feature"},"base":{"ref":"main"}},{"number":2,"title":"y","head":{"ref":"fix"},"base":{"ref":"main"}}]`))
	}))
	defer srv.Close()
	fg, err := forge.New(forge.Options{Kind: forge.Gitea, RepoURL: srv.URL + "/acme/charts.git", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := fg.FindOpen(context.Background(), "tagbump/app-prod", "main")
	if pr != nil || err != nil {
		t.Errorf("FindOpen: %+v, %v, want none", pr, err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d requests to a server that repeats its page, want 2", got)
	}
}

package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// giteaPR is the part of Gitea's PullRequest the tests look at.
type giteaPR struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Merged bool   `json:"merged"`
	Head   struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

// prResult is the PR part of bump's JSON output.
type prResult struct {
	Outcome  string `json:"outcome"`
	Commit   string `json:"commit"`
	Pushed   bool   `json:"pushed"`
	PRBranch string `json:"pr_branch"`
	PRURL    string `json:"pr_url"`
	PRNumber int    `json:"pr_number"`
	PRAction string `json:"pr_action"`
}

func decodePR(t *testing.T, out string) prResult {
	t.Helper()
	var r prResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bump output is not JSON: %v\n%s", err, out)
	}
	return r
}

func prodValues(tag string) string {
	return "image:\n  repository: registry.example.com/app\n  tag: " + tag + "\n"
}

// TestPRGitea runs bump --pr against a real Gitea server (built from its
// module): create, update, unchanged re-run, merged then new, unchanged
// closes, labels, auto-merge, a human commit refused, a wrong token.
func TestPRGitea(t *testing.T) {
	bin, src := testenv.RequireGitea(t)
	g, err := testenv.StartGitea(bin, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	env := []string{"TAGBUMP_GIT_TOKEN=" + g.Token, "TAGBUMP_GIT_USER=" + g.Owner}
	newRepo := func(t *testing.T, name string) string {
		t.Helper()
		url, err := g.CreateRepo(name, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
		if err != nil {
			t.Fatal(err)
		}
		return url
	}
	bump := func(t *testing.T, url, tag string, extra ...string) (int, string, string) {
		t.Helper()
		args := append([]string{"bump", "--no-verify", "--repo", url, "--chart", "app", "--env", "prod",
			"--image", "registry.example.com/app:" + tag, "--pr", "--provider", "gitea", "-o", "json"}, extra...)
		return tagbump(t, env, args...)
	}
	mustBump := func(t *testing.T, url, tag string, extra ...string) prResult {
		t.Helper()
		code, out, errOut := bump(t, url, tag, extra...)
		if code != 0 {
			t.Fatalf("bump %s: exit %d\n%s", tag, code, errOut)
		}
		return decodePR(t, out)
	}
	pulls := func(t *testing.T, repo, state string) []giteaPR {
		t.Helper()
		var prs []giteaPR
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/pulls?state="+state, nil, &prs); err != nil {
			t.Fatal(err)
		}
		return prs
	}
	pull := func(t *testing.T, repo string, n int) giteaPR {
		t.Helper()
		var pr giteaPR
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, n), nil, &pr); err != nil {
			t.Fatal(err)
		}
		return pr
	}
	file := func(t *testing.T, repo, ref string) string {
		t.Helper()
		var c struct {
			Content string `json:"content"`
		}
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/contents/app/values-prod.yaml?ref="+ref, nil, &c); err != nil {
			t.Fatal(err)
		}
		return decodeB64(t, c.Content)
	}

	t.Run("create, update, unchanged re-run", func(t *testing.T) {
		// Through a counting proxy, to log the requests of each bump.
		var api, git atomic.Int64
		target, _ := neturl.Parse(g.URL)
		rp := httputil.NewSingleHostReverseProxy(target)
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				api.Add(1)
			} else {
				git.Add(1)
			}
			rp.ServeHTTP(w, r)
		}))
		defer proxy.Close()
		url := strings.Replace(newRepo(t, "create-update"), g.URL, proxy.URL, 1)
		counts := func(what string) {
			t.Logf("gitea %s: %d API requests, %d Git requests", what, api.Swap(0), git.Swap(0))
		}
		r := mustBump(t, url, "1.1.0")
		counts("create")
		if r.PRAction != "created" || r.PRNumber == 0 || r.PRBranch != "tagbump/app-prod" || !strings.HasPrefix(r.PRURL, g.URL+"/") || !r.Pushed {
			t.Fatalf("first bump: %+v", r)
		}
		if got := file(t, "create-update", "tagbump/app-prod"); got != prodValues("1.1.0") {
			t.Errorf("PR branch has %q", got)
		}
		if got := file(t, "create-update", "main"); got != prodValues("1.0.0") {
			t.Errorf("main changed without a merge: %q", got)
		}
		pr := pull(t, "create-update", r.PRNumber)
		if pr.State != "open" || !strings.Contains(pr.Title, "1.1.0") || !strings.Contains(pr.Body, "| `app/values-prod.yaml` | `.image.tag` | `1.0.0` | `1.1.0` |") ||
			!strings.Contains(pr.Body, "<!-- tagbump:pr branch=tagbump/app-prod -->") {
			t.Errorf("PR: %+v", pr)
		}

		api.Store(0)
		git.Store(0)
		r2 := mustBump(t, url, "1.2.0")
		counts("update")
		if r2.PRAction != "updated" || r2.PRNumber != r.PRNumber || r2.Commit == r.Commit {
			t.Fatalf("second bump: %+v (first %+v)", r2, r)
		}
		if open := pulls(t, "create-update", "open"); len(open) != 1 || !strings.Contains(open[0].Title, "1.2.0") || open[0].Head.SHA != r2.Commit {
			t.Errorf("open PRs after update: %+v", open)
		}
		if got := file(t, "create-update", "tagbump/app-prod"); got != prodValues("1.2.0") {
			t.Errorf("PR branch has %q", got)
		}

		api.Store(0)
		git.Store(0)
		r3 := mustBump(t, url, "1.2.0")
		counts("identical re-run")
		if r3.PRAction != "unchanged" || r3.Pushed || r3.Commit != r2.Commit || r3.PRNumber != r.PRNumber {
			t.Errorf("identical re-run: %+v", r3)
		}
	})

	t.Run("merged, then a new PR", func(t *testing.T) {
		url := newRepo(t, "merged")
		r := mustBump(t, url, "1.1.0")
		if err := g.API(http.MethodPost, fmt.Sprintf("/repos/%s/merged/pulls/%d/merge", g.Owner, r.PRNumber), map[string]any{"Do": "merge"}, nil); err != nil {
			t.Fatal(err)
		}
		if got := file(t, "merged", "main"); got != prodValues("1.1.0") {
			t.Fatalf("merge did not land: %q", got)
		}
		r2 := mustBump(t, url, "1.2.0")
		if r2.PRAction != "created" || r2.PRNumber == r.PRNumber {
			t.Fatalf("after merge: %+v (merged PR %d)", r2, r.PRNumber)
		}
		if !pull(t, "merged", r.PRNumber).Merged {
			t.Errorf("PR %d no longer merged", r.PRNumber)
		}
	})

	t.Run("unchanged closes the PR", func(t *testing.T) {
		url := newRepo(t, "closes")
		r := mustBump(t, url, "1.1.0")
		if err := g.WriteFiles("closes", "main", "deploy by hand", map[string]string{"app/values-prod.yaml": prodValues("1.1.0")}); err != nil {
			t.Fatal(err)
		}
		r2 := mustBump(t, url, "1.1.0")
		if r2.Outcome != "unchanged" || r2.PRAction != "closed" || r2.PRNumber != r.PRNumber {
			t.Fatalf("unchanged: %+v", r2)
		}
		if pr := pull(t, "closes", r.PRNumber); pr.State != "closed" {
			t.Errorf("PR state %s", pr.State)
		}
		var comments []struct{ Body string }
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/closes/issues/%d/comments", g.Owner, r.PRNumber), nil, &comments); err != nil {
			t.Fatal(err)
		}
		if len(comments) != 1 || !strings.Contains(comments[0].Body, "main already has 1.1.0") {
			t.Errorf("comments: %+v", comments)
		}
		r3 := mustBump(t, url, "1.1.0")
		if r3.PRAction != "unchanged" || r3.PRNumber != 0 {
			t.Errorf("second unchanged run: %+v", r3)
		}
	})

	t.Run("labels", func(t *testing.T) {
		url := newRepo(t, "labels")
		for _, l := range []string{"deploy", "prod"} {
			if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/labels/labels", map[string]any{"name": l, "color": "#00aabb"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		r := mustBump(t, url, "1.1.0", "--pr-label", "deploy", "--pr-label", "prod")
		pr := pull(t, "labels", r.PRNumber)
		var names []string
		for _, l := range pr.Labels {
			names = append(names, l.Name)
		}
		if strings.Join(names, ",") != "deploy,prod" {
			t.Errorf("labels %v", names)
		}
		code, _, errOut := bump(t, url, "1.2.0", "--pr-label", "missing-label")
		if code != 3 || !strings.Contains(errOut, "add labels: the repository has no label missing-label") {
			t.Errorf("unknown label: exit %d\n%s", code, errOut)
		}
	})

	t.Run("auto-merge", func(t *testing.T) {
		url := newRepo(t, "automerge")
		r := mustBump(t, url, "1.1.0", "--auto-merge", "--merge-method", "squash")
		deadline := time.Now().Add(60 * time.Second)
		for !pull(t, "automerge", r.PRNumber).Merged {
			if time.Now().After(deadline) {
				t.Fatalf("PR %d not merged", r.PRNumber)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if got := file(t, "automerge", "main"); got != prodValues("1.1.0") {
			t.Errorf("main after auto-merge: %q", got)
		}
	})

	t.Run("human commit on the branch is refused", func(t *testing.T) {
		url := newRepo(t, "human")
		r := mustBump(t, url, "1.1.0")
		if err := g.WriteFiles("human", "tagbump/app-prod", "fix by hand", map[string]string{"app/NOTES": "keep me\n"}); err != nil {
			t.Fatal(err)
		}
		tip := pull(t, "human", r.PRNumber).Head.SHA
		code, _, errOut := bump(t, url, "1.2.0")
		if code != 4 || !strings.Contains(errOut, tip) || !strings.Contains(errOut, "--pr-overwrite") {
			t.Fatalf("human commit: exit %d, want 4 naming %s\n%s", code, tip, errOut)
		}
		if got := pull(t, "human", r.PRNumber).Head.SHA; got != tip {
			t.Errorf("refused bump moved the branch to %s", got)
		}
		r2 := mustBump(t, url, "1.2.0", "--pr-overwrite")
		if r2.PRAction != "updated" || r2.PRNumber != r.PRNumber {
			t.Errorf("--pr-overwrite: %+v", r2)
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		url := newRepo(t, "token")
		bad := "0123456789abcdef0123456789abcdef01234567"
		code, out, errOut := tagbump(t, []string{"TAGBUMP_GIT_TOKEN=" + bad}, "bump", "--no-verify", "--repo", url, "--chart", "app",
			"--env", "prod", "--image", "registry.example.com/app:1.1.0", "--pr") // no --provider: the host is probed
		if code != 5 || strings.Contains(out+errOut, bad) {
			t.Errorf("wrong token: exit %d, want 5, token must not show\n%s%s", code, out, errOut)
		}
		if prs := pulls(t, "token", "all"); len(prs) != 0 {
			t.Errorf("PRs opened with a wrong token: %+v", prs)
		}
	})
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

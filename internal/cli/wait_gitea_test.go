package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestWaitGitea runs wait --status-context against a real Gitea while
// commit statuses are posted through its API (POST
// /repos/{owner}/{repo}/statuses/{sha}): pending then success (exit 0),
// pending then failure (exit 9, with the description), none (exit 6
// naming the last state seen). The waits read with a token of their own
// user, as a CI job's.
func TestWaitGitea(t *testing.T) {
	g, env := startGitea(t)
	url, err := g.CreateRepo("charts", map[string]string{"app/values-staging.yaml": prodValues("1.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	var branch struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/charts/branches/main", nil, &branch); err != nil {
		t.Fatal(err)
	}
	sha := branch.Commit.ID
	post := func(ctx, state, desc string) {
		t.Helper()
		body := map[string]string{"state": state, "context": ctx, "description": desc, "target_url": "https://argocd.example.com/applications/app-staging"}
		if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/charts/statuses/"+sha, body, nil); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(context string, extra ...string) *waitRun {
		args := append([]string{"wait", "--repo", url, "--commit", sha, "--provider", "gitea", "--status-context", context, "-o", "json"}, fastPolls...)
		return startTagbump(t, env, append(args, extra...)...)
	}

	r := wait("argocd/app-staging")
	post("argocd/app-staging", "pending", "Progressing")
	time.Sleep(300 * time.Millisecond)
	post("argocd/app-staging", "success", "Healthy")
	code, out, errOut := r.result(t)
	if res := decodeWait(t, out); code != 0 || res.State != "success" || res.Commit != sha {
		t.Fatalf("pending → success: exit %d %+v\n%s", code, res, errOut)
	}

	r = wait("argocd/worker-*")
	post("argocd/worker-staging", "pending", "Progressing")
	time.Sleep(300 * time.Millisecond)
	post("argocd/worker-staging", "failure", "Degraded: Back-off restarting failed container")
	code, out, errOut = r.result(t)
	if res := decodeWait(t, out); code != 9 || res.State != "failure" || !strings.Contains(errOut, "Back-off restarting") {
		t.Fatalf("pending → failure: exit %d %+v\n%s", code, res, errOut)
	}

	code, out, errOut = wait("argocd/never", "--timeout", "2s").result(t)
	if res := decodeWait(t, out); code != 6 || res.State != "timeout" || !strings.Contains(errOut, `no status "argocd/never" yet`) {
		t.Fatalf("never → timeout: exit %d %+v\n%s", code, res, errOut)
	}
}

// TestBumpPRWaitGitea runs bump --pr --wait against a real Gitea: while
// the bump waits, the pull request is squash-merged through Gitea's API
// (POST .../pulls/{n}/merge) and a success status is posted on the commit
// the merge left on main (merge_commit_sha, checked against the branch's
// tip): exit 0, the wait's commit is that one. A second pull request,
// closed through the API without a merge (PATCH .../pulls/{n} state
// closed), exits 8. No --provider: the pull request and the wait find
// Gitea by its version endpoint.
func TestBumpPRWaitGitea(t *testing.T) {
	g, env := startGitea(t)
	url, err := g.CreateRepo("charts", map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	repo := "/repos/" + g.Owner + "/charts"
	args := func(tag string) []string {
		return []string{"bump", "--no-verify", "--repo", url, "--chart", "app", "--env", "prod", "--image", "registry.example.com/app:" + tag,
			"--pr", "-o", "json", "--wait", "--status-context", "argocd/app-prod", "--wait-timeout", "60s"}
	}
	start := func(tag string) (*waitRun, int) {
		t.Helper()
		r := startTagbump(t, env, append(args(tag), fastPolls...)...)
		var n int
		eventually(t, "the pull request", func() bool {
			var open []giteaPR
			if err := g.API(http.MethodGet, repo+"/pulls?state=open", nil, &open); err != nil {
				t.Fatal(err)
			}
			if len(open) > 0 {
				n = open[0].Number
			}
			return n != 0
		})
		return r, n
	}
	decode := func(code int, out, errOut string) prWaitResult {
		t.Helper()
		var res prWaitResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("exit %d, output is not JSON: %v\n%s\n%s", code, err, out, errOut)
		}
		return res
	}

	r, n := start("1.1.0")
	// Gitea checks a new pull request's mergeability in the background:
	// until then the merge answers 405 "try again later".
	var mergeErr error
	eventually(t, "the merge", func() bool {
		mergeErr = g.API(http.MethodPost, fmt.Sprintf("%s/pulls/%d/merge", repo, n), map[string]any{"Do": "squash"}, nil)
		return mergeErr == nil
	})
	var pr struct {
		Merged         bool   `json:"merged"`
		MergeCommitSHA string `json:"merge_commit_sha"`
	}
	if err := g.API(http.MethodGet, fmt.Sprintf("%s/pulls/%d", repo, n), nil, &pr); err != nil {
		t.Fatal(err)
	}
	var branch struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	if err := g.API(http.MethodGet, repo+"/branches/main", nil, &branch); err != nil {
		t.Fatal(err)
	}
	if !pr.Merged || pr.MergeCommitSHA != branch.Commit.ID {
		t.Fatalf("Gitea: merged %v as %s, main is at %s", pr.Merged, pr.MergeCommitSHA, branch.Commit.ID)
	}
	status := map[string]string{"state": "success", "context": "argocd/app-prod", "description": "Healthy"}
	if err := g.API(http.MethodPost, repo+"/statuses/"+pr.MergeCommitSHA, status, nil); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := r.result(t)
	res := decode(code, out, errOut)
	if code != 0 || res.PRNumber != n || res.Wait.State != "success" || res.Wait.Commit != pr.MergeCommitSHA || res.Wait.PRState != "merged" {
		t.Fatalf("merged: exit %d, %+v, want the wait on %s\n%s", code, res, pr.MergeCommitSHA, errOut)
	}

	r, n = start("1.2.0")
	if err := g.API(http.MethodPatch, fmt.Sprintf("%s/pulls/%d", repo, n), map[string]any{"state": "closed"}, nil); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = r.result(t)
	if res := decode(code, out, errOut); code != 8 || res.Wait.State != "closed" || !strings.Contains(errOut, "closed without being merged") {
		t.Fatalf("closed: exit %d, %+v\n%s", code, res, errOut)
	}

	// A minute of waiting for a merge with the default intervals: one
	// request a poll. Only with TAGBUMP_WAIT_MINUTE=1.
	if os.Getenv("TAGBUMP_WAIT_MINUTE") == "" {
		return
	}
	code, out, errOut = tagbump(t, env, args("1.3.0")...)
	res = decode(code, out, errOut)
	t.Logf("gitea: one minute of waiting for a merge: %d polls, a request each; exit %d", res.Wait.Polls, code)
	if code != 6 || res.Wait.Polls > 12 {
		t.Errorf("exit %d, %d polls in a minute\n%s", code, res.Wait.Polls, errOut)
	}
}

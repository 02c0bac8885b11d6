package cli_test

import (
	"net/http"
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

package cli_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestPRGiteaForkAndReschedule runs bump --pr against a real Gitea:
//
//   - another user forks the repository and opens a pull request from a
//     branch of the fork named as tagbump's PR branch: tagbump opens its
//     own pull request and leaves the fork's alone;
//   - with a required status check on main, run 1 schedules auto-merge for
//     1.1.0 and run 2 moves the pull request to 1.2.0: once the check
//     passes, main gets run 2's message, not the one run 1 scheduled.
func TestPRGiteaForkAndReschedule(t *testing.T) {
	g, env := startGitea(t)
	bump := giteaBump(env)

	t.Run("fork", func(t *testing.T) {
		const repo = "forked"
		cloneURL, err := g.CreateRepo(repo, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
		if err != nil {
			t.Fatal(err)
		}
		// The admin token acts as mallory with sudo (Gitea's API
		// authentication: sudo= query parameter).
		if err := g.API(http.MethodPost, "/admin/users", map[string]any{"username": "mallory", "email": "mallory@example.com",
			"password": "mallory-password-0123", "must_change_password": false}, nil); err != nil {
			t.Fatal(err)
		}
		if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/forks?sudo=mallory", map[string]any{}, nil); err != nil {
			t.Fatal(err)
		}
		if err := g.API(http.MethodPost, "/repos/mallory/"+repo+"/contents?sudo=mallory", map[string]any{
			"branch": "main", "new_branch": "tagbump/app-prod", "message": "evil",
			"files": []map[string]any{{"operation": "update", "path": "app/values-prod.yaml", "content": base64.StdEncoding.EncodeToString([]byte(prodValues("evil"))),
				"sha": blobSHA(t, g, repo)}},
		}, nil); err != nil {
			t.Fatal(err)
		}
		var fork giteaPR
		if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/pulls?sudo=mallory", map[string]any{"head": "mallory:tagbump/app-prod", "base": "main", "title": "evil"}, &fork); err != nil {
			t.Fatal(err)
		}
		r := bump(t, cloneURL, "1.1.0", "--auto-merge", "--merge-method", "squash")
		if r.PRAction != "created" || r.PRNumber == fork.Number {
			t.Errorf("bump with a fork's pull request from tagbump/app-prod open: %+v, want its own pull request created", r)
		}
		var after giteaPR
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, fork.Number), nil, &after); err != nil {
			t.Fatal(err)
		}
		if after.Title != "evil" || after.Merged || after.State != "open" {
			t.Errorf("the fork's pull request was touched: %+v", after)
		}
	})

	t.Run("reschedule", func(t *testing.T) {
		const repo = "reschedule"
		cloneURL, err := g.CreateRepo(repo, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/branch_protections", map[string]any{
			"rule_name": "main", "enable_status_check": true, "status_check_contexts": []string{"ci"},
		}, nil); err != nil {
			t.Fatal(err)
		}
		r1 := bump(t, cloneURL, "1.1.0", "--auto-merge", "--merge-method", "squash")
		r2 := bump(t, cloneURL, "1.2.0", "--auto-merge", "--merge-method", "squash")
		if r2.PRNumber != r1.PRNumber || r2.PRAction != "updated" {
			t.Fatalf("run 2: %+v, want #%d updated", r2, r1.PRNumber)
		}
		var pr giteaPR
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, r2.PRNumber), nil, &pr); err != nil {
			t.Fatal(err)
		}
		if pr.Merged {
			t.Fatal("merged before the required check passed")
		}
		if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/statuses/"+pr.Head.SHA, map[string]any{"state": "success", "context": "ci"}, nil); err != nil {
			t.Fatal(err)
		}
		// Gitea merges from a queue fed by the status event; on a loaded
		// machine it was seen to take over a minute (CI), so the status is
		// posted once more after a minute, as a re-run of the check would.
		start := time.Now()
		reposted := false
		for !pr.Merged {
			if time.Since(start) > 150*time.Second {
				t.Fatalf("PR %d not merged after its check passed", r2.PRNumber)
			}
			if !reposted && time.Since(start) > 60*time.Second {
				reposted = true
				if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/statuses/"+pr.Head.SHA, map[string]any{"state": "success", "context": "ci"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(200 * time.Millisecond)
			if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, r2.PRNumber), nil, &pr); err != nil {
				t.Fatal(err)
			}
		}
		var tip struct {
			Commit struct {
				Message string `json:"message"`
			} `json:"commit"`
		}
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/git/commits/main", nil, &tip); err != nil {
			t.Fatal(err)
		}
		if msg := tip.Commit.Message; !strings.HasPrefix(msg, "chore(prod): update app image to 1.2.0\n") {
			t.Errorf("main's tip reads\n%s\nwant run 2's message (1.2.0)", msg)
		}
	})
}

// blobSHA returns the blob ID of app/values-prod.yaml on Owner/repo's main.
func blobSHA(t *testing.T, g *testenv.Gitea, repo string) string {
	t.Helper()
	var c struct {
		SHA string `json:"sha"`
	}
	if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/contents/app/values-prod.yaml?ref=main", nil, &c); err != nil {
		t.Fatal(err)
	}
	return c.SHA
}

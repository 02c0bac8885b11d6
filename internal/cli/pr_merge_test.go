package cli_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// ciEnv is a GitLab CI job's environment: tagbump's commits then carry
// the CI-System, CI-Source and CI-Run trailers.
var ciEnv = []string{"GITLAB_CI=true", "CI_PROJECT_PATH=acme/app", "CI_COMMIT_SHA=c0ffee", "CI_JOB_URL=https://ci.example/acme/app/-/jobs/7"}

// withoutCoAuthors drops the Co-authored-by and Co-committed-by trailers
// Gitea adds to a squash commit whose author is not the merger.
func withoutCoAuthors(msg string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(msg), "\n") {
		if !strings.HasPrefix(l, "Co-authored-by: ") && !strings.HasPrefix(l, "Co-committed-by: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// startGitea starts a real Gitea for t and returns it with the environment
// of a GitLab CI job whose token is the Gitea owner's.
func startGitea(t *testing.T, opts ...testenv.GiteaOption) (*testenv.Gitea, []string) {
	t.Helper()
	bin, src := testenv.RequireGitea(t)
	g, err := testenv.StartGitea(bin, src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g, append([]string{"TAGBUMP_GIT_TOKEN=" + g.Token, "TAGBUMP_GIT_USER=" + g.Owner}, ciEnv...)
}

// giteaBump returns a function that runs bump --pr of app's prod image to
// tag on Gitea's repository at url, in env, and fails t unless it exits 0.
func giteaBump(env []string) func(t *testing.T, url, tag string, extra ...string) prResult {
	return func(t *testing.T, url, tag string, extra ...string) prResult {
		t.Helper()
		args := append([]string{"bump", "--no-verify", "--repo", url, "--chart", "app", "--env", "prod",
			"--image", "registry.example.com/app:" + tag, "--pr", "--provider", "gitea", "-o", "json"}, extra...)
		code, out, errOut := tagbump(t, env, args...)
		if code != 0 {
			t.Fatalf("bump %s: exit %d\n%s", tag, code, errOut)
		}
		return decodePR(t, out)
	}
}

// TestPRGiteaMergeMessage merges tagbump's pull requests on a real Gitea,
// with a merge commit and with a squash, through --auto-merge (Gitea's
// merge endpoint, merge_when_checks_succeed: with no checks pending it
// merges at once): the commit the base gets carries the subject, body and
// trailers of tagbump's commit, and tagbump's branch is deleted. The
// server caps pages at 2 (MAX_RESPONSE_ITEMS), and a re-run with more open
// pull requests than a page finds its own.
func TestPRGiteaMergeMessage(t *testing.T) {
	g, env := startGitea(t, testenv.WithGiteaINI("[api]\nMAX_RESPONSE_ITEMS = 2\nDEFAULT_PAGING_NUM = 2\n"))
	bump := giteaBump(env)
	type commit struct {
		SHA    string `json:"sha"`
		Commit struct {
			Message string `json:"message"`
		} `json:"commit"`
		Parents []struct {
			SHA string `json:"sha"`
		} `json:"parents"`
	}
	getCommit := func(t *testing.T, repo, ref string) commit {
		t.Helper()
		var c commit
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/git/commits/%s", g.Owner, repo, url.PathEscape(ref)), nil, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	for _, method := range []string{"merge", "squash"} {
		t.Run(method, func(t *testing.T) {
			repo := "merge-" + method
			cloneURL, err := g.CreateRepo(repo, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
			if err != nil {
				t.Fatal(err)
			}
			r := bump(t, cloneURL, "1.1.0", "--auto-merge", "--merge-method", method)
			own := getCommit(t, repo, r.Commit).Commit.Message
			if !strings.HasPrefix(own, "chore(prod): update app image to 1.1.0\n") || !strings.Contains(own, "\nCI-Run: https://ci.example/acme/app/-/jobs/7") {
				t.Fatalf("tagbump's commit message:\n%s", own)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				var pr giteaPR
				if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, r.PRNumber), nil, &pr); err != nil {
					t.Fatal(err)
				}
				if pr.Merged {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("PR %d not merged", r.PRNumber)
				}
				time.Sleep(200 * time.Millisecond)
			}
			merged := getCommit(t, repo, "main")
			wantParents := map[string]int{"merge": 2, "squash": 1}[method]
			if len(merged.Parents) != wantParents {
				t.Errorf("main's tip %s has %d parents, want %d", merged.SHA, len(merged.Parents), wantParents)
			}
			if got, want := withoutCoAuthors(merged.Commit.Message), strings.TrimSpace(own); got != want {
				t.Errorf("main's tip %s reads\n%s\nwant tagbump's commit message\n%s", merged.SHA, got, want)
			}
			// Gitea deletes the branch after the merge it does itself.
			deadline = time.Now().Add(30 * time.Second)
			for g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/branches/%s", g.Owner, repo, url.PathEscape("tagbump/app-prod")), nil, nil) == nil {
				if time.Now().After(deadline) {
					t.Fatal("tagbump's branch tagbump/app-prod is still there after the merge")
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}

	t.Run("more open pull requests than a page", func(t *testing.T) {
		const repo = "pages"
		cloneURL, err := g.CreateRepo(repo, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
		if err != nil {
			t.Fatal(err)
		}
		r := bump(t, cloneURL, "1.1.0")
		// Five more open pull requests into main, newer than tagbump's:
		// it is on the third page of two.
		for i := range 5 {
			branch := fmt.Sprintf("feature-%d", i)
			if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/contents", map[string]any{
				"branch": "main", "new_branch": branch, "message": "work on " + branch,
				"files": []map[string]any{{"operation": "create", "path": branch + ".txt", "content": base64.StdEncoding.EncodeToString([]byte(branch + "\n"))}},
			}, nil); err != nil {
				t.Fatal(err)
			}
			if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/"+repo+"/pulls", map[string]any{"head": branch, "base": "main", "title": "work on " + branch}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var page []giteaPR
		if err := g.API(http.MethodGet, "/repos/"+g.Owner+"/"+repo+"/pulls?state=open&limit=50", nil, &page); err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 {
			t.Fatalf("the server answered %d pull requests for limit=50, want 2 (MAX_RESPONSE_ITEMS)", len(page))
		}
		r2 := bump(t, cloneURL, "1.2.0")
		if r2.PRAction != "updated" || r2.PRNumber != r.PRNumber {
			t.Errorf("re-run with tagbump's pull request past the first page: %+v, want updated #%d", r2, r.PRNumber)
		}
	})
}

// TestPRMergeMessageForges runs bump --pr --auto-merge in a CI job against
// the stand-ins of the hosts with auto-merge: each is asked to give the
// squash commit tagbump's commit message (subject, body and CI trailers)
// and, where the host offers it per pull request, to delete tagbump's
// branch once merged.
func TestPRMergeMessageForges(t *testing.T) {
	for _, c := range forgeCases {
		if c.autoMerge == "" {
			continue // Bitbucket Cloud has no auto-merge
		}
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			env := append(append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...), ciEnv...)
			args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod",
				"--image", "registry.example.com/app:1.1.0", "--pr", "-o", "json", "--auto-merge", "--merge-method", "squash"}, c.args(f)...)
			code, out, errOut := tagbump(t, env, args...)
			if code != 0 {
				t.Fatalf("bump: exit %d\n%s", code, errOut)
			}
			r := decodePR(t, out)
			own := mustGit(t, f.Git.Dir(c.repo), "log", "-1", "--format=%B", r.Commit)
			if !strings.Contains(own, "\nCI-Run: https://ci.example/acme/app/-/jobs/7") {
				t.Fatalf("tagbump's commit has no CI trailers:\n%s", own)
			}
			p := f.PRs()[0]
			if p.AutoMerge != "squash" || p.MergeMessage != own {
				t.Errorf("the host squashes with message\n%s\nwant tagbump's commit message\n%s", p.MergeMessage, own)
			}
			if want := c.kind != "github"; p.DeleteBranch != want {
				t.Errorf("delete tagbump's branch once merged: %v, want %v", p.DeleteBranch, want)
			}
		})
	}
}

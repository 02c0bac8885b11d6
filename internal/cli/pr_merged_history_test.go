package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestPRMergedHistory merges tagbump's pull requests on a real Gitea the
// ways an organisation's prod path does (a merge commit through
// --auto-merge, and squashes a person makes with the host's own message)
// and checks that the deployment history, the rollback guard and a second
// rollback still see what happened: a merge commit is read through its
// first parent with tagbump's message, and a squash that moved the tag
// back is a rollback whatever it says.
func TestPRMergedHistory(t *testing.T) {
	g, env := startGitea(t)
	const repo = "merged-history"
	cloneURL, err := g.CreateRepo(repo, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	// run returns stdout, and stderr after it.
	run := func(t *testing.T, want int, args ...string) (string, string) {
		t.Helper()
		args = append(args, "--repo", cloneURL, "--chart", "app", "--env", "prod")
		code, out, errOut := tagbump(t, env, args...)
		if code != want {
			t.Fatalf("tagbump %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out, errOut)
		}
		return out, errOut
	}
	// squash merges a pull request as a person does in the web interface,
	// under the title the host proposes: none of tagbump's lines.
	squash := func(t *testing.T, number int) {
		t.Helper()
		if err := g.API(http.MethodPost, fmt.Sprintf("/repos/%s/%s/pulls/%d/merge", g.Owner, repo, number), map[string]any{
			"Do": "squash", "MergeTitleField": fmt.Sprintf("Deploy prod (#%d)", number), "MergeMessageField": "",
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	pr := func(t *testing.T, args ...string) prResult {
		t.Helper()
		out, _ := run(t, 0, append(args, "--pr", "--provider", "gitea", "-o", "json")...)
		return decodePR(t, out)
	}

	// 1.1.0 through auto-merge with a merge commit: tagbump's message.
	img := "registry.example.com/app:"
	r := pr(t, "bump", "--no-verify", "--image", img+"1.1.0", "--auto-merge", "--merge-method", "merge")
	waitMerged(t, g, repo, r.PRNumber)
	// 1.2.0 squashed by hand under the host's title.
	r = pr(t, "bump", "--no-verify", "--image", img+"1.2.0")
	squash(t, r.PRNumber)
	// The rollback of 1.2.0, squashed under the host's title too.
	r = pr(t, "rollback")
	squash(t, r.PRNumber)

	var h struct {
		Deployments []struct {
			Kind           string   `json:"kind"`
			Subject        string   `json:"subject"`
			CIRun          string   `json:"ci_run"`
			RolledBackTags []string `json:"rolled_back_tags"`
		} `json:"deployments"`
	}
	out, _ := run(t, 0, "history", "-o", "json")
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("history: %v\n%s", err, out)
	}
	var got []string
	for _, d := range h.Deployments {
		got = append(got, fmt.Sprintf("%s %q %s %v", d.Kind, d.Subject, d.CIRun, d.RolledBackTags))
	}
	want := []string{
		fmt.Sprintf("rollback %q  [1.2.0]", "Deploy prod (#3)"),
		fmt.Sprintf("manual %q  []", "Deploy prod (#2)"),
		fmt.Sprintf("bump %q https://ci.example/acme/app/-/jobs/7 []", "chore(prod): update app image to 1.1.0"),
		fmt.Sprintf("manual %q  []", "seed charts"),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The guard: 1.2.0 was taken away, by a squash that does not say so.
	if _, errOut := run(t, 4, "bump", "--no-verify", "--image", img+"1.2.0"); !strings.Contains(errOut, "took 1.2.0 away from prod") {
		t.Errorf("bump of the rolled-back tag:\n%s", errOut)
	}
	// A second rollback goes further back, to 1.0.0, instead of
	// putting 1.2.0 back.
	run(t, 0, "rollback")
	if out, _ := run(t, 0, "history", "--limit", "1"); !strings.Contains(out, "1.1.0 → 1.0.0") {
		t.Errorf("second rollback:\n%s", out)
	}
}

// waitMerged waits until Gitea has merged pull request number.
func waitMerged(t *testing.T, g *testenv.Gitea, repo string, number int) {
	t.Helper()
	for i := 0; ; i++ {
		var pr giteaPR
		if err := g.API(http.MethodGet, fmt.Sprintf("/repos/%s/%s/pulls/%d", g.Owner, repo, number), nil, &pr); err != nil {
			t.Fatal(err)
		}
		if pr.Merged {
			return
		}
		if i == 300 {
			t.Fatalf("PR %d not merged", number)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

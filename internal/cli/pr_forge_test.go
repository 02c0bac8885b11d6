package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// forgeCase describes how one fake host is addressed.
type forgeCase struct {
	kind string
	// repo is the repository path on the host.
	repo string
	// env and args select the host and its API.
	env  func(f *testenv.FakeForge) []string
	args func(f *testenv.FakeForge) []string
	// url is the clone URL.
	url func(f *testenv.FakeForge) string
	// create are the flags of the first bump; reviewer, labels and
	// autoMerge what the host then holds. update are the flags of later
	// bumps.
	create, update              []string
	reviewer, labels, autoMerge string
}

const azureReviewer = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

var forgeCases = []forgeCase{
	{
		kind: "github", repo: "acme/charts",
		// GitHub Enterprise: detected from GITHUB_SERVER_URL, API at /api/v3.
		env:    func(f *testenv.FakeForge) []string { return []string{"GITHUB_SERVER_URL=" + f.URL} },
		args:   func(f *testenv.FakeForge) []string { return nil },
		url:    func(f *testenv.FakeForge) string { return f.URL + "/acme/charts.git" },
		create: []string{"--pr-label", "deploy", "--pr-reviewer", "alice", "--auto-merge", "--merge-method", "squash"},
		update: []string{"--pr-label", "deploy"}, reviewer: "alice", labels: "deploy", autoMerge: "squash",
	},
	{
		kind: "gitlab", repo: "group/charts",
		// A self-managed GitLab: detected from CI_SERVER_HOST.
		env:    func(f *testenv.FakeForge) []string { return []string{"CI_SERVER_HOST=127.0.0.1"} },
		args:   func(f *testenv.FakeForge) []string { return nil },
		url:    func(f *testenv.FakeForge) string { return f.URL + "/group/charts.git" },
		create: []string{"--pr-label", "deploy", "--pr-reviewer", "alice", "--auto-merge", "--merge-method", "squash"},
		update: []string{"--pr-label", "deploy"}, reviewer: "101", labels: "deploy", autoMerge: "squash",
	},
	{
		kind: "azure", repo: "org/project/_git/charts",
		env:    func(f *testenv.FakeForge) []string { return nil },
		args:   func(f *testenv.FakeForge) []string { return []string{"--provider", "azure"} },
		url:    func(f *testenv.FakeForge) string { return f.URL + "/org/project/_git/charts" },
		create: []string{"--pr-label", "deploy", "--pr-reviewer", azureReviewer, "--auto-merge", "--merge-method", "squash"},
		update: []string{"--pr-label", "deploy"}, reviewer: azureReviewer, labels: "deploy", autoMerge: "squash",
	},
	{
		kind: "bitbucket", repo: "ws/charts",
		env: func(f *testenv.FakeForge) []string { return nil },
		args: func(f *testenv.FakeForge) []string {
			return []string{"--provider", "bitbucket", "--api-url", f.URL + "/2.0"}
		},
		url:      func(f *testenv.FakeForge) string { return f.URL + "/ws/charts.git" },
		create:   []string{"--pr-reviewer", "{5c1e2f3a-0000-4000-8000-00000000beef}"},
		reviewer: "{5c1e2f3a-0000-4000-8000-00000000beef}",
	},
}

func startForge(t *testing.T, c forgeCase) *testenv.FakeForge {
	t.Helper()
	testenv.RequireBinary(t, "git")
	f, err := testenv.StartFakeForge(c.kind)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	if err := f.CreateRepo(c.repo, map[string]string{"app/values-prod.yaml": prodValues("1.0.0")}); err != nil {
		t.Fatal(err)
	}
	return f
}

// forgeBump runs bump --pr -o json against the fake with token.
func forgeBump(t *testing.T, c forgeCase, f *testenv.FakeForge, token, tag string, extra ...string) (int, string, string) {
	t.Helper()
	env := append([]string{"TAGBUMP_GIT_TOKEN=" + token}, c.env(f)...)
	args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod",
		"--image", "registry.example.com/app:" + tag, "--pr", "-o", "json"}, c.args(f)...)
	return tagbump(t, env, append(args, extra...)...)
}

// TestPRForges runs the PR flow against each fake host: create with
// labels, reviewers and auto-merge, update, unchanged re-run, merged then
// new, unchanged closes, a human commit refused, a token without the
// permission, a wrong token. It logs the API requests per bump.
func TestPRForges(t *testing.T) {
	for _, c := range forgeCases {
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			mustBump := func(t *testing.T, tag string, extra ...string) prResult {
				t.Helper()
				code, out, errOut := forgeBump(t, c, f, f.Token, tag, extra...)
				if code != 0 {
					t.Fatalf("bump %s: exit %d\n%s", tag, code, errOut)
				}
				return decodePR(t, out)
			}
			show := func(branch string) string {
				out, err := testenv.Git(f.Git.Dir(c.repo), "show", branch+":app/values-prod.yaml")
				if err != nil {
					t.Fatalf("git show %s: %v\n%s", branch, err, out)
				}
				return strings.TrimSpace(out) + "\n"
			}

			gitReqs := f.Git.Requests()
			gitDelta := func() int64 { n := f.Git.Requests(); d := n - gitReqs; gitReqs = n; return d }
			f.Requests()
			r := mustBump(t, "1.1.0", c.create...)
			t.Logf("%s create with %v: %d API requests, %d Git requests", c.kind, c.create, len(f.Requests()), gitDelta())
			prs := f.PRs()
			if r.PRAction != "created" || len(prs) != 1 || prs[0].Number != r.PRNumber || prs[0].Head != "tagbump/app-prod" || prs[0].Base != "main" {
				t.Fatalf("create: %+v, host has %+v", r, prs)
			}
			p := prs[0]
			if !strings.Contains(p.Title, "1.1.0") || !strings.Contains(p.Body, "<!-- tagbump:pr branch=tagbump/app-prod -->") ||
				strings.Join(p.Labels, ",") != c.labels || strings.Join(p.Reviewers, ",") != c.reviewer || p.AutoMerge != c.autoMerge {
				t.Errorf("PR as created: %+v", p)
			}
			if show("tagbump/app-prod") != prodValues("1.1.0") || show("main") != prodValues("1.0.0") {
				t.Errorf("branches after create: PR %q main %q", show("tagbump/app-prod"), show("main"))
			}

			r2 := mustBump(t, "1.2.0", c.update...)
			t.Logf("%s update: %d API requests, %d Git requests", c.kind, len(f.Requests()), gitDelta())
			if r2.PRAction != "updated" || r2.PRNumber != r.PRNumber || len(f.PRs()) != 1 || !strings.Contains(f.PRs()[0].Title, "1.2.0") {
				t.Fatalf("update: %+v, host has %+v", r2, f.PRs())
			}
			if got := f.BranchSHA(c.repo, "tagbump/app-prod"); got != r2.Commit {
				t.Errorf("PR branch at %s, bump reported %s", got, r2.Commit)
			}
			if parent, _ := testenv.Git(f.Git.Dir(c.repo), "rev-parse", "tagbump/app-prod^"); strings.TrimSpace(parent) != f.BranchSHA(c.repo, "main") {
				t.Errorf("the PR commit is not on main's tip: parent %s", parent)
			}

			r3 := mustBump(t, "1.2.0", c.update...)
			t.Logf("%s identical re-run: %d API requests, %d Git requests", c.kind, len(f.Requests()), gitDelta())
			if r3.PRAction != "unchanged" || r3.Pushed || r3.Commit != r2.Commit {
				t.Errorf("identical re-run: %+v", r3)
			}

			if err := f.Merge(c.repo, r.PRNumber); err != nil {
				t.Fatal(err)
			}
			r4 := mustBump(t, "1.3.0")
			if r4.PRAction != "created" || r4.PRNumber == r.PRNumber || len(f.PRs()) != 2 {
				t.Fatalf("after merge: %+v, host has %+v", r4, f.PRs())
			}

			// main gets 1.3.0 by a direct push: the open PR is obsolete.
			env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...)
			if code, _, errOut := tagbump(t, env, "bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod", "--image", "registry.example.com/app:1.3.0"); code != 0 {
				t.Fatalf("direct bump: exit %d\n%s", code, errOut)
			}
			f.Requests()
			gitDelta()
			r5 := mustBump(t, "1.3.0")
			t.Logf("%s unchanged, closing: %d API requests, %d Git requests", c.kind, len(f.Requests()), gitDelta())
			closed := f.PRs()[1]
			if r5.Outcome != "unchanged" || r5.PRAction != "closed" || r5.PRNumber != r4.PRNumber || closed.State != "closed" ||
				len(closed.Comments) != 1 || !strings.Contains(closed.Comments[0], "main already has 1.3.0") {
				t.Errorf("unchanged: %+v, PR %+v", r5, closed)
			}

			// A human commit on tagbump's branch.
			r6 := mustBump(t, "1.4.0")
			dir := f.Git.Dir(c.repo)
			human := humanCommit(t, dir, "tagbump/app-prod")
			code, _, errOut := forgeBump(t, c, f, f.Token, "1.5.0")
			if code != 4 || !strings.Contains(errOut, human) || f.BranchSHA(c.repo, "tagbump/app-prod") != human {
				t.Errorf("human commit: exit %d, want 4 naming %s\n%s", code, human, errOut)
			}
			if r7 := mustBump(t, "1.5.0", "--pr-overwrite"); r7.PRAction != "updated" || r7.PRNumber != r6.PRNumber {
				t.Errorf("--pr-overwrite: %+v", r7)
			}

			// A token that may push but not open pull requests.
			f2 := startForge(t, c)
			code, out, errOut := forgeBump(t, c, f2, f2.ReadOnlyToken, "1.1.0")
			if code != 5 || !strings.Contains(errOut, permissionHint[c.kind]) || strings.Contains(out+errOut, f2.ReadOnlyToken) {
				t.Errorf("read-only token: exit %d, want 5 with %q\n%s", code, permissionHint[c.kind], errOut)
			}
			code, out, errOut = forgeBump(t, c, f2, "wrong-token-0123456789", "1.1.0")
			if code != 5 || strings.Contains(out+errOut, "wrong-token-0123456789") || len(f2.PRs()) != 0 {
				t.Errorf("wrong token: exit %d, want 5\n%s", code, errOut)
			}
		})
	}
}

// permissionHint is what the error says about the missing permission.
var permissionHint = map[string]string{
	"github":    "pull-requests: write",
	"gitlab":    "api scope",
	"azure":     "Contribute to pull requests",
	"bitbucket": "pullrequest:write",
}

// humanCommit adds a commit by someone else on branch of the bare
// repository dir and returns its hash.
func humanCommit(t *testing.T, dir, branch string) string {
	t.Helper()
	return commitAs(t, dir, branch, "Human", "human@example.com")
}

// commitAs adds a commit by name <email> (author and committer) on branch
// of the bare repository dir and returns its hash.
func commitAs(t *testing.T, dir, branch, name, email string) string {
	t.Helper()
	work := t.TempDir()
	mustGit(t, work, "clone", "-q", "-b", branch, dir, "w")
	w := filepath.Join(work, "w")
	if err := os.WriteFile(filepath.Join(w, "NOTES"), []byte("by "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, w, "add", "NOTES")
	commit := exec.Command("git", "commit", "-q", "-m", "fix by hand")
	commit.Dir = w
	commit.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email, "GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email)
	if out, err := commit.CombinedOutput(); err != nil {
		t.Fatalf("git commit as %s: %v\n%s", name, err, out)
	}
	mustGit(t, w, "push", "-q", "origin", branch)
	return mustGit(t, w, "rev-parse", "HEAD")
}

package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// The tests of docs/guides/troubleshooting.md's partial-failure table:
// each leaves a run half done, checks what it left behind, and runs the
// same command again.

// TestPartialPRRefused: the branch is pushed, then the host refuses to
// open the pull request (a token without the pull request permission:
// exit 5). The branch with tagbump's commit is left, no pull request. The
// same bump run again with a token that may opens the pull request from
// that branch without a second commit; main is untouched throughout.
func TestPartialPRRefused(t *testing.T) {
	const head = "tagbump/app-prod"
	for _, c := range forgeCases {
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			main := f.BranchSHA(c.repo, "main")
			code, _, errOut := forgeBump(t, c, f, f.ReadOnlyToken, "1.1.0")
			pushed := f.BranchSHA(c.repo, head)
			if code != 5 || pushed == "" || len(f.PRs()) != 0 {
				t.Fatalf("PR refused: exit %d, branch %q, %d PRs; want 5, the branch pushed, no PR\n%s", code, pushed, len(f.PRs()), errOut)
			}
			code, out, errOut := forgeBump(t, c, f, f.Token, "1.1.0")
			if code != 0 {
				t.Fatalf("re-run: exit %d\n%s", code, errOut)
			}
			r := decodePR(t, out)
			prs := f.PRs()
			if r.PRAction != "created" || len(prs) != 1 || prs[0].Head != head || f.BranchSHA(c.repo, head) != pushed {
				t.Errorf("re-run: %+v, %d PRs, branch at %s (was %s): want the PR created from the same commit", r, len(prs), f.BranchSHA(c.repo, head), pushed)
			}
			if f.BranchSHA(c.repo, "main") != main {
				t.Error("main moved")
			}
		})
	}
}

// TestPartialAutoMergeRefused: the pull request is opened, then the host
// refuses auto-merge (not allowed in the repository's settings): the run
// fails and the pull request stays open without auto-merge. Once the
// setting is on, the same bump finds the pull request, enables auto-merge
// on it with tagbump's commit message for the merge, and neither opens
// another nor adds a commit. On the stand-ins that refuse auto-merge on
// request: GitHub and GitLab.
func TestPartialAutoMergeRefused(t *testing.T) {
	for _, c := range forgeCases[:2] {
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			f.NoAutoMerge = true
			code, _, errOut := forgeBump(t, c, f, f.Token, "1.1.0", "--auto-merge", "--merge-method", "squash")
			prs := f.PRs()
			if code != 7 || len(prs) != 1 || prs[0].State != "open" || prs[0].AutoMerge != "" {
				t.Fatalf("auto-merge refused: exit %d, PRs %+v; want 7 and one open PR without auto-merge\n%s", code, prs, errOut)
			}
			tip := f.BranchSHA(c.repo, prs[0].Head)
			f.NoAutoMerge = false
			code, out, errOut := forgeBump(t, c, f, f.Token, "1.1.0", "--auto-merge", "--merge-method", "squash")
			if code != 0 {
				t.Fatalf("re-run: exit %d\n%s", code, errOut)
			}
			r := decodePR(t, out)
			prs = f.PRs()
			if len(prs) != 1 || r.PRNumber != prs[0].Number || prs[0].AutoMerge != "squash" || f.BranchSHA(c.repo, prs[0].Head) != tip {
				t.Fatalf("re-run: %+v, PRs %+v; want the same PR with auto-merge and no new commit", r, prs)
			}
			if own := mustGit(t, f.Git.Dir(c.repo), "log", "-1", "--format=%B", tip); prs[0].MergeMessage != own {
				t.Errorf("re-run: the host merges with message\n%s\nwant tagbump's commit message\n%s", prs[0].MergeMessage, own)
			}
		})
	}
}

// asPerson sends a request to a host's stand-in as a person would, with
// token, and fails the test unless the host accepts it.
func asPerson(t *testing.T, method, url, token string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
}

// TestPartialAutoMergeDisabledByPerson: a reviewer disables auto-merge on
// tagbump's pull request. The same bump run again with --auto-merge (a
// pipeline's retry) asks for it again, as documented in
// docs/guides/pull-requests.md: a run with --auto-merge wants the pull
// request merged. To hold a deploy, close the pull request or run without
// --auto-merge, which leaves it off.
func TestPartialAutoMergeDisabledByPerson(t *testing.T) {
	c := forgeCases[0]
	f := startForge(t, c)
	if code, _, errOut := forgeBump(t, c, f, f.Token, "1.1.0", "--auto-merge", "--merge-method", "squash"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, errOut)
	}
	prs := f.PRs()
	if len(prs) != 1 || prs[0].AutoMerge != "squash" {
		t.Fatalf("first run: %+v", prs)
	}
	disable := func() {
		t.Helper()
		asPerson(t, http.MethodPost, f.URL+"/api/graphql", f.Token, map[string]any{
			"query":     `mutation($input: DisablePullRequestAutoMergeInput!) { disablePullRequestAutoMerge(input: $input) { pullRequest { number } } }`,
			"variables": map[string]any{"input": map[string]any{"pullRequestId": fmt.Sprintf("PR_node%d", prs[0].Number)}},
		})
		if f.PRs()[0].AutoMerge != "" {
			t.Fatal("the stand-in did not disable auto-merge")
		}
	}
	disable()
	if code, _, errOut := forgeBump(t, c, f, f.Token, "1.1.0"); code != 0 {
		t.Fatalf("re-run without --auto-merge: exit %d\n%s", code, errOut)
	}
	if am := f.PRs()[0].AutoMerge; am != "" {
		t.Errorf("re-run without --auto-merge turned auto-merge on (%q)", am)
	}
	if code, _, errOut := forgeBump(t, c, f, f.Token, "1.1.0", "--auto-merge", "--merge-method", "squash"); code != 0 {
		t.Fatalf("re-run with --auto-merge: exit %d\n%s", code, errOut)
	}
	if p := f.PRs(); len(p) != 1 || p[0].AutoMerge != "squash" || p[0].Number != prs[0].Number {
		t.Errorf("re-run with --auto-merge: %+v; want auto-merge on tagbump's pull request again, as documented", p)
	}
}

// TestPartialAutoMergePersonsPR: the run pushed tagbump's branch and the
// host refused the pull request; a person then opened one from that
// branch themselves (their title and body, no tagbump marker). A re-run
// with --auto-merge names that pull request but schedules no merge of it.
func TestPartialAutoMergePersonsPR(t *testing.T) {
	c := forgeCases[0]
	f := startForge(t, c)
	if code, _, _ := forgeBump(t, c, f, f.ReadOnlyToken, "1.1.0", "--auto-merge", "--merge-method", "squash"); code != 5 {
		t.Fatalf("first run: exit %d, want 5 (PR refused)", code)
	}
	asPerson(t, http.MethodPost, f.URL+"/api/v3/repos/acme/charts/pulls", f.Token, map[string]any{
		"title": "Alice: reviewing the prod bump by hand", "head": "tagbump/app-prod", "base": "main", "body": "please do not merge yet",
	})
	code, out, errOut := forgeBump(t, c, f, f.Token, "1.1.0", "--auto-merge", "--merge-method", "squash")
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, errOut)
	}
	prs := f.PRs()
	if len(prs) != 1 || prs[0].AutoMerge != "" || decodePR(t, out).PRNumber != prs[0].Number {
		t.Errorf("re-run: %+v; want the person's pull request named, without auto-merge", prs)
	}
	if !strings.Contains(errOut, "not opened by tagbump") {
		t.Errorf("re-run does not say why auto-merge was not requested:\n%s", errOut)
	}
	// A new value goes onto tagbump's branch, but the person's pull
	// request keeps their title and body and gets no auto-merge.
	code, out, errOut = forgeBump(t, c, f, f.Token, "1.2.0", "--auto-merge", "--merge-method", "squash")
	if code != 0 {
		t.Fatalf("new value: exit %d\n%s", code, errOut)
	}
	prs = f.PRs()
	if len(prs) != 1 || prs[0].AutoMerge != "" || prs[0].Title != "Alice: reviewing the prod bump by hand" || prs[0].Body != "please do not merge yet" || decodePR(t, out).PRNumber != prs[0].Number {
		t.Errorf("new value: %+v; want the person's pull request as they wrote it, without auto-merge", prs)
	}
	if !strings.Contains(errOut, "not opened by tagbump") {
		t.Errorf("new value: does not say why the pull request was left as it is:\n%s", errOut)
	}
	dir := t.TempDir()
	mustGit(t, dir, "clone", "-q", f.Git.Dir(c.repo), "charts")
	if got := mustGit(t, dir+"/charts", "show", "origin/tagbump/app-prod:app/values-prod.yaml"); !strings.Contains(got, "1.2.0") {
		t.Errorf("the branch does not hold the new value:\n%s", got)
	}
}

// TestPartialImagePushedGitFailed: `tagbump push` put the image in the
// registry, then the bump failed on Git (a wrong token: exit 5) and
// changed nothing. Both steps run again: the push finds the tag at the
// same digest, the bump deploys it.
func TestPartialImagePushedGitFailed(t *testing.T) {
	reg, err := testenv.StartRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	c := forgeCases[0]
	f := startForge(t, c)
	c.repo = "acme/images"
	if err := f.CreateRepo(c.repo, map[string]string{"app/values-prod.yaml": "image:\n  repository: " + reg.Host() + "/app\n  tag: 1.0.0\n"}); err != nil {
		t.Fatal(err)
	}
	c.url = func(f *testenv.FakeForge) string { return f.URL + "/acme/images.git" }
	tar := imageTarball(t, t.TempDir())
	ref := reg.Host() + "/app:1.1.0"
	push := func() string {
		t.Helper()
		code, out, errOut := tagbump(t, nil, "push", "--from", tar, ref, "-o", "json")
		if code != 0 {
			t.Fatalf("push: exit %d\n%s", code, errOut)
		}
		var r struct {
			Digest string `json:"digest"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil || r.Digest == "" {
			t.Fatalf("push output %q: %v", out, err)
		}
		return r.Digest
	}
	bump := func(token string) (int, string) {
		t.Helper()
		env := append([]string{"TAGBUMP_GIT_TOKEN=" + token}, c.env(f)...)
		code, _, errOut := tagbump(t, env, "bump", "--repo", c.url(f), "--chart", "app", "--env", "prod", "--image", ref)
		return code, errOut
	}
	digest := push()
	main := f.BranchSHA(c.repo, "main")
	if code, errOut := bump("wrong-token-0123456789"); code != 5 || f.BranchSHA(c.repo, "main") != main {
		t.Fatalf("bump with a wrong token: exit %d, want 5 and main untouched\n%s", code, errOut)
	}
	if again := push(); again != digest {
		t.Errorf("push again: digest %s, was %s", again, digest)
	}
	if code, errOut := bump(f.Token); code != 0 || f.BranchSHA(c.repo, "main") == main {
		t.Fatalf("bump again: exit %d, want 0 and a commit\n%s", code, errOut)
	}
	dir := t.TempDir()
	mustGit(t, dir, "clone", "-q", f.Git.Dir(c.repo), "charts")
	if got := mustGit(t, dir+"/charts", "show", "main:app/values-prod.yaml"); !strings.Contains(got, "tag: 1.1.0") {
		t.Errorf("values after the re-run:\n%s", got)
	}
}

// TestPartialWaitTimedOut: the commit is pushed, then --wait gives up
// before the deployment reports (exit 6). The commit stays on main, and
// the output names it. The same bump run again changes nothing (outcome
// unchanged, no second commit, nothing to wait for: exit 0); `tagbump
// wait --commit` with the first run's commit waits for its deployment,
// which reports only after the wait has begun polling.
func TestPartialWaitTimedOut(t *testing.T) {
	c := forgeCases[0]
	f := startForge(t, c)
	env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...)
	bump := func() (int, string, string) {
		t.Helper()
		args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod",
			"--image", "registry.example.com/app:1.1.0", "-o", "json", "--wait", "--status-context", "argocd/app-prod", "--wait-timeout", "1s"}, fastPolls...)
		return tagbump(t, env, args...)
	}
	type result struct {
		Outcome string    `json:"outcome"`
		Commit  string    `json:"commit"`
		Wait    *waitJSON `json:"wait"`
	}
	code, out, errOut := bump()
	var first result
	if err := json.Unmarshal([]byte(out), &first); err != nil || code != 6 || first.Commit == "" || first.Commit != f.BranchSHA(c.repo, "main") || first.Wait == nil || first.Wait.State != "timeout" {
		t.Fatalf("wait timed out: exit %d, %+v (%v); want 6, a timeout and the commit on main\n%s", code, first, err, errOut)
	}
	code, out, errOut = bump()
	var again result
	if err := json.Unmarshal([]byte(out), &again); err != nil || code != 0 || again.Outcome != "unchanged" || again.Wait != nil || f.BranchSHA(c.repo, "main") != first.Commit {
		t.Fatalf("re-run: exit %d, %+v (%v); want 0, unchanged, no wait, no new commit\n%s", code, again, err, errOut)
	}
	// wait --commit polls for the first run's commit, and the deployment
	// reports only once it has asked twice: it really waits for it.
	before, _ := f.StatusRequests()
	args := append([]string{"wait", "--repo", c.url(f), "--commit", first.Commit, "--status-context", "argocd/app-prod", "--timeout", "20s", "-o", "json"}, append(fastPolls, c.args(f)...)...)
	run := startTagbump(t, env, args...)
	eventually(t, "wait --commit polls twice", func() bool { n, _ := f.StatusRequests(); return n >= before+2 })
	select {
	case <-run.done:
		t.Fatalf("wait --commit ended before the deployment reported: exit %d\n%s", run.code, run.errOut)
	default:
	}
	f.SetStatus(first.Commit, testenv.FakeStatus{Context: "argocd/app-prod", State: "success"})
	code, out, errOut = run.result(t)
	if w := decodeWait(t, out); code != 0 || w.State != "success" || w.Commit != first.Commit {
		t.Errorf("wait --commit: exit %d, %+v\n%s", code, w, errOut)
	}
}

package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// prWaitResult is bump --pr --wait -o json: the bump's result with the
// wait's under "wait".
type prWaitResult struct {
	prResult
	Wait waitJSON `json:"wait"`
}

// mergeMethods is how each host's stand-in merges in TestBumpPRWaitForges:
// each way the hosts name the commit a merge leaves on the base is read
// once (GitLab's sha after a fast-forward, Bitbucket's abbreviated hash).
var mergeMethods = map[string]string{"github": "squash", "gitlab": "rebase", "azure": "merge", "bitbucket": "merge"}

// TestBumpPRWaitForges runs bump --pr --wait against each hosted API's
// stand-in: the bump opens the pull request and waits; the host merges it
// and Argo CD posts success on the commit the merge left on main: exit 0,
// the wait's commit is that commit (not the pull request branch's). A pull
// request closed unmerged exits 8 (state closed); one never merged exits 6
// naming it. The bump's dotenv file holds pr_state.
func TestBumpPRWaitForges(t *testing.T) {
	for _, c := range forgeCases {
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...)
			dotenv := t.TempDir() + "/tagbump.env"
			start := func(tag string, extra ...string) (*waitRun, int) {
				t.Helper()
				open := len(f.PRs())
				args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod",
					"--image", "registry.example.com/app:" + tag, "--pr", "-o", "json", "--dotenv", dotenv,
					"--wait", "--status-context", "argocd/app-prod", "--wait-timeout", "30s"}, c.args(f)...)
				r := startTagbump(t, env, append(append(args, fastPolls...), extra...)...)
				var n int
				eventually(t, "the pull request", func() bool {
					prs := f.PRs()
					if len(prs) > open && prs[len(prs)-1].State == "open" {
						n = prs[len(prs)-1].Number
					}
					return n != 0
				})
				return r, n
			}
			decode := func(out, errOut string) prWaitResult {
				t.Helper()
				var res prWaitResult
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatalf("bump output is not JSON: %v\n%s\n%s", err, out, errOut)
				}
				return res
			}

			// Merged, then deployed.
			r, n := start("1.1.0")
			eventually(t, "two reads of the open pull request", func() bool { return prReads(f, n) >= 2 })
			tip, err := f.MergeWith(c.repo, n, mergeMethods[c.kind])
			if err != nil {
				t.Fatal(err)
			}
			postStatus(f, c.kind, tip, "app-prod", statusWords[c.kind][0], "Progressing")
			time.Sleep(100 * time.Millisecond)
			postStatus(f, c.kind, tip, "app-prod", statusWords[c.kind][1], "Healthy")
			code, out, errOut := r.result(t)
			res := decode(out, errOut)
			if code != 0 || res.PRNumber != n || res.Wait.State != "success" || res.Wait.Commit != tip || res.Wait.PRState != "merged" || res.Commit == tip {
				t.Fatalf("merged: exit %d, %+v, want the wait on %s\n%s", code, res, tip, errOut)
			}
			checkDotenv(t, dotenv, "TAGBUMP_RESULT_PR_ACTION=created", "TAGBUMP_RESULT_DEPLOY_COMMIT="+tip, "TAGBUMP_RESULT_DEPLOY_STATE=success", "TAGBUMP_RESULT_PR_STATE=merged")

			// Closed without a merge: exit 8.
			r, n = start("1.2.0")
			eventually(t, "a read of the open pull request", func() bool { return prReads(f, n) >= 1 })
			if err := f.ClosePR(n); err != nil {
				t.Fatal(err)
			}
			code, out, errOut = r.result(t)
			res = decode(out, errOut)
			if code != 8 || res.Wait.State != "closed" || res.Wait.PRState != "closed" || res.Wait.Commit != "" || !strings.Contains(errOut, "closed without being merged") {
				t.Fatalf("closed: exit %d, %+v\n%s", code, res, errOut)
			}
			checkDotenv(t, dotenv, "TAGBUMP_RESULT_DEPLOY_STATE=closed", "TAGBUMP_RESULT_PR_STATE=closed")

			// Never merged: exit 6, naming the pull request.
			r, n = start("1.3.0", "--wait-timeout", "1s")
			code, out, errOut = r.result(t)
			res = decode(out, errOut)
			if code != 6 || res.Wait.State != "timeout" || res.Wait.PRState != "open" || !strings.Contains(errOut, "pull request #"+strconv.Itoa(n)) || !strings.Contains(errOut, "not merged yet") {
				t.Fatalf("never merged: exit %d, %+v\n%s", code, res, errOut)
			}
		})
	}
}

// prReads counts the reads of pull request n the stand-in received (GET
// .../pulls/N, .../merge_requests/N, .../pullrequests/N).
func prReads(f *testenv.FakeForge, n int) int {
	reads := 0
	for _, req := range f.Log() {
		line, _, _ := strings.Cut(req, "\n")
		path, _, _ := strings.Cut(strings.TrimPrefix(line, "GET "), "?")
		if strings.HasPrefix(line, "GET ") && (strings.HasSuffix(path, "/pulls/"+strconv.Itoa(n)) ||
			strings.HasSuffix(path, "/merge_requests/"+strconv.Itoa(n)) || strings.HasSuffix(path, "/pullrequests/"+strconv.Itoa(n))) {
			reads++
		}
	}
	return reads
}

// TestBumpPRWaitMinute logs what a minute of waiting for a merge costs on
// each hosted API's stand-in with the default poll intervals: the reads of
// the pull request (and on GitHub how many were answered 304). A minute
// of waiting, so only with TAGBUMP_WAIT_MINUTE=1.
func TestBumpPRWaitMinute(t *testing.T) {
	if os.Getenv("TAGBUMP_WAIT_MINUTE") == "" {
		t.Skip("a minute of waiting with the default intervals: set TAGBUMP_WAIT_MINUTE=1")
	}
	for _, c := range forgeCases {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			f := startForge(t, c)
			env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...)
			args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod",
				"--image", "registry.example.com/app:1.1.0", "--pr", "-o", "json",
				"--wait", "--status-context", "argocd/app-prod", "--wait-timeout", "60s"}, c.args(f)...)
			code, out, errOut := tagbump(t, env, args...)
			var res prWaitResult
			if err := json.Unmarshal([]byte(out), &res); err != nil || code != 6 {
				t.Fatalf("exit %d (%v)\n%s", code, err, errOut)
			}
			reads := prReads(f, res.PRNumber)
			t.Logf("%s: one minute of waiting for a merge: %d reads of the pull request (%d polls), %d answered 304", c.kind, reads, res.Wait.Polls, f.PRNotModified())
			if reads != res.Wait.Polls || reads > 12 {
				t.Errorf("%d reads, %d polls in a minute", reads, res.Wait.Polls)
			}
		})
	}
}

// TestPromoteRollbackPRWait: promote and rollback open their pull request
// and wait as bump does. The host merges it and Argo CD reports success
// on the commit the merge left on main: exit 0, the wait is on that
// commit, and the values file on main holds the promoted (then the
// rolled-back) tag.
func TestPromoteRollbackPRWait(t *testing.T) {
	for _, c := range forgeCases[:2] { // github (merge commit names) and gitlab (rebase: another sha)
		t.Run(c.kind, func(t *testing.T) {
			testenv.RequireBinary(t, "git")
			f, err := testenv.StartFakeForge(c.kind)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(f.Close)
			if err := f.CreateRepo(c.repo, map[string]string{
				"app/values-staging.yaml": prodValues("1.1.0"),
				"app/values-prod.yaml":    prodValues("1.0.0"),
			}); err != nil {
				t.Fatal(err)
			}
			env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...)
			run := func(tag string, cmd ...string) {
				t.Helper()
				open := len(f.PRs())
				args := append(append(cmd, "--repo", c.url(f), "--chart", "app", "--pr", "-o", "json",
					"--wait", "--status-context", "argocd/app-prod", "--wait-timeout", "30s"), c.args(f)...)
				r := startTagbump(t, env, append(args, fastPolls...)...)
				var n int
				eventually(t, cmd[0]+"'s pull request", func() bool {
					prs := f.PRs()
					if len(prs) > open && prs[len(prs)-1].State == "open" {
						n = prs[len(prs)-1].Number
					}
					select {
					case <-r.done:
						return true
					default:
						return n != 0
					}
				})
				if n == 0 {
					code, out, errOut := r.result(t)
					t.Fatalf("%s ended (exit %d) without a pull request:\n%s\n%s", cmd[0], code, out, errOut)
				}
				eventually(t, "a read of the open pull request", func() bool { return prReads(f, n) >= 1 })
				tip, err := f.MergeWith(c.repo, n, mergeMethods[c.kind])
				if err != nil {
					t.Fatal(err)
				}
				postStatus(f, c.kind, tip, "app-prod", statusWords[c.kind][1], "Healthy")
				code, out, errOut := r.result(t)
				var res prWaitResult
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatalf("%s output is not JSON: %v\n%s\n%s", cmd[0], err, out, errOut)
				}
				if code != 0 || res.PRNumber != n || res.Wait.State != "success" || res.Wait.Commit != tip || res.Wait.PRState != "merged" {
					t.Fatalf("%s: exit %d, %+v, want the wait on %s\n%s", cmd[0], code, res, tip, errOut)
				}
				got, err := exec.Command("git", "--git-dir", f.Git.Dir(c.repo), "show", "main:app/values-prod.yaml").Output()
				if err != nil || string(got) != prodValues(tag) {
					t.Fatalf("%s: main's values-prod.yaml = %q (%v), want tag %s", cmd[0], got, err, tag)
				}
			}
			run("1.1.0", "promote", "--no-verify", "--from", "staging", "--to", "prod")
			run("1.0.0", "rollback", "--env", "prod")
		})
	}
}

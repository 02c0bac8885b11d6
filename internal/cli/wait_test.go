package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// fastPolls make the waits of tests poll every 50 ms to 200 ms.
var fastPolls = []string{"--poll-interval", "50ms", "--poll-max-interval", "200ms"}

// waitRun is a tagbump run in the background.
type waitRun struct {
	done          chan struct{}
	code          int
	out, errOut   string
	started       time.Time
	elapsed       time.Duration
	stdout, stder bytes.Buffer
}

// startTagbump runs tagbump with args in env without waiting for it.
func startTagbump(t *testing.T, env []string, args ...string) *waitRun {
	t.Helper()
	cmd := exec.Command("tagbump", args...)
	cmd.Env = append(os.Environ(), env...)
	r := &waitRun{done: make(chan struct{}), started: time.Now()}
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stder
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		r.elapsed = time.Since(r.started)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code = -1
		}
		r.out, r.errOut = r.stdout.String(), r.stder.String()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return r
}

// result waits for the run's end (at most a minute).
func (r *waitRun) result(t *testing.T) (int, string, string) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		t.Fatal("tagbump did not end within a minute")
	}
	return r.code, r.out, r.errOut
}

// eventually polls cond every 20 ms for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

type waitJSON struct {
	Commit         string  `json:"commit"`
	State          string  `json:"state"`
	SyncedRevision string  `json:"synced_revision"`
	Health         string  `json:"health"`
	WaitedSeconds  float64 `json:"waited_seconds"`
	Polls          int     `json:"polls"`
	Message        string  `json:"message"`
	PRState        string  `json:"pr_state"`
}

func decodeWait(t *testing.T, out string) waitJSON {
	t.Helper()
	var r waitJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("wait output is not JSON: %v\n%s", err, out)
	}
	return r
}

// statusWords are each stand-in's words for pending, success and failure,
// and the genre Azure DevOps puts before the name.
var statusWords = map[string][4]string{
	"github":    {"pending", "success", "failure", ""},
	"gitlab":    {"running", "success", "failed", ""},
	"azure":     {"pending", "succeeded", "failed", "argocd"},
	"bitbucket": {"INPROGRESS", "SUCCESSFUL", "FAILED", ""},
}

// postStatus posts the status argocd/name on sha of the stand-in of kind,
// in the host's words (Azure DevOps: genre argocd, name name).
func postStatus(f *testenv.FakeForge, kind, sha, name, state, desc string) {
	genre := statusWords[kind][3]
	ctx := "argocd/" + name
	if genre != "" {
		ctx = name
	}
	f.SetStatus(sha, testenv.FakeStatus{Context: ctx, Genre: genre, State: state, Description: desc})
}

// TestWaitStatusForges runs wait --status-context against each host's
// stand-in while statuses are posted: pending then success (exit 0),
// pending then failure (exit 9, with the status's description), none
// (exit 6 naming the last state), a glob over two contexts, a 429 with
// Retry-After (waited out), and on GitHub a check run. With
// TAGBUMP_WAIT_MINUTE=1 it also logs the requests of a minute of waiting
// with the default intervals.
func TestWaitStatusForges(t *testing.T) {
	for _, c := range forgeCases {
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			words := statusWords[c.kind]
			post := func(sha, name, state, desc string) { postStatus(f, c.kind, sha, name, state, desc) }
			sha := f.BranchSHA(c.repo, "main")
			env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.ReadOnlyToken}, c.env(f)...)
			wait := func(context string, extra ...string) *waitRun {
				args := append([]string{"wait", "--repo", c.url(f), "--commit", sha, "--status-context", context, "-o", "json"}, c.args(f)...)
				return startTagbump(t, env, append(append(args, fastPolls...), extra...)...)
			}
			requests := func() int { n, _ := f.StatusRequests(); return n }

			// pending → success
			r := wait("argocd/app-staging")
			before := requests()
			eventually(t, "a first poll", func() bool { return requests() > before })
			post(sha, "app-staging", words[0], "")
			eventually(t, "a poll after pending", func() bool { return requests() > before+2 })
			post(sha, "app-staging", words[1], "")
			code, out, errOut := r.result(t)
			if res := decodeWait(t, out); code != 0 || res.State != "success" || res.Commit != sha {
				t.Fatalf("pending → success: exit %d %+v\n%s", code, res, errOut)
			}

			// pending → failure, with a glob over two applications
			next, err := f.Git.CommitFiles(c.repo, "main", map[string]string{"app/values-prod.yaml": prodValues("1.1.0")}, "chore: next")
			if err != nil {
				t.Fatal(err)
			}
			sha = next
			post(sha, "app-staging", words[1], "")
			post(sha, "worker-staging", words[0], "")
			r = wait("argocd/*-staging")
			before = requests()
			eventually(t, "a first poll", func() bool { return requests() > before })
			post(sha, "worker-staging", words[2], "Degraded: worker crash-looping")
			code, out, errOut = r.result(t)
			if res := decodeWait(t, out); code != 9 || res.State != "failure" || !strings.Contains(errOut, "worker crash-looping") {
				t.Fatalf("pending → failure: exit %d %+v\n%s", code, res, errOut)
			}

			// never → timeout, naming the last state seen
			r = wait("argocd/nothing", "--timeout", "1s")
			code, out, errOut = r.result(t)
			if res := decodeWait(t, out); code != 6 || res.State != "timeout" || !strings.Contains(errOut, `no status \"argocd/nothing\" yet`) && !strings.Contains(errOut, `no status "argocd/nothing" yet`) {
				t.Fatalf("timeout: exit %d %+v\n%s", code, res, errOut)
			}

			// 429 with Retry-After: 1, then success
			f.LimitStatuses(1, 1)
			before = requests()
			r = wait("argocd/app-staging", "--timeout", "20s")
			code, out, errOut = r.result(t)
			if res := decodeWait(t, out); code != 0 || r.elapsed < time.Second || requests()-before < 2 {
				t.Fatalf("429: exit %d after %s, %d requests %+v\n%s", code, r.elapsed, requests()-before, res, errOut)
			}

			if c.kind == "github" {
				f.SetStatus(sha, testenv.FakeStatus{Context: "deploy/app", CheckRun: true, Status: "completed", Conclusion: "success"})
				code, _, errOut := wait("deploy/*").result(t)
				if code != 0 {
					t.Fatalf("check run: exit %d\n%s", code, errOut)
				}
			}

			// Requests per minute of waiting, with the default intervals:
			// a minute of waiting, so only on request.
			if os.Getenv("TAGBUMP_WAIT_MINUTE") == "" || c.kind != "github" {
				return
			}
			before = requests()
			args := append([]string{"wait", "--repo", c.url(f), "--commit", sha, "--status-context", "argocd/never", "--timeout", "60s"}, c.args(f)...)
			code, _, errOut = tagbump(t, env, args...)
			total, notModified := f.StatusRequests()
			t.Logf("one minute of waiting on GitHub: %d requests (%d polls), %d of all status requests so far answered 304; exit %d", total-before, (total-before)/2, notModified, code)
			if code != 6 || total-before > 20 {
				t.Errorf("exit %d, %d requests in a minute\n%s", code, total-before, errOut)
			}
		})
	}
}

// TestWaitUsage checks the refusals of bad flags.
func TestWaitUsage(t *testing.T) {
	sha := strings.Repeat("a", 40)
	for _, args := range [][]string{
		{"wait", "--commit", sha},
		{"wait", "--repo", "https://github.com/a/b", "--commit", "abc1234", "--status-context", "x"},
		{"wait", "--repo", "https://github.com/a/b", "--commit", sha},
		{"wait", "--repo", "https://github.com/a/b", "--commit", sha, "--status-context", "x", "--app", "y", "--argocd-server", "https://argocd.example"},
		{"wait", "--repo", "https://github.com/a/b", "--commit", sha, "--app", "y"},
		{"wait", "--repo", "https://github.com/a/b", "--commit", sha, "--status-context", "[x"},
	} {
		if code, _, errOut := tagbump(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
		}
	}
}

// argoRepo is a charts repository with three commits on main: old, ours
// and later.
type argoRepo struct {
	url              string
	old, ours, later string
	git              *testenv.GitServer
}

func startArgoRepo(t *testing.T) argoRepo {
	t.Helper()
	testenv.RequireBinary(t, "git")
	g, err := testenv.StartGitServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	r := argoRepo{git: g}
	g.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": prodValues("1.0.0")})
	r.old = mustGit(t, g.Dir("charts"), "rev-parse", "main")
	if r.ours, err = g.CommitFiles("charts", "main", map[string]string{"app/values-staging.yaml": prodValues("1.1.0")}, "chore: ours"); err != nil {
		t.Fatal(err)
	}
	if r.later, err = g.CommitFiles("charts", "main", map[string]string{"app/values-staging.yaml": prodValues("1.2.0")}, "chore: later"); err != nil {
		t.Fatal(err)
	}
	r.url = g.URL("charts")
	return r
}

// TestWaitArgoCD runs wait --argocd-server against the Argo CD stand-in:
// OutOfSync → Synced/Running → Progressing → Healthy (exit 0); Degraded
// (9, with Argo CD's message); a later commit synced (0); a rollback to an
// earlier revision by a sync started after the commit (9); a failed sync
// (9); a multi-source application; 401 and 403 (5); a missing application
// (3); 429 with Retry-After (waited out); a wrong namespace (3).
func TestWaitArgoCD(t *testing.T) {
	repo := startArgoRepo(t)
	argo, err := testenv.StartFakeArgoCD()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(argo.Close)
	after := time.Now().Add(time.Hour) // a sync that started after our commit
	before := time.Now().Add(-time.Hour)
	env := []string{"ARGOCD_AUTH_TOKEN=" + argo.Token}
	wait := func(t *testing.T, env []string, app string, extra ...string) (int, waitJSON, string) {
		t.Helper()
		args := append([]string{"wait", "--repo", repo.url, "--commit", repo.ours, "--argocd-server", argo.URL, "--app", app, "-o", "json", "--timeout", "20s"}, fastPolls...)
		code, out, errOut := tagbump(t, env, append(args, extra...)...)
		if code > 0 && code != 6 && code != 9 {
			return code, waitJSON{}, errOut
		}
		return code, decodeWait(t, out), errOut
	}
	single := []string{repo.url}
	for _, c := range []struct {
		name   string
		repos  []string
		states []testenv.FakeAppState
		code   int
		state  string
		msg    string
	}{
		{"rollout", single, []testenv.FakeAppState{
			{Sync: "OutOfSync", Revision: repo.old, Health: "Healthy", Phase: "Succeeded", StartedAt: before},
			{Sync: "OutOfSync", Revision: repo.old, Health: "Healthy", Phase: "Running", StartedAt: after},
			{Sync: "Synced", Revision: repo.ours, Health: "Progressing", Phase: "Succeeded", StartedAt: after},
			{Sync: "Synced", Revision: repo.ours, Health: "Healthy", Phase: "Succeeded", StartedAt: after},
		}, 0, "success", ""},
		{"degraded", single, []testenv.FakeAppState{
			{Sync: "Synced", Revision: repo.ours, Health: "Progressing", Phase: "Succeeded", StartedAt: after},
			{Sync: "Synced", Revision: repo.ours, Health: "Degraded", HealthMessage: "Deployment app has timed out progressing", Phase: "Succeeded", StartedAt: after},
		}, 9, "failure", "timed out progressing"},
		{"later-commit", single, []testenv.FakeAppState{
			{Sync: "OutOfSync", Revision: repo.old, Health: "Healthy", Phase: "Succeeded", StartedAt: before},
			{Sync: "Synced", Revision: repo.later, Health: "Healthy", Phase: "Succeeded", StartedAt: after},
		}, 0, "success", ""},
		{"rollback", single, []testenv.FakeAppState{
			{Sync: "OutOfSync", Revision: repo.ours, OpRevision: repo.old, Health: "Healthy", Phase: "Succeeded", OpMessage: "successfully synced (all tasks run)", StartedAt: after},
		}, 9, "failure", "an earlier commit"},
		{"sync-failed", single, []testenv.FakeAppState{
			{Sync: "OutOfSync", Revision: repo.ours, Health: "Healthy", Phase: "Failed", OpMessage: "one or more objects failed to apply: admission webhook denied", StartedAt: after},
		}, 9, "failure", "admission webhook denied"},
		{"old-sync-failed-waits", single, []testenv.FakeAppState{
			{Sync: "OutOfSync", Revision: repo.old, Health: "Healthy", Phase: "Failed", OpMessage: "an earlier commit's sync failed", StartedAt: after},
		}, 6, "timeout", "OutOfSync"},
		{"old-sync-waits", single, []testenv.FakeAppState{
			{Sync: "OutOfSync", Revision: repo.old, Health: "Healthy", Phase: "Succeeded", StartedAt: before},
		}, 6, "timeout", "OutOfSync"},
		{"multi-source", []string{"https://charts.example.com/other.git", repo.url}, []testenv.FakeAppState{
			{Sync: "Synced", Revisions: []string{"4.5.6", repo.ours}, Health: "Healthy", Phase: "Succeeded", StartedAt: after},
		}, 0, "success", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			argo.SetApp("app-"+c.name, "", c.repos, c.states...)
			var extra []string
			if c.code == 6 {
				extra = []string{"--timeout", "1s"}
			}
			code, res, errOut := wait(t, env, "app-"+c.name, extra...)
			if code != c.code || res.State != c.state || !strings.Contains(errOut, c.msg) {
				t.Fatalf("exit %d (want %d), %+v\n%s", code, c.code, res, errOut)
			}
			if c.code == 0 && res.Health != "Healthy" {
				t.Errorf("result %+v", res)
			}
		})
	}

	argo.SetApp("app", "", single, testenv.FakeAppState{Sync: "Synced", Revision: repo.ours, Health: "Healthy", Phase: "Succeeded", StartedAt: after})
	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct {
			name string
			env  []string
			app  string
			args []string
			code int
		}{
			{"401", []string{"ARGOCD_AUTH_TOKEN=wrong-token-0123456789"}, "app", nil, 5},
			{"403", []string{"ARGOCD_AUTH_TOKEN=" + argo.ForbiddenToken}, "app", nil, 5},
			{"no token", []string{"ARGOCD_AUTH_TOKEN="}, "app", nil, 5},
			{"404", env, "missing", nil, 3},
			{"namespace", env, "app", []string{"--app-namespace", "team-a"}, 3},
			{"http to another host", env, "app", []string{"--argocd-server", "http://argocd.example.com"}, 2},
		} {
			code, _, errOut := wait(t, c.env, c.app, c.args...)
			if code != c.code {
				t.Errorf("%s: exit %d, want %d\n%s", c.name, code, c.code, errOut)
			}
		}
	})
	t.Run("429", func(t *testing.T) {
		argo.Limit(1, 1)
		start := time.Now()
		code, res, errOut := wait(t, env, "app")
		if code != 0 || time.Since(start) < time.Second || res.Polls != 2 {
			t.Fatalf("exit %d after %s, %+v\n%s", code, time.Since(start), res, errOut)
		}
	})
	t.Run("requests-per-minute", func(t *testing.T) {
		if os.Getenv("TAGBUMP_WAIT_MINUTE") == "" {
			t.Skip("a minute of waiting with the default intervals: set TAGBUMP_WAIT_MINUTE=1")
		}
		argo.SetApp("app-never", "", single, testenv.FakeAppState{Sync: "OutOfSync", Revision: repo.old, Health: "Healthy", Phase: "Succeeded", StartedAt: before})
		n := argo.Requests()
		args := []string{"wait", "--repo", repo.url, "--commit", repo.ours, "--argocd-server", argo.URL, "--app", "app-never", "--timeout", "60s"}
		code, _, errOut := tagbump(t, env, args...)
		t.Logf("one minute of waiting on Argo CD: %d requests; exit %d", argo.Requests()-n, code)
		if code != 6 || argo.Requests()-n > 10 {
			t.Errorf("exit %d, %d requests in a minute\n%s", code, argo.Requests()-n, errOut)
		}
	})
	t.Run("token-file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(file, []byte(argo.Token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := wait(t, []string{"ARGOCD_AUTH_TOKEN="}, "app", "--argocd-token-file", file); code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
	})
}

// TestWaitArgoCDTokenCanary checks that the Argo CD token, from the
// environment or from a file, appears in no output, whatever the server
// echoes: the server answers 401 with the request, Authorization header
// included, in its message.
func TestWaitArgoCDTokenCanary(t *testing.T) {
	repo := startArgoRepo(t)
	const canary = "argocd-canary-token-5f3c9a1e7b2d"
	echo := testenv.StartEchoServer(http.StatusUnauthorized)
	t.Cleanup(echo.Close)
	for _, viaFile := range []bool{false, true} {
		env := []string{"ARGOCD_AUTH_TOKEN=" + canary}
		var extra []string
		if viaFile {
			file := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(file, []byte(canary), 0o600); err != nil {
				t.Fatal(err)
			}
			env, extra = []string{"ARGOCD_AUTH_TOKEN="}, []string{"--argocd-token-file", file}
		}
		for _, format := range []string{"text", "json"} {
			args := append([]string{"wait", "--repo", repo.url, "--commit", repo.ours, "--argocd-server", echo.URL, "--app", "app",
				"-o", format, "--log-level", "debug", "--timeout", "1s"}, append(fastPolls, extra...)...)
			code, out, errOut := tagbump(t, env, args...)
			if strings.Contains(out+errOut, canary) || strings.Contains(out+errOut, canary[:12]) {
				t.Fatalf("file %v, %s: the token leaked (exit %d):\n%s\n%s", viaFile, format, code, out, errOut)
			}
			if code != 5 {
				t.Errorf("file %v, %s: exit %d, want 5\n%s", viaFile, format, code, errOut)
			}
		}
	}
}

// TestBumpWait runs bump --wait against the GitHub stand-in: the bump
// pushes, then waits for the status posted on its commit, and -o json
// holds both results; a failure status exits 9 after the push. Flags of
// the wait without --wait, and --wait with --dry-run, are refused.
func TestBumpWait(t *testing.T) {
	c := forgeCases[0]
	f := startForge(t, c)
	env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...)
	bump := func(tag, state string, extra ...string) (int, string, string) {
		t.Helper()
		tip := f.BranchSHA(c.repo, "main")
		args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod",
			"--image", "registry.example.com/app:" + tag, "-o", "json", "--wait", "--status-context", "argocd/app-prod", "--wait-timeout", "20s"}, fastPolls...)
		r := startTagbump(t, env, append(args, extra...)...)
		var sha string
		eventually(t, "the push", func() bool { sha = f.BranchSHA(c.repo, "main"); return sha != tip })
		f.SetStatus(sha, testenv.FakeStatus{Context: "argocd/app-prod", State: "pending"})
		time.Sleep(150 * time.Millisecond)
		f.SetStatus(sha, testenv.FakeStatus{Context: "argocd/app-prod", State: state, Description: "Degraded: crash-looping"})
		return r.result(t)
	}
	dotenv := filepath.Join(t.TempDir(), "tagbump.env")
	code, out, errOut := bump("1.1.0", "success", "--dotenv", dotenv)
	var res struct {
		Commit string   `json:"commit"`
		Pushed bool     `json:"pushed"`
		Wait   waitJSON `json:"wait"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.Pushed || res.Wait.State != "success" || res.Wait.Commit != res.Commit || res.Commit != f.BranchSHA(c.repo, "main") {
		t.Fatalf("bump --wait: exit %d, %+v (%v)\n%s\n%s", code, res, err, out, errOut)
	}
	// The dotenv file holds the bump's outputs and the wait's.
	checkDotenv(t, dotenv, "TAGBUMP_RESULT_COMMIT="+res.Commit, "TAGBUMP_RESULT_OUTCOME=changed",
		"TAGBUMP_RESULT_DEPLOY_COMMIT="+res.Commit, "TAGBUMP_RESULT_DEPLOY_STATE=success", "TAGBUMP_RESULT_WAITED_SECONDS=")
	code, out, errOut = bump("1.2.0", "failure", "--dotenv", dotenv)
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 9 || !res.Pushed || res.Wait.State != "failure" || !strings.Contains(errOut, "crash-looping") {
		t.Fatalf("bump --wait, failed: exit %d, %+v (%v)\n%s\n%s", code, res, err, out, errOut)
	}
	checkDotenv(t, dotenv, "TAGBUMP_RESULT_COMMIT="+res.Commit, "TAGBUMP_RESULT_DEPLOY_STATE=failure")
	// In GitHub Actions the step outputs hold the bump's and the wait's.
	outputs := filepath.Join(t.TempDir(), "github_output")
	env = append(env, "GITHUB_ACTIONS=true", "GITHUB_OUTPUT="+outputs)
	code, out, errOut = bump("1.3.0", "success")
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("bump --wait in GitHub Actions: exit %d, %+v (%v)\n%s\n%s", code, res, err, out, errOut)
	}
	got, err := os.ReadFile(outputs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range [][2]string{{"commit", res.Commit}, {"deploy_commit", res.Commit}, {"deploy_state", "success"}} {
		if !strings.Contains(string(got), o[0]+"<<TAGBUMP_EOF\n"+o[1]+"\n") {
			t.Errorf("GITHUB_OUTPUT has no %s=%s:\n%s", o[0], o[1], got)
		}
	}
	for _, extra := range [][]string{
		{"--status-context", "argocd/x"},
		{"--wait", "--status-context", "argocd/x", "--dry-run"},
		{"--wait"},
	} {
		args := append([]string{"bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod", "--image", "registry.example.com/app:9.9.9"}, extra...)
		if code, _, errOut := tagbump(t, env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", extra, code, errOut)
		}
	}
}

// checkDotenv fails t unless the dotenv file at path has a line starting
// with each of lines.
func checkDotenv(t *testing.T, path string, lines ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !strings.Contains("\n"+string(b), "\n"+l) {
			t.Errorf("dotenv has no line %q:\n%s", l, b)
		}
	}
}

// TestRollbackWait runs rollback --wait against the Argo CD stand-in: the
// application reports the rollback's commit synced and healthy.
func TestRollbackWait(t *testing.T) {
	repo := startArgoRepo(t)
	argo, err := testenv.StartFakeArgoCD()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(argo.Close)
	// The stand-in reports whatever main's tip is once the rollback
	// pushed it.
	tip := repo.later
	argo.SetApp("app-staging", "", []string{repo.url}, testenv.FakeAppState{Sync: "Synced", Revision: tip, Health: "Healthy", Phase: "Succeeded"})
	r := startTagbump(t, []string{"ARGOCD_AUTH_TOKEN=" + argo.Token}, append([]string{"rollback", "--repo", repo.url, "--chart", "app", "--env", "staging",
		"--wait", "--argocd-server", argo.URL, "--app", "app-staging", "--wait-timeout", "20s", "-o", "json"}, fastPolls...)...)
	var sha string
	eventually(t, "the rollback's push", func() bool {
		sha = mustGit(t, repo.git.Dir("charts"), "rev-parse", "main")
		return sha != tip
	})
	argo.SetApp("app-staging", "", []string{repo.url},
		testenv.FakeAppState{Sync: "OutOfSync", Revision: tip, Health: "Healthy", Phase: "Running", StartedAt: time.Now().Add(time.Hour)},
		testenv.FakeAppState{Sync: "Synced", Revision: sha, Health: "Healthy", Phase: "Succeeded", StartedAt: time.Now().Add(time.Hour)})
	code, out, errOut := r.result(t)
	var res struct {
		Commit string   `json:"commit"`
		Wait   waitJSON `json:"wait"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Commit != sha || res.Wait.State != "success" || res.Wait.SyncedRevision != sha {
		t.Fatalf("rollback --wait: exit %d, %+v (%v)\n%s\n%s", code, res, err, out, errOut)
	}
}

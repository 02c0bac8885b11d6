package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// tagbump runs the tagbump binary (the test binary, put on $PATH by
// testscript.Main) with env added to the environment, and returns its exit
// code, stdout and stderr.
func tagbump(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("tagbump", args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("run tagbump: %v", err)
	return 0, "", ""
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := testenv.Git(dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

func valuesFile(tag string) string {
	return "# staging\nimage:\n  repository: registry.example.com/app\n  tag: " + tag + "  # bumped by CI\n"
}

// TestBumpOverSSH bumps through a real OpenSSH server: host key checked
// against known_hosts, key auth; a host key mismatch is refused (exit 5).
func TestBumpOverSSH(t *testing.T) {
	testenv.RequireBinary(t, "/usr/sbin/sshd")
	root := t.TempDir()
	if _, err := testenv.CreateBareRepo(filepath.Join(root, "charts.git"), map[string]string{
		"app/values-staging.yaml": valuesFile("1.0.0"),
	}); err != nil {
		t.Fatal(err)
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id_ed25519", "")
	if err != nil {
		t.Fatal(err)
	}
	sshd, knownHosts := testenv.NewSSHD(t, key, root)
	args := []string{"bump", "--no-verify", "--repo", sshd.URL("charts"), "--chart", "app", "--env", "staging",
		"--image", "registry.example.com/app:1.1.0", "--ssh-key", key.Path}

	code, out, errOut := tagbump(t, nil, append(args, "--known-hosts", knownHosts)...)
	if code != 0 {
		t.Fatalf("bump over ssh: exit %d\n%s", code, errOut)
	}
	dir := filepath.Join(root, "charts.git")
	if got := mustGit(t, dir, "rev-parse", "main"); got != strings.TrimSpace(out) {
		t.Errorf("main is %s, bump printed %q", got, out)
	}
	if got := mustGit(t, dir, "show", "main:app/values-staging.yaml"); got+"\n" != valuesFile("1.1.0") {
		t.Errorf("values after bump:\n%s", got)
	}

	// The same server behind another host key: refused, nothing pushed.
	wrong := sshd.MismatchedKnownHosts(t)
	before := mustGit(t, dir, "rev-parse", "main")
	args[len(args)-3] = "registry.example.com/app:1.2.0"
	code, _, errOut = tagbump(t, nil, append(args, "--known-hosts", wrong)...)
	if code != 5 || !strings.Contains(errOut, "host key") {
		t.Errorf("host key mismatch: exit %d, stderr:\n%s", code, errOut)
	}
	if after := mustGit(t, dir, "rev-parse", "main"); after != before {
		t.Errorf("main moved from %s to %s despite the host key mismatch", before, after)
	}
}

// TestBumpConcurrent starts bumps of different charts at once against one
// branch: all succeed, every value is set, and history stays linear with
// one commit per bump.
func TestBumpConcurrent(t *testing.T) {
	const n = 8
	srv, err := testenv.StartGitServer(testenv.WithBasicAuth("bot", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("chart-%d/values-staging.yaml", i)] = valuesFile("1.0.0")
	}
	if _, err := srv.CreateRepo("charts", files); err != nil {
		t.Fatal(err)
	}
	env := []string{"TAGBUMP_GIT_USER=bot", "TAGBUMP_GIT_TOKEN=tok"}
	type result struct {
		code     int
		attempts int
		stderr   string
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code, out, errOut := tagbump(t, env, "bump", "--no-verify", "--output", "json",
				"--repo", srv.URL("charts"), "--chart", fmt.Sprintf("chart-%d", i), "--env", "staging",
				"--image", "registry.example.com/app:2.0.0", "--max-attempts", "30")
			var res struct{ Attempts int }
			_ = json.Unmarshal([]byte(out), &res)
			results[i] = result{code, res.Attempts, errOut}
		})
	}
	wg.Wait()
	attempts := 0
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("bump %d: exit %d\n%s", i, r.code, r.stderr)
		}
		attempts += r.attempts
	}
	dir := srv.Dir("charts")
	if got := mustGit(t, dir, "rev-list", "--count", "main"); got != fmt.Sprint(n+1) {
		t.Errorf("main has %s commits, want %d", got, n+1)
	}
	if got := mustGit(t, dir, "rev-list", "--merges", "--count", "main"); got != "0" {
		t.Errorf("main has %s merge commits", got)
	}
	for i := range n {
		if got := mustGit(t, dir, "show", fmt.Sprintf("main:chart-%d/values-staging.yaml", i)); got+"\n" != valuesFile("2.0.0") {
			t.Errorf("chart-%d not bumped:\n%s", i, got)
		}
	}
	t.Logf("%d concurrent bumps: %d attempts in all", n, attempts)
}

// TestBumpContention: many bumps of different charts on one branch at
// once, with the default retry settings (no --max-attempts), against a
// default-settings git server: every bump lands once, history stays
// linear. 12 bumps in make test, 50 in make reliability
// (TAGBUMP_RELIABILITY_FULL=1); the 200 of issue 12 are in make bench.
func TestBumpContention(t *testing.T) {
	n := 12
	if os.Getenv("TAGBUMP_RELIABILITY_FULL") != "" {
		n = 50
	}
	srv, err := testenv.StartGitServer(testenv.WithAllowFilter(false), testenv.WithConfig("uploadpack.allowFilter", "true"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("chart-%02d/values-staging.yaml", i)] = valuesFile("1.0.0")
	}
	if _, err := srv.CreateRepo("charts", files); err != nil {
		t.Fatal(err)
	}
	attempts := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code, out, errOut := tagbump(t, nil, "bump", "--no-verify", "--output", "json",
				"--repo", srv.URL("charts"), "--chart", fmt.Sprintf("chart-%02d", i), "--env", "staging",
				"--image", "registry.example.com/app:2.0.0")
			var res struct{ Attempts int }
			if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
				t.Errorf("bump %d: exit %d\n%s", i, code, errOut)
			}
			attempts[i] = res.Attempts
		})
	}
	wg.Wait()
	dir := srv.Dir("charts")
	if got := mustGit(t, dir, "rev-list", "--count", "main"); got != fmt.Sprint(n+1) {
		t.Errorf("main has %s commits, want %d", got, n+1)
	}
	if got := mustGit(t, dir, "rev-list", "--merges", "--count", "main"); got != "0" {
		t.Errorf("main has %s merge commits", got)
	}
	for i := range n {
		if got := mustGit(t, dir, "show", fmt.Sprintf("main:chart-%02d/values-staging.yaml", i)); got+"\n" != valuesFile("2.0.0") {
			t.Errorf("chart-%02d not bumped:\n%s", i, got)
		}
	}
	slices.Sort(attempts)
	t.Logf("%d concurrent bumps: attempts min %d, median %d, max %d", n, attempts[0], attempts[n/2], attempts[n-1])
}

// TestBumpLocalClone bumps a developer's clone in place: the branch moves,
// the checked-out file follows, nothing is pushed anywhere.
func TestBumpLocalClone(t *testing.T) {
	origin, err := testenv.CreateBareRepo(filepath.Join(t.TempDir(), "origin.git"), map[string]string{
		"app/values-staging.yaml": valuesFile("1.0.0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	mustGit(t, filepath.Dir(clone), "clone", "-q", origin, clone)
	code, _, errOut := tagbump(t, nil, "bump", "--no-verify", "--repo", clone, "--chart", "app", "--env", "staging",
		"--image", "registry.example.com/app:1.0.1", "--author", "Dev Eloper <dev@example.com>")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(clone, "app/values-staging.yaml")); string(got) != valuesFile("1.0.1") {
		t.Errorf("work tree file:\n%s", got)
	}
	if st := mustGit(t, clone, "status", "--porcelain"); st != "" {
		t.Errorf("work tree not clean after the bump:\n%s", st)
	}
	if got := mustGit(t, clone, "log", "-1", "--format=%an <%ae>|%s"); got != "Dev Eloper <dev@example.com>|chore(staging): update app image to 1.0.1" {
		t.Errorf("commit: %s", got)
	}
	if got := mustGit(t, origin, "rev-list", "--count", "main"); got != "1" {
		t.Errorf("origin has %s commits: a local bump must not push", got)
	}
}

// TestBumpInterruptRemovesTempDir stops a bump with SIGTERM while the
// server holds its push: exit 130, the private temporary directory gone,
// the branch unchanged.
func TestBumpInterruptRemovesTempDir(t *testing.T) {
	srv, err := testenv.StartGitServer(testenv.WithAllowFilter(false))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.CreateRepo("charts", map[string]string{"app/values-staging.yaml": valuesFile("1.0.0")}); err != nil {
		t.Fatal(err)
	}
	// The hook signals that the push arrived, then holds it.
	marker := filepath.Join(t.TempDir(), "push-arrived")
	if err := srv.SetHook("charts", "pre-receive", "#!/bin/sh\ntouch "+marker+"\nsleep 30\n"); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cmd := exec.Command("tagbump", "bump", "--no-verify", "--repo", srv.URL("charts"), "--chart", "app",
		"--env", "staging", "--image", "registry.example.com/app:1.0.1")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the push never reached the server\n%s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) == 0 {
		t.Fatal("no temporary directory while the push is held: the test would prove nothing")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("after SIGTERM: %v, want exit 130\n%s", err, errb.String())
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left in TMPDIR: %v", entries)
	}
}

// TestBumpCredentialsInURL: a URL that carries credentials is used without
// them (the token comes from the environment), the log warns, and on GitHub
// the run page gets a ::warning:: annotation (on stderr, stdout carries the
// hash only); the password shows nowhere.
func TestBumpCredentialsInURL(t *testing.T) {
	srv, err := testenv.StartGitServer(testenv.WithBasicAuth("bot", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.CreateRepo("charts", map[string]string{"app/values-staging.yaml": valuesFile("1.0.0")}); err != nil {
		t.Fatal(err)
	}
	repo := "http://bot:url-pw-leak@" + srv.Addr() + "/charts.git"
	env := []string{"TAGBUMP_GIT_USER=bot", "TAGBUMP_GIT_TOKEN=tok", "GITHUB_ACTIONS=true"}
	code, out, errOut := tagbump(t, env, "bump", "--no-verify", "--repo", repo, "--chart", "app", "--env", "staging",
		"--image", "registry.example.com/app:1.0.1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "::warning title=tagbump::the repository URL carries credentials") || !strings.Contains(errOut, "WARN the repository URL carries credentials") || strings.Contains(out, "::") {
		t.Errorf("no warning about the URL's credentials:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if strings.Contains(out+errOut, "url-pw-leak") {
		t.Errorf("the URL's password was printed:\n%s\n%s", out, errOut)
	}
}

// TestBumpCredentialsOnlyInURL: with no token configured, the URL's
// credentials push the bump, as git would use them; the log warns to move
// the token, and the token shows nowhere.
func TestBumpCredentialsOnlyInURL(t *testing.T) {
	const secret = "url-only-tok-7731"
	srv, err := testenv.StartGitServer(testenv.WithBasicAuth("x-access-token", secret))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.CreateRepo("charts", map[string]string{"app/values-staging.yaml": valuesFile("1.0.0")}); err != nil {
		t.Fatal(err)
	}
	repo := "http://x-access-token:" + secret + "@" + srv.Addr() + "/charts.git"
	code, out, errOut := tagbump(t, []string{"TAGBUMP_GIT_TOKEN=", "GITHUB_TOKEN="}, "bump", "--no-verify", "--repo", repo,
		"--chart", "app", "--env", "staging", "--image", "registry.example.com/app:1.0.1", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "carries credentials; they are used") || !strings.Contains(errOut, "TAGBUMP_GIT_TOKEN") ||
		!strings.Contains(out, `"pushed": true`) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if strings.Contains(out+errOut, secret) {
		t.Errorf("the URL's token was printed:\n%s\n%s", out, errOut)
	}
}

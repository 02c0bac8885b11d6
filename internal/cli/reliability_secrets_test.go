package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestSecretsCanary runs the registry and bump commands with canary
// credentials, at debug level, on success and error paths, and fails if
// a canary (or user:canary in base64) appears in stdout, stderr, the JSON
// output, the CI output files, any commit of the charts repository or its
// config, or the config of a local clone that was bumped. Servers that
// repeat the request's credentials in their error answers (Git, every
// forge's API, a registry) prove that the output hides what they say.
func TestSecretsCanary(t *testing.T) {
	const (
		gitUser, gitToken   = "bot", "canary-git-7Qx9-token"
		regUser, regPass    = "ci-canary", "canary-reg-Zk4p-password"
		wrongTok, wrongPass = "canary-wrong-Jt2m-token", "canary-wrong-Hs8v-password"
		ghToken             = "canary-gh-Vb3n-token"
		signPass            = "canary-sign-Wq5r-passphrase"
	)
	signKey, err := testenv.NewSSHKey(t.TempDir(), "signing", signPass)
	if err != nil {
		t.Fatal(err)
	}
	signKeyText, err := os.ReadFile(signKey.Path)
	if err != nil {
		t.Fatal(err)
	}
	counts := &relCounts{}
	recordReliability(t, counts)
	srv, dir := chartsServer(t, gitToken, map[string]string{
		"app/values-staging.yaml": appValues, "app/values-prod.yaml": appValues,
		"app/values-dev.yaml": appValues, "app/values-qa.yaml": appValues, "app/values-gh.yaml": appValues,
		"app/values-signed.yaml": appValues,
	})
	// A server without partial fetch makes the bump log at debug level.
	srv2, dir2 := chartsServer(t, gitToken, map[string]string{"app/values-staging.yaml": appValues}, testenv.WithAllowFilter(false))
	// Without the distribution registry only the rows that talk to a
	// registry skip (under CI=true they fail); the bumps then run with
	// --no-verify, so their Git side is still scanned.
	needsRegistry := map[string]bool{"push": true, "verify json": true, "verify with a wrong password": true, "push with a wrong password": true}
	regHost := "registry.example.com"
	haveRegistry := testenv.DistributionAvailable() == nil
	if haveRegistry {
		reg, err := testenv.StartDistribution(t.TempDir(), map[string]string{regUser: regPass})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { reg.Close() })
		regHost = reg.Host()
	}
	work := t.TempDir()
	tar := imageTarball(t, work)
	clone := filepath.Join(work, "clone")
	testenv.MustGit(t, work, "clone", "-q", dir, clone)
	testenv.MustGit(t, clone, "remote", "set-url", "origin", srv.URL("charts"))
	ghOutput := filepath.Join(work, "github-output")
	dotenv := filepath.Join(work, "bump.env")

	t.Setenv("TAGBUMP_LOG_LEVEL", "debug")
	t.Setenv("TAGBUMP_GIT_USER", gitUser)
	t.Setenv("TAGBUMP_GIT_TOKEN", gitToken)
	t.Setenv("TAGBUMP_REGISTRY_USERNAME", regUser)
	t.Setenv("TAGBUMP_REGISTRY_PASSWORD", regPass)
	image := regHost + "/app:1.0.1"
	url := srv.URL("charts")
	withCreds := strings.Replace(url, "http://", "http://"+gitUser+":"+gitToken+"@", 1)
	bump := func(env string, extra ...string) []string {
		return append([]string{"bump", "--repo", url, "--chart", "app", "--env", env, "--image", image}, extra...)
	}
	type run struct {
		name string
		args []string
		env  map[string]string
		code int
	}
	// A pull request API that redirects to another port of this host,
	// where a server records what it gets; the repository has the
	// OWNER/REPO path the API needs.
	srv.MustCreateRepo(t, "team/charts", map[string]string{"app/values-staging.yaml": appValues})
	farEnd := testenv.StartHeaderRecorder()
	t.Cleanup(farEnd.Close)
	redirector := testenv.StartRedirector(farEnd.URL, false)
	t.Cleanup(redirector.Close)
	runs := []run{
		{"push", []string{"push", "--from", tar, image}, nil, 0},
		{"verify json", []string{"verify", "--output", "json", image}, nil, 0},
		{"bump", bump("staging", "--dotenv", dotenv), nil, 0},
		{"bump json logs", bump("prod", "--output", "json", "--log-format", "json"), nil, 0},
		{"bump without partial fetch", append(bump("staging"), "--repo", srv2.URL("charts")), nil, 0},
		{"bump dry run", bump("dev", "--dry-run"), nil, 0},
		{"bump signed", bump("signed", "--signoff"), map[string]string{"TAGBUMP_SIGN_KEY": string(signKeyText), "TAGBUMP_SIGN_KEY_PASSPHRASE": signPass}, 0},
		{"bump signed with a wrong passphrase", bump("signed"), map[string]string{"TAGBUMP_SIGN_KEY": string(signKeyText), "TAGBUMP_SIGN_KEY_PASSPHRASE": wrongPass}, 2},
		{"bump with a lost race", bump("dev"), nil, 0},
		{"bump with credentials in the URL", append(bump("qa"), "--repo", withCreds), nil, 0},
		{"bump in GitHub Actions", bump("gh"), map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": ghOutput, "GITHUB_TOKEN": ghToken}, 0},
		{"bump a local clone", replaceFlag(append(bump("staging", "--no-verify"), "--repo", clone), "--image", "registry.example.com/app:2.0.0"), nil, 0},
		{"bump with a wrong token", bump("staging"), map[string]string{"TAGBUMP_GIT_TOKEN": wrongTok}, 5},
		{"bump with credentials in the URL only", append(bump("staging"), "--repo", withCreds), map[string]string{"TAGBUMP_GIT_TOKEN": ""}, 0},
		{"bump with credentials in a URL that does not parse", append(bump("staging"), "--repo", "https://"+gitUser+":"+gitToken+"@git.example.com:80a/charts"),
			map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": ghOutput}, 2},
		{"bump with a '/' in the token of a URL that does not parse", append(bump("staging"), "--repo", "https://"+gitUser+":"+gitToken+"/x@git.example.com/charts"),
			map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": ghOutput}, 2},
		{"verify with a wrong password", []string{"verify", image}, map[string]string{"TAGBUMP_REGISTRY_PASSWORD": wrongPass}, 5},
		{"push with a wrong password", []string{"push", "--from", tar, regHost + "/app:1.0.9"}, map[string]string{"TAGBUMP_REGISTRY_PASSWORD": wrongPass}, 5},
		{"bump --pr with the API over http:// to another host", append(bump("staging", "--no-verify"), "--repo", srv.URL("team/charts"), "--pr", "--provider", "gitea",
			"--api-url", "http://"+gitUser+":"+gitToken+"@192.0.2.2:3000/api/v1", "--timeout", "20s"), nil, 2},
		{"bump --pr with the API redirecting to another port", append(bump("staging", "--no-verify"), "--repo", srv.URL("team/charts"), "--pr", "--provider", "gitea",
			"--api-url", redirector.URL+"/api/v1"), nil, 2},
	}
	// Servers that repeat the request's credentials in their error answer:
	// a Git server (one that echoes every request, and one in front of a
	// real server that echoes the push), every forge's API (for --pr, and
	// GitHub's GraphQL API for --commit-via api) and a registry, answering
	// 401 with a short line and 500 with JSON that repeats the whole
	// request. The echo reaches stderr, the ::error annotation and
	// --output json; no secret may.
	srv.MustCreateRepo(t, "acme/charts", map[string]string{"app/values-staging.yaml": appValues})
	srv.MustCreateRepo(t, "acme/charts/_git/charts", map[string]string{"app/values-staging.yaml": appValues}) // Azure's path form
	echo401 := testenv.StartEchoServer(401, testenv.EchoText())
	t.Cleanup(echo401.Close)
	echo500 := testenv.StartEchoServer(500)
	t.Cleanup(echo500.Close)
	gitEcho := testenv.StartEchoServer(401, testenv.EchoText(), testenv.EchoOnly("http://"+srv.Addr(), "git-receive-pack"))
	t.Cleanup(gitEcho.Close)
	echoed := map[string]bool{} // rows whose output must show the echo
	echoRow := func(name string, code int, shows bool, args ...string) {
		name = "server echoing the request: " + name
		echoed[name] = shows
		runs = append(runs, run{name, append(args, "--output", "json"), map[string]string{"GITHUB_ACTIONS": "true"}, code})
	}
	acme := func(kind string) string {
		if kind == "azure" {
			return srv.URL("acme/charts/_git/charts")
		}
		return srv.URL("acme/charts")
	}
	// A tag no other row sets, so that there is something to push.
	echoRow("git push 401", 5, true, replaceFlag(replaceFlag(bump("staging", "--no-verify"), "--repo", gitEcho.URL+"/charts.git"), "--image", strings.Replace(image, ":1.0.1", ":1.0.7", 1))...)
	echoRow("git fetch 401", 5, true, replaceFlag(bump("staging", "--no-verify"), "--repo", echo401.URL+"/charts.git")...)
	for _, kind := range []string{"github", "gitlab", "azure", "bitbucket", "gitea"} {
		echoRow(kind+" API 401", 5, true, replaceFlag(bump("staging", "--no-verify", "--pr", "--provider", kind, "--api-url", echo401.URL), "--repo", acme(kind))...)
		echoRow(kind+" API 500", 6, true, replaceFlag(bump("staging", "--no-verify", "--pr", "--provider", kind, "--api-url", echo500.URL), "--repo", acme(kind))...)
	}
	echoRow("github graphql API 401", 5, false, replaceFlag(bump("staging", "--no-verify", "--commit-via", "api", "--api-url", echo401.URL), "--repo", acme("github"))...)
	echoRow("registry verify 401", 3, false, "verify", echo401.Host()+"/app:1.0.1")
	echoRow("registry push 401", 5, false, "push", "--from", tar, echo401.Host()+"/app:1.0.1")
	echoRow("registry push 500", 6, true, "push", "--from", tar, echo500.Host()+"/app:1.0.1")
	secrets := append([]string{gitToken, regPass, wrongTok, wrongPass, ghToken, signPass}, keyLines(string(signKeyText))...)
	users := []string{gitUser, regUser, "tagbump", "x-access-token"}
	leak := func(where, text string) {
		t.Helper()
		for _, l := range findLeaks(where, text, secrets, users) {
			t.Error(l)
			counts.SecretsLeaked++
		}
	}
	for name := range needsRegistry {
		if !slices.ContainsFunc(runs, func(r run) bool { return r.name == name }) {
			t.Fatalf("needsRegistry names %q, which is no row", name)
		}
	}
	var signed string // the signed bump's commit
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			if needsRegistry[run.name] {
				testenv.NeedDistribution(t)
			} else if !haveRegistry && run.args[0] == "bump" && !slices.Contains(run.args, "--no-verify") {
				run.args = append(slices.Clip(run.args), "--no-verify")
			}
			for k, v := range run.env {
				t.Setenv(k, v)
			}
			if run.name == "bump with a lost race" {
				srv.SetHook("charts", "pre-receive", raceHook)
				defer srv.RemoveHook("charts", "pre-receive")
			}
			r := runTagbump(t, run.args...)
			if run.name == "bump signed" {
				signed = strings.TrimSpace(r.stdout)
			}
			counts.Scenarios++
			if r.code != run.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, run.code, r.stderr)
			}
			if run.name == "bump with a lost race" && !strings.Contains(r.stderr, "branch moved") {
				t.Errorf("the race did not happen:\n%s", r.stderr)
			}
			if strings.Contains(run.name, "credentials in the URL") && !strings.Contains(r.stderr, "carries credentials") {
				t.Errorf("no warning about the credentials in the URL:\n%s", r.stderr)
			}
			if strings.Contains(run.name, "does not parse") && !strings.Contains(r.stdout+r.stderr, "::error") {
				t.Errorf("no ::error annotation: the scan would miss a leak there\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
			if run.name == "bump without partial fetch" && !strings.Contains(r.stderr, "DEBU") {
				t.Errorf("no debug log line: the scan would miss debug-only leaks\n%s", r.stderr)
			}
			if echoed[run.name] && !strings.Contains(r.stdout+r.stderr, "Authorization: ") && !strings.Contains(r.stdout+r.stderr, "Private-Token: ") {
				t.Errorf("the echo is not in the output: the scan proves nothing\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
			leak(run.name+": stdout", r.stdout)
			leak(run.name+": stderr", r.stderr)
		})
	}
	history := testenv.MustGit(t, dir, "log", "--all", "-p", "--format=fuller%n%B")
	if signed == "" || !strings.Contains(testenv.MustGit(t, dir, "cat-file", "-p", signed), "BEGIN SSH SIGNATURE") {
		t.Errorf("the signed bump left no signed commit (%q)", signed)
	}
	if !strings.Contains(history, "2.0.0") && !strings.Contains(history, "1.0.1") {
		t.Errorf("the bumps are not in the history: the scan proves nothing")
	}
	leak("charts.git history", history)
	leak("second charts.git history", testenv.MustGit(t, dir2, "log", "--all", "-p", "--format=fuller%n%B"))
	for _, f := range []string{filepath.Join(dir, "config"), filepath.Join(clone, ".git", "config"), ghOutput, dotenv} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Errorf("read %s: %v", f, err)
		}
		leak(f, string(b))
	}
	leak("local clone history", testenv.MustGit(t, clone, "log", "--all", "-p", "--format=fuller%n%B"))
	leak("the far end of the API's redirect", farEnd.Dump())
}

// raceHook moves main once, as a rival pipeline would.
const raceHook = `#!/bin/sh
unset GIT_QUARANTINE_PATH
[ -e "$GIT_DIR/raced" ] && exit 0
touch "$GIT_DIR/raced"
tip=$(git rev-parse refs/heads/main)
c=$(echo 'rival pipeline' | GIT_AUTHOR_NAME=r GIT_AUTHOR_EMAIL=r@x GIT_COMMITTER_NAME=r GIT_COMMITTER_EMAIL=r@x git commit-tree $tip^{tree} -p $tip)
git update-ref refs/heads/main $c $tip
`

// TestLeakScanner checks the scanner itself: it finds a secret, its
// basic-auth form and the password of a URL argument, and hides only
// debug entries.
func TestLeakScanner(t *testing.T) {
	secrets, users := runSecrets(func(k string) string {
		return map[string]string{"TAGBUMP_GIT_TOKEN": "tok-123456", "TAGBUMP_GIT_USER": "bot"}[k]
	}, []string{"bump", "--repo=https://u:url-pass-789@git.example.com/x.git"})
	if len(secrets) != 2 || secrets[1] != "url-pass-789" {
		t.Fatalf("secrets %q, want the token and the URL's password", secrets)
	}
	for _, text := range []string{"x tok-123456 y", "Authorization: Basic Ym90OnRvay0xMjM0NTY=", "Authorization: Basic OnRvay0xMjM0NTY=", "pw url-pass-789"} {
		if len(findLeaks("out", text, secrets, users)) != 1 {
			t.Errorf("no leak found in %q", text)
		}
	}
	if l := findLeaks("out", "tok-12345 and Ym90OnRvay0xMjM0", secrets, users); len(l) != 0 {
		t.Errorf("false positive: %v", l)
	}
	in := "DEBU fallback\n  reason=x\nINFO pushed\n  commit=abc\nDEBU more\nWARN w\n"
	if got, want := withoutDebug(in), "INFO pushed\n  commit=abc\nWARN w\n"; got != want {
		t.Errorf("withoutDebug = %q, want %q", got, want)
	}
}

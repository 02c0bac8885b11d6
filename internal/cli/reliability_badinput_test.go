package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/tagbump/tagbump/internal/benchdata"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestBadInput runs tagbump bump with one bad input per row. Each row
// asserts the exit code, that stderr names the problem and the fix, that
// the branch did not move and that no temporary directory is left.
func TestBadInput(t *testing.T) {
	const token, roToken = "tok-bad-input-0451", "tok-read-only-0452"
	// The billion laughs through merge keys: a key looked up through
	// them without a memory of the mappings searched visits 10^10.
	mergeLaughs, err := benchdata.Hostile(benchdata.MergeLaughs, 4096)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"app/values-staging.yaml": appValues,
		"app/values-invalid.yaml": "image:\n  tag: [1.0.0\n  repository: x\n",
		"app/values-noimage.yaml": "replicaCount: 1\nresources: {}\n",
		"app/values-binary.yaml":  "\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe binary \x00\x00",
		"app/values-link.yaml":    "../../../../etc/passwd", // a symlink to outside the clone
		"app/values-big.yaml":     "# big\n" + strings.Repeat("#234567890123456789012345678901234567890123456789012345678901234\n", gitrepo.DefaultMaxFileSize/64+1),
		"app/values-nodes.yaml":   appValues + "list: [a" + strings.Repeat(",a", 110_000) + "]\n",
		"app/values-laughs.yaml":  string(mergeLaughs),
		// The GitHub runner ends a line at CR: each CR here starts a line.
		"app/values-crinject.yaml": "image:\n  repository: registry.example.com/app\n  tag: \"v1\\r::error title=PWN::x\\r::add-mask::v1.0.1\"\n",
	}
	newServer := func(opts ...testenv.GitServerOption) (*testenv.GitServer, string) {
		srv := testenv.NewGitServer(t, append([]testenv.GitServerOption{testenv.WithBasicAuth("bot", token), testenv.WithReadOnlyUser("ro", roToken)}, opts...)...)
		dir := srv.MustCreateRepo(t, "charts", files, testenv.WithMode("app/values-link.yaml", "120000"))
		if _, err := testenv.Git(srv.Root, "init", "-q", "--bare", "empty.git"); err != nil {
			t.Fatal(err)
		}
		return srv, dir
	}
	srv, dir := newServer()
	// Rows that reach the git server run again against a server without
	// partial fetch: its full fetch writes into TMPDIR, so the "no
	// temporary directory left" check can fail there.
	fallbackSrv, fallbackDir := newServer(testenv.WithAllowFilter(false))
	onFallback := map[string]bool{
		"values file symlink to outside": true, "empty repository": true, "missing repository": true,
		"missing branch": true, "missing values file": true, "missing key": true, "no image block": true,
		"invalid YAML": true, "binary file": true, "file over 2 MiB": true, "too many YAML nodes": true, "wrong token": true,
		"token without write access": true, "URL with wrong embedded credentials": true,
	}
	reg, err := testenv.StartRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	key, err := testenv.NewSSHKey(t.TempDir(), "id", "")
	if err != nil {
		t.Fatal(err)
	}
	// Only the rows in needs skip when their program is missing (and fail
	// under CI=true); the SSH URL then names a closed port.
	needs := map[string]string{"unknown SSH host key": testenv.SSHDPath}
	sshURL := "ssh://git@127.0.0.1:9/charts.git"
	if _, err := exec.LookPath(testenv.SSHDPath); err == nil {
		sshd, _ := testenv.NewSSHD(t, key, srv.Root)
		sshURL = sshd.URL("charts")
	}
	emptyKnownHosts := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(emptyKnownHosts, nil, 0o600)
	binFile := filepath.Join(t.TempDir(), "not-an-image.tar")
	os.WriteFile(binFile, []byte("not a tarball"), 0o600)
	// A pull request API that answers 401 with the request's token.
	echo := testenv.StartEchoServer(401, testenv.EchoText())
	t.Cleanup(echo.Close)
	srv.MustCreateRepo(t, "acme/charts", map[string]string{"app/values-staging.yaml": appValues})

	url := srv.URL("charts")
	img := "registry.example.com/app:1.0.1"
	base := func(extra ...string) []string {
		return append([]string{"bump", "--no-verify", "--repo", url, "--chart", "app", "--env", "staging", "--image", img}, extra...)
	}
	with := func(flag, value string, extra ...string) []string {
		return replaceFlag(base(extra...), flag, value)
	}
	without := func(flag string) []string {
		args := base()
		for i := range args {
			if args[i] == flag {
				return append(args[:i:i], args[i+1:]...)
			}
		}
		return args
	}
	// A local clone whose tracked app/ was replaced by a symlink to a
	// directory outside, which holds the same file: nothing may be
	// written there, and the clone's branch may not move.
	symClone, outside := filepath.Join(t.TempDir(), "clone"), t.TempDir()
	testenv.MustGit(t, "", "init", "-q", "-b", "main", symClone)
	for _, d := range []string{filepath.Join(symClone, "app"), outside} {
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "values-staging.yaml"), []byte(appValues), 0o644)
	}
	testenv.MustGit(t, symClone, "add", ".")
	testenv.MustGit(t, symClone, "commit", "-q", "-m", "seed")
	symTip := testenv.MustGit(t, symClone, "rev-parse", "main")
	os.RemoveAll(filepath.Join(symClone, "app"))
	if err := os.Symlink(outside, filepath.Join(symClone, "app")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, _ := os.ReadFile(filepath.Join(outside, "values-staging.yaml")); string(b) != appValues {
			t.Errorf("the file outside the clone was written through its symlink:\n%s", b)
		}
		if got := testenv.MustGit(t, symClone, "rev-parse", "main"); got != symTip {
			t.Errorf("the local clone's branch moved to %s", got)
		}
	})
	// The pull request API: one that redirects to another port of this
	// host, where a server records what it gets, and a host whose values
	// file holds an old tag that writes markdown into the pull request.
	farEnd := testenv.StartHeaderRecorder()
	t.Cleanup(farEnd.Close)
	redirector := testenv.StartRedirector(farEnd.URL, false)
	t.Cleanup(redirector.Close)
	testenv.RequireBinary(t, "git")
	prHost, err := testenv.StartFakeForge("gitlab")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prHost.Close)
	injected := "image:\n  repository: registry.example.com/app\n  tag: " + strconv.Quote(testenv.MarkdownInjection) + "\n"
	if err := prHost.CreateRepo("group/charts", map[string]string{"app/values-staging.yaml": injected}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 129)
	rows := []struct {
		name string
		args []string
		env  map[string]string // overrides; "" unsets
		code int
		want []string // regexps stderr must match: the problem, then the fix
	}{
		// Image references.
		{"image missing", with("--image", ""), nil, 2, []string{`--image .*required`}},
		{"image with spaces", with("--image", "registry.example.com/app:1.0 1"), nil, 2, []string{`white space`, `remove`}},
		{"image without registry", with("--image", "app:1.0.1"), nil, 2, []string{`no registry host`, `name the registry`}},
		{"image without tag", with("--image", "registry.example.com/app"), nil, 2, []string{`tag`, `registry/repository:tag|:TAG|add`}},
		{"image latest", with("--image", "registry.example.com/app:latest"), nil, 4, []string{`latest`, `immutable|build|version`}},
		{"image upper-case repository", with("--image", "registry.example.com/App:1.0.1"), nil, 2, []string{`App`, `lower`}},
		{"image 129-char tag", with("--image", "registry.example.com/app:"+long), nil, 2, []string{`128`, `tag`}},
		{"image tag starting with -", with("--image", "registry.example.com/app:-bad"), nil, 2, []string{`-bad`, `start`}},
		{"image bad digest", with("--image", "registry.example.com/app:1.0.1@sha256:xyz"), nil, 2, []string{`invalid digest`, `64`}},
		{"image with scheme", with("--image", "https://registry.example.com/app:1.0.1"), nil, 2, []string{`https`, `remove|without`}},
		{"image with credentials", with("--image", "user:pw@registry.example.com/app:1.0.1"), nil, 2, []string{`credentials`, `TAGBUMP_REGISTRY_PASSWORD`}},
		{"image not in registry", replaceFlag(without("--no-verify"), "--image", reg.Host()+"/app:9.9.9"), nil, 3, []string{`not found`, `push the image first`}},
		{"tag not matching --tag-pattern", base("--tag-pattern", `v[0-9.]+`), nil, 4, []string{`1.0.1`, `v\[0-9.\]\+`}},
		{"invalid --tag-pattern", base("--tag-pattern", `[`), nil, 2, []string{`--tag-pattern`, `regular expression`}},
		// Chart, env and values file paths.
		{"env with /", with("--env", "stag/ing"), nil, 2, []string{`--env "stag/ing"`, `letters, digits`}},
		{"env ..", with("--env", ".."), nil, 2, []string{`--env ".."`, `letters, digits`}},
		{"env with spaces", with("--env", "stag ing"), nil, 2, []string{`--env "stag ing"`, `no path separators or spaces`}},
		{"chart ../x", with("--chart", "../x"), nil, 2, []string{`--chart "../x"`, `no path separators`}},
		{"chart absolute", with("--chart", "/etc"), nil, 2, []string{`--chart "/etc"`, `no path separators`}},
		{"values file escaping", base("--values-file", "../{chart}.yaml"), nil, 2, []string{`--values-file "../app.yaml"`, `inside the repository`}},
		{"values file absolute", base("--values-file", "/etc/passwd"), nil, 2, []string{`--values-file "/etc/passwd"`, `relative path`}},
		{"values file symlink to outside", with("--env", "link"), nil, 2, []string{`app/values-link.yaml`, `not a regular file`, `--values-file`}},
		{"values file in .git", base("--values-file", ".git/config"), nil, 2, []string{`--values-file "\.git/config"`, `outside \.git`}},
		{"values file in app/.git", base("--values-file", "app/.git/x"), nil, 2, []string{`--values-file "app/\.git/x"`, `outside \.git`}},
		{"values file in .GIT", base("--values-file", ".GIT/config"), nil, 2, []string{`"\.GIT", which git, Windows or macOS read as \.git`, `outside \.git`}},
		{"values file in .git. (NTFS)", base("--values-file", "app/.git. /values.yaml"), nil, 2, []string{`"\.git\. ", which git, Windows or macOS read as \.git`, `outside \.git`}},
		{"values file in GIT~1 (NTFS short name)", base("--values-file", "GIT~1/config"), nil, 2, []string{`"GIT~1", which git, Windows or macOS read as \.git`, `outside \.git`}},
		{"values file in .g\u200cit (HFS+)", base("--values-file", ".g\u200cit/config"), nil, 2, []string{`"\.g\\u200cit", which git, Windows or macOS read as \.git`, `outside \.git`}},
		// Repository, branch, file, key.
		{"empty repository", with("--repo", srv.URL("empty")), nil, 3, []string{`empty`, `push a first commit|--branch|initial`}},
		{"missing repository", with("--repo", srv.URL("nope")), nil, 3, []string{`nope.git`, `not found`, `check`}},
		{"missing branch", base("--branch", "nope"), nil, 3, []string{`branch "nope"`, `not found`, `--branch`}},
		{"branch with ..", base("--branch", "a..b"), nil, 2, []string{`--branch "a\.\.b": holds "\.\."`, `check-ref-format`, `name a branch git accepts`}},
		{"branch starting with -", base("--branch=-x"), nil, 2, []string{`--branch "-x": starts with "-"`, `name a branch git accepts`}},
		{"branch ending in .lock", base("--branch", "x.lock"), nil, 2, []string{`--branch "x\.lock".*ends with "\.lock"`, `name a branch git accepts`}},
		{"branch with a space", base("--branch", "a b"), nil, 2, []string{`--branch "a b": holds a control character, a space`, `name a branch git accepts`}},
		{"branch with @{", base("--branch", "main@{1}"), nil, 2, []string{`--branch "main@\{1\}": holds "@\{"`, `name a branch git accepts`}},
		{"branch ending in /", base("--branch", "release/"), nil, 2, []string{`--branch "release/": has an empty component`, `name a branch git accepts`}},
		{"branch with a control character", base("--branch", "ma\x01in"), nil, 2, []string{`--branch "ma\\x01in": holds a control character`, `name a branch git accepts`}},
		{"missing values file", with("--env", "prod"), nil, 3, []string{`app/values-prod.yaml`, `does not exist`, `--values-file|--env`}},
		{"missing key", base("--key", ".nope.tag"), nil, 3, []string{`\.nope\.tag`, `not found`, `--key`}},
		{"no image block", with("--env", "noimage"), nil, 3, []string{`no image block`, `--key`}},
		{"invalid key path", base("--key", ".image[tag"), nil, 2, []string{`\.image\[tag`, `path`}},
		{"invalid YAML", with("--env", "invalid"), nil, 2, []string{`app/values-invalid.yaml`, `YAML`, `line`}},
		{"binary file", with("--env", "binary"), nil, 2, []string{`app/values-binary.yaml`, `binary|not text|NUL`}},
		{"file over 2 MiB", with("--env", "big"), nil, 2, []string{`app/values-big.yaml`, `too large`, `limit`}},
		{"too many YAML nodes", with("--env", "nodes"), nil, 2, []string{`app/values-nodes.yaml`, `2\d{5} YAML nodes`, `limit of 200000`, `split it`}},
		{"billion laughs through merge keys", with("--env", "laughs", "--key", ".app.image.nope"), nil, 3, []string{`\.app\.image\.nope`, `not found`, `--key`}},
		{"local path that is no repository", with("--repo", t.TempDir()), nil, 3, []string{`no git repository`, `pass a clone`}},
		{"local clone with a symlinked directory", with("--repo", symClone), nil, 4, []string{`app is a symlink in the work tree`, `git checkout -- app`}},
		{"unsupported URL scheme", with("--repo", "ftp://127.0.0.1/charts.git"), nil, 2, []string{`ftp`, `use https://`}},
		// Pull requests.
		{"--api-url over http:// to another host", with("--repo", prHost.URL+"/group/charts.git", "--pr", "--provider", "gitlab", "--api-url", "http://192.0.2.2:3000/api/v4", "--timeout", "20s"),
			map[string]string{"TAGBUMP_GIT_TOKEN": prHost.Token}, 2, []string{`http://192\.0\.2\.2:3000/api/v4`, `clear text`, `use https://`}},
		{"--api-url redirecting to another port", with("--repo", prHost.URL+"/group/charts.git", "--pr", "--provider", "gitlab", "--api-url", redirector.URL+"/api/v4"),
			map[string]string{"TAGBUMP_GIT_TOKEN": prHost.Token}, 2,
			[]string{`redirects to http://127\.0\.0\.1:\d+`, `--api-url`}},
		{"old tag that writes markdown, --pr", with("--repo", prHost.URL+"/group/charts.git", "--pr", "--provider", "gitlab"),
			map[string]string{"TAGBUMP_GIT_TOKEN": prHost.Token}, 0, []string{`pull request created`}},
		// Workflow commands after a CR, in GitHub Actions: see workflowCommandLines.
		{"tag with CR and workflow commands, dry run", with("--env", "crinject", "--dry-run"), map[string]string{"GITHUB_ACTIONS": "true"}, 0, []string{`dry run`}},
		{"tag with CR and workflow commands, refused", replaceFlag(with("--env", "crinject"), "--image", "registry.example.com/other:1.0.1"), map[string]string{"GITHUB_ACTIONS": "true"}, 3, []string{`the file has:`, `check --image`}},
		{"values file with CR and workflow commands", base("--values-file", "app/x\r::error title=PWN::y\r::add-mask::v1.0.1"), map[string]string{"GITHUB_ACTIONS": "true"}, 3, []string{`app/x`, `does not exist`, `--values-file`}},
		// Credentials.
		{"wrong token", base(), map[string]string{"TAGBUMP_GIT_TOKEN": "wrong-token-0453"}, 5, []string{`authentication`, `TAGBUMP_GIT_TOKEN`}},
		{"no token", base(), map[string]string{"TAGBUMP_GIT_TOKEN": ""}, 5, []string{`authentication`, `TAGBUMP_GIT_TOKEN`}},
		{"token without write access", base(), map[string]string{"TAGBUMP_GIT_USER": "ro", "TAGBUMP_GIT_TOKEN": roToken}, 5, []string{`push`, `authoriz|permission|write access`}},
		{"URL with wrong embedded credentials", with("--repo", strings.Replace(url, "http://", "http://bot:wrong-url-pw-0453@", 1)), map[string]string{"TAGBUMP_GIT_TOKEN": ""}, 5, []string{`carries credentials; they are used`, `authentication`, `TAGBUMP_GIT_TOKEN`}},
		{"API answer that repeats the token", replaceFlag(base("--pr", "--provider", "github", "--api-url", echo.URL), "--repo", srv.URL("acme/charts")), nil, 5, []string{`HTTP 401: denied: Authorization: Bearer \*\*\*`, `check that it is valid`}},
		{"unknown SSH host key", with("--repo", sshURL, "--ssh-key", key.Path, "--known-hosts", emptyKnownHosts), nil, 5, []string{`unknown host key`, `known_hosts`}},
		{"missing SSH key file", with("--repo", sshURL, "--ssh-key", filepath.Join(t.TempDir(), "nokey"), "--known-hosts", emptyKnownHosts), nil, 3, []string{`ssh key`, `--ssh-key`}},
		// Flags.
		{"--dry-run with --no-push", base("--dry-run", "--no-push"), nil, 2, []string{`conflict`, `--dry-run already`}},
		{"--digest-key without --digest", base("--digest-key", ".image.digest"), nil, 2, []string{`--digest-key needs --digest`}},
		{"--no-verify with --push-from", base("--push-from", binFile), nil, 2, []string{`conflict`, `always verified`}},
		{"--max-attempts 0", base("--max-attempts", "0"), nil, 2, []string{`--max-attempts 0`, `1 or more`}},
		{"--max-attempts -3", base("--max-attempts", "-3"), nil, 2, []string{`--max-attempts -3`, `1 or more`}},
		{"--max-attempts from env", base(), map[string]string{"TAGBUMP_MAX_ATTEMPTS": "many"}, 2, []string{`"many" in TAGBUMP_MAX_ATTEMPTS`, `invalid`}},
		{"--timeout 0", base("--timeout", "0s"), nil, 2, []string{`--timeout`, `positive duration`}},
		{"bad --author", base("--author", "just a name"), nil, 2, []string{`--author`, `Name <email>`}},
		{"--message with unknown field", base("--message", "bump {{.Nope}}"), nil, 2, []string{`--message`, `Nope`}},
		{"--message that does not parse", base("--message", "bump {{"), nil, 2, []string{`--message`, `unclosed|unexpected`}},
		{"--output yaml", base("--output", "yaml"), nil, 2, []string{`--output "yaml"`, `text or json`}},
		{"--log-level loud", base("--log-level", "loud"), nil, 2, []string{`--log-level "loud"`, `debug, info`}},
		{"unknown flag", base("--force"), nil, 2, []string{`unknown flag: --force`, `tagbump --help`}},
		{"positional argument", base("extra"), nil, 2, []string{`extra`, `tagbump --help`}},
		{"--digest without a digest", base("--digest"), nil, 2, []string{`no digest to write`, `@sha256`}},
		{"--push-from not an image", append(replaceFlag(without("--no-verify"), "--image", reg.Host()+"/app:1.0.1"), "--push-from", binFile), nil, 2, []string{`not-an-image.tar`, `docker save tarball or an OCI image layout`}},
	}
	counts := &relCounts{}
	recordReliability(t, counts)
	setGitToken(t, token)
	type run struct {
		name string
		args []string
		dir  string // the bare repository the run may not move
	}
	var runs []run
	for _, row := range rows {
		runs = append(runs, run{row.name, row.args, dir})
	}
	for _, row := range rows {
		if !onFallback[row.name] {
			continue
		}
		var args []string
		for _, a := range row.args {
			args = append(args, strings.ReplaceAll(a, srv.Addr(), fallbackSrv.Addr()))
		}
		runs = append(runs, run{"fallback/" + row.name, args, fallbackDir})
	}
	if n := len(runs) - len(rows); n != len(onFallback) {
		t.Fatalf("%d rows run on the fallback path, want %d: a name in onFallback does not match a row", n, len(onFallback))
	}
	byName := map[string]int{}
	for i, row := range rows {
		byName[row.name] = i
	}
	for name := range needs {
		if _, ok := byName[name]; !ok {
			t.Fatalf("needs names %q, which is no row", name)
		}
	}
	tips := map[string]string{dir: gitOut(t, dir, "rev-parse", "main"), fallbackDir: gitOut(t, fallbackDir, "rev-parse", "main")}
	for _, rn := range runs {
		row := rows[byName[strings.TrimPrefix(rn.name, "fallback/")]]
		row.args = rn.args
		t.Run(rn.name, func(t *testing.T) {
			if program := needs[row.name]; program != "" {
				testenv.RequireBinary(t, program)
			}
			for k, v := range row.env {
				t.Setenv(k, v)
			}
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			r := runTagbump(t, row.args...)
			counts.BadInputs++
			if r.code != row.code {
				t.Errorf("exit %d, want %d", r.code, row.code)
			}
			for _, w := range row.want {
				if !regexp.MustCompile(w).MatchString(r.stderr) {
					t.Errorf("stderr does not match %q", w)
				}
			}
			for _, l := range workflowCommandLines(r.stdout, r.stderr) {
				t.Errorf("a line of the output is a workflow command: %q", l)
			}
			for _, secret := range []string{token, roToken, "wrong-url-pw-0453", "wrong-token-0453"} {
				if strings.Contains(r.stdout+r.stderr, secret) {
					t.Errorf("a token appears in the output")
					counts.SecretsLeaked++
				}
			}
			if t.Failed() {
				t.Logf("stdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
			if got, tip := gitOut(t, rn.dir, "rev-parse", "main"), tips[rn.dir]; got != tip {
				t.Fatalf("the branch moved to %s", got)
			}
			emptyDir(t, tmp)
		})
	}
	if dump := farEnd.Dump(); strings.Contains(dump, prHost.Token) {
		t.Errorf("the token crossed the API's redirect:\n%s", dump)
		counts.SecretsLeaked++
	}
	for _, pr := range prHost.PRs() {
		if err := testenv.CheckInertMarkdown(pr.Body); err != nil {
			t.Error(err)
		}
	}
	if len(prHost.PRs()) == 0 {
		t.Errorf("no pull request to check for markdown injection")
	}
	if len(rows) < 40 {
		t.Errorf("%d rows, the issue asks for at least 40", len(rows))
	}
}

// replaceFlag sets flag's value in args, or appends the flag: a repeated
// --image means several images, so an override must replace.
func replaceFlag(args []string, flag, value string) []string {
	for i := range args {
		if args[i] == flag {
			args[i+1] = value
			return args
		}
	}
	return append(args, flag, value)
}

// workflowCommandLines returns the lines of stdout and stderr that the GitHub
// runner would take for a workflow command, other than tagbump's own
// annotations on stderr. The runner ends a line at CR as at LF and skips
// leading white space.
func workflowCommandLines(stdout, stderr string) []string {
	var bad []string
	split := func(r rune) bool { return r == '\r' || r == '\n' }
	for i, text := range []string{stdout, stderr} {
		for _, l := range strings.FieldsFunc(text, split) {
			l = strings.TrimLeftFunc(l, unicode.IsSpace)
			own := i == 1 && (strings.HasPrefix(l, "::error title=tagbump::") || strings.HasPrefix(l, "::warning title=tagbump::"))
			if strings.HasPrefix(l, "::") && !own {
				bad = append(bad, l)
			}
		}
	}
	return bad
}

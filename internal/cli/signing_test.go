package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// raceOnce is a pre-receive hook fragment that, on the first push only,
// commits a rival change on main before the push's ref update, so the
// push loses the race and tagbump redoes the bump on the new tip.
const raceOnce = `unset GIT_QUARANTINE_PATH
if [ ! -e "$GIT_DIR/raced" ]; then
  touch "$GIT_DIR/raced"
  tip=$(git rev-parse refs/heads/main)
  blob=$(echo 'rival: 1' | git hash-object -w --stdin)
  git read-tree --index-output="$GIT_DIR/rival-index" $tip
  GIT_INDEX_FILE="$GIT_DIR/rival-index" git update-index --add --cacheinfo 100644,$blob,other.yaml
  tree=$(GIT_INDEX_FILE="$GIT_DIR/rival-index" git write-tree)
  c=$(echo 'rival pipeline' | GIT_AUTHOR_NAME=r GIT_AUTHOR_EMAIL=r@x GIT_COMMITTER_NAME=r GIT_COMMITTER_EMAIL=r@x git commit-tree $tree -p $tip)
  git update-ref refs/heads/main $c $tip
fi
`

// withRace puts raceOnce before the body of hook (a #!/bin/sh script).
func withRace(hook string) string {
	return "#!/bin/sh\n" + raceOnce + strings.TrimPrefix(hook, "#!/bin/sh\n")
}

type bumpJSON struct {
	Commit   string `json:"commit"`
	Attempts int    `json:"attempts"`
	Outcome  string `json:"outcome"`
	Pushed   bool   `json:"pushed"`
}

func decodeBump(t *testing.T, out string) bumpJSON {
	t.Helper()
	var r bumpJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bump output is not JSON: %v\n%s", err, out)
	}
	return r
}

// noSecret fails t when any long line of secret, or secret itself when it
// is one line, appears in out.
func noSecret(t *testing.T, what, out string, secret string) {
	t.Helper()
	for _, l := range strings.Split(secret, "\n") {
		if l = strings.TrimSpace(l); len(l) >= 8 && !strings.HasPrefix(l, "-----") && strings.Contains(out, l) {
			t.Errorf("%s appears in the output", what)
			return
		}
	}
}

// TestBumpSignedSSH signs with an encrypted SSH key file against a server
// whose pre-receive hook requires signed commits: the push is accepted,
// also for the commit re-planned after a lost race, the commit verifies
// with git verify-commit and carries the sign-off; an unsigned bump is
// rejected (exit 8).
func TestBumpSignedSSH(t *testing.T) {
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": valuesFile("1.0.0")})
	key, err := testenv.NewSSHKey(t.TempDir(), "signing", "key pass 1")
	if err != nil {
		t.Fatal(err)
	}
	v := testenv.NewVerifier(t, []string{string(key.Authorized)}, nil)
	if err := srv.SetHook("charts", "pre-receive", withRace(v.RequireSignedHook())); err != nil {
		t.Fatal(err)
	}
	args := []string{"bump", "--no-verify", "--repo", srv.URL("charts"), "--chart", "app", "--env", "staging", "--output", "json"}
	env := []string{"TAGBUMP_SIGN_KEY_PASSPHRASE=key pass 1"}

	code, out, errOut := tagbump(t, env, append(args, "--image", "registry.example.com/app:1.1.0", "--sign-key", key.Path, "--signoff", "--log-level", "debug")...)
	if code != 0 {
		t.Fatalf("signed bump: exit %d\n%s", code, errOut)
	}
	res := decodeBump(t, out)
	if res.Attempts != 2 || !res.Pushed {
		t.Errorf("attempts %d, pushed %v: want the race lost once, then the push", res.Attempts, res.Pushed)
	}
	if got := mustGit(t, dir, "rev-parse", "main"); got != res.Commit {
		t.Fatalf("main = %s, bump says %s", got, res.Commit)
	}
	if vout, err := v.VerifyCommit(dir, res.Commit); err != nil {
		t.Errorf("git verify-commit of the re-planned commit: %v\n%s", err, vout)
	}
	if got := mustGit(t, dir, "log", "-1", "--format=%(trailers:key=Signed-off-by,valueonly)", "main"); got != "tagbump <tagbump@tagbump.invalid>" {
		t.Errorf("Signed-off-by trailer = %q", got)
	}
	if got := mustGit(t, dir, "show", "main:other.yaml"); got != "rival: 1" {
		t.Errorf("the rival commit was lost: other.yaml = %q", got)
	}
	if !strings.Contains(errOut, "signing commits") || !strings.Contains(errOut, "SHA256:") {
		t.Errorf("debug log does not name the signing key's fingerprint:\n%s", errOut)
	}
	noSecret(t, "the passphrase", out+errOut, "key pass 1")

	// Without a key the server refuses the commit: exit 8, its message shown.
	code, _, errOut = tagbump(t, nil, append(args, "--image", "registry.example.com/app:1.2.0")...)
	if code != 8 || !strings.Contains(errOut, "signed commits are required") {
		t.Errorf("unsigned bump: exit %d, want 8 with the hook's message\n%s", code, errOut)
	}
	if got := mustGit(t, dir, "rev-parse", "main"); got != res.Commit {
		t.Errorf("the unsigned commit landed: main = %s", got)
	}

	// A local clone is written in place, and its commit is signed too.
	clone := filepath.Join(t.TempDir(), "clone")
	mustGit(t, filepath.Dir(clone), "clone", "-q", dir, clone)
	code, out, errOut = tagbump(t, env, "bump", "--no-verify", "--repo", clone, "--chart", "app", "--env", "staging",
		"--image", "registry.example.com/app:1.3.0", "--sign-key", key.Path)
	if code != 0 {
		t.Fatalf("signed bump of a local clone: exit %d\n%s", code, errOut)
	}
	if vout, err := v.VerifyCommit(clone, strings.TrimSpace(out)); err != nil {
		t.Errorf("git verify-commit in the local clone: %v\n%s", err, vout)
	}
}

// TestBumpSignedOpenPGP signs with an encrypted OpenPGP key passed as the
// key itself in TAGBUMP_SIGN_KEY: the signing-required hook accepts it and
// GnuPG verifies it; a wrong passphrase is a usage error that repeats
// neither the key nor the passphrase.
func TestBumpSignedOpenPGP(t *testing.T) {
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "charts", map[string]string{"app/values-staging.yaml": valuesFile("1.0.0")})
	g := testenv.NewGPGKey(t, "deploy@example.invalid", "pgp pass 2")
	v := testenv.NewVerifier(t, nil, [][]byte{g.Public})
	if err := srv.SetHook("charts", "pre-receive", v.RequireSignedHook()); err != nil {
		t.Fatal(err)
	}
	args := []string{"bump", "--no-verify", "--repo", srv.URL("charts"), "--chart", "app", "--env", "staging",
		"--image", "registry.example.com/app:1.1.0", "--author", "Deploy Bot <deploy@example.invalid>", "--log-level", "debug"}

	code, out, errOut := tagbump(t, []string{"TAGBUMP_SIGN_KEY=" + string(g.Secret), "TAGBUMP_SIGN_KEY_PASSPHRASE=wrong"}, args...)
	if code != 2 || !strings.Contains(errOut, "TAGBUMP_SIGN_KEY_PASSPHRASE") {
		t.Errorf("wrong passphrase: exit %d, want 2 naming TAGBUMP_SIGN_KEY_PASSPHRASE\n%s", code, errOut)
	}
	noSecret(t, "the key", out+errOut, string(g.Secret))

	code, out, errOut = tagbump(t, []string{"TAGBUMP_SIGN_KEY=" + string(g.Secret), "TAGBUMP_SIGN_KEY_PASSPHRASE=pgp pass 2"}, args...)
	if code != 0 {
		t.Fatalf("signed bump: exit %d\n%s", code, errOut)
	}
	noSecret(t, "the key", out+errOut, string(g.Secret))
	noSecret(t, "the passphrase", out+errOut, "pgp pass 2")
	if vout, err := v.VerifyCommit(dir, "main"); err != nil || !strings.Contains(vout, "Good signature") {
		t.Errorf("git verify-commit with GnuPG: %v\n%s", err, vout)
	}

	code, _, errOut = tagbump(t, []string{"TAGBUMP_SIGN_KEY=/etc/keys/signing.asc"}, args...)
	if code != 2 || !strings.Contains(errOut, "not a path") {
		t.Errorf("a path in TAGBUMP_SIGN_KEY: exit %d, want 2 saying it holds the key itself\n%s", code, errOut)
	}
}

const (
	ghToken   = "ghs_bumpwriter000000000000000000000000"
	ghROToken = "ghs_bumpreader000000000000000000000000"
)

// TestBumpCommitViaAPI bumps with --commit-via api against the GraphQL
// stand-in: the read is a git fetch, the write is createCommitOnBranch.
// The branch moves during the first commit (expectedHeadOid refused), the
// bump is redone on the new tip, and the host's commit lands, authored by
// the token's owner and signed by the host.
func TestBumpCommitViaAPI(t *testing.T) {
	srv := testenv.NewGitServer(t, testenv.WithBasicAuth("tagbump", ghToken), testenv.WithReadOnlyUser("tagbump-ro", ghROToken))
	dir := srv.MustCreateRepo(t, "acme/charts", map[string]string{"app/values-staging.yaml": valuesFile("1.0.0")})
	api := testenv.NewGitHubGraphQL(t, srv)
	api.AddToken(ghToken, testenv.GitHubIdentity{Login: "deploy-bot[bot]", Name: "deploy-bot[bot]", Email: "1+deploy-bot[bot]@users.noreply.github.com"})
	api.AddToken(ghROToken, testenv.GitHubIdentity{Login: "reader", Name: "reader", Email: "reader@example.invalid", ReadOnly: true})
	args := []string{"bump", "--no-verify", "--repo", srv.URL("acme/charts"), "--chart", "app", "--env", "staging",
		"--commit-via", "api", "--api-url", api.URL(), "--output", "json"}
	env := []string{"TAGBUMP_GIT_TOKEN=" + ghToken}

	api.BeforeCommit(func() {
		if _, err := srv.CommitFiles("acme/charts", "main", map[string]string{"other.yaml": "rival: 1\n"}, "rival pipeline"); err != nil {
			t.Error(err)
		}
	})
	code, out, errOut := tagbump(t, env, append(args, "--image", "registry.example.com/app:1.1.0")...)
	if code != 0 {
		t.Fatalf("bump --commit-via api: exit %d\n%s", code, errOut)
	}
	res := decodeBump(t, out)
	if res.Attempts != 2 || !res.Pushed || api.Commits() != 1 {
		t.Errorf("attempts %d, pushed %v, %d API commits: want one refusal on expectedHeadOid, then one commit", res.Attempts, res.Pushed, api.Commits())
	}
	if got := mustGit(t, dir, "rev-parse", "main"); got != res.Commit {
		t.Fatalf("main = %s, bump says %s", got, res.Commit)
	}
	if got := mustGit(t, dir, "log", "-1", "--format=%an|%s|%P", "main"); got != "deploy-bot[bot]|chore(staging): update app image to 1.1.0|"+mustGit(t, dir, "rev-parse", "main~1") {
		t.Errorf("commit = %q", got)
	}
	if got := mustGit(t, dir, "log", "-1", "--format=%s", "main~1"); got != "rival pipeline" {
		t.Errorf("parent = %q, want the rival commit", got)
	}
	if got := mustGit(t, dir, "show", "main:app/values-staging.yaml"); got+"\n" != valuesFile("1.1.0") {
		t.Errorf("values file = %q", got)
	}
	if vout, err := testenv.NewVerifier(t, []string{api.SigningKey()}, nil).VerifyCommit(dir, "main"); err != nil {
		t.Errorf("the host's commit is not signed by the host: %v\n%s", err, vout)
	}
	noSecret(t, "the token", out+errOut, ghToken)

	// The commit lands but its answer is lost (502): the next fetch finds
	// the host's commit by its parent and tree, reports it changed, and no
	// second commit is made.
	api.LoseAnswers(1)
	code, out, errOut = tagbump(t, env, append(args, "--image", "registry.example.com/app:1.1.1")...)
	res = decodeBump(t, out)
	if code != 0 || res.Outcome != "changed" || !res.Pushed || res.Commit != mustGit(t, dir, "rev-parse", "main") || api.Commits() != 2 {
		t.Errorf("lost answer: exit %d, %+v, %d API commits, want exit 0, changed as main's commit and exactly one more commit\n%s\n%s", code, res, api.Commits(), out, errOut)
	}
	if got := mustGit(t, dir, "show", "main:app/values-staging.yaml"); got+"\n" != valuesFile("1.1.1") {
		t.Errorf("values file = %q", got)
	}

	// Again, with a rival's deploy of a tag the downgrade guard cannot
	// compare landing on top before the lost answer: the rival's deploy
	// stays.
	api.AfterCommit(func(string) {
		if _, err := srv.CommitFiles("acme/charts", "main", map[string]string{"app/values-staging.yaml": valuesFile("c0ffeeb")}, "rival deploy"); err != nil {
			t.Error(err)
		}
	})
	api.LoseAnswers(1)
	code, out, errOut = tagbump(t, env, append(args, "--image", "registry.example.com/app:1.1.2")...)
	res = decodeBump(t, out)
	if code != 0 || res.Outcome != "changed" || res.Commit != mustGit(t, dir, "rev-parse", "main^") || api.Commits() != 3 {
		t.Errorf("lost answer under a rival: exit %d, %+v, %d API commits, want exit 0, changed as main^ and exactly one more commit\n%s\n%s", code, res, api.Commits(), out, errOut)
	}
	if got := mustGit(t, dir, "show", "main:app/values-staging.yaml"); got+"\n" != valuesFile("c0ffeeb") {
		t.Errorf("the rival's deploy was overwritten: values file = %q", got)
	}

	// A token that may read but not write contents: exit 5, saying so.
	code, _, errOut = tagbump(t, []string{"TAGBUMP_GIT_USER=tagbump-ro", "TAGBUMP_GIT_TOKEN=" + ghROToken}, append(args, "--image", "registry.example.com/app:1.2.0")...)
	if code != 5 || !strings.Contains(errOut, "contents: write") {
		t.Errorf("read-only token: exit %d, want 5 naming contents: write\n%s", code, errOut)
	}

	// A rate limit that resets beyond --timeout: exit 6 at once.
	api.RateLimit(1, time.Now().Add(time.Hour))
	code, _, errOut = tagbump(t, env, append(args, "--image", "registry.example.com/app:1.2.0", "--timeout", "5s")...)
	if code != 6 || !strings.Contains(errOut, "rate limit exceeded until") {
		t.Errorf("rate limited: exit %d, want 6\n%s", code, errOut)
	}

	// Combinations that cannot apply are refused before anything is done.
	for _, extra := range [][]string{
		{"--author", "Someone <someone@example.invalid>"},
		{"--committer", "Someone <someone@example.invalid>"},
		{"--sign-key", "/nonexistent"},
		{"--signoff"},
		{"--pr", "--provider", "gitlab"},
	} {
		before := api.Requests()
		code, _, errOut = tagbump(t, env, append(append(args, "--image", "registry.example.com/app:1.2.0"), extra...)...)
		if code != 2 || !strings.Contains(errOut, "--commit-via api") || !strings.Contains(errOut, extra[0]) || api.Requests() != before {
			t.Errorf("%v with --commit-via api: exit %d, want 2 before any request\n%s", extra, code, errOut)
		}
	}
	if code, _, errOut = tagbump(t, env, append(args[:len(args)-6], "--commit-via", "api", "--image", "registry.example.com/app:1.2.0")...); code != 2 || !strings.Contains(errOut, "GitHub") {
		t.Errorf("api without a GitHub host or --api-url: exit %d, want 2\n%s", code, errOut)
	}
}

// TestBumpPRSigned checks that the commit on tagbump's pull request branch
// is signed too, and stays signed when a re-run replaces it.
func TestBumpPRSigned(t *testing.T) {
	c := forgeCases[0] // GitHub
	f := startForge(t, c)
	key, err := testenv.NewSSHKey(t.TempDir(), "signing", "")
	if err != nil {
		t.Fatal(err)
	}
	v := testenv.NewVerifier(t, []string{string(key.Authorized)}, nil)
	for _, tag := range []string{"1.1.0", "1.2.0"} {
		code, _, errOut := forgeBump(t, c, f, f.Token, tag, "--sign-key", key.Path)
		if code != 0 {
			t.Fatalf("bump --pr --sign-key %s: exit %d\n%s", tag, code, errOut)
		}
		head := f.BranchSHA(c.repo, "tagbump/app-prod")
		if head == "" {
			t.Fatalf("no PR branch after the bump to %s", tag)
		}
		if vout, err := v.VerifyCommit(f.Git.Dir(c.repo), head); err != nil {
			t.Errorf("the PR branch's commit for %s does not verify: %v\n%s", tag, err, vout)
		}
	}
}

// TestRollbackAndPromoteSigned checks that rollback and promote sign
// their commits like bump, with the sign-off.
func TestRollbackAndPromoteSigned(t *testing.T) {
	srv := testenv.NewGitServer(t)
	dir := srv.MustCreateRepo(t, "charts", map[string]string{
		"app/values-staging.yaml": valuesFile("1.0.0"), "app/values-prod.yaml": valuesFile("1.0.0"),
	})
	key, err := testenv.NewSSHKey(t.TempDir(), "signing", "")
	if err != nil {
		t.Fatal(err)
	}
	v := testenv.NewVerifier(t, []string{string(key.Authorized)}, nil)
	if err := srv.SetHook("charts", "pre-receive", v.RequireSignedHook()); err != nil {
		t.Fatal(err)
	}
	repo := []string{"--repo", srv.URL("charts"), "--chart", "app", "--sign-key", key.Path, "--signoff"}
	for _, args := range [][]string{
		append([]string{"bump", "--no-verify", "--env", "staging", "--image", "registry.example.com/app:1.1.0"}, repo...),
		append([]string{"promote", "--no-verify", "--from", "staging", "--to", "prod"}, repo...),
		append([]string{"rollback", "--env", "staging"}, repo...),
	} {
		code, _, errOut := tagbump(t, nil, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", args[0], code, errOut)
		}
		if vout, err := v.VerifyCommit(dir, "main"); err != nil {
			t.Errorf("%s: the commit does not verify: %v\n%s", args[0], err, vout)
		}
		if got := mustGit(t, dir, "log", "-1", "--format=%(trailers:key=Signed-off-by,valueonly)", "main"); got != "tagbump <tagbump@tagbump.invalid>" {
			t.Errorf("%s: Signed-off-by = %q", args[0], got)
		}
	}
	if got := mustGit(t, dir, "show", "main:app/values-prod.yaml"); !strings.Contains(got, "tag: 1.1.0") {
		t.Errorf("promote did not land: %q", got)
	}
	if got := mustGit(t, dir, "show", "main:app/values-staging.yaml"); !strings.Contains(got, "tag: 1.0.0") {
		t.Errorf("rollback did not land: %q", got)
	}
}

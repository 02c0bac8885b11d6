package cli_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestDoctorGitea runs doctor against a real Gitea (built from its
// module), found through its version endpoint: an unprotected main is
// fine; with a branch protection that refuses pushes and wants an
// approval, doctor says pushes are refused and advises --pr (exit 8), and
// a real bump without --pr is indeed rejected (exit 8); with --pr doctor
// exits 0 and so does the bump. A rule that requires signed commits is
// reported and wants --sign-key.
func TestDoctorGitea(t *testing.T) {
	bin, src := testenv.RequireGitea(t)
	g, err := testenv.StartGitea(bin, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	url, err := g.CreateRepo("charts", map[string]string{"app/values-prod.yaml": prodValues("1.0.0")})
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"TAGBUMP_GIT_TOKEN=" + g.Token, "TAGBUMP_GIT_USER=" + g.Owner, "TAGBUMP_SIGN_KEY="}
	doctor := func(extra ...string) (int, string) {
		t.Helper()
		code, out, errOut := tagbump(t, env, append([]string{"doctor", "--repo", url}, extra...)...)
		if strings.Contains(out+errOut, g.Token) {
			t.Errorf("doctor %v printed the token", extra)
		}
		return code, out
	}
	bump := func(tag string, extra ...string) (int, string) {
		t.Helper()
		code, _, errOut := tagbump(t, env, append([]string{"bump", "--no-verify", "--repo", url, "--chart", "app", "--env", "prod",
			"--image", "registry.example.com/app:" + tag}, extra...)...)
		return code, errOut
	}

	code, out := doctor()
	wantLines(t, "unprotected", out,
		"[ok]   host API: gitea (found from its version endpoint); the token is valid",
		"[info] token scopes: not reported: Gitea's API does not tell a token's scopes",
		"[ok]   repository permission: admin",
		"[ok]   branch rules: main is not protected",
		"a bump would work here")
	if code != 0 {
		t.Errorf("unprotected: exit %d", code)
	}

	// Pushes refused, one approval required (repoCreateBranchProtection).
	if err := g.API(http.MethodPost, "/repos/"+g.Owner+"/charts/branch_protections", map[string]any{
		"rule_name": "main", "enable_push": false, "required_approvals": 1,
	}, nil); err != nil {
		t.Fatal(err)
	}
	code, out = doctor()
	wantLines(t, "protected", out,
		"[ok]   branch rules: main: pull requests required (1 approval); who may push: nobody",
		"[FAIL] direct push: the host refuses pushes to main from this token",
		"fix: bump with --pr")
	if code != 8 {
		t.Errorf("protected, no --pr: exit %d, want 8", code)
	}
	// doctor is right: Gitea refuses the push.
	if code, errOut := bump("1.0.1"); code != 8 {
		t.Errorf("bump without --pr on the protected branch: exit %d, want 8\n%s", code, errOut)
	}
	code, out = doctor("--pr", "-o", "json")
	d := decodeDoctor(t, out)
	if code != 0 || !d.Ready || d.Host == nil || d.Host.FoundFrom != "its version endpoint" || !d.Host.Access.Branch.PushRefused {
		t.Errorf("protected, --pr: exit %d, ready %v, host %+v; want 0, ready, push refused\n%s", code, d.Ready, d.Host, out)
	}
	if code, errOut := bump("1.0.1", "--pr", "--provider", "gitea"); code != 0 {
		t.Errorf("bump --pr on the protected branch: exit %d, want 0\n%s", code, errOut)
	}

	// Signed commits required as well.
	if err := g.API(http.MethodPatch, "/repos/"+g.Owner+"/charts/branch_protections/main", map[string]any{"require_signed_commits": true}, nil); err != nil {
		t.Fatal(err)
	}
	code, out = doctor("--pr")
	if code != 8 || !strings.Contains(out, "[FAIL] signed commits: main requires signed commits") || !strings.Contains(out, "fix: sign with --sign-key FILE") {
		t.Errorf("signatures required, no key: exit %d, want 8 and --sign-key\n%s", code, out)
	}
	key, err := testenv.NewSSHKey(t.TempDir(), "id_ed25519", "")
	if err != nil {
		t.Fatal(err)
	}
	if code, out = doctor("--pr", "--sign-key", key.Path); code != 0 {
		t.Errorf("signatures required, --sign-key: exit %d, want 0\n%s", code, out)
	}
}

// wantLines reports each of wants that out (what case printed) lacks.
func wantLines(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s: no %q\n%s", what, w, out)
		}
	}
}

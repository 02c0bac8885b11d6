package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
)

// doctorJSON is the part of doctor's JSON answer the tests read.
type doctorJSON struct {
	Ready  bool `json:"ready"`
	Checks []struct {
		Name, Status, Detail, Fix string
		Exit                      int `json:"exit_code"`
	} `json:"checks"`
	Host *struct {
		Kind      string `json:"kind"`
		FoundFrom string `json:"found_from"`
		Access    *struct {
			Scopes     []string `json:"scopes"`
			ScopesNote string   `json:"scopes_note"`
			Branch     struct {
				Protected   bool `json:"protected"`
				PullRequest bool `json:"pull_request"`
				Signed      bool `json:"signed"`
				PushRefused bool `json:"push_refused"`
			} `json:"branch"`
		} `json:"access"`
	} `json:"host"`
}

func decodeDoctor(t *testing.T, out string) doctorJSON {
	t.Helper()
	var d doctorJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("doctor output is not JSON: %v\n%s", err, out)
	}
	return d
}

// TestDoctorHosts runs doctor against each host's stand-in: an
// unprotected branch is fine; a protected one (pull requests required,
// signed commits required where the host has the rule, nobody may push)
// fails a bump without --pr (exit 8) with the advice, shows the token's
// scopes where the host reports them, and passes with --pr and a signing
// key (GitHub: or --commit-via api). The token is never printed.
func TestDoctorHosts(t *testing.T) {
	key, err := testenv.NewSSHKey(t.TempDir(), "id_ed25519", "")
	if err != nil {
		t.Fatal(err)
	}
	scopes := map[string][]string{"github": {"repo", "workflow"}, "gitlab": {"api"}, "bitbucket": {"repository:write", "pullrequest:write"}}
	signRule := map[string]bool{"github": true, "gitlab": true}
	for _, c := range forgeCases {
		t.Run(c.kind, func(t *testing.T) {
			f := startForge(t, c)
			doctor := func(extra ...string) (int, string) {
				t.Helper()
				env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token, "TAGBUMP_SIGN_KEY="}, c.env(f)...)
				args := append(append([]string{"doctor", "--repo", c.url(f)}, c.args(f)...), extra...)
				code, out, errOut := tagbump(t, env, args...)
				if strings.Contains(out+errOut, f.Token) {
					t.Errorf("doctor %v printed the token", extra)
				}
				return code, out
			}

			code, out := doctor()
			if code != 0 || !strings.Contains(out, "[ok]   branch rules: main is not protected") || !strings.Contains(out, "host API: "+c.kind) {
				t.Fatalf("unprotected: exit %d\n%s", code, out)
			}

			f.Protect("main", testenv.FakeRules{PullRequest: true, Approvals: 1, Signed: true, Pushers: []string{}})
			f.SetScopes(scopes[c.kind])
			code, out = doctor()
			if code != 8 || !strings.Contains(out, "[FAIL] direct push: the host refuses pushes to main") || !strings.Contains(out, "fix: bump with --pr") {
				t.Errorf("protected, no --pr: exit %d, want 8 and the advice --pr\n%s", code, out)
			}
			want := "pull requests required (1 approval)"
			if c.kind == "gitlab" {
				want = "pull requests required; signed commits required; who may push: No one" // approvals are a Premium API
			}
			if !strings.Contains(out, want) {
				t.Errorf("protected: no %q\n%s", want, out)
			}
			if s := scopes[c.kind]; s != nil && !strings.Contains(out, "[ok]   token scopes: "+strings.Join(s, ", ")) {
				t.Errorf("scopes %v not shown\n%s", s, out)
			}
			if s := scopes[c.kind]; s == nil && !strings.Contains(out, "[info] token scopes: not reported") {
				t.Errorf("scopes not reported: no note\n%s", out)
			}
			if got := strings.Contains(out, "[FAIL] signed commits: main requires signed commits"); got != signRule[c.kind] {
				t.Errorf("signed-commit blocker %v, want %v\n%s", got, signRule[c.kind], out)
			}

			code, out = doctor("--pr", "-o", "json")
			d := decodeDoctor(t, out)
			if d.Host == nil || d.Host.Kind != c.kind || d.Host.Access == nil || !d.Host.Access.Branch.PullRequest || !d.Host.Access.Branch.PushRefused {
				t.Fatalf("--pr -o json: host %+v\n%s", d.Host, out)
			}
			if signRule[c.kind] {
				if code != 8 || d.Ready {
					t.Errorf("--pr without a key on a branch that requires signatures: exit %d, ready %v; want 8", code, d.Ready)
				}
				code, out = doctor("--pr", "--sign-key", key.Path)
			} else {
				if code != 0 || !d.Ready {
					t.Errorf("--pr -o json: exit %d, ready %v; want 0, true", code, d.Ready)
				}
				code, out = doctor("--pr")
			}
			if code != 0 || !strings.Contains(out, "a bump would work here") {
				t.Errorf("--pr (and a key): exit %d, want 0\n%s", code, out)
			}
			if c.kind == "github" {
				if code, out = doctor("--pr", "--commit-via", "api"); code != 0 {
					t.Errorf("--pr --commit-via api: exit %d, want 0\n%s", code, out)
				}
			}
		})
	}
}

// TestDoctorSignKey: doctor checks the key it is given as bump would read
// it.
func TestDoctorSignKey(t *testing.T) {
	c := forgeCases[0]
	f := startForge(t, c)
	bad := filepath.Join(t.TempDir(), "not-a-key")
	code, out, _ := tagbump(t, append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token}, c.env(f)...), "doctor", "--repo", c.url(f), "--sign-key", bad)
	if code != 2 || !strings.Contains(out, "[FAIL] signing: --sign-key "+bad) {
		t.Errorf("unreadable key: exit %d, want 2\n%s", code, out)
	}
}

// TestDoctorDirectPushNeedsNoPRAPI: a token that may push but not use the
// pull request API (GitLab: write_repository without api) makes a direct
// bump work, so doctor without --pr warns about the API and exits 0; with
// --pr the same token is a blocker (exit 5), as the bump's would be.
func TestDoctorDirectPushNeedsNoPRAPI(t *testing.T) {
	c := forgeCases[1] // gitlab, found from CI_SERVER_HOST
	f := startForge(t, c)
	env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.ReadOnlyToken}, c.env(f)...)
	code, out, _ := tagbump(t, env, "doctor", "--repo", c.url(f))
	main := f.BranchSHA(c.repo, "main")
	bcode, _, berr := tagbump(t, env, "bump", "--no-verify", "--repo", c.url(f), "--chart", "app", "--env", "prod", "--image", "registry.example.com/app:1.1.0")
	if bcode != 0 || f.BranchSHA(c.repo, "main") == main {
		t.Fatalf("direct bump with the token: exit %d\n%s", bcode, berr)
	}
	if code != 0 || !strings.Contains(out, "[warn] host API: list merge requests: HTTP 403") {
		t.Errorf("doctor: exit %d for a direct bump that works (exit %d); want 0 and a warning on the host API\n%s", code, bcode, out)
	}
	if code, out, _ = tagbump(t, env, "doctor", "--repo", c.url(f), "--pr"); code != 5 || !strings.Contains(out, "[FAIL] host API: list merge requests: HTTP 403") {
		t.Errorf("doctor --pr: exit %d, want 5 (the bump's PR would be refused)\n%s", code, out)
	}
}

// TestDoctorCommitViaAPIOffGitHub: bump refuses --commit-via api on a
// host other than GitHub (exit 2), whether the API URL is derived or
// given; so does doctor, rather than counting it as signing for a branch
// that requires signed commits.
func TestDoctorCommitViaAPIOffGitHub(t *testing.T) {
	c := forgeCases[1] // gitlab
	f := startForge(t, c)
	f.Protect("main", testenv.FakeRules{Signed: true})
	env := append([]string{"TAGBUMP_GIT_TOKEN=" + f.Token, "TAGBUMP_SIGN_KEY="}, c.env(f)...)
	for _, extra := range [][]string{nil, {"--api-url", f.URL + "/api/v4"}} {
		args := append([]string{"--repo", c.url(f), "--pr", "--commit-via", "api"}, extra...)
		bcode, _, berr := tagbump(t, env, append([]string{"bump", "--no-verify", "--chart", "app", "--env", "prod", "--image", "registry.example.com/app:1.1.0"}, args...)...)
		if bcode != 2 {
			t.Fatalf("bump %v on GitLab: exit %d, want 2\n%s", args, bcode, berr)
		}
		code, out, _ := tagbump(t, env, append([]string{"doctor"}, args...)...)
		if reason, _, _ := strings.Cut(berr, "\n"); code != 2 || strings.Count(out, "[FAIL] signing: ") != 1 {
			t.Errorf("doctor %v on GitLab: exit %d, want 2 and one signing blocker as the bump's (%s)\n%s", args, code, reason, out)
		}
	}
}

package forge_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/forge"
)

// fakeRepo creates acme/charts (Azure: org/p/_git/charts) on f and returns
// the options that reach it with token.
func fakeRepo(t *testing.T, f *testenv.FakeForge, kind, token string) forge.Options {
	t.Helper()
	repo, u := "acme/charts", f.URL+"/acme/charts.git"
	if kind == "azure" {
		repo, u = "org/p/_git/charts", f.URL+"/org/p/_git/charts"
	}
	if err := f.CreateRepo(repo, map[string]string{"a": "1\n"}); err != nil {
		t.Fatal(err)
	}
	o := forge.Options{Kind: forge.Kind(kind), RepoURL: u, Token: token}
	if kind == "bitbucket" {
		o.APIURL = f.URL + "/2.0"
	}
	return o
}

// TestInspect reads scopes and branch rules from each host's stand-in: an
// unprotected branch; a protected one (pull requests required, signed
// commits where the host has the rule); scopes where the host reports
// them, and the note where it does not.
func TestInspect(t *testing.T) {
	testenv.RequireBinary(t, "git")
	for _, c := range []struct {
		kind   string
		scopes []string
		// want is the protected branch's rules as the host reports them.
		want forge.BranchRules
		// permission and canPush as reported for the read-write token.
		permission string
		canPush    bool
	}{
		{"github", []string{"repo", "workflow"}, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 1, Signed: true, PushRefused: true, Pushers: "nobody"}, "push", true},
		{"gitlab", []string{"api", "write_repository"}, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Signed: true, PushRefused: true, Pushers: "No one"}, "Developer", true},
		{"azure", nil, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 1, PushRefused: true, Pushers: "nobody: required policies (Minimum number of reviewers)"}, "", false},
		{"bitbucket", []string{"repository:write", "pullrequest:write"}, forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 1, PushRefused: true, Pushers: "nobody"}, "", false},
	} {
		t.Run(c.kind, func(t *testing.T) {
			f, err := testenv.StartFakeForge(c.kind)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			o := fakeRepo(t, f, c.kind, f.Token)
			fg, err := forge.New(o)
			if err != nil {
				t.Fatal(err)
			}
			in := fg.(forge.Inspector)
			ctx := context.Background()

			// Unprotected, and a token whose scopes are not reported.
			a, err := in.Inspect(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(forge.BranchRules{Name: "main", Known: true}, a.Branch); diff != "" {
				t.Errorf("unprotected branch (-want +got):\n%s", diff)
			}
			if a.Scopes != nil || a.ScopesNote == "" {
				t.Errorf("scopes %v, note %q: want none and a note", a.Scopes, a.ScopesNote)
			}
			if a.Permission != c.permission || (a.CanPush != nil) != (c.permission != "") || a.CanPush != nil && *a.CanPush != c.canPush {
				t.Errorf("permission %q, can push %v: want %q, %v", a.Permission, a.CanPush, c.permission, c.canPush)
			}

			// Protected, and scopes reported where the host does.
			f.Protect("main", testenv.FakeRules{PullRequest: true, Approvals: 1, Signed: true, Pushers: []string{}})
			f.SetScopes(c.scopes)
			a, err = in.Inspect(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, a.Branch); diff != "" {
				t.Errorf("protected branch (-want +got):\n%s", diff)
			}
			if c.scopes != nil && !slices.Equal(a.Scopes, c.scopes) {
				t.Errorf("scopes %v, want %v", a.Scopes, c.scopes)
			}
		})
	}
}

// TestInspectGitHub covers what GitHub reports differently: rules in a
// ruleset (readable by all), and classic protection that a token without
// admin access may not read (the branch still says it is protected).
func TestInspectGitHub(t *testing.T) {
	testenv.RequireBinary(t, "git")
	f, err := testenv.StartFakeForge("github")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := fakeRepo(t, f, "github", f.Token)
	ctx := context.Background()
	inspect := func(o forge.Options) *forge.Access {
		t.Helper()
		fg, err := forge.New(o)
		if err != nil {
			t.Fatal(err)
		}
		a, err := fg.(forge.Inspector).Inspect(ctx, "main")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.Protect("main", testenv.FakeRules{Ruleset: true, PullRequest: true, Approvals: 2, Signed: true})
	want := forge.BranchRules{Name: "main", Known: true, Protected: true, PullRequest: true, Approvals: 2, Signed: true, PushRefused: true}
	if diff := cmp.Diff(want, inspect(o).Branch); diff != "" {
		t.Errorf("ruleset (-want +got):\n%s", diff)
	}

	f.Protect("main", testenv.FakeRules{Pushers: []string{"release-bot"}})
	if b := inspect(o).Branch; b.Pushers != "release-bot" || b.PushRefused || b.PullRequest {
		t.Errorf("push restricted to a user: %+v", b)
	}
	o.Token = f.ReadOnlyToken
	b := inspect(o).Branch
	if b.Known || !b.Protected || b.Note == "" {
		t.Errorf("classic protection unreadable: %+v, want protected, not known, a note", b)
	}
}

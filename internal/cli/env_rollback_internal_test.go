package cli

import (
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/ci"

	"github.com/google/go-cmp/cmp"
)

// A pull request label with a space ("needs review", GitHub's own
// "good first issue") read from TAGBUMP_PR_LABEL is one label, as
// --pr-label "needs review" is.
func TestBindEnvLabelWithSpace(t *testing.T) {
	for v, want := range map[string][]string{
		"needs review":             {"needs review"},
		"good first issue, deploy": {"good first issue", "deploy"},
		"needs review\ndeploy\n":   {"needs review", "deploy"},
	} {
		cmd := NewCmdBump(IOStreams{}, nil)
		t.Setenv("TAGBUMP_PR_LABEL", v)
		if err := bindEnv(cmd); err != nil {
			t.Fatal(err)
		}
		got, _ := cmd.Flags().GetStringSlice("pr-label")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("TAGBUMP_PR_LABEL=%q: --pr-label (-want +got):\n%s", v, d)
		}
	}
}

// The README's rollback pipelines (GitHub, Azure, GitLab) pass the tag to
// roll back to in TAGBUMP_TO. Reading none of it, rollback writes the
// previous value instead: another tag than the operator chose.
func TestRollbackTAGBUMP_TO(t *testing.T) {
	var got *RollbackOptions
	cmd := NewCmdRollback(IOStreams{}, func(o *RollbackOptions) error { got = o; return nil })
	t.Setenv("TAGBUMP_TO", "app-service-120")
	if err := bindEnv(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.SetArgs([]string{"--repo", "https://git.example.com/charts", "--chart", "shop", "--env", "prod"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.To != "app-service-120" {
		t.Errorf("TAGBUMP_TO=app-service-120 (README's rollback pipelines): rollback's tag = %q, want app-service-120", got.To)
	}
}

// The token tagbump was given goes to the charts repository's host only:
// an --apps-repo elsewhere gets no credentials of it.
func TestGitOptionsForOtherHost(t *testing.T) {
	t.Setenv("TAGBUMP_GIT_TOKEN", "s3cret")
	same := gitOptionsFor(ci.Env{}, "https://git.example.com/acme/apps.git", "https://git.example.com/acme/charts.git", "", "", time.Minute)
	other := gitOptionsFor(ci.Env{}, "https://evil.example.net/acme/apps.git", "https://git.example.com/acme/charts.git", "", "", time.Minute)
	if len(same) != 2 || len(other) != 1 {
		t.Errorf("options: same host %d (want timeout and token), other host %d (want the timeout alone)", len(same), len(other))
	}
}

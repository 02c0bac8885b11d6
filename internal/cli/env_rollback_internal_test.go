package cli

import (
	"strings"
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

// A pipeline written before --to-tag passes the tag in TAGBUMP_TO, and a
// promote job passes its target environment there: rollback guesses at
// neither and stops (exit 2) naming TAGBUMP_TO_TAG.
func TestRollbackTAGBUMP_TO(t *testing.T) {
	cmd := NewCmdRollback(IOStreams{}, func(*RollbackOptions) error { return nil })
	t.Setenv("TAGBUMP_TO", "app-service-120")
	if err := bindEnv(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.SetArgs([]string{"--repo", "https://git.example.com/charts", "--chart", "shop", "--env", "prod"})
	err := cmd.Execute()
	if ExitCode(err) != ExitUsage || err == nil || !strings.Contains(err.Error(), "TAGBUMP_TO_TAG") {
		t.Errorf("rollback with TAGBUMP_TO set: %v (exit %d), want exit 2 naming TAGBUMP_TO_TAG", err, ExitCode(err))
	}
	t.Setenv("TAGBUMP_TO_TAG", "app-service-120")
	cmd = NewCmdRollback(IOStreams{}, func(*RollbackOptions) error { return nil })
	if err := bindEnv(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.SetArgs([]string{"--repo", "https://git.example.com/charts", "--chart", "shop", "--env", "prod"})
	if err := cmd.Execute(); err != nil {
		t.Errorf("TAGBUMP_TO_TAG beside TAGBUMP_TO: %v", err)
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

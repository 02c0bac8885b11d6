package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// githubOutputs parses a $GITHUB_OUTPUT file (name<<DELIM ... DELIM).
func githubOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var v []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			v = append(v, lines[i])
		}
		out[name] = strings.Join(v, "\n")
	}
	return out
}

// TestBumpReportsToCI checks what a bump tells GitHub Actions in each
// outcome: `changed` says whether a commit reached the branch (a dry run
// changes nothing), `outcome` names the outcome, and a value kept by the
// downgrade guard is a ::warning:: annotation. Workflow commands are looked
// for on stdout and stderr alike: which stream carries them is not what
// this test is about.
func TestBumpReportsToCI(t *testing.T) {
	const token = "tok-ci-report-0461"
	srv, dir := chartsServer(t, token, map[string]string{"app/values-staging.yaml": appValues})
	setGitToken(t, token)
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	for _, tc := range []struct {
		name, tag string
		extra     []string
		outputs   map[string]string // "" for commit: the tip of main; absent: not checked
		moved     bool
		warning   string // a regexp a ::warning:: line must match, or ""
	}{
		{"dry run", "1.1.0", []string{"--dry-run"}, map[string]string{"changed": "false", "outcome": "dry-run", "commit": "-"}, false, ""},
		{"bump", "1.1.0", nil, map[string]string{"changed": "true", "outcome": "changed", "commit": ""}, true, ""},
		{"again", "1.1.0", nil, map[string]string{"changed": "false", "outcome": "unchanged", "commit": "-"}, false, ""},
		{"downgrade", "1.0.5", nil, map[string]string{"changed": "false", "outcome": "skipped", "commit": "-"}, false,
			`app/values-staging.yaml \.image\.tag: skipped: current tag 1\.1\.0 is newer than 1\.0\.5`},
		{"downgrade json", "1.0.5", []string{"--output", "json"}, map[string]string{"changed": "false", "outcome": "skipped"}, false,
			`skipped: current tag 1\.1\.0 is newer than 1\.0\.5`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "github-output")
			t.Setenv("GITHUB_OUTPUT", out)
			before := gitOut(t, dir, "rev-parse", "main")
			r := runTagbump(t, bumpArgs(srv.URL("charts"), "app", tc.tag, tc.extra...)...)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
			}
			tip := gitOut(t, dir, "rev-parse", "main")
			if moved := tip != before; moved != tc.moved {
				t.Errorf("branch moved: %v, want %v", moved, tc.moved)
			}
			got := githubOutputs(t, out)
			for k, want := range tc.outputs {
				switch {
				case k == "commit" && want == "":
					want = tip
				case k == "commit" && want == "-":
					want = ""
				}
				if got[k] != want {
					t.Errorf("output %s = %q, want %q", k, got[k], want)
				}
			}
			var warnings []string
			for _, l := range strings.Split(r.stdout+"\n"+r.stderr, "\n") {
				if strings.HasPrefix(l, "::warning") {
					warnings = append(warnings, l)
				}
			}
			switch {
			case tc.warning == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings: %q", warnings)
			case tc.warning != "" && (len(warnings) != 1 || !regexp.MustCompile(tc.warning).MatchString(warnings[0])):
				t.Errorf("warnings %q, want one matching %q", warnings, tc.warning)
			}
			if slices.Contains(tc.extra, "json") {
				var res struct {
					Outcome string `json:"outcome"`
					Pushed  bool   `json:"pushed"`
					Files   []struct {
						Skipped string `json:"skipped"`
					} `json:"files"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
					t.Fatalf("stdout is not the JSON result: %v\n%s", err, r.stdout)
				}
				if res.Outcome != "skipped" || res.Pushed || len(res.Files) != 1 || res.Files[0].Skipped == "" {
					t.Errorf("JSON result %+v, want skipped with the reason", res)
				}
			}
			if t.Failed() {
				t.Logf("stdout: %s\nstderr: %s", r.stdout, r.stderr)
			}
		})
	}
}

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

func TestRunWritesRequestedRepo(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.git"), filepath.Join(dir, "b.git")
	for _, out := range []string{a, b} {
		if _, err := run(config{charts: 50, commits: 30, out: out, seed: 7}); err != nil {
			t.Fatal(err)
		}
	}
	if got := gitOut(t, a, "rev-list", "--count", "main"); got != "30" {
		t.Errorf("commits = %s, want 30", got)
	}
	files := strings.Fields(gitOut(t, a, "ls-tree", "-r", "--format=%(objectname)", "main"))
	if len(files) != 150 {
		t.Errorf("files = %d, want 150", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			t.Errorf("blob %s appears twice: files must all differ", f)
		}
		seen[f] = true
	}
	staging := gitOut(t, a, "show", "main:chart-0042/values-staging.yaml")
	for _, want := range []string{"\nimage:\n", "  repository: registry.example.com/chart-0042\n", "\n  tag: \""} {
		if !strings.Contains(staging, want) {
			t.Errorf("values-staging.yaml lacks %q:\n%s", want, staging)
		}
	}
	if ha, hb := gitOut(t, a, "rev-parse", "main"), gitOut(t, b, "rev-parse", "main"); ha != hb {
		t.Errorf("same seed gave tips %s and %s", ha, hb)
	}
	if got := gitOut(t, a, "config", "uploadpack.allowFilter"); got != "true" {
		t.Errorf("uploadpack.allowFilter = %q", got)
	}
	if got := gitOut(t, a, "symbolic-ref", "HEAD"); got != "refs/heads/main" {
		t.Errorf("HEAD = %q", got)
	}
	if _, err := run(config{charts: 5, commits: 1, out: a, seed: 7}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("run into a used -out: err = %v, want a not empty error", err)
	}
}

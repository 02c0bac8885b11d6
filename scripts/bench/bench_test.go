package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestQuickRun runs the whole harness at -quick sizes against a fresh
// cache and checks the report's rows and the generated repositories, not
// the timings.
func TestQuickRun(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	tagbump := filepath.Join(cache, "tagbump")
	if out, err := exec.Command("go", "build", "-o", tagbump, "../../cmd/tagbump").CombinedOutput(); err != nil {
		t.Fatalf("build tagbump: %v\n%s", err, out)
	}
	hasBump := exec.Command(tagbump, "bump", "--help").Run() == nil

	cfg := defaultConfig()
	cfg.setQuick()
	cfg.cache, cfg.tagbump = cache, tagbump
	cfg.concurrent = []int{5} // make bench runs 50, 100 and 200; 5 keep this test short
	cfg.runs = 2              // -quick runs 3; 14 scenarios twice keep this test short
	var out, log bytes.Buffer
	if err := run(ctx, cfg, &out, &log); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	report := out.String()
	t.Log("\n" + report)

	const filterOnly = " | http, uploadpack.allowFilter only | "
	rows := []string{
		"| (a) clone --depth 1 + yq + commit + push" + filterOnly + "200 | 200 | 2 | ",
		"| charts200-commits200-seed1 | 200 | 200 | ",
		"| charts200-commits20-seed1 | 200 | 20 | ",
		"| charts50-commits200-seed1 | 50 | 200 | ",
		"| c at 200 commits / c at 20 commits | ",
		"| c at 200 charts / c at 50 charts | ",
	}
	servers := []string{filterOnly, " | http, v0 with want-by-id (no v2) | ", " | http, git defaults (no filter) | ",
		" | http, allowFilter only, +50ms per request | ", " | ssh, AcceptEnv GIT_PROTOCOL, allowFilter only | "}
	for _, srv := range servers {
		rows = append(rows, "| (b) partial sparse clone + yq + commit + push"+srv+"200 | 200 | 2 | ",
			"| c/b, "+strings.TrimPrefix(srv, " | "))
	}
	if hasBump {
		for _, srv := range servers {
			rows = append(rows, "| (c) tagbump bump --no-verify"+srv+"200 | 200 | 2 | ")
		}
		rows = append(rows,
			"| (c) tagbump bump, short history"+filterOnly+"200 | 20 | 2 | ",
			"| (c) tagbump bump, fewer charts"+filterOnly+"50 | 200 | 2 | ",
			"| change of c/b wall from 20 to 200 commits | ",
			// 5 bumps, 5 commits, no merge, linear, 5 files, no failure.
			" | 5 | 0 | 5 | 5 | 0 |\n",
		)
	} else {
		rows = append(rows,
			"| (c) tagbump bump --no-verify"+filterOnly+"200 | 200 | 0 | n/a | n/a |",
			"| c/a, http, uploadpack.allowFilter only | n/a |",
		)
	}
	for _, row := range rows {
		if !strings.Contains(report, row) {
			t.Errorf("report lacks %q", row)
		}
	}

	for name, want := range map[string][2]string{
		"charts200-commits200-seed1": {"200", "200"},
		"charts200-commits20-seed1":  {"200", "20"},
		"charts50-commits200-seed1":  {"50", "200"},
	} {
		dirs, _ := filepath.Glob(filepath.Join(cache, name+"-*.git"))
		if len(dirs) != 1 {
			t.Fatalf("%s: cached repositories %v, want one", name, dirs)
		}
		dir := dirs[0]
		if got := gitCount(t, dir, "rev-list", "main"); got != want[1] {
			t.Errorf("%s: %s commits, want %s", name, got, want[1])
		}
		if got := gitCount(t, dir, "ls-tree", "-d", "--name-only", "main"); got != want[0] {
			t.Errorf("%s: %s charts, want %s", name, got, want[0])
		}
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "serve-*")); len(left) > 0 {
		t.Errorf("served copies left behind: %v", left)
	}
}

func gitCount(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitOutput(context.Background(), dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(len(strings.Fields(out)))
}

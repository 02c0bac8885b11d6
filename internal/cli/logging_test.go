package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagbump/tagbump/internal/testenv"
)

// TestLogColour runs tagbump on a pseudo-terminal (util-linux script)
// that, like some CI runners and multiplexers, never answers terminal
// queries: logs are coloured at once, without a colour query; NO_COLOR
// turns colour off; a pipe gets no escape codes at all.
func TestLogColour(t *testing.T) {
	testenv.RequireBinary(t, "/usr/bin/script")
	tb, err := exec.LookPath("tagbump")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, []byte("image:\n  tag: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	onTTY := func(env ...string) string {
		t.Helper()
		cmd := exec.Command("script", "-qec", tb+" set "+file+" .image.tag v1", "/dev/null")
		cmd.Env = append(os.Environ(), env...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("script: %v\n%s", err, out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %s on a terminal that does not answer queries", d)
		}
		return string(out)
	}
	out := onTTY("NO_COLOR=")
	if !strings.Contains(out, "unchanged") || !strings.Contains(out, "\x1b[") {
		t.Errorf("terminal: want coloured log, got %q", out)
	}
	if strings.Contains(out, "\x1b]1") || strings.Contains(out, "\x1b[6n") {
		t.Errorf("terminal: tagbump queried the terminal: %q", out)
	}
	if out := onTTY("NO_COLOR=1"); strings.Contains(out, "\x1b") {
		t.Errorf("NO_COLOR: want no escape codes, got %q", out)
	}
	piped, err := exec.Command(tb, "set", file, ".image.tag", "v1").CombinedOutput()
	if err != nil || strings.Contains(string(piped), "\x1b") || !strings.Contains(string(piped), "unchanged") {
		t.Errorf("pipe: %v %q", err, piped)
	}
}

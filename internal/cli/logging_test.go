package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/log"
	"github.com/tagbump/tagbump/internal/cli"
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
		// The terminal that script(1) gives does not answer queries: a
		// query would hang until the test's deadline, and is also
		// caught by the escape check below.
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("script: %v\n%s", err, out)
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

// TestRunLoggerPerInvocation runs tagbump in-process several times at once,
// each with its own stderr and log format: every run's log lines must land
// on its own stderr in its own format, and the process-wide default logger
// must stay untouched.
func TestRunLoggerPerInvocation(t *testing.T) {
	before := log.Default()
	dir := t.TempDir()
	formats := []string{"json", "logfmt", "text", "json", "logfmt", "text"}
	errs := make([]bytes.Buffer, len(formats))
	var wg sync.WaitGroup
	for i, format := range formats {
		file := filepath.Join(dir, fmt.Sprintf("values-%d.yaml", i))
		if err := os.WriteFile(file, []byte("image:\n  tag: v1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				streams := cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: &errs[i]}
				if code := cli.Run(context.Background(), []string{"set", "--log-format", format, file, ".image.tag", "v1"}, streams); code != 0 {
					t.Errorf("run %d: exit code %d", i, code)
					return
				}
			}
		}()
	}
	wg.Wait()
	if log.Default() != before {
		t.Error("cli.Run replaced the process-wide default logger")
	}
	for i, format := range formats {
		lines := strings.Split(strings.TrimSpace(errs[i].String()), "\n")
		if len(lines) != 20 {
			t.Errorf("run %d (%s): %d log lines, want 20:\n%s", i, format, len(lines), errs[i].String())
		}
		want := map[string]string{"json": `{"level":"info","msg":"unchanged"`, "logfmt": "level=info msg=unchanged", "text": "INFO unchanged"}[format]
		for _, l := range lines {
			if !strings.HasPrefix(l, want) || !strings.Contains(l, fmt.Sprintf("values-%d.yaml", i)) {
				t.Errorf("run %d (%s): line %q, want it to start with %q and name values-%d.yaml", i, format, l, want, i)
				break
			}
		}
	}
}

package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct{ name, a, b, want string }{
		{"equal", "a\n", "a\n", ""},
		{"one line in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n6\n7\n8\n",
			"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n"},
		{"first line", "1\n2\n", "X\n2\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n-1\n+X\n 2\n"},
		{"no final newline", "1\n2", "1\n3", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n 1\n-2\n\\ No newline at end of file\n+3\n\\ No newline at end of file\n"},
		{"crlf kept", "a\r\nb\r\n", "a\r\nc\r\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n"},
		{"insert into empty", "", "a\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+a\n"},
	}
	for _, tt := range tests {
		if got := Unified("a", "b", []byte(tt.a), []byte(tt.b)); got != tt.want {
			t.Errorf("%s: got\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

// TestUnifiedApplies checks with git apply that the diffs apply, also for
// changes in several places.
func TestUnifiedApplies(t *testing.T) {
	pairs := [][2]string{
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\nX\n3\n4\n5\n6\n7\nY\n9\n"},
		{"a\nb", "a\nb\nc\n"},
		{"x\r\ny\r\n", "x\r\nz\r\n"},
		{strings.Repeat("l\n", 50), strings.Repeat("l\n", 20) + "m\n" + strings.Repeat("l\n", 30)},
	}
	for _, p := range pairs {
		dir := t.TempDir()
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(p[0]), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("git", "apply", "-p0", "--whitespace=nowarn", "f.patch")
		cmd.Dir = dir
		if err := os.WriteFile(filepath.Join(dir, "f.patch"), []byte(Unified("f", "f", []byte(p[0]), []byte(p[1]))), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git apply: %v\n%s", err, out)
		}
		got, _ := os.ReadFile(f)
		if string(got) != p[1] {
			t.Errorf("patched %q, want %q", got, p[1])
		}
	}
}

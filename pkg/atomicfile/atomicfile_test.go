package atomicfile_test

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagbump/tagbump/pkg/atomicfile"
)

func TestReplaceKeepsModeOfExistingFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(name, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Replace(name, strings.NewReader("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if string(b) != "new\n" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("content %q mode %v, want \"new\\n\" and 0640", b, fi.Mode())
	}
}

func TestWriteSetsPerm(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.env")
	if err := os.WriteFile(existing, []byte("OLD=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(string, io.Reader, fs.FileMode) error{
		existing:                       atomicfile.Write,
		filepath.Join(dir, "new.env"):  atomicfile.Write,
		filepath.Join(dir, "new2.env"): atomicfile.Replace,
	} {
		if err := write(name, strings.NewReader("A=1\n"), 0o604); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(name)
		fi, _ := os.Stat(name)
		if string(b) != "A=1\n" || fi.Mode().Perm() != 0o604 {
			t.Errorf("%s: content %q mode %v, want \"A=1\\n\" and 0604", name, b, fi.Mode())
		}
	}
}

func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// Renaming onto a non-empty directory fails: the temporary file must
	// be removed.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.Write(sub, strings.NewReader("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "write "+sub) {
		t.Fatalf("err = %v, want an error naming %s", err, sub)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

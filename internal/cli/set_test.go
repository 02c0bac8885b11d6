package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestNewCmdSetFlags(t *testing.T) {
	var got *SetOptions
	cmd := NewCmdSet(IOStreams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, func(o *SetOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--dry-run", "v.yaml", ".image.tag", "v2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.DryRun || got.File != "v.yaml" || got.Path != ".image.tag" || got.Value != "v2" {
		t.Fatalf("options = %+v", got)
	}
	cmd.SetArgs([]string{"v.yaml", ".image.tag"})
	if err := cmd.Execute(); err == nil {
		t.Fatal("two arguments were accepted")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(name, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(name, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if string(b) != "new\n" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("content %q mode %v", b, fi.Mode())
	}
	// A missing file is an error and nothing is created.
	if err := WriteFileAtomic(filepath.Join(dir, "missing.yaml"), []byte("x")); err == nil {
		t.Fatal("no error for a missing file")
	}
	// Renaming onto a directory fails: the temporary file is removed.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(sub, []byte("x")); err == nil {
		t.Fatal("no error when the target is a directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("left behind: %v", entries)
	}
}

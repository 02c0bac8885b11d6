package cli

import (
	"bytes"
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

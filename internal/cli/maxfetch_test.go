package cli

import (
	"fmt"
	"testing"

	"github.com/tagbump/tagbump/pkg/gitrepo"
)

// TestExitCodeLimit: a server's answer past a limit (a zip bomb, an
// endless advertisement) exits 6, a values file's blob past the file
// limit 2.
func TestExitCodeLimit(t *testing.T) {
	bomb := fmt.Errorf("fetch https://git.example.com/charts.git: fetch: read pack: object 1 of 1: %w: the pack inflates to more than 536870912 bytes", gitrepo.ErrLimit)
	if got := ExitCode(bomb); got != ExitNetwork {
		t.Errorf("ExitCode(%v) = %d, want %d", bomb, got, ExitNetwork)
	}
	big := fmt.Errorf("read app/values.yaml from https://git.example.com/charts.git: read pack: object 1 of 1: %w: the server sends a blob of 9999999 bytes", gitrepo.ErrTooLarge)
	if got := ExitCode(big); got != ExitUsage {
		t.Errorf("ExitCode(%v) = %d, want %d", big, got, ExitUsage)
	}
}

// TestMaxFetchBytesFlag: every command that fetches takes --max-fetch-bytes,
// bound to TAGBUMP_MAX_FETCH_BYTES, with the library's default.
func TestMaxFetchBytesFlag(t *testing.T) {
	root := NewRootCmd(IOStreams{})
	for _, name := range []string{"bump", "history", "rollback", "promote"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		f := cmd.Flags().Lookup("max-fetch-bytes")
		if f == nil {
			t.Errorf("%s has no --max-fetch-bytes", name)
			continue
		}
		if f.DefValue != fmt.Sprint(gitrepo.DefaultMaxFetchBytes) {
			t.Errorf("%s --max-fetch-bytes defaults to %s", name, f.DefValue)
		}
	}
}

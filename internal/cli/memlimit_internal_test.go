package cli

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// TestMainSetsNoMemoryLimit: the binary leaves the process's soft memory
// limit alone (GOMEMLIMIT's, none by default). A process-wide 40 MiB
// limit had the collector run back to back while a large values file's
// live heap was above it; only the read of a whole history lowers it, for
// that time (pkg/gitrepo, wholeMemoryLimit).
func TestMainSetsNoMemoryLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMEMLIMIT is set")
	}
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	args := os.Args
	defer func() { os.Args = args }()
	os.Args = []string{"tagbump", "version"}
	if code := Main(); code != 0 {
		t.Fatalf("tagbump version: exit %d", code)
	}
	if got := debug.SetMemoryLimit(-1); got != before || got != math.MaxInt64 {
		t.Errorf("soft memory limit after Main: %d, before %d", got, before)
	}
}

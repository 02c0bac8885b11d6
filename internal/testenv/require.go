package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireBinary skips t when the program at path (an absolute path or a
// name looked up in PATH) is missing, except when CI=true: there a missing
// binary fails the test, so CI never counts a skipped test as passing.
func RequireBinary(t testing.TB, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI (scripts/ci-deps.sh installs it)", path)
	}
	t.Skipf("%s not installed", path)
}

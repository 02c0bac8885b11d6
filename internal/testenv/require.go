package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Strict reports whether a missing test dependency fails the test instead
// of skipping it: under CI=true, and under TAGBUMP_TEST_STRICT=1, which
// make test sets after installing the dependencies, so that everyone's
// make test runs every test CI runs.
func Strict() bool {
	return os.Getenv("CI") == "true" || os.Getenv("TAGBUMP_TEST_STRICT") == "1"
}

// RequireBinary skips t when the program at path (an absolute path or a
// name looked up in PATH) is missing, except when Strict: there a missing
// binary fails the test, so a skipped test never counts as passing.
func RequireBinary(t testing.TB, path string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if Strict() {
		t.Fatalf("%s is required in CI (scripts/ci-deps.sh installs it)", path)
	}
	t.Skipf("%s not installed", path)
}

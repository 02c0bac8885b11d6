package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// HelmVersion is the helm that scripts/build-helm.sh builds.
const HelmVersion = "4.3.2"

// HelmPath is where scripts/build-helm.sh caches helm:
// ${TAGBUMP_CACHE:-~/.cache/tagbump}/helm-VERSION.
func HelmPath() string {
	cache := os.Getenv("TAGBUMP_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "tagbump")
	}
	return filepath.Join(cache, "helm-"+HelmVersion)
}

// RequireHelm returns the helm binary, building it with
// scripts/build-helm.sh when missing (a few minutes, once). Without Go's
// toolchain it skips t, except when Strict, where it fails.
func RequireHelm(t testing.TB) string {
	t.Helper()
	bin := HelmPath()
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin
	}
	if _, err := exec.LookPath("go"); err != nil {
		if Strict() {
			t.Fatalf("helm %s is required in CI (scripts/ci-deps.sh builds it)", HelmVersion)
		}
		t.Skipf("helm %s not built and go missing to build it", HelmVersion)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "build-helm.sh")
	t.Logf("building helm %s with %s (a few minutes, once)", HelmVersion, script)
	if out, err := exec.Command("bash", script).CombinedOutput(); err != nil {
		t.Fatalf("build helm: %v\n%s", err, out)
	}
	return bin
}

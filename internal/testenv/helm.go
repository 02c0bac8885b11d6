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
func HelmPath() string { return filepath.Join(toolCache(), "helm-"+HelmVersion) }

// RequireHelm returns the helm binary, building it with
// scripts/build-helm.sh when missing (a few minutes, once). Without Go's
// toolchain it skips t, except when Strict, where it fails.
func RequireHelm(t testing.TB) string {
	t.Helper()
	return requireTool(t, "helm", HelmVersion, HelmPath(), "build-helm.sh")
}

// KustomizeVersion is the kustomize that scripts/build-kustomize.sh builds.
const KustomizeVersion = "5.7.1"

// KustomizePath is where scripts/build-kustomize.sh caches kustomize:
// ${TAGBUMP_CACHE:-~/.cache/tagbump}/kustomize-VERSION.
func KustomizePath() string { return filepath.Join(toolCache(), "kustomize-"+KustomizeVersion) }

// RequireKustomize returns the kustomize binary, building it with
// scripts/build-kustomize.sh when missing, as RequireHelm does.
func RequireKustomize(t testing.TB) string {
	t.Helper()
	return requireTool(t, "kustomize", KustomizeVersion, KustomizePath(), "build-kustomize.sh")
}

// CosignVersion is the cosign that scripts/build-cosign.sh builds: a test
// tool that writes real signatures, never a dependency of tagbump.
const CosignVersion = "3.1.3"

// CosignPath is where scripts/build-cosign.sh caches cosign.
func CosignPath() string { return filepath.Join(toolCache(), "cosign-"+CosignVersion) }

// RequireCosign returns the cosign binary, building it with
// scripts/build-cosign.sh when missing, as RequireHelm does.
func RequireCosign(t testing.TB) string {
	t.Helper()
	return requireTool(t, "cosign", CosignVersion, CosignPath(), "build-cosign.sh")
}

func toolCache() string {
	cache := os.Getenv("TAGBUMP_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "tagbump")
	}
	return cache
}

// requireTool returns bin, building it with scripts/SCRIPT when missing.
func requireTool(t testing.TB, name, version, bin, script string) string {
	t.Helper()
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin
	}
	if _, err := exec.LookPath("go"); err != nil {
		if Strict() {
			t.Fatalf("%s %s is required in CI (scripts/ci-deps.sh builds it)", name, version)
		}
		t.Skipf("%s %s not built and go missing to build it", name, version)
	}
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "scripts", script)
	t.Logf("building %s %s with %s (a few minutes, once)", name, version, path)
	if out, err := exec.Command("bash", path).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
	return bin
}

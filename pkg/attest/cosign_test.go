package attest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/attest"
)

// TestCosign checks signatures written by the real signer, cosign v3
// (built by scripts/build-cosign.sh), offline with a key: the bundle
// layout (a referrer, or the sha256-<hex> tag index on a registry without
// the referrers API) and the legacy .sig layout. --signature-key accepts
// them; another key is refused.
func TestCosign(t *testing.T) {
	cosign := testenv.RequireCosign(t)
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(cosign, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=", "DOCKER_CONFIG="+dir, "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cosign %v: %v\n%s", args, err, out)
		}
	}
	run("generate-key-pair")
	pub, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	byKey, err := attest.Compile(attest.Policy{Key: pub})
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	run("generate-key-pair", "--output-key-prefix", "other/cosign")
	otherPub, _ := os.ReadFile(filepath.Join(other, "cosign.pub"))
	byOther, err := attest.Compile(attest.Policy{Key: otherPub})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(im image, extra ...string) {
		t.Helper()
		run(append([]string{"sign", "--key", "cosign.key", "--use-signing-config=false", "--tlog-upload=false", "--yes", "--allow-insecure-registry", im.ref.Name() + "@" + im.ref.Digest}, extra...)...)
	}
	for _, tc := range []struct {
		name      string
		referrers bool
		extra     []string
		format    string
	}{
		{"bundle via referrers", true, nil, "bundle"},
		{"bundle via tag schema", false, nil, "bundle"},
		{"legacy", false, []string{"--new-bundle-format=false"}, "legacy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []testenv.RegistryOption
			if tc.referrers {
				opts = append(opts, testenv.WithReferrers())
			}
			reg := startRegistry(t, opts...)
			im := pushImage(t, reg.Host(), "team/app")
			sign(im, tc.extra...)
			res, err := attest.Verify(context.Background(), im.ref, byKey, true, fast...)
			if err != nil || res.Format != tc.format {
				t.Fatalf("Verify = %+v, %v; want format %s", res, err, tc.format)
			}
			_, err = attest.Verify(context.Background(), im.ref, byOther, true, fast...)
			var re *attest.RefusedError
			if !errors.As(err, &re) || re.Kind != attest.OtherKey {
				t.Errorf("another key = %v, want %q", err, attest.OtherKey)
			}
		})
	}
}

package attest_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/attest"
)

// TestFetchTrustedRoot fetches trusted_root.json from a TUF repository on
// loopback, verified from its initial root, and refuses a file or metadata
// that does not verify.
func TestFetchTrustedRoot(t *testing.T) {
	ss, sroot := sigstore(t)
	repo, err := testenv.NewTUFRepository(map[string][]byte{"trusted_root.json": sroot})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	other, err := testenv.NewTUFRepository(map[string][]byte{"trusted_root.json": sroot})
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	ctx := context.Background()

	got, err := attest.FetchTrustedRoot(ctx, repo.URL()+"/", repo.Root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sroot) {
		t.Fatalf("fetched %d bytes, not the trusted root served", len(got))
	}
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	if _, err := attest.Verify(ctx, im.ref, keyless(t, got), true, fast...); err != nil {
		t.Errorf("verify under the fetched root: %v", err)
	}

	for name, fetch := range map[string]func() error{
		"no initial root": func() error {
			_, err := attest.FetchTrustedRoot(ctx, repo.URL(), nil, t.TempDir())
			return err
		},
		"another repository's root": func() error {
			_, err := attest.FetchTrustedRoot(ctx, repo.URL(), other.Root, t.TempDir())
			return err
		},
		"tampered target": func() error {
			repo.Tamper("trusted_root.json", append(bytes.Clone(sroot), ' '))
			_, err := attest.FetchTrustedRoot(ctx, repo.URL(), repo.Root, t.TempDir())
			return err
		},
	} {
		var te *attest.TUFError
		if err := fetch(); !errors.As(err, &te) {
			t.Errorf("%s: err = %v, want *TUFError", name, err)
		}
	}
}

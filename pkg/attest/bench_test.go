package attest_test

import (
	"context"
	"testing"

	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/registry"
)

// BenchmarkVerify is what --require-signature adds to a bump against a
// loopback registry with the referrers API: the referrers request, the
// bundle manifest and blob, the .sig tag lookup, and verification with
// sigstore-go (certificate chain, signed timestamp, signature). The
// registry.Verify the bump makes anyway is the baseline, measured
// alongside.
func BenchmarkVerify(b *testing.B) {
	ss, root := sigstore(b)
	reg := startRegistry(b, testenv.WithReferrers())
	im := pushImage(b, reg.Host(), "team/app")
	im.attach(b, signBundle(b, ss, im.ref.Digest, attest.CosignSign, good))
	im.attach(b, signBundle(b, ss, im.ref.Digest, attest.SLSAProvenance, good))
	pol := keyless(b, root, "slsa-provenance")
	ctx := context.Background()
	b.Run("registry.Verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := registry.Verify(ctx, im.ref, fast...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("attest.Verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := attest.Verify(ctx, im.ref, pol, true, fast...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

// TestDistribution runs against the distribution registry, which has no
// referrers API: bundles are found through the sha256-<hex> tag index
// that go-containerregistry (like cosign) maintains there, and legacy
// signatures under the .sig tag, with authentication.
func TestDistribution(t *testing.T) {
	testenv.NeedDistribution(t)
	const user, pass = "ci", "correct-Horse-battery-staple"
	reg, err := testenv.StartDistribution(t.TempDir(), map[string]string{user: pass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})
	ropts := append([]registry.Option{registry.WithKeychain(staticKeychain{auth})}, fast...)
	ss, root := sigstore(t)

	push := func(repo string) image {
		img, err := testenv.RandomImage(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		tag, _ := name.NewTag(reg.Host()+"/"+repo+":1.0.0", name.Insecure)
		if err := remote.Write(tag, img, remote.WithAuth(auth)); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		desc, err := remote.Head(tag, remote.WithAuth(auth))
		if err != nil {
			t.Fatal(err)
		}
		r, _ := imageref.Parse(reg.Host() + "/" + repo + ":1.0.0@" + d.String())
		return image{ref: r, dig: tag.Context().Digest(d.String()), desc: *desc}
	}

	// A signature and an attestation through the tag schema.
	im := push("team/bundle")
	for _, pred := range []string{attest.CosignSign, attest.SLSAProvenance} {
		if _, err := testenv.PushBundle(im.dig, im.desc, signBundle(t, ss, im.ref.Digest, pred, good), remote.WithAuth(auth)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := attest.Verify(context.Background(), im.ref, keyless(t, root, "slsa-provenance"), true, ropts...)
	if err != nil || res.Format != "bundle" || len(res.PredicateTypes) != 1 {
		t.Fatalf("bundles in the tag schema = %+v, %v", res, err)
	}

	// A legacy keyless signature with certificate and timestamp.
	im = push("team/legacy")
	e, err := ss.LegacyKeyless(testenv.SimpleSigningPayload(im.ref.Name(), im.ref.Digest), good)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.PushLegacy(im.dig, []testenv.SignedEntry{e}, remote.WithAuth(auth)); err != nil {
		t.Fatal(err)
	}
	if res, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, ropts...); err != nil || res.Format != "legacy" {
		t.Fatalf("legacy keyless = %+v, %v", res, err)
	}

	// Unsigned, and a key-based policy over a keyless signature.
	im = push("team/unsigned")
	var re *attest.RefusedError
	if _, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, ropts...); !errors.As(err, &re) || re.Kind != attest.NoSignature {
		t.Errorf("unsigned = %v, want %q", err, attest.NoSignature)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	byKey, _ := attest.Compile(attest.Policy{Key: testenv.PublicKeyPEM(key)})
	im.ref.Repository = "team/legacy"
	d, err := registry.Verify(context.Background(), imageref.Ref{Registry: im.ref.Registry, Repository: "team/legacy", Tag: "1.0.0"}, ropts...)
	if err != nil {
		t.Fatal(err)
	}
	im.ref.Digest = d.Digest
	if _, err := attest.Verify(context.Background(), im.ref, byKey, true, ropts...); !errors.As(err, &re) || re.Kind != attest.OtherKey {
		t.Errorf("keyless signature under a key policy = %v, want %q", err, attest.OtherKey)
	}

	// Without credentials: the registry's 401 is an *AuthError, not "no signature".
	_, err = attest.Verify(context.Background(), im.ref, keyless(t, root), true, registry.WithKeychain(staticKeychain{authn.Anonymous}), registry.WithRetry(1))
	var ae *registry.AuthError
	if !errors.As(err, &ae) {
		t.Errorf("anonymous = %v, want *registry.AuthError", err)
	}
}

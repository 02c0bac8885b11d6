package attest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/tagbump/tagbump/internal/testenv"
	"github.com/tagbump/tagbump/pkg/attest"
	"github.com/tagbump/tagbump/pkg/attest/publicgood"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

const (
	workflow = "https://github.com/org/app/.github/workflows/build.yml@refs/heads/main"
	ghIssuer = "https://token.actions.githubusercontent.com"
)

var good = testenv.Identity{SAN: workflow, Issuer: ghIssuer, Repository: "https://github.com/org/app", Ref: "refs/heads/main"}

var (
	sigOnce sync.Once
	sigs    *testenv.Sigstore
	sigRoot []byte
)

// sigstore is the test instance shared by the package's tests (its CA
// and timestamp authority cost a few milliseconds each).
func sigstore(t testing.TB) (*testenv.Sigstore, []byte) {
	t.Helper()
	sigOnce.Do(func() {
		var err error
		if sigs, err = testenv.NewSigstore(); err != nil {
			t.Fatal(err)
		}
		if sigRoot, err = sigs.TrustedRoot(); err != nil {
			t.Fatal(err)
		}
	})
	if sigs == nil {
		t.Fatal("no test Sigstore")
	}
	return sigs, sigRoot
}

// image is one pushed image of a test.
type image struct {
	ref      imageref.Ref // with tag and digest
	dig      name.Digest
	desc     v1.Descriptor
	manifest []byte
}

func pushImage(t testing.TB, host, repo string) image {
	t.Helper()
	img, err := testenv.RandomImage(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host+"/"+repo+":1.0.0", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	m, _ := img.RawManifest()
	mt, _ := img.MediaType()
	sz, _ := img.Size()
	r, err := imageref.Parse(host + "/" + repo + ":1.0.0@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	return image{ref: r, dig: tag.Context().Digest(d.String()), desc: v1.Descriptor{MediaType: mt, Digest: d, Size: sz}, manifest: m}
}

func (im image) attach(t testing.TB, bundle []byte) {
	t.Helper()
	if _, err := testenv.PushBundle(im.dig, im.desc, bundle); err != nil {
		t.Fatal(err)
	}
}

func startRegistry(t testing.TB, opts ...testenv.RegistryOption) *testenv.Registry {
	t.Helper()
	r, err := testenv.StartRegistry(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func keyless(t testing.TB, root []byte, attestations ...string) *attest.Compiled {
	t.Helper()
	c, err := attest.Compile(attest.Policy{Identity: workflow, Issuer: ghIssuer, TrustedRoot: root, Attestations: attestations})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var fast = []registry.Option{registry.WithRetry(1), registry.WithTimeout(10 * time.Second)}

func signBundle(t testing.TB, ss *testenv.Sigstore, digest, predicate string, id testenv.Identity) []byte {
	t.Helper()
	b, err := ss.BundleDSSE(testenv.Statement(digest, predicate), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyBundleReferrers(t *testing.T) {
	ss, root := sigstore(t)
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.SLSAProvenance, good))

	res, err := attest.Verify(context.Background(), im.ref, keyless(t, root, "slsa-provenance"), true, fast...)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.Format != "bundle" || res.Identity != workflow || res.Issuer != ghIssuer || strings.Join(res.PredicateTypes, ",") != attest.SLSAProvenance {
		t.Errorf("result = %+v", res)
	}
}

func TestVerifyRegexp(t *testing.T) {
	ss, root := sigstore(t)
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	c, err := attest.Compile(attest.Policy{IdentityRegexp: `https://github\.com/org/app/.*@refs/heads/main`, IssuerRegexp: `https://token\.actions\..*`, GitHubRepository: "org/app", GitHubRef: "refs/heads/main", TrustedRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.Verify(context.Background(), im.ref, c, true, fast...); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyMessageSignatureBundle(t *testing.T) {
	ss, root := sigstore(t)
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	b, err := ss.BundleMessage(im.manifest, good)
	if err != nil {
		t.Fatal(err)
	}
	im.attach(t, b)
	if _, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, fast...); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyRefused checks each bad input is refused with the kind that
// names it, and that the message says what was found.
func TestVerifyRefused(t *testing.T) {
	ss, root := sigstore(t)
	other, err := testenv.NewSigstore()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reg := startRegistry(t, testenv.WithReferrers())
	expired := good
	expired.NotBefore, expired.NotAfter, expired.NoTimestamp = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour), true
	otherID := good
	otherID.SAN = "https://github.com/evil/app/.github/workflows/build.yml@refs/heads/main"
	otherIss := good
	otherIss.Issuer = "https://accounts.example.com"
	otherRepo := good
	otherRepo.Repository = "https://github.com/org/fork"

	cases := []struct {
		name   string
		setup  func(im image)
		attest []string
		policy func(*attest.Policy)
		kind   attest.Kind
		found  string // in the message
	}{
		{name: "unsigned", setup: func(image) {}, kind: attest.NoSignature},
		{name: "other identity", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, otherID))
		}, kind: attest.OtherIdentity, found: "evil/app"},
		{name: "other issuer", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, otherIss))
		}, kind: attest.OtherIssuer, found: "accounts.example.com"},
		{name: "other repository", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, otherRepo))
		}, policy: func(p *attest.Policy) { p.GitHubRepository = "org/app" }, kind: attest.OtherIdentity},
		{name: "extension pin", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
		}, policy: func(p *attest.Policy) { p.Extensions = map[string]string{"1.3.6.1.4.1.57264.1.14": "refs/heads/dev"} }, kind: attest.OtherIdentity, found: "1.3.6.1.4.1.57264.1.14=refs/heads/main"},
		{name: "tampered payload", setup: func(im image) {
			im.attach(t, tamper(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good)))
		}, kind: attest.Invalid},
		{name: "bundle for another digest", setup: func(im image) {
			im.attach(t, signBundle(t, ss, "sha256:"+strings.Repeat("ab", 32), attest.CosignSign, good))
		}, kind: attest.DigestMismatch, found: "sha256:abab"},
		{name: "message for another digest", setup: func(im image) {
			b, err := ss.BundleMessage([]byte("another manifest"), good)
			if err != nil {
				t.Fatal(err)
			}
			im.attach(t, b)
		}, kind: attest.DigestMismatch},
		{name: "expired without timestamp", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, expired))
		}, kind: attest.NoTimestamp, found: "expired"},
		{name: "valid certificate without timestamp", setup: func(im image) {
			noTS := good
			noTS.NoTimestamp = true
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, noTS))
		}, kind: attest.NoTimestamp, found: "valid until"},
		{name: "regexp matches the whole identity", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
		}, policy: func(p *attest.Policy) { p.Identity, p.IdentityRegexp = "", `github\.com/org/app` }, kind: attest.OtherIdentity},
		{name: "attestation of another type", setup: func(im image) {
			im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
			im.attach(t, signBundle(t, ss, im.ref.Digest, "https://spdx.dev/Document", good))
		}, attest: []string{"slsa-provenance"}, kind: attest.OtherPredicate, found: "spdx.dev"},
		{name: "root that does not chain", setup: func(im image) {
			b, err := other.BundleDSSE(testenv.Statement(im.ref.Digest, attest.CosignSign), good)
			if err != nil {
				t.Fatal(err)
			}
			im.attach(t, b)
		}, kind: attest.Invalid},
		{name: "malformed bundle", setup: func(im image) {
			im.attach(t, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}`))
		}, kind: attest.Invalid, found: "malformed bundle"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			im := pushImage(t, reg.Host(), "team/app"+string(rune('a'+i)))
			tc.setup(im)
			p := attest.Policy{Identity: workflow, Issuer: ghIssuer, TrustedRoot: root, Attestations: tc.attest}
			if tc.policy != nil {
				tc.policy(&p)
			}
			c, err := attest.Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			res, err := attest.Verify(context.Background(), im.ref, c, true, fast...)
			var re *attest.RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("Verify = %+v, %v; want *RefusedError", res, err)
			}
			if re.Kind != tc.kind || !strings.Contains(err.Error(), tc.found) {
				t.Errorf("Verify = %v (kind %q); want kind %q naming %q", err, re.Kind, tc.kind, tc.found)
			}
		})
	}
}

// tamper changes the statement inside a DSSE bundle after it was signed.
func tamper(t testing.TB, bundle []byte) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	env := b["dsseEnvelope"].(map[string]any)
	p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	p = []byte(strings.Replace(string(p), `"predicate":{}`, `"predicate":{"x":1}`, 1))
	env["payload"] = base64.StdEncoding.EncodeToString(p)
	out, _ := json.Marshal(b)
	return out
}

func TestVerifyKey(t *testing.T) {
	reg := startRegistry(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	byKey, err := attest.Compile(attest.Policy{Key: testenv.PublicKeyPEM(key)})
	if err != nil {
		t.Fatal(err)
	}

	// A bundle in the referrers tag schema (no referrers API here).
	im := pushImage(t, reg.Host(), "team/bundle")
	b, err := testenv.KeyBundleDSSE(testenv.Statement(im.ref.Digest, attest.CosignSign), key)
	if err != nil {
		t.Fatal(err)
	}
	im.attach(t, b)
	res, err := attest.Verify(context.Background(), im.ref, byKey, true, fast...)
	if err != nil || !strings.HasPrefix(res.Identity, "key sha256:") {
		t.Fatalf("bundle by key = %+v, %v", res, err)
	}

	// The legacy .sig tag.
	im = pushImage(t, reg.Host(), "team/legacy")
	e, err := testenv.LegacyKey(testenv.SimpleSigningPayload(im.ref.Name(), im.ref.Digest), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.PushLegacy(im.dig, []testenv.SignedEntry{e}); err != nil {
		t.Fatal(err)
	}
	if res, err := attest.Verify(context.Background(), im.ref, byKey, true, fast...); err != nil || res.Format != "legacy" {
		t.Fatalf("legacy by key = %+v, %v", res, err)
	}

	// Another key is refused, in both layouts.
	byOther, _ := attest.Compile(attest.Policy{Key: testenv.PublicKeyPEM(otherKey)})
	for _, repo := range []string{"team/bundle", "team/legacy"} {
		r := im.ref
		r.Repository = repo
		r.Digest = ""
		d, err := registry.Verify(context.Background(), r, fast...)
		if err != nil {
			t.Fatal(err)
		}
		r.Digest = d.Digest
		_, err = attest.Verify(context.Background(), r, byOther, true, fast...)
		var re *attest.RefusedError
		if !errors.As(err, &re) || re.Kind != attest.OtherKey {
			t.Errorf("%s by another key = %v, want %q", repo, err, attest.OtherKey)
		}
	}

	// A legacy payload naming another digest.
	im = pushImage(t, reg.Host(), "team/moved")
	e, _ = testenv.LegacyKey(testenv.SimpleSigningPayload(im.ref.Name(), "sha256:"+strings.Repeat("cd", 32)), key)
	if err := testenv.PushLegacy(im.dig, []testenv.SignedEntry{e}); err != nil {
		t.Fatal(err)
	}
	_, err = attest.Verify(context.Background(), im.ref, byKey, true, fast...)
	var re *attest.RefusedError
	if !errors.As(err, &re) || re.Kind != attest.DigestMismatch || !strings.Contains(err.Error(), "signs sha256:cdcd") {
		t.Errorf("legacy for another digest = %v, want %q", err, attest.DigestMismatch)
	}
}

func TestVerifyLegacyKeyless(t *testing.T) {
	ss, root := sigstore(t)
	reg := startRegistry(t)
	im := pushImage(t, reg.Host(), "team/app")
	e, err := ss.LegacyKeyless(testenv.SimpleSigningPayload(im.ref.Name(), im.ref.Digest), good)
	if err != nil {
		t.Fatal(err)
	}
	if err := testenv.PushLegacy(im.dig, []testenv.SignedEntry{e}); err != nil {
		t.Fatal(err)
	}
	res, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, fast...)
	if err != nil || res.Format != "legacy" || res.Identity != workflow {
		t.Fatalf("legacy keyless = %+v, %v", res, err)
	}
}

func TestCompile(t *testing.T) {
	_, root := sigstore(t)
	for name, p := range map[string]attest.Policy{
		"nothing":         {TrustedRoot: root},
		"no issuer":       {Identity: workflow, TrustedRoot: root},
		"bad regexp":      {IdentityRegexp: "(", Issuer: ghIssuer, TrustedRoot: root},
		"key and keyless": {Identity: workflow, Issuer: ghIssuer, Key: []byte("x")},
		"bad key":         {Key: []byte("not pem")},
		"bad root":        {Identity: workflow, Issuer: ghIssuer, TrustedRoot: []byte("{}")},
		"bad predicate":   {Identity: workflow, Issuer: ghIssuer, TrustedRoot: root, Attestations: []string{"slsa"}},
		"bad extension":   {Identity: workflow, Issuer: ghIssuer, TrustedRoot: root, Extensions: map[string]string{"x": "y"}},
	} {
		var pe *attest.PolicyError
		if _, err := attest.Compile(p); !errors.As(err, &pe) {
			t.Errorf("%s: Compile = %v, want *PolicyError", name, err)
		}
	}
}

// TestTrustedRootJSONL reads several roots as JSON lines (as `gh
// attestation trusted-root` writes them): a signature verifies under the
// root it chains to, whichever line that is.
func TestTrustedRootJSONL(t *testing.T) {
	ss, root := sigstore(t)
	other, err := testenv.NewSigstore()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	otherRoot, err := other.TrustedRoot()
	if err != nil {
		t.Fatal(err)
	}
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	jsonl := append(append(append([]byte{}, otherRoot...), '\n'), root...)
	if _, err := attest.Verify(context.Background(), im.ref, keyless(t, jsonl), true, fast...); err != nil {
		t.Fatalf("JSON lines with the signer's root second: %v", err)
	}
	_, err = attest.Verify(context.Background(), im.ref, keyless(t, otherRoot), true, fast...)
	var re *attest.RefusedError
	if !errors.As(err, &re) || re.Kind != attest.Invalid || !strings.Contains(err.Error(), "no trusted root has the CA that issued the certificate") {
		t.Errorf("only another root = %v, want %q naming the missing CA", err, attest.Invalid)
	}
}

// TestEmbeddedRoot: without --trusted-root a keyless policy uses the
// public-good root embedded at build time, which does not trust a
// private CA.
func TestEmbeddedRoot(t *testing.T) {
	ss, _ := sigstore(t)
	date, from := publicgood.Info()
	if _, err := time.Parse(time.DateOnly, date); err != nil || from == "" {
		t.Errorf("publicgood.Info() = %q, %q: want a date and an origin", date, from)
	}
	tr, err := root.NewTrustedRootFromJSON(publicgood.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.CTLogs()) == 0 || len(tr.RekorLogs()) == 0 || len(tr.FulcioCertificateAuthorities()) == 0 {
		t.Errorf("embedded root lacks a CT log, Rekor log or Fulcio CA")
	}
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	_, err = attest.Verify(context.Background(), im.ref, keyless(t, nil), true, fast...)
	var re *attest.RefusedError
	if !errors.As(err, &re) || re.Kind != attest.Invalid || !strings.Contains(err.Error(), "no trusted root has the CA") {
		t.Errorf("test CA under the embedded root = %v, want %q", err, attest.Invalid)
	}
}

// TestPublicGoodPreset: a bundle with a signed timestamp and no
// transparency log entry is accepted under a custom root that asks for
// signed timestamps, and refused under the public-good checks (SCT,
// transparency log, observer timestamp) with the same root.
func TestPublicGoodPreset(t *testing.T) {
	ss, root := sigstore(t)
	reg := startRegistry(t, testenv.WithReferrers())
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))
	if _, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, fast...); err != nil {
		t.Fatalf("custom root, signed timestamp: %v", err)
	}
	pg, err := attest.Compile(attest.Policy{Identity: workflow, Issuer: ghIssuer, TrustedRoot: root, PublicGood: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = attest.Verify(context.Background(), im.ref, pg, true, fast...)
	var re *attest.RefusedError
	if !errors.As(err, &re) || re.Kind != attest.NoTimestamp || !strings.Contains(err.Error(), "no transparency log entry") {
		t.Errorf("public-good checks without a log entry = %v, want %q naming the log entry", err, attest.NoTimestamp)
	}
}

// TestVerifyUnreadable: what the registry cannot give is not a refusal of
// the image. A legacy .sig tag the credentials may not read does not
// spoil a valid bundle, and a bundle whose blob the registry fails to
// serve is the registry's error (retry), not an invalid signature.
func TestVerifyUnreadable(t *testing.T) {
	ss, root := sigstore(t)
	var failBlobs, denySig atomic.Bool
	reg := startRegistry(t, testenv.WithReferrers(), testenv.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case denySig.Load() && strings.Contains(r.URL.Path, "/manifests/sha256-") && strings.HasSuffix(r.URL.Path, ".sig"):
				w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			case failBlobs.Load() && strings.Contains(r.URL.Path, "/blobs/"):
				http.Error(w, "upstream down", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	}))
	im := pushImage(t, reg.Host(), "team/app")
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, good))

	denySig.Store(true)
	if res, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, fast...); err != nil || !res.Verified {
		t.Fatalf("valid bundle, .sig tag unreadable: %+v, %v", res, err)
	}

	failBlobs.Store(true)
	_, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, fast...)
	var refused *attest.RefusedError
	var netErr *registry.NetworkError
	var authErr *registry.AuthError
	if errors.As(err, &refused) || !errors.As(err, &netErr) && !errors.As(err, &authErr) {
		t.Fatalf("bundle blob 503: got %T %v, want the registry's error, not a refusal", err, err)
	}
}

// TestVerifyUnreadableTagKeepsRefusal: the only signature read is a
// bundle by another identity, and the registry answers 401 for the legacy
// .sig tag (as registries that hide a missing tag do). The answer is the
// refusal naming that identity (exit 4), not the registry's auth error.
func TestVerifyUnreadableTagKeepsRefusal(t *testing.T) {
	ss, root := sigstore(t)
	reg := startRegistry(t, testenv.WithReferrers(), testenv.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/sha256-") && strings.HasSuffix(r.URL.Path, ".sig") {
				w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}))
	im := pushImage(t, reg.Host(), "team/app")
	other := good
	other.SAN = "https://github.com/evil/app/.github/workflows/build.yml@refs/heads/main"
	im.attach(t, signBundle(t, ss, im.ref.Digest, attest.CosignSign, other))
	_, err := attest.Verify(context.Background(), im.ref, keyless(t, root), true, fast...)
	var re *attest.RefusedError
	if !errors.As(err, &re) || re.Kind != attest.OtherIdentity {
		t.Fatalf("bundle by another identity, .sig tag 401: err = %T %v, want a refusal %q naming it", err, err, attest.OtherIdentity)
	}
}

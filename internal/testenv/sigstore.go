package testenv

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"
)

// Sigstore is a private Sigstore instance for tests: a root CA, a Fulcio
// intermediate that issues leaf certificates with Fulcio's extensions, and
// an RFC 3161 timestamp authority served by httptest on loopback. It
// signs images as cosign v3 and GitHub do (bundles) and as cosign did
// before (the .sig tag), and writes the matching trusted_root.json.
type Sigstore struct {
	rootCert, interCert *x509.Certificate
	rootKey, interKey   *ecdsa.PrivateKey
	tsaCert, tsaInter   *x509.Certificate
	tsaKey              *ecdsa.PrivateKey
	tsa                 *httptest.Server
}

// Identity is what a leaf certificate says about its holder.
type Identity struct {
	SAN, Issuer         string
	Repository, Ref     string    // Fulcio's 1.12 (a URL) and 1.14 extensions
	NotBefore, NotAfter time.Time // zero: from a minute ago to ten minutes ahead
	NoTimestamp         bool      // sign without asking the timestamp authority
	Extra               map[string]string
}

// Fulcio's certificate extensions.
var (
	oidIssuerV2   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidSourceRepo = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceRef  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
)

// NewSigstore makes the CA and starts the timestamp authority.
func NewSigstore() (*Sigstore, error) {
	s := &Sigstore{}
	var err error
	if s.rootCert, s.rootKey, err = ca.GenerateRootCa(); err != nil {
		return nil, err
	}
	if s.interCert, s.interKey, err = ca.GenerateFulcioIntermediate(s.rootCert, s.rootKey); err != nil {
		return nil, err
	}
	var tsaInterKey *ecdsa.PrivateKey
	if s.tsaInter, tsaInterKey, err = ca.GenerateTSAIntermediate(s.rootCert, s.rootKey); err != nil {
		return nil, err
	}
	if s.tsaKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if s.tsaCert, err = ca.GenerateTSALeafCert(time.Now().Add(-time.Minute), s.tsaKey, s.tsaInter, tsaInterKey); err != nil {
		return nil, err
	}
	// The leaf made above is valid for ten minutes; give it an hour.
	s.tsaCert, err = reissue(s.tsaCert, s.tsaKey.Public(), s.tsaInter, tsaInterKey, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		return nil, err
	}
	s.tsa = httptest.NewServer(http.HandlerFunc(s.serveTimestamp))
	return s, nil
}

func reissue(c *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, key crypto.Signer, from, to time.Time) (*x509.Certificate, error) {
	t := *c
	t.NotBefore, t.NotAfter = from, to
	// Keep the critical extended key usage a timestamping leaf must have.
	for _, e := range c.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			t.ExtraExtensions = append(t.ExtraExtensions, e)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, &t, parent, pub, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// Close stops the timestamp authority.
func (s *Sigstore) Close() { s.tsa.Close() }

// TSAURL is the timestamp authority's address.
func (s *Sigstore) TSAURL() string { return s.tsa.URL }

func (s *Sigstore) serveTimestamp(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              time.Now(),
		Nonce:             req.Nonce,
		Policy:            asn1.ObjectIdentifier{1, 2, 3, 4, 1},
		AddTSACertificate: req.Certificates,
	}
	resp, err := ts.CreateResponseWithOpts(s.tsaCert, s.tsaKey, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}

// TrustedRoot returns the trusted_root.json of this instance: its CA and
// its timestamp authority, no transparency log.
func (s *Sigstore) TrustedRoot() ([]byte, error) {
	start := time.Now().Add(-time.Hour)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: s.rootCert, Intermediates: []*x509.Certificate{s.interCert}, ValidityPeriodStart: start, URI: "https://fulcio.test"}},
		nil,
		[]root.TimestampingAuthority{&root.SigstoreTimestampingAuthority{Root: s.rootCert, Intermediates: []*x509.Certificate{s.tsaInter}, Leaf: s.tsaCert, ValidityPeriodStart: start, URI: s.tsa.URL}},
		nil)
	if err != nil {
		return nil, err
	}
	return json.Marshal(tr)
}

// leaf is a certificate provider of sign.Bundle: it issues the leaf for
// the ephemeral key.
type leaf struct {
	s  *Sigstore
	id Identity
}

func (l leaf) GetCertificate(_ context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	return l.s.issue(kp.GetPublicKey(), l.id)
}

func utf8Ext(oid asn1.ObjectIdentifier, v string) (pkix.Extension, error) {
	b, err := asn1.MarshalWithParams(v, "utf8")
	return pkix.Extension{Id: oid, Value: b}, err
}

// issue makes a leaf certificate for pub as Fulcio would.
func (s *Sigstore) issue(pub crypto.PublicKey, id Identity) ([]byte, error) {
	u, err := url.Parse(id.SAN)
	if err != nil {
		return nil, err
	}
	from, to := id.NotBefore, id.NotAfter
	if from.IsZero() {
		from = time.Now().Add(-time.Minute)
	}
	if to.IsZero() {
		to = time.Now().Add(10 * time.Minute)
	}
	t := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{},
		NotBefore:    from,
		NotAfter:     to,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:         []*url.URL{u},
	}
	exts := []struct {
		oid asn1.ObjectIdentifier
		v   string
	}{{oidIssuerV2, id.Issuer}, {oidSourceRepo, id.Repository}, {oidSourceRef, id.Ref}}
	for oid, v := range id.Extra {
		o, err := parseOID(oid)
		if err != nil {
			return nil, err
		}
		exts = append(exts, struct {
			oid asn1.ObjectIdentifier
			v   string
		}{o, v})
	}
	for _, e := range exts {
		if e.v == "" {
			continue
		}
		x, err := utf8Ext(e.oid, e.v)
		if err != nil {
			return nil, err
		}
		t.ExtraExtensions = append(t.ExtraExtensions, x)
	}
	return x509.CreateCertificate(rand.Reader, t, s.interCert, pub, s.interKey)
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var o asn1.ObjectIdentifier
	for _, p := range splitDots(s) {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil {
			return nil, fmt.Errorf("OID %q: %w", s, err)
		}
		o = append(o, n)
	}
	return o, nil
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// Statement returns an in-toto statement of predicateType about digest.
func Statement(digest, predicateType string) []byte {
	hexd := digest[len("sha256:"):]
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "image", "digest": map[string]string{"sha256": hexd}}},
		"predicateType": predicateType,
		"predicate":     map[string]any{},
	})
	return b
}

// BundleDSSE signs statement (an in-toto statement) as id and returns the
// bundle's JSON.
func (s *Sigstore) BundleDSSE(statement []byte, id Identity) ([]byte, error) {
	return s.bundle(&sign.DSSEData{Data: statement, PayloadType: "application/vnd.in-toto+json"}, id)
}

// BundleMessage signs data (e.g. a manifest) as id in a message-signature
// bundle and returns its JSON.
func (s *Sigstore) BundleMessage(data []byte, id Identity) ([]byte, error) {
	return s.bundle(&sign.PlainData{Data: data}, id)
}

func (s *Sigstore) bundle(c sign.Content, id Identity) ([]byte, error) {
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, err
	}
	opts := sign.BundleOptions{CertificateProvider: leaf{s, id}}
	if !id.NoTimestamp {
		opts.TimestampAuthorities = []*sign.TimestampAuthority{sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.tsa.URL})}
	}
	b, err := sign.Bundle(c, kp, opts)
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(b)
}

// KeyBundleDSSE signs statement with key in a bundle that names no
// certificate (as `cosign sign --key` does).
func KeyBundleDSSE(statement []byte, key *ecdsa.PrivateKey) ([]byte, error) {
	b, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: "application/vnd.in-toto+json"}, keypair{key}, sign.BundleOptions{})
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(b)
}

// SignedEntry is one layer of a legacy .sig manifest.
type SignedEntry struct {
	Payload     []byte
	Annotations map[string]string
}

// SimpleSigningPayload is cosign's payload for an image digest.
func SimpleSigningPayload(ref, digest string) []byte {
	return fmt.Appendf(nil, `{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, ref, digest)
}

// LegacyKeyless signs payload as id, with a certificate and a signed
// timestamp in the annotations, as cosign's .sig layout has them.
func (s *Sigstore) LegacyKeyless(payload []byte, id Identity) (SignedEntry, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return SignedEntry{}, err
	}
	e, err := LegacyKey(payload, key)
	if err != nil {
		return e, err
	}
	der, err := s.issue(key.Public(), id)
	if err != nil {
		return e, err
	}
	e.Annotations["dev.sigstore.cosign/certificate"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	e.Annotations["dev.sigstore.cosign/chain"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.interCert.Raw})) + string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.rootCert.Raw}))
	if !id.NoTimestamp {
		sig, _ := base64.StdEncoding.DecodeString(e.Annotations["dev.cosignproject.cosign/signature"])
		ts, err := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.tsa.URL}).GetTimestamp(context.Background(), sig)
		if err != nil {
			return e, err
		}
		j, _ := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": ts})
		e.Annotations["dev.sigstore.cosign/rfc3161timestamp"] = string(j)
	}
	return e, nil
}

// LegacyKey signs payload with key, as `cosign sign --key` did.
func LegacyKey(payload []byte, key *ecdsa.PrivateKey) (SignedEntry, error) {
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return SignedEntry{}, err
	}
	return SignedEntry{Payload: payload, Annotations: map[string]string{"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig)}}, nil
}

// PushLegacy writes entries as the manifest of the sha256-<hex>.sig tag
// of image (repository@digest).
func PushLegacy(image name.Digest, entries []SignedEntry, opts ...remote.Option) error {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, e := range entries {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(e.Payload, "application/vnd.dev.cosign.simplesigning.v1+json"), Annotations: e.Annotations})
		if err != nil {
			return err
		}
	}
	h, err := v1.NewHash(image.DigestStr())
	if err != nil {
		return err
	}
	return remote.Write(image.Context().Tag("sha256-"+h.Hex+".sig"), img, opts...)
}

// PushBundle attaches bundle to image (repository@digest) as a referrer:
// a manifest whose subject is the image and whose one layer is the
// bundle. On a registry without the referrers API go-containerregistry
// updates the sha256-<hex> tag index instead.
func PushBundle(image name.Digest, desc v1.Descriptor, bundle []byte, opts ...remote.Option) (v1.Hash, error) {
	const bmt = "application/vnd.dev.sigstore.bundle.v0.3+json"
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, bmt)
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(bundle, bmt)})
	if err != nil {
		return v1.Hash{}, err
	}
	img = mutate.Subject(img, desc).(v1.Image)
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	return d, remote.Write(image.Context().Digest(d.String()), img, opts...)
}

// keypair is a sign.Keypair over a fixed ECDSA key.
type keypair struct{ k *ecdsa.PrivateKey }

func (k keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (k keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (k keypair) GetHint() []byte {
	der, _ := x509.MarshalPKIXPublicKey(k.k.Public())
	s := sha256.Sum256(der)
	return []byte(base64.StdEncoding.EncodeToString(s[:]))
}
func (k keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k keypair) GetPublicKey() crypto.PublicKey { return k.k.Public() }
func (k keypair) GetPublicKeyPem() (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k.k.Public())
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), err
}
func (k keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k.k, sum[:])
	return sig, sum[:], err
}

// PublicKeyPEM is key's public half in PEM, as cosign.pub.
func PublicKeyPEM(key *ecdsa.PrivateKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Package attest finds the Sigstore signatures and attestations of an
// image in its registry and verifies them with sigstore-go against a
// policy: a keyless identity under a trusted root, or a public key.
//
// Two layouts are read: Sigstore bundles attached as referrers (the OCI
// referrers API, or the referrers tag schema sha256-<hex> where the
// registry has no such API), as cosign v3 and GitHub write them, and
// cosign's legacy sha256-<hex>.sig tag. Nothing but the registry is
// contacted. The package prints nothing; a refusal is a *RefusedError, a
// policy that cannot be used a *PolicyError, and registry failures are
// pkg/registry's typed errors.
package attest

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/tagbump/tagbump/pkg/imageref"
	"github.com/tagbump/tagbump/pkg/registry"
)

type certificateExtensions = certificate.Extensions

// Result is what Verify found: the signature that satisfied the policy
// and the predicate types of the verified attestations.
type Result struct {
	Verified bool `json:"verified"`
	// Format is "bundle" (a Sigstore bundle referrer) or "legacy" (cosign's
	// .sig tag).
	Format string `json:"format,omitempty"`
	// Identity and Issuer are the certificate's SAN and OIDC issuer, or
	// Identity is "key <sha256 of the public key>" for a key signature.
	Identity       string   `json:"identity,omitempty"`
	Issuer         string   `json:"issuer,omitempty"`
	PredicateTypes []string `json:"predicate_types,omitempty"`
}

// Verify checks that the image ref (whose Digest must be set) carries a
// signature satisfying policy, when requireSignature is set, and a
// verified attestation of each predicate type the policy requires. opts
// are the registry options, as for registry.Verify.
func Verify(ctx context.Context, ref imageref.Ref, policy *Compiled, requireSignature bool, opts ...registry.Option) (*Result, error) {
	if ref.Digest == "" {
		return nil, errors.New("attest: the image reference has no digest")
	}
	c, err := registry.Open(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	cands, err := find(ctx, c, ref.Digest)
	if err != nil {
		return nil, fmt.Errorf("signatures of %s: %w", ref.Name()+"@"+ref.Digest, err)
	}
	return Check(ref.Name()+"@"+ref.Digest, ref.Digest, cands2entities(cands), policy, requireSignature)
}

// Entity is a signature or attestation to check, as read from a
// registry: a bundle, or a legacy simple-signing payload with its bundle.
type Entity struct {
	Format  string
	Source  string
	Bundle  *bundle.Bundle
	Payload []byte // legacy only
	Err     error  // it could not be read
}

func cands2entities(cs []candidate) []Entity {
	out := make([]Entity, len(cs))
	for i, c := range cs {
		out[i] = Entity{Format: c.format, Source: c.source, Bundle: c.bundle, Payload: c.payload, Err: c.err}
	}
	return out
}

// finding is the outcome of checking one entity.
type finding struct {
	e         Entity
	signature bool   // a signature (not an attestation)
	predicate string // the attestation's predicate type
	kind      Kind   // "" when verified
	what      string // what was found, for messages
	identity  string
	issuer    string
}

// Check verifies entities for image (name@digest) against policy; Verify
// is Check over what the registry holds.
func Check(image, digest string, entities []Entity, policy *Compiled, requireSignature bool) (*Result, error) {
	algo, hexDigest, ok := strings.Cut(digest, ":")
	raw, err := hex.DecodeString(hexDigest)
	if !ok || algo != "sha256" || err != nil {
		return nil, fmt.Errorf("attest: %q is not a sha256 digest", digest)
	}
	var fs []finding
	for _, e := range entities {
		fs = append(fs, policy.check(e, hexDigest, raw))
	}
	res := &Result{}
	if requireSignature {
		i := slices.IndexFunc(fs, func(f finding) bool { return f.signature && f.kind == "" })
		if i < 0 {
			isSig := func(f finding) bool { return f.signature }
			if err := unread(fs, isSig); err != nil {
				return nil, err
			}
			return nil, refusal(image, policy.Describe(), fs, isSig)
		}
		res.Format, res.Identity, res.Issuer = fs[i].e.Format, fs[i].identity, fs[i].issuer
	}
	for _, want := range policy.attestations {
		i := slices.IndexFunc(fs, func(f finding) bool { return f.predicate == want && f.kind == "" })
		if i < 0 {
			isWanted := func(f finding) bool { return f.predicate == want }
			if err := unread(fs, isWanted); err != nil {
				return nil, err
			}
			err := refusal(image, "attestation "+want+" by "+policy.Describe(), fs, isWanted)
			var re *RefusedError
			if errors.As(err, &re) && re.Kind == NoSignature && slices.ContainsFunc(fs, func(f finding) bool { return !f.signature && f.predicate != "" }) {
				re.Kind = OtherPredicate
			}
			return nil, err
		}
		if res.Identity == "" {
			res.Format, res.Identity, res.Issuer = fs[i].e.Format, fs[i].identity, fs[i].issuer
		}
	}
	for _, f := range fs {
		if f.kind == "" && f.predicate != "" && !slices.Contains(res.PredicateTypes, f.predicate) {
			res.PredicateTypes = append(res.PredicateTypes, f.predicate)
		}
	}
	slices.Sort(res.PredicateTypes)
	res.Verified = true
	return res, nil
}

// unread is the registry's error for a signature or attestation that
// could not be read (a server error, refused credentials, a timeout)
// when nothing verified and nothing relevant that was read says why:
// what the unread one holds is unknown, so the answer is the registry's
// failure (retry, fix credentials), not a refusal of the image. A
// signature that was read and refused (another identity, another key)
// is the answer instead, and the refusal lists the unread one too.
func unread(fs []finding, relevant func(finding) bool) error {
	if slices.ContainsFunc(fs, func(f finding) bool { return f.e.Err == nil && f.kind != "" && relevant(f) }) {
		return nil
	}
	for _, f := range fs {
		if isRegistryError(f.e.Err) {
			return fmt.Errorf("%s %s: %w", f.e.Format, f.e.Source, f.e.Err)
		}
	}
	return nil
}

func isRegistryError(err error) bool {
	var (
		auth *registry.AuthError
		netw *registry.NetworkError
		ins  *registry.InsecureError
	)
	return err != nil && (errors.As(err, &auth) || errors.As(err, &netw) || errors.As(err, &ins) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled))
}

// refusal explains why none of the findings that match relevant
// verified: the most telling kind among them, and what each was.
func refusal(image, want string, fs []finding, relevant func(finding) bool) error {
	rank := []Kind{OtherIdentity, OtherIssuer, OtherKey, DigestMismatch, NoTimestamp, Invalid}
	e := &RefusedError{Image: image, Kind: NoSignature, Want: want}
	best := len(rank)
	for _, f := range fs {
		e.Found = append(e.Found, f.what)
		if !relevant(f) {
			continue
		}
		if r := slices.Index(rank, f.kind); r >= 0 && r < best {
			best, e.Kind = r, f.kind
		}
	}
	return e
}

// check verifies one entity: it is well formed, names the digest, and
// verifies under the policy.
func (c *Compiled) check(e Entity, hexDigest string, raw []byte) finding {
	f := finding{e: e, signature: true}
	if e.Err != nil {
		f.kind, f.what = Invalid, fmt.Sprintf("%s %s: %v", e.Format, e.Source, e.Err)
		return f
	}
	label := e.Format + " " + e.Source
	var artifact verify.ArtifactPolicyOption
	switch {
	case e.Payload != nil:
		d, err := payloadDigest(e.Payload)
		if err != nil {
			f.kind, f.what = Invalid, label+": "+err.Error()
			return f
		}
		if d != "sha256:"+hexDigest {
			f.kind, f.what = DigestMismatch, fmt.Sprintf("%s: signs %s", label, d)
			return f
		}
		artifact = verify.WithArtifact(bytes.NewReader(e.Payload))
	default:
		env, err := e.Bundle.Envelope()
		if err == nil && env != nil {
			st, err := env.Statement()
			if err != nil {
				f.kind, f.what = Invalid, label+": "+err.Error()
				return f
			}
			f.predicate = st.GetPredicateType()
			f.signature = f.predicate == CosignSign
			if f.signature {
				f.predicate = ""
			}
			var subjects []string
			found := false
			for _, s := range st.GetSubject() {
				subjects = append(subjects, "sha256:"+s.GetDigest()["sha256"])
				found = found || strings.EqualFold(s.GetDigest()["sha256"], hexDigest)
			}
			label += " (" + cmp.Or(f.predicate, "signature") + ")"
			if !found {
				f.kind, f.what = DigestMismatch, fmt.Sprintf("%s: for %s", label, strings.Join(subjects, ", "))
				return f
			}
		} else if ms := e.Bundle.GetMessageSignature(); ms != nil {
			if d := ms.GetMessageDigest().GetDigest(); !bytes.Equal(d, raw) {
				f.kind, f.what = DigestMismatch, fmt.Sprintf("%s: signs sha256:%x", label, d)
				return f
			}
		}
		artifact = verify.WithArtifactDigest("sha256", raw)
	}
	f.kind, f.what, f.identity, f.issuer = c.verifyEntity(e.Bundle, artifact, label)
	return f
}

// verifyEntity runs sigstore-go over b and names the outcome.
func (c *Compiled) verifyEntity(b *bundle.Bundle, artifact verify.ArtifactPolicyOption, label string) (kind Kind, what, identity, issuer string) {
	if c.key != nil {
		v, err := signature.LoadDefaultVerifier(c.key)
		if err != nil {
			return Invalid, label + ": " + err.Error(), "", ""
		}
		tm := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
		})
		ver, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
		if err != nil {
			return Invalid, label + ": " + err.Error(), "", ""
		}
		if _, err := ver.Verify(b, verify.NewPolicy(artifact, verify.WithKey())); err != nil {
			return OtherKey, label + ": does not verify with key " + keyID(c.key) + ": " + err.Error(), "", ""
		}
		return "", label + ": signed by key " + keyID(c.key), "key " + keyID(c.key), ""
	}
	vc, err := b.VerificationContent()
	if err != nil {
		return Invalid, label + ": " + err.Error(), "", ""
	}
	leaf := vc.Certificate()
	if leaf == nil {
		return Invalid, label + ": signed with a key, not a certificate", "", ""
	}
	sum, err := certificate.SummarizeCertificate(leaf)
	if err != nil {
		return Invalid, label + ": " + err.Error(), "", ""
	}
	who := fmt.Sprintf("%s: identity %s issuer %s", label, sum.SubjectAlternativeName, sum.Issuer)
	roots := c.rootsFor(leaf)
	if len(roots) == 0 {
		return Invalid, fmt.Sprintf("%s: no trusted root has the CA that issued the certificate (%s)", who, leaf.Issuer), "", ""
	}
	if tl, _ := b.TlogEntries(); c.publicGood && len(tl) == 0 {
		return NoTimestamp, who + ": no transparency log entry, which the Sigstore public-good root requires (with a signed certificate timestamp)", "", ""
	}
	var errs []error
	for _, tr := range roots {
		vo, err := c.verifierOptions(tr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ver, err := verify.NewVerifier(tr, vo...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = ver.Verify(b, verify.NewPolicy(artifact, verify.WithCertificateIdentity(*c.identity)))
		if err == nil {
			if k, w := c.checkExtensions(leaf, who); k != "" {
				return k, w, "", ""
			}
			return "", who, sum.SubjectAlternativeName, sum.Issuer
		}
		errs = append(errs, err)
	}
	err = errors.Join(errs...)
	var idErr *verify.ErrNoMatchingCertificateIdentity
	switch {
	case errors.As(err, &idErr):
		if c.identity.Issuer.Verify(sum) != nil {
			return OtherIssuer, who, "", ""
		}
		return OtherIdentity, who, "", ""
	case !hasTimestamp(b):
		state := "valid until " + leaf.NotAfter.UTC().Format(time.RFC3339)
		if time.Now().After(leaf.NotAfter) {
			state = "expired " + leaf.NotAfter.UTC().Format(time.RFC3339)
		}
		return NoTimestamp, fmt.Sprintf("%s, certificate %s, no signed timestamp or log entry", who, state), "", ""
	}
	return Invalid, who + ": " + err.Error(), "", ""
}

// rootsFor picks the roots whose Fulcio CA issued leaf: its issuing
// certificate (the first of the chain) has leaf's issuer as subject and
// leaf's signature verifies with its key. A `gh attestation trusted-root`
// file holds the public-good and GitHub's roots; only the one that issued
// the certificate decides, with its own checks.
func (c *Compiled) rootsFor(leaf *x509.Certificate) []*root.TrustedRoot {
	var out []*root.TrustedRoot
	for _, tr := range c.roots {
		for _, ca := range tr.FulcioCertificateAuthorities() {
			f, ok := ca.(*root.FulcioCertificateAuthority)
			if !ok {
				// Another kind of CA: let the verifier decide.
				out = append(out, tr)
				break
			}
			issuer := f.Root
			if len(f.Intermediates) > 0 {
				issuer = f.Intermediates[0]
			}
			if issuer != nil && bytes.Equal(leaf.RawIssuer, issuer.RawSubject) && leaf.CheckSignatureFrom(issuer) == nil {
				out = append(out, tr)
				break
			}
		}
	}
	return out
}

// checkExtensions applies the --certificate-extension pins.
func (c *Compiled) checkExtensions(leaf *x509.Certificate, who string) (Kind, string) {
	for _, oid := range sortedKeys(c.extensions) {
		got, ok := extensionValue(leaf, oid)
		if !ok {
			return OtherIdentity, fmt.Sprintf("%s, no extension %s", who, oid)
		}
		if got != c.extensions[oid] {
			return OtherIdentity, fmt.Sprintf("%s, extension %s=%s", who, oid, got)
		}
	}
	return "", ""
}

func hasTimestamp(b *bundle.Bundle) bool {
	ts, _ := b.Timestamps()
	tl, _ := b.TlogEntries()
	return len(ts) > 0 || len(tl) > 0
}

// keyID names a public key by the SHA-256 of its DER form.
func keyID(k crypto.PublicKey) string {
	der, err := cryptoutils.MarshalPublicKeyToDER(k)
	if err != nil {
		return "?"
	}
	s := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(s[:])[:16]
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

func cmpOr(a, b string) string { return cmp.Or(a, b) }

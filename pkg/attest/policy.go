package attest

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/tagbump/tagbump/pkg/attest/publicgood"
)

// SLSAProvenance is the predicate type that --require-attestation
// slsa-provenance stands for.
const SLSAProvenance = "https://slsa.dev/provenance/v1"

// CosignSign is the predicate type of the in-toto statement that cosign
// v3 signs in a bundle signature (as opposed to an attestation).
const CosignSign = "https://sigstore.dev/cosign/sign/v1"

// Policy says which signatures and attestations an image must carry. It
// holds the user's inputs as given; Compile checks them.
type Policy struct {
	// Identity and IdentityRegexp match the certificate's subject
	// alternative name (a regular expression matches the whole SAN).
	Identity, IdentityRegexp string
	// Issuer and IssuerRegexp match the OIDC issuer extension
	// (1.3.6.1.4.1.57264.1.8); the regular expression matches the whole value.
	Issuer, IssuerRegexp string
	// GitHubRepository pins the source repository (org/app, or its URL)
	// and GitHubRef the source ref (refs/heads/main) of Fulcio's
	// extensions 1.3.6.1.4.1.57264.1.12 and .14.
	GitHubRepository, GitHubRef string
	// Extensions pins further certificate extensions: dotted OID → value.
	Extensions map[string]string
	// Key is a PEM public key: signatures must verify with it instead of a
	// certificate.
	Key []byte
	// TrustedRoot is a trusted_root.json, or JSON lines of several (as
	// `gh attestation trusted-root` writes). Empty: the Sigstore public-good
	// root embedded at build time (package publicgood), with PublicGood's
	// checks.
	TrustedRoot []byte
	// PublicGood applies the public-good instance's checks to every root:
	// a signed certificate timestamp, a transparency log entry and a
	// timestamp observed by that log; a signed timestamp alone is not
	// enough. Without it, a root's checks follow what it lists (see
	// verifierOptions), as gh does for GitHub's instance and custom roots.
	PublicGood bool
	// Attestations are predicate types (URIs, or "slsa-provenance") of
	// which a DSSE in-toto attestation for the image must exist.
	Attestations []string
}

// Compiled is a checked Policy, ready for Verify.
type Compiled struct {
	p            Policy
	identity     *verify.CertificateIdentity
	key          crypto.PublicKey
	roots        []*root.TrustedRoot
	publicGood   bool
	extensions   map[string]string
	attestations []string
}

// Describe names the policy in one line, for messages.
func (c *Compiled) Describe() string {
	if c.key != nil {
		return "key " + keyID(c.key)
	}
	id := cmpOr(c.p.Identity, "~"+c.p.IdentityRegexp)
	iss := cmpOr(c.p.Issuer, "~"+c.p.IssuerRegexp)
	s := "identity " + id + " issuer " + iss
	for _, k := range sortedKeys(c.extensions) {
		s += " " + k + "=" + c.extensions[k]
	}
	return s
}

// Attestations are the predicate types the policy requires.
func (c *Compiled) Attestations() []string { return c.attestations }

// Compile checks p: a key, or a keyless identity (SAN and issuer, each
// exact or a regular expression) with a trusted root. "Any signer" is not
// a policy. Errors are *PolicyError.
func Compile(p Policy) (*Compiled, error) {
	c := &Compiled{p: p, extensions: map[string]string{}}
	for _, a := range p.Attestations {
		t, err := PredicateType(a)
		if err != nil {
			return nil, &PolicyError{Input: "--require-attestation", Err: err}
		}
		if !slices.Contains(c.attestations, t) {
			c.attestations = append(c.attestations, t)
		}
	}
	keyless := p.Identity != "" || p.IdentityRegexp != "" || p.Issuer != "" || p.IssuerRegexp != "" || p.GitHubRepository != "" || p.GitHubRef != "" || len(p.Extensions) > 0
	switch {
	case len(p.Key) > 0 && keyless:
		return nil, &PolicyError{Input: "--signature-key", Err: errors.New("give either a key or a certificate identity, not both")}
	case len(p.Key) > 0:
		k, err := parseKey(p.Key)
		if err != nil {
			return nil, &PolicyError{Input: "--signature-key", Err: err}
		}
		c.key = k
		return c, nil
	}
	if (p.Identity == "") == (p.IdentityRegexp == "") {
		return nil, &PolicyError{Input: "--certificate-identity", Err: errors.New("give exactly one of --certificate-identity or --certificate-identity-regexp (or --signature-key): any signer is not a policy")}
	}
	if (p.Issuer == "") == (p.IssuerRegexp == "") {
		return nil, &PolicyError{Input: "--certificate-oidc-issuer", Err: errors.New("give exactly one of --certificate-oidc-issuer or --certificate-oidc-issuer-regexp")}
	}
	san, err := verify.NewSANMatcher(p.Identity, anchor(p.IdentityRegexp))
	if err != nil {
		return nil, &PolicyError{Input: "--certificate-identity-regexp", Err: err}
	}
	iss, err := verify.NewIssuerMatcher(p.Issuer, anchor(p.IssuerRegexp))
	if err != nil {
		return nil, &PolicyError{Input: "--certificate-oidc-issuer-regexp", Err: err}
	}
	id, err := verify.NewCertificateIdentity(san, iss, extensionsOf(p))
	if err != nil {
		return nil, &PolicyError{Input: "--certificate-identity", Err: err}
	}
	c.identity = &id
	for oid, v := range p.Extensions {
		if _, err := parseOID(oid); err != nil {
			return nil, &PolicyError{Input: "--certificate-extension", Err: fmt.Errorf("%q: %w: give OID=VALUE, e.g. 1.3.6.1.4.1.57264.1.9=https://…", oid, err)}
		}
		c.extensions[oid] = v
	}
	c.publicGood = p.PublicGood
	if len(p.TrustedRoot) == 0 {
		p.TrustedRoot, c.publicGood = publicgood.TrustedRoot, true
	}
	if c.roots, err = parseRoots(p.TrustedRoot); err != nil {
		return nil, &PolicyError{Input: "--trusted-root", Err: err}
	}
	return c, nil
}

// PredicateType resolves a --require-attestation value: "slsa-provenance"
// or a URI.
func PredicateType(s string) (string, error) {
	switch {
	case s == "slsa-provenance":
		return SLSAProvenance, nil
	case strings.Contains(s, "://"):
		return s, nil
	}
	return "", fmt.Errorf("unknown predicate type %q: give slsa-provenance or a predicate type URI such as https://slsa.dev/provenance/v1", s)
}

func extensionsOf(p Policy) (e certificateExtensions) {
	if r := p.GitHubRepository; r != "" {
		if !strings.Contains(r, "://") {
			r = "https://github.com/" + strings.Trim(r, "/")
		}
		e.SourceRepositoryURI = r
	}
	e.SourceRepositoryRef = p.GitHubRef
	return e
}

// anchor makes a user's regular expression match the whole value, as
// --tag-pattern does.
func anchor(re string) string {
	if re == "" {
		return ""
	}
	return `^(?:` + re + `)$`
}

func parseKey(b []byte) (crypto.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block: give a PEM public key (cosign.pub)")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PEM public key: %w", err)
	}
	if _, err := signature.LoadDefaultVerifier(k); err != nil {
		return nil, err
	}
	return k, nil
}

func parseRoots(b []byte) ([]*root.TrustedRoot, error) {
	b = bytes.TrimSpace(b)
	var docs [][]byte
	if bytes.HasPrefix(b, []byte("{")) && bytes.Count(b, []byte("\n{")) > 0 {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
				docs = append(docs, slices.Clone(l))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	} else {
		docs = [][]byte{b}
	}
	var out []*root.TrustedRoot
	for i, d := range docs {
		tr, err := root.NewTrustedRootFromJSON(d)
		if err != nil && len(docs) == 1 {
			// A pretty-printed single root also starts with "{" and has
			// lines starting with "{"; try it whole.
			return nil, fmt.Errorf("not a trusted_root.json: %w", err)
		}
		if err != nil {
			whole, err2 := root.NewTrustedRootFromJSON(b)
			if err2 == nil {
				return []*root.TrustedRoot{whole}, nil
			}
			return nil, fmt.Errorf("line %d: not a trusted root: %w", i+1, err)
		}
		out = append(out, tr)
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

// verifierOptions are the checks a root calls for. Under the public-good
// preset: a signed certificate timestamp, a transparency log entry and a
// timestamp observed by the log, whatever else the root lists. Otherwise:
// certificate transparency when the root lists CT logs, a transparency
// log entry when it lists Rekor logs, and a signed timestamp when it has
// timestamp authorities and no Rekor log (as gh does for GitHub's
// instance).
func (c *Compiled) verifierOptions(tm root.TrustedMaterial) ([]verify.VerifierOption, error) {
	if c.publicGood {
		return []verify.VerifierOption{verify.WithSignedCertificateTimestamps(1), verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}, nil
	}
	var o []verify.VerifierOption
	if len(tm.CTLogs()) > 0 {
		o = append(o, verify.WithSignedCertificateTimestamps(1))
	}
	switch {
	case len(tm.RekorLogs()) > 0:
		o = append(o, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	case len(tm.TimestampingAuthorities()) > 0:
		o = append(o, verify.WithSignedTimestamps(1))
	default:
		return nil, errors.New("the trusted root has neither a transparency log nor a timestamp authority: nothing could prove when a certificate was used")
	}
	return o, nil
}

func parseOID(s string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, errors.New("not a dotted OID")
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, errors.New("not a dotted OID")
		}
		oid[i] = n
	}
	return oid, nil
}

// extensionValue is the value of extension oid in cert: Fulcio's newer
// extensions are DER UTF8Strings, the older ones raw bytes.
func extensionValue(cert *x509.Certificate, oid string) (string, bool) {
	want, err := parseOID(oid)
	if err != nil {
		return "", false
	}
	for _, e := range cert.Extensions {
		if !e.Id.Equal(want) {
			continue
		}
		var s string
		if rest, err := asn1.Unmarshal(e.Value, &s); err == nil && len(rest) == 0 {
			return s, true
		}
		return string(e.Value), true
	}
	return "", false
}

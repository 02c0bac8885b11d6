package attest

import (
	"fmt"
	"strings"
)

// Kind says why an image was refused.
type Kind string

// The reasons for a refusal.
const (
	// NoSignature: the registry holds no signature (or no attestation of a
	// required predicate type) for the digest.
	NoSignature Kind = "no signature"
	// OtherIdentity: a signature verifies but its certificate names an
	// identity (SAN or a pinned extension) outside the policy.
	OtherIdentity Kind = "signed by another identity"
	// OtherIssuer: a signature verifies but its certificate names another
	// OIDC issuer.
	OtherIssuer Kind = "signed through another issuer"
	// OtherKey: a key-based signature does not verify with the given key
	// (signed by another key, or altered).
	OtherKey Kind = "not signed by the key"
	// DigestMismatch: the signature or attestation is for another digest.
	DigestMismatch Kind = "digest mismatch"
	// NoTimestamp: the certificate is short-lived and nothing (a signed
	// timestamp or a transparency log entry) proves it was used while
	// valid; typically it has expired.
	NoTimestamp Kind = "certificate without timestamp"
	// OtherPredicate: attestations exist but none of the required
	// predicate type.
	OtherPredicate Kind = "attestation of another predicate type"
	// Invalid: the signature does not verify: altered content, a
	// certificate that does not chain to the trusted root, a malformed
	// bundle.
	Invalid Kind = "invalid signature"
)

// RefusedError reports an image whose signatures or attestations do not
// satisfy the policy. Found lists what was found, one entry per signature
// or attestation, so that the message names it.
type RefusedError struct {
	Image string // registry/repository@digest
	Kind  Kind
	// Want is what the policy asked for (an identity, a key, a predicate
	// type).
	Want string
	// Found describes each signature or attestation that was looked at.
	Found []string
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s refused: %s", e.Image, e.Kind)
	if e.Want != "" {
		fmt.Fprintf(&b, " (policy: %s)", e.Want)
	}
	if len(e.Found) > 0 {
		fmt.Fprintf(&b, "; found: %s", strings.Join(e.Found, "; "))
	}
	b.WriteString(": " + e.fix())
	return b.String()
}

func (e *RefusedError) fix() string {
	switch e.Kind {
	case NoSignature:
		return "sign the image (cosign sign) or attest it in the build, or check the repository and digest"
	case OtherIdentity, OtherIssuer:
		return "check --certificate-identity, --certificate-oidc-issuer and the pinned extensions against the workflow that signed the image"
	case OtherKey:
		return "check --signature-key against the key that signed the image"
	case NoTimestamp:
		return "sign with a timestamp authority or a transparency log, or give a trusted root that has them"
	case OtherPredicate:
		return "attest the image with the required predicate type, or check --require-attestation"
	}
	return "the signature cannot be trusted: check --trusted-root and re-sign the image"
}

// PolicyError reports a policy that cannot be used: no identity and no
// key, a bad regular expression, an unreadable trusted root or key.
type PolicyError struct {
	Input string // the flag or file concerned
	Err   error
}

func (e *PolicyError) Error() string { return fmt.Sprintf("signature policy %s: %v", e.Input, e.Err) }
func (e *PolicyError) Unwrap() error { return e.Err }

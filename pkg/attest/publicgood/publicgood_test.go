package publicgood_test

import (
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/tagbump/tagbump/pkg/attest/publicgood"
)

// TestEmbeddedRootIsPublicGoodOnly: the root that keyless
// --require-signature trusts by default must be Sigstore's public-good
// root only. sigstore-go v1.3.0's examples/trusted-root-public-good.json,
// which it is taken from, also lists GitHub's private timestamp authority
// ("GitHub, Inc. / Internal Services Root"), not part of the public-good
// instance; SOURCE must say where the root comes from.
func TestEmbeddedRootIsPublicGoodOnly(t *testing.T) {
	tr, err := root.NewTrustedRootFromJSON(publicgood.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, tsa := range tr.TimestampingAuthorities() {
		if s, ok := tsa.(*root.SigstoreTimestampingAuthority); ok && s.Root != nil {
			if strings.Contains(strings.Join(s.Root.Subject.Organization, ","), "GitHub") {
				t.Errorf("embedded public-good root trusts a GitHub timestamp authority (%s): not part of Sigstore's public-good instance", s.Root.Subject)
			}
		}
	}
	if _, from := publicgood.Info(); !strings.Contains(from, "tuf-repo-cdn.sigstore.dev") {
		t.Errorf("embedded root's origin is %q, not Sigstore's TUF repository", from)
	}
}

package attest

import (
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/tagbump/tagbump/internal/testenv"
)

// TestRootsForPicksIssuer: of two roots in JSON lines, the one whose
// Fulcio CA issued the leaf is picked, wherever it stands; the other is
// not tried.
func TestRootsForPicksIssuer(t *testing.T) {
	var roots [][]byte
	var signer *testenv.Sigstore
	for range 2 {
		s, err := testenv.NewSigstore()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r, err := s.TrustedRoot()
		if err != nil {
			t.Fatal(err)
		}
		roots, signer = append(roots, r), s
	}
	jsonl := append(append(append([]byte{}, roots[0]...), '\n'), roots[1]...)
	c, err := Compile(Policy{Identity: "https://x", Issuer: "https://y", TrustedRoot: jsonl})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.roots) != 2 {
		t.Fatalf("%d roots read from JSON lines, want 2", len(c.roots))
	}
	raw, err := signer.BundleDSSE(testenv.Statement("sha256:"+strings.Repeat("0", 64), CosignSign), testenv.Identity{SAN: "https://x", Issuer: "https://y"})
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	vc, err := b.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	got := c.rootsFor(vc.Certificate())
	if len(got) != 1 || got[0] != c.roots[1] {
		t.Errorf("rootsFor picked %d roots (first is the second line: %v), want only the second line's", len(got), len(got) > 0 && got[0] == c.roots[1])
	}
}

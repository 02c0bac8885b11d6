package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"testing"
)

// keyPolicy is a key-based policy with a fresh key.
func keyPolicy(f *testing.F) *Compiled {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(k.Public())
	pol, err := Compile(Policy{Key: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})})
	if err != nil {
		f.Fatal(err)
	}
	return pol
}

// FuzzLegacy feeds arbitrary payloads and annotations (as JSON) to the
// legacy .sig reader and the checks that follow: they must return an
// error or a bundle, never panic, and never accept a signature.
func FuzzLegacy(f *testing.F) {
	f.Add([]byte(`{"critical":{"image":{"docker-manifest-digest":"sha256:00"}}}`), []byte(`{"dev.cosignproject.cosign/signature":"MEUCIQ=="}`))
	f.Add([]byte(`{}`), []byte(`{"dev.cosignproject.cosign/signature":"AAAA","dev.sigstore.cosign/certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n","dev.sigstore.cosign/rfc3161timestamp":"{\"SignedRFC3161Timestamp\":\"AAAA\"}","dev.sigstore.cosign/bundle":"{\"SignedEntryTimestamp\":\"AAAA\",\"Payload\":{\"body\":\"e30=\",\"logID\":\"00\"}}"}`))
	pol := keyPolicy(f)
	f.Fuzz(func(t *testing.T, payload, annotations []byte) {
		var ann map[string]string
		if json.Unmarshal(annotations, &ann) != nil {
			return
		}
		_, _ = payloadDigest(payload)
		b, err := legacyBundle(payload, ann)
		if err != nil {
			return
		}
		e := Entity{Format: "legacy", Source: "fuzz", Bundle: b, Payload: payload}
		fd := pol.check(e, "00", []byte{0})
		if fd.kind == "" {
			t.Fatalf("a fuzzed legacy signature verified: %q %q", payload, annotations)
		}
	})
}

// FuzzBundle feeds arbitrary JSON to the bundle reader and the checks
// after it.
func FuzzBundle(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`))
	pol := keyPolicy(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseBundle(data)
		if err != nil {
			return
		}
		fd := pol.check(Entity{Format: "bundle", Source: "fuzz", Bundle: b}, "00", []byte{0})
		if fd.kind == "" {
			t.Fatalf("a fuzzed bundle verified: %q", data)
		}
	})
}

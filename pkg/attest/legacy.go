package attest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// The media types and annotations of cosign's legacy signature layout: a
// manifest under the tag sha256-<hex>.sig whose layers are simple-signing
// payloads, each with its signature and verification material in
// annotations.
const (
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	annSignature           = "dev.cosignproject.cosign/signature"
	annCertificate         = "dev.sigstore.cosign/certificate"
	annChain               = "dev.sigstore.cosign/chain"
	annRekorBundle         = "dev.sigstore.cosign/bundle"
	annTimestamp           = "dev.sigstore.cosign/rfc3161timestamp"
)

// simpleSigning is the part of cosign's payload that tagbump checks.
type simpleSigning struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// payloadDigest returns the image digest a simple-signing payload names.
func payloadDigest(payload []byte) (string, error) {
	var s simpleSigning
	if err := json.Unmarshal(payload, &s); err != nil {
		return "", fmt.Errorf("simple-signing payload: %w", err)
	}
	if s.Critical.Image.DockerManifestDigest == "" {
		return "", errors.New("simple-signing payload: no critical.image.docker-manifest-digest")
	}
	return s.Critical.Image.DockerManifestDigest, nil
}

// legacyBundle turns one layer of a legacy .sig manifest (its payload and
// annotations) into a Sigstore bundle over the payload, so that one
// verifier checks both formats. A key-signed layer has no certificate: its
// bundle names a public key, which the policy's key must verify.
func legacyBundle(payload []byte, ann map[string]string) (*bundle.Bundle, error) {
	sig, err := base64.StdEncoding.DecodeString(ann[annSignature])
	if err != nil || len(sig) == 0 {
		return nil, errors.New("legacy signature: no base64 " + annSignature + " annotation")
	}
	sum := sha256.Sum256(payload)
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     sig,
		}},
		VerificationMaterial: &protobundle.VerificationMaterial{},
	}
	vm := pb.VerificationMaterial
	if c := ann[annCertificate]; c != "" {
		blk, _ := pem.Decode([]byte(c))
		if blk == nil || blk.Type != "CERTIFICATE" {
			return nil, errors.New("legacy signature: " + annCertificate + " is not a PEM certificate")
		}
		// The chain annotation is not needed: intermediates come from the
		// trusted root, as for bundles.
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: &protocommon.X509CertificateChain{
			Certificates: []*protocommon.X509Certificate{{RawBytes: blk.Bytes}},
		}}
	} else {
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}
	}
	if t := ann[annTimestamp]; t != "" {
		var ts struct{ SignedRFC3161Timestamp []byte }
		if err := json.Unmarshal([]byte(t), &ts); err != nil || len(ts.SignedRFC3161Timestamp) == 0 {
			return nil, errors.New("legacy signature: " + annTimestamp + " is not a timestamp")
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts.SignedRFC3161Timestamp}}}
	}
	if r := ann[annRekorBundle]; r != "" {
		e, err := rekorEntry([]byte(r))
		if err != nil {
			return nil, err
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{e}
	}
	return bundle.NewBundle(pb)
}

// rekorEntry reads cosign's Rekor bundle annotation (the signed entry
// timestamp and the entry it covers) as a log entry with an inclusion
// promise.
func rekorEntry(b []byte) (*protorekor.TransparencyLogEntry, error) {
	var rb struct {
		SignedEntryTimestamp []byte
		Payload              struct {
			Body           string `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		}
	}
	if err := json.Unmarshal(b, &rb); err != nil {
		return nil, fmt.Errorf("legacy signature: %s: %w", annRekorBundle, err)
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("legacy signature: %s body: %w", annRekorBundle, err)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kv); err != nil || kv.Kind == "" {
		return nil, errors.New("legacy signature: " + annRekorBundle + " body is not a Rekor entry")
	}
	id, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("legacy signature: %s logID: %w", annRekorBundle, err)
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: id},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	}, nil
}

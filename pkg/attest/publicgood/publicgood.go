// Package publicgood holds the trusted root of Sigstore's public-good
// instance (Fulcio, Rekor, its CT log and, when the root has one, its
// timestamp authority), embedded in the binary at build time so that
// keyless verification works offline without --trusted-root. Only
// public-good's own material is kept: scripts/trustedroot removes other
// timestamp authorities. SOURCE says where the file comes from; the one
// checked in is sigstore-go v1.3.0's examples/trusted-root-public-good.json
// without GitHub's timestamp authority, which predates the Rekor v2 log.
//
// The root changes when Sigstore rotates a key or adds a log (a few times
// a year). Refresh it before a release with `go generate
// ./pkg/attest/publicgood`, which fetches trusted_root.json through
// Sigstore's TUF repository (verified from the TUF root that sigstore-go
// embeds) and records the date in SOURCE; see scripts/trustedroot.
package publicgood

import (
	_ "embed"
	"encoding/json"
	"strings"
)

//go:generate go run ../../../scripts/trustedroot -out .

// TrustedRoot is the embedded trusted_root.json.
//
//go:embed trusted_root.json
var TrustedRoot []byte

//go:embed SOURCE
var source string

// RekorV1Only reports whether the embedded root's only transparency log is
// Rekor v1 (rekor.sigstore.dev): such a root predates the Rekor v2 log and
// refuses signatures logged only there until it is refreshed.
func RekorV1Only() bool {
	var r struct {
		Tlogs []struct {
			BaseURL string `json:"baseUrl"`
		} `json:"tlogs"`
	}
	if json.Unmarshal(TrustedRoot, &r) != nil {
		return false
	}
	for _, l := range r.Tlogs {
		if strings.TrimRight(l.BaseURL, "/") != "https://rekor.sigstore.dev" {
			return false
		}
	}
	return len(r.Tlogs) > 0
}

// Info returns the day the embedded root was taken (YYYY-MM-DD) and where
// it came from, as recorded in SOURCE.
func Info() (date, from string) {
	date, from, _ = strings.Cut(strings.TrimSpace(source), " ")
	return date, from
}

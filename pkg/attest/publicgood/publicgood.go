// Package publicgood holds the trusted root of Sigstore's public-good
// instance (Fulcio, Rekor, its CT log and timestamp authority), embedded
// in the binary at build time so that keyless verification works offline
// without --trusted-root.
//
// The root changes when Sigstore rotates a key or adds a log (a few times
// a year). Refresh it before a release with `go generate
// ./pkg/attest/publicgood`, which fetches trusted_root.json through
// Sigstore's TUF repository (verified from the TUF root that sigstore-go
// embeds) and records the date in SOURCE; see scripts/trustedroot.
package publicgood

import (
	_ "embed"
	"strings"
)

//go:generate go run ../../../scripts/trustedroot -out .

// TrustedRoot is the embedded trusted_root.json.
//
//go:embed trusted_root.json
var TrustedRoot []byte

//go:embed SOURCE
var source string

// Info returns the day the embedded root was taken (YYYY-MM-DD) and where
// it came from, as recorded in SOURCE.
func Info() (date, from string) {
	date, from, _ = strings.Cut(strings.TrimSpace(source), " ")
	return date, from
}
